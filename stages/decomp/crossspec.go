package decomp

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// FoldLabels assigns n samples to k folds as the reference does (§3.4):
// ⌊n/k⌋ copies of each fold id, the remainder to fold 0, then a seeded
// permutation (Go's generator: labels can be supplied to match numpy's).
func FoldLabels(rng *rand.Rand, n, k int) []int {
	labels := make([]int, 0, n)
	for f := 0; f < k; f++ {
		for i := 0; i < n/k; i++ {
			labels = append(labels, f)
		}
	}
	for len(labels) < n {
		labels = append(labels, 0)
	}
	rng.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	return labels
}

// Metric options for TestSpectrum (§3.3).
type Metric struct {
	Correlation bool    // divide each component by the sds of x̃_k, ỹ_k
	Recenter    bool    // subtract the test means (np.cov); default uncentered as the paper code
	Normalize   float64 // divide covariances by this (√(dX·dY)); 0 or 1 for none
}

// TestSpectrum is the per-component covariance Σ_i x̃_ik ỹ_π(i)k/(n−1) of
// held-out projections, with rows of ỹ taken in the order perm (nil for
// identity).
func TestSpectrum(xt, yt *mat.Dense, perm []int, m Metric) []float64 {
	n, k := xt.Dims()
	out := make([]float64, k)
	for c := 0; c < k; c++ {
		var mx, my float64
		if m.Recenter || m.Correlation {
			for i := 0; i < n; i++ {
				mx += xt.At(i, c) / float64(n)
				my += yt.At(i, c) / float64(n)
			}
		}
		var sxy, sxx, syy float64
		for i := 0; i < n; i++ {
			j := i
			if perm != nil {
				j = perm[i]
			}
			a, b := xt.At(i, c), yt.At(j, c)
			if m.Recenter {
				sxy += (a - mx) * (b - my)
			} else {
				sxy += a * b
			}
			sxx += (a - mx) * (a - mx)
			syy += (b - my) * (b - my)
		}
		v := sxy / float64(n-1)
		switch {
		case m.Correlation:
			v /= math.Sqrt(sxx/float64(n-1)) * math.Sqrt(syy/float64(n-1))
		case m.Normalize > 0:
			v /= m.Normalize
		}
		out[c] = v
	}
	return out
}

// Bins are the geometric rank bins of §3.6 (BonnerLab): edges
// geomspace(1, stop, ⌊density·log10(stop)⌋), last edge +∞, a rank goes to
// bin digitize(rank) − 1, centres are geometric means of the edges.
type Bins struct {
	Edges   []float64
	Centres []float64
}

// NewBins builds the bins for ranks 1..stop.
func NewBins(density int, stop float64) Bins {
	num := int(float64(density) * math.Log10(stop))
	b := Bins{Edges: make([]float64, num)}
	for i := range b.Edges {
		b.Edges[i] = math.Pow(stop, float64(i)/float64(num-1))
	}
	for i := 0; i+1 < num; i++ {
		b.Centres = append(b.Centres, math.Sqrt(b.Edges[i]*b.Edges[i+1]))
	}
	b.Edges[num-1] = math.Inf(1)
	return b
}

// Of returns the bin index of a 1-based rank.
func (b Bins) Of(rank int) int {
	return sort.SearchFloat64s(b.Edges, float64(rank)+1e-12) - 1
}

// Mean averages values (index 0 is rank 1) within bins; it returns the
// used bins' indices, means and member counts.
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
