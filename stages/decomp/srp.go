// Package decomp holds the numerics of dimensionality reduction and
// cross-decomposition: sparse random projection (METHODS.md §2.2), PCA
// (§2.1) and the pooling of §2.3.
package decomp

import (
	"math"
	"math/rand/v2"
	"sort"
)

// SRP is a sparse random projection R ∈ R^{D×k} (Li et al. "very sparse"
// when Density = 1/√D): each entry is ±1/√(Density·k) with probability
// Density/2 each and 0 otherwise, so E‖xR‖² = ‖x‖² (§2.2). It is stored by
// input feature (CSR) so projecting a row touches only its nonzeros.
type SRP struct {
	D, K    int
	Density float64
	Scale   float64 // 1/√(Density·K)
	rowPtr  []int   // rowPtr[d]..rowPtr[d+1] index cols/neg for input feature d
	cols    []int32
	neg     []bool
}

// NewSRP draws the projection from rng. Nonzeros are placed column by
// column with geometric gaps, which is exactly i.i.d. Bernoulli(Density)
// per entry but costs O(D·k·Density) draws instead of O(D·k).
func NewSRP(rng *rand.Rand, d, k int, density float64) *SRP {
	type nz struct {
		row, col int32
		neg      bool
	}
	var all []nz
	logq := math.Log1p(-density)
	for j := 0; j < k; j++ {
		pos := -1
		for {
			if density >= 1 {
				pos++
			} else {
				pos += 1 + int(math.Floor(math.Log(1-rng.Float64())/logq))
			}
			if pos >= d || pos < 0 {
				break
			}
			all = append(all, nz{int32(pos), int32(j), rng.IntN(2) == 0})
		}
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].row != all[b].row {
			return all[a].row < all[b].row
		}
		return all[a].col < all[b].col
	})
	s := &SRP{D: d, K: k, Density: density, Scale: 1 / math.Sqrt(density*float64(k)),
		rowPtr: make([]int, d+1), cols: make([]int32, len(all)), neg: make([]bool, len(all))}
	for i, e := range all {
		s.rowPtr[e.row+1]++
		s.cols[i], s.neg[i] = e.col, e.neg
	}
	for r := 0; r < d; r++ {
		s.rowPtr[r+1] += s.rowPtr[r]
	}
	return s
}

// NNZ is the number of nonzero entries.
func (s *SRP) NNZ() int { return len(s.cols) }

// Entry returns R[d, j] (for tests; O(nonzeros in row d)).
func (s *SRP) Entry(d, j int) float64 {
	for i := s.rowPtr[d]; i < s.rowPtr[d+1]; i++ {
		if int(s.cols[i]) == j {
			if s.neg[i] {
				return -s.Scale
			}
			return s.Scale
		}
	}
	return 0
}

// ProjectRow computes y = x R for one row, accumulating in float64; y
// must have length K and is overwritten.
func (s *SRP) ProjectRow(x func(d int) float64, y []float64) {
	for j := range y {
		y[j] = 0
	}
	for d := 0; d < s.D; d++ {
		v := x(d)
		if v == 0 {
			continue
		}
		v *= s.Scale
		for i := s.rowPtr[d]; i < s.rowPtr[d+1]; i++ {
			if s.neg[i] {
				y[s.cols[i]] -= v
			} else {
				y[s.cols[i]] += v
			}
		}
	}
}

// JLDim is the Johnson–Lindenstrauss bound used by Conwell et al. and
// sklearn's johnson_lindenstrauss_min_dim: ⌊4 ln n / (ε²/2 − ε³/3)⌋.
func JLDim(n int, eps float64) int {
	return int(4 * math.Log(float64(n)) / (eps*eps/2 - eps*eps*eps/3))
}

// DefaultDensity is 1/√D (Li et al.; sklearn density="auto").
func DefaultDensity(d int) float64 { return 1 / math.Sqrt(float64(d)) }
