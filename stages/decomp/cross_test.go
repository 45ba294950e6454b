package decomp_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// crossCases are the golden shapes: n ≫ p (direct), p ≫ n on x (Gram on
// x), both wide (Gram on x and y), and the PCA case X = Y for p < n and
// p ≫ n (the Gram PCA route).
var crossCases = []struct {
	name  string
	same  bool
	route string // what RouteAuto must choose
}{
	{"tall", false, "direct"}, {"wide", false, "gram"}, {"widexy", false, "gram-xy"},
	{"pca", true, "direct"}, {"pcawide", true, "gram"},
}

func pick(m *mat.Dense, rows []int) *mat.Dense {
	_, c := m.Dims()
	out := mat.NewDense(len(rows), c, nil)
	for i, r := range rows {
		out.SetRow(i, m.RawRowView(r))
	}
	return out
}

// crossFolds fits every golden fold with the given route (FitFolds on
// numpy's labels) and returns the fits and held-out projections.
func crossFolds(t *testing.T, name string, same bool, route string) ([]*decomp.CrossFit, []decomp.HeldOut, int) {
	t.Helper()
	x := golden.Matrix(golden.Read(t, "testdata", "cross_"+name+"_x"))
	y := golden.Matrix(golden.Read(t, "testdata", "cross_"+name+"_y"))
	labels := intLabels(golden.Read(t, "testdata", "cross_"+name+"_folds").I64)
	k := golden.Read(t, "testdata", "cross_"+name+"_spec").Shape[1]
	fs, err := decomp.FitFolds(context.Background(), x, y, labels, nil, decomp.CrossOptions{K: k, Same: same, Route: route})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	_, dx := x.Dims()
	_, dy := y.Dims()
	return fs.Fits, fs.Held, dx * dy
}

func intLabels(v []int64) []int {
	out := make([]int, len(v))
	for i, l := range v {
		out[i] = int(l)
	}
	return out
}

// Per-fold spectra (covariance normalised, Pearson correlation, the
// uncentered correlation of the paper code, recentered covariance) and
// train singular values equal sklearn PLSSVD(scale=False) on numpy's fold
// labels (§3.8), on every route, to 1e-10 relative.
func TestCrossMatchesSklearnPLSSVD(t *testing.T) {
	for _, c := range crossCases {
		spec := golden.Read(t, "testdata", "cross_"+c.name+"_spec")
		corr := golden.Read(t, "testdata", "cross_"+c.name+"_corr")
		unc := golden.Read(t, "testdata", "cross_"+c.name+"_corruncentered")
		rec := golden.Read(t, "testdata", "cross_"+c.name+"_recentered")
		sigma := golden.Read(t, "testdata", "cross_"+c.name+"_sigma")
		k := spec.Shape[1]
		for _, route := range []string{decomp.RouteAuto, decomp.RouteDirect, decomp.RouteGram} {
			fits, held, dxdy := crossFolds(t, c.name, c.same, route)
			if route == decomp.RouteAuto && fits[0].Route != c.route {
				t.Errorf("%s: auto chose route %s, want %s", c.name, fits[0].Route, c.route)
			}
			for f, h := range held {
				what := fmt.Sprintf("%s %s fold %d", c.name, fits[f].Route, f)
				row := func(a *ndarray.Array) []float64 { return a.F64[f*k : (f+1)*k] }
				golden.CloseRel(t, what+" covariance", decomp.Spectrum(h, nil, nil, decomp.Metric{Normalize: math.Sqrt(float64(dxdy))}), row(spec), 1e-10)
				golden.CloseRel(t, what+" correlation", decomp.Spectrum(h, nil, nil, decomp.Metric{Correlation: true, Recenter: true}), row(corr), 1e-10)
				golden.CloseRel(t, what+" correlation-uncentered", decomp.Spectrum(h, nil, nil, decomp.Metric{Correlation: true}), row(unc), 1e-10)
				golden.CloseRel(t, what+" recentered", decomp.Spectrum(h, nil, nil, decomp.Metric{Recenter: true}), row(rec), 1e-10)
				golden.CloseRel(t, what+" train sigma", fits[f].Sigma, row(sigma), 1e-10)
			}
		}
	}
}

