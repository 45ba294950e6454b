package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// WeightSpectrum returns the eigenvalues of Σ_w = WᵀW/C_out, descending.
func weightSpectrum(t testing.TB, w []float64, cout int) []float64 {
	t.Helper()
	d := len(w) / cout
	var s mat.SymDense
	s.SymOuterK(1/float64(cout), mat.NewDense(cout, d, w).T())
	l, _, err := linalg.SymEig(&s, false)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// olsAlpha is the OLS slope of log λ on log n over ranks 1..r, negated.
func olsAlpha(t testing.TB, l []float64, r int) float64 {
	t.Helper()
	f, err := spectral.FitPowerLaw(l, "ols-range", 1, r, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f.Alpha
}

// TestExactPowerLawWeights: the exact construction has the requested
// spectrum to rounding: α by OLS to 1e-8, trace 2, rank min(C_out, D).
func TestExactPowerLawWeights(t *testing.T) {
	for _, tc := range []struct{ cout, d int }{{64, 27}, {32, 288}, {128, 128}, {16, 144}} {
		for _, alpha := range []float64{0, 0.5, 1, 2} {
			t.Run(fmt.Sprintf("%dx%d_alpha%v", tc.cout, tc.d, alpha), func(t *testing.T) {
				w := PowerLawWeights(LayerRNG(3, "conv"), tc.cout, tc.d, alpha, true)
				l := weightSpectrum(t, w, tc.cout)
				r := min(tc.cout, tc.d)
				if got := olsAlpha(t, l, r); math.Abs(got-alpha) > 1e-8 {
					t.Errorf("fitted alpha %.12f, want %v", got, alpha)
				}
				if tr := floats(l).sum(); math.Abs(tr-HeTrace) > 1e-12 {
					t.Errorf("trace %.15f, want 2", tr)
				}
				want := PowerLawSpectrum(alpha, r, HeTrace)
				for n := range l {
					if n < r && math.Abs(l[n]-want[n]) > 1e-12 || n >= r && math.Abs(l[n]) > 1e-12 {
						t.Fatalf("λ_%d = %g, want %g", n+1, l[n], append(want, 0)[min(n, r)])
					}
				}
			})
		}
	}
}

// TestSampledPowerLawWeights: with C_out = 4D the sampled rows recover α
// within 0.1 over the leading half of the ranks (METHODS.md §4: MP
// distortion bends the tail) and the trace within 5%.
func TestSampledPowerLawWeights(t *testing.T) {
	const d = 72
	for _, alpha := range []float64{0.5, 1, 2} {
		w := PowerLawWeights(LayerRNG(5, "conv"), 4*d, d, alpha, false)
		l := weightSpectrum(t, w, 4*d)
		if got := olsAlpha(t, l, d/2); math.Abs(got-alpha) > 0.1 {
			t.Errorf("alpha %v: fitted %.3f", alpha, got)
		}
		if tr := floats(l).sum(); math.Abs(tr-HeTrace) > 0.1 {
			t.Errorf("alpha %v: trace %.3f, want ≈ 2", alpha, tr)
		}
	}
}

// TestSampledAlphaZeroIsHeNormal: at α = 0 the entries are N(0, 2/D):
// mean ≈ 0, variance ≈ 2/D, kurtosis ≈ 3.
func TestSampledAlphaZeroIsHeNormal(t *testing.T) {
	const cout, d = 512, 144
	w := floats(PowerLawWeights(LayerRNG(9, "conv"), cout, d, 0, false))
	n := float64(len(w))
	mean, m2, m4 := w.sum()/n, 0.0, 0.0
	for _, v := range w {
		m2 += v * v / n
		m4 += v * v * v * v / n
	}
	if math.Abs(mean) > 4*math.Sqrt(2/float64(d)/n) {
		t.Errorf("mean %g", mean)
	}
	if math.Abs(m2*float64(d)/2-1) > 0.02 {
		t.Errorf("variance·D/2 = %.4f, want 1", m2*float64(d)/2)
	}
	if k := m4 / (m2 * m2); math.Abs(k-3) > 0.1 {
		t.Errorf("kurtosis %.3f, want 3", k)
	}
}

// TestHaarIsOrthonormal checks QᵀQ = I and that the streams differ by layer.
func TestHaarIsOrthonormal(t *testing.T) {
	q := haar(LayerRNG(1, "a"), 50, 20)
	var g mat.Dense
	g.Mul(q.T(), q)
	if !mat.EqualApprox(&g, eye(20), 1e-12) {
		t.Fatal("QᵀQ ≠ I")
	}
	a := PowerLawWeights(LayerRNG(1, "a"), 8, 9, 1, true)
	if b := PowerLawWeights(LayerRNG(1, "b"), 8, 9, 1, true); slices.Equal(a, b) {
		t.Fatal("layers a and b drew the same weights")
	}
	if b := PowerLawWeights(LayerRNG(1, "a"), 8, 9, 1, true); !slices.Equal(a, b) {
		t.Fatal("the same layer stream gave different weights")
	}
}

func eye(n int) *mat.Dense {
	m := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		m.Set(i, i, 1)
	}
	return m
}

type floats []float64

func (f floats) sum() float64 {
	s := 0.0
	for _, v := range f {
		s += v
	}
	return s
}
