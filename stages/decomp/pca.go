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
	// Scores are the fitted rows' scores U_k S_k (n×k), as sklearn's
	// fit_transform returns them: equal to Transform of those rows up to
	// rounding, without its n×p×k product or its centered copy.
	Scores *mat.Dense
}

// FitPCA fits k components on the rows of x: centered by their mean, thin
// SVD X_c = U S Vᵀ and the sign rule of §0.1 (on U, as sklearn's svd_flip).
// k must be at most min(n, p). When p is several times n and the k
// components are within the numerical rank, the SVD comes from the n×n
// Gram and V_k = X_cᵀ U_k S_k⁻¹ (§2.1 "huge p"); both routes give the same
// result to rounding. On the SVD route X_c is never stored: the centering
// happens in the copy LAPACK works on.
func FitPCA(x *mat.Dense, k int) (*PCA, error) {
	n, p := x.Dims()
	if k > min(n, p) {
		return nil, fmt.Errorf("k = %d exceeds min(samples, features) = min(%d, %d)", k, n, p)
	}
	m := &PCA{Mean: linalg.ColMeans(x)}
	var u, vt *mat.Dense
	var s []float64
	var err error
	if gramCheaper(n, p) {
		xc := linalg.Centered(x, m.Mean)
		u, s, err = gramSVD(xc)
		if err == nil && k <= len(s) {
			m.Route = "gram"
			vt = rightVectors(xc, u.Slice(0, n, 0, k), s[:k])
		}
	}
	if m.Route == "" {
		m.Route = "svd"
		u, s, vt, err = linalg.CenteredSVD(x, m.Mean)
	}
	if err != nil {
		return nil, fmt.Errorf("PCA of %d×%d: %w", n, p, err)
	}
	m.Scores = firstCols(u, k)
	m.Components = mat.DenseCopyOf(vt.Slice(0, k, 0, p))
	linalg.SVDFlip(m.Scores, m.Components)
	m.Variance = make([]float64, k)
	for j := range m.Variance {
		m.Variance[j] = s[j] * s[j] / float64(n-1)
	}
	for i := 0; i < n; i++ {
		row := m.Scores.RawRowView(i)
		for j := range row {
			row[j] *= s[j]
		}
	}
	return m, nil
}

// firstCols returns the first k columns of u: u itself when it has k,
// else a compact copy.
func firstCols(u *mat.Dense, k int) *mat.Dense {
	n, c := u.Dims()
	if c == k {
		return u
	}
	return mat.DenseCopyOf(u.Slice(0, n, 0, k))
}

// rightVectors returns Vᵀ = S⁻¹ Uᵀ X_c (k×p) for the Gram route.
func rightVectors(xc *mat.Dense, u mat.Matrix, s []float64) *mat.Dense {
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
