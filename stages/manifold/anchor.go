package manifold

import (
	"errors"
	"fmt"
	"math"
)

// anchorQP solves, for one manifold, the reference's per-sample anchor
// problem (Chung, Lee & Sompolinsky 2018 §III A; minimize_vt_sq in
// schung039/neural_manifolds_replicaMFT):
//
//	min_v ½‖v − t‖²  subject to  s_k·v ≤ −κ for every point s_k,
//
// where the s_k are the manifold's points in D+1 coordinates (the last
// one the unit centre coordinate). No well-kept Go QP solver exists
// (gonum's optimize/convex/lp is LP only), so it is solved exactly
// through its dual, a non-negative quadratic program in the m point
// weights α:
//
//	min_{α ≥ 0} ½ αᵀHα − αᵀb,  H = SᵀS,  b = Sᵀt + κ,  v = t − Sα,
//
// with the Lawson–Hanson active-set method on the Gram matrix H: it
// terminates at the exact KKT point in finitely many steps (no
// interior-point tolerance), H is computed once per manifold and shared
// by every sample, and the passive set keeps linearly independent points
// so each step is a small Cholesky solve. The anchor point is then
// s̃ = Sα/Σα, the reference's (t − v)/Σα.
type anchorQP struct {
	pts  [][]float64 // m points, each D+1 long
	gram []float64   // m×m, row-major
	m    int

	alpha, z, w, b []float64
	passive        []int
	chol           []float64
}

// errNoConvergence reports an active-set loop that did not terminate,
// which only rounding on a degenerate point set can cause.
var errNoConvergence = errors.New("anchor-point QP: active set did not converge")

func newAnchorQP(pts [][]float64) *anchorQP {
	m := len(pts)
	q := &anchorQP{pts: pts, m: m, gram: make([]float64, m*m),
		alpha: make([]float64, m), z: make([]float64, m), w: make([]float64, m),
		b: make([]float64, m), chol: make([]float64, m*m)}
	for i := range m {
		for j := 0; j <= i; j++ {
			g := dot(pts[i], pts[j])
			q.gram[i*m+j], q.gram[j*m+i] = g, g
		}
	}
	return q
}

// solve returns the optimal dual weights α for sample t (valid until the
// next call).
func (q *anchorQP) solve(t []float64, kappa float64) ([]float64, error) {
	scale := 1.0
	for k, p := range q.pts {
		q.b[k] = dot(p, t) + kappa
		scale = math.Max(scale, math.Abs(q.b[k]))
	}
	tol := 1e-12 * scale
	clear(q.alpha)
	q.passive = q.passive[:0]
	copy(q.w, q.b)
	for iter := 0; ; iter++ {
		if iter > 10*q.m {
			return nil, errNoConvergence
		}
		j := q.entering(tol)
		if j < 0 {
			return q.alpha, nil
		}
		q.passive = append(q.passive, j)
		if err := q.innerLoop(); err != nil {
			return nil, err
		}
		q.gradient()
	}
}

// entering returns the non-passive index with the largest negative
// gradient above tol, or −1 at optimality.
func (q *anchorQP) entering(tol float64) int {
	best, bestW := -1, tol
	for k := range q.m {
		if q.w[k] > bestW && !q.isPassive(k) {
			best, bestW = k, q.w[k]
		}
	}
	return best
}

func (q *anchorQP) isPassive(k int) bool {
	for _, p := range q.passive {
		if p == k {
			return true
		}
	}
	return false
}

// innerLoop is Lawson–Hanson's inner loop: solve the unconstrained
// problem on the passive set and, while that leaves some weight ≤ 0, step
// towards it as far as feasibility allows and drop the weights that hit 0.
func (q *anchorQP) innerLoop() error {
	for range q.m + 1 {
		if err := q.passiveSolve(); err != nil {
			return err
		}
		theta, hit := 1.0, -1
		for _, p := range q.passive {
			if q.z[p] <= 0 {
				if r := q.alpha[p] / (q.alpha[p] - q.z[p]); r < theta {
					theta, hit = r, p
				}
			}
		}
		if hit < 0 {
			for _, p := range q.passive {
				q.alpha[p] = q.z[p]
			}
			return nil
		}
		kept := q.passive[:0]
		for _, p := range q.passive {
			q.alpha[p] += theta * (q.z[p] - q.alpha[p])
			if p == hit || q.alpha[p] <= 0 {
				q.alpha[p] = 0
				continue
			}
			kept = append(kept, p)
		}
		q.passive = kept
	}
	return errNoConvergence
}

// passiveSolve sets z on the passive set to the solution of
// H_PP z_P = b_P by Cholesky factorisation.
func (q *anchorQP) passiveSolve() error {
	n, m := len(q.passive), q.m
	l := q.chol[:n*n]
	for i, pi := range q.passive {
		for j := 0; j <= i; j++ {
			s := q.gram[pi*m+q.passive[j]]
			for k := range j {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if s <= 0 {
					return fmt.Errorf("anchor-point QP: %d active points are linearly dependent", n)
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	for i, pi := range q.passive {
		s := q.b[pi]
		for k := range i {
			s -= l[i*n+k] * q.z[q.passive[k]]
		}
		q.z[pi] = s / l[i*n+i]
	}
	for i := n - 1; i >= 0; i-- {
		s := q.z[q.passive[i]]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * q.z[q.passive[k]]
		}
		q.z[q.passive[i]] = s / l[i*n+i]
	}
	return nil
}

// gradient sets w = b − Hα, the negative gradient of the dual.
func (q *anchorQP) gradient() {
	for k := range q.m {
		s := q.b[k]
		for _, p := range q.passive {
			s -= q.gram[k*q.m+p] * q.alpha[p]
		}
		q.w[k] = s
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
