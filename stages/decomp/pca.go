package decomp

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// PCA is a principal component analysis fitted on training rows (§2.1),
// with sklearn's attributes: Components are the rows of Vᵀ
// (components_), Variance the eigenvalues s²/(n−1) (explained_variance_).
type PCA struct {
	Mean       []float64
	Components *mat.Dense // k×p
	Variance   []float64  // k
	Route      string     // "svd" or "gram"
}

// FitPCA fits k components on the rows of x: centered by their mean, thin
// SVD X_c = U S Vᵀ and the sign rule of §0.1 (on U, as sklearn's svd_flip).
// k must be at most min(n, p). When p is several times n and the k
// components are within the numerical rank, the SVD comes from the n×n
// Gram and V_k = X_cᵀ U_k S_k⁻¹ (§2.1 "huge p"); both routes give the same
// result to rounding.
func FitPCA(x *mat.Dense, k int) (*PCA, error) {
	n, p := x.Dims()
	if k > min(n, p) {
		return nil, fmt.Errorf("k = %d exceeds min(samples, features) = min(%d, %d)", k, n, p)
	}
	m := &PCA{Mean: linalg.ColMeans(x)}
	xc := linalg.Centered(x, m.Mean)
	var u, vt *mat.Dense
	var s []float64
	var err error
	if gramCheaper(n, p) {
		u, s, err = gramSVD(xc)
		if err == nil && k <= len(s) {
			m.Route = "gram"
			u = mat.DenseCopyOf(u.Slice(0, n, 0, k))
			vt = rightVectors(xc, u, s[:k])
		}
	}
	if m.Route == "" {
		m.Route = "svd"
		u, s, vt, err = linalg.SVD(xc)
	}
	if err != nil {
		return nil, fmt.Errorf("PCA of %d×%d: %w", n, p, err)
	}
	u = mat.DenseCopyOf(u.Slice(0, n, 0, k))
	m.Components = mat.DenseCopyOf(vt.Slice(0, k, 0, p))
	linalg.SVDFlip(u, m.Components)
	m.Variance = make([]float64, k)
	for i := range m.Variance {
		m.Variance[i] = s[i] * s[i] / float64(n-1)
	}
	return m, nil
}

// rightVectors returns Vᵀ = S⁻¹ Uᵀ X_c (k×p) for the Gram route.
func rightVectors(xc, u *mat.Dense, s []float64) *mat.Dense {
	var vt mat.Dense
	vt.Mul(u.T(), xc)
	for i, si := range s {
		row := vt.RawRowView(i)
		for j := range row {
			row[j] /= si
		}
	}
	return &vt
}

// Transform returns (X − μ_train)·V_k.
func (m *PCA) Transform(x *mat.Dense) *mat.Dense {
	var z mat.Dense
	z.Mul(linalg.Centered(x, m.Mean), m.Components.T())
	return &z
}
