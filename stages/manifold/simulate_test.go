package manifold_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/manifold"
)

// coverFraction is Cover's (1965) fraction of the 2^p dichotomies of p
// points in general position in n dimensions that a hyperplane through
// the origin separates: 2^{1−p} Σ_{k<n} C(p−1, k).
func coverFraction(p, n int) float64 {
	sum := 0.0
	for k := range min(n, p) {
		lg, _ := math.Lgamma(float64(p))
		lk, _ := math.Lgamma(float64(k + 1))
		lr, _ := math.Lgamma(float64(p - k))
		sum += math.Exp(lg - lk - lr + float64(1-p)*math.Ln2)
	}
	return sum
}

func rows(r [][]float64) *mat.Dense {
	x := mat.NewDense(len(r), len(r[0]), nil)
	for i, v := range r {
		x.SetRow(i, v)
	}
	return x
}

// Exact separability on cases with known answers.
func TestSeparable(t *testing.T) {
	for _, c := range []struct {
		name      string
		manifolds [][][]float64
		labels    []float64
		want      bool
	}{
		{"two points", [][][]float64{{{1, 0}}, {{0, 1}}}, []float64{1, -1}, true},
		{"x and −x, same label", [][][]float64{{{1, 2}}, {{-1, -2}}}, []float64{1, 1}, false},
		{"segment through origin", [][][]float64{{{1, 1}, {-1, -1}}, {{0, 1}}}, []float64{1, -1}, false},
		{"segments apart", [][][]float64{{{1, 0.2}, {1, -0.2}}, {{-1, 0.3}, {-1, -0.3}}}, []float64{1, -1}, true},
		{"three in a line, middle flipped", [][][]float64{{{1, 1}}, {{2, 1}}, {{3, 1}}}, []float64{1, -1, 1}, false},
	} {
		var ms []*mat.Dense
		for _, m := range c.manifolds {
			ms = append(ms, rows(m))
		}
		got, err := manifold.Separable(ms, c.labels)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: separable = %v, want %v", c.name, got, c.want)
		}
	}
}

// The simulated fraction of separable dichotomies of random points
// follows Cover's count within 4 standard errors.
func TestSeparableFractionMatchesCover(t *testing.T) {
	const n, trials = 20, 200
	for _, p := range []int{20, 32, 40, 48, 60} {
		got, err := manifold.SeparableFraction(manifold.Points, p, n, trials, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := coverFraction(p, n)
		if se := math.Sqrt(want*(1-want)/trials) + 1e-3; math.Abs(got-want) > 4*se {
			t.Errorf("P=%d N=%d: fraction %.3f, Cover %.3f", p, n, got, want)
		}
	}
}

// The simulated critical capacity of points is Cover's α_c = 2 (at
// N = 50 within 0.1), and that of segments of radius 1 is their
// mean-field capacity, 1 (testdata/balls.npy; within 0.1, the theory
// being exact only as N grows).
func TestCriticalCapacity(t *testing.T) {
	for _, c := range []struct {
		name   string
		gen    manifold.Generator
		lo, hi int
		want   float64
	}{
		{"points", manifold.Points, 60, 140, 2},
		{"segments R=1", manifold.Segments(1), 25, 80, 1},
	} {
		got, err := manifold.CriticalCapacity(c.gen, 50, c.lo, c.hi, 40, 2, 0)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: α_c = %.4f", c.name, got)
		if math.Abs(got-c.want) > 0.1 {
			t.Errorf("%s: α_c = %.4f, want %.4g ± 0.1", c.name, got, c.want)
		}
	}
}
