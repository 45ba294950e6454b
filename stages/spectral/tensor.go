package spectral

import (
	"fmt"
	"io"
	"unsafe"

	"gonum.org/v1/gonum/mat"
)

// Tensor is read-only data in C order with samples along the first axis:
// an N×F matrix or N×C×H×W activations. Exactly one of F64, F32 and File
// holds the values. The views read it block by block, converting float32
// to float64 one block at a time, so a float32 tensor is never copied whole
// into float64 (activations are stored as float32 and accumulated in
// float64, METHODS.md §0.1), and a tensor in a File is never read whole
// into memory. The blocks depend on the shape alone, so a tensor gives
// bit-identical results from memory and from a file.
type Tensor struct {
	Shape []int
	F64   []float64
	F32   []float32
	File  *File
}

// File is tensor data left on disk: R reads the raw little-endian elements
// in C order, element i at byte offset 4i (F32) or 8i (float64 otherwise).
// Name identifies it in errors. The views read it with ReadAt from one
// goroutine at a time; a read error ends the view with an error naming the
// file and the elements.
type File struct {
	Name string
	R    io.ReaderAt
	F32  bool
}

// readError carries a failed File read out of the block loops, which have
// no error path, to the exported function that started them (catchRead).
// It never crosses the package boundary.
type readError struct{ err error }

// catchRead turns a readError panic into *err; other panics go on.
func catchRead(err *error) {
	if r := recover(); r != nil {
		re, ok := r.(readError)
		if !ok {
			panic(r)
		}
		*err = re.err
	}
}

// readAt fills b from byte offset off, or panics with a readError.
func (f *File) readAt(b []byte, off int64) {
	if _, err := f.R.ReadAt(b, off); err != nil {
		panic(readError{fmt.Errorf("%s: reading %d bytes at payload offset %d: %w", f.Name, len(b), off, err)})
	}
}

// size is the byte size of one element.
func (f *File) size() int {
	if f.F32 {
		return 4
	}
	return 8
}

// read converts the elements [off, off+len(dst)) into dst. Float32 values
// are read into the upper half of dst's bytes and widened in place, front
// to back: element i is written to bytes [8i, 8i+8) after it is read from
// [4n+4i, 4n+4i+4), and every later read lies at or beyond 4n+4i+4 ≥ 8i+8,
// so no value is overwritten before it is read and no buffer is needed.
func (f *File) read(off int, dst []float64) {
	if len(dst) == 0 {
		return
	}
	b := bytesOf(dst)
	if !f.F32 {
		f.readAt(b, int64(off)*8)
		return
	}
	raw := b[4*len(dst):]
	f.readAt(raw, int64(off)*4)
	src := unsafe.Slice((*float32)(unsafe.Pointer(&raw[0])), len(dst))
	for i := range dst {
		dst[i] = float64(src[i])
	}
}

// bytesOf views a slice of numbers as its little-endian bytes.
func bytesOf[T float32 | float64](v []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(v[0])))
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
	if t.File != nil {
		t.File.read(off, dst)
		return
	}
	if t.F32 == nil {
		copy(dst, t.F64[off:off+len(dst)])
		return
	}
	for i, v := range t.F32[off : off+len(dst)] {
		dst[i] = float64(v)
	}
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

// colBlocks hands out column blocks [j0, j1) of the N×F matrix view, in
// increasing order: views without copying for float64 in memory, converted
// into buf for float32. A File is read a panel of several blocks at a time,
// one ReadAt per row, so that the disk sees reads of a panel's width
// rather than one short read per row and block (a column block of a
// row-major file is N scattered pieces); its blocks are views of the
// panel.
type colBlocks struct {
	t      Tensor
	buf    []float64 // float32 in memory: N × block width
	panel  []float64 // File: the panel's rows, one after the other
	p0, p1 int       // the panel's columns
}

// panelBlocks is how many blocks of columns one panel of a File holds (a
// panel is panelBlocks·blockElems float64, 512 MiB by default).
const panelBlocks = 16

// newColBlocks prepares blocks of up to width columns.
func newColBlocks(t Tensor, width int) *colBlocks {
	cb := &colBlocks{t: t}
	if t.F32 != nil {
		cb.buf = make([]float64, t.N()*width)
	}
	if t.File != nil {
		pw := min(t.Features(), width*max(1, panelBlocks*blockElems/(t.N()*width)))
		cb.panel = make([]float64, t.N()*pw)
	}
	return cb
}

