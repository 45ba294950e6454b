package spectral

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// With two identical repeats of the exact planted data, cvPCA = PCA = λ.
func TestCvPCAEqualsPCAWithoutNoise(t *testing.T) {
	lam := PowerLaw(1.0, 79)
	x := PlantedData(rand.New(rand.NewPCG(1, 1)), 80, 120, lam)
	for _, nshuff := range []int{0, 3} {
		cv, err := CvPCA(rand.New(rand.NewPCG(2, 2)), x, x, nshuff)
		if err != nil {
			t.Fatal(err)
		}
		for k := range lam {
			if math.Abs(cv[k]-lam[k]) > 1e-12 {
				t.Fatalf("nshuff %d: cv_%d = %.15g, want %.15g", nshuff, k+1, cv[k], lam[k])
			}
		}
	}
}

// The key property of §1.4: cvPCA is robust to isotropic noise, PCA is not.
func TestCvPCARobustToNoise(t *testing.T) {
	const n, p = 600, 400
	rng := rand.New(rand.NewPCG(3, 3))
	signal := PlantedData(rng, n, p, PowerLaw(1.0, p))
	noisy := func() *mat.Dense {
		m := mat.DenseCopyOf(signal)
		raw := m.RawMatrix().Data
		for i := range raw {
			raw[i] += 0.08 * rng.NormFloat64()
		}
		return m
	}
	x1, x2 := noisy(), noisy()
	cv, err := CvPCA(rng, x1, x2, 5)
	if err != nil {
		t.Fatal(err)
	}
	pca, _ := CovEigenvalues(x1)
	fcv, err := FitPowerLaw(cv, "stringer", 11, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	fpca, _ := FitPowerLaw(pca, "stringer", 11, 100, 0)
	if math.Abs(fcv.Alpha-1) > 0.1 || fpca.Alpha > fcv.Alpha-0.1 {
		t.Errorf("cvPCA α = %.3f (want 1 ± 0.1), PCA α = %.3f (want clearly flattened by noise)", fcv.Alpha, fpca.Alpha)
	}
}
