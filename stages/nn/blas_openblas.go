//go:build !purego

package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/eigenlab/eigenlab/stages/nn/internal/serialblas"
	// OpenBLAS set up (threads) as for the rest of eigenlab.
	_ "github.com/eigenlab/eigenlab/stages/linalg"
)

// sgemm sets the row-major m×n c (stride ldc) to a·b, a m×k, b k×n, with
// OpenBLAS's SGEMM: the forward pass's cost. It runs on the calling
// worker's thread (serialblas): workers compute images in parallel, and
// OpenBLAS's own threads, one threaded call at a time, made a second
// worker useless. The values do not depend on the number of CPUs. Another
// OpenBLAS whose internals serialblas does not recognise gets sgemm_.
func sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if serialblas.Available && m > 0 && n > 0 && k > 0 {
		serialblas.Sgemm(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	netlib.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
}
