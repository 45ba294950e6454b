package stages

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// spectrumParams returns the stage's defaults overridden by p.
func spectrumParams(p Params) Params {
	return withDefaults(spectrum{}, p)
}

func runSpectrum(t testing.TB, in Inputs, p Params) (Outputs, error) {
	t.Helper()
	full := spectrumParams(p)
	if err := (spectrum{}).Validate(full); err != nil {
		return nil, err
	}
	return spectrum{}.Run(context.Background(), nil, in, full)
}

func readGolden(t *testing.T, name string) *ndarray.Array {
	t.Helper()
	a, err := ndarray.ReadNPYFile(filepath.Join("testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Abs(want[0]) {
			t.Fatalf("%s[%d] = %.15g, numpy %.15g", what, i, got[i], want[i])
		}
	}
}

func f64(o Outputs, name string) []float64 { return o[name].(*ndarray.Array).F64 }

// stageRanks is the range of the stage goldens (make_goldens.py): on the
// 60×40×3×3 activations the default [11, R−2] spans less than a decade.
var stageRanks = []int{2, 38}

// The stage's outputs for every view equal the numpy computation of
// make_goldens.py (float32 ReLU activations, 60×40×3×3): eigenvalues, the
// stringer α and r² on ranks 2..38, ED, and for the spatial view the α per
// location.
func TestSpectrumMatchesNumpy(t *testing.T) {
	x := readGolden(t, "spectrum_acts")
	for _, view := range []string{"full", "channel", "spatial"} {
		out, err := runSpectrum(t, Inputs{"x": x}, Params{"view": view, "ranks": stageRanks})
		if err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		want := readGolden(t, "spectrum_"+view).F64
		closeTo(t, view+" [alpha r2 ed]", []float64{f64(out, "alpha")[0], f64(out, "r2")[0], f64(out, "ed")[0]}, want[:3], 1e-10)
		closeTo(t, view+" eigenvalues", f64(out, "eigenvalues"), want[3:], 1e-10)
		if got := out["fit_range"].(*ndarray.Array).I64; got[0] != 2 || got[1] != 38 || f64(out, "n_points")[0] != 37 {
			t.Errorf("%s: fit_range %v, n_points %v; want [2 38], 37", view, got, f64(out, "n_points"))
		}
	}
	out, err := runSpectrum(t, Inputs{"x": x}, Params{"view": "spatial", "ranks": stageRanks})
	if err != nil {
		t.Fatal(err)
	}
	per := readGolden(t, "spectrum_alpha_per_location").F64
	closeTo(t, "alpha_per_location", f64(out, "alpha_per_location"), per, 1e-10)
	info := out["info"].(ndarray.Record)
	if c := info["alpha_center_location"].(float64); c != f64(out, "alpha_per_location")[4] || f64(out, "alpha_center")[0] != c {
		t.Errorf("centre location α %v (output %v), want location (1,1) = %v", c, f64(out, "alpha_center"), per[4])
	}
	got := f64(out, "alpha_per_location")
	sorted := slices.Sorted(slices.Values(got))
	if m := f64(out, "alpha_median")[0]; m != (sorted[(len(got)-1)/2]+sorted[len(got)/2])/2 || info["alpha_median_location"] != m {
		t.Errorf("alpha_median %v, want the median of %v", m, got)
	}
}

