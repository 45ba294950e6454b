package manifold_test

import (
	"math/rand/v2"
	"os"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages/manifold"
)

// BenchmarkAnalyze is the speed goal: 50 manifolds of 100 points
// in 2,000 dimensions, n_t = 200. EIGENLAB_MANIFOLD_BENCH_X names a
// (50, 100, 2000) .npy to use instead of Gaussian data (the input
// testdata/time_reference.py times the reference on).
func BenchmarkAnalyze(b *testing.B) {
	x := benchInput(b, 50, 100, 2000)
	for b.Loop() {
		res, err := manifold.Analyze(x, manifold.Options{NT: 200, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.Capacity, "capacity")
		b.ReportMetric(res.Dimension, "dimension")
	}
}

func benchInput(b *testing.B, p, m, n int) []*mat.Dense {
	if path := os.Getenv("EIGENLAB_MANIFOLD_BENCH_X"); path != "" {
		a, err := ndarray.ReadNPYFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return denses(a)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]*mat.Dense, p)
	for i := range x {
		v := make([]float64, m*n)
		for j := range v {
			v[j] = rng.NormFloat64()
		}
		x[i] = mat.NewDense(m, n, v)
	}
	return x
}
