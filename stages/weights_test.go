package stages

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
)

func TestWeightsStage(t *testing.T) {
	net, err := powerlawInit{}.Run(context.Background(), nil, nil, Params{"arch": "convnet6", "alpha": 1.0, "seed": 0, "variant": "exact", "in_channels": 3})
	if err != nil {
		t.Fatal(err)
	}
	in := Inputs{"model": net["model"]}
	out, err := weights{}.Run(context.Background(), nil, in, Params{"layer": "conv2", "param": "kernel"})
	if err != nil {
		t.Fatal(err)
	}
	w := out["w"].(*ndarray.Array)
	if got, want := w.Shape, []int{32, 32, 3, 3}; !slices.Equal(got, want) {
		t.Errorf("conv2 kernel shape %v, want %v", got, want)
	}
	if w.Digest() != net["model"].(*Model).Weights["conv2/kernel"].Digest() {
		t.Error("the output is not the model's conv2/kernel")
	}
	for _, c := range []struct{ layer, param, want string }{
		{"conv9", "kernel", `model convnet6 has no weight "conv9/kernel"; it has conv1/bias, conv1/kernel`},
		{"conv2", "gamma", `model convnet6 has no weight "conv2/gamma"; it has conv2/bias, conv2/kernel`},
	} {
		_, err := weights{}.Run(context.Background(), nil, in, Params{"layer": c.layer, "param": c.param})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s/%s: error %v, want it to contain %q", c.layer, c.param, err, c.want)
		}
	}
}
