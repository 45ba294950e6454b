// Package manifold is the mean-field theory of manifold capacity (Chung,
// Lee & Sompolinsky, Phys. Rev. X 2018; Cohen, Chung, Lee & Sompolinsky,
// Nat. Commun. 2020): how many labelled point clouds ("object manifolds")
// a linear readout can separate per dimension, with the anchor radius and
// dimension that explain it and the correlation between manifold
// centres; and, as its check, the simulated capacity from the linear
// separability of random dichotomies.
//
// The algorithm is that of the reference implementation
// (github.com/schung039/neural_manifolds_replicaMFT,
// mftma/manifold_analysis_correlation.py); testdata/make_goldens.py
// reruns it with numpy and cvxopt and the tests match it to 1e-3 on the
// same Gaussian samples. One step differs: the reference removes a
// low-rank centre structure found by a Stiefel-manifold conjugate
// gradient with random restarts (fun_FA, at least rank 1); here the
// basis to remove is an input (Options.CenterBasis, none by default).
package manifold

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// Options are the analysis settings.
type Options struct {
	// Kappa is the margin κ (0: plain linear separability).
	Kappa float64
	// NT is the number of Gaussian samples t per manifold (the reference
	// suggests 200); the Monte-Carlo error of α_M falls as 1/√NT.
	NT int
	// Seed seeds the samples: manifold i draws its own from PCG(Seed, i),
	// so results do not depend on the number of workers.
	Seed uint64
	// Samples, if non-nil, replaces the drawn samples: Samples[i] holds
	// NT rows of D_i+1 values for manifold i, D_i = min(N, m_i), in the
	// coordinates Analyze reduces to (the reference's t_vecs, transposed).
	Samples [][][]float64
	// CenterBasis, if non-nil, is an N×K matrix with orthonormal columns
	// spanning the centre structure to project out of every manifold
	// before the analysis (the reference's V11).
	CenterBasis *mat.Dense
	// Workers bounds the goroutines (≤ 0: GOMAXPROCS).
	Workers int
}

// Result is the analysis of a set of manifolds.
type Result struct {
	// Manifolds holds each manifold's geometry, in input order.
	Manifolds []Geometry
	// Capacity is the overall capacity 1/mean(1/α_i) (the reference's
	// average: capacities add inversely); Radius and Dimension are the
	// plain means of R_i and D_i.
	Capacity, Radius, Dimension float64
	// CenterCorrelation is the mean |cos| between the manifold centres
	// after subtracting their mean, over distinct pairs (the reference's
	// res_coeff0; Cohen et al. 2020).
	CenterCorrelation float64
}

// Analyze computes the mean-field geometry of the manifolds, each an
// m_i×N matrix whose rows are its points (m_i ≥ 2; at least 2
// manifolds). Every manifold is shifted by the mean of all points,
// stripped of CenterBasis, centred on its own centre and scaled by the
// centre's norm, and — when N > m_i — reduced to its m_i-dimensional span
// by a QR factorisation (the reference's trick, which makes the cost per
// sample independent of N); then ManifoldGeometry.
func Analyze(manifolds []*mat.Dense, opt Options) (*Result, error) {
	n, err := checkShapes(manifolds, opt)
	if err != nil {
		return nil, err
	}
	origin := globalMean(manifolds, n)
	geo := make([]Geometry, len(manifolds))
	errs := make([]error, len(manifolds))
	forEach(len(manifolds), opt.Workers, func(i int) {
		geo[i], errs[i] = analyzeOne(manifolds[i], origin, i, opt)
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("manifold %d: %w", i, err)
		}
	}
	res := &Result{Manifolds: geo, CenterCorrelation: CenterCorrelation(manifolds)}
	var inv float64
	for _, g := range geo {
		inv += 1 / g.Capacity
		res.Radius += g.Radius / float64(len(geo))
		res.Dimension += g.Dimension / float64(len(geo))
	}
	res.Capacity = float64(len(geo)) / inv
	return res, nil
}

func checkShapes(manifolds []*mat.Dense, opt Options) (int, error) {
	if len(manifolds) < 2 {
		return 0, fmt.Errorf("manifold analysis: %d manifolds, want ≥ 2", len(manifolds))
	}
	_, n := manifolds[0].Dims()
	for i, x := range manifolds {
		m, c := x.Dims()
		if c != n || m < 2 {
			return 0, fmt.Errorf("manifold analysis: manifold %d is %d×%d, want m×%d with m ≥ 2 points", i, m, c, n)
		}
	}
	if opt.NT < 1 && opt.Samples == nil {
		return 0, fmt.Errorf("manifold analysis: %d samples per manifold, want ≥ 1", opt.NT)
	}
	if opt.Samples != nil && len(opt.Samples) != len(manifolds) {
		return 0, fmt.Errorf("manifold analysis: samples for %d manifolds, want %d", len(opt.Samples), len(manifolds))
	}
	if b := opt.CenterBasis; b != nil {
		if r, _ := b.Dims(); r != n {
			return 0, fmt.Errorf("manifold analysis: centre basis has %d rows, want N = %d", r, n)
		}
	}
	return n, nil
}

