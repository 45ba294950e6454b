package manifold

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// Separable reports whether some w through the origin puts every point
// of manifold μ strictly on side labels[μ] (±1), exactly, by linear
// programming with gonum's simplex (gonum.org/v1/gonum/optimize/convex/lp,
// the maintained Go LP solver), not approximately by a soft-margin SVM.
// With z_k = y_μ x_k for the K points, Gordan's theorem says w with all
// w·z_k > 0 exists iff no λ ≥ 0, Σλ = 1 has Σ λ_k z_k = 0: an LP of N+1
// rows, much smaller than the primal's K when K > N (the simplex costs
// grow with the cube of the rows). The simplex needs at least as many
// columns as rows and full row rank; when the points are fewer than N+1
// or degenerate, the primal LP (feasibility of y_μ x_k·w ≥ 1), whose
// slack columns make it full rank, decides instead.
func Separable(manifolds []*mat.Dense, labels []float64) (bool, error) {
	z := signedPoints(manifolds, labels)
	k, n := z.Dims()
	if k >= n+1 {
		a := mat.NewDense(n+1, k, nil)
		a.Slice(0, n, 0, k).(*mat.Dense).Copy(z.T())
		b := make([]float64, n+1)
		for j := range k {
			a.Set(n, j, 1)
		}
		b[n] = 1
		_, _, err := lp.Simplex(make([]float64, k), a, b, 1e-10, nil)
		switch {
		case err == nil:
			return false, nil
		case errors.Is(err, lp.ErrInfeasible):
			return true, nil
		}
	}
	return primalSeparable(z)
}

// signedPoints stacks y_μ x_k over every point k of every manifold μ.
func signedPoints(manifolds []*mat.Dense, labels []float64) *mat.Dense {
	_, n := manifolds[0].Dims()
	k := 0
	for _, x := range manifolds {
		m, _ := x.Dims()
		k += m
	}
	z := mat.NewDense(k, n, nil)
	r := 0
	for mu, x := range manifolds {
		m, _ := x.Dims()
		for i := range m {
			row := z.RawRowView(r)
			for j, v := range x.RawRowView(i) {
				row[j] = labels[mu] * v
			}
			r++
		}
	}
	return z
}

// primalSeparable decides separability by the feasibility of
// z_k·(w⁺ − w⁻) − s_k = 1 with w⁺, w⁻, s ≥ 0.
func primalSeparable(z *mat.Dense) (bool, error) {
	k, n := z.Dims()
	a := mat.NewDense(k, 2*n+k, nil)
	b := make([]float64, k)
	for r := range k {
		row := a.RawRowView(r)
		for j, v := range z.RawRowView(r) {
			row[j], row[n+j] = v, -v
		}
		row[2*n+r] = -1
		b[r] = 1
	}
	_, _, err := lp.Simplex(make([]float64, 2*n+k), a, b, 1e-10, nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, lp.ErrInfeasible):
		return false, nil
	default:
		return false, fmt.Errorf("separability LP with %d points in %d dimensions: %w", k, n, err)
	}
}

// Generator draws p manifolds in n dimensions, each a matrix whose rows
// are its points.
type Generator func(rng *rand.Rand, p, n int) []*mat.Dense

// Points draws p single points with independent N(0, 1) coordinates: in
// general position, so Cover's theorem gives the critical capacity
// α_c = P/N = 2 as N grows.
func Points(rng *rand.Rand, p, n int) []*mat.Dense {
	out := make([]*mat.Dense, p)
	for i := range out {
		out[i] = mat.NewDense(1, n, gaussian(rng, n))
	}
	return out
}

// Segments returns a Generator of one-dimensional balls of radius r: the
// two ends x₀ ± r·u of a segment whose centre x₀ and axis u have
// independent N(0, 1) coordinates (Chung, Lee & Sompolinsky 2016).
func Segments(r float64) Generator {
	return func(rng *rand.Rand, p, n int) []*mat.Dense {
		out := make([]*mat.Dense, p)
		for i := range out {
			c, u := gaussian(rng, n), gaussian(rng, n)
			x := mat.NewDense(2, n, nil)
			for j := range n {
				x.Set(0, j, c[j]+r*u[j])
				x.Set(1, j, c[j]-r*u[j])
			}
			out[i] = x
		}
		return out
	}
}

func gaussian(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for j := range v {
		v[j] = rng.NormFloat64()
	}
	return v
}

// SeparableFraction is the fraction of trials in which p manifolds drawn
// by gen in n dimensions, with random ±1 labels, are linearly separable.
// Trial r draws manifolds and labels from PCG(seed, r), so fractions at
// different p share their random numbers (which keeps the bisection of
// CriticalCapacity steady) and do not depend on the number of workers.
func SeparableFraction(gen Generator, p, n, trials int, seed uint64, workers int) (float64, error) {
	ok := make([]bool, trials)
	errs := make([]error, trials)
	forEach(trials, workers, func(r int) {
		rng := rand.New(rand.NewPCG(seed, uint64(r)))
		ms := gen(rng, p, n)
		labels := make([]float64, p)
		for i := range labels {
			labels[i] = float64(2*rng.IntN(2) - 1)
		}
		ok[r], errs[r] = Separable(ms, labels)
	})
	count := 0
	for r := range trials {
		if errs[r] != nil {
			return 0, fmt.Errorf("trial %d: %w", r, errs[r])
		}
		if ok[r] {
			count++
		}
	}
	return float64(count) / float64(trials), nil
}

// CriticalCapacity returns the simulated critical capacity α_c = P/N at
// which the separable fraction crosses ½: bisection over integer P in
// [lo, hi] (the fraction must be ≥ ½ at lo and < ½ at hi), then linear
// interpolation between the last two P. Each step costs trials LPs.
func CriticalCapacity(gen Generator, n, lo, hi, trials int, seed uint64, workers int) (float64, error) {
	frac := func(p int) (float64, error) { return SeparableFraction(gen, p, n, trials, seed, workers) }
	flo, err := frac(lo)
	if err != nil {
		return 0, err
	}
	fhi, err := frac(hi)
	if err != nil {
		return 0, err
	}
	if flo < 0.5 || fhi >= 0.5 {
		return 0, fmt.Errorf("critical capacity: separable fraction %.3g at P=%d and %.3g at P=%d does not bracket ½", flo, lo, fhi, hi)
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		f, err := frac(mid)
		if err != nil {
			return 0, err
		}
		if f >= 0.5 {
			lo, flo = mid, f
		} else {
			hi, fhi = mid, f
		}
	}
	p := float64(lo) + (flo-0.5)/(flo-fhi)
	return p / float64(n), nil
}
