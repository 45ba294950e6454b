//go:build !purego

// Package serialblas calls OpenBLAS's single-threaded SGEMM driver
// directly, for callers that run their own goroutines: through the sgemm_
// interface every large GEMM uses OpenBLAS's thread pool, whose level-3
// lock lets one call at a time run, so concurrent callers wait for each
// other (and the idle pool threads spin against them). It is its own
// package because a cgo package cannot hold Go assembly (stages/nn does).
package serialblas

/*
#cgo LDFLAGS: -lopenblas -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

// OpenBLAS 0.3's level-3 argument block (common_macro.h, SMP build).
typedef struct {
	void *a, *b, *c, *d, *alpha, *beta;
	long m, n, k, lda, ldb, ldc, ldd;
	void *common;
	long nthreads;
} nn_blas_arg;

// The head of OpenBLAS's DYNAMIC_ARCH parameter table (gotoblas_t, built
// without bfloat16): buffer offsets and alignment, then SGEMM's blocking
// and unrolling.
typedef struct {
	int dtb_entries, offset_a, offset_b, align;
	int sgemm_p, sgemm_q, sgemm_r, sgemm_unroll_m, sgemm_unroll_n;
} nn_gotoblas_head;

typedef int (*nn_driver)(nn_blas_arg *, long *, long *, float *, float *, long);

extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);

static nn_driver nn_sgemm_nn;
static void *(*nn_alloc)(int);
static void (*nn_free)(void *);
static nn_gotoblas_head **nn_gotoblas;

static int nn_pow2(long v) { return v > 0 && (v & (v - 1)) == 0; }

// nn_serial_init looks up OpenBLAS's single-threaded SGEMM driver, its
// buffer pool and its parameter table, and reports whether the table's
// head reads as one: offsets and alignment of a buffer, blocking sizes
// that are multiples of power-of-two unrolls. (openblas_get_config is
// called only so that the linker keeps the library.)
static int nn_serial_init(void) {
	openblas_get_config();
	nn_sgemm_nn = (nn_driver)dlsym(RTLD_DEFAULT, "sgemm_nn");
	nn_alloc = (void *(*)(int))dlsym(RTLD_DEFAULT, "blas_memory_alloc");
	nn_free = (void (*)(void *))dlsym(RTLD_DEFAULT, "blas_memory_free");
	nn_gotoblas = (nn_gotoblas_head **)dlsym(RTLD_DEFAULT, "gotoblas");
	if (!nn_sgemm_nn || !nn_alloc || !nn_free || !nn_gotoblas || !*nn_gotoblas) {
		return 0;
	}
	nn_gotoblas_head *g = *nn_gotoblas;
	long lim = 1L << 16;
	return g->offset_a >= 0 && g->offset_a < lim && g->offset_b >= 0 && g->offset_b < lim &&
		nn_pow2((long)g->align + 1) && g->align < lim &&
		nn_pow2(g->sgemm_unroll_m) && g->sgemm_unroll_m <= 64 && nn_pow2(g->sgemm_unroll_n) && g->sgemm_unroll_n <= 64 &&
		g->sgemm_p > 0 && g->sgemm_p < lim && g->sgemm_p % g->sgemm_unroll_m == 0 &&
		g->sgemm_q > 0 && g->sgemm_q < lim && g->sgemm_r > 0;
}

// nn_serial_sgemm sets the row-major m×n c to a·b on the calling thread:
// the column-major cᵀ = bᵀ·aᵀ by OpenBLAS's single-threaded blocked driver,
// in a buffer from OpenBLAS's pool, as sgemm_ does when it uses one thread.
// The k steps are those of OpenBLAS's threaded driver (level3_thread.c:
// GEMM_Q, or halves of what is left when that is under 2·GEMM_Q), each
// step one call adding its partial products to c (beta 0, then 1), so that
// every element is summed exactly as sgemm_ sums it on its thread pool; the
// single-threaded driver would round its halves up to the unrolling.
static void nn_serial_sgemm(long m, long n, long k, float *a, long lda, float *b, long ldb, float *c, long ldc) {
	float one = 1, zero = 0;
	nn_blas_arg args;
	memset(&args, 0, sizeof args);
	args.lda = ldb, args.ldb = lda, args.c = c, args.ldc = ldc;
	args.m = n, args.n = m, args.alpha = &one, args.nthreads = 1;
	nn_gotoblas_head *g = *nn_gotoblas;
	char *buf = nn_alloc(0);
	float *sa = (float *)(buf + g->offset_a);
	long align = g->align, q = g->sgemm_q;
	float *sb = (float *)((char *)sa + (((long)g->sgemm_p * q * 4 + align) & ~align) + g->offset_b);
	for (long ls = 0, step; ls < k; ls += step) {
		step = k - ls;
		if (step >= 2 * q) {
			step = q;
		} else if (step > q) {
			step = (step + 1) / 2;
		}
		args.a = b + ls * ldb, args.b = a + ls, args.k = step;
		args.beta = ls == 0 ? &zero : &one;
		nn_sgemm_nn(&args, NULL, NULL, sa, sb, 0);
	}
	nn_free(buf);
}
*/
import "C"

