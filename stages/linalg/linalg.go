// Package linalg is eigenlab's dense linear algebra: symmetric
// eigendecomposition, thin SVD, Gram and cross products on gonum types.
//
// The default build registers OpenBLAS as gonum's BLAS and calls LAPACK's
// divide-and-conquer drivers (dsyevd, dgesdd) through LAPACKE: measured on
// this project's machines that is 6× faster than pure-Go gonum for GEMM and
// 20× for eigh/SVD, and on par with numpy (NUMERICS.md, BENCHMARKS.md).
// The build tag purego selects gonum's own implementations instead.
package linalg

import (
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Gram returns X Xᵀ (n×n for an n×p X) with one SYRK.
func Gram(x *mat.Dense) *mat.SymDense {
	n, _ := x.Dims()
	g := mat.NewSymDense(n, nil)
	g.SymOuterK(1, x)
	return g
}

// CrossProd returns Xᵀ Y.
func CrossProd(x, y *mat.Dense) *mat.Dense {
	var c mat.Dense
	c.Mul(x.T(), y)
	return &c
}

// SVDFlip applies the sign convention of METHODS.md §0.1 (sklearn
// svd_flip with u_based_decision): for each component k the entry of u_k
// with the largest absolute value is made positive, and v_k (row k of vt)
// gets the same sign.
func SVDFlip(u, vt *mat.Dense) {
	m, k := u.Dims()
	for j := 0; j < k; j++ {
		best, arg := -1.0, 0
		for i := 0; i < m; i++ {
			if a := abs(u.At(i, j)); a > best {
				best, arg = a, i
			}
		}
		if u.At(arg, j) >= 0 {
			continue
		}
		for i := 0; i < m; i++ {
			u.Set(i, j, -u.At(i, j))
		}
		if vt != nil {
			_, n := vt.Dims()
			for c := 0; c < n; c++ {
				vt.Set(j, c, -vt.At(j, c))
			}
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// reverse puts ascending eigenpairs in descending order.
func reverse(vals []float64, vecs *mat.Dense) {
	n := len(vals)
	for i := 0; i < n/2; i++ {
		vals[i], vals[n-1-i] = vals[n-1-i], vals[i]
	}
	if vecs == nil {
		return
	}
	r, _ := vecs.Dims()
	for i := 0; i < r; i++ {
		row := vecs.RawRowView(i)
		for a, b := 0, n-1; a < b; a, b = a+1, b-1 {
			row[a], row[b] = row[b], row[a]
		}
	}
}

// PreferredEnv returns the environment settings OpenBLAS should start
// with on this CPU and that are not yet set: its AVX-512 kernels where the
// CPU has AVX-512 (Debian's OpenBLAS 0.3.21 does not recognise recent CPUs
// and falls back to AVX2 at 60% of the speed; NUMERICS.md).
func PreferredEnv() []string {
	if Backend() != "openblas" || os.Getenv("OPENBLAS_CORETYPE") != "" {
		return nil
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil || !strings.Contains(string(info), " avx512f") {
		return nil
	}
	return []string{"OPENBLAS_CORETYPE=SkylakeX"}
}

// ColMeans returns the mean of each column of x (over rows, the samples).
func ColMeans(x *mat.Dense) []float64 {
	n, p := x.Dims()
	mean := make([]float64, p)
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	return mean
}

// Centered returns a new matrix x − 1·meanᵀ.
func Centered(x *mat.Dense, mean []float64) *mat.Dense {
	n, p := x.Dims()
	out := mat.NewDense(n, p, nil)
	for i := 0; i < n; i++ {
		src, dst := x.RawRowView(i), out.RawRowView(i)
		for j := range dst {
			dst[j] = src[j] - mean[j]
		}
	}
	return out
}
