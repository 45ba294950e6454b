package stages

import (
	"context"
	"fmt"
	"slices"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn/train"
)

// initModel builds an untrained network that the train stage can train
// (package stages/nn/train): a shallow or deep MLP or a small CNN, with
// PyTorch's default, He-normal or orthogonal weights.
type initModel struct{}

func init() { Register(initModel{}) }

func (initModel) Kind() string    { return "init" }
func (initModel) Version() string { return "2" } // 2: an MLP on [C, H, W] keeps that shape on its input node

func (initModel) Doc() string {
	return `Builds an untrained network that train can train (float64 weights):
  mlp-shallow: input → dense 2000 + ReLU → classes (the spectral-regulariser
    paper's shallow net; hidden sets the width);
  mlp-deep: input → dense 1000 + ReLU ×3 → classes (hidden sets the widths);
  cnn: per entry of channels (default [16, 32]) a 3×3 valid convolution +
    ReLU + 2×2 max pooling, then dense 1000 + ReLU (hidden) → classes.
The regularised "hidden layer" is the last hidden dense layer. Inits:
torch-default (nn.Linear/nn.Conv2d: uniform ±1/√fan_in, biases too),
he (kernels N(0, 2/fan_in), biases 0), orthogonal (torch orthogonal_, gain 1,
biases 0). Output: model, its arch named after arch. powerlaw_init's
networks (convnet6, resnet-small: batch norm, padding) are not trainable.`
}

// initArchs are the architectures init builds, with their default hidden
// widths.
var initArchs = map[string][]int{"mlp-shallow": {2000}, "mlp-deep": {1000, 1000, 1000}, "cnn": {1000}}

func (initModel) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "arch", Type: String, Choices: []string{"mlp-shallow", "mlp-deep", "cnn"}, Doc: "network family"},
		{Name: "input", Type: IntList, Min: Bound(1), Doc: "per-sample input shape: [D] or [C, H, W] (an MLP flattens it, but its input node keeps [C, H, W], so extract runs it on images; a cnn needs [C, H, W])"},
		{Name: "classes", Type: Int, Default: 10, Min: Bound(2), Doc: "output classes"},
		{Name: "hidden", Type: IntList, Optional: true, Min: Bound(1), Doc: "hidden dense widths (default: mlp-shallow [2000], mlp-deep [1000, 1000, 1000], cnn [1000])"},
		{Name: "channels", Type: IntList, Default: []int{16, 32}, Min: Bound(1), Doc: "cnn only: output channels of each 3×3 convolution"},
		{Name: "init", Type: String, Default: "torch-default", Choices: []string{"torch-default", "he", "orthogonal"}, Doc: "weight initialisation"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "random seed of the weights"},
	}
}

// Validate implements Validator.
func (initModel) Validate(p Params) error {
	in := p.Ints("input")
	if len(in) != 1 && len(in) != 3 {
		return fmt.Errorf("param \"input\": %v, want [D] or [C, H, W]", in)
	}
	if p.String("arch") == "cnn" && len(in) != 3 {
		return fmt.Errorf("param \"input\": %v, a cnn wants [C, H, W]", in)
	}
	return nil
}

func (initModel) Inputs() []InputSpec { return nil }

func (initModel) Outputs(Params) []string { return []string{"model"} }

func (initModel) Resources(Params) Resources { return Resources{Threads: 1, MemBytes: 256 << 20} }

func (s initModel) Run(_ context.Context, _ *ndarray.Scratch, _ Inputs, p Params) (Outputs, error) {
	if err := s.Validate(p); err != nil {
		return nil, err
	}
	m, err := newTrainable(p)
	if err != nil {
		return nil, err
	}
	rng := RNG("init", p.Int("seed"))
	switch p.String("init") {
	case "he":
		m.InitHe(rng)
	case "orthogonal":
		m.InitOrthogonal(rng)
	default:
		m.Init(rng)
	}
	a := m.Arch(p.String("arch"))
	return Outputs{"model": NewModel(&a, m.Weights())}, nil
}

// newTrainable is the untrained network of init's params.
func newTrainable(p Params) (*train.Model[float64], error) {
	arch, in := p.String("arch"), p.Ints("input")
	hidden := initArchs[arch]
	if p.Has("hidden") {
		hidden = p.Ints("hidden")
	}
	if arch == "cnn" {
		m, err := train.NewCNN[float64](in[0], in[1], in[2], p.Ints("channels"), hidden, p.Int("classes"))
		if err != nil {
			return nil, fmt.Errorf("params \"input\", \"channels\": %w", err)
		}
		return m, nil
	}
	d := 1
	for _, v := range in {
		d *= v
	}
	m := train.NewMLP[float64](d, hidden, p.Int("classes"))
	// The MLP flattens each sample; keeping the [C, H, W] shape puts it on
	// the arch's input node, so extract runs the model on N×C×H×W images.
	m.InShape = slices.Clone(in)
	return m, nil
}
