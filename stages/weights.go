package stages

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/ndarray"
)

// weights takes one weight array out of a model, so that array stages
// (spectrum, weight_align) can analyse a network's parameters.
type weights struct{}

func init() { Register(weights{}) }

func (weights) Kind() string    { return "weights" }
func (weights) Version() string { return "1" }

func (weights) Doc() string {
	return `Outputs one weight array of a model as w: a conv kernel is C_out×C_in×k×k
(depthwise: C×1×k×k), a dense kernel C_out×D, batch-norm and bias parameters
vectors; the dtype is the model's (float64 for powerlaw_init, float32 for
imported networks). The array is named "<layer>/<param>" in the model.`
}

func (weights) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "layer", Type: String, Doc: "node name in the model's architecture"},
		{Name: "param", Type: String, Default: "kernel", Doc: "which parameter of the node (kernel, bias, gamma, beta, mean, var)"},
	}
}

func (weights) Inputs() []InputSpec {
	return []InputSpec{{Name: "model", Doc: "the network (powerlaw_init or an imported model)"}}
}

func (weights) Outputs(Params) []string { return []string{"w"} }

func (weights) Resources(Params) Resources { return Resources{Threads: 1} }

func (weights) Run(_ context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	m, err := in.Model("model")
	if err != nil {
		return nil, err
	}
	name := p.String("layer") + "/" + p.String("param")
	w, ok := m.Weights[name]
	if !ok {
		return nil, fmt.Errorf("param layer/param: model %s has no weight %q; it has %s",
			m.Arch.Name, name, strings.Join(weightNames(m, p.String("layer")), ", "))
	}
	return Outputs{"w": w}, nil
}

// weightNames lists the model's weights of layer, or all of them when the
// layer has none (the layer name itself is then likely wrong).
func weightNames(m *Model, layer string) []string {
	var all, own []string
	for n := range m.Weights {
		all = append(all, n)
		if strings.HasPrefix(n, layer+"/") {
			own = append(own, n)
		}
	}
	if len(own) > 0 {
		all = own
	}
	slices.Sort(all)
	return all
}