// cols returns columns [j0, j1) as an N×(j1−j0) matrix, valid until the
// next call.
func (cb *colBlocks) cols(j0, j1 int) *mat.Dense {
	t := cb.t
	n, f, w := t.N(), t.Features(), j1-j0
	switch {
	case t.File != nil:
		if j1 > cb.p1 {
			cb.p0, cb.p1 = j0, min(f, j0+len(cb.panel)/n)
			pw := cb.p1 - cb.p0
			for i := 0; i < n; i++ {
				t.File.read(i*f+cb.p0, cb.panel[i*pw:(i+1)*pw])
			}
		}
		pw := cb.p1 - cb.p0
		return mat.NewDense(n, pw, cb.panel[:n*pw]).Slice(0, n, j0-cb.p0, j1-cb.p0).(*mat.Dense)
	case t.F32 == nil:
		return mat.NewDense(n, f, t.F64).Slice(0, n, j0, j1).(*mat.Dense)
	default:
		for i := 0; i < n; i++ {
			t.seg(i*f+j0, cb.buf[i*w:(i+1)*w])
		}
	}
	return mat.NewDense(n, w, cb.buf[:n*w])
}

// scan calls fn on consecutive runs of the elements in their stored type
// (exactly one of v32, v64 is non-nil), off being the flat index of the
// run's first element; every run but the last holds a multiple of unit
// elements. Data in memory is one run; a File is read blockElems elements
// at a time. fn returns false to stop.
func (t Tensor) scan(unit int, fn func(off int, v32 []float32, v64 []float64) bool) {
	switch {
	case t.F32 != nil:
		fn(0, t.F32, nil)
		return
	case t.File == nil:
		fn(0, nil, t.F64)
		return
	}
	total, step := t.N()*t.Features(), max(1, blockElems/unit)*unit
	var b32 []float32
	var b64 []float64
	if t.File.F32 {
		b32 = make([]float32, step)
	} else {
		b64 = make([]float64, step)
	}
	for off := 0; off < total; off += step {
		k := min(step, total-off)
		var more bool
		if b32 != nil {
			t.File.readAt(bytesOf(b32[:k]), int64(off)*4)
			more = fn(off, b32[:k], nil)
		} else {
			t.File.readAt(bytesOf(b64[:k]), int64(off)*8)
			more = fn(off, nil, b64[:k])
		}
		if !more {
			return
		}
	}
}

// FirstNonfinite returns the flat index and value of the first NaN or ±Inf
// element, or −1 if every element is finite. Only a File can fail.
func (t Tensor) FirstNonfinite() (i int, v float64, err error) {
	defer catchRead(&err)
	i = -1
	t.scan(1, func(off int, v32 []float32, v64 []float64) bool {
		if k := firstNonfinite(v32); k >= 0 {
			i, v = off+k, float64(v32[k])
		} else if k := firstNonfinite(v64); k >= 0 {
			i, v = off+k, v64[k]
		}
		return i < 0
	})
	return i, v, nil
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
// flattened N×F matrix. Only a File can fail.
func (t Tensor) NonfiniteFeatures(byChannel bool) (bad []bool, err error) {
	defer catchRead(&err)
	f, unit := t.Features(), 1
	if byChannel {
		unit = f / t.Shape[1]
	}
	bad = make([]bool, f/unit)
	mark := func(base, k int) { bad[((base+k)%f)/unit] = true }
	t.scan(1, func(base int, v32 []float32, v64 []float64) bool {
		markNonfinite(v32, base, mark)
		markNonfinite(v64, base, mark)
		return true
	})
	return bad, nil
}

// markNonfinite calls mark(base, k) for every non-finite v[k].
func markNonfinite[T float32 | float64](v []T, base int, mark func(base, k int)) {
	for off := 0; ; off++ {
		i := firstNonfinite(v[min(off, len(v)):])
		if i < 0 {
			return
		}
		off += i
		mark(base, off)
	}
}

// DropFeatures returns a copy of t, in memory and in the same dtype,
// without the marked features (columns, or channels with byChannel; see
// NonfiniteFeatures). Only a File can fail.
func (t Tensor) DropFeatures(drop []bool, byChannel bool) (out Tensor, err error) {
	defer catchRead(&err)
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
	out = Tensor{Shape: shape}
	size := t.N() * keep * unit
	if t.F32 != nil || (t.File != nil && t.File.F32) {
		out.F32 = make([]float32, 0, size)
	} else {
		out.F64 = make([]float64, 0, size)
	}
	t.scan(unit, func(base int, v32 []float32, v64 []float64) bool {
		out.F32 = keepUnits(out.F32, v32, base, drop, unit)
		out.F64 = keepUnits(out.F64, v64, base, drop, unit)
		return true
	})
	return out, nil
}

// keepUnits appends to out the runs of unit elements of src (whose first
// element has flat index base, a multiple of unit) whose feature is not
// dropped; features cycle through drop in every sample.
func keepUnits[T float32 | float64](out, src []T, base int, drop []bool, unit int) []T {
	for off := 0; off < len(src); off += unit {
		if !drop[((base+off)/unit)%len(drop)] {
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
