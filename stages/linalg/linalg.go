// Package linalg is eigenlab's dense linear algebra: symmetric
// eigendecomposition, thin SVD, Gram and cross products on gonum types.
//
// The default build registers OpenBLAS as gonum's BLAS, so every gonum mat
// product in the program runs on it, and calls LAPACK's divide-and-conquer
// drivers dsyevd_ and dgesdd_, which Debian's libopenblas bundles, through
// thin cgo bindings (link flag -lopenblas only; no environment needed).
// Measured, that is 6× faster than pure-Go gonum for GEMM and 20× for
// eigh/SVD, and on par with numpy (NUMERICS.md, BENCHMARKS.md). The build
// tag purego selects gonum's own implementations behind the same API.
package linalg

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// SymEig returns the eigenvalues of the symmetric matrix a in descending
// order and, if vectors, the eigenvectors as columns in the same order (nil
// if !vectors). a is not modified.
func SymEig(a *mat.SymDense, vectors bool) (vals []float64, vecs *mat.Dense, err error) {
	return symEigen(a, vectors, false)
}

// SymEigInPlace is SymEig using a's storage as LAPACK's workspace instead
// of a copy of it (n² values less: 128 MB at n = 4000): a is destroyed,
// and with vectors the returned eigenvectors may share its memory. For a
// matrix built only to be decomposed, such as a covariance or a Gram.
func SymEigInPlace(a *mat.SymDense, vectors bool) (vals []float64, vecs *mat.Dense, err error) {
	return symEigen(a, vectors, true)
}

// PSDEigenvalues returns the eigenvalues of the symmetric positive
// semidefinite matrix a (a covariance, a second moment, a centered Gram)
// in descending order, destroying a. Up to smallPSD rows they are its
// singular values, from LAPACK's dgesdd, whose level-2 BLAS calls run on
// the calling thread at that size: dsyevd's tridiagonalisation wakes
// OpenBLAS's thread pool for each of its 2n level-2 calls and leaves it
// spinning, which was most of the CPU of a sweep of small spectra
// (BENCHMARKS.md). For a PSD matrix they are the same numbers to
// rounding; one at rounding level (at or below ~1e-16 of the largest, as
// a numerically singular covariance has) comes out as its magnitude.
func PSDEigenvalues(a *mat.SymDense) ([]float64, error) {
	n := a.SymmetricDim()
	if n == 0 || n > smallPSD {
		vals, _, err := symEigen(a, false, true)
		return vals, err
	}
	d := mat.NewDense(n, n, nil)
	d.Copy(a)
	_, s, _, err := svd(d, nil, false, true)
	if err != nil {
		return nil, fmt.Errorf("eigenvalues of the %d×%d positive semidefinite matrix (as its singular values): %w", n, n, err)
	}
	return s, nil
}

// smallPSD is the largest matrix PSDEigenvalues takes through dgesdd:
// OpenBLAS 0.3.21 runs dgemv on one thread below m·n = 9,216 and dger at
// or below 8,192, and dgesdd bidiagonalises a matrix this small unblocked
// with those two, so it never wakes the pool.
const smallPSD = 64

func symEigen(a *mat.SymDense, vectors, inPlace bool) (vals []float64, vecs *mat.Dense, err error) {
	if a.SymmetricDim() == 0 {
		return nil, nil, errors.New("symmetric eigendecomposition: the matrix is empty, want n×n with n ≥ 1")
	}
	vals, vecs, err = symEig(a, vectors, inPlace)
	if err != nil {
		return nil, nil, fmt.Errorf("symmetric eigendecomposition of %d×%d: %w", a.SymmetricDim(), a.SymmetricDim(), err)
	}
	reverse(vals, vecs)
	return vals, vecs, nil
}

// SVD returns the thin SVD a = U diag(s) Vt with s descending: U is m×k,
// Vt is k×n, k = min(m, n). a is not modified.
func SVD(a *mat.Dense) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	return CenteredSVD(a, nil)
}

// CenteredSVD is SVD of a − 1·meanᵀ (mean: one shift per column; nil for
// none) without forming that matrix: the shift is applied in the copy of a
// that LAPACK overwrites anyway, which saves a pass over the data and a
// matrix of memory against SVD(Centered(a, mean)). a is not modified.
func CenteredSVD(a *mat.Dense, mean []float64) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	return svdChecked(a, mean, false)
}

// SVDInPlace is SVD of a matrix built only to be decomposed, such as a
// cross-covariance: a is destroyed, and a tall one (m ≥ n) with compact
// rows returns U in its storage, so the only m×n allocation is LAPACK's
// short-lived working copy outside the Go heap.
func SVDInPlace(a *mat.Dense) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	return svdChecked(a, nil, true)
}

func svdChecked(a *mat.Dense, mean []float64, inPlace bool) (u *mat.Dense, s []float64, vt *mat.Dense, err error) {
	if err := checkSVD(a); err != nil {
		return nil, nil, nil, err
	}
	u, s, vt, err = svd(a, mean, true, inPlace)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("SVD of %s: %w", shape(a), err)
	}
	return u, s, vt, nil
}

// SingularValues returns the singular values of a in descending order,
// without computing the singular vectors.
func SingularValues(a *mat.Dense) ([]float64, error) {
	if err := checkSVD(a); err != nil {
		return nil, err
	}
	_, s, _, err := svd(a, nil, false, false)
	if err != nil {
		return nil, fmt.Errorf("singular values of %s: %w", shape(a), err)
	}
	return s, nil
}