// planted returns the exact planted pair of §3.10: centered latents
// Z = √(n−1)·Q_n·diag(√λ) shared through fixed bases Q_x, Q_y.
func planted(rng *rand.Rand, n int, lam []float64, qx, qy *mat.Dense) (x, y *mat.Dense) {
	k := len(lam)
	z := spectral.Orthonormal(rng, n, k, true)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			z.Set(i, j, z.At(i, j)*math.Sqrt(float64(n-1)*lam[j]))
		}
	}
	x, y = new(mat.Dense), new(mat.Dense)
	x.Mul(z, qx.T())
	y.Mul(z, qy.T())
	return x, y
}

// METHODS.md §3.10 exact planted case (n_tr = 300, n_te = 100, K = 40,
// λ = k^−1.2): the train σ and the held-out spectrum both equal λ to 1e-12,
// on the direct route (dX, dY < n) and on the Gram route (dX, dY ≫ n).
func TestCrossPlantedExact(t *testing.T) {
	const ntr, nte, k = 300, 100, 40
	lam := spectral.PowerLaw(1.2, k)
	for _, d := range [][2]int{{60, 50}, {1500, 1300}} {
		rng := rand.New(rand.NewPCG(8, uint64(d[0])))
		qx, qy := spectral.Orthonormal(rng, d[0], k, false), spectral.Orthonormal(rng, d[1], k, false)
		xtr, ytr := planted(rng, ntr, lam, qx, qy)
		xte, yte := planted(rng, nte, lam, qx, qy)
		fit, err := decomp.FitCross(xtr, ytr, decomp.CrossOptions{K: k})
		if err != nil {
			t.Fatal(err)
		}
		xt, yt := fit.Project(xte, yte)
		spec := decomp.Spectrum(decomp.HeldOut{X: xt, Y: yt}, nil, nil, decomp.Metric{})
		for i := range lam {
			if math.Abs(fit.Sigma[i]-lam[i]) > 1e-12 || math.Abs(spec[i]-lam[i]) > 1e-12 {
				t.Fatalf("%v route %s, component %d: train σ %.15g, test %.15g, planted %.15g", d, fit.Route, i+1, fit.Sigma[i], spec[i], lam[i])
			}
		}
		if fit.Rank != k {
			t.Errorf("%v: numerical rank %d, want the planted %d", d, fit.Rank, k)
		}
	}
}

// Swapping X and Y leaves the spectrum unchanged (§3.10 symmetry).
func TestCrossSymmetric(t *testing.T) {
	x := golden.Matrix(golden.Read(t, "testdata", "cross_widexy_x"))
	y := golden.Matrix(golden.Read(t, "testdata", "cross_widexy_y"))
	for _, route := range []string{decomp.RouteDirect, decomp.RouteAuto} {
		a, err1 := decomp.FitCross(x, y, decomp.CrossOptions{Route: route})
		b, err2 := decomp.FitCross(y, x, decomp.CrossOptions{Route: route})
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		xa, ya := a.Project(x, y)
		yb, xb := b.Project(y, x)
		sa := decomp.Spectrum(decomp.HeldOut{X: xa, Y: ya}, nil, nil, decomp.Metric{})
		sb := decomp.Spectrum(decomp.HeldOut{X: xb, Y: yb}, nil, nil, decomp.Metric{})
		golden.CloseRel(t, route+" spectrum after swapping x and y", sb, sa, 1e-10)
	}
}

