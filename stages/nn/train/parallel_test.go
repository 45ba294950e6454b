package train

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// A CNN's logits, parameter gradients and input gradient are the same
// bytes whatever GOMAXPROCS splits the per-image loops into (conv's
// im2col, layout changes and col2im, the ReLU-pooling layers), on a batch
// of 13: a full group of convGroup images and a partial one.
func TestCNNBytesIndependentOfProcs(t *testing.T) {
	const n = 13
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := make([]float64, n*2*12*12), make([]int, n)
	fill(rng, x)
	for i := range y {
		y[i] = rng.IntN(4)
	}
	var want []float64
	for _, procs := range []int{1, 2, 3, 5} {
		old := runtime.GOMAXPROCS(procs)
		m, err := NewCNN[float64](2, 12, 12, []int{3, 5}, []int{7}, 4)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(rand.New(rand.NewPCG(7, 8)))
		logits, _, dx := lossGrad(m, x, y, nil, true)
		runtime.GOMAXPROCS(old)
		got := append(logits, dx...)
		for _, p := range m.Params() {
			got = append(got, p.Grad...)
		}
		if want == nil {
			want = got
		} else if !slices.Equal(got, want) {
			t.Fatalf("GOMAXPROCS %d: logits or gradients differ from GOMAXPROCS 1", procs)
		}
	}
}
