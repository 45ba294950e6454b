package neural_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/neural"
)

func goldenResponses(t *testing.T) neural.Responses {
	a := golden.Read(t, "testdata", "ceiling_x")
	x, err := neural.NewResponses(a.Float64s(), a.Shape[0], a.Shape[1], a.Shape[2])
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// Split-half reliability (even/odd, Spearman–Brown), ncsnr and the NSD
// ceiling equal the numpy reference to 1e-12.
func TestCeilingsMatchNumpy(t *testing.T) {
	x := goldenResponses(t)
	split, err := neural.SplitHalf(x, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ncsnr := neural.NCSNR(x)
	for _, c := range []struct {
		name string
		got  []float64
	}{{"splithalf", split}, {"ncsnr", ncsnr}, {"nc", neural.NoiseCeiling(ncsnr, x.Repeats)}} {
		golden.CloseRel(t, c.name, c.got, golden.Read(t, "testdata", "ceiling_"+c.name).Float64s(), 1e-12)
	}
}

// On planted signal + noise with known variances the estimates recover the
// known answers: ncsnr → σ_S/σ_N, NC → 100σ_S²/(σ_S²+σ_N²/R), and the
// corrected split-half reliability (random halvings) → σ_S²/(σ_S²+σ_N²/R).
func TestCeilingsRecoverPlanted(t *testing.T) {
	const stimuli, repeats = 4000, 6
	sig := []float64{0.5, 1, 2}
	noi := []float64{1, 1, 0.5}
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]float64, stimuli*repeats*len(sig))
	for s := 0; s < stimuli; s++ {
		for u := range sig {
			signal := rng.NormFloat64() * sig[u]
			for r := 0; r < repeats; r++ {
				v[(s*repeats+r)*len(sig)+u] = 1 + signal + noi[u]*rng.NormFloat64()
			}
		}
	}
	x, err := neural.NewResponses(v, stimuli, repeats, len(sig))
	if err != nil {
		t.Fatal(err)
	}
	ncsnr := neural.NCSNR(x)
	nc := neural.NoiseCeiling(ncsnr, repeats)
	split, err := neural.SplitHalf(x, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	for u := range sig {
		rel := sig[u] * sig[u] / (sig[u]*sig[u] + noi[u]*noi[u]/repeats)
		for _, c := range []struct {
			what      string
			got, want float64
			tol       float64
		}{
			{"ncsnr", ncsnr[u], sig[u] / noi[u], 0.03},
			{"NC", nc[u], 100 * rel, 0.02},
			{"split-half", split[u], rel, 0.02},
		} {
			if math.Abs(c.got-c.want) > c.tol*c.want {
				t.Errorf("unit %d %s = %.4f, planted %.4f", u, c.what, c.got, c.want)
			}
		}
	}
}

// Pure noise has ncsnr 0 and ceiling 0; a noiseless unit has ceiling 100;
// bad shapes and values are errors.
func TestCeilingEdges(t *testing.T) {
	x, err := neural.NewResponses([]float64{1, 5, 2, 5, 3, 5, 4, 5}, 2, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	// unit 0: stimulus 0 → 1,2; stimulus 1 → 3,4 (signal and noise); unit 1 constant.
	if nc := neural.NoiseCeiling(neural.NCSNR(x), 2); nc[1] != 0 || !(nc[0] > 0 && nc[0] < 100) {
		t.Errorf("ceilings %v, want (0,100) and 0", nc)
	}
	y, _ := neural.NewResponses([]float64{1, 1, 3, 3}, 2, 2, 1)
	if nc := neural.NoiseCeiling(neural.NCSNR(y), 2); nc[0] != 100 {
		t.Errorf("noiseless ceiling %v, want 100", nc)
	}
	for name, v := range map[string][]float64{"short": {1, 2, 3}, "nan": {1, math.NaN(), 3, 4}} {
		if _, err := neural.NewResponses(v, 2, 2, 1); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := neural.SplitHalf(x, -1, 0); err == nil {
		t.Error("negative splits: no error")
	}
}
