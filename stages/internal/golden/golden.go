// Package golden reads the .npy reference outputs that the committed
// testdata/make_goldens.py scripts produce with numpy, scipy and sklearn,
// and compares results against them, for the numerics tests.
package golden

import (
	"math"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Read loads dir/name.npy, failing the test if it cannot.
func Read(t testing.TB, dir, name string) *ndarray.Array {
	t.Helper()
	a, err := ndarray.ReadNPYFile(filepath.Join(dir, name+".npy"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

// Matrix views a as an n×(rest) float64 matrix (rows = samples, METHODS
// §0.1), converting float32 to float64 (a copy) as needed.
func Matrix(a *ndarray.Array) *mat.Dense {
	return mat.NewDense(a.Rows(), a.Cols(), a.Float64s())
}

// CloseRel fails the test unless every got[i] is within tol·max|want| of want[i].
func CloseRel(t testing.TB, what string, got, want []float64, tol float64) {
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
			t.Fatalf("%s[%d] = %.17g, reference %.17g", what, i, got[i], want[i])
		}
	}
}
