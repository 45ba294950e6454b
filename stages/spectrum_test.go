package stages

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/stages/spectral"
)

// spectrumParams returns the stage's defaults overridden by p.
func spectrumParams(p Params) Params {
	full := Params{}
	for _, s := range (spectrum{}).Params() {
		if s.Default != nil {
			full[s.Name] = s.Default
		}
	}
	for k, v := range p {
		full[k] = v
	}
	return full
}

func runSpectrum(t testing.TB, in Inputs, p Params) (Outputs, error) {
	t.Helper()
	full := spectrumParams(p)
	if err := (spectrum{}).Validate(full); err != nil {
		return nil, err
	}
	return spectrum{}.Run(context.Background(), in, full)
}

func readGolden(t *testing.T, name string) *Array {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := ReadNPY(f)
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

func f64(o Outputs, name string) []float64 { return o[name].(*Array).F64 }

// The stage's outputs for every view equal the numpy computation of
// make_goldens.py (float32 ReLU activations, 60×40×3×3): eigenvalues, the
// stringer α and r², ED, and for the spatial view the α per location.
func TestSpectrumMatchesNumpy(t *testing.T) {
	x := readGolden(t, "spectrum_acts")
	for _, view := range []string{"full", "channel", "spatial"} {
		out, err := runSpectrum(t, Inputs{"x": x}, Params{"view": view})
		if err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		want := readGolden(t, "spectrum_"+view).F64
		closeTo(t, view+" [alpha r2 ed]", []float64{f64(out, "alpha")[0], f64(out, "r2")[0], f64(out, "ed")[0]}, want[:3], 1e-10)
		closeTo(t, view+" eigenvalues", f64(out, "eigenvalues"), want[3:], 1e-10)
		if got := out["fit_range"].(*Array).I64; got[0] != 11 || int(got[1]) != len(want)-3-2 {
			t.Errorf("%s: fit_range %v, want [11, R-2]", view, got)
		}
	}
	out, err := runSpectrum(t, Inputs{"x": x}, Params{"view": "spatial"})
	if err != nil {
		t.Fatal(err)
	}
	per := readGolden(t, "spectrum_alpha_per_location").F64
	closeTo(t, "alpha_per_location", f64(out, "alpha_per_location"), per, 1e-10)
	info := out["info"].(Record)
	if c := info["alpha_center_location"].(float64); c != f64(out, "alpha_per_location")[4] || f64(out, "alpha_center")[0] != c {
		t.Errorf("centre location α %v (output %v), want location (1,1) = %v", c, f64(out, "alpha_center"), per[4])
	}
	got := f64(out, "alpha_per_location")
	sorted := slices.Sorted(slices.Values(got))
	if m := f64(out, "alpha_median")[0]; m != (sorted[(len(got)-1)/2]+sorted[len(got)/2])/2 || info["alpha_median_location"] != m {
		t.Errorf("alpha_median %v, want the median of %v", m, got)
	}
}

// Planted data from the load stage: every estimator recovers α to 1e-8,
// ED equals that of k^-α, and the info record says what was done.
func TestSpectrumRecoversPlanted(t *testing.T) {
	for _, shape := range [][2]int{{400, 150}, {150, 400}} {
		x := loadPlantedX(t, Params{"n": shape[0], "p": shape[1], "alpha": 1.3, "seed": 4})
		k := min(shape[0]-1, shape[1])
		for _, est := range spectral.Estimators {
			out, err := runSpectrum(t, Inputs{"x": x}, Params{"estimator": est})
			if err != nil {
				t.Fatalf("%s: %v", est, err)
			}
			if a := f64(out, "alpha")[0]; math.Abs(a-1.3) > 1e-8 {
				t.Errorf("%v %s: α = %.12f, want 1.3", shape, est, a)
			}
			if ed, want := f64(out, "ed")[0], spectral.EffectiveDim(spectral.PowerLaw(1.3, k)); math.Abs(ed-want) > 1e-10*want {
				t.Errorf("%v: ED %.12f, want %.12f", shape, ed, want)
			}
		}
		out, _ := runSpectrum(t, Inputs{"x": x}, nil)
		info := string(out["info"].(Record).Canonical())
		want := map[bool]string{true: `"route":"gram"`, false: `"route":"direct"`}[shape[1] > shape[0]]
		if !strings.Contains(info, want) || !strings.Contains(info, `"ranks":[11,`) || !strings.Contains(info, `"estimator":"stringer"`) {
			t.Errorf("info %s", info)
		}
	}
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
	if !math.IsNaN(f64(out, "ed")[0]) || out["info"].(Record)["cvpca"] != true {
		t.Errorf("ed %v, info %v", f64(out, "ed"), out["info"])
	}
}

// Dropping non-finite columns (full view) or channels (channel view)
// equals the spectrum of the data without them, and is counted.
func TestSpectrumDropNonfinite(t *testing.T) {
	x := readGolden(t, "spectrum_acts") // 60×40×3×3 float32
	bad := &Array{Shape: x.Shape, F32: append([]float32{}, x.F32...)}
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
		want, err := runSpectrum(t, Inputs{"x": &Array{Shape: clean.Shape, F32: clean.F32}}, Params{"view": tc.view})
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, tc.view, f64(got, "eigenvalues"), f64(want, "eigenvalues"), 0)
		if d := got["info"].(Record)["dropped_columns"]; d != tc.dropped {
			t.Errorf("%s: dropped %v, want %d", tc.view, d, tc.dropped)
		}
	}
}

