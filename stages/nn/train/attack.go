package train

import "math"

// InputGradient returns the gradient of the mean cross-entropy of the
// batch x (n samples) wrt x, from the model's own backward pass (a fresh
// slice).
func (m *Model) InputGradient(x []float64, labels []int) []float64 {
	n, k := len(labels), m.Classes()
	logits := m.Forward(x, n)
	d := make([]float64, n*k)
	CrossEntropy(logits, labels, k, d)
	return append([]float64(nil), m.Backward(d, nil, n, true)...)
}

// Box is the valid input range every adversarial example is clipped to.
type Box struct{ Lo, Hi float64 }

// FGSM returns the fast-gradient-sign examples clip(x + ε·sign(∇ₓL), box)
// (Goodfellow et al.; sign(0) = 0).
func (m *Model) FGSM(x []float64, labels []int, eps float64, box Box) []float64 {
	g := m.InputGradient(x, labels)
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = clip(v+eps*sign(g[i]), box.Lo, box.Hi)
	}
	return out
}

// PGD returns projected-gradient-ascent examples (Madry et al.) after
// steps steps from start (x itself for the deterministic start; a caller
// wanting a random start draws it inside the ball): each step moves by
// step·sign(g) (norm "linf") or step·g/‖g‖₂ per sample (norm "l2", no move
// where g = 0), projects back onto the ε-ball around x (clipping each
// value, or scaling the perturbation by min(1, ε/‖δ‖₂)) and clips to box.
func (m *Model) PGD(x, start []float64, labels []int, norm string, eps, step float64, steps int, box Box) []float64 {
	a := append([]float64(nil), start...)
	d := m.InSize()
	for range steps {
		g := m.InputGradient(a, labels)
		for i := range labels {
			xi, ai, gi := x[i*d:(i+1)*d], a[i*d:(i+1)*d], g[i*d:(i+1)*d]
			switch norm {
			case "linf":
				for j := range ai {
					ai[j] = clip(clip(ai[j]+step*sign(gi[j]), xi[j]-eps, xi[j]+eps), box.Lo, box.Hi)
				}
			case "l2":
				if gn := l2(gi, nil); gn > 0 {
					for j := range ai {
						ai[j] += step * gi[j] / gn
					}
				}
				scale := 1.0
				if dn := l2(ai, xi); dn > 0 {
					scale = min(eps/dn, 1)
				}
				for j := range ai {
					ai[j] = clip(xi[j]+(ai[j]-xi[j])*scale, box.Lo, box.Hi)
				}
			default:
				panic("train: PGD norm " + norm + ", want linf or l2")
			}
		}
	}
	return a
}

// l2 is ‖a − b‖₂ (b nil: ‖a‖₂), summed in order.
func l2(a, b []float64) float64 {
	s := 0.0
	for j, v := range a {
		if b != nil {
			v -= b[j]
		}
		s += v * v
	}
	return math.Sqrt(s)
}

func clip(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