// noisyPlanted is the noisy planted case of §3.10: a rank-8 shared signal
// plus independent isotropic noise on X and Y, split into 4 folds.
func noisyPlanted(t *testing.T) []decomp.HeldOut {
	const n, dx, dy, k, folds = 400, 60, 40, 8, 4
	rng := rand.New(rand.NewPCG(9, 9))
	lam := spectral.PowerLaw(1, k)
	x, y := spectral.PlantedPair(rng, n, dx, dy, lam)
	for _, m := range []*mat.Dense{x, y} {
		raw := m.RawMatrix().Data
		for i := range raw {
			raw[i] += 0.1 * rng.NormFloat64()
		}
	}
	var held []decomp.HeldOut
	for f := 0; f < folds; f++ {
		var train, test []int
		for i := 0; i < n; i++ {
			if i%folds == f {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		fit, err := decomp.FitCross(pick(x, train), pick(y, train), decomp.CrossOptions{K: 30})
		if err != nil {
			t.Fatal(err)
		}
		xt, yt := fit.Project(pick(x, test), pick(y, test))
		held = append(held, decomp.HeldOut{X: xt, Y: yt})
	}
	return held
}

// Noisy planted case: the fold-mean spectrum is ≈ λ at low ranks; the
// permutation null has mean ≈ 0 at every rank (exactly, its mean is
// E_π Σ_i a_i b_π(i)/(n−1) = Σa·Σb/(n(n−1)), nonzero only through the
// test–train mean shift: the draws must match it, and it must be small on
// the scale of the null's sd); the planted components stand far above the
// null and the components beyond the planted rank do not.
func TestCrossNoisyPlantedNull(t *testing.T) {
	held := noisyPlanted(t)
	spec := make([]float64, 30)
	for _, h := range held {
		for i, v := range decomp.Spectrum(h, nil, nil, decomp.Metric{}) {
			spec[i] += v / float64(len(held))
		}
	}
	lam := spectral.PowerLaw(1, 8)
	for i := 0; i < 3; i++ {
		if math.Abs(spec[i]-lam[i]) > 0.1*lam[i] {
			t.Errorf("component %d: fold mean %.4f, planted %.4f", i+1, spec[i], lam[i])
		}
	}
	draws := decomp.Resample(held, decomp.Permute, decomp.Metric{}, 400, 1, 0)
	for c := 0; c < 30; c++ {
		col := mat.Col(nil, c, draws)
		mean, sd := 0.0, 0.0
		for _, v := range col {
			mean += v / float64(len(col))
		}
		for _, v := range col {
			sd += (v - mean) * (v - mean) / float64(len(col)-1)
		}
		sd = math.Sqrt(sd)
		exact := 0.0
		for _, h := range held {
			n, _ := h.X.Dims()
			exact += mat.Sum(h.X.ColView(c)) * mat.Sum(h.Y.ColView(c)) / float64(n*(n-1)) / float64(len(held))
		}
		if math.Abs(mean-exact) > 4*sd/math.Sqrt(float64(len(col))) || math.Abs(mean) > 0.5*sd {
			t.Errorf("component %d: permutation mean %.3g, expected %.3g and ≈ 0 (sd %.3g over %d draws)", c+1, mean, exact, sd, len(col))
		}
		significant := spec[c] > mean+3*sd
		if significant != (c < 8) {
			t.Errorf("component %d: spectrum %.4g vs null mean+3sd %.4g; want significant only up to the planted rank 8", c+1, spec[c], mean+3*sd)
		}
	}
}

// Resampled draws do not depend on the number of workers, and a bootstrap
// draw of the identity rows would give the spectrum itself.
func TestResampleDeterministic(t *testing.T) {
	held := noisyPlanted(t)
	for _, kind := range []decomp.Resampling{decomp.Permute, decomp.Bootstrap} {
		a := decomp.Resample(held, kind, decomp.Metric{Correlation: true}, 50, 7, 1)
		b := decomp.Resample(held, kind, decomp.Metric{Correlation: true}, 50, 7, 3)
		if !mat.Equal(a, b) {
			t.Errorf("kind %d: draws differ between 1 and 3 workers", kind)
		}
	}
}

func TestCrossErrors(t *testing.T) {
	x := golden.Matrix(golden.Read(t, "testdata", "cross_tall_x"))
	y := golden.Matrix(golden.Read(t, "testdata", "cross_tall_y"))
	for _, tc := range []struct {
		o    decomp.CrossOptions
		want string
	}{
		{decomp.CrossOptions{K: 13}, "n_components = 13 exceeds the 12 components available (min(n-1, dX, dY) and the numerical rank of the direct route)"},
		{decomp.CrossOptions{Route: "fast"}, `route "fast" is not one of auto, direct, gram`},
	} {
		if _, err := decomp.FitCross(x, y, tc.o); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v\nwant %s", tc.o, err, tc.want)
		}
	}
}

// The Gram routes are exact (§3.9): on noisy p ≫ n data (dX = 2000,
// dY = 200, n = 120; auto takes the Gram route on x only, RouteGram on
// both) the train σ and the held-out spectrum of every route equal the
// direct route's to 1e-10 relative.
func TestCrossGramEqualsDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	x, y := spectral.PlantedPair(rng, 150, 2000, 200, spectral.PowerLaw(1, 20))
	for _, m := range []*mat.Dense{x, y} {
		raw := m.RawMatrix().Data
		for i := range raw {
			raw[i] += 0.05 * rng.NormFloat64()
		}
	}
	train, test := make([]int, 120), make([]int, 30)
	for i := range train {
		train[i] = i
	}
	for i := range test {
		test[i] = 120 + i
	}
	spec := map[string][]float64{}
	sigma := map[string][]float64{}
	for _, route := range []string{decomp.RouteDirect, decomp.RouteAuto, decomp.RouteGram} {
		fit, err := decomp.FitCross(pick(x, train), pick(y, train), decomp.CrossOptions{Route: route})
		if err != nil {
			t.Fatal(err)
		}
		xt, yt := fit.Project(pick(x, test), pick(y, test))
		spec[fit.Route] = decomp.Spectrum(decomp.HeldOut{X: xt, Y: yt}, nil, nil, decomp.Metric{})
		sigma[fit.Route] = fit.Sigma
	}
	for _, route := range []string{"gram", "gram-xy"} {
		golden.CloseRel(t, route+" train σ", sigma[route], sigma["direct"], 1e-10)
		golden.CloseRel(t, route+" held-out spectrum", spec[route], spec["direct"], 1e-10)
	}
}

