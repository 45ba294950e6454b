package decomp

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// rankTol is the relative cut of the Gram routes: eigenvalues of X_c X_cᵀ
// (PCA) or pivots of its pivoted Cholesky (cross-decomposition) at or
// below rankTol·max are numerical zeros (§3.9 "keeping eigenvalues >
// ε·max"), and so are singular values below rankTol·s₁ in CrossFit.Rank.
const rankTol = 1e-12

// gramSVD is the thin SVD of a centered n×p matrix through its n×n Gram
// (§2.1 "huge p", §3.9 (1)): X_c X_cᵀ = U S² Uᵀ. It returns the r left
// singular vectors (n×r) and singular values of the numerical rank r;
// the right ones are V = X_cᵀ U S⁻¹ and are never needed whole.
func gramSVD(xc *mat.Dense) (u *mat.Dense, s []float64, err error) {
	ev, vecs, err := linalg.SymEigInPlace(linalg.Gram(xc), true)
	if err != nil {
		return nil, nil, err
	}
	r := 0
	for r < len(ev) && ev[r] > rankTol*ev[0] {
		r++
	}
	s = make([]float64, r)
	for i := range s {
		s[i] = math.Sqrt(ev[i])
	}
	n, _ := xc.Dims()
	return mat.DenseCopyOf(vecs.Slice(0, n, 0, r)), s, nil
}

// gramCheaper reports whether the Gram route beats the SVD of the p-wide
// matrix: it does once p is several times n.
func gramCheaper(n, p int) bool { return p > gramAbove*n }

// gramAbove: measured crossover of the Gram route against dgesdd and the
// dX×dY cross-product (the n³ eigendecomposition dominates below it).
const gramAbove = 2
