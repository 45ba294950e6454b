//go:build purego

package linalg

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Backend names the BLAS/LAPACK in use, for the provenance fingerprint.
func Backend() string { return "gonum" }

// symEig is gonum's symmetric eigensolver; ascending order. It works on
// a copy whatever inPlace says.
func symEig(a *mat.SymDense, vectors, _ bool) ([]float64, *mat.Dense, error) {
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

// svd is gonum's thin SVD of a − 1·meanᵀ (mean nil: of a), or values
// only unless vectors; a is left as it is whatever inPlace says.
func svd(a *mat.Dense, mean []float64, vectors, _ bool) (*mat.Dense, []float64, *mat.Dense, error) {
	if mean != nil {
		a = Centered(a, mean)
	}
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

// pivCholesky is the outer-product pivoted Cholesky (LAPACK dpstrf's
// algorithm, unblocked) on a full working copy of a.
func pivCholesky(a *mat.SymDense, tol float64) (*mat.Dense, []int, error) {
	n := a.SymmetricDim()
	w := mat.DenseCopyOf(a)
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	k := 0
	for ; k < n; k++ {
		q := k
		for j := k + 1; j < n; j++ {
			if w.At(j, j) > w.At(q, q) {
				q = j
			}
		}
		if !(w.At(q, q) > tol) {
			break
		}
		swapSym(w, k, q)
		p[k], p[q] = p[q], p[k]
		d := math.Sqrt(w.At(k, k))
		w.Set(k, k, d)
		for i := k + 1; i < n; i++ {
			w.Set(i, k, w.At(i, k)/d)
			w.Set(k, i, w.At(i, k))
		}
		for i := k + 1; i < n; i++ {
			lik, row := w.At(i, k), w.RawRowView(i)
			for j := k + 1; j < n; j++ { // both triangles: swapSym reads either
				row[j] -= lik * w.At(j, k)
			}
		}
	}
	r := make([]float64, n*k)
	for i := 0; i < n; i++ {
		copy(r[i*k:i*k+min(i+1, k)], w.RawRowView(i)[:min(i+1, k)])
	}
	return denseOrNil(n, k, r), p, nil
}

// swapSym swaps rows and columns i and j of the square w.
func swapSym(w *mat.Dense, i, j int) {
	if i == j {
		return
	}
	ri, rj := w.RawRowView(i), w.RawRowView(j)
	for c := range ri {
		ri[c], rj[c] = rj[c], ri[c]
	}
	n, _ := w.Dims()
	for r := 0; r < n; r++ {
		row := w.RawRowView(r)
		row[i], row[j] = row[j], row[i]
	}
}
