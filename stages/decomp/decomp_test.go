package decomp_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
)

// Ridge LOO errors, per-target α choice and predictions equal sklearn's
// RidgeCV(alpha_per_target, store_cv_values) and Ridge (§6.3, §6.5).
func TestRidgeMatchesSklearn(t *testing.T) {
	grid := []float64{0.1, 1, 10, 100, 1000, 1e4, 1e5}
	for c, n := range map[string]int{"tall": 60, "wide": 30} {
		x := golden.Matrix(golden.Read(t, "testdata", "ridge_"+c+"_x"))
		y := golden.Matrix(golden.Read(t, "testdata", "ridge_"+c+"_y"))
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
