package linalg

import (
	"math"
	"testing"
)

// Pearson is the centred correlation, invariant to shift and positive
// scale, and 0 (not NaN, not 1) when either side is constant.
func TestPearson(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		{"perfect", []float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{"shifted and negated", []float64{1, 2, 3, 4}, []float64{-5, -6, -7, -8}, -1},
		{"numpy corrcoef", []float64{1, 3, 2, 5, 4}, []float64{2, 1, 4, 3, 5}, 0.3}, // np.corrcoef(a, b)[0, 1]
		{"constant side", []float64{2, 2, 2}, []float64{1, 2, 3}, 0},
	} {
		if got := Pearson(tc.a, tc.b); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: Pearson = %v, want %v", tc.name, got, tc.want)
		}
	}
}
