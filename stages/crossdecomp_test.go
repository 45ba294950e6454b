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
	"github.com/eigenlab/eigenlab/stages/decomp"
	"gonum.org/v1/gonum/floats"
)

// decompGolden reads a golden of stages/decomp (made by its
// testdata/make_goldens.py).
func decompGolden(t testing.TB, name string) *ndarray.Array {
	t.Helper()
	a, err := ndarray.ReadNPYFile(filepath.Join("decomp", "testdata", name+".npy"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

// crossParams fills the schema defaults under p.
func crossParams(p Params) Params {
	return withDefaults(crossdecomp{}, p)
}

func runCross(t testing.TB, in Inputs, p Params) (Outputs, error) {
	t.Helper()
	return crossdecomp{}.Run(context.Background(), nil, in, crossParams(p))
}

func closeRel(t testing.TB, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*scale {
			t.Fatalf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

// The stage's per-fold spectra, train σ and fold mean equal sklearn
// PLSSVD(scale=False) on numpy's fold labels (§3.8) for every metric,
// shape and route (correlation: np.corrcoef per component;
// correlation-uncentered: the paper code's form); n_components defaults to
// all of the smallest fold.
func TestCrossdecompMatchesSklearnPLSSVD(t *testing.T) {
	metrics := map[string]Params{
		"spec":           {},
		"corr":           {"metric": "correlation"},
		"corruncentered": {"metric": "correlation-uncentered"},
		"recentered":     {"recenter_test": true, "normalize": false},
	}
	for _, c := range []string{"tall", "wide", "widexy", "pca", "pcawide"} {
		in := Inputs{"x": decompGolden(t, "cross_"+c+"_x"), "y": decompGolden(t, "cross_"+c+"_y"), "folds": decompGolden(t, "cross_"+c+"_folds")}
		for golden, p := range metrics {
			for _, route := range []string{"auto", "direct", "gram"} {
				p["route"] = route
				out, err := runCross(t, in, p)
				if err != nil {
					t.Fatal(err)
				}
				want := decompGolden(t, "cross_"+c+"_"+golden)
				what := c + " " + golden + " " + route
				closeRel(t, what+" spectrum_folds", out["spectrum_folds"].(*ndarray.Array).F64, want.F64, 1e-10)
				closeRel(t, what+" spectrum", out["spectrum"].(*ndarray.Array).F64, meanRows(want).F64, 1e-10)
				closeRel(t, what+" train_sigma", out["train_sigma"].(*ndarray.Array).F64, meanRows(decompGolden(t, "cross_"+c+"_sigma")).F64, 1e-10)
			}
		}
	}
}

// binned is, per geometric bin of §3.6, the centre and the mean and sd
// (ddof 1) over folds of the fold's bin means.
func TestCrossdecompBinned(t *testing.T) {
	in := Inputs{"x": decompGolden(t, "cross_widexy_x"), "y": decompGolden(t, "cross_widexy_y"), "folds": decompGolden(t, "cross_widexy_folds")}
	out, err := runCross(t, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	folds := decompGolden(t, "cross_widexy_spec")
	nf, k := folds.Shape[0], folds.Shape[1] // 4 folds, K = 35: bins 0..5
	b := decomp.NewBins(3)
	binned := out["binned"].(*ndarray.Array)
	if binned.Shape[0] != b.Of(k)+1 || binned.Shape[1] != 3 {
		t.Fatalf("binned shape %v, want [%d 3]", binned.Shape, b.Of(k)+1)
	}
	for bin := 0; bin < binned.Shape[0]; bin++ {
		var perFold []float64
		for f := 0; f < nf; f++ {
			s, c := 0.0, 0
			for r := 1; r <= k; r++ {
				if b.Of(r) == bin {
					s, c = s+folds.F64[f*k+r-1], c+1
				}
			}
			perFold = append(perFold, s/float64(c))
		}
		m, sd := meanSD(perFold)
		closeRel(t, "binned row", binned.F64[bin*3:bin*3+3], []float64{b.Centres[bin], m, sd}, 1e-10)
	}
}

// Swapping x and y leaves the spectrum unchanged (§3.10).
func TestCrossdecompSymmetric(t *testing.T) {
	x, y, f := decompGolden(t, "cross_wide_x"), decompGolden(t, "cross_wide_y"), decompGolden(t, "cross_wide_folds")
	a, err1 := runCross(t, Inputs{"x": x, "y": y, "folds": f}, nil)
	b, err2 := runCross(t, Inputs{"x": y, "y": x, "folds": f}, nil)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	closeRel(t, "spectrum after swapping x and y", b["spectrum"].(*ndarray.Array).F64, a["spectrum"].(*ndarray.Array).F64, 1e-10)
}

// The null and bootstrap tables: one row per used bin with the bin's
// centre; quantiles ordered; the leading bin far above its null and inside
// its bootstrap interval; the same bytes whatever GOMAXPROCS.
func TestCrossdecompNullAndBootstrap(t *testing.T) {
	in := Inputs{"x": decompGolden(t, "cross_tall_x"), "y": decompGolden(t, "cross_tall_y")}
	p := Params{"n_folds": 4, "n_permutations": 300, "n_bootstraps": 200, "seed": 5}
	var digests []string
	var out Outputs
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		o, err := runCross(t, in, p)
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		d := ""
		for _, name := range (crossdecomp{}).Outputs(crossParams(p)) {
			d += o[name].Digest().String()
		}
		digests, out = append(digests, d), o
	}
	if digests[0] != digests[1] {
		t.Error("outputs differ between GOMAXPROCS 1 and 2")
	}
	binned, null, boot := out["binned"].(*ndarray.Array), out["null_quantiles"].(*ndarray.Array), out["bootstrap_ci"].(*ndarray.Array)
	if null.Shape[0] != binned.Shape[0] || null.Shape[1] != 5 || boot.Shape[0] != binned.Shape[0] || boot.Shape[1] != 4 {
		t.Fatalf("null %v, bootstrap %v for %v bins", null.Shape, boot.Shape, binned.Shape)
	}
	for i := 0; i < binned.Shape[0]; i++ {
		q := null.F64[i*5 : i*5+5]
		if q[0] != binned.F64[i*3] || boot.F64[i*4] != binned.F64[i*3] || !(q[1] <= q[2] && q[2] <= q[4] && q[4] <= q[3]) {
			t.Errorf("bin %d: null row %v, bootstrap row %v, binned centre %v", i, q, boot.F64[i*4:i*4+4], binned.F64[i*3])
		}
	}
	if m := binned.F64[1]; m <= null.F64[3] || m < boot.F64[2] || m > boot.F64[3] {
		t.Errorf("leading bin %.4g: 99.7%% null %.4g, bootstrap [%.4g, %.4g]", m, null.F64[3], boot.F64[2], boot.F64[3])
	}
}

// Go's default folds follow §3.4: ⌊n/k⌋ rows per fold, the remainder to
// fold 0, and they change with the seed.
func TestCrossdecompDefaultFolds(t *testing.T) {
	count := func(seed int) ([]int, []int) {
		labels := decomp.FoldLabels(RNG("crossdecomp-folds", seed), 70, 8)
		c := make([]int, 8)
		for _, l := range labels {
			c[l]++
		}
		return c, labels
	}
	c, a := count(0)
	if c[0] != 14 || c[1] != 8 || c[7] != 8 {
		t.Errorf("fold sizes %v, want 14 then 8s", c)
	}
	if _, b := count(1); slices.Equal(a, b) {
		t.Error("seed 0 and 1 give the same folds")
	}
}

func TestCrossdecompBadInput(t *testing.T) {
	x := decompGolden(t, "cross_tall_x") // 80×30
	short := ndarray.NewF64(10, 3)
	nan := ndarray.NewF64(80, 2)
	nan.F64[5] = math.NaN()
	labels := func(v ...int) *ndarray.Array { return ndarray.Ints(v...) }
	twoFolds := make([]int, 80)
	twoFolds[0] = 1
	tests := []struct {
		in   Inputs
		p    Params
		want string
	}{
		{Inputs{"x": x, "y": short}, nil, `inputs "x" and "y" must have one row per stimulus in the same order: x has 80 rows, y has 10`},
		{Inputs{"x": x, "y": nan}, nil, `input "y": element 5 (row 2, column 1) is NaN`},
		{Inputs{"x": short, "y": short}, Params{"n_folds": 8}, `param "n_folds": 8 folds need at least 16 samples (2 per test fold), x has 10`},
		{Inputs{"x": x, "y": x}, Params{"n_folds": 4, "n_components": 31}, `param "n_components": 31 exceeds min(n_train-1, dX, dY) = min(59, 30, 30) in fold 0`},
		{Inputs{"x": x, "y": x, "folds": labels(0, 1)}, nil, `input "folds": want 80 integer labels (one per row of x), got int64[2]`},
		{Inputs{"x": x, "y": x, "folds": ndarray.Ints(append([]int{-1}, make([]int, 79)...)...)}, nil, `input "folds": label -1 at row 0; want integers 0..n_folds-1`},
		{Inputs{"x": x, "y": x, "folds": ndarray.Ints(twoFolds...)}, nil, `input "folds": fold 0 has 79 test and 1 train rows; want at least 2 of each in every fold 0..1`},
		{Inputs{"x": &ndarray.Array{Shape: []int{80}, F64: make([]float64, 80)}, "y": x}, nil, `input "x": want N×d (samples × features), got float64[80]`},
		{Inputs{"x": x, "y": x, "folds": ndarray.Ints(make([]int, 80)...), "groups": ndarray.Ints(make([]int, 80)...)}, nil, `inputs "folds" and "groups" are both given: remove "folds" to make group k-fold folds from the groups, or remove "groups" to use the supplied fold labels as they are`},
		{Inputs{"x": x, "y": x, "groups": labels(0, 1)}, nil, `input "groups": want 80 integer group labels (one per row of x), got int64[2]`},
		{Inputs{"x": x, "y": x, "groups": floatGroups(80, 3, 1.5)}, nil, `input "groups": value 1.5 at row 3 is not an integer; want one integer group label per row of x (int64, or floats with integer values)`},
		{Inputs{"x": x, "y": x, "groups": floatGroups(80, 7, math.NaN())}, nil, `input "groups": value NaN at row 7 is not an integer`},
		{Inputs{"x": x, "y": x, "groups": floatGroups(80, 0, 2)}, Params{"n_folds": 4}, `input "groups" with param "n_folds" = 4: 3 distinct groups cannot fill 4 folds (each fold needs at least one group); lower n_folds to at most 3 or pass finer groups`},
		{Inputs{"x": x, "y": x, "groups": ndarray.Ints(twoFolds...)}, Params{"n_folds": 2}, `input "groups": fold 0 has 79 test and 1 train rows; want at least 2 of each in every fold 0..1`},
		{Inputs{"x": x, "y": x}, Params{"metric": "correlation-uncentered", "recenter_test": true}, `param "recenter_test": true would turn metric correlation-uncentered into the centered Pearson r; use metric: correlation for that, or drop recenter_test`},
	}
	for _, tc := range tests {
		_, err := runCross(t, tc.in, tc.p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %s", err, tc.want)
		}
	}
}

// BenchmarkCrossdecomp is the whole 8-fold stage on float64 Gaussian data
// (the LCG bench/numpy_crossdecomp.py regenerates): 5000×4000 against
// 5000×1000, the direct route, K = 1000.
func BenchmarkCrossdecomp5000x4000vs5000x1000(b *testing.B) {
	x, y := lcgArray(5000, 4000, 1), lcgArray(5000, 1000, 2)
	for b.Loop() {
		if _, err := runCross(b, Inputs{"x": x, "y": y}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// lcgArray fills an n×d float64 array with the 64-bit LCG stream (seeded
// by seed) mapped to [−1, 1), as bench/numpy_crossdecomp.py does.
func lcgArray(n, d int, seed uint64) *ndarray.Array {
	a := ndarray.NewF64(n, d)
	s := seed
	for i := range a.F64 {
		s = s*6364136223846793005 + 1442695040888963407
		a.F64[i] = float64(s>>11)/float64(1<<53)*2 - 1
	}
	return a
}

// With three planted shared latent dimensions (and independent noise in
// every feature), dims_above_null is 3, and total is the sum of spectrum.
func TestCrossdecompDimsAboveNull(t *testing.T) {
	const n, dx, dy = 400, 20, 15
	rng := RNG("test-shared-dims", 1)
	x, y := ndarray.NewF64(n, dx), ndarray.NewF64(n, dy)
	strength := []float64{3, 2, 1.5}
	z := make([]float64, n*len(strength))
	for i := range z {
		z[i] = rng.NormFloat64() * strength[i%len(strength)]
	}
	for _, side := range []struct {
		a *ndarray.Array
		d int
	}{{x, dx}, {y, dy}} {
		for i := 0; i < n; i++ {
			for j := 0; j < side.d; j++ {
				v := rng.NormFloat64()
				if j < len(strength) {
					v += z[i*len(strength)+j]
				}
				side.a.F64[i*side.d+j] = v
			}
		}
	}
	out, err := runCross(t, Inputs{"x": x, "y": y}, Params{"n_permutations": 500, "seed": 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["dims_above_null"].(*ndarray.Array).F64[0]; got != 3 {
		t.Errorf("dims_above_null = %v, want the 3 planted shared dimensions", got)
	}
	spec := out["spectrum"].(*ndarray.Array).F64
	if got, want := out["total"].(*ndarray.Array).F64[0], floats.Sum(spec); got != want {
		t.Errorf("total = %v, want sum of spectrum %v", got, want)
	}
}

// floatGroups is n float64 group labels i%3 (three groups), with v at row.
func floatGroups(n, row int, v float64) *ndarray.Array {
	a := ndarray.NewF64(n)
	for i := range a.F64 {
		a.F64[i] = float64(i % 3)
	}
	a.F64[row] = v
	return a
}

// total_folds is each fold's summed spectrum and total_ci the 95%
// t-interval of their mean over folds, as scipy.stats.t gives it
// (make_goldens.py), for every golden shape.
func TestCrossdecompTotalCI(t *testing.T) {
	for _, c := range []string{"tall", "wide", "widexy", "pca", "pcawide"} {
		in := Inputs{"x": decompGolden(t, "cross_"+c+"_x"), "y": decompGolden(t, "cross_"+c+"_y"), "folds": decompGolden(t, "cross_"+c+"_folds")}
		out, err := runCross(t, in, nil)
		if err != nil {
			t.Fatal(err)
		}
		spec := decompGolden(t, "cross_"+c+"_spec")
		nf, k := spec.Shape[0], spec.Shape[1]
		sums := make([]float64, nf)
		for f := range sums {
			sums[f] = floats.Sum(spec.F64[f*k : (f+1)*k])
		}
		closeRel(t, c+" total_folds", out["total_folds"].(*ndarray.Array).F64, sums, 1e-10)
		closeRel(t, c+" total_ci", out["total_ci"].(*ndarray.Array).F64, decompGolden(t, "cross_"+c+"_total_ci").F64, 1e-10)
		if info := out["info"].(ndarray.Record); info["folds"] != "supplied" || info["n_groups"] != nil {
			t.Errorf("%s: info folds %v, n_groups %v; want supplied and no n_groups", c, info["folds"], info["n_groups"])
		}
	}
}

// With the groups input the folds are sklearn GroupKFold's (the decomp
// goldens): every output equals a run given those fold labels, for int64
// groups and for the same labels as integer-valued floats; info says
// grouped with the number of groups.
func TestCrossdecompGroupsAreGroupKFold(t *testing.T) {
	groups := decompGolden(t, "groups_mixed")
	n := groups.Len()
	rng := RNG("test-groups", 0)
	x, y := ndarray.NewF64(n, 12), ndarray.NewF64(n, 9)
	for _, a := range []*ndarray.Array{x, y} {
		for i := range a.F64 {
			a.F64[i] = rng.NormFloat64()
		}
	}
	asFloat := ndarray.NewF64(n)
	for i, g := range groups.I64 {
		asFloat.F64[i] = float64(g)
	}
	for _, k := range []int{3, 5, 8} {
		p := Params{"n_folds": k, "metric": "correlation"}
		want, err := runCross(t, Inputs{"x": x, "y": y, "folds": decompGolden(t, fmt.Sprintf("groupkfold_mixed_k%d", k))}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range []*ndarray.Array{groups, asFloat} {
			got, err := runCross(t, Inputs{"x": x, "y": y, "groups": g}, p)
			if err != nil {
				t.Fatal(err)
			}
			for name, a := range want {
				if name != "info" && got[name].Digest() != a.Digest() {
					t.Errorf("k=%d %s groups: output %s differs from the run on GroupKFold's folds", k, g.DType(), name)
				}
			}
			if info := got["info"].(ndarray.Record); info["folds"] != "grouped" || info["n_groups"] != 60 || info["n_folds"] != k {
				t.Errorf("k=%d: info %v; want folds grouped, n_groups 60, n_folds %d", k, info, k)
			}
		}
	}
}

// Pearson means Pearson at the stage: with one group per fold (every test
// fold's mean far from the train mean) each per-fold correlation lies in
// [-1, 1], while the parity form correlation-uncentered exceeds 1 there.
func TestCrossdecompCorrelationWithShiftedTestMean(t *testing.T) {
	const groups, m, d = 4, 30, 6
	rng := RNG("test-shifted-mean", 0)
	x, y, g := ndarray.NewF64(groups*m, d), ndarray.NewF64(groups*m, d), ndarray.Ints(make([]int, groups*m)...)
	for i := 0; i < groups*m; i++ {
		g.I64[i] = int64(i / m)
		shift := 3 * float64(i/m) // the group's latent level
		z := shift + 0.3*rng.NormFloat64()
		for c := 0; c < d; c++ {
			x.F64[i*d+c] = z*float64(c+1)/d + 0.1*rng.NormFloat64()
			y.F64[i*d+c] = z*float64(d-c)/d + 0.1*rng.NormFloat64()
		}
	}
	in := Inputs{"x": x, "y": y, "groups": g}
	out, err := runCross(t, in, Params{"n_folds": groups, "metric": "correlation"})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out["spectrum_folds"].(*ndarray.Array).F64 {
		if v < -1 || v > 1 {
			t.Fatalf("correlation spectrum_folds[%d] = %v, outside [-1, 1]", i, v)
		}
	}
	old, err := runCross(t, in, Params{"n_folds": groups, "metric": "correlation-uncentered"})
	if err != nil {
		t.Fatal(err)
	}
	if top := floats.Max(old["spectrum_folds"].(*ndarray.Array).F64); top <= 1 {
		t.Errorf("correlation-uncentered: largest per-fold value %v; want > 1 with shifted test means", top)
	}
}

// covariance_total gives, from the correlation fit, exactly the outputs a
// second crossdecomp with metric covariance computes from the same folds.
func TestCrossdecompCovarianceTotal(t *testing.T) {
	x, y := lcgArray(60, 8, 3), lcgArray(60, 5, 4)
	both, err := runCross(t, Inputs{"x": x, "y": y}, Params{"metric": "correlation", "covariance_total": true})
	if err != nil {
		t.Fatal(err)
	}
	cov, err := runCross(t, Inputs{"x": x, "y": y}, Params{"metric": "covariance"})
	if err != nil {
		t.Fatal(err)
	}
	for extra, name := range map[string]string{"spectrum_covariance": "spectrum", "total_covariance": "total",
		"total_covariance_folds": "total_folds", "total_covariance_ci": "total_ci"} {
		if got, ok := both[extra]; !ok || got.Digest() != cov[name].Digest() {
			t.Errorf("%s differs from a covariance run's %s", extra, name)
		}
	}
	if err := (crossdecomp{}).Validate(crossParams(Params{"metric": "covariance", "covariance_total": true})); err == nil || !strings.Contains(err.Error(), `"covariance_total"`) {
		t.Errorf("covariance_total with metric covariance: err %v, want one naming the param", err)
	}
}
