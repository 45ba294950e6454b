package train

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// SGD.Step gives, bit for bit, the per-element formula of its doc with
// every product and sum rounded to T, on parameters shorter than a vector
// kernel's 8 values, with a scalar tail, and spanning several blocks, for
// three steps (the first one copies the gradient into the buffer).
func TestSGDStepIsItsFormula(t *testing.T) {
	forEachDType(t, sgdFormula[float64], sgdFormula[float32])
}

func sgdFormula[T Float](t *testing.T) {
	for _, o := range []SGD[T]{
		{Momentum: 0.9},
		{Momentum: 0.9, Dampening: 0.25, WeightDecay: 1e-2},
		{Momentum: 0.8, WeightDecay: 1e-3, Nesterov: true},
		{WeightDecay: 1e-2},
		{},
	} {
		rng := rand.New(rand.NewPCG(3, 4))
		var params []*Param[T]
		for _, n := range []int{3, 8, 1031, 2*block + 13} {
			p := newParam[T]("p", 1, n)
			fill(rng, p.Value)
			params = append(params, p)
		}
		want := make([][]T, len(params))
		buf := make([][]T, len(params))
		for i, p := range params {
			want[i], buf[i] = slices.Clone(p.Value), make([]T, len(p.Value))
		}
		for step := range 3 {
			lr := 0.1 / float64(step+1)
			for i, p := range params {
				fill(rng, p.Grad)
				sgdByFormula(o, want[i], p.Grad, buf[i], T(lr), step == 0)
			}
			o.Step(params, lr)
			for i, p := range params {
				if !slices.Equal(p.Value, want[i]) || !slices.Equal(o.buf[i], buf[i]) {
					t.Fatalf("momentum %g dampening %g weight decay %g nesterov %v, step %d, %d values: weights or buffer differ from the formula",
						o.Momentum, o.Dampening, o.WeightDecay, o.Nesterov, step, len(p.Value))
				}
			}
		}
	}
}

// sgdByFormula is SGD's doc, one element at a time.
func sgdByFormula[T Float](o SGD[T], w, grad, b []T, lr T, first bool) {
	wd, mom, damp := T(o.WeightDecay), T(o.Momentum), T(1-o.Dampening)
	for j := range w {
		g := grad[j]
		if wd != 0 {
			g += T(wd * w[j])
		}
		if mom != 0 {
			if first {
				b[j] = g
			} else {
				b[j] = T(b[j]*mom) + T(g*damp)
			}
			if o.Nesterov {
				g += T(mom * b[j])
			} else {
				g = b[j]
			}
		}
		w[j] += T(-lr * g)
	}
}

func fill[T Float](rng *rand.Rand, v []T) {
	for i := range v {
		v[i] = T(rng.NormFloat64())
	}
}
