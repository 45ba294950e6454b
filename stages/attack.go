package stages

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"

	"gonum.org/v1/gonum/stat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/nn/train"
)

// attack measures a trained model's accuracy under FGSM or PGD adversarial
// examples (package stages/nn/train, equal to PyTorch's), one accuracy per
// ε, on held-out data.
type attack struct{}

func init() { Register(attack{}) }

func (attack) Kind() string    { return "attack" }
func (attack) Version() string { return "2" } // 2: the 0-d output mean_accuracy

// attackBox is the valid input range: images in [0, 1] (load's normalize
// unit), the box every adversarial example is clipped to.
var attackBox = train.Box{Lo: 0, Hi: 1}

func (attack) Doc() string {
	return `Accuracy of a model (from train or init) on x, y (int64 labels) under
adversarial examples from the model's own input gradients (mean softmax
cross-entropy), one accuracy per eps: fgsm (x + ε·sign ∇ₓL, L∞ only) or pgd
(steps steps of step_size along sign ∇ (linf) or ∇/‖∇‖₂ (l2), each projected
onto the ε-ball around x). Every example is clipped to the box [0, 1], so x
must be images in [0, 1] (load's normalize: unit). random_start (pgd) starts
from a uniform point of the ε-ball (L∞: per value; L2: uniform in the ball),
drawn from seed. step_size defaults to 2.5·ε/steps (Madry et al.).
Outputs: accuracy (float64 [len(eps)]), mean_accuracy (its mean over the
eps grid, 0-d: with one ε, that ε's accuracy, a number per cell for
report figures and tables over an ε matrix axis), clean_accuracy, info.`
}

func (attack) Params() []ParamSpec {
	return []ParamSpec{
		{Name: "method", Type: String, Default: "pgd", Choices: []string{"fgsm", "pgd"}, Doc: "fast gradient sign (one step) or projected gradient descent"},
		{Name: "norm", Type: String, Default: "linf", Choices: []string{"linf", "l2"}, Doc: "threat model: L∞ or L2 ball (fgsm: linf only)"},
		{Name: "eps", Type: FloatList, Min: Bound(0), Doc: "ball radii, one accuracy each"},
		{Name: "steps", Type: Int, Default: 10, Min: Bound(1), Doc: "pgd: ascent steps"},
		{Name: "step_size", Type: Float, Optional: true, Min: Bound(0), Doc: "pgd: step length (default 2.5·ε/steps for each ε)"},
		{Name: "random_start", Type: Bool, Default: false, Doc: "pgd: start from a uniform point of the ε-ball"},
		{Name: "seed", Type: Int, Default: 0, Min: Bound(0), Doc: "seed of the random starts"},
		{Name: "batch_size", Type: Int, Default: 256, Min: Bound(1), Doc: "samples per gradient pass (memory only; results do not depend on it)"},
	}
}

// Validate implements Validator.
func (attack) Validate(p Params) error {
	if p.String("method") == "fgsm" && p.String("norm") != "linf" {
		return fmt.Errorf("param \"norm\": %s, but fgsm is L∞ only (for the L2 fast gradient method use method pgd, steps 1, step_size = ε)", p.String("norm"))
	}
	if len(p.Floats("eps")) == 0 {
		return fmt.Errorf("param \"eps\": empty, want at least one radius")
	}
	return nil
}

func (attack) Inputs() []InputSpec {
	return []InputSpec{{Name: "model", Doc: "the network (train)"}, {Name: "x", Doc: "held-out samples in [0, 1]"}, {Name: "y", Doc: "their int64 labels"}}
}

func (attack) Outputs(Params) []string {
	return []string{"accuracy", "mean_accuracy", "clean_accuracy", "info"}
}

func (attack) Resources(Params) Resources {
	return Resources{Threads: runtime.NumCPU(), MemBytes: 512 << 20}
}

func (s attack) Run(ctx context.Context, _ *ndarray.Scratch, in Inputs, p Params) (Outputs, error) {
	if err := s.Validate(p); err != nil {
		return nil, err
	}
	m, d, err := evalInputs(in)
	if err != nil {
		return nil, err
	}
	for i, v := range d.X {
		if !(v >= attackBox.Lo && v <= attackBox.Hi) {
			return nil, fmt.Errorf("input \"x\": value %v at %d outside the box [0, 1]; load images with normalize: unit", v, i)
		}
	}
	eps := p.Floats("eps")
	acc := ndarray.NewF64(len(eps))
	rng := RNG("attack", p.Int("seed"))
	for k, e := range eps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		acc.F64[k] = robustAccuracy(m, d, p, e, rng)
	}
	info := ndarray.Record{"method": p.String("method"), "norm": p.String("norm"), "eps": eps, "n": d.N(), "box": []float64{attackBox.Lo, attackBox.Hi}}
	if p.String("method") == "pgd" {
		info["steps"], info["random_start"] = p.Int("steps"), p.Bool("random_start")
	}
	return Outputs{"accuracy": acc, "mean_accuracy": ndarray.Scalar(stat.Mean(acc.F64, nil)),
		"clean_accuracy": ndarray.Scalar(train.Accuracy(m, d, p.Int("batch_size"))), "info": info}, nil
}

// robustAccuracy is the accuracy on the adversarial examples of radius eps,
// made batch by batch in order (random starts drawn from rng in sample
// order, so the batch size does not change them).
func robustAccuracy(m *train.Model[float64], d train.Data[float64], p Params, eps float64, rng *rand.Rand) float64 {
	in, bs, correct := m.InSize(), p.Int("batch_size"), 0
	step := 2.5 * eps / float64(p.Int("steps"))
	if p.Has("step_size") {
		step = p.Float("step_size")
	}
	for b0 := 0; b0 < d.N(); b0 += bs {
		n := min(bs, d.N()-b0)
		x, y := d.X[b0*in:(b0+n)*in], d.Y[b0:b0+n]
		var adv []float64
		switch {
		case p.String("method") == "fgsm":
			adv = m.FGSM(x, y, eps, attackBox)
		case p.Bool("random_start"):
			adv = m.PGD(x, randomStart(x, in, p.String("norm"), eps, rng), y, p.String("norm"), eps, step, p.Int("steps"), attackBox)
		default:
			adv = m.PGD(x, x, y, p.String("norm"), eps, step, p.Int("steps"), attackBox)
		}
		correct += train.Correct(m.Forward(adv, n), y, m.Classes())
	}
	return float64(correct) / float64(d.N())
}

// randomStart is a uniform point of the ε-ball around each sample of x (L∞:
// every value uniform in ±ε; L2: a Gaussian direction at radius ε·u^(1/D)),
// clipped to the box.
func randomStart(x []float64, in int, norm string, eps float64, rng *rand.Rand) []float64 {
	out := make([]float64, len(x))
	for i := 0; i < len(x)/in; i++ {
		xi, oi := x[i*in:(i+1)*in], out[i*in:(i+1)*in]
		scale := 0.0
		for j := range oi {
			if norm == "linf" {
				oi[j] = (2*rng.Float64() - 1) * eps
			} else {
				oi[j] = rng.NormFloat64()
				scale += oi[j] * oi[j]
			}
		}
		if norm == "l2" && scale > 0 {
			scale = eps * math.Pow(rng.Float64(), 1/float64(in)) / math.Sqrt(scale)
			for j := range oi {
				oi[j] *= scale
			}
		}
		for j := range oi {
			oi[j] = min(max(xi[j]+oi[j], attackBox.Lo), attackBox.Hi)
		}
	}
	return out
}
