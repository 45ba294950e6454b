package spectral

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// With two identical repeats of the exact planted data, cvPCA = PCA = λ
// to 1e-12 (§1.4), through both routes, with and without shuffles.
func TestCvPCAEqualsPCAWithoutNoise(t *testing.T) {
	for _, shape := range [][2]int{{80, 50}, {50, 120}} {
		n, p := shape[0], shape[1]
		lam := PowerLaw(1.0, min(n-1, p))
		x := DenseTensor(PlantedData(rand.New(rand.NewPCG(1, 1)), n, p, lam))
		for _, nshuff := range []int{0, 3} {
			cv, _, err := CvPCA(rand.New(rand.NewPCG(2, 2)), x, x, nshuff, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k := range lam {
				if math.Abs(cv[k]-lam[k]) > 1e-12 {
					t.Fatalf("%d×%d nshuff %d: cv_%d = %.15g, want %.15g", n, p, nshuff, k+1, cv[k], lam[k])
				}
			}
		}
	}
}

// The two routes give the same cvPCA on the same data and swaps.
func TestCvPCARoutesAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, shape := range [][2]int{{60, 25}, {25, 60}} {
		x1, x2 := gaussian(rng, shape[0], shape[1]), gaussian(rng, shape[0], shape[1])
		swaps := make([]bool, shape[0])
		for i := range swaps {
			swaps[i] = rng.IntN(2) == 1
		}
		g, err1 := gramCv(x1, x2)(identity(shape[0]), swaps)
		d, err2 := directCv(x1, x2)(identity(shape[0]), swaps)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for k := range g {
			if math.Abs(g[k]-d[k]) > 1e-10*math.Abs(d[0]) {
				t.Fatalf("%v: cv_%d gram %.15g, direct %.15g", shape, k+1, g[k], d[k])
			}
		}
	}
}

func gaussian(rng *rand.Rand, n, p int) Tensor {
	t := Tensor{Shape: []int{n, p}, F64: make([]float64, n*p)}
	for i := range t.F64 {
		t.F64[i] = rng.NormFloat64()
	}
	return t
}

// The key property of §1.4: with a Gaussian signal of population spectrum
// k^-1 and independent isotropic noise on each repeat, cvPCA α stays near
// the noise-free value while PCA α falls. §1.4's table (N = 2800,
// P = 2000, ranks 11–500): noise/signal variance 0, 0.61, 2.45 gives
// cvPCA 0.964, 0.976, 0.948 and PCA 0.964, 0.691, 0.408. At the smaller
// N = 2000, P = 1000 (ranks 11–300, scaled with P) both are reproduced to
// ±0.06.
func TestCvPCARobustToNoise(t *testing.T) {
	const n, p, tol = 2000, 1000, 0.06
	rng := rand.New(rand.NewPCG(3, 3))
	lam := PowerLaw(1.0, p)
	total := 0.0
	for _, l := range lam {
		total += l
	}
	// Signal rows ~ N(0, Q diag(λ) Qᵀ).
	z := gaussian(rng, n, p)
	zm := mat.NewDense(n, p, z.F64)
	scaleColumns(zm, lam, 1)
	var s mat.Dense
	s.Mul(zm, Orthonormal(rng, p, p, false).T())
	repeat := func(ratio float64) Tensor {
		x := mat.DenseCopyOf(&s)
		sd := math.Sqrt(ratio * total / p)
		for i, v := range x.RawMatrix().Data {
			x.RawMatrix().Data[i] = v + sd*rng.NormFloat64()
		}
		return DenseTensor(x)
	}
	for _, tc := range []struct{ ratio, cv, pca float64 }{
		{0, 0.964, 0.964}, {0.61, 0.976, 0.691}, {2.45, 0.948, 0.408},
	} {
		x1, x2 := repeat(tc.ratio), repeat(tc.ratio)
		cv, _, err := CvPCA(rng, x1, x2, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		pca, err := FullEigenvalues(x1)
		if err != nil {
			t.Fatal(err)
		}
		fcv, err := FitPowerLaw(cv, "stringer", 11, 300, 0)
		if err != nil {
			t.Fatal(err)
		}
		fpca, err := FitPowerLaw(pca, "stringer", 11, 300, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("noise %.2f: cvPCA α = %.3f, PCA α = %.3f", tc.ratio, fcv.Alpha, fpca.Alpha)
		if math.Abs(fcv.Alpha-tc.cv) > tol || math.Abs(fpca.Alpha-tc.pca) > tol {
			t.Errorf("noise %.2f: cvPCA α = %.3f (table %.3f), PCA α = %.3f (table %.3f); tolerance %.2f",
				tc.ratio, fcv.Alpha, tc.cv, fpca.Alpha, tc.pca, tol)
		}
	}
}
