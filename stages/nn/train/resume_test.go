package train

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/stages/nn"
)

func flatWeights(m *Model[float64]) []float64 {
	var w []float64
	for _, p := range m.Params() {
		w = append(w, p.Value...)
	}
	return w
}

// Training 2 epochs, rebuilding the model from its Arch and Weights and
// the optimiser from its State, then resuming to 4 epochs gives the
// weights and curve of a straight 4-epoch Fit bit for bit, for SGD with
// momentum and Adam with AMSGrad, with the regulariser on.
func TestResumeEqualsStraightFit(t *testing.T) {
	tr, val := blobs(1, 300, 20, 4), blobs(2, 100, 20, 4)
	for name, newOpt := range map[string]func() Optimizer[float64]{
		"sgd":  func() Optimizer[float64] { return &SGD[float64]{Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3} },
		"adam": func() Optimizer[float64] { return NewAdam[float64](1e-3, true) },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := Config[float64]{Optimizer: newOpt(), LR: 0.01, Schedule: Schedule{Kind: "step", Every: 1, Gamma: 0.5}, BatchSize: 32, Epochs: 4,
				Seed: 9, Reg: &Spectral{Weight: 1, Slope: 2, Start: 1}, FitFrom: 1}
			straight := NewMLP[float64](20, []int{24}, 4)
			straight.Init(rand.New(rand.NewPCG(3, 0)))
			first := NewMLP[float64](20, []int{24}, 4)
			first.Init(rand.New(rand.NewPCG(3, 0)))
			want, err := Fit(straight, cfg, tr, val)
			if err != nil {
				t.Fatal(err)
			}
			half := cfg
			half.Optimizer, half.Epochs = newOpt(), 2
			done, err := Fit(first, half, tr, val)
			if err != nil {
				t.Fatal(err)
			}
			a := first.Arch("x")
			again, err := FromArch[float64](&a, first.Weights())
			if err != nil {
				t.Fatal(err)
			}
			rest := cfg
			rest.Optimizer = newOpt()
			if err := rest.Optimizer.SetState(again.Params(), half.Optimizer.State(first.Params())); err != nil {
				t.Fatal(err)
			}
			calls := 0
			got, err := Resume(again, rest, tr, val, done, func([]Epoch) error { calls++; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if calls != 2 {
				t.Errorf("resume ran %d epochs, want 2", calls)
			}
			if !slices.Equal(flatWeights(again), flatWeights(straight)) {
				t.Error("resumed weights differ from the straight run's")
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("resumed curve %v, straight %v", got, want)
			}
		})
	}
}

// FromArch inverts Arch/Weights for an MLP and a CNN (same logits bit for
// bit) and refuses a graph it cannot train, naming the arch and the node.
func TestFromArch(t *testing.T) {
	cnn, err := NewCNN[float64](1, 12, 12, []int{3}, []int{8}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*Model[float64]{"mlp": NewMLP[float64](6, []int{5, 4}, 3), "cnn": cnn} {
		m.Init(rand.New(rand.NewPCG(1, 2)))
		a := m.Arch(name)
		back, err := FromArch[float64](&a, m.Weights())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		x := make([]float64, 2*m.InSize())
		for i := range x {
			x[i] = float64(i%7) / 7
		}
		if !slices.Equal(m.Forward(x, 2), back.Forward(x, 2)) || !slices.Equal(back.InShape, m.InShape) {
			t.Errorf("%s: the rebuilt model computes other logits", name)
		}
	}
	conv6, err := nn.Builtin("convnet6", 3)
	if err != nil {
		t.Fatal(err)
	}
	mlp := NewMLP[float64](6, []int{5}, 3)
	a := mlp.Arch("m")
	ws := mlp.Weights()
	delete(ws, "dense1/bias")
	for _, c := range []struct {
		arch *nn.Arch
		ws   map[string]nn.Tensor
		want string
	}{
		{conv6, nil, `arch "convnet6" is not trainable`},
		{&a, ws, `weight "dense1/bias" is missing`},
	} {
		if _, err := FromArch[float64](c.arch, c.ws); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromArch: error %v, want one containing %q", err, c.want)
		}
	}
}
