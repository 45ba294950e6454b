package stages

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

// TestExtractRunsTrainedModels: a model from init on an image shape and
// trained by train runs in extract on N×C×H×W images, and its hidden
// layer and logits equal package train's Forward (float64) to float32
// accuracy; so weight_align can align trained MLPs by their activations.
func TestExtractRunsTrainedModels(t *testing.T) {
	cases := []struct {
		arch   string
		input  []int
		hidden []int
		layers []string // extracted: the regularised hidden layer and the logits
	}{
		{"mlp-shallow", []int{1, 6, 6}, []int{20}, []string{"dense0", "dense1"}},
		{"mlp-deep", []int{2, 3, 4}, []int{12, 10}, []string{"dense0", "dense1", "dense2"}},
		{"cnn", []int{1, 8, 8}, []int{12}, []string{"conv0", "pool0", "dense0", "dense1"}},
	}
	for _, c := range cases {
		t.Run(c.arch, func(t *testing.T) {
			init, err := initModel{}.Run(context.Background(), nil, nil, withDefaults(initModel{},
				Params{"arch": c.arch, "input": c.input, "classes": 3, "hidden": c.hidden, "channels": []int{3}, "seed": 2}))
			if err != nil {
				t.Fatal(err)
			}
			d := ndarray.Numel(c.input)
			x, y := plantedSet(4, 60, d, 3)
			x.Shape = append([]int{60}, c.input...)
			out, err := trainStage{}.Run(context.Background(), nil, Inputs{"model": init["model"], "x": x, "y": y},
				trainParams(2, Params{"batch_size": 16}))
			if err != nil {
				t.Fatal(err)
			}
			m, err := AsModel(out["model"])
			if err != nil {
				t.Fatal(err)
			}
			tm, err := trainableModel[float64](m)
			if err != nil {
				t.Fatal(err)
			}
			if hl := tm.HiddenLayer(); hl != c.layers[len(c.layers)-2] {
				t.Fatalf("hidden layer %q, want %q", hl, c.layers[len(c.layers)-2])
			}
			logits := slices.Clone(tm.Forward(x.Float64s(), 60))
			want := map[string][]float64{c.layers[len(c.layers)-2]: tm.HiddenOutput(), c.layers[len(c.layers)-1]: logits}
			acts, err := runExtract(t, out["model"], x, 7, c.layers...)
			if err != nil {
				t.Fatal(err)
			}
			for layer, ref := range want {
				got := acts[layer].(*ndarray.Array)
				if got.Shape[0] != 60 || got.Len() != len(ref) {
					t.Fatalf("%s: %s, want %d values", layer, got.Describe(), len(ref))
				}
				for i, v := range got.F32 {
					if math.Abs(float64(v)-ref[i]) > 1e-5*(1+math.Abs(ref[i])) {
						t.Fatalf("%s value %d: extract %v, train %v", layer, i, v, ref[i])
					}
				}
			}
		})
	}
}
