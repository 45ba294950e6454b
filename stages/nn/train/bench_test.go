package train

import (
	"math/rand/v2"
	"os"
	"strconv"
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

// BenchmarkEpoch is one training epoch (runEpoch: batch gather, forward,
// cross-entropy, backward, SGD step with momentum 0.9, lr 0.01, batch
// 128) of the shallow MLP (784 → 2000 → 10) and of NewCNN(1, 28, 28,
// [16, 32], [1000], 10) on EIGENLAB_BENCH_N (default 10,000) uniform
// random 28×28 samples with random labels, in float32 and float64, after
// a warm-up of two batches; bench/train_vs_torch.sh runs it against
// PyTorch (bench/torch_train.py). It leaves out what Fit adds per epoch
// (the hidden-layer spectrum for the curve's α, and validation).
func BenchmarkEpoch(b *testing.B) {
	n := 10000
	if s := os.Getenv("EIGENLAB_BENCH_N"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("EIGENLAB_BENCH_N=%q: %v", s, err)
		}
	}
	for _, arch := range []string{"mlp", "cnn"} {
		b.Run(arch+"/float32", func(b *testing.B) { benchEpoch[float32](b, arch, n) })
		b.Run(arch+"/float64", func(b *testing.B) { benchEpoch[float64](b, arch, n) })
	}
}

func benchEpoch[T Float](b *testing.B, arch string, n int) {
	m := NewMLP[T](784, []int{2000}, 10)
	if arch == "cnn" {
		var err error
		if m, err = NewCNN[T](1, 28, 28, []int{16, 32}, []int{1000}, 10); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m.Init(rng)
	d := Data[T]{X: make([]T, n*784), Y: make([]int, n)}
	for i := range d.X {
		d.X[i] = T(rng.Float64())
	}
	for i := range d.Y {
		d.Y[i] = rng.IntN(10)
	}
	cfg := Config[T]{Optimizer: &SGD[T]{Momentum: 0.9}, LR: 0.01, BatchSize: 128, Epochs: 1}
	runEpoch(m, cfg, Data[T]{X: d.X[:256*784], Y: d.Y[:256]}, nil, 0)
	for b.Loop() {
		runEpoch(m, cfg, d, nil, 0)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkSGDStep is one SGD step with momentum 0.9 on the parameters of
// the shallow MLP (784 → 2000 → 10), memory-bound: it reads the weights,
// gradients and momentum buffers and writes the weights and buffers once.
func BenchmarkSGDStep(b *testing.B) {
	b.Run("float32", func(b *testing.B) { benchSGDStep[float32](b) })
	b.Run("float64", func(b *testing.B) { benchSGDStep[float64](b) })
}

func benchSGDStep[T Float](b *testing.B) {
	m := NewMLP[T](784, []int{2000}, 10)
	rng := rand.New(rand.NewPCG(1, 2))
	m.Init(rng)
	for _, p := range m.Params() {
		for i := range p.Grad {
			p.Grad[i] = T(rng.NormFloat64())
		}
	}
	o := &SGD[T]{Momentum: 0.9}
	o.Step(m.Params(), 0.01)
	for b.Loop() {
		o.Step(m.Params(), 0.01)
	}
}
