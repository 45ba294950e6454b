package train

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients, keeping its state
// (momentum, moments) per parameter in the order of the params slice,
// which must be the same at every step.
type Optimizer interface {
	Step(params []*Param, lr float64)
}

// SGD is torch.optim.SGD: g = grad + WeightDecay·w; with momentum the
// buffer starts at g and then becomes Momentum·buf + (1−Dampening)·g; the
// step is buf, or g + Momentum·buf with Nesterov; w −= lr·step.
type SGD struct {
	Momentum, Dampening, WeightDecay float64
	Nesterov                         bool
	buf                              [][]float64
}

// Step implements Optimizer.
func (o *SGD) Step(params []*Param, lr float64) {
	first := o.buf == nil
	if first {
		o.buf = make([][]float64, len(params))
	}
	for i, p := range params {
		if first {
			o.buf[i] = make([]float64, len(p.Value))
		}
		b := o.buf[i]
		for j, w := range p.Value {
			g := p.Grad[j]
			if o.WeightDecay != 0 {
				g += o.WeightDecay * w
			}
			if o.Momentum != 0 {
				if first {
					b[j] = g
				} else {
					b[j] = b[j]*o.Momentum + g*(1-o.Dampening)
				}
				if o.Nesterov {
					g += o.Momentum * b[j]
				} else {
					g = b[j]
				}
			}
			p.Value[j] = w - lr*g
		}
	}
}

// Adam is torch.optim.Adam (weight decay added to the gradient, not
// AdamW's decoupled decay): g = grad + WeightDecay·w, m = β1·m + (1−β1)·g,
// v = β2·v + (1−β2)·g², w −= lr/(1−β1^t) · m/(√v̂/√(1−β2^t) + Eps) with
// v̂ = v, or with AMSGrad the running maximum of v (the reference trains
// with amsgrad=True).
type Adam struct {
	Beta1, Beta2, Eps, WeightDecay float64
	AMSGrad                        bool
	t                              int
	m, v, vmax                     [][]float64
}

// NewAdam returns Adam with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8.
func NewAdam(weightDecay float64, amsgrad bool) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, AMSGrad: amsgrad}
}

// Step implements Optimizer.
func (o *Adam) Step(params []*Param, lr float64) {
	if o.m == nil {
		o.m, o.v, o.vmax = make([][]float64, len(params)), make([][]float64, len(params)), make([][]float64, len(params))
		for i, p := range params {
			o.m[i], o.v[i], o.vmax[i] = make([]float64, len(p.Value)), make([]float64, len(p.Value)), make([]float64, len(p.Value))
		}
	}
	o.t++
	bc1 := 1 - math.Pow(o.Beta1, float64(o.t))
	bc2 := math.Sqrt(1 - math.Pow(o.Beta2, float64(o.t)))
	size := lr / bc1
	for i, p := range params {
		m, v, vmax := o.m[i], o.v[i], o.vmax[i]
		for j, w := range p.Value {
			g := p.Grad[j]
			if o.WeightDecay != 0 {
				g += o.WeightDecay * w
			}
			m[j] = m[j]*o.Beta1 + g*(1-o.Beta1)
			v[j] = v[j]*o.Beta2 + (1-o.Beta2)*g*g
			s := v[j]
			if o.AMSGrad {
				vmax[j] = max(vmax[j], v[j])
				s = vmax[j]
			}
			p.Value[j] = w - size*(m[j]/(math.Sqrt(s)/bc2+o.Eps))
		}
	}
}

// Schedule is a per-epoch learning rate, as PyTorch's schedulers stepped
// once per epoch: "constant"; "step" (StepLR: base·Gamma^⌊epoch/Every⌋);
// "cosine" (CosineAnnealingLR with T_max = the number of epochs:
// Min + (base − Min)·(1 + cos(π·epoch/epochs))/2).
type Schedule struct {
	Kind  string
	Every int
	Gamma float64
	Min   float64
}

// Schedules lists the schedule kinds.
var Schedules = []string{"constant", "step", "cosine"}

// LR returns the rate of epoch (0-based) of epochs for base rate base.
func (s Schedule) LR(base float64, epoch, epochs int) float64 {
	switch s.Kind {
	case "constant", "":
		return base
	case "step":
		return base * math.Pow(s.Gamma, float64(epoch/max(s.Every, 1)))
	case "cosine":
		return s.Min + (base-s.Min)*(1+math.Cos(math.Pi*float64(epoch)/float64(epochs)))/2
	}
	panic(fmt.Sprintf("train: unknown schedule %q (want one of %v)", s.Kind, Schedules))
}
