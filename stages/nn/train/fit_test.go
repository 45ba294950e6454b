package train

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// blobs draws n samples of a planted k-class problem: unit Gaussian
// clusters around k fixed random centres in d dimensions.
func blobs(seed uint64, n, d, k int) Data[float64] {
	crng, rng := rand.New(rand.NewPCG(0, 0)), rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, k*d)
	for i := range centres {
		centres[i] = crng.NormFloat64()
	}
	data := Data[float64]{X: make([]float64, n*d), Y: make([]int, n)}
	for i := range n {
		c := rng.IntN(k)
		data.Y[i] = c
		for j := range d {
			data.X[i*d+j] = centres[c*d+j] + rng.NormFloat64()
		}
	}
	return data
}

func fitBlobs(t *testing.T, reg *Spectral, opt Optimizer[float64], epochs int) (*Model[float64], []Epoch) {
	t.Helper()
	m := NewMLP[float64](20, []int{48}, 4)
	m.Init(rand.New(rand.NewPCG(3, 0)))
	curve, err := Fit(m, Config[float64]{Optimizer: opt, LR: 0.01, Schedule: Schedule{Kind: "cosine"}, BatchSize: 32, Epochs: epochs, Seed: 9, Reg: reg, FitFrom: 1},
		blobs(1, 600, 20, 4), blobs(2, 200, 20, 4))
	if err != nil {
		t.Fatal(err)
	}
	return m, curve
}

// A planted separable problem is learned: validation accuracy ≥ 0.95 and
// the training loss falls.
func TestFitLearnsPlantedClasses(t *testing.T) {
	for _, c := range []struct {
		name string
		opt  Optimizer[float64]
	}{{"adam", NewAdam[float64](0, false)}, {"sgd", &SGD[float64]{Momentum: 0.9}}} {
		t.Run(c.name, func(t *testing.T) {
			_, curve := fitBlobs(t, nil, c.opt, 5)
			last := curve[len(curve)-1]
			if last.ValAcc < 0.95 || !(last.Loss < curve[0].Loss) {
				t.Fatalf("curve %+v: want val accuracy ≥ 0.95 and a falling loss", curve)
			}
		})
	}
}

// The same seed gives the same weights bit for bit at GOMAXPROCS 1 and 2,
// with the regulariser on.
func TestFitDeterministicAcrossProcs(t *testing.T) {
	reg := &Spectral{Weight: 1, Slope: 1, Start: 2}
	var runs [][]float64
	for _, procs := range []int{1, 2} {
		old := runtime.GOMAXPROCS(procs)
		m, _ := fitBlobs(t, reg, NewAdam[float64](0, true), 2)
		runtime.GOMAXPROCS(old)
		var w []float64
		for _, p := range m.Params() {
			w = append(w, p.Value...)
		}
		runs = append(runs, w)
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Fatal("weights differ between GOMAXPROCS 1 and 2")
	}
}

// The regulariser moves the hidden spectrum's exponent towards its
// target: with a steep target (α = 3) the measured α ends closer to 3
// than without it.
func TestRegulariserPullsSpectrumToTarget(t *testing.T) {
	_, free := fitBlobs(t, nil, NewAdam[float64](0, false), 8)
	_, reg := fitBlobs(t, &Spectral{Weight: 5, Slope: 3, Start: 0}, NewAdam[float64](0, false), 8)
	a0, a1 := free[len(free)-1].Alpha, reg[len(reg)-1].Alpha
	t.Logf("α without %.3f, with %.3f; val acc %.3f / %.3f", a0, a1, free[len(free)-1].ValAcc, reg[len(reg)-1].ValAcc)
	if math.IsNaN(a1) || !(math.Abs(a1-3) < math.Abs(a0-3)) {
		t.Fatalf("α without the regulariser %v, with it %v: want the latter closer to 3", a0, a1)
	}
}