// analyzeOne prepares manifold i in its own frame and computes its geometry.
func analyzeOne(x *mat.Dense, origin []float64, i int, opt Options) (Geometry, error) {
	pts, err := frame(x, origin, opt.CenterBasis)
	if err != nil {
		return Geometry{}, err
	}
	var t [][]float64
	if opt.Samples != nil {
		t = opt.Samples[i]
	} else {
		t = GaussianSamples(opt.Seed, i, len(pts[0])+1, opt.NT)
	}
	return ManifoldGeometry(pts, t, opt.Kappa)
}

// frame returns manifold x's points in its own frame (see Analyze), each
// min(N, m) long.
func frame(x *mat.Dense, origin []float64, basis *mat.Dense) ([][]float64, error) {
	m, n := x.Dims()
	var xr mat.Dense
	xr.Apply(func(_, j int, v float64) float64 { return v - origin[j] }, x)
	if basis != nil {
		var c, proj mat.Dense
		c.Mul(&xr, basis)
		proj.Mul(&c, basis.T())
		xr.Sub(&xr, &proj)
	}
	centre := make([]float64, n)
	for k := range m {
		for j, v := range xr.RawRowView(k) {
			centre[j] += v / float64(m)
		}
	}
	norm := math.Sqrt(dot(centre, centre))
	if norm == 0 {
		return nil, fmt.Errorf("its centre coincides with the mean of all points, so it has no centre direction")
	}
	xr.Apply(func(_, j int, v float64) float64 { return (v - centre[j]) / norm }, &xr)
	if n <= m {
		pts := make([][]float64, m)
		for k := range m {
			pts[k] = xr.RawRowView(k)
		}
		return pts, nil
	}
	return spanCoordinates(&xr), nil
}

// spanCoordinates returns the rows of x (m×N, N > m) in the basis Q of
// xᵀ = QR: point k is column k of the m×m R.
func spanCoordinates(x *mat.Dense) [][]float64 {
	m, _ := x.Dims()
	var qr mat.QR
	qr.Factorize(x.T())
	var r mat.Dense
	qr.RTo(&r)
	pts := make([][]float64, m)
	for k := range m {
		pts[k] = make([]float64, m)
		for j := range m {
			pts[k][j] = r.At(j, k)
		}
	}
	return pts
}

// GaussianSamples returns nt standard normal samples of length d for
// manifold i, drawn from PCG(seed, i).
func GaussianSamples(seed uint64, i, d, nt int) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	t := make([][]float64, nt)
	for s := range t {
		t[s] = make([]float64, d)
		for j := range t[s] {
			t[s][j] = rng.NormFloat64()
		}
	}
	return t
}

// globalMean is the mean over every point of every manifold.
func globalMean(manifolds []*mat.Dense, n int) []float64 {
	mean := make([]float64, n)
	total := 0
	for _, x := range manifolds {
		m, _ := x.Dims()
		total += m
		for k := range m {
			for j, v := range x.RawRowView(k) {
				mean[j] += v
			}
		}
	}
	for j := range mean {
		mean[j] /= float64(total)
	}
	return mean
}

// CenterCorrelation is the mean |cos| between the centres of distinct
// manifolds after subtracting the mean centre (Result.CenterCorrelation).
func CenterCorrelation(manifolds []*mat.Dense) float64 {
	p := len(manifolds)
	_, n := manifolds[0].Dims()
	centres := make([][]float64, p)
	mean := make([]float64, n)
	for i, x := range manifolds {
		m, _ := x.Dims()
		centres[i] = make([]float64, n)
		for k := range m {
			for j, v := range x.RawRowView(k) {
				centres[i][j] += v / float64(m)
			}
		}
		for j, v := range centres[i] {
			mean[j] += v / float64(p)
		}
	}
	norms := make([]float64, p)
	for i, c := range centres {
		for j := range c {
			c[j] -= mean[j]
		}
		norms[i] = math.Sqrt(dot(c, c))
	}
	sum := 0.0
	for i := range p {
		for j := i + 1; j < p; j++ {
			sum += math.Abs(dot(centres[i], centres[j]) / (norms[i] * norms[j]))
		}
	}
	return 2 * sum / float64(p*(p-1))
}

// forEach runs f(0..n−1) on up to workers goroutines (≤ 0: GOMAXPROCS).
func forEach(n, workers int, f func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}
