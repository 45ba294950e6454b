//go:build !purego

package train

// addScaledVec runs addScaled on the longest prefix of dst whose length is
// a multiple of 8 values with SSE2 (baseline amd64, no CPU check) and
// returns that length.
func addScaledVec[T Float](dst, x []T, a T, y []T) int {
	n := len(dst) &^ 7
	if n == 0 {
		return 0
	}
	switch d := any(dst).(type) {
	case []float32:
		addScaled32(d[:n], any(x).([]float32), float32(a), any(y).([]float32))
	case []float64:
		addScaled64(d[:n], any(x).([]float64), float64(a), any(y).([]float64))
	}
	return n
}

// decayVec runs decay on the longest prefix of b whose length is a
// multiple of 8 values and returns that length.
func decayVec[T Float](b []T, m T, g []T, c T) int {
	n := len(b) &^ 7
	if n == 0 {
		return 0
	}
	switch d := any(b).(type) {
	case []float32:
		decay32(d[:n], float32(m), any(g).([]float32), float32(c))
	case []float64:
		decay64(d[:n], float64(m), any(g).([]float64), float64(c))
	}
	return n
}

// addScaled32 sets dst[j] = x[j] + a·y[j] for j < len(dst), a multiple of
// 8; x and y are at least as long.
//
//go:noescape
func addScaled32(dst, x []float32, a float32, y []float32)

// addScaled64 is addScaled32 for float64.
//
//go:noescape
func addScaled64(dst, x []float64, a float64, y []float64)

// decay32 sets b[j] = b[j]·m + g[j]·c for j < len(b), a multiple of 8; g
// is at least as long.
//
//go:noescape
func decay32(b []float32, m float32, g []float32, c float32)

// decay64 is decay32 for float64.
//
//go:noescape
func decay64(b []float64, m float64, g []float64, c float64)
