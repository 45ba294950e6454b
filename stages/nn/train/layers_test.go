package train

import (
	"math"
	"slices"
	"testing"
)

// ReLU + max pooling gives its window's gradient to the first maximum in
// row-major order (PyTorch's rule) when it is positive, and drops an odd
// last row and column.
func TestReluPoolTiesFloorAndThreshold(t *testing.T) {
	cases := []struct {
		name     string
		h, w     int
		x, wantY []float64
		wantDx   []float64
	}{
		{"all equal", 2, 2, []float64{1, 1, 1, 1}, []float64{1}, []float64{5, 0, 0, 0}},
		{"tie on second row", 2, 2, []float64{0, 2, 2, 1}, []float64{2}, []float64{0, 5, 0, 0}},
		{"negative window", 2, 2, []float64{-3, -1, -2, -1}, []float64{0}, []float64{0, 0, 0, 0}},
		{"zero maximum", 2, 2, []float64{-3, 0, -2, -1}, []float64{0}, []float64{0, 0, 0, 0}},
		{"odd size", 3, 3, []float64{1, 2, 9, 3, 4, 9, 9, 9, 9}, []float64{4}, []float64{0, 0, 0, 0, 5, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &reluPool[float64]{c: 1, h: c.h, w: c.w}
			if y := p.forward(c.x, 1); !slices.Equal(y, c.wantY) {
				t.Fatalf("forward %v, want %v", y, c.wantY)
			}
			if dx := p.backward([]float64{5}, 1, true); !slices.Equal(dx, c.wantDx) {
				t.Fatalf("backward %v, want %v", dx, c.wantDx)
			}
		})
	}
}

// A window's maximum goes to its first maximum, or to its last NaN (as
// PyTorch's v > best || isnan(v) scan).
func TestWindowFirstMaxLastNaN(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		a, b, c, d float64
		at         int
	}{{1, 2, 2, 1, 1}, {3, 3, 3, 3, 0}, {0, 0, 0, 4, 3}, {-1, -2, -1, -3, 0}, {nan, 1, nan, 0, 2}, {1, 2, 3, nan, 3}} {
		best, at := window(c.a, c.b, c.c, c.d)
		if want := max(max(c.a, c.b), max(c.c, c.d)); at != c.at || !(best == want || best != best && want != want) {
			t.Errorf("window(%v, %v, %v, %v) = %v at %d, want %v at %d", c.a, c.b, c.c, c.d, best, at, want, c.at)
		}
	}
}
