package linalg_test

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/linalg"
)

// randDense fills an r×c matrix with uniform values in [-0.5, 0.5) from a
// fixed LCG, so benchmarks and tests need no random source.
func randDense(r, c int) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	raw := m.RawMatrix().Data
	s := uint64(1)
	for i := range raw {
		s = s*6364136223846793005 + 1442695040888963407
		raw[i] = float64(int64(s>>11))/float64(1<<53) - 0.5
	}
	return m
}

// The sizes of the backend's speed goals; bench/numpy_linalg.py times numpy
// on the same and bench/linalg_vs_numpy.sh compares the two.
func BenchmarkGram5000x4000(b *testing.B) {
	x := randDense(5000, 4000)
	for b.Loop() {
		linalg.Gram(x)
	}
}

func BenchmarkSymEig2000(b *testing.B) {
	x := randDense(2000, 2000)
	var s mat.SymDense
	s.SymOuterK(1, x)
	for b.Loop() {
		if _, _, err := linalg.SymEig(&s, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVD5000x1000(b *testing.B) {
	x := randDense(5000, 1000)
	for b.Loop() {
		if _, _, _, err := linalg.SVD(x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDGEMM2000(b *testing.B) {
	x, y := randDense(2000, 2000), randDense(2000, 2000)
	var c mat.Dense
	for b.Loop() {
		c.Mul(x, y)
	}
	b.ReportMetric(2*math.Pow(2000, 3)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// The square SVD of the Gram route of FitCross at townley-powerlaw-init's
// n_train = 1600 (dgesdd).
func BenchmarkSVD1600(b *testing.B) {
	x := randDense(1600, 1600)
	for b.Loop() {
		if _, _, _, err := linalg.SVD(x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPivotedCholesky1600(b *testing.B) {
	x := randDense(1600, 4000)
	g := linalg.Gram(x)
	for b.Loop() {
		if _, _, err := linalg.PivotedCholesky(g, 1e-12); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSymEig1600(b *testing.B) {
	g := linalg.Gram(randDense(1600, 4000))
	for b.Loop() {
		if _, _, err := linalg.SymEig(g, true); err != nil {
			b.Fatal(err)
		}
	}
}

// The eigenvalues of a 32×32 covariance, as each bootstrap draw of a
// small spectrum takes them (dgesdd, no vectors): the call's overhead, its
// scratch included, is most of its time.
func BenchmarkPSDEigenvalues32(b *testing.B) {
	x := randDense(64, 32)
	var c mat.SymDense
	c.SymOuterK(1, x.T())
	for b.Loop() {
		if _, err := linalg.PSDEigenvalues(&c); err != nil {
			b.Fatal(err)
		}
	}
}
