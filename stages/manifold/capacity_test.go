package manifold_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/manifold"
)

func read(t *testing.T, name string) *ndarray.Array { return golden.Read(t, "testdata", name) }

// slices3 splits a (P, rows, cols) golden into P row-major matrices.
func slices3(a *ndarray.Array) [][][]float64 {
	p, r, c := a.Shape[0], a.Shape[1], a.Shape[2]
	out := make([][][]float64, p)
	for i := range out {
		out[i] = make([][]float64, r)
		for k := range out[i] {
			off := (i*r + k) * c
			out[i][k] = a.F64[off : off+c]
		}
	}
	return out
}

func denses(a *ndarray.Array) []*mat.Dense {
	p, r, c := a.Shape[0], a.Shape[1], a.Shape[2]
	out := make([]*mat.Dense, p)
	for i := range out {
		out[i] = mat.NewDense(r, c, append([]float64(nil), a.F64[i*r*c:(i+1)*r*c]...))
	}
	return out
}

// Capacity, radius and dimension of every manifold and the centre
// correlation equal the reference algorithm (numpy + cvxopt QP, see
// testdata/make_goldens.py) on the same points and Gaussian samples, to
// 1e-3 relative (the reference's QP stops at ~1e-8; the active set is
// exact): with N > m (QR reduction to the span), with N < m, with a
// margin, and with a centre basis projected out.
func TestAnalyzeMatchesReference(t *testing.T) {
	for _, c := range []string{"wide", "margin", "narrow", "basis"} {
		t.Run(c, func(t *testing.T) {
			opt := manifold.Options{Kappa: read(t, c+"_params").F64[0], Samples: slices3(read(t, c+"_t"))}
			if c == "basis" {
				b := read(t, c+"_basis")
				opt.CenterBasis = mat.NewDense(b.Shape[0], b.Shape[1], b.F64)
			}
			res, err := manifold.Analyze(denses(read(t, c+"_x")), opt)
			if err != nil {
				t.Fatal(err)
			}
			var capacity, radius, dimension []float64
			for _, g := range res.Manifolds {
				capacity = append(capacity, g.Capacity)
				radius = append(radius, g.Radius)
				dimension = append(dimension, g.Dimension)
			}
			golden.CloseRel(t, "capacity", capacity, read(t, c+"_capacity").F64, 1e-3)
			golden.CloseRel(t, "radius", radius, read(t, c+"_radius").F64, 1e-3)
			golden.CloseRel(t, "dimension", dimension, read(t, c+"_dimension").F64, 1e-3)
			golden.CloseRel(t, "centre correlation", []float64{res.CenterCorrelation}, read(t, c+"_center_corr").F64, 1e-10)
		})
	}
}

// The overall values are the reference README's averages: capacities
// inversely, radius and dimension plainly.
func TestAnalyzeAverages(t *testing.T) {
	res, err := manifold.Analyze(denses(read(t, "wide_x")), manifold.Options{Samples: slices3(read(t, "wide_t"))})
	if err != nil {
		t.Fatal(err)
	}
	var inv, r, d float64
	for _, g := range res.Manifolds {
		inv += 1 / g.Capacity
		r += g.Radius
		d += g.Dimension
	}
	n := float64(len(res.Manifolds))
	golden.CloseRel(t, "averages", []float64{res.Capacity, res.Radius, res.Dimension}, []float64{n / inv, r / n, d / n}, 1e-14)
}

// Mean-field capacity of D-dimensional balls of radius R equals the
// closed-form integral (testdata/balls.npy; R = 0 is points, α = 2 at
// κ = 0) within Monte-Carlo error, for balls the point sets represent
// exactly: D = 1, a segment (its two ends), and D = 2, a 256-gon. Anchor
// points lie in the ball, so R_M ≤ R.
func TestBallCapacityClosedForm(t *testing.T) {
	table := read(t, "balls")
	const nt = 20000
	for row := range table.Shape[0] {
		r, d, kappa, want := table.F64[4*row], int(table.F64[4*row+1]), table.F64[4*row+2], table.F64[4*row+3]
		g, err := manifold.ManifoldGeometry(ball(r, d), manifold.GaussianSamples(7, row, d+1, nt), kappa)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(g.Capacity-want) > 0.02*want {
			t.Errorf("R=%g D=%d κ=%g: α_M = %.4f, closed form %.4f", r, d, kappa, g.Capacity, want)
		}
		if g.Radius > r*(1+1e-12) {
			t.Errorf("R=%g D=%d κ=%g: R_M = %.4f exceeds the ball's radius", r, d, kappa, g.Radius)
		}
	}
}

// ball is a D = 1 segment or a D = 2 regular 256-gon of radius r.
func ball(r float64, d int) [][]float64 {
	if d == 1 {
		return [][]float64{{r}, {-r}}
	}
	pts := make([][]float64, 256)
	for k := range pts {
		a := 2 * math.Pi * float64(k) / 256
		pts[k] = []float64{r * math.Cos(a), r * math.Sin(a)}
	}
	return pts
}

// Same seed, same bytes, whatever the number of workers.
func TestAnalyzeDeterministic(t *testing.T) {
	x := denses(read(t, "wide_x"))
	a, err := manifold.Analyze(x, manifold.Options{NT: 50, Seed: 3, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := manifold.Analyze(x, manifold.Options{NT: 50, Seed: 3, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Manifolds {
		if a.Manifolds[i] != b.Manifolds[i] {
			t.Fatalf("manifold %d: %v with 1 worker, %v with 4", i, a.Manifolds[i], b.Manifolds[i])
		}
	}
}

func TestAnalyzeRejectsBadInput(t *testing.T) {
	one := mat.NewDense(3, 4, nil)
	for name, c := range map[string]struct {
		x   []*mat.Dense
		opt manifold.Options
	}{
		"one manifold":   {[]*mat.Dense{one}, manifold.Options{NT: 5}},
		"ragged":         {[]*mat.Dense{one, mat.NewDense(3, 5, nil)}, manifold.Options{NT: 5}},
		"one point":      {[]*mat.Dense{one, mat.NewDense(1, 4, nil)}, manifold.Options{NT: 5}},
		"no samples":     {[]*mat.Dense{one, one}, manifold.Options{}},
		"basis rows":     {[]*mat.Dense{one, one}, manifold.Options{NT: 5, CenterBasis: mat.NewDense(3, 1, nil)}},
		"centre at mean": {[]*mat.Dense{one, one}, manifold.Options{NT: 5}},
	} {
		if _, err := manifold.Analyze(c.x, c.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
