package linalg_test

import (
	"math"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages/internal/golden"
	"github.com/eigenlab/eigenlab/stages/linalg"
)

func TestAgainstNumpy(t *testing.T) {
	for _, c := range []string{"tall", "wide", "square"} {
		x := golden.Read(t, "testdata", c+"_x").Matrix()
		g := linalg.Gram(x)
		golden.CloseRel(t, c+" gram", mat.DenseCopyOf(g).RawMatrix().Data, golden.Read(t, "testdata", c+"_gram").F64, 1e-12)

		u, s, vt, err := linalg.SVD(x)
		if err != nil {
			t.Fatal(err)
		}
		linalg.SVDFlip(u, vt)
		golden.CloseRel(t, c+" singular values", s, golden.Read(t, "testdata", c+"_svals").F64, 1e-12)
		golden.CloseRel(t, c+" U", u.RawMatrix().Data, golden.Read(t, "testdata", c+"_u").F64, 1e-10)
		golden.CloseRel(t, c+" Vt", vt.RawMatrix().Data, golden.Read(t, "testdata", c+"_vt").F64, 1e-10)
		sv, _ := linalg.SingularValues(x)
		golden.CloseRel(t, c+" values-only SVD", sv, s, 1e-12)

		cov := linalg.CrossProd(x, x)
		vals, vecs, err := linalg.SymEig(mat.NewSymDense(cov.RawMatrix().Rows, cov.RawMatrix().Data), true)
		if err != nil {
			t.Fatal(err)
		}
		golden.CloseRel(t, c+" eigenvalues", vals, golden.Read(t, "testdata", c+"_eigvals").F64, 1e-10)
		// A V = V Λ for the returned vectors.
		var av mat.Dense
		av.Mul(cov, vecs)
		for j, l := range vals {
			for i := 0; i < len(vals); i++ {
				if d := av.At(i, j) - l*vecs.At(i, j); math.Abs(d) > 1e-9*vals[0] {
					t.Fatalf("%s: (AV - VΛ)[%d,%d] = %g", c, i, j, d)
				}
			}
		}
	}
}

// Results are bit-identical on repeated and concurrent calls.
func TestDeterministic(t *testing.T) {
	x := golden.Read(t, "testdata", "tall_x").Matrix()
	ref, _ := linalg.SingularValues(x)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _ := linalg.SingularValues(x)
			for k := range ref {
				if got[k] != ref[k] {
					t.Errorf("value %d differs between calls", k)
					return
				}
			}
		}()
	}
	wg.Wait()
}

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

// The sizes of issue 4's speed goals; bench/numpy_linalg.py times numpy on the same.
func BenchmarkGram5000x4000(b *testing.B) {
	x := randDense(5000, 4000)
	for i := 0; i < b.N; i++ {
		linalg.Gram(x)
	}
}

func BenchmarkSymEig2000(b *testing.B) {
	x := randDense(2000, 2000)
	var s mat.SymDense
	s.SymOuterK(1, x)
	for i := 0; i < b.N; i++ {
		linalg.SymEig(&s, true)
	}
}

func BenchmarkSVD5000x1000(b *testing.B) {
	x := randDense(5000, 1000)
	for i := 0; i < b.N; i++ {
		linalg.SVD(x)
	}
}

func BenchmarkDGEMM2000(b *testing.B) {
	x, y := randDense(2000, 2000), randDense(2000, 2000)
	var c mat.Dense
	for i := 0; i < b.N; i++ {
		c.Mul(x, y)
	}
	b.ReportMetric(2*math.Pow(2000, 3)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
