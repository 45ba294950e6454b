package decomp

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// PCA is a principal component analysis fitted on training rows (§2.1).
type PCA struct {
	Mean       []float64
	Components *mat.Dense // k×p, rows are components (sklearn components_)
	Variance   []float64  // k explained variances s²/(n−1)
}

// FitPCA fits k components on the rows of x: centered by their mean, thin
// SVD X_c = U S Vᵀ, sign rule of §0.1. k must be at most min(n, p).
func FitPCA(x *mat.Dense, k int) (*PCA, error) {
	n, p := x.Dims()
	if k > min(n, p) {
		return nil, fmt.Errorf("k = %d exceeds min(samples, features) = min(%d, %d)", k, n, p)
	}
	mean := linalg.ColMeans(x)
	xc := linalg.Centered(x, mean)
	u, s, vt, err := linalg.SVD(xc)
	if err != nil {
		return nil, err
	}
	linalg.SVDFlip(u, vt)
	v := make([]float64, k)
	for i := range v {
		v[i] = s[i] * s[i] / float64(n-1)
	}
	return &PCA{Mean: mean, Components: mat.DenseCopyOf(vt.Slice(0, k, 0, p)), Variance: v}, nil
}

// Transform returns (X − μ_train)·V_k.
func (m *PCA) Transform(x *mat.Dense) *mat.Dense {
	var z mat.Dense
	z.Mul(linalg.Centered(x, m.Mean), m.Components.T())
	return &z
}
