package align_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/align"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// The u* table of METHODS.md §5.4 (p = 0.001).
func TestThresholdTable(t *testing.T) {
	for d, want := range map[int]float64{64: 0.3988, 576: 0.1366, 4608: 0.0485} {
		if got := align.Threshold(d, 0.001); math.Abs(got-want) > 5e-5 {
			t.Errorf("u*(%d) = %.5f, want %.4f", d, got, want)
		}
	}
}

// A = Rᵀ for scipy.linalg.orthogonal_procrustes(Φ, Ψ) (§5.1: checked 2e-15).
func TestAlignmentMatchesScipyProcrustes(t *testing.T) {
	phi := golden.Matrix(golden.Read(t, "testdata", "procrustes_phi"))
	psi := golden.Matrix(golden.Read(t, "testdata", "procrustes_psi"))
	a, err := align.Alignment(phi, psi, align.Moments{})
	if err != nil {
		t.Fatal(err)
	}
	golden.CloseRel(t, "A", mat.DenseCopyOf(a.T()).RawMatrix().Data, golden.Read(t, "testdata", "procrustes_r").F64, 1e-12)
}

// Planted check of §5.3: ψ = A₀φ and W₂ = W₁(A₀ᵀ ⊗ I) compute the same
// function; the recovered A is A₀, the weight spectra agree and the
// leading diagonal cosines are 1.
func TestPlantedAlignment(t *testing.T) {
	const n, c, taps, cout = 500, 6, 9, 40
	rng := rand.New(rand.NewPCG(4, 4))
	a0 := spectral.Orthonormal(rng, c, c, false)
	phi := mat.NewDense(n, c, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			phi.Set(i, j, rng.NormFloat64()*float64(j+1))
		}
	}
	var psi mat.Dense
	psi.Mul(phi, a0.T())
	a, err := align.Alignment(phi, &psi, align.Moments{})
	if err != nil {
		t.Fatal(err)
	}
	if !mat.EqualApprox(a, a0, 1e-12) {
		t.Fatalf("recovered A differs from A₀")
	}
	w1 := mat.NewDense(cout, c*taps, nil)
	for i := 0; i < cout; i++ {
		for j := 0; j < c*taps; j++ {
			w1.Set(i, j, rng.NormFloat64()*math.Pow(float64(j+1), -0.7))
		}
	}
	w2 := align.MapEigenvectors(a0, w1, taps) // each filter's input channels mapped by A₀
	l1, e1, _ := align.WeightEigen(w1)
	l2, e2, _ := align.WeightEigen(w2)
	golden.CloseRel(t, "weight spectra", l2, l1, 1e-12)
	m := align.Cosines(align.MapEigenvectors(a, e1, taps), e2, 20)
	for i := 0; i < 20; i++ {
		if math.Abs(m.At(i, i)-1) > 1e-9 {
			t.Fatalf("M[%d,%d] = %.12f, want 1", i, i, m.At(i, i))
		}
	}
	if diag, match := align.Shared(m, 0.5); diag != 20 || match != 20 {
		t.Errorf("shared diag %d match %d, want 20 and 20", diag, match)
	}
	if o := align.Overlap(align.MapEigenvectors(a, e1, taps), e2, 20); math.Abs(o[19]-1) > 1e-9 {
		t.Errorf("overlap o(20) = %.12f, want 1", o[19])
	}
}
