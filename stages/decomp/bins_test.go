package decomp_test

import (
	"math"
	"testing"

	"github.com/eigenlab/eigenlab/stages/decomp"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
)

// The checked table of METHODS.md §3.6: ranks 1..1000 of n^-1 (12 edges,
// bins with these centres, counts and means).
func TestBinsTable(t *testing.T) {
	b := decomp.NewBins(3)
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
		if bin != i || math.Abs(c-wantCentres[i]) > 5e-4 || counts[i] != wantCounts[i] ||
			math.Abs(means[i]-wantMeans[i]) > 5e-7 {
			t.Errorf("bin %d (%d): centre %.4f count %d mean %.7f; want %.3f %d %.6f",
				i, bin, c, counts[i], means[i], wantCentres[i], wantCounts[i], wantMeans[i])
		}
	}
}

// Every rank 1..20000 gets the centre the reference binning gives it, at 3
// and 10 bins per decade (10 leaves some bins without an integer rank).
func TestBinsMatchReference(t *testing.T) {
	want := golden.Read(t, "testdata", "bins_centres")
	n := want.Shape[1]
	for row, density := range []int{3, 10} {
		b := decomp.NewBins(density)
		got := make([]float64, n)
		for r := 1; r <= n; r++ {
			got[r-1] = b.Centres[b.Of(r)]
		}
		golden.CloseRel(t, "bin centres", got, want.F64[row*n:(row+1)*n], 1e-14)
	}
}

// numpy's default (linear) quantile.
func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 4, 8}
	for q, want := range map[float64]float64{0: 1, 1: 8, 0.5: 3, 0.99: 7.88} {
		if got := decomp.Quantile(s, q); math.Abs(got-want) > 1e-12 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", s, q, got, want)
		}
	}
}
