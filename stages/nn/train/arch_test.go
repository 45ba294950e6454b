package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// The exported graph and weights, run by stages/nn's float32 inference,
// give the logits and the hidden layer of Forward to float32 accuracy,
// for an MLP on feature vectors and a CNN on images.
func TestArchRunsInNN(t *testing.T) {
	cnn, err := NewCNN[float64](2, 15, 15, []int{3, 4}, []int{10}, 5)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*Model[float64]{"mlp": NewMLP[float64](12, []int{16, 16}, 5), "cnn": cnn} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, 4))
			m.Init(rng)
			const n = 3
			x := make([]float64, n*m.InSize())
			for i := range x {
				x[i] = rng.Float64()
			}
			want := append([]float64(nil), m.Forward(x, n)...)
			hidden := append([]float64(nil), m.HiddenOutput()...)
			a := m.Arch(name)
			net, err := nn.Compile(&a, m.Weights(), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			last := a.Nodes[len(a.Nodes)-1].Name
			load := func(i int, dst []float64) { copy(dst, x[i*m.InSize():]) }
			err = net.Extract(context.Background(), n, load, []string{last, m.HiddenLayer()}, n, func(b nn.Batch) error {
				for k, ref := range [][]float64{want, hidden} {
					for i, v := range b.Acts[k] {
						if math.Abs(float64(v)-ref[i]) > 1e-5*(1+math.Abs(ref[i])) {
							t.Fatalf("output %d value %d: nn %v, train %v", k, i, v, ref[i])
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
