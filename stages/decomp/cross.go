package decomp

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// CrossFit is a cross-decomposition fitted on training rows (METHODS.md
// §3.1): the SVD of the train cross-covariance, with the sign rule of §0.1.
type CrossFit struct {
	MeanX, MeanY []float64
	U, V         *mat.Dense // dX×K and dY×K singular vectors
	Sigma        []float64  // s/(n−1), or s²/(n−1) in the PCA case
}

// FitCross fits K components. When same is true (Y is X) it is PCA: U = V
// from the SVD of X_c and σ = s²/(n−1). When dX exceeds gramAbove·n the
// exact Gram route of §3.9 is used, which never forms the dX×dY product.
func FitCross(x, y *mat.Dense, k int, same bool) (*CrossFit, error) {
	n, dx := x.Dims()
	_, dy := y.Dims()
	f := &CrossFit{MeanX: linalg.ColMeans(x), MeanY: linalg.ColMeans(y)}
	xc, yc := linalg.Centered(x, f.MeanX), linalg.Centered(y, f.MeanY)
	var u, vt *mat.Dense
	var s []float64
	var err error
	switch {
	case same:
		_, s, vt, err = linalg.SVD(xc)
		if err == nil {
			for i := range s {
				s[i] *= s[i]
			}
			u = mat.DenseCopyOf(vt.T())
		}
	case dx > gramAbove*n:
		u, s, vt, err = gramCross(xc, yc)
	default:
		u, s, vt, err = linalg.SVD(linalg.CrossProd(xc, yc))
	}
	if err != nil {
		return nil, err
	}
	if k > len(s) {
		return nil, fmt.Errorf("n_components = %d exceeds the %d components available", k, len(s))
	}
	u = mat.DenseCopyOf(u.Slice(0, dx, 0, k))
	vt = mat.DenseCopyOf(vt.Slice(0, k, 0, dy))
	linalg.SVDFlip(u, vt)
	f.U, f.V = u, mat.DenseCopyOf(vt.T())
	f.Sigma = make([]float64, k)
	for i := range f.Sigma {
		f.Sigma[i] = s[i] / float64(n-1)
	}
	return f, nil
}

// gramAbove: the Gram route pays off once dX is several times n.
const gramAbove = 4

// gramCross is §3.9 (1): X_c = U_x S_x V_xᵀ from the eigendecomposition of
// the n×n Gram, M = S_x U_xᵀ Y_c = P Σ Qᵀ, then X_cᵀY_c = (V_x P) Σ Qᵀ.
func gramCross(xc, yc *mat.Dense) (*mat.Dense, []float64, *mat.Dense, error) {
	ev, ux, err := linalg.SymEig(linalg.Gram(xc), true)
	if err != nil {
		return nil, nil, nil, err
	}
	r := 0
	for r < len(ev) && ev[r] > 1e-12*ev[0] {
		r++
	}
	n, _ := xc.Dims()
	ur := ux.Slice(0, n, 0, r)
	sx := make([]float64, r)
	for i := range sx {
		sx[i] = math.Sqrt(ev[i])
	}
	var m mat.Dense // S_x U_xᵀ Y_c
	m.Mul(ur.T(), yc)
	for i := 0; i < r; i++ {
		row := m.RawRowView(i)
		for j := range row {
			row[j] *= sx[i]
		}
	}
	p, sigma, qt, err := linalg.SVD(&m)
	if err != nil {
		return nil, nil, nil, err
	}
	// V_x P = X_cᵀ (U_x S_x⁻¹ P): only n×r and dX×K matrices are formed.
	scaled := mat.NewDense(n, r, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < r; j++ {
			scaled.Set(i, j, ur.At(i, j)/sx[j])
		}
	}
	var w, u mat.Dense
	w.Mul(scaled, p)
	u.Mul(xc.T(), &w)
	return &u, sigma, qt, nil
}

// Project returns the held-out projections x̃ = (X − μX)U, ỹ = (Y − μY)V
// (§3.2), centered by the training means.
func (f *CrossFit) Project(x, y *mat.Dense) (xt, yt *mat.Dense) {
	xt, yt = new(mat.Dense), new(mat.Dense)
	xt.Mul(linalg.Centered(x, f.MeanX), f.U)
	yt.Mul(linalg.Centered(y, f.MeanY), f.V)
	return xt, yt
}
