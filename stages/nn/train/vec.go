package train

// The element loops of the optimisers' updates. Each product and sum is
// rounded to T on its own (the explicit conversions forbid the compiler to
// fuse them into an FMA), so the vector kernels of vec_amd64.s, which run
// the same operations on 4 or 2 values at a time, give the same bytes, and
// a value's result does not depend on whether a kernel or the scalar tail
// computed it.

// addScaled sets dst to x + a·y elementwise (dst may be x) and returns it.
func addScaled[T Float](dst, x []T, a T, y []T) []T {
	x, y = x[:len(dst)], y[:len(dst)]
	for j := addScaledVec(dst, x, a, y); j < len(dst); j++ {
		dst[j] = x[j] + T(a*y[j])
	}
	return dst
}

// decay sets b to b·m + g·c elementwise.
func decay[T Float](b []T, m T, g []T, c T) {
	g = g[:len(b)]
	for j := decayVec(b, m, g, c); j < len(b); j++ {
		b[j] = T(b[j]*m) + T(g[j]*c)
	}
}