// Planted data from the load stage: every estimator recovers α (exactly,
// but for logbinned's small Jensen bias), ED equals that of k^-α,
// alpha_ranges equal α (a power law has the same α on every range), and
// the info record says what was done.
func TestSpectrumRecoversPlanted(t *testing.T) {
	for _, tc := range []struct {
		n, p  int
		route string
		r     int    // last usable rank: min(n-1, p)
		below string // the lower neighbour of the default range [11, r-2], rounded outward
	}{{400, 150, "direct", 150, "[5,78]"}, {150, 400, "gram", 149, "[5,77]"}} {
		x := loadPlantedX(t, Params{"n": tc.n, "p": tc.p, "alpha": 1.3, "seed": 4})
		for _, est := range spectral.Estimators {
			p := Params{"estimator": est, "n_bootstraps": 0}
			if spectral.RangedEstimator(est) {
				p["ranks"] = []int{5, 100} // neighbours [2, 48] and [10, r]
			}
			out, err := runSpectrum(t, Inputs{"x": x}, p)
			if err != nil {
				t.Fatalf("%s: %v", est, err)
			}
			tol := map[bool]float64{true: 1e-3, false: 1e-8}[est == "logbinned"]
			if a := f64(out, "alpha")[0]; !(math.Abs(a-1.3) <= tol) {
				t.Errorf("%d×%d %s: α = %.12f, want 1.3", tc.n, tc.p, est, a)
			}
			if ed, want := f64(out, "ed")[0], spectral.EffectiveDim(spectral.PowerLaw(1.3, tc.r)); math.Abs(ed-want) > 1e-10*want {
				t.Errorf("%d×%d: ED %.12f, want %.12f", tc.n, tc.p, ed, want)
			}
			ar := f64(out, "alpha_ranges")
			if spectral.RangedEstimator(est) && !(math.Abs(ar[0]-1.3) <= tol && math.Abs(ar[1]-1.3) <= tol) {
				t.Errorf("%d×%d %s: alpha_ranges %v, want 1.3 on both neighbours", tc.n, tc.p, est, ar)
			}
		}
		out, _ := runSpectrum(t, Inputs{"x": x}, Params{"n_bootstraps": 0})
		info := string(out["info"].(ndarray.Record).Canonical())
		for _, w := range []string{`"route":"` + tc.route + `"`, fmt.Sprintf(`"ranks":[11,%d]`, tc.r-2), `"estimator":"stringer"`,
			`"fit":"ok"`, `"n_bootstraps":0`, fmt.Sprintf(`"neighbour_ranges":[%s,[21,%d]]`, tc.below, tc.r)} {
			if !strings.Contains(info, w) {
				t.Errorf("info %s lacks %s", info, w)
			}
		}
		if ci := f64(out, "alpha_ci"); !math.IsNaN(ci[0]) || !math.IsNaN(ci[1]) || int(f64(out, "n_points")[0]) != tc.r-12 {
			t.Errorf("n_bootstraps 0: alpha_ci %v, n_points %v; want NaN, %d", ci, f64(out, "n_points"), tc.r-12)
		}
	}
}

// On an exact planted power law with many more samples than features,
// alpha_ci holds α and is narrow, every draw fitted. Where the fitted
// range runs past the ranks a resample can have (about 0.63·N distinct
// stimuli: N = 150, ranks 2..140), every draw is left out, though its
// shorter range would still fit: NaN, counted.
func TestSpectrumBootstrapPlanted(t *testing.T) {
	x := loadPlantedX(t, Params{"n": 2000, "p": 150, "alpha": 1.3, "seed": 4})
	out, err := runSpectrum(t, Inputs{"x": x}, Params{"ranks": []int{2, 60}, "n_bootstraps": 50})
	if err != nil {
		t.Fatal(err)
	}
	if ci, info := f64(out, "alpha_ci"), out["info"].(ndarray.Record); !(ci[0] <= 1.3 && 1.3 <= ci[1] && ci[1]-ci[0] < 0.05) || info["bootstrap_no_fit"] != 0 || info["alpha_in_ci"] != true {
		t.Errorf("alpha_ci %v, info %v: want a narrow interval around 1.3", ci, out["info"])
	}
	x = loadPlantedX(t, Params{"n": 150, "p": 400, "alpha": 1.3, "seed": 4})
	out, err = runSpectrum(t, Inputs{"x": x}, Params{"ranks": []int{2, 140}, "n_bootstraps": 30})
	if err != nil {
		t.Fatal(err)
	}
	if ci, info := f64(out, "alpha_ci"), out["info"].(ndarray.Record); !math.IsNaN(ci[0]) || !math.IsNaN(ci[1]) || info["bootstrap_no_fit"] != 30 || info["alpha_in_ci"] != nil {
		t.Errorf("ranks 2..140 of 150 stimuli: alpha_ci %v, info %v; want NaN, all 30 draws left out", ci, info)
	}
}

