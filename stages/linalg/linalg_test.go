package linalg_test

import (
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/stages"
	"github.com/eigenlab/eigenlab/stages/linalg"
)

// golden reads testdata/<name>.npy made by testdata/make_goldens.py (numpy).
func golden(t testing.TB, name string) *stages.Array {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := stages.ReadNPY(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func dense(a *stages.Array) *mat.Dense { return a.Matrix() }

// closeRel checks every element within tol relative to the largest |want|.
func closeRel(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*scale {
			t.Fatalf("%s[%d] = %.17g, want %.17g", what, i, got[i], want[i])
		}
	}
}

func TestAgainstNumpy(t *testing.T) {
	for _, c := range []string{"tall", "wide", "square"} {
		x := dense(golden(t, c+"_x"))
		g := linalg.Gram(x)
		closeRel(t, c+" gram", mat.DenseCopyOf(g).RawMatrix().Data, golden(t, c+"_gram").F64, 1e-12)

		u, s, vt, err := linalg.SVD(x)
		if err != nil {
			t.Fatal(err)
		}
		linalg.SVDFlip(u, vt)
		closeRel(t, c+" singular values", s, golden(t, c+"_svals").F64, 1e-12)
		closeRel(t, c+" U", u.RawMatrix().Data, golden(t, c+"_u").F64, 1e-10)
		closeRel(t, c+" Vt", vt.RawMatrix().Data, golden(t, c+"_vt").F64, 1e-10)
		sv, _ := linalg.SingularValues(x)
		closeRel(t, c+" values-only SVD", sv, s, 1e-12)

		cov := linalg.CrossProd(x, x)
		vals, vecs, err := linalg.SymEig(mat.NewSymDense(cov.RawMatrix().Rows, cov.RawMatrix().Data), true)
		if err != nil {
			t.Fatal(err)
		}
		closeRel(t, c+" eigenvalues", vals, golden(t, c+"_eigvals").F64, 1e-10)
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
	x := dense(golden(t, "tall_x"))
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
