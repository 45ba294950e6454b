//go:build !purego

package linalg

/*
#cgo LDFLAGS: -lopenblas
#include <stddef.h>
#include <stdlib.h>
extern void openblas_set_num_threads(int);
// LAPACK's Fortran entry points (LP64), with gfortran's hidden string lengths.
extern void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
	double* w, double* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t, size_t);
extern void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
	double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork,
	int* info, size_t);
extern void dpstrf_(const char* uplo, const int* n, double* a, const int* lda, int* piv, int* rank,
	const double* tol, double* work, int* info, size_t);
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/netlib/blas/netlib"
)

func init() {
	blas64.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
	C.openblas_set_num_threads(C.int(threads))
}

// Backend names the BLAS/LAPACK in use, for the provenance fingerprint.
func Backend() string { return "openblas" }

// symEig runs LAPACK's divide-and-conquer dsyevd; ascending order. With
// inPlace and a compact a (stride n), dsyevd works on a's own storage.
func symEig(a *mat.SymDense, vectors, inPlace bool) ([]float64, *mat.Dense, error) {
	n := a.SymmetricDim()
	raw := a.RawSymmetric()
	// dsyevd overwrites its input with the eigenvectors: a's storage in
	// place, else Go memory when they are returned, C scratch otherwise.
	var buf []float64
	switch {
	case inPlace && raw.Stride == n:
		buf = raw.Data[:n*n]
	case vectors:
		buf = make([]float64, n*n)
	default:
		var free func()
		buf, free = scratch[float64](n * n)
		defer free()
	}
	if &buf[0] != &raw.Data[0] {
		for i := 0; i < n; i++ {
			copy(buf[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
		}
	}
	// The row-major upper triangle is the column-major lower triangle, so
	// the Fortran routine runs on buf as it is, with no transposition (the
	// LAPACKE row-major wrapper transposes in and out: 35% slower at n=2000).
	jobz, uplo := C.char('N'), C.char('L')
	if vectors {
		jobz = 'V'
	}
	w := make([]float64, n)
	cn, info := C.int(n), C.int(0)
	call := func(work []float64, lwork C.int, iwork []C.int, liwork C.int) {
		C.dsyevd_(&jobz, &uplo, &cn, (*C.double)(&buf[0]), &cn, (*C.double)(&w[0]),
			(*C.double)(&work[0]), &lwork, &iwork[0], &liwork, &info, 1, 1)
	}
	wq, iq := []float64{0}, []C.int{0}
	call(wq, -1, iq, -1) // workspace query
	work, freeWork := scratch[float64](int(wq[0]))
	defer freeWork()
	iwork, freeIwork := scratch[C.int](int(iq[0]))
	defer freeIwork()
	call(work, C.int(len(work)), iwork, C.int(len(iwork)))
	if info != 0 {
		return nil, nil, fmt.Errorf("LAPACK dsyevd failed with info %d", int(info))
	}
	if !vectors {
		return w, nil, nil
	}
	// Column-major eigenvectors read row-major are their transpose.
	transposeSquare(buf, n)
	return w, mat.NewDense(n, n, buf), nil
}

// pivCholesky runs LAPACK's blocked dpstrf (complete pivoting on the
// diagonal) on a copy of a's upper triangle, which is the column-major
// lower triangle, so the factor comes back as the row-major upper
// triangle of buf: buf[i·n+j] = R[j][i].
func pivCholesky(a *mat.SymDense, tol float64) (*mat.Dense, []int, error) {
	n := a.SymmetricDim()
	buf, free := scratch[float64](n * n)
	defer free()
	raw := a.RawSymmetric()
	for i := 0; i < n; i++ {
		copy(buf[i*n+i:(i+1)*n], raw.Data[i*raw.Stride+i:i*raw.Stride+n])
	}
	piv, freePiv := scratch[C.int](n)
	defer freePiv()
	work, freeWork := scratch[float64](2 * n)
	defer freeWork()
	uplo, cn, rank, info, ctol := C.char('L'), C.int(n), C.int(0), C.int(0), C.double(tol)
	C.dpstrf_(&uplo, &cn, (*C.double)(&buf[0]), &cn, &piv[0], &rank, &ctol, (*C.double)(&work[0]), &info, 1)
	if info < 0 { // info 1 only says the rank is below n
		return nil, nil, fmt.Errorf("LAPACK dpstrf failed with info %d", int(info))
	}
	k := int(rank)
	r := make([]float64, n*k)
	for j := 0; j < k; j++ {
		for i := j; i < n; i++ {
			r[i*k+j] = buf[j*n+i]
		}
	}
	p := make([]int, n)
	for i := range p {
		p[i] = int(piv[i]) - 1
	}
	return denseOrNil(n, k, r), p, nil
}

// svd runs LAPACK's divide-and-conquer dgesdd_ on a − 1·meanᵀ (mean nil:
// on a), thin factors or values only; the shift is applied in the copy
// dgesdd_ overwrites. A row-major wide a already is its column-major tall
// transpose: aᵀ = V S Uᵀ, and the column-major factors of aᵀ read
// row-major are U and Vt, so nothing is transposed. A tall a is transposed
// into column-major: LAPACK's tall path (QR first) is about twice as fast
// as its wide one (LQ first) on the same untransposed data, which would
// save that copy (5000×1000, jobz S: 0.83 s vs 1.06 s, and 2.1 s vs 4.0 s
// on a loaded machine; the transposition is ~0.03 s). With inPlace and a
// tall compact a, the copy is C scratch and U is written over a.
func svd(a *mat.Dense, mean []float64, vectors, inPlace bool) (*mat.Dense, []float64, *mat.Dense, error) {
	m, n := a.Dims()
	k := min(m, n)
	s := make([]float64, k)
	raw := a.RawMatrix()
	if m < n {
		in, free := scratch[float64](m * n)
		defer free()
		for i := 0; i < m; i++ {
			shifted(in[i*n:(i+1)*n], raw.Data[i*raw.Stride:i*raw.Stride+n], mean)
		}
		if !vectors {
			return nil, s, nil, gesdd(n, m, in, s, nil, nil)
		}
		u, vt := make([]float64, m*k), make([]float64, k*n)
		if err := gesdd(n, m, in, s, vt, u); err != nil {
			return nil, nil, nil, err
		}
		return mat.NewDense(m, k, u), s, mat.NewDense(k, n, vt), nil
	}
	// acm, overwritten by dgesdd, then holds U (m×k = m×n here), unless
	// U goes over a.
	var acm, out []float64
	if inPlace && raw.Stride == n {
		var free func()
		acm, free = scratch[float64](m * n)
		defer free()
		out = raw.Data[:m*n]
	} else {
		acm = make([]float64, m*n)
		out = acm
	}
	transpose(acm, raw.Data, m, n, raw.Stride, mean)
	if !vectors {
		return nil, s, nil, gesdd(m, n, acm, s, nil, nil)
	}
	ucm, freeU := scratch[float64](m * k)
	defer freeU()
	vtcm, freeVt := scratch[float64](k * n)
	defer freeVt()
	if err := gesdd(m, n, acm, s, ucm, vtcm); err != nil {
		return nil, nil, nil, err
	}
	vt := mat.NewDense(k, n, nil)
	transpose(out, ucm, k, m, m, nil)
	transpose(vt.RawMatrix().Data, vtcm, n, k, k, nil)
	return mat.NewDense(m, k, out), s, vt, nil
}

// shifted writes src − shift into dst (shift nil: copies src).
func shifted(dst, src, shift []float64) {
	if shift == nil {
		copy(dst, src)
		return
	}
	floats.SubTo(dst, src, shift)
}

// gesdd calls dgesdd_ on the column-major m×n matrix a, which it
// overwrites: singular values into s and, unless u is nil, the
// column-major thin factors U (m×k) into u and Vᵀ (k×n) into vt.
func gesdd(m, n int, a, s, u, vt []float64) error {
	k := min(m, n)
	jobz, ldu, ldvt := C.char('N'), C.int(1), C.int(1)
	if u == nil {
		u, vt = []float64{0}, []float64{0}
	} else {
		jobz, ldu, ldvt = 'S', C.int(m), C.int(k)
	}
	cm, cn, info := C.int(m), C.int(n), C.int(0)
	iwork, freeIwork := scratch[C.int](8 * k)
	defer freeIwork()
	call := func(work []float64, lwork C.int) {
		C.dgesdd_(&jobz, &cm, &cn, (*C.double)(&a[0]), &cm, (*C.double)(&s[0]), (*C.double)(&u[0]), &ldu,
			(*C.double)(&vt[0]), &ldvt, (*C.double)(&work[0]), &lwork, &iwork[0], &info, 1)
	}
	query := []float64{0}
	call(query, -1)
	work, freeWork := scratch[float64](int(query[0]))
	defer freeWork()
	call(work, C.int(len(work)))
	if info != 0 {
		return fmt.Errorf("LAPACK dgesdd failed with info %d", int(info))
	}
	return nil
}

// scratch allocates n values of T outside the Go heap, for LAPACK's work
// arrays and intermediate factors: they are large (dsyevd needs 2n²+6n
// doubles) and short-lived, so they should neither inflate the garbage
// collector's heap goal nor outlive their call in the peak RSS. From
// scratchMapped bytes up they are mapped anonymous memory, unmapped by
// free. C's malloc kept them: glibc gives each OS thread an arena of its
// own, cgo calls run on several threads, and once a large block is freed
// glibc raises its threshold for mapping blocks to 32 MB, so each arena
// kept the last workspace below it (four arenas of ~60 MB in a 5-fold
// crossdecomp of 5000×4000). Smaller ones come from malloc, which is
// faster for them than two system calls and fresh pages.
func scratch[T any](n int) (buf []T, free func()) {
	n = max(n, 1)
	size := n * int(unsafe.Sizeof(*new(T)))
	if size < scratchMapped {
		p := C.malloc(C.size_t(size))
		if p == nil {
			panic(fmt.Sprintf("linalg: cannot allocate %d scratch values", n))
		}
		return unsafe.Slice((*T)(p), n), func() { C.free(p) }
	}
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(fmt.Sprintf("linalg: cannot map %d scratch values: %v", n, err))
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n), func() { syscall.Munmap(b) }
}

// scratchMapped is the size from which scratch maps its memory. Mapping
// every block cost a 32×32 eigendecomposition 37% more time (+20 µs, its
// system calls and page faults); what malloc keeps below this is at most
// a few MB per thread.
const scratchMapped = 1 << 20
