package stages

import (
	"context"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn"
)

// powerlawInit builds an untrained built-in network whose conv and dense
// kernels have a power-law weight-covariance spectrum (METHODS.md §4). At
// α = 0 the exact variant is a scaled orthogonal init and only the sampled
// variant is He-normal (§4, Correction turn 2).
type powerlawInit struct{}

func init() { Register(powerlawInit{}) }

func (powerlawInit) Kind() string    { return "powerlaw_init" }
func (powerlawInit) Version() string { return "1" }

func (powerlawInit) Doc() string {
	return `Initialises a built-in CNN (convnet6, resnet-small) with power-law weights
(METHODS.md §4, a proposal: Townley & Bonner published no code). Each kernel,
flattened to W (C_out × D, D = C_in·k·k), gets Σ_w = WᵀW/C_out with eigenvalues
λ_n ∝ n^-alpha and tr Σ_w = 2 (He-normal's expected E‖w‖²). What alpha = 0
is depends on the variant:
  exact (default): Σ_w has exactly the first min(C_out, D) terms (rescaled to
    trace 2). At alpha = 0 every nonzero singular value of W is equal: a
    scaled orthogonal init (Saxe et al.-like), NOT He-normal.
  sampled: rows drawn N(0, Σ_w); the spectrum follows only for C_out ≫ D. At
    alpha = 0 the entries are iid N(0, 2/D): exactly He-normal, with its
    Marchenko–Pastur spread of singular values. Use it for a He baseline.
Haar-random eigenvectors; each layer's stream is derived from seed and the
layer's name. Biases 0; batch norms γ=1, β=0, mean 0, var 1. Weights are
float64. Output: model.`
}

func (powerlawInit) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "arch", Type: String, Choices: nn.Builtins(), Doc: "built-in architecture"},
		{Name: "alpha", Type: Float, Min: Bound(0), Doc: "power-law exponent of every kernel's weight-covariance spectrum (0 is He-normal only with variant sampled)"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "random seed (per-layer streams derive from it and the layer name)"},
		{Name: "variant", Type: String, Default: "exact", Choices: []string{"exact", "sampled"}, Doc: "exact spectrum (alpha 0: scaled orthogonal), or rows sampled from N(0, Σ_w) (alpha 0: He-normal)"},
		{Name: "in_channels", Type: Int, Default: 3, Min: Bound(1), Doc: "image channels the network takes"},
	}
}

func (powerlawInit) Inputs() []InputSpec { return nil }

func (powerlawInit) Outputs(Params) []string { return []string{"model"} }

func (powerlawInit) Resources(Params) Resources { return Resources{Threads: 1, MemBytes: 64 << 20} }

func (powerlawInit) Run(_ context.Context, _ *ndarray.Scratch, _ Inputs, p Params) (Outputs, error) {
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