// White noise (a flat population spectrum) is where resampling biases the
// spectrum itself: a resample's duplicated stimuli spread its eigenvalues,
// so the draws' α lies above the estimate, and info.alpha_in_ci says so.
func TestSpectrumBootstrapFlagsBias(t *testing.T) {
	for _, shape := range [][2]int{{200, 2000}, {2000, 100}} {
		out, err := runSpectrum(t, Inputs{"x": gaussianSample(1, shape[0], shape[1], 0)}, Params{"ranks": []int{2, 60}, "n_bootstraps": 30})
		if err != nil {
			t.Fatal(err)
		}
		if a, ci := f64(out, "alpha")[0], f64(out, "alpha_ci"); !(a < ci[0]) || out["info"].(ndarray.Record)["alpha_in_ci"] != false {
			t.Errorf("%v: α %.4f, alpha_ci %v, alpha_in_ci %v; want the interval above α, flagged", shape, a, ci, out["info"].(ndarray.Record)["alpha_in_ci"])
		}
	}
}

// gaussianSample is n samples of p independent Gaussian features with
// variances k^-alpha: the population spectrum is an exact power law.
func gaussianSample(seed, n, p int, alpha float64) *ndarray.Array {
	rng := RNG("test-gaussian", seed)
	x := ndarray.NewF64(n, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			x.F64[i*p+j] = rng.NormFloat64() * math.Pow(float64(j+1), -alpha/2)
		}
	}
	return x
}

// On Gaussian samples (N = 1000, population α = 1 over 60 features,
// ranks 2..40, where the sample estimate is nearly unbiased) alpha_ci
// covers the population α in most of 20 independent samples, and its
// width matches the spread of α between samples (3.92 sd for a 95%
// interval) within a factor 1.5: the bootstrap measures the sampling
// error of α.
func TestSpectrumBootstrapCalibrated(t *testing.T) {
	covered := 0
	var alphas, widths []float64
	for seed := 0; seed < 20; seed++ {
		out, err := runSpectrum(t, Inputs{"x": gaussianSample(seed, 1000, 60, 1)}, Params{"ranks": []int{2, 40}, "seed": seed})
		if err != nil {
			t.Fatal(err)
		}
		ci := f64(out, "alpha_ci")
		if ci[0] <= 1 && 1 <= ci[1] {
			covered++
		}
		alphas, widths = append(alphas, f64(out, "alpha")[0]), append(widths, ci[1]-ci[0])
	}
	_, sd := meanSD(alphas)
	width, _ := meanSD(widths)
	if covered < 15 || width < 3.92*sd/1.5 || width > 3.92*sd*1.5 {
		t.Errorf("alpha_ci covers α = 1 in %d of 20 samples (want >= 15); mean width %.4f, 3.92 sd of α %.4f", covered, width, 3.92*sd)
	}
}

// Range sensitivity: on a planted spectrum with an exponential roll-off,
// α depends on the range, and alpha_ranges shows it; the neighbours are
// the fitted range shifted a quarter of its log-width (METHODS §1.2, §8.1).
func TestSpectrumRangeSensitivity(t *testing.T) {
	lam := spectral.PowerLaw(1, 300)
	for k := range lam {
		lam[k] *= math.Exp(-float64(k+1) / 80)
	}
	x := spectral.PlantedData(RNG("test-rolloff", 1), 400, 300, lam)
	out, err := runSpectrum(t, Inputs{"x": &ndarray.Array{Shape: []int{400, 300}, F64: x.RawMatrix().Data}}, Params{"n_bootstraps": 0})
	if err != nil {
		t.Fatal(err)
	}
	a, ar := f64(out, "alpha")[0], f64(out, "alpha_ranges")
	if !(ar[0] < a-0.2 && a+0.2 < ar[1]) {
		t.Errorf("α %.4f, alpha_ranges %v: want the lower range flatter and the upper steeper by > 0.2", a, ar)
	}
	nr := out["info"].(ndarray.Record)["neighbour_ranges"].([][]int)
	if fmt.Sprint(nr) != "[[4 131] [25 300]]" { // [11, 298]: (298/11)^¼ = 2.28, rounded outward, clipped at R = 300
		t.Errorf("neighbour_ranges %v", nr)
	}
}

