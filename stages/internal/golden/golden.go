// Package golden reads the .npy reference outputs that the committed
// testdata/make_goldens.py scripts produce with numpy, scipy and sklearn,
// and compares results against them, for the numerics tests.
package golden

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/eigenlab/eigenlab/stages"
)

// Read loads dir/name.npy, failing the test if it cannot.
func Read(t testing.TB, dir, name string) *stages.Array {
	t.Helper()
	a, err := stages.ReadNPYFile(filepath.Join(dir, name+".npy"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
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
