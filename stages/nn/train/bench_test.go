package train

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkStepMLP784x2000 is one SGD-momentum step of the paper's shallow
// MLP (784 → 2000 → 10) on a batch of 128, without and with the spectral
// regulariser; samples/s = 128 / (ns/op · 1e-9).
func BenchmarkStepMLP784x2000(b *testing.B) {
	for _, reg := range []bool{false, true} {
		name := "plain"
		if reg {
			name = "reg"
		}
		b.Run(name, func(b *testing.B) {
			const n = 128
			m := NewMLP[float64](784, []int{2000}, 10)
			rng := rand.New(rand.NewPCG(1, 2))
			m.Init(rng)
			x, y := make([]float64, n*784), make([]int, n)
			for i := range x {
				x[i] = rng.Float64()
			}
			for i := range y {
				y[i] = rng.IntN(10)
			}
			var s *Spectral
			if reg {
				s = &Spectral{Weight: 1, Slope: 1, Start: 10}
			}
			vecs, _, err := hiddenSpectrum(m, x, n, n)
			if err != nil {
				b.Fatal(err)
			}
			cfg := Config[float64]{Optimizer: &SGD[float64]{Momentum: 0.9}, LR: 0.01, BatchSize: n, Epochs: 1, Reg: s}
			b.ResetTimer()
			for range b.N {
				runEpoch(m, cfg, Data[float64]{X: x, Y: y}, vecs, 0)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