// "No fit" is an answer, not an error (METHODS §1.2, §8.1): α, r², the CI
// and the range sensitivity are NaN and info.fit says why. The case of
// issue 10: a 32-channel layer with 9 dead channels, whose default range
// 11..21 holds 11 points inside 0.28 decades (stage version 4 reported
// α = 8.41, r² = 0.98 there); all-dead channels; a range past the
// spectrum.
func TestSpectrumNoFit(t *testing.T) {
	need := "need >= 10 points over >= 1 decade (the spectrum has %d values above 1e-12·λmax)"
	tests := []struct {
		name string
		x    *ndarray.Array
		p    Params
		want string
	}{
		{"dead channels", deadChannelActs(23), Params{"view": "channel"},
			"no fit: 11 usable ranks 11..21 span 0.28 decades; " + fmt.Sprintf(need, 23)},
		{"all dead", deadChannelActs(0), Params{"view": "channel"},
			"no fit: no usable ranks from rank 11 on; " + fmt.Sprintf(need, 0)},
		{"range past the spectrum", ndarray.NewF64(20, 30), Params{"ranks": []int{11, 15}},
			"no fit: no usable ranks in 11..15; " + fmt.Sprintf(need, 0)},
		{"dead channels, spatial", deadChannelActs(23), Params{"view": "spatial"},
			"no fit: 11 usable ranks 11..21 span 0.28 decades; " + fmt.Sprintf(need, 23)},
	}
	for _, tc := range tests {
		out, err := runSpectrum(t, Inputs{"x": tc.x}, tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		info := out["info"].(ndarray.Record)
		if info["fit"] != tc.want {
			t.Errorf("%s: info.fit %q\nwant %q", tc.name, info["fit"], tc.want)
		}
		for _, name := range []string{"alpha", "r2", "alpha_ci", "alpha_ranges"} {
			for _, v := range f64(out, name) {
				if !math.IsNaN(v) {
					t.Errorf("%s: %s = %v, want NaN", tc.name, name, f64(out, name))
				}
			}
		}
		if info["bootstrap_no_fit"] != defaultBootstraps || info["neighbour_ranges"] != nil {
			t.Errorf("%s: bootstrap_no_fit %v, neighbour_ranges %v", tc.name, info["bootstrap_no_fit"], info["neighbour_ranges"])
		}
	}
	out, err := runSpectrum(t, Inputs{"x": deadChannelActs(23)}, Params{"view": "spatial"})
	if err != nil {
		t.Fatal(err)
	}
	info := out["info"].(ndarray.Record)
	if info["locations_unfit"] != 4 || !math.IsNaN(f64(out, "alpha_median")[0]) || info["alpha_median_location"] != nil ||
		!strings.HasPrefix(info["location_no_fit"].(string), "location 0: no fit: ") {
		t.Errorf("spatial: locations_unfit %v, alpha_median %v, location_no_fit %q", info["locations_unfit"], f64(out, "alpha_median"), info["location_no_fit"])
	}
}

// deadChannelActs is 600×32×2×2 activations whose first live channels are
// independent with variances n^-1·exp(-(n/8)²) (a steep roll-off) and
// whose other channels are dead (exactly 0).
func deadChannelActs(live int) *ndarray.Array {
	rng := RNG("test-dead", 1)
	x := ndarray.NewF32(600, 32, 2, 2)
	for i := range x.F32 {
		if ch := (i / 4) % 32; ch < live {
			n := float64(ch + 1)
			x.F32[i] = float32(rng.NormFloat64() * math.Sqrt(math.Exp(-(n/8)*(n/8))/n))
		}
	}
	return x
}

// cvPCA through the stage: two identical exact repeats give λ to 1e-12
// and ED NaN (ED is for PCA eigenvalues only).
func TestSpectrumCvPCA(t *testing.T) {
	x := loadPlantedX(t, Params{"n": 120, "p": 90, "alpha": 1.0, "seed": 1})
	out, err := runSpectrum(t, Inputs{"x": x, "x2": x}, Params{"nshuff": 3, "seed": 9})
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "cvPCA", f64(out, "eigenvalues"), spectral.PowerLaw(1, 90), 1e-12)
	if !math.IsNaN(f64(out, "ed")[0]) || out["info"].(ndarray.Record)["cvpca"] != true {
		t.Errorf("ed %v, info %v", f64(out, "ed"), out["info"])
	}
}

