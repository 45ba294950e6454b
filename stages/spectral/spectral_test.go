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

// exactTol is how close each estimator comes to α on an exact power law:
// exact, but for logbinned, whose bin value ln(mean λ) is not the mean
// ln λ (Jensen): its bias is a few 1e-4 (checked here to be no more).
func exactTol(est string) float64 {
	if est == "logbinned" {
		return 1e-3
	}
	return 1e-10
}

// Every estimator recovers α from an exact power law (§1.1), exactly but
// for the small Jensen bias of logbinned.
func TestEstimatorsRecoverExactPowerLaw(t *testing.T) {
	for _, est := range Estimators {
		for _, alpha := range []float64{0.5, 0.8, 1.0, 1.3, 2.0} {
			lam := PowerLaw(alpha, 1000)
			lo, hi := DefaultRange(lam)
			f, err := FitPowerLaw(lam, est, lo, hi, 10)
			if err != nil {
				t.Fatalf("%s: %v", est, err)
			}
			if tol := exactTol(est); math.Abs(f.Alpha-alpha) > tol || math.Abs(f.R2-1) > tol || f.NoFit != "" {
				t.Errorf("%s α=%v: got α=%.12f r²=%.12f %s", est, alpha, f.Alpha, f.R2, f.NoFit)
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
				if math.Abs(f.Alpha-alpha) > max(exactTol(est), 1e-8) {
					t.Errorf("%+v %s: α = %.12f, want %v", c, est, f.Alpha, alpha)
				}
			}
		}
	}
}

// deadChannels is the spectrum of issue 10's 32-channel layer: 23 values
// with a steep roll-off, then 9 dead channels at 1e-17·λ1. The default
// range is ranks 11..21: 11 points inside 0.28 decades, where the old
// code silently fitted α = 4.31 with r² = 0.98.
func deadChannels() []float64 {
	lam := make([]float64, 32)
	for n := 1; n <= 32; n++ {
		lam[n-1] = 1e-17
		if n <= 23 {
			lam[n-1] = math.Pow(float64(n), -1) * math.Exp(-math.Pow(float64(n)/12, 2))
		}
	}
	return lam
}

// A fit needs >= 10 usable points whose ranks span >= 1 decade (§1.2,
// §8.1); otherwise it is "no fit" with NaN α and r², and a reason naming
// the points, their ranks and span, and the usable values. Zero, negative
// and numerically-zero values never count.
func TestNoFit(t *testing.T) {
	cut := PowerLaw(1, 40)
	for i := 15; i < 40; i++ {
		cut[i] = -cut[i] * float64(i%2) // alternately 0 and negative
	}
	need := "need >= 10 points over >= 1 decade (the spectrum has %d values above 1e-12·λmax)"
	tests := []struct {
		name, est string
		lam       []float64
		lo, hi    int
		want      string // "" for a fit
	}{
		{"dead channels, default range", "stringer", deadChannels(), 11, 21,
			"no fit: 11 usable ranks 11..21 span 0.28 decades; " + fmt.Sprintf(need, 23)},
		{"dead channels, ranks 2..21", "stringer", deadChannels(), 2, 21, ""},
		{"dead channels beyond R", "ols-range", deadChannels(), 2, 32, ""},
		{"dead channels, logbinned", "logbinned", deadChannels(), 3, 30,
			"no fit: 9 bins over usable ranks 3..23 span 0.88 decades; " + fmt.Sprintf(need, 23)},
		{"logbinned, 10 bins over 1.02 decades", "logbinned-geometric", deadChannels(), 2, 21, ""},
		{"too few points", "stringer", cut, 11, 13,
			"no fit: 3 usable ranks 11..13 span 0.07 decades; " + fmt.Sprintf(need, 15)},
		{"one decade exactly", "ols-range", cut, 1, 10, ""},
		{"just under a decade", "ols-range", cut, 2, 19,
			"no fit: 14 usable ranks 2..15 span 0.88 decades; " + fmt.Sprintf(need, 15)},
		{"range past the spectrum", "stringer", cut, 20, 500,
			"no fit: no usable ranks in 20..500; " + fmt.Sprintf(need, 15)},
		{"all dead, default range [11, -2]", "stringer", make([]float64, 32), 11, -2,
			"no fit: no usable ranks from rank 11 on; " + fmt.Sprintf(need, 0)},
		{"all dead", "elmoznino-tail", make([]float64, 32),
			0, 0, "no fit: no usable values; " + fmt.Sprintf(need, 0)},
		{"elmoznino on 15 values", "elmoznino-logspaced", cut, 0, 0, ""},
		{"elmoznino on 8 values", "elmoznino-logspaced", PowerLaw(1, 8), 0, 0,
			"no fit: 50 log-spaced points over usable ranks 1..8 span 0.90 decades; " + fmt.Sprintf(need, 8)},
	}
	for _, tc := range tests {
		f, err := FitPowerLaw(tc.lam, tc.est, tc.lo, tc.hi, 10)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.NoFit != tc.want {
			t.Errorf("%s: NoFit %q\nwant          %q", tc.name, f.NoFit, tc.want)
		}
		if nan := math.IsNaN(f.Alpha) && math.IsNaN(f.R2); nan != (tc.want != "") {
			t.Errorf("%s: α %v r² %v with NoFit %q", tc.name, f.Alpha, f.R2, f.NoFit)
		}
	}
	if _, err := FitPowerLaw(cut, "polyfit", 1, 10, 10); err == nil || err.Error() != `unknown estimator "polyfit"; want one of [stringer ols-range elmoznino-logspaced elmoznino-tail logbinned logbinned-geometric]` {
		t.Errorf("unknown estimator: %v", err)
	}
}

// The neighbouring ranges are [lo, hi] shifted a quarter of its log-width
// down and up, rounded outward (so the span never shrinks below that of
// [lo, hi]), clipped to [1, R].
func TestNeighbourRanges(t *testing.T) {
	for _, tc := range []struct {
		r, lo, hi int
		want      [2][2]int
	}{
		{2000, 11, 500, [2][2]int{{4, 193}, {28, 1299}}}, // (500/11)^¼ = 2.597
		{600, 11, 500, [2][2]int{{4, 193}, {28, 600}}},
		{2000, 2, 32, [2][2]int{{1, 16}, {4, 64}}},
		{2000, 5, 50, [2][2]int{{2, 29}, {8, 89}}}, // one decade: neighbours of one decade or more, never "no fit" by rounding
	} {
		if got := NeighbourRanges(PowerLaw(1, tc.r), tc.lo, tc.hi); got != tc.want {
			t.Errorf("R=%d [%d, %d]: %v, want %v", tc.r, tc.lo, tc.hi, got, tc.want)
		}
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
