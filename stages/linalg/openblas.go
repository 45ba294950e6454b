//go:build !purego

package linalg

/*
#cgo LDFLAGS: -lopenblas -llapacke
#include <stddef.h>
extern void openblas_set_num_threads(int);
// LAPACK's Fortran entry points (LP64), with gfortran's hidden string lengths.
extern void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
	double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t, size_t);
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
	// The row-major upper triangle is the column-major lower triangle, so
	// the Fortran routine runs on buf as it is, with no transposition (the
	// LAPACKE row-major wrapper transposes in and out: 35% slower at n=2000).
	jobz, uplo := C.char('N'), C.char('L')
	if vectors {
		jobz = 'V'
	}
	w := make([]float64, n)
	cn, lwork, liwork, info := C.int(n), C.int(-1), C.int(-1), C.int(0)
	var wq C.double
	var iq C.int
	C.dsyevd_(&jobz, &uplo, &cn, (*C.double)(&buf[0]), &cn, (*C.double)(&w[0]), &wq, &lwork, &iq, &liwork, &info, 1, 1)
	work, iwork := make([]float64, int(wq)), make([]C.int, int(iq))
	lwork, liwork = C.int(len(work)), C.int(len(iwork))
	C.dsyevd_(&jobz, &uplo, &cn, (*C.double)(&buf[0]), &cn, (*C.double)(&w[0]),
		(*C.double)(&work[0]), &lwork, &iwork[0], &liwork, &info, 1, 1)
	if info != 0 {
		return nil, nil, fmt.Errorf("symmetric eigendecomposition failed (LAPACK dsyevd info %d)", int(info))
	}
	var vecs *mat.Dense
	if vectors {
		// Column-major eigenvectors read row-major are their transpose.
		vecs = mat.DenseCopyOf(mat.NewDense(n, n, buf).T())
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

// gesdd uses the LAPACKE row-major wrapper: its transposition into a tall
// column-major matrix makes dgesdd faster here than running it on the
// row-major buffer as the wide transpose (0.83 s vs 1.06 s at 5000×1000).
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
