package align

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Null draws cosine matrices under the random-rotation null of §5.4:
// network 2's compared eigenvectors F (top orthonormal vectors in R^D2) are
// replaced by Q·F with Q Haar-distributed on O(D2), and
// M'_ij = |⟨Ê_i, Q f_j⟩| with Ê the mapped eigenvectors of network 1
// scaled to unit length.
//
// A draw costs O(top³), not O(D2³): write Ê = L·Pᵀ with P (D2×top)
// orthonormal and L (top×top) from the QR of Êᵀ. By the invariance of the
// Haar measure Pᵀ·Q·F is distributed as the top-left top×top block of a
// Haar matrix, which is G₁·R⁻¹ where [G₁; G₂] (G₁ top×top) is the Gaussian
// whose sign-fixed QR gives the Haar matrix's first columns and RᵀR =
// G₁ᵀG₁ + G₂ᵀG₂. G₂ᵀG₂ (G₂ (D2−top)×top) equals R₂ᵀR₂ in distribution for
// the Bartlett factor R₂ (upper trapezoidal, R₂ᵢᵢ ~ χ_{D2−top−i} for
// 0-based i, N(0,1) above the diagonal), so only top + min(D2−top, top)
// rows are drawn. The draws are those of Q·F exactly in distribution.
type Null struct {
	l   *mat.Dense // top×top, Ê = L·Pᵀ
	top int
	d2  int
}

// NewNull prepares null draws for the first top rows of te (the mapped
// eigenvectors T e_i, one per row, in R^D2). top must be at most D2.
func NewNull(te *mat.Dense, top int) *Null {
	_, d2 := te.Dims()
	var qr mat.QR
	qr.Factorize(unitRows(te, top).T())
	var r mat.Dense
	qr.RTo(&r)
	return &Null{l: mat.DenseCopyOf(r.Slice(0, top, 0, top).T()), top: top, d2: d2}
}

// Draw returns one null cosine matrix (top×top) from rng's stream. The
// top×top algebra is plain Go: through cgo BLAS the per-call overhead of
// these small products dominated (1 ms a draw at top = 50).
func (n *Null) Draw(rng *rand.Rand) (*mat.Dense, error) {
	k, extra := n.top, min(n.d2-n.top, n.top)
	y := make([]float64, (k+extra)*k) // [G₁; R₂], row-major
	for i := range y[:k*k] {
		y[i] = rng.NormFloat64()
	}
	for i := 0; i < extra; i++ { // R₂, Bartlett
		row := y[(k+i)*k : (k+i+1)*k]
		row[i] = math.Sqrt(distuv.ChiSquared{K: float64(n.d2 - k - i), Src: rng}.Rand())
		for j := i + 1; j < k; j++ {
			row[j] = rng.NormFloat64()
		}
	}
	u, err := gramCholesky(y, k)
	if err != nil {
		return nil, err
	}
	m := mat.NewDense(k, k, nil)
	for i := 0; i < k; i++ {
		row := m.RawRowView(i)
		for p, l := range n.l.RawRowView(i) { // row i of L·G₁
			for j, g := range y[p*k : (p+1)*k] {
				row[j] += l * g
			}
		}
		solveUpperRight(row, u, k) // row i of (L·G₁)·U⁻¹
		for j, v := range row {
			row[j] = math.Abs(v)
		}
	}
	return m, nil
}

// gramCholesky returns the upper Cholesky factor U (k×k, row-major, UᵀU =
// yᵀy) of the Gram matrix of y's columns (y row-major, k columns).
func gramCholesky(y []float64, k int) ([]float64, error) {
	s := make([]float64, k*k)
	for r := 0; r < len(y)/k; r++ {
		row := y[r*k : (r+1)*k]
		for i, a := range row {
			if a == 0 {
				continue
			}
			for j := i; j < k; j++ {
				s[i*k+j] += a * row[j]
			}
		}
	}
	for i := 0; i < k; i++ { // in place: s becomes U (upper triangle)
		for p := 0; p < i; p++ {
			for j := i; j < k; j++ {
				s[i*k+j] -= s[p*k+i] * s[p*k+j]
			}
		}
		if s[i*k+i] <= 0 {
			return nil, errors.New("null draw: the Gaussian Gram matrix is not positive definite")
		}
		d := math.Sqrt(s[i*k+i])
		for j := i; j < k; j++ {
			s[i*k+j] /= d
		}
	}
	return s, nil
}

// solveUpperRight overwrites x with x·U⁻¹ (U upper triangular, row-major).
func solveUpperRight(x, u []float64, k int) {
	for j := 0; j < k; j++ {
		v := x[j]
		for i := 0; i < j; i++ {
			v -= x[i] * u[i*k+j]
		}
		x[j] = v / u[j*k+j]
	}
}

// unitRows returns the first top rows of te, each scaled to unit length.
func unitRows(te *mat.Dense, top int) *mat.Dense {
	_, d := te.Dims()
	out := mat.NewDense(top, d, nil)
	for i := 0; i < top; i++ {
		row := te.RawRowView(i)
		s := math.Sqrt(mat.Dot(mat.NewVecDense(d, row), mat.NewVecDense(d, row)))
		for t, v := range row {
			out.Set(i, t, v/s)
		}
	}
	return out
}
