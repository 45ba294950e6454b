package spectral

import (
	"math"
	"math/rand/v2"
	"testing"
)

// §1.3 reference table: ED of λ_n = n^-α, n = 1..N.
func TestEffectiveDimTable(t *testing.T) {
	table := []struct {
		alpha float64
		n     int
		want  float64
	}{
		{0.5, 100, 66.6181}, {0.5, 1000, 510.2371}, {0.5, 10000, 4027.5401},
		{1.0, 100, 16.4582}, {1.0, 1000, 34.0842}, {1.0, 10000, 58.2413},
		{1.5, 100, 4.8435}, {1.5, 1000, 5.4059}, {1.5, 10000, 5.5908},
		{2.0, 100, 2.4698}, {2.0, 1000, 2.4970}, {2.0, 10000, 2.4997},
	}
	for _, tc := range table {
		if got := EffectiveDim(PowerLaw(tc.alpha, tc.n)); math.Abs(got-tc.want) > 5e-5 {
			t.Errorf("ED(α=%v, N=%d) = %.4f, want %.4f", tc.alpha, tc.n, got, tc.want)
		}
	}
	ones := []float64{1, 1, 1, 1, 1, 1, 1}
	if got := EffectiveDim(ones); got != 7 {
		t.Errorf("ED of 7 ones = %v, want 7", got)
	}
}

// Every estimator recovers α exactly from an exact power law (§1.1).
func TestEstimatorsRecoverExactPowerLaw(t *testing.T) {
	for _, est := range Estimators {
		for _, alpha := range []float64{0.5, 0.8, 1.0, 1.3, 2.0} {
			lam := PowerLaw(alpha, 1000)
			lo, hi := DefaultRange(lam)
			f, err := FitPowerLaw(lam, est, lo, hi, 10)
			if err != nil {
				t.Fatalf("%s: %v", est, err)
			}
			if math.Abs(f.Alpha-alpha) > 1e-10 || math.Abs(f.R2-1) > 1e-10 {
				t.Errorf("%s α=%v: got α=%.12f r²=%.12f", est, alpha, f.Alpha, f.R2)
			}
		}
	}
}

// The planted construction gives a covariance spectrum exactly λ, through
// both the direct (p < n) and the Gram (p > n) route, and the stringer fit
// recovers α to 1e-8.
func TestPlantedSpectrumRecovered(t *testing.T) {
	for _, shape := range [][2]int{{300, 120}, {150, 400}} {
		n, p := shape[0], shape[1]
		k := min(n-1, p)
		for _, alpha := range []float64{0.8, 1.0, 1.3} {
			lam := PowerLaw(alpha, k)
			x := PlantedData(rand.New(rand.NewPCG(1, 2)), n, p, lam)
			got, err := CovEigenvalues(x)
			if err != nil {
				t.Fatal(err)
			}
			for i := range lam {
				if math.Abs(got[i]-lam[i]) > 1e-10*lam[0] {
					t.Fatalf("n=%d p=%d α=%v: λ_%d = %.15g, want %.15g", n, p, alpha, i+1, got[i], lam[i])
				}
			}
			f, err := FitPowerLaw(got, "stringer", 11, min(500, k-2), 0)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(f.Alpha-alpha) > 1e-8 {
				t.Errorf("n=%d p=%d: stringer α = %.12f, want %v", n, p, f.Alpha, alpha)
			}
		}
	}
}

func TestTooFewPointsIsAnError(t *testing.T) {
	lam := PowerLaw(1, 15)
	lo, hi := DefaultRange(lam) // 11..13: 3 points
	_, err := FitPowerLaw(lam, "stringer", lo, hi, 0)
	if err == nil || err.Error() != "estimator stringer: only 3 usable points in ranks 11..13 (of 15 nonzero eigenvalues); need at least 10 — lower ranks[0], raise ranks[1] or give more samples" {
		t.Errorf("err = %v", err)
	}
}
