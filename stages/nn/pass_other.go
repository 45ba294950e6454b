//go:build !amd64 || purego

package nn

// useSIMD is false: without assembly pass is passGo.
var useSIMD = false

func pass(d, src, s []float32, a, b, cap float32, affine, clamp bool) {
	passGo(d, src, s, a, b, cap, affine, clamp)
}

func depthwisePlane(dst, src []float32, taps []dwTap, oh, ow, pw int) bool { return false }