// On held-out projections whose test means are shifted far from 0 (as
// with folds grouped by photo), the Pearson metric equals np.corrcoef per
// component and stays in [−1, 1], while the uncentered parity form equals
// its golden and exceeds 1. The permutation null and the bootstrap compute
// the same statistic on redrawn rows: under Pearson the null is centred on
// 0 and every bootstrap draw lies in [−1, 1]; the uncentered null is
// centred on its exact mean Σx̃·Σỹ/(n(n−1)·sd_x·sd_y), far from 0.
func TestSpectrumPearsonWithShiftedTestMean(t *testing.T) {
	h := decomp.HeldOut{X: golden.Matrix(golden.Read(t, "testdata", "heldout_shift_x")), Y: golden.Matrix(golden.Read(t, "testdata", "heldout_shift_y"))}
	pearson, uncentered := decomp.Metric{Correlation: true, Recenter: true}, decomp.Metric{Correlation: true}
	r := decomp.Spectrum(h, nil, nil, pearson)
	golden.CloseRel(t, "Pearson", r, golden.Read(t, "testdata", "heldout_shift_corr").F64, 1e-12)
	u := decomp.Spectrum(h, nil, nil, uncentered)
	golden.CloseRel(t, "uncentered", u, golden.Read(t, "testdata", "heldout_shift_corruncentered").F64, 1e-12)
	if u[0] <= 1 || u[1] <= 1 {
		t.Errorf("uncentered form %v: want > 1 on the shifted components (the golden's point)", u)
	}
	n, k := h.X.Dims()
	const draws = 2000
	null := decomp.Resample([]decomp.HeldOut{h}, decomp.Permute, pearson, draws, 3, 0)
	nullU := decomp.Resample([]decomp.HeldOut{h}, decomp.Permute, uncentered, draws, 3, 0)
	boot := decomp.Resample([]decomp.HeldOut{h}, decomp.Bootstrap, pearson, draws, 4, 0)
	for c := 0; c < k; c++ {
		m, sd := colMeanSD(mat.Col(nil, c, null))
		if math.Abs(m) > 4*sd/math.Sqrt(draws) {
			t.Errorf("component %d: Pearson null mean %.4f, want 0 (sd %.3f)", c+1, m, sd)
		}
		xs, ys := mat.Col(nil, c, h.X), mat.Col(nil, c, h.Y)
		_, sx := colMeanSD(xs)
		_, sy := colMeanSD(ys)
		exact := floatsSum(xs) * floatsSum(ys) / float64(n*(n-1)) / (sx * sy)
		mu, sdu := colMeanSD(mat.Col(nil, c, nullU))
		if math.Abs(mu-exact) > 4*sdu/math.Sqrt(draws) {
			t.Errorf("component %d: uncentered null mean %.4f, exact %.4f", c+1, mu, exact)
		}
		for _, v := range mat.Col(nil, c, boot) {
			if v < -1 || v > 1 {
				t.Fatalf("component %d: bootstrap Pearson draw %v outside [-1, 1]", c+1, v)
			}
		}
	}
}