// Dropping non-finite columns (full view) or channels (channel view)
// equals the spectrum of the data without them, and is counted.
func TestSpectrumDropNonfinite(t *testing.T) {
	x := readGolden(t, "spectrum_acts") // 60×40×3×3 float32
	bad := &ndarray.Array{Shape: x.Shape, F32: append([]float32{}, x.F32...)}
	bad.F32[(5*40+7)*9+4] = float32(math.NaN()) // sample 5, channel 7, location 4
	bad.F32[(9*40+30)*9+0] = float32(math.Inf(-1))
	for _, tc := range []struct {
		view    string
		dropped int
	}{{"full", 2}, {"channel", 2}} {
		got, err := runSpectrum(t, Inputs{"x": bad}, Params{"view": tc.view, "drop_nonfinite": true})
		if err != nil {
			t.Fatal(err)
		}
		byChannel := tc.view != "full"
		mask, err := spectral.Tensor{Shape: bad.Shape, F32: bad.F32}.NonfiniteFeatures(byChannel)
		if err != nil {
			t.Fatal(err)
		}
		clean, err := spectral.Tensor{Shape: x.Shape, F32: x.F32}.DropFeatures(mask, byChannel)
		if err != nil {
			t.Fatal(err)
		}
		want, err := runSpectrum(t, Inputs{"x": &ndarray.Array{Shape: clean.Shape, F32: clean.F32}}, Params{"view": tc.view})
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, tc.view, f64(got, "eigenvalues"), f64(want, "eigenvalues"), 0)
		if d := got["info"].(ndarray.Record)["dropped_columns"]; d != tc.dropped {
			t.Errorf("%s: dropped %v, want %d", tc.view, d, tc.dropped)
		}
	}
}