import "fmt"

// Available reports whether Sgemm can be used: the running OpenBLAS
// exports the driver, its buffer pool and a parameter table laid out as
// checked. Another OpenBLAS (or another build) may not.
var Available = C.nn_serial_init() != 0 && exact()

// Core names the OpenBLAS kernel set in use (openblas_get_corename), e.g.
// SkylakeX or Haswell: whether the kernels compute an element the same in
// every part of a partitioned product depends on it (see Sgemm).
func Core() string { return C.GoString(C.openblas_get_corename()) }

// exact checks the route on a product of small integers, which every
// summation order computes exactly: a misread table gives other values.
func exact() bool {
	const m, n, k, ld = 5, 19, 23, 21
	a, b, c := make([]float32, m*k), make([]float32, k*ld), make([]float32, m*ld)
	for i := range a {
		a[i] = float32(i%7 - 3)
	}
	for i := range b {
		b[i] = float32(i%5 - 2)
	}
	sgemm(m, n, k, a, k, b, ld, c, ld)
	for i := range m {
		for j := range n {
			s := float32(0)
			for l := range k {
				s += a[i*k+l] * b[l*ld+j]
			}
			if c[i*ld+j] != s {
				return false
			}
		}
	}
	return true
}

// Sgemm sets the row-major m×n c (stride ldc) to a·b, a m×k (stride lda),
// b k×n (stride ldb), on the calling thread with OpenBLAS's blocked SGEMM
// driver, whatever the sizes and the number of CPUs: the values depend on
// the operands and the kernel set (Core) only. sgemm_ itself picks other
// kernels and another blocking of k for small products or with one CPU,
// and on some kernel sets (Haswell, Prescott) its threads' partition of c
// changes the last bits of some elements. Each element is summed as
// sgemm_'s threaded driver sums it, which on SkylakeX kernels gives the
// bytes sgemm_ gives on its thread pool. m, n, k ≥ 1; it panics on short
// slices. Only when Available.
func Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 1 || n < 1 || k < 1 || lda < k || ldb < n || ldc < n ||
		len(a) < lda*(m-1)+k || len(b) < ldb*(k-1)+n || len(c) < ldc*(m-1)+n {
		panic(fmt.Sprintf("serialblas: sgemm %d×%d×%d with strides %d, %d, %d on %d, %d, %d values", m, n, k, lda, ldb, ldc, len(a), len(b), len(c)))
	}
	sgemm(m, n, k, a, lda, b, ldb, c, ldc)
}

func sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	C.nn_serial_sgemm(C.long(m), C.long(n), C.long(k), (*C.float)(&a[0]), C.long(lda),
		(*C.float)(&b[0]), C.long(ldb), (*C.float)(&c[0]), C.long(ldc))
}
