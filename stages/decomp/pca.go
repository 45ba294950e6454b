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
	mean := colMeans(x)
	xc := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		src, dst := x.RawRowView(i), xc.RawRowView(i)
		for j := range dst {
			dst[j] = src[j] - mean[j]
		}
	}
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
	n, p := x.Dims()
	xc := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		src, dst := x.RawRowView(i), xc.RawRowView(i)
		for j := range dst {
			dst[j] = src[j] - m.Mean[j]
		}
	}
	var z mat.Dense
	z.Mul(xc, m.Components.T())
	return &z
}

func colMeans(x *mat.Dense) []float64 {
	n, p := x.Dims()
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	return mean
}
