package manifold

import (
	"fmt"
	"math"
)

// Geometry is one manifold's mean-field capacity α_M, anchor radius R_M
// and anchor dimension D_M (Chung, Lee & Sompolinsky 2018, eqs. 16–17,
// 28–29).
type Geometry struct {
	Capacity, Radius, Dimension float64
}

// interiorEps is the reference's eps: an anchor problem whose solution v
// is within it of t counts as an interior sample (v = t).
const interiorEps = 1e-8

// ManifoldGeometry computes one manifold's Geometry at margin kappa from
// its m points (each D long, in the manifold's own frame: centred on the
// manifold centre and scaled so the centre is at unit distance, as
// Analyze prepares them) and the Gaussian samples t (each D+1 long, the
// last coordinate along the centre). It is the reference's
// each_manifold_analysis_D1: for each sample the anchor point s̃(t) is the
// point of largest projection when the margin is already met, else the
// solution of the anchor QP (anchorQP); then
//
//	α_M = 1 / mean_t( max(t·s̃ + κ, 0)² / ‖s̃‖² ),
//	R_M = √ mean_t ‖s̃_⊥ − mean s̃_⊥‖²  (s̃_⊥: the first D coordinates, ÷ s̃_{D+1}),
//	D_M = D · (mean_t cos(t_⊥, s̃_⊥))².
func ManifoldGeometry(points [][]float64, t [][]float64, kappa float64) (Geometry, error) {
	if len(points) == 0 || len(t) == 0 {
		return Geometry{}, fmt.Errorf("manifold geometry: %d points and %d samples, want ≥ 1 of each", len(points), len(t))
	}
	d := len(points[0])
	pts := make([][]float64, len(points))
	for k, p := range points {
		if len(p) != d {
			return Geometry{}, fmt.Errorf("manifold geometry: point %d has %d coordinates, want %d", k, len(p), d)
		}
		pts[k] = append(append(make([]float64, 0, d+1), p...), 1)
	}
	for i, ti := range t {
		if len(ti) != d+1 {
			return Geometry{}, fmt.Errorf("manifold geometry: sample %d has %d coordinates, want D+1 = %d", i, len(ti), d+1)
		}
	}
	anchors, err := anchorPoints(pts, t, kappa)
	if err != nil {
		return Geometry{}, err
	}
	return summarise(anchors, t, kappa), nil
}

// anchorPoints returns s̃(t) (D+1 long) for every sample.
func anchorPoints(pts [][]float64, t [][]float64, kappa float64) ([][]float64, error) {
	d1 := len(pts[0])
	q := newAnchorQP(pts)
	out := make([][]float64, len(t))
	for i, ti := range t {
		s := make([]float64, d1)
		out[i] = s
		best := maxProjection(pts, ti)
		if dot(ti, pts[best])+kappa < 0 {
			copy(s, pts[best])
			continue
		}
		alpha, err := q.solve(ti, kappa)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i, err)
		}
		sum := 0.0
		for k, a := range alpha {
			if a != 0 {
				sum += a
				for j, x := range pts[k] {
					s[j] += a * x
				}
			}
		}
		if math.Sqrt(dot(s, s)) < interiorEps {
			clear(s)
			copy(s, pts[best])
			continue
		}
		for j := range s {
			s[j] /= sum
		}
	}
	return out, nil
}

// maxProjection is the reference's maxproj: the first point with the
// largest projection of t's first D coordinates on the point's.
func maxProjection(pts [][]float64, t []float64) int {
	d := len(t) - 1
	best, bestG := 0, math.Inf(-1)
	for k, p := range pts {
		if g := dot(p[:d], t[:d]); g > bestG {
			best, bestG = k, g
		}
	}
	return best
}

// summarise turns anchor points into α_M, R_M and D_M (see ManifoldGeometry).
func summarise(anchors, t [][]float64, kappa float64) Geometry {
	n := float64(len(t))
	d := len(anchors[0]) - 1
	mean := make([]float64, d+1)
	for _, s := range anchors {
		for j, x := range s {
			mean[j] += x / n
		}
	}
	var slam, r2, cos float64
	for i, s := range anchors {
		if ss := dot(s, s); ss > 0 {
			h := math.Max(dot(t[i], s)+kappa, 0)
			slam += h * h / ss
		}
		for j := range d {
			dv := (s[j] - mean[j]) / s[d]
			r2 += dv * dv
		}
		tp, sp := t[i][:d], s[:d]
		cos += dot(tp, sp) / math.Sqrt(dot(tp, tp)) / math.Sqrt(dot(sp, sp)+1e-12)
	}
	cos /= n
	return Geometry{Capacity: n / slam, Radius: math.Sqrt(r2 / n), Dimension: float64(d) * cos * cos}
}
