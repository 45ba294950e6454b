//go:build amd64 && !purego

package nn

// depthwiseAVX2 computes a depthwise output plane from stride phases; see
// depthwise_amd64.s. The caller checks the bounds (depthwisePlane).
//
//go:noescape
func depthwiseAVX2(dst, src *float32, taps *dwTap, k, oh, ow, pw int)

// depthwisePlane sets dst (oh·ow values, row-major) to the depthwise sums
// over taps: output (oy, ox) is the taps' x·w added in order to +0, x =
// src[tap.off + oy·pw + ox]; it reports false, doing nothing, without
// AVX2.
func depthwisePlane(dst, src []float32, taps []dwTap, oh, ow, pw int) bool {
	if !useSIMD || oh == 0 || ow == 0 {
		return false
	}
	dst = dst[:oh*ow]
	end := (oh-1)*pw + ow
	for _, t := range taps {
		_ = src[t.off : t.off+end]
	}
	var tp *dwTap
	if len(taps) > 0 {
		tp = &taps[0]
	}
	depthwiseAVX2(&dst[0], &src[0], tp, len(taps), oh, ow, pw)
	return true
}