func TestSpectrumBadInput(t *testing.T) {
	nan := ndarray.NewF64(20, 30)
	nan.F64[3*30+4] = math.NaN()
	acts := ndarray.NewF32(20, 3, 2, 2)
	acts.F32[17] = float32(math.Inf(1))
	allNaN := ndarray.NewF64(5, 2)
	for i := range allNaN.F64 {
		allNaN.F64[i] = math.NaN()
	}
	tests := []struct {
		name string
		in   Inputs
		p    Params
		want string
	}{
		{"nan", Inputs{"x": nan}, nil, `input "x": element [3 4] is NaN; data must be finite, or set drop_nonfinite: true to drop the feature columns holding NaN/Inf`},
		{"inf in channel view", Inputs{"x": acts}, Params{"view": "channel"}, `input "x": element [1 1 0 1] is +Inf; data must be finite, or set drop_nonfinite: true to drop the channels holding NaN/Inf`},
		{"channel needs 4-d", Inputs{"x": ndarray.NewF64(20, 30)}, Params{"view": "channel"}, `input "x": param view=channel needs N×C×H×W activations, got float64[20 30]`},
		{"3-d", Inputs{"x": ndarray.NewF64(20, 3, 4)}, nil, `input "x": got float64[20 3 4]; want an N×F matrix or N×C×H×W activations`},
		{"one sample", Inputs{"x": ndarray.NewF64(1, 10)}, nil, `input "x": 1 sample(s) in float64[1 10]; want at least 2 rows (samples)`},
		{"ranks with elmoznino", Inputs{"x": ndarray.NewF64(20, 30)}, Params{"ranks": []int{1, 15}, "estimator": "elmoznino-tail"}, `param "ranks": estimator elmoznino-tail chooses its own ranks`},
		{"ranks reversed", Inputs{"x": ndarray.NewF64(20, 30)}, Params{"ranks": []int{15, 11}}, `param "ranks": [15, 11]: want lo < hi`},
		{"x2 shape", Inputs{"x": ndarray.NewF64(20, 30), "x2": ndarray.NewF64(20, 31)}, nil, `input "x2": shape [20 31] differs from input "x" [20 30]`},
		{"x2 view", Inputs{"x": acts, "x2": acts}, Params{"view": "spatial"}, `input "x2": cvPCA is computed in the full view only`},
		{"all dropped", Inputs{"x": allNaN}, Params{"drop_nonfinite": true}, `input "x": every one of the 2 feature columns holds NaN/Inf`},
	}
	for _, tc := range tests {
		_, err := runSpectrum(t, tc.in, tc.p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v\nwant %s", tc.name, err, tc.want)
		}
	}
}

// Same inputs, params and seed give the same bytes, whatever GOMAXPROCS,
// bootstrap draws included; another seed gives other draws.
func TestSpectrumDeterministic(t *testing.T) {
	x := readGolden(t, "spectrum_acts")
	cases := []struct {
		in Inputs
		p  Params
	}{
		{Inputs{"x": x}, Params{"view": "full", "ranks": stageRanks}},
		{Inputs{"x": x}, Params{"view": "channel", "ranks": stageRanks}},
		{Inputs{"x": x}, Params{"view": "spatial", "ranks": stageRanks, "n_bootstraps": 10}},
		{Inputs{"x": x, "x2": readGolden(t, "spectrum_acts")}, Params{"nshuff": 2, "seed": 3, "ranks": stageRanks, "n_bootstraps": 10}},
	}
	digest := func(c int, p Params) string {
		out, err := runSpectrum(t, cases[c].in, p)
		if err != nil {
			t.Fatal(err)
		}
		d := ""
		for _, name := range (spectrum{}).Outputs(spectrumParams(p)) {
			d += out[name].Digest().String()
		}
		return d
	}
	for c, tc := range cases {
		var digests []string
		for _, procs := range []int{1, 2, 1} {
			old := runtime.GOMAXPROCS(procs)
			digests = append(digests, digest(c, tc.p))
			runtime.GOMAXPROCS(old)
		}
		if digests[0] != digests[1] || digests[1] != digests[2] {
			t.Errorf("%v: outputs differ between runs", tc.p)
		}
		other := Params{"seed": 1}
		for k, v := range tc.p {
			if k != "seed" {
				other[k] = v
			}
		}
		a, b := runAlphaCI(t, tc.in, tc.p), runAlphaCI(t, tc.in, other)
		if a == b {
			t.Errorf("%v: alpha_ci %v with seed 1 too", tc.p, a)
		}
	}
}

// runAlphaCI is the stage's alpha_ci, printed.
func runAlphaCI(t *testing.T, in Inputs, p Params) string {
	out, err := runSpectrum(t, in, p)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(f64(out, "alpha_ci"))
}

