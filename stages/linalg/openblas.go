//go:build !purego

package linalg

/*
#cgo LDFLAGS: -lopenblas -llapacke
extern void openblas_set_num_threads(int);
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/netlib/blas/netlib"
	"gonum.org/v1/netlib/lapack/lapacke"
)

func init() {
	blas64.Use(netlib.Implementation{})
	// A fixed thread count, whatever eigenlab's -j: OpenBLAS's blocking,
	// and so the rounding of its results, may depend on it.
	C.openblas_set_num_threads(C.int(runtime.NumCPU()))
}

// Backend names the BLAS/LAPACK in use, for the provenance fingerprint.
func Backend() string { return "openblas" }

// SymEig returns the eigenvalues of the symmetric matrix a in descending
// order and, if vectors, the eigenvectors as columns (LAPACK dsyevd).
func SymEig(a *mat.SymDense, vectors bool) ([]float64, *mat.Dense, error) {
	n := a.SymmetricDim()
	if n == 0 {
		return nil, nil, nil
	}
	raw := a.RawSymmetric()
	buf := make([]float64, n*n)
	for i := 0; i < n; i++ {
		copy(buf[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	jobz := byte('N')
	if vectors {
		jobz = 'V'
	}
	w := make([]float64, n)
	work, iwork := []float64{0}, []int32{0}
	lapacke.Dsyevd(jobz, 'U', n, buf, n, w, work, -1, iwork, -1)
	work, iwork = make([]float64, int(work[0])), make([]int32, iwork[0])
	if !lapacke.Dsyevd(jobz, 'U', n, buf, n, w, work, len(work), iwork, len(iwork)) {
		return nil, nil, errors.New("symmetric eigendecomposition did not converge")
	}
	var vecs *mat.Dense
	if vectors {
		vecs = mat.NewDense(n, n, buf)
	}
	reverse(w, vecs)
	return w, vecs, nil
}

// SVD returns the thin SVD a = U diag(s) Vt with s descending (LAPACK
// dgesdd). a is not modified.
func SVD(a *mat.Dense) (*mat.Dense, []float64, *mat.Dense, error) {
	return gesdd(a, 'S')
}

// SingularValues returns the singular values of a in descending order.
func SingularValues(a *mat.Dense) ([]float64, error) {
	_, s, _, err := gesdd(a, 'N')
	return s, err
}

func gesdd(a *mat.Dense, jobz byte) (*mat.Dense, []float64, *mat.Dense, error) {
	m, n := a.Dims()
	k := min(m, n)
	if k == 0 {
		return nil, nil, nil, fmt.Errorf("SVD of an empty %d×%d matrix", m, n)
	}
	buf := mat.DenseCopyOf(a).RawMatrix().Data
	s := make([]float64, k)
	// LAPACKE checks the leading dimensions even when U and Vt are not
	// computed, so they are always those of the thin factors.
	u, vt := []float64{0}, []float64{0}
	ldu, ldvt := k, n
	if jobz == 'S' {
		u, vt = make([]float64, m*k), make([]float64, k*n)
	}
	iwork := make([]int32, 8*k)
	work := []float64{0}
	lapacke.Dgesdd(jobz, m, n, buf, n, s, u, ldu, vt, ldvt, work, -1, iwork)
	work = make([]float64, int(work[0]))
	if !lapacke.Dgesdd(jobz, m, n, buf, n, s, u, ldu, vt, ldvt, work, len(work), iwork) {
		return nil, nil, nil, errors.New("SVD did not converge")
	}
	if jobz != 'S' {
		return nil, s, nil, nil
	}
	return mat.NewDense(m, k, u), s, mat.NewDense(k, n, vt), nil
}
