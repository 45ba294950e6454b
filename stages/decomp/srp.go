// Package decomp holds the numerics of dimensionality reduction and
// cross-decomposition: sparse random projection (METHODS.md §2.2), PCA
// (§2.1), the cross-validated cross-decomposition spectrum (§3) with its
// folds, permutation null, bootstrap and geometric binning, and ridge
// regression (§6).
package decomp

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Projection is a sparse linear map R ∈ R^{D×K} stored by input feature
// (CSR): projecting touches only the nonzeros of each input feature, and
// the matrix costs O(nonzeros) memory, never O(D·K) (§2.2 "store R sparse").
type Projection struct {
	D, K   int
	rowPtr []int // rowPtr[d]..rowPtr[d+1] index cols/vals of input feature d
	cols   []int32
	vals   []float64
}

// NewSRP draws a sparse random projection (Li et al. "very sparse" when
// density = 1/√D): each entry is ±1/√(density·K) with probability density/2
// each and 0 otherwise, so every entry has variance 1/K and E‖xR‖² = ‖x‖².
// Nonzeros are placed along the row-major D×K index with geometric gaps,
// which is exactly i.i.d. Bernoulli(density) per entry, costs
// O(D·K·density) draws and yields the CSR order directly.
func NewSRP(rng *rand.Rand, d, k int, density float64) *Projection {
	scale := 1 / math.Sqrt(density*float64(k))
	p := &Projection{D: d, K: k, rowPtr: make([]int, d+1)}
	total := int64(d) * int64(k)
	logq := math.Log1p(-density) // −Inf when density = 1: every gap is 0
	for pos := int64(-1); ; {
		gap := math.Floor(math.Log(1-rng.Float64()) / logq) // 1−U ∈ (0, 1]
		if gap >= float64(total-pos-1) {
			break
		}
		pos += 1 + int64(gap)
		row := pos / int64(k)
		p.rowPtr[row+1]++
		p.cols = append(p.cols, int32(pos%int64(k)))
		v := scale
		if rng.Uint64()&1 == 1 {
			v = -scale
		}
		p.vals = append(p.vals, v)
	}
	for r := 0; r < d; r++ {
		p.rowPtr[r+1] += p.rowPtr[r]
	}
	return p
}

// NewProjection stores a dense D×K matrix (its nonzero entries) as a
// Projection, for maps that are not random sparse ones (an orthogonal
// matrix in the channel-SRP invariance check of §2.3, a Gaussian map).
func NewProjection(r mat.Matrix) *Projection {
	d, k := r.Dims()
	p := &Projection{D: d, K: k, rowPtr: make([]int, d+1)}
	for i := 0; i < d; i++ {
		for j := 0; j < k; j++ {
			if v := r.At(i, j); v != 0 {
				p.cols = append(p.cols, int32(j))
				p.vals = append(p.vals, v)
			}
		}
		p.rowPtr[i+1] = len(p.cols)
	}
	return p
}

// NNZ is the number of nonzero entries.
func (p *Projection) NNZ() int { return len(p.cols) }

// At returns R[d, j] in O(nonzeros of input feature d).
func (p *Projection) At(d, j int) float64 {
	for q := p.rowPtr[d]; q < p.rowPtr[d+1]; q++ {
		if int(p.cols[q]) == j {
			return p.vals[q]
		}
	}
	return 0
}

// JLDim is the Johnson–Lindenstrauss bound used by Conwell et al. and
// sklearn's johnson_lindenstrauss_min_dim: ⌊4 ln n / (ε²/2 − ε³/3)⌋ (§2.2).
func JLDim(n int, eps float64) int {
	return int(4 * math.Log(float64(n)) / (eps*eps/2 - eps*eps*eps/3))
}

// DefaultDensity is 1/√D (Li et al.; sklearn density="auto").
func DefaultDensity(d int) float64 { return 1 / math.Sqrt(float64(d)) }
