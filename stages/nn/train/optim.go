package train

import (
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients, keeping its state
// (momentum, moments) per parameter in the order of the params slice,
// which must be the same at every step.
type Optimizer[T Float] interface {
	Step(params []*Param[T], lr float64)
	// State returns copies of the optimiser's state for params as named
	// tensors, PyTorch's state names followed by "/<param name>" ("step"
	// alone for Adam's step count), empty before the first Step. A
	// checkpoint saves it with the weights so training resumes exactly.
	State(params []*Param[T]) map[string][]float64
	// SetState restores what State returned for the same params.
	SetState(params []*Param[T], s map[string][]float64) error
}

// SGD is torch.optim.SGD: g = grad + WeightDecay·w; with momentum the
// buffer starts at g and then becomes Momentum·buf + (1−Dampening)·g; the
// step is buf, or g + Momentum·buf with Nesterov; w −= lr·step.
type SGD[T Float] struct {
	Momentum, Dampening, WeightDecay float64
	Nesterov                         bool
	buf                              [][]T
	tmp                              [block]T // g with weight decay or Nesterov
}

// block is the number of values of a parameter that SGD.Step takes
// through all the terms of the update before moving on: the block's
// weights, gradient and buffer stay in the L1 cache between the terms, so
// the step reads and writes each array once, as one fused loop would,
// while each term stays a tight vector loop (addScaled, decay).
const block = 1024

// Step implements Optimizer; each value gets the operations of the doc, in
// its order, whatever the blocking.
func (o *SGD[T]) Step(params []*Param[T], lr float64) {
	first := o.buf == nil
	if first {
		o.buf = make([][]T, len(params))
		for i, p := range params {
			o.buf[i] = make([]T, len(p.Value))
		}
	}
	for i, p := range params {
		for j := 0; j < len(p.Value); j += block {
			k := min(j+block, len(p.Value))
			o.update(p.Value[j:k], p.Grad[j:k], o.buf[i][j:k], T(lr), first)
		}
	}
}

// update steps the weights w (at most block values) from their gradient
// g and momentum buffer b.
func (o *SGD[T]) update(w, g, b []T, lr T, first bool) {
	wd, mom := T(o.WeightDecay), T(o.Momentum)
	if wd != 0 {
		g = addScaled(o.tmp[:len(g)], g, wd, w)
	}
	if mom != 0 {
		if first {
			copy(b, g)
		} else {
			decay(b, mom, g, T(1-o.Dampening))
		}
		if o.Nesterov {
			g = addScaled(o.tmp[:len(g)], g, mom, b)
		} else {
			g = b
		}
	}
	addScaled(w, w, -lr, g)
}

// State implements Optimizer: "momentum_buffer/<param>" once a step with
// momentum has run.
func (o *SGD[T]) State(params []*Param[T]) map[string][]float64 {
	s := map[string][]float64{}
	saveSlots(s, "momentum_buffer", params, o.buf)
	return s
}

// SetState implements Optimizer.
func (o *SGD[T]) SetState(params []*Param[T], s map[string][]float64) error {
	var err error
	o.buf, err = loadSlots(s, "momentum_buffer", params)
	return err
}

// saveSlots adds per-parameter state slots (nil: none yet) to s under
// "<name>/<param>".
func saveSlots[T Float](s map[string][]float64, name string, params []*Param[T], slots [][]T) {
	for i, v := range slots {
		s[name+"/"+params[i].Name] = convert[float64](v)
	}
}

// loadSlots reads back what saveSlots wrote: nil when s has no slot of
// that name, an error when only some parameters have one or one has the
// wrong length.
func loadSlots[T Float](s map[string][]float64, name string, params []*Param[T]) ([][]T, error) {
	if _, ok := s[name+"/"+params[0].Name]; !ok {
		return nil, nil
	}
	slots := make([][]T, len(params))
	for i, p := range params {
		v, ok := s[name+"/"+p.Name]
		if !ok || len(v) != len(p.Value) {
			return nil, fmt.Errorf("optimizer state %s/%s: missing or %d values, want %d", name, p.Name, len(v), len(p.Value))
		}
		slots[i] = convert[T](v)
	}
	return slots, nil
}

// Adam is torch.optim.Adam (weight decay added to the gradient, not
// AdamW's decoupled decay): g = grad + WeightDecay·w, m = β1·m + (1−β1)·g,
// v = β2·v + (1−β2)·g², w −= lr/(1−β1^t) · m/(√v̂/√(1−β2^t) + Eps) with
// v̂ = v, or with AMSGrad the running maximum of v (the reference trains
// with amsgrad=True).
type Adam[T Float] struct {
	Beta1, Beta2, Eps, WeightDecay float64
	AMSGrad                        bool
	t                              int
	m, v, vmax                     [][]T
}

// NewAdam returns Adam with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8.
func NewAdam[T Float](weightDecay float64, amsgrad bool) *Adam[T] {
	return &Adam[T]{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay, AMSGrad: amsgrad}
}

// Step implements Optimizer.
func (o *Adam[T]) Step(params []*Param[T], lr float64) {
	if o.m == nil {
		o.m, o.v, o.vmax = make([][]T, len(params)), make([][]T, len(params)), make([][]T, len(params))
		for i, p := range params {
			o.m[i], o.v[i], o.vmax[i] = make([]T, len(p.Value)), make([]T, len(p.Value)), make([]T, len(p.Value))
		}
	}
	o.t++
	bc1 := 1 - math.Pow(o.Beta1, float64(o.t))
	bc2 := math.Sqrt(1 - math.Pow(o.Beta2, float64(o.t)))
	// The constants in T, read once (not per element through o).
	wd, b1, c1, b2, c2 := T(o.WeightDecay), T(o.Beta1), T(1-o.Beta1), T(o.Beta2), T(1-o.Beta2)
	size, den, eps, ams := T(lr/bc1), T(bc2), T(o.Eps), o.AMSGrad
	for i, p := range params {
		w := p.Value
		grad, m, v, vmax := p.Grad[:len(w)], o.m[i][:len(w)], o.v[i][:len(w)], o.vmax[i][:len(w)]
		for j, x := range w {
			g := grad[j]
			if wd != 0 {
				g += wd * x
			}
			m[j] = m[j]*b1 + g*c1
			v[j] = v[j]*b2 + c2*g*g
			s := v[j]
			if ams {
				vmax[j] = max(vmax[j], v[j])
				s = vmax[j]
			}
			w[j] = x - size*(m[j]/(T(math.Sqrt(float64(s)))/den+eps))
		}
	}
}

// State implements Optimizer: "step" (one value) and "exp_avg",
// "exp_avg_sq", "max_exp_avg_sq" per parameter, once a step has run.
func (o *Adam[T]) State(params []*Param[T]) map[string][]float64 {
	s := map[string][]float64{}
	if o.t == 0 {
		return s
	}
	s["step"] = []float64{float64(o.t)}
	saveSlots(s, "exp_avg", params, o.m)
	saveSlots(s, "exp_avg_sq", params, o.v)
	saveSlots(s, "max_exp_avg_sq", params, o.vmax)
	return s
}

// SetState implements Optimizer.
func (o *Adam[T]) SetState(params []*Param[T], s map[string][]float64) error {
	o.t, o.m, o.v, o.vmax = 0, nil, nil, nil
	step, ok := s["step"]
	if !ok {
		return nil
	}
	if len(step) != 1 || step[0] < 1 || step[0] != math.Trunc(step[0]) {
		return fmt.Errorf("optimizer state step %v, want one positive integer", step)
	}
	var err error
	for _, slot := range []struct {
		name string
		dst  *[][]T
	}{{"exp_avg", &o.m}, {"exp_avg_sq", &o.v}, {"max_exp_avg_sq", &o.vmax}} {
		if *slot.dst, err = loadSlots(s, slot.name, params); err != nil {
			return err
		}
		if *slot.dst == nil {
			return fmt.Errorf("optimizer state %s is missing", slot.name)
		}
	}
	o.t = int(step[0])
	return nil
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

// convert returns a copy of v in type U.
func convert[U, T Float](v []T) []U {
	out := make([]U, len(v))
	for i, x := range v {
		out[i] = U(x)
	}
	return out
}
