package train

import "math"

// InputGradient returns the gradient of the mean cross-entropy of the
// batch x (n samples) wrt x, from the model's own backward pass (a fresh
// slice).
func (m *Model[T]) InputGradient(x []T, labels []int) []T {
	n, k := len(labels), m.Classes()
	logits := m.Forward(x, n)
	d := make([]T, n*k)
	CrossEntropy(logits, labels, k, d)
	return append([]T(nil), m.Backward(d, nil, n, true)...)
}

// Box is the valid input range every adversarial example is clipped to.
type Box struct{ Lo, Hi float64 }

// FGSM returns the fast-gradient-sign examples clip(x + ε·sign(∇ₓL), box)
// (Goodfellow et al.; sign(0) = 0).
func (m *Model[T]) FGSM(x []T, labels []int, eps float64, box Box) []T {
	g := m.InputGradient(x, labels)
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = clip(v+T(eps)*sign(g[i]), T(box.Lo), T(box.Hi))
	}
	return out
}

// PGD returns projected-gradient-ascent examples (Madry et al.) after
// steps steps from start (x itself for the deterministic start; a caller
// wanting a random start draws it inside the ball): each step moves by
// step·sign(g) (norm "linf") or step·g/‖g‖₂ per sample (norm "l2", no move
// where g = 0), projects back onto the ε-ball around x (clipping each
// value, or scaling the perturbation by min(1, ε/‖δ‖₂)) and clips to box.
func (m *Model[T]) PGD(x, start []T, labels []int, norm string, eps, step float64, steps int, box Box) []T {
	a := append([]T(nil), start...)
	lo, hi := T(box.Lo), T(box.Hi)
	d := m.InSize()
	for range steps {
		g := m.InputGradient(a, labels)
		for i := range labels {
			xi, ai, gi := x[i*d:(i+1)*d], a[i*d:(i+1)*d], g[i*d:(i+1)*d]
			switch norm {
			case "linf":
				for j := range ai {
					ai[j] = clip(clip(ai[j]+T(step)*sign(gi[j]), xi[j]-T(eps), xi[j]+T(eps)), lo, hi)
				}
			case "l2":
				if gn := l2(gi, nil); gn > 0 {
					for j := range ai {
						ai[j] += T(step) * gi[j] / T(gn)
					}
				}
				scale := 1.0
				if dn := l2(ai, xi); dn > 0 {
					scale = min(eps/dn, 1)
				}
				for j := range ai {
					ai[j] = clip(xi[j]+(ai[j]-xi[j])*T(scale), lo, hi)
				}
			default:
				panic("train: PGD norm " + norm + ", want linf or l2")
			}
		}
	}
	return a
}

// l2 is ‖a − b‖₂ (b nil: ‖a‖₂), summed in order in float64.
func l2[T Float](a, b []T) float64 {
	s := 0.0
	for j, x := range a {
		v := float64(x)
		if b != nil {
			v -= float64(b[j])
		}
		s += v * v
	}
	return math.Sqrt(s)
}

func clip[T Float](v, lo, hi T) T { return min(max(v, lo), hi) }

func sign[T Float](v T) T {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
