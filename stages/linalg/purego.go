//go:build purego

package linalg

import (
	"errors"

	"gonum.org/v1/gonum/mat"
)

// Backend names the BLAS/LAPACK in use, for the provenance fingerprint.
func Backend() string { return "gonum" }

// symEig is gonum's symmetric eigensolver; ascending order.
func symEig(a *mat.SymDense, vectors bool) ([]float64, *mat.Dense, error) {
	var e mat.EigenSym
	if !e.Factorize(a, vectors) {
		return nil, nil, errors.New("gonum EigenSym did not converge")
	}
	var vecs *mat.Dense
	if vectors {
		vecs = new(mat.Dense)
		e.VectorsTo(vecs)
	}
	return e.Values(nil), vecs, nil
}

// svd is gonum's thin SVD, or values only unless vectors.
func svd(a *mat.Dense, vectors bool) (*mat.Dense, []float64, *mat.Dense, error) {
	var f mat.SVD
	kind := mat.SVDNone
	if vectors {
		kind = mat.SVDThin
	}
	if !f.Factorize(a, kind) {
		return nil, nil, nil, errors.New("gonum SVD did not converge")
	}
	if !vectors {
		return nil, f.Values(nil), nil, nil
	}
	var u, v mat.Dense
	f.UTo(&u)
	f.VTo(&v)
	return &u, f.Values(nil), mat.DenseCopyOf(v.T()), nil
}
