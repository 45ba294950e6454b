package spectral

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// CovEigenvalues returns the eigenvalues, descending, of the sample
// covariance of x (rows are samples): centered by the column means and
// divided by n−1. When p > n it uses the Gram trick (METHODS.md §1.1a):
// the nonzero eigenvalues of X_cᵀX_c equal those of X_c X_cᵀ, which is the
// uncentered Gram double-centered, J G J with J = I − 11ᵀ/n. Only the
// min(n−1, p) eigenvalues that centering can leave nonzero are returned.
func CovEigenvalues(x *mat.Dense) ([]float64, error) {
	n, p := x.Dims()
	if n < 2 {
		return nil, fmt.Errorf("need at least 2 samples, got %d", n)
	}
	var s *mat.SymDense
	if p > n {
		s = doubleCenter(linalg.Gram(x))
	} else {
		s = covariance(x)
	}
	vals, _, err := linalg.SymEig(s, false)
	if err != nil {
		return nil, err
	}
	keep := min(n-1, p)
	vals = vals[:keep]
	for i := range vals {
		vals[i] /= float64(n - 1)
	}
	return vals, nil
}

// doubleCenter returns J G J for J = I − 11ᵀ/n, in place.
func doubleCenter(g *mat.SymDense) *mat.SymDense {
	n := g.SymmetricDim()
	rowMean := make([]float64, n)
	total := 0.0
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			rowMean[i] += g.At(i, j)
		}
		total += rowMean[i]
		rowMean[i] /= float64(n)
	}
	total /= float64(n * n)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			g.SetSym(i, j, g.At(i, j)-rowMean[i]-rowMean[j]+total)
		}
	}
	return g
}

// covariance returns X_cᵀ X_c (unnormalised) for the column-centered x.
func covariance(x *mat.Dense) *mat.SymDense {
	xc := Center(x)
	_, p := x.Dims()
	c := mat.NewSymDense(p, nil)
	c.SymOuterK(1, xc.T())
	return c
}

// Center returns x minus its column means.
func Center(x *mat.Dense) *mat.Dense { return linalg.Centered(x, linalg.ColMeans(x)) }

// EffectiveDim is the participation ratio (Σλ)²/Σλ² (METHODS.md §1.3),
// for PCA eigenvalues (non-negative).
func EffectiveDim(lambda []float64) float64 {
	var s, s2 float64
	for _, l := range lambda {
		s += l
		s2 += l * l
	}
	if s2 == 0 {
		return 0
	}
	return s * s / s2
}