func benchSpectrum(b *testing.B, n, p int) {
	x := ndarray.NewF64(n, p)
	rng := RNG("bench", 1)
	for i := range x.F64 {
		x.F64[i] = rng.NormFloat64()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := runSpectrum(b, Inputs{"x": x}, Params{"n_bootstraps": 0}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpectrumFull is the full view (eigenvalues, stringer fit, ED)
// of float64 Gaussian data, without alpha_ci's draws (n_bootstraps 0:
// numpy has none); bench/numpy_spectrum.py does the same in numpy.
func BenchmarkSpectrumFull(b *testing.B) {
	b.Run("2000x8000", func(b *testing.B) { benchSpectrum(b, 2000, 8000) })
	b.Run("5000x4000", func(b *testing.B) { benchSpectrum(b, 5000, 4000) })
}

// BenchmarkSpectrumBootstrap is the cost of alpha_ci at the sizes of
// defaultBootstraps (float32 Gaussian data with varied means, ranks 2..150):
// the channel view of 2000×192×28×28 and the full view of 2000×100k, with
// 0 and 100 draws. Several GB and minutes: run it alone.
func BenchmarkSpectrumBootstrap(b *testing.B) {
	for _, tc := range []struct {
		view  string
		shape []int
	}{{"channel", []int{2000, 192, 28, 28}}, {"full", []int{2000, 100000}}} {
		x := ndarray.NewF32(tc.shape...)
		rng := RNG("bench", 1)
		for i := range x.F32 {
			x.F32[i] = float32(rng.NormFloat64()) + float32(i%7)
		}
		for _, nb := range []int{0, defaultBootstraps} {
			b.Run(fmt.Sprintf("%s/draws=%d", tc.view, nb), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := runSpectrum(b, Inputs{"x": x}, Params{"view": tc.view, "ranks": []int{2, 150}, "n_bootstraps": nb}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// randomActs returns N×C×H×W Gaussian activations with location-dependent
// means (so between-location terms are not zero); reduce_test uses it too.
func randomActs(n, c, h, w int) *ndarray.Array {
	rng := RNG("test", 34)
	a := ndarray.NewF64(n, c, h, w)
	for i := range a.F64 {
		a.F64[i] = rng.NormFloat64() + float64(i%(h*w))*0.3
	}
	return a
}

// With groups, alpha_ci resamples whole groups: on data whose groups are
// r exact copies of one row, the cluster bootstrap draws the same groups
// as the row bootstrap of the unique rows draws rows (one stream), and α
// does not depend on the covariance's scale, so the two CIs agree; the
// row bootstrap of the copies, which ignores the groups, is narrower.
func TestSpectrumGroupBootstrap(t *testing.T) {
	const n, p, r = 80, 30, 4
	unique := gaussianSample(3, n, p, 1)
	copies := ndarray.NewF64(n*r, p)
	groups := &ndarray.Array{Shape: []int{n * r}, I64: make([]int64, n*r)}
	for i := 0; i < n*r; i++ {
		copy(copies.F64[i*p:(i+1)*p], unique.F64[(i/r)*p:(i/r+1)*p])
		groups.I64[i] = int64(i / r)
	}
	params := Params{"ranks": []int{2, 20}, "n_bootstraps": 50}
	run := func(in Inputs) Outputs {
		out, err := runSpectrum(t, in, params)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := f64(run(Inputs{"x": unique}), "alpha_ci")
	grouped := run(Inputs{"x": copies, "groups": groups})
	closeTo(t, "alpha_ci of the copies resampled by group", f64(grouped, "alpha_ci"), want, 1e-9)
	if info := grouped["info"].(ndarray.Record); info["bootstrap"] != "groups" || info["n_groups"] != n {
		t.Errorf("info bootstrap %v, n_groups %v; want groups, %d", info["bootstrap"], info["n_groups"], n)
	}
	rows := f64(run(Inputs{"x": copies}), "alpha_ci")
	if rows[1]-rows[0] >= (want[1]-want[0])*0.8 {
		t.Errorf("row bootstrap of the copies %v is not narrower than the group bootstrap %v", rows, want)
	}
	one := &ndarray.Array{Shape: []int{n * r}, I64: make([]int64, n*r)}
	if _, err := runSpectrum(t, Inputs{"x": copies, "groups": one}, params); err == nil || !strings.Contains(err.Error(), "1 distinct group(s)") {
		t.Errorf("one group: err %v, want the distinct-group error", err)
	}
}
