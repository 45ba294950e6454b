package decomp

import (
	"math"
	"sort"
)

// binStop is the last edge of the reference binning: ranks 1…10⁴ (§3.6);
// larger ranks fall in the last bin, whose upper edge is +∞.
const binStop = 10_000

// Bins are the geometric rank bins of §3.6 (BonnerLab
// assign_data_to_geometrically_spaced_bins): edges
// geomspace(1, 10⁴, ⌊perDecade·4⌋), the last edge set to +∞, a rank goes to
// bin digitize(rank, edges) − 1, and a bin's centre is the geometric mean
// of its edges (computed before the last edge becomes +∞).
type Bins struct {
	Edges   []float64
	Centres []float64
}

// NewBins builds the bins with perDecade bins per decade of rank.
func NewBins(perDecade int) Bins {
	num := int(float64(perDecade) * math.Log10(binStop))
	b := Bins{Edges: make([]float64, num)}
	for i := range b.Edges {
		b.Edges[i] = math.Pow(binStop, float64(i)/float64(num-1))
	}
	b.Edges[0], b.Edges[num-1] = 1, binStop // geomspace's exact end points
	for i := 0; i+1 < num; i++ {
		b.Centres = append(b.Centres, math.Sqrt(b.Edges[i]*b.Edges[i+1]))
	}
	b.Edges[num-1] = math.Inf(1)
	return b
}

// Of returns the bin of a 1-based rank: the number of edges ≤ rank, less
// one (numpy digitize with right=False).
func (b Bins) Of(rank int) int {
	return sort.Search(len(b.Edges), func(i int) bool { return b.Edges[i] > float64(rank) }) - 1
}

// Mean averages values (index 0 is rank 1) within bins. It returns the
// bins that hold at least one rank (at high densities a bin can fall
// between two integers), their means and member counts.
func (b Bins) Mean(values []float64) (bins []int, means []float64, counts []int) {
	for r, v := range values {
		i := b.Of(r + 1)
		if len(bins) == 0 || bins[len(bins)-1] != i {
			bins, means, counts = append(bins, i), append(means, 0), append(counts, 0)
		}
		means[len(means)-1] += v
		counts[len(counts)-1]++
	}
	for i := range means {
		means[i] /= float64(counts[i])
	}
	return bins, means, counts
}

// Quantile is the linear-interpolation quantile of sorted data (numpy's
// default method).
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}
