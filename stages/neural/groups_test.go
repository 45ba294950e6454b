package neural_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/stages/neural"
	"github.com/eigenlab/eigenlab/stages/spectral"
)

// Two areas with different planted power laws, interleaved and with
// independent noise per repeat: each group's cvPCA spectrum recovers its
// own planted eigenvalues (cvPCA is unbiased by the noise), and equals
// spectral.CvPCA run on that group's units alone.
func TestCvPCAByGroupRecoversEachArea(t *testing.T) {
	const stimuli, per = 3000, 20
	rng := rand.New(rand.NewPCG(4, 5))
	labels := make([]int64, 2*per)
	v := make([]float64, stimuli*2*2*per)
	for u := range labels {
		labels[u] = int64(7 + 3*(u%2)) // areas 7 and 10, interleaved
	}
	for s := 0; s < stimuli; s++ {
		for u := range labels {
			k := float64(u/2 + 1)
			alpha := map[int64]float64{7: 1, 10: 2}[labels[u]]
			signal := rng.NormFloat64() * math.Pow(k, -alpha/2)
			for r := 0; r < 2; r++ {
				v[(s*2+r)*len(labels)+u] = signal + 0.3*rng.NormFloat64()
			}
		}
	}
	x, err := neural.NewResponses(v, stimuli, 2, len(labels))
	if err != nil {
		t.Fatal(err)
	}
	names, members, err := neural.Groups(labels, len(labels))
	if err != nil || !slices.Equal(names, []int64{7, 10}) {
		t.Fatalf("groups %v %v", names, err)
	}
	cv, err := neural.CvPCAByGroup(x, members, 0, 1, 0, 9)
	if err != nil {
		t.Fatal(err)
	}
	for g, alpha := range []float64{1, 2} {
		for k := 0; k < 3; k++ {
			want := math.Pow(float64(k+1), -alpha)
			if math.Abs(cv[g][k]-want) > 0.1*want {
				t.Errorf("area %d rank %d: cv %.4f, planted %.4f", names[g], k+1, cv[g][k], want)
			}
		}
		alone, _, err := spectral.CvPCA(rand.New(rand.NewPCG(9, uint64(g))), x.Repeat(0, members[g]), x.Repeat(1, members[g]), 0, nil)
		if err != nil || !slices.Equal(alone, cv[g]) {
			t.Errorf("area %d differs from cvPCA of its units alone (%v)", names[g], err)
		}
	}
	if _, err := neural.CvPCAByGroup(x, members, 1, 1, 0, 9); err == nil {
		t.Error("same repeat twice: no error")
	}
	if _, _, err := neural.Groups(labels[:3], len(labels)); err == nil {
		t.Error("too few labels: no error")
	}
}
