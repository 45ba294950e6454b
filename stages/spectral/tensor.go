package spectral

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Tensor is read-only data in C order with samples along the first axis:
// an N×F matrix or N×C×H×W activations. Exactly one of F64 and F32 holds
// the values. The views read it block by block, converting float32 to
// float64 one block at a time, so a float32 tensor is never copied whole
// into float64 (activations are stored as float32 and accumulated in
// float64, METHODS.md §0.1).
type Tensor struct {
	Shape []int
	F64   []float64
	F32   []float32
}

// DenseTensor views a gonum matrix as an N×F tensor (copying only if its
// rows are not contiguous).
func DenseTensor(x *mat.Dense) Tensor {
	raw := x.RawMatrix()
	if raw.Stride != raw.Cols {
		raw = mat.DenseCopyOf(x).RawMatrix()
	}
	return Tensor{Shape: []int{raw.Rows, raw.Cols}, F64: raw.Data[:raw.Rows*raw.Cols]}
}

// N is the number of samples.
func (t Tensor) N() int { return t.Shape[0] }

// Features is the number of values per sample (all axes after the first,
// flattened in C order).
func (t Tensor) Features() int {
	f := 1
	for _, d := range t.Shape[1:] {
		f *= d
	}
	return f
}

// seg converts the elements [off, off+len(dst)) into dst.
func (t Tensor) seg(off int, dst []float64) {
	if t.F32 == nil {
		copy(dst, t.F64[off:off+len(dst)])
		return
	}
	for i, v := range t.F32[off : off+len(dst)] {
		dst[i] = float64(v)
	}
}

// Value returns element i (flat C-order index) as float64.
func (t Tensor) Value(i int) float64 {
	if t.F32 == nil {
		return t.F64[i]
	}
	return float64(t.F32[i])
}

// blockElems is the target number of float64 elements in one block that
// the views materialise (32 MiB): big enough for BLAS-3 efficiency, small
// enough to add little to the input's memory. It depends on nothing but
// the shape, so the blocking (and the rounding) is the same on every run.
var blockElems = 1 << 22

// blockLen returns how many of units, each of size elems, go in one block
// (at least min, at most units).
func blockLen(units, elems, least int) int {
	return max(1, min(units, max(least, blockElems/max(elems, 1))))
}

// cols returns columns [j0, j1) of the N×F matrix view as an N×(j1−j0)
// matrix: a view without copying for float64, converted into buf otherwise.
func (t Tensor) cols(j0, j1 int, buf []float64) *mat.Dense {
	n, f := t.N(), t.Features()
	if t.F32 == nil {
		return mat.NewDense(n, f, t.F64).Slice(0, n, j0, j1).(*mat.Dense)
	}
	w := j1 - j0
	for i := 0; i < n; i++ {
		t.seg(i*f+j0, buf[i*w:(i+1)*w])
	}
	return mat.NewDense(n, w, buf[:n*w])
}

// FirstNonfinite returns the flat index of the first NaN or ±Inf element,
// or −1 if every element is finite.
func (t Tensor) FirstNonfinite() int {
	if t.F32 == nil {
		return firstNonfinite(t.F64)
	}
	return firstNonfinite(t.F32)
}

// firstNonfinite scans with v−v, which is 0 for finite v and NaN for NaN
// and ±Inf (one pass at memory speed).
func firstNonfinite[T float32 | float64](v []T) int {
	for i, x := range v {
		if x-x != 0 {
			return i
		}
	}
	return -1
}

// NonfiniteFeatures marks the features that hold a NaN or ±Inf in any
// sample. With byChannel (N×C×H×W input) a feature is a channel, the unit
// of the channel and spatial views; otherwise it is a column of the
// flattened N×F matrix.
func (t Tensor) NonfiniteFeatures(byChannel bool) []bool {
	f, unit := t.Features(), 1
	if byChannel {
		unit = f / t.Shape[1]
	}
	bad := make([]bool, f/unit)
	for off := 0; ; off++ {
		var i int
		if t.F32 == nil {
			i = firstNonfinite(t.F64[off:])
		} else {
			i = firstNonfinite(t.F32[off:])
		}
		if i < 0 {
			return bad
		}
		off += i
		bad[(off%f)/unit] = true
	}
}

// DropFeatures returns a copy of t without the marked features (columns,
// or channels with byChannel; see NonfiniteFeatures), in the same dtype.
func (t Tensor) DropFeatures(drop []bool, byChannel bool) Tensor {
	unit := 1 // elements per feature, contiguous within a sample
	if byChannel {
		unit = t.Features() / t.Shape[1]
	}
	keep := 0
	for _, d := range drop {
		if !d {
			keep++
		}
	}
	shape := append([]int{}, t.Shape...)
	if byChannel {
		shape[1] = keep
	} else {
		shape = []int{t.N(), keep}
	}
	out := Tensor{Shape: shape}
	if t.F32 == nil {
		out.F64 = keepUnits(t.F64, drop, unit, t.N()*keep*unit)
	} else {
		out.F32 = keepUnits(t.F32, drop, unit, t.N()*keep*unit)
	}
	return out
}

// keepUnits copies the runs of unit elements whose feature is not dropped;
// features cycle through drop in every sample.
func keepUnits[T float32 | float64](src []T, drop []bool, unit, size int) []T {
	out := make([]T, 0, size)
	for off := 0; off < len(src); off += unit {
		if !drop[(off/unit)%len(drop)] {
			out = append(out, src[off:off+unit]...)
		}
	}
	return out
}

// need4 checks for N×C×H×W data.
func (t Tensor) need4() error {
	if len(t.Shape) != 4 {
		return fmt.Errorf("channel and spatial views need N×C×H×W activations, got shape %v", t.Shape)
	}
	return nil
}
