package train

import (
	"slices"
	"testing"
)

// Max pooling gives its window's gradient to the first maximum in
// row-major order (PyTorch's rule), and drops an odd last row and column.
func TestMaxPoolTiesAndFloor(t *testing.T) {
	cases := []struct {
		name     string
		h, w     int
		x, wantY []float64
		wantDx   []float64
	}{
		{"all equal", 2, 2, []float64{1, 1, 1, 1}, []float64{1}, []float64{5, 0, 0, 0}},
		{"tie on second row", 2, 2, []float64{0, 2, 2, 1}, []float64{2}, []float64{0, 5, 0, 0}},
		{"odd size", 3, 3, []float64{1, 2, 9, 3, 4, 9, 9, 9, 9}, []float64{4}, []float64{0, 0, 0, 0, 5, 0, 0, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &maxPool[float64]{c: 1, h: c.h, w: c.w}
			if y := p.forward(c.x, 1); !slices.Equal(y, c.wantY) {
				t.Fatalf("forward %v, want %v", y, c.wantY)
			}
			if dx := p.backward([]float64{5}, 1, true); !slices.Equal(dx, c.wantDx) {
				t.Fatalf("backward %v, want %v", dx, c.wantDx)
			}
		})
	}
}