func TestSpectrumBadInput(t *testing.T) {
	nan := NewF64(20, 30)
	nan.F64[3*30+4] = math.NaN()
	acts := NewF32(20, 3, 2, 2)
	acts.F32[17] = float32(math.Inf(1))
	allNaN := NewF64(5, 2)
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
		{"channel needs 4-d", Inputs{"x": NewF64(20, 30)}, Params{"view": "channel"}, `input "x": param view=channel needs N×C×H×W activations, got float64[20 30]`},
		{"3-d", Inputs{"x": NewF64(20, 3, 4)}, nil, `input "x": got float64[20 3 4]; want an N×F matrix or N×C×H×W activations`},
		{"one sample", Inputs{"x": NewF64(1, 10)}, nil, `input "x": 1 sample(s) in float64[1 10]; want at least 2 rows (samples)`},
		{"range too short", Inputs{"x": NewF64(20, 30)}, Params{"ranks": []int{11, 15}}, `param "ranks": estimator stringer: only 0 usable points in ranks 11..0 (the spectrum has 0 usable values)`},
		{"ranks with elmoznino", Inputs{"x": NewF64(20, 30)}, Params{"ranks": []int{1, 15}, "estimator": "elmoznino-tail"}, `param "ranks": estimator elmoznino-tail chooses its own ranks`},
		{"ranks reversed", Inputs{"x": NewF64(20, 30)}, Params{"ranks": []int{15, 11}}, `param "ranks": [15, 11]: want lo < hi`},
		{"x2 shape", Inputs{"x": NewF64(20, 30), "x2": NewF64(20, 31)}, nil, `input "x2": shape [20 31] differs from input "x" [20 30]`},
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

// Same inputs, params and seed give the same bytes, whatever GOMAXPROCS.
func TestSpectrumDeterministic(t *testing.T) {
	x := readGolden(t, "spectrum_acts")
	cases := []struct {
		in Inputs
		p  Params
	}{
		{Inputs{"x": x}, Params{"view": "full"}},
		{Inputs{"x": x}, Params{"view": "channel"}},
		{Inputs{"x": x}, Params{"view": "spatial"}},
		{Inputs{"x": x, "x2": readGolden(t, "spectrum_acts")}, Params{"nshuff": 2, "seed": 3}},
	}
	for _, c := range cases {
		var digests []string
		for _, procs := range []int{1, 2, 1} {
			old := runtime.GOMAXPROCS(procs)
			out, err := runSpectrum(t, c.in, c.p)
			runtime.GOMAXPROCS(old)
			if err != nil {
				t.Fatal(err)
			}
			d := ""
			for _, name := range (spectrum{}).Outputs(spectrumParams(c.p)) {
				d += out[name].Digest().String()
			}
			digests = append(digests, d)
		}
		if digests[0] != digests[1] || digests[1] != digests[2] {
			t.Errorf("%v: outputs differ between runs", c.p)
		}
	}
}

func benchSpectrum(b *testing.B, n, p int) {
	x := NewF64(n, p)
	rng := RNG("bench", 1)
	for i := range x.F64 {
		x.F64[i] = rng.NormFloat64()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := runSpectrum(b, Inputs{"x": x}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpectrumFull is the full view (eigenvalues, stringer fit, ED)
// of float64 Gaussian data; bench/numpy_spectrum.py does the same in numpy.
func BenchmarkSpectrumFull(b *testing.B) {
	b.Run("2000x8000", func(b *testing.B) { benchSpectrum(b, 2000, 8000) })
	b.Run("5000x4000", func(b *testing.B) { benchSpectrum(b, 5000, 4000) })
}

// randomActs returns N×C×H×W Gaussian activations with location-dependent
// means (so between-location terms are not zero); reduce_test uses it too.
func randomActs(n, c, h, w int) *Array {
	rng := RNG("test", 34)
	a := NewF64(n, c, h, w)
	for i := range a.F64 {
		a.F64[i] = rng.NormFloat64() + float64(i%(h*w))*0.3
	}
	return a
}