func colMeanSD(v []float64) (mean, sd float64) {
	for _, x := range v {
		mean += x / float64(len(v))
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean) / float64(len(v)-1)
	}
	return mean, math.Sqrt(sd)
}

func floatsSum(v []float64) (s float64) {
	for _, x := range v {
		s += x
	}
	return s
}

// FitFolds keeps no fold's projection coefficients: after it returns, the
// live heap holds the inputs and the small held-out projections, not the
// 4 folds × (2000+500)×224 coefficients (18 MB) the fits had.
func TestFitFoldsDropsCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	x, y := mat.NewDense(300, 2000, nil), mat.NewDense(300, 500, nil)
	for _, m := range []*mat.Dense{x, y} {
		for i, raw := 0, m.RawMatrix().Data; i < len(raw); i++ {
			raw[i] = rng.NormFloat64()
		}
	}
	labels := make([]int, 300)
	for i := range labels {
		labels[i] = i % 4
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fs, err := decomp.FitFolds(context.Background(), x, y, labels, nil, decomp.CrossOptions{Route: decomp.RouteDirect})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 6<<20 {
		t.Errorf("live heap grew by %.1f MB over FitFolds; want < 6 MB (held-out projections ~1 MB)", float64(grown)/(1<<20))
	}
	runtime.KeepAlive(fs)
}

// On the direct route FitFolds derives every fold's train cross-covariance
// from the all-row product, centered on the all-row means first: on data
// whose means are 10⁴ sds away from 0 it still equals FitCross on each
// fold's own train rows to 1e-10 (spectrum, held-out projections), where
// the same algebra without that centering loses ~8 digits.
func TestFitFoldsDirectFromAllRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	x, y := mat.NewDense(200, 30, nil), mat.NewDense(200, 20, nil)
	for _, m := range []*mat.Dense{x, y} {
		for i, raw := 0, m.RawMatrix().Data; i < len(raw); i++ {
			raw[i] = 1e4 + float64(i%7) + rng.NormFloat64()
		}
	}
	labels := make([]int, 200)
	for i := range labels {
		labels[i] = (i * 7) % 5
	}
	fs, err := decomp.FitFolds(context.Background(), x, y, labels, nil, decomp.CrossOptions{Route: decomp.RouteDirect})
	if err != nil {
		t.Fatal(err)
	}
	for f := range fs.Fits {
		train, test := decomp.Split(labels, f)
		fit, err := decomp.FitCross(pick(x, train), pick(y, train), decomp.CrossOptions{K: fs.K})
		if err != nil {
			t.Fatal(err)
		}
		xt, yt := fit.Project(pick(x, test), pick(y, test))
		name := fmt.Sprintf("fold %d", f)
		golden.CloseRel(t, name+" Sigma", fs.Fits[f].Sigma, fit.Sigma, 1e-10)
		golden.CloseRel(t, name+" x projections", mat.DenseCopyOf(fs.Held[f].X).RawMatrix().Data, xt.RawMatrix().Data, 1e-10)
		golden.CloseRel(t, name+" y projections", mat.DenseCopyOf(fs.Held[f].Y).RawMatrix().Data, yt.RawMatrix().Data, 1e-10)
	}
}
