package snap_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/linalg"
	"github.com/eigenlab/eigenlab/stages/snap"
)

const dir = "testdata"

// The theoretical curve (κ, γ, per-mode error, per-target E_g, error-mode
// radius and dimension) equals SNAP's gen_error_theory in numpy to 1e-8
// relative, ridgeless and with a ridge.
func TestTheoryMatchesReference(t *testing.T) {
	eigs := golden.Read(t, dir, "theory_eigs").Float64s()
	w := golden.Matrix(golden.Read(t, dir, "theory_weights"))
	ps := golden.Read(t, dir, "theory_pvals").Float64s()
	for _, c := range []struct {
		tag string
		reg float64
	}{{"ridgeless", 1e-14}, {"ridge", 1e-3}} {
		t.Run(c.tag, func(t *testing.T) {
			curve, err := snap.Theory(eigs, w, c.reg, ps)
			if err != nil {
				t.Fatal(err)
			}
			want := func(name string) []float64 { return golden.Read(t, dir, "theory_"+c.tag+"_"+name).Float64s() }
			closeEach(t, "kappa", curve.Kappa, want("kappa"))
			closeEach(t, "gamma", curve.Gamma, want("gamma"))
			closeEach(t, "mode_err", curve.ModeErr.RawMatrix().Data, want("mode_err"))
			closeEach(t, "gen", curve.Gen.RawMatrix().Data, want("gen"))
			radius, dim := curve.ErrorModes(w, len(eigs))
			closeEach(t, "radius", radius, want("radius"))
			closeEach(t, "dim", dim, want("dim"))
		})
	}
}

// closeEach fails unless every value is within 1e-8 of the reference,
// relative to that value (the curves span decades, so a scale-wide
// tolerance would hide errors in the small entries).
func closeEach(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-8*math.Abs(want[i]) {
			t.Fatalf("%s[%d] = %.17g, reference %.17g", what, i, got[i], want[i])
		}
	}
}

// The kernel eigenvalues, |weights| within the rank, out-of-span power and
// SNAP's summaries equal the numpy reference, centered and not.
func TestKernelSpectrumMatchesReference(t *testing.T) {
	x := golden.Matrix(golden.Read(t, dir, "kernel_x"))
	y := golden.Matrix(golden.Read(t, dir, "kernel_y"))
	for _, c := range []struct {
		tag    string
		center bool
	}{{"uncent", false}, {"cent", true}} {
		t.Run(c.tag, func(t *testing.T) {
			s, err := snap.KernelSpectrum(x, y, c.center)
			if err != nil {
				t.Fatal(err)
			}
			want := func(name string) []float64 { return golden.Read(t, dir, "kernel_"+c.tag+"_"+name).Float64s() }
			golden.CloseRel(t, "eigs", s.Eigs, want("eigs"), 1e-10)
			abs := mat.DenseCopyOf(s.Weights.Slice(0, s.Rank, 0, 2))
			abs.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) }, abs)
			golden.CloseRel(t, "|weights|", abs.RawMatrix().Data, want("absweights"), 1e-8)
			golden.CloseRel(t, "orkhs", []float64{s.OutOfSpanPower(0), s.OutOfSpanPower(1)}, want("orkhs"), 1e-8)
			sm := snap.Summarize(s, 0.99)
			got := []float64{sm.ED, sm.CumED, sm.TAD, sm.CumTAD, sm.FeatDim, sm.TaskDim,
				float64(sm.RankEig), float64(sm.RankWeight), sm.OutOfSpan}
			closeEach(t, "summary", got, want("summary"))
		})
	}
}

// Kernel ridge with the linear kernel and penalty p·reg predicts what
// sklearn's Ridge(alpha = p·reg, fit_intercept=False) does.
func TestRidgePredictMatchesSklearn(t *testing.T) {
	x := golden.Matrix(golden.Read(t, dir, "kernel_x"))
	y := golden.Matrix(golden.Read(t, dir, "kernel_y"))
	var tr []int
	for _, v := range golden.Read(t, dir, "ridge_train").Float64s() {
		tr = append(tr, int(v))
	}
	pred, err := snap.RidgePredict(linalg.Gram(x), y, tr, float64(len(tr))*1e-3)
	if err != nil {
		t.Fatal(err)
	}
	golden.CloseRel(t, "pred", pred.RawMatrix().Data, golden.Read(t, dir, "ridge_pred").Float64s(), 1e-9)
}
