package stages

import (
	"context"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// powerlawInit builds an untrained built-in network whose conv and dense
// kernels have a power-law weight-covariance spectrum (METHODS.md §4).
type powerlawInit struct{}

func init() { Register(powerlawInit{}) }

func (powerlawInit) Kind() string    { return "powerlaw_init" }
func (powerlawInit) Version() string { return "1" }

func (powerlawInit) Doc() string {
	return `Initialises a built-in CNN (convnet6, resnet-small) with power-law weights
(METHODS.md §4, a proposal: Townley & Bonner published no code). Each kernel,
flattened to W (C_out × D, D = C_in·k·k), gets Σ_w = WᵀW/C_out with eigenvalues
λ_n ∝ n^-alpha and tr Σ_w = 2, so alpha = 0 reproduces He-normal. variant
exact: Σ_w has exactly the first min(C_out, D) terms (rescaled to trace 2);
sampled: rows drawn N(0, Σ_w) (the spectrum follows only for C_out ≫ D).
Haar-random eigenvectors; each layer's stream is derived from seed and the
layer's name. Biases 0; batch norms γ=1, β=0, mean 0, var 1. Weights are
float64. Output: model.`
}

func (powerlawInit) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "arch", Type: String, Choices: nn.Builtins(), Doc: "built-in architecture"},
		{Name: "alpha", Type: Float, Min: Bound(0), Doc: "power-law exponent of every kernel's weight-covariance spectrum"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "random seed (per-layer streams derive from it and the layer name)"},
		{Name: "variant", Type: String, Default: "exact", Choices: []string{"exact", "sampled"}, Doc: "exact spectrum, or rows sampled from N(0, Σ_w)"},
		{Name: "in_channels", Type: Int, Default: 3, Min: Bound(1), Doc: "image channels the network takes"},
	}
}

func (powerlawInit) Inputs() []InputSpec { return nil }

func (powerlawInit) Outputs(Params) []string { return []string{"model"} }

func (powerlawInit) Resources(Params) Resources { return Resources{Threads: 1, MemBytes: 64 << 20} }

func (powerlawInit) Run(_ context.Context, _ Inputs, p Params) (Outputs, error) {
	a, err := nn.Builtin(p.String("arch"), p.Int("in_channels"))
	if err != nil {
		return nil, err
	}
	ws, err := nn.InitPowerLaw(a, uint64(p.Int("seed")), p.Float("alpha"), p.String("variant") == "exact")
	if err != nil {
		return nil, err
	}
	return Outputs{"model": NewModel(a, ws)}, nil
}
