package decomp

import (
	"math"
	"testing"
)

// The checked table of METHODS.md §3.6: ranks 1..1000 of n^-1.
func TestBinsTable(t *testing.T) {
	b := NewBins(3, 10000)
	vals := make([]float64, 1000)
	for i := range vals {
		vals[i] = 1 / float64(i+1)
	}
	bins, means, counts := b.Mean(vals)
	wantCentres := []float64{1.52, 3.511, 8.111, 18.738, 43.288, 100.0, 231.013, 533.67, 1232.847}
	wantCounts := []int{2, 3, 7, 16, 37, 86, 200, 460, 189}
	wantMeans := []float64{0.75, 0.261111, 0.117125, 0.051498, 0.022489, 0.00975, 0.004208, 0.001819, 0.001108}
	if len(bins) != len(wantCounts) || len(b.Edges) != 12 {
		t.Fatalf("%d bins used, %d edges; want 9 and 12", len(bins), len(b.Edges))
	}
	for i, bin := range bins {
		c := b.Centres[bin]
		if math.Abs(c-wantCentres[i]) > 1e-3*wantCentres[i] || counts[i] != wantCounts[i] ||
			math.Abs(means[i]-wantMeans[i]) > 5e-7 {
			t.Errorf("bin %d: centre %.3f count %d mean %.6f; want %.3f %d %.6f",
				i, c, counts[i], means[i], wantCentres[i], wantCounts[i], wantMeans[i])
		}
	}
}
