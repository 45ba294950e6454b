package decomp

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// Ridge is ridge regression with an unpenalised intercept, solved once
// through the thin SVD of the centered design X_c = U S Vᵀ (METHODS.md
// §6.3) so that every α and every target reuse the same factorisation.
type Ridge struct {
	xMean, yMean []float64
	u, vt        *mat.Dense
	s            []float64
	uty          *mat.Dense // Uᵀ Y_c, k×targets
	n            int
}

// FitRidge factors the design; x is n×p, y is n×targets.
func FitRidge(x, y *mat.Dense) (*Ridge, error) {
	n, _ := x.Dims()
	r := &Ridge{xMean: linalg.ColMeans(x), yMean: linalg.ColMeans(y), n: n}
	u, s, vt, err := linalg.SVD(linalg.Centered(x, r.xMean))
	if err != nil {
		return nil, err
	}
	r.u, r.s, r.vt = u, s, vt
	r.uty = new(mat.Dense)
	r.uty.Mul(u.T(), linalg.Centered(y, r.yMean))
	return r, nil
}

// LOO returns the leave-one-out predictions of target t at penalty alpha,
// from the hat matrix H = U diag(s²/(s²+α)) Uᵀ + 11ᵀ/n:
// ŷ_(−i) = y_i − (y_i − ŷ_i)/(1 − H_ii) (what sklearn's _RidgeGCV computes).
func (r *Ridge) LOO(y *mat.Dense, t int, alpha float64) []float64 {
	k := len(r.s)
	shrink := make([]float64, k)
	for j, s := range r.s {
		shrink[j] = s * s / (s*s + alpha)
	}
	out := make([]float64, r.n)
	for i := 0; i < r.n; i++ {
		row := r.u.RawRowView(i)
		fit, h := r.yMean[t], 1/float64(r.n)
		for j := 0; j < k; j++ {
			fit += row[j] * shrink[j] * r.uty.At(j, t)
			h += row[j] * row[j] * shrink[j]
		}
		yi := y.At(i, t)
		out[i] = yi - (yi-fit)/(1-h)
	}
	return out
}

// Predict returns predictions for new rows with one penalty per target:
// B = V diag(s/(s²+α_t)) Uᵀ Y_c, ŷ = (X − x̄) B + ȳ.
func (r *Ridge) Predict(x *mat.Dense, alphas []float64) *mat.Dense {
	k := len(r.s)
	_, p := r.vt.Dims()
	targets := len(alphas)
	b := mat.NewDense(p, targets, nil)
	for t, a := range alphas {
		for j := 0; j < k; j++ {
			c := r.s[j] / (r.s[j]*r.s[j] + a) * r.uty.At(j, t)
			if r.s[j] <= 1e-15 || c == 0 {
				continue // bonner-libraries zeroes null components
			}
			for f := 0; f < p; f++ {
				b.Set(f, t, b.At(f, t)+r.vt.At(j, f)*c)
			}
		}
	}
	var pred mat.Dense
	pred.Mul(linalg.Centered(x, r.xMean), b)
	n, _ := pred.Dims()
	for i := 0; i < n; i++ {
		row := pred.RawRowView(i)
		for t := range row {
			row[t] += r.yMean[t]
		}
	}
	return &pred
}

// Standardize returns the column means and standard deviations (ddof 0)
// of x, with a zero sd replaced by 1 as sklearn's StandardScaler does.
func Standardize(x *mat.Dense) (mean, sd []float64) {
	n, p := x.Dims()
	mean = linalg.ColMeans(x)
	sd = make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			sd[j] += (v - mean[j]) * (v - mean[j]) / float64(n)
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j])
		if sd[j] == 0 {
			sd[j] = 1
		}
	}
	return mean, sd
}

// Scale returns (x − mean)/sd column-wise.
func Scale(x *mat.Dense, mean, sd []float64) *mat.Dense {
	out := linalg.Centered(x, mean)
	n, _ := out.Dims()
	for i := 0; i < n; i++ {
		row := out.RawRowView(i)
		for j := range row {
			row[j] /= sd[j]
		}
	}
	return out
}