func checkSVD(a *mat.Dense) error {
	if a.IsEmpty() {
		return errors.New("SVD: the matrix is empty, want m×n with m, n ≥ 1")
	}
	return nil
}

func shape(a mat.Matrix) string {
	r, c := a.Dims()
	return fmt.Sprintf("%d×%d", r, c)
}

// PivotedCholesky is the rank-revealing Cholesky factorization of the
// positive semi-definite a with diagonal pivoting (LAPACK dpstrf):
// a[piv[i]][piv[j]] = (R Rᵀ)[i][j] with R n×r lower trapezoidal, r the
// numerical rank, where elimination stops once no remaining pivot exceeds
// tol·max diag(a). It costs n²r − 2r³/3 flops, a sixth of an
// eigendecomposition's work, and factors a Gram as X Xᵀ = L Lᵀ with
// L = Πᵀ R as the eigenvectors would (L = U S), for the Gram route of
// FitCross. a is not modified.
func PivotedCholesky(a *mat.SymDense, tol float64) (r *mat.Dense, piv []int, err error) {
	n := a.SymmetricDim()
	if n == 0 {
		return nil, nil, errors.New("pivoted Cholesky: the matrix is empty, want n×n with n ≥ 1")
	}
	top := 0.0
	for i := 0; i < n; i++ {
		top = max(top, a.At(i, i))
	}
	r, piv, err = pivCholesky(a, tol*top)
	if err == nil && r == nil {
		err = errors.New("numerical rank 0: no diagonal entry is positive")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("pivoted Cholesky of %d×%d: %w", n, n, err)
	}
	return r, piv, nil
}

// denseOrNil wraps the r×c data, nil when c is 0.
func denseOrNil(r, c int, data []float64) *mat.Dense {
	if c == 0 {
		return nil
	}
	return mat.NewDense(r, c, data)
}

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
	// One pass over u's rows (not k strided column scans): the first
	// largest |value| of every column, then the signs.
	best, arg := make([]float64, k), make([]int, k)
	for j := range best {
		best[j] = -1
	}
	for i := 0; i < m; i++ {
		for j, v := range u.RawRowView(i) {
			if a := abs(v); a > best[j] {
				best[j], arg[j] = a, i
			}
		}
	}
	neg := make([]bool, k)
	flips := false
	for j := range neg {
		neg[j] = u.At(arg[j], j) < 0
		flips = flips || neg[j]
	}
	if !flips {
		return
	}
	for i := 0; i < m; i++ {
		row := u.RawRowView(i)
		for j, n := range neg {
			if n {
				row[j] = -row[j]
			}
		}
	}
	for j, n := range neg {
		if n && vt != nil {
			row := vt.RawRowView(j)
			for c := range row {
				row[c] = -row[c]
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

// threads is the fixed number of OpenBLAS threads: the number of CPUs
// this process may use, whatever eigenlab's -j, so that the blocking of
// the BLAS/LAPACK routines, and so the rounding of their results, does not
// depend on how many stages run at once.
var threads = runtime.NumCPU()

// PreferredEnv returns the OpenBLAS settings that are not yet set and that
// the process should start with (OpenBLAS reads them when it loads, so the
// CLI re-executes itself with them): OPENBLAS_THREAD_TIMEOUT (see
// threadTimeout); OPENBLAS_NUM_THREADS=threads, so the
// thread pool is created at the size the init sets anyway, and, where the
// CPU has AVX-512, OPENBLAS_CORETYPE=SkylakeX (Debian's OpenBLAS 0.3.21 does
// not recognise recent CPUs such as Zen 5 and falls back to AVX2 kernels at
// 60% of the speed; NUMERICS.md). Nil for the pure-Go backend.
func PreferredEnv() []string {
	if Backend() != "openblas" {
		return nil
	}
	var env []string
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		env = append(env, "OPENBLAS_NUM_THREADS="+strconv.Itoa(threads))
	}
	if os.Getenv("OPENBLAS_CORETYPE") == "" && hasAVX512() {
		env = append(env, "OPENBLAS_CORETYPE=SkylakeX")
	}
	if os.Getenv("OPENBLAS_THREAD_TIMEOUT") == "" {
		env = append(env, "OPENBLAS_THREAD_TIMEOUT="+strconv.Itoa(threadTimeout))
	}
	return env
}

// threadTimeout is how long (2^threadTimeout CPU cycles) an idle OpenBLAS
// worker spins in sched_yield before it sleeps. The default, 2^28 (about
// 0.1 s), keeps both cores busy after every threaded call: 40% of the CPU
// samples of a sweep of tiny stages. 2^20 (under a millisecond) still
// bridges the calls of one LAPACK routine (eigh 2000: 1.75–1.82 s against
// 1.74–1.84 s by default, measured; 2^4 cost 12%) and cut the spinning
// syscalls of 100 tiny planted→spectrum cells by a third.
const threadTimeout = 20

// hasAVX512 reports whether /proc/cpuinfo lists the avx512f flag.
func hasAVX512() bool {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(info), "\n") {
		if strings.HasPrefix(line, "flags") && slices.Contains(strings.Fields(line), "avx512f") {
			return true
		}
	}
	return false
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

// Pearson is the correlation of a and b (gonum stat.Correlation), 0 when
// either is constant: no linear relation can be measured, and a score
// averaged over targets must not turn NaN. The project's one Pearson r.
func Pearson(a, b []float64) float64 {
	r := stat.Correlation(a, b, nil)
	if math.IsNaN(r) {
		return 0
	}
	return r
}
