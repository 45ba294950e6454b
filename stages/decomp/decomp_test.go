package decomp_test

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

func TestPCAMatchesSklearn(t *testing.T) {
	for _, c := range []string{"tall", "wide"} {
		x := golden.Read(t, "testdata", "pca_"+c+"_x").Matrix()
		m, err := decomp.FitPCA(x, 5)
		if err != nil {
			t.Fatal(err)
		}
		golden.CloseRel(t, c+" explained_variance_", m.Variance, golden.Read(t, "testdata", "pca_"+c+"_var").F64, 1e-10)
		golden.CloseRel(t, c+" components_", m.Components.RawMatrix().Data, golden.Read(t, "testdata", "pca_"+c+"_comp").F64, 1e-10)
		golden.CloseRel(t, c+" transform", mat.DenseCopyOf(m.Transform(x)).RawMatrix().Data, golden.Read(t, "testdata", "pca_"+c+"_z").F64, 1e-10)
	}
	if _, err := decomp.FitPCA(mat.NewDense(4, 3, nil), 4); err == nil || err.Error() != "k = 4 exceeds min(samples, features) = min(4, 3)" {
		t.Errorf("k too large: %v", err)
	}
}

func TestJLDimMatchesSklearn(t *testing.T) {
	want := golden.Read(t, "testdata", "jl").I64
	for i, n := range []int{1000, 10000} {
		if got := decomp.JLDim(n, 0.1); int64(got) != want[i] {
			t.Errorf("JLDim(%d) = %d, sklearn %d", n, got, want[i])
		}
	}
}

// Entry distribution and norm preservation of §2.2 (D = 20000, k = 2000).
func TestSRPDistribution(t *testing.T) {
	const d, k = 20000, 2000
	r := decomp.NewSRP(rand.New(rand.NewPCG(1, 1)), d, k, decomp.DefaultDensity(d))
	frac := float64(r.NNZ()) / (d * k)
	want := 1 / math.Sqrt(d)
	sd := math.Sqrt(want * (1 - want) / (d * k))
	if math.Abs(frac-want) > 4*sd {
		t.Errorf("nonzero fraction %.6f, want %.6f ± %.6f", frac, want, 4*sd)
	}
	if math.Abs(r.Scale-0.265915) > 1e-6 {
		t.Errorf("entry magnitude %.6f, want 0.265915 = sqrt(sqrt(D)/k)", r.Scale)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	ratio := 0.0
	y := make([]float64, k)
	const rows = 50
	for i := 0; i < rows; i++ {
		x := make([]float64, d)
		norm := 0.0
		for j := range x {
			x[j] = rng.NormFloat64()
			norm += x[j] * x[j]
		}
		r.ProjectRow(func(j int) float64 { return x[j] }, y)
		py := 0.0
		for _, v := range y {
			py += v * v
		}
		ratio += py / norm / rows
	}
	if math.Abs(ratio-1) > 0.02 {
		t.Errorf("mean ‖xR‖²/‖x‖² = %.4f, want 1 ± 0.02", ratio)
	}
}

// Projection approximately preserves the Gram matrix: relative error
// O(1/√k), and it shrinks as k grows.
func TestSRPPreservesGram(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n, d = 20, 5000
	x := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			x.Set(i, j, rng.NormFloat64())
		}
	}
	var g mat.Dense
	g.Mul(x, x.T())
	errAt := func(k int) float64 {
		r := decomp.NewSRP(rand.New(rand.NewPCG(uint64(k), 9)), d, k, decomp.DefaultDensity(d))
		y := mat.NewDense(n, k, nil)
		for i := 0; i < n; i++ {
			r.ProjectRow(func(j int) float64 { return x.At(i, j) }, y.RawRowView(i))
		}
		var gy, diff mat.Dense
		gy.Mul(y, y.T())
		diff.Sub(&gy, &g)
		return mat.Norm(&diff, 2) / mat.Norm(&g, 2)
	}
	e100, e2000 := errAt(100), errAt(2000)
	if e100 > 5/math.Sqrt(100) || e2000 > 5/math.Sqrt(2000) || e2000 >= e100 {
		t.Errorf("relative Gram error %.3f at k=100, %.3f at k=2000", e100, e2000)
	}
}

func BenchmarkSRP10000x100000to8000(b *testing.B) {
	if os.Getenv("EIGENLAB_LONG") == "" {
		b.Skip("set EIGENLAB_LONG=1: allocates 8 GB")
	}
	const n, d, k = 10000, 100000, 8000
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		r := decomp.NewSRP(rand.New(rand.NewPCG(5, 5)), d, k, decomp.DefaultDensity(d))
		y := make([]float64, k)
		for i := 0; i < n; i++ {
			r.ProjectRow(func(j int) float64 { return float64(x[i*d+j]) }, y)
		}
	}
}

