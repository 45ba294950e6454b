package stages

import "math"

// ArrayBytes is the size in bytes of an array of elem-byte elements with
// the given dimensions. It saturates at math.MaxInt64 instead of
// overflowing, so the estimate for absurd params (a side of 2·10⁹) stays
// absurd rather than wrapping to a small or negative number; a negative
// dimension counts as 0.
func ArrayBytes(elem int64, dims ...int) int64 {
	b := max(elem, 0)
	for _, d := range dims {
		if d <= 0 || b == 0 {
			return 0
		}
		if b > math.MaxInt64/int64(d) {
			return math.MaxInt64
		}
		b *= int64(d)
	}
	return b
}

// SumBytes adds byte counts, saturating at math.MaxInt64; negative terms
// count as 0.
func SumBytes(terms ...int64) int64 {
	var s int64
	for _, t := range terms {
		if t > 0 {
			if s > math.MaxInt64-t {
				return math.MaxInt64
			}
			s += t
		}
	}
	return s
}
