//go:build purego

package linalg

import (
	"errors"

	"gonum.org/v1/gonum/mat"
)

// Backend names the BLAS/LAPACK in use, for the provenance fingerprint.
func Backend() string { return "gonum" }

// SymEig returns the eigenvalues of a in descending order and, if vectors,
// the eigenvectors as columns.
func SymEig(a *mat.SymDense, vectors bool) ([]float64, *mat.Dense, error) {
	var e mat.EigenSym
	if !e.Factorize(a, vectors) {
		return nil, nil, errors.New("symmetric eigendecomposition did not converge")
	}
	w := e.Values(nil)
	var vecs *mat.Dense
	if vectors {
		vecs = new(mat.Dense)
		e.VectorsTo(vecs)
	}
	reverse(w, vecs)
	return w, vecs, nil
}

// SVD returns the thin SVD a = U diag(s) Vt with s descending.
func SVD(a *mat.Dense) (*mat.Dense, []float64, *mat.Dense, error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, nil, nil, errors.New("SVD did not converge")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	vt := mat.DenseCopyOf(v.T())
	return &u, svd.Values(nil), vt, nil
}

// SingularValues returns the singular values of a in descending order.
func SingularValues(a *mat.Dense) ([]float64, error) {
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDNone) {
		return nil, errors.New("SVD did not converge")
	}
	return svd.Values(nil), nil
}