// METHODS.md §3.10 exact planted case: independent centered train and test
// latents Z = √(n−1)·Q_n·diag(√λ) and shared bases, X = Z Q_xᵀ, Y = Z Q_yᵀ.
// The train σ and the held-out spectrum both equal λ to 1e-12.
func TestCrossPlantedExact(t *testing.T) {
	const ntr, nte, k, dx, dy = 300, 100, 40, 60, 50
	lam := spectral.PowerLaw(1.2, k)
	rng := rand.New(rand.NewPCG(8, 8))
	latent := func(n int) *mat.Dense {
		z := spectral.Orthonormal(rng, n, k, true)
		for i := 0; i < n; i++ {
			for j := 0; j < k; j++ {
				z.Set(i, j, z.At(i, j)*math.Sqrt(float64(n-1)*lam[j]))
			}
		}
		return z
	}
	qx, qy := spectral.Orthonormal(rng, dx, k, false), spectral.Orthonormal(rng, dy, k, false)
	pair := func(z *mat.Dense) (*mat.Dense, *mat.Dense) {
		var x, y mat.Dense
		x.Mul(z, qx.T())
		y.Mul(z, qy.T())
		return &x, &y
	}
	xtr, ytr := pair(latent(ntr))
	xte, yte := pair(latent(nte))
	fit, err := decomp.FitCross(xtr, ytr, k, false)
	if err != nil {
		t.Fatal(err)
	}
	xt, yt := fit.Project(xte, yte)
	spec := decomp.TestSpectrum(xt, yt, nil, decomp.Metric{})
	for i := range lam {
		if math.Abs(fit.Sigma[i]-lam[i]) > 1e-12 || math.Abs(spec[i]-lam[i]) > 1e-12 {
			t.Fatalf("component %d: train σ %.15g, test %.15g, planted %.15g", i+1, fit.Sigma[i], spec[i], lam[i])
		}
	}
}

// Ridge LOO errors, per-target α choice and predictions equal sklearn's
// RidgeCV(alpha_per_target, store_cv_values) and Ridge (§6.3, §6.5).
func TestRidgeMatchesSklearn(t *testing.T) {
	grid := []float64{0.1, 1, 10, 100, 1000, 1e4, 1e5}
	for c, n := range map[string]int{"tall": 60, "wide": 30} {
		x := golden.Read(t, "testdata", "ridge_"+c+"_x").Matrix()
		y := golden.Read(t, "testdata", "ridge_"+c+"_y").Matrix()
		_, p := x.Dims()
		xtr, xte := mat.DenseCopyOf(x.Slice(0, n, 0, p)), mat.DenseCopyOf(x.Slice(n, n+10, 0, p))
		ytr := mat.DenseCopyOf(y.Slice(0, n, 0, 4))
		mean, sd := decomp.Standardize(xtr)
		r, err := decomp.FitRidge(decomp.Scale(xtr, mean, sd), ytr)
		if err != nil {
			t.Fatal(err)
		}
		cv := golden.Read(t, "testdata", "ridge_"+c+"_cv").F64 // n × 4 × 7
		chosen := make([]float64, 4)
		for tg := 0; tg < 4; tg++ {
			best := math.Inf(1)
			for ai, a := range grid {
				loo := r.LOO(ytr, tg, a)
				mse := 0.0
				for i := 0; i < n; i++ {
					e := (ytr.At(i, tg) - loo[i]) * (ytr.At(i, tg) - loo[i])
					if want := cv[(i*4+tg)*7+ai]; math.Abs(e-want) > 1e-9*math.Max(want, 1) {
						t.Fatalf("%s target %d α=%g row %d: squared LOO error %.15g, sklearn %.15g", c, tg, a, i, e, want)
					}
					mse += e
				}
				if mse < best {
					best, chosen[tg] = mse, a
				}
			}
		}
		golden.CloseRel(t, c+" alpha_", chosen, golden.Read(t, "testdata", "ridge_"+c+"_alpha").F64, 1e-12)
		pred := r.Predict(decomp.Scale(xte, mean, sd), chosen)
		golden.CloseRel(t, c+" predictions", pred.RawMatrix().Data, golden.Read(t, "testdata", "ridge_"+c+"_pred").F64, 1e-10)
	}
}
