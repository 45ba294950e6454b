package snap

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Curve is the theoretical generalisation error of ridge regression at
// several training-set sizes (SNAP gen_error_theory; METHODS.md §6.4).
type Curve struct {
	P     []float64 // training-set sizes
	Kappa []float64 // κ(p), the root of the self-consistent equation
	Gamma []float64 // γ(p) = Σ_i pλ_i²/(pλ_i+κ)²
	// ModeErr is len(P)×modes: κ²/(1−γ)/(pλ_i+κ)², the fraction of the
	// power on mode i that is still unlearned at p.
	ModeErr *mat.Dense
	// Gen is len(P)×targets: Σ_i ModeErr_i·w_it² / Σ_{i,t'} w_it'², so a
	// row sums to the total normalised error E_g(p) (SNAP gen_theory).
	Gen *mat.Dense
}

// Theory solves κ = reg·p + κ·Σ_i λ_i/(pλ_i+κ) at every p and returns the
// curve for eigenvalues eigs and weights (modes×targets). reg is the ridge
// per sample (sklearn's α/p, SNAP's reg); reg = 0 is allowed when every p
// is below the number of positive eigenvalues.
func Theory(eigs []float64, weights *mat.Dense, reg float64, ps []float64) (*Curve, error) {
	modes, targets := weights.Dims()
	if modes != len(eigs) {
		return nil, fmt.Errorf("theory: %d eigenvalues but %d weight rows, want one row per mode", len(eigs), modes)
	}
	if reg < 0 || math.IsNaN(reg) {
		return nil, fmt.Errorf("theory: reg = %g, want ≥ 0", reg)
	}
	c := &Curve{P: ps, Kappa: make([]float64, len(ps)), Gamma: make([]float64, len(ps)),
		ModeErr: mat.NewDense(len(ps), modes, nil), Gen: mat.NewDense(len(ps), targets, nil)}
	total := 0.0
	for _, w := range weights.RawMatrix().Data {
		total += w * w
	}
	for k, p := range ps {
		if !(p > 0) {
			return nil, fmt.Errorf("theory: training-set size %g, want > 0", p)
		}
		kappa, err := SolveKappa(eigs, reg, p)
		if err != nil {
			return nil, err
		}
		c.Kappa[k], c.Gamma[k] = kappa, gamma(eigs, p, kappa)
		pre := kappa * kappa / (1 - c.Gamma[k])
		row := c.ModeErr.RawRowView(k)
		for i, l := range eigs {
			d := p*math.Abs(l) + kappa
			row[i] = pre / (d * d)
			for t := 0; t < targets; t++ {
				w := weights.At(i, t)
				c.Gen.Set(k, t, c.Gen.At(k, t)+row[i]*w*w/total)
			}
		}
	}
	return c, nil
}

// Total is E_g(p) summed over targets for the k-th size.
func (c *Curve) Total(k int) float64 { return sum(c.Gen.RawRowView(k)) }

// SolveKappa returns the positive root of g(κ) = κ − reg·p − Σ_i κλ_i/(pλ_i+κ)
// (|λ_i| used, as SNAP does). g is convex with g(0) ≤ 0 and g(reg·p+Σλ) ≥ 0,
// so Newton's method from that upper bound decreases monotonically to the
// unique positive root; it stops when a step no longer shrinks κ.
func SolveKappa(eigs []float64, reg, p float64) (float64, error) {
	kappa := reg * p
	for _, l := range eigs {
		kappa += math.Abs(l)
	}
	if kappa == 0 {
		return 0, errors.New("theory: every eigenvalue is 0 and reg = 0, so κ is 0")
	}
	for it := 0; it < 500; it++ {
		g := kappa - reg*p
		for _, l := range eigs {
			l = math.Abs(l)
			g -= kappa * l / (p*l + kappa)
		}
		next := kappa - g/(1-gamma(eigs, p, kappa))
		if !(next < kappa) || next <= 0 {
			return kappa, nil
		}
		kappa = next
	}
	return 0, fmt.Errorf("theory: κ did not converge at p = %g, reg = %g", p, reg)
}

// gamma is Σ_i pλ_i²/(pλ_i+κ)², the derivative term of the κ equation.
func gamma(eigs []float64, p, kappa float64) float64 {
	g := 0.0
	for _, l := range eigs {
		l = math.Abs(l)
		d := p*l + kappa
		g += p * l * l / (d * d)
	}
	return g
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}
