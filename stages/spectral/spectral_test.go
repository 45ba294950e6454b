package spectral

import (
	"fmt"
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

// The planted construction gives a covariance spectrum exactly λ through
// both routes (direct p < n, Gram p > n), and every estimator recovers α
// from it to 1e-8 (§1.1 validation), also when the planted rank k is below
// min(n−1, p): the zero tail is excluded and R = k.
func TestPlantedSpectrumRecovered(t *testing.T) {
	for _, c := range []struct{ n, p, k int }{{300, 120, 120}, {150, 400, 149}, {250, 200, 120}} {
		for _, alpha := range []float64{0.8, 1.0, 1.3} {
			lam := PowerLaw(alpha, c.k)
			got, err := CovEigenvalues(PlantedData(rand.New(rand.NewPCG(1, 2)), c.n, c.p, lam))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != min(c.n-1, c.p) {
				t.Fatalf("%+v: %d eigenvalues, want min(n-1, p)", c, len(got))
			}
			for i := range got {
				want := 0.0
				if i < c.k {
					want = lam[i]
				}
				if math.Abs(got[i]-want) > 1e-10*lam[0] {
					t.Fatalf("%+v α=%v: λ_%d = %.15g, want %.15g", c, alpha, i+1, got[i], want)
				}
			}
			lo, hi := DefaultRange(got)
			if hi != min(500, c.k-2) {
				t.Errorf("%+v: default range [%d, %d], want hi = min(500, k-2)", c, lo, hi)
			}
			for _, est := range Estimators {
				f, err := FitPowerLaw(got, est, lo, hi, 10)
				if err != nil {
					t.Fatalf("%s: %v", est, err)
				}
				if math.Abs(f.Alpha-alpha) > 1e-8 {
					t.Errorf("%+v %s: α = %.12f, want %v", c, est, f.Alpha, alpha)
				}
			}
		}
	}
}

// Fewer than 10 usable points is an error that says how to fix it; zero
// and negative values do not count.
func TestTooFewPointsIsAnError(t *testing.T) {
	lam := PowerLaw(1, 40)
	for i := 15; i < 40; i++ {
		lam[i] = -lam[i] * float64(i%2) // alternately 0 and negative
	}
	lo, hi := DefaultRange(lam) // R = 15: ranks 11..13
	_, err := FitPowerLaw(lam, "stringer", lo, hi, 0)
	want := "estimator stringer: only 3 usable points in ranks 11..13 (the spectrum has 15 usable values); need at least 10: widen the rank range or give more samples"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	if _, err := FitPowerLaw(lam, "ols-range", 1, 40, 0); err != nil {
		t.Errorf("ranks 1..40 hold 15 usable points, got %v", err)
	}
}

// Non-finite features are found and dropped per column (full view) or per
// channel (channel and spatial views), in either dtype.
func TestDropNonfinite(t *testing.T) {
	x := Tensor{Shape: []int{2, 3, 1, 2}, F32: []float32{
		0, 1, 2, 3, 4, 5,
		6, 7, float32(math.Inf(1)), 9, 10, 11}}
	if i, v, err := x.FirstNonfinite(); i != 8 || !math.IsInf(v, 1) || err != nil {
		t.Errorf("first non-finite at %d (%v, %v), want 8 (+Inf)", i, v, err)
	}
	for _, tc := range []struct {
		byChannel bool
		shape     []int
		want      []float32
	}{
		{false, []int{2, 5}, []float32{0, 1, 3, 4, 5, 6, 7, 9, 10, 11}},
		{true, []int{2, 2, 1, 2}, []float32{0, 1, 4, 5, 6, 7, 10, 11}},
	} {
		bad, err := x.NonfiniteFeatures(tc.byChannel)
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.DropFeatures(bad, tc.byChannel)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Shape, got.F32) != fmt.Sprint(tc.shape, tc.want) || got.F64 != nil {
			t.Errorf("byChannel %v: %v %v, want %v %v", tc.byChannel, got.Shape, got.F32, tc.shape, tc.want)
		}
	}
}
