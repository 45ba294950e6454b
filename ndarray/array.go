// Package ndarray holds eigenlab's n-dimensional arrays and the forms they
// take outside memory: their canonical digest (the SHA-256 the cache names
// blobs by), the checked .npy/.npz codec, and file-backed arrays for data
// larger than memory. It is the leaf of the artifact layer: stages, cache,
// runner and results import it, and it imports only the standard library
// and internal packages, so that the cache can digest arrays without
// knowing stages and stages can read arrays without knowing the cache
// (DESIGN.md; the rule is enforced by importrules_test.go).
package ndarray

import (
	"fmt"
	"math"
	"unsafe"
)

// DType names the element type of an Array as numpy does.
type DType string

// The element types an Array can hold.
const (
	Float32 DType = "float32"
	Float64 DType = "float64"
	Int64   DType = "int64"
)

// Array is an n-dimensional array in C order. Exactly one of F32, F64, I64
// holds the values; a 0-d array (empty Shape) is a scalar.
type Array struct {
	Shape []int
	Axes  []string // optional axis names, e.g. ["image","channel","y","x"]
	F32   []float32
	F64   []float64
	I64   []int64
}

// NewF64 returns a float64 array of the given shape with fresh storage.
func NewF64(shape ...int) *Array {
	return &Array{Shape: shape, F64: make([]float64, Numel(shape))}
}

// NewF32 returns a float32 array of the given shape with fresh storage.
func NewF32(shape ...int) *Array {
	return &Array{Shape: shape, F32: make([]float32, Numel(shape))}
}

// Scalar returns a 0-d float64 array holding v.
func Scalar(v float64) *Array { return &Array{Shape: []int{}, F64: []float64{v}} }

// Ints returns a 1-d int64 array holding vs.
func Ints(vs ...int) *Array {
	a := &Array{Shape: []int{len(vs)}, I64: make([]int64, len(vs))}
	for i, v := range vs {
		a.I64[i] = int64(v)
	}
	return a
}

// Numel is the number of elements of an array of the given shape (1 for a
// scalar's empty shape).
func Numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// DType reports the element type.
func (a *Array) DType() DType {
	switch {
	case a.F32 != nil:
		return Float32
	case a.I64 != nil:
		return Int64
	default:
		return Float64
	}
}

// Len is the number of elements.
func (a *Array) Len() int { return Numel(a.Shape) }

// Rows and Cols view the array as a matrix: the first axis against all the
// others flattened in C order (METHODS.md §0.1).
func (a *Array) Rows() int {
	if len(a.Shape) == 0 {
		return 1
	}
	return a.Shape[0]
}

// Cols is the number of features per row (see Rows).
func (a *Array) Cols() int {
	if a.Rows() == 0 {
		return 0
	}
	return a.Len() / a.Rows()
}

// Float64s returns the values as float64, converting (a copy) if needed and
// sharing storage if the array already holds float64.
func (a *Array) Float64s() []float64 {
	switch a.DType() {
	case Float64:
		return a.F64
	case Float32:
		out := make([]float64, len(a.F32))
		for i, v := range a.F32 {
			out[i] = float64(v)
		}
		return out
	default:
		out := make([]float64, len(a.I64))
		for i, v := range a.I64 {
			out[i] = float64(v)
		}
		return out
	}
}

// Value returns element i as float64.
func (a *Array) Value(i int) float64 {
	switch a.DType() {
	case Float32:
		return float64(a.F32[i])
	case Int64:
		return float64(a.I64[i])
	default:
		return a.F64[i]
	}
}

// Bytes returns the raw little-endian element bytes without copying.
// eigenlab only builds on little-endian machines (amd64, arm64).
func (a *Array) Bytes() []byte {
	switch a.DType() {
	case Float32:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a.F32))), 4*len(a.F32))
	case Int64:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a.I64))), 8*len(a.I64))
	default:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a.F64))), 8*len(a.F64))
	}
}

// Digest is the canonical digest of the values (see Digest): dtype, shape
// and raw little-endian values.
func (a *Array) Digest() Digest {
	h := NewArrayHasher(a.DType(), a.Shape)
	h.Write(a.Bytes())
	return h.Sum()
}

// Describe is a short human form: "float64[100 50]".
func (a *Array) Describe() string { return fmt.Sprintf("%s%v", a.DType(), a.Shape) }

// CheckFinite returns an error naming the first NaN or Inf element.
func (a *Array) CheckFinite() error {
	for i := 0; i < a.Len(); i++ {
		if v := a.Value(i); math.IsNaN(v) || math.IsInf(v, 0) {
			return nonfinite(i, a.Cols(), v)
		}
	}
	return nil
}

// nonfinite is the error for element i, of value v, of an array with cols
// values per row.
func nonfinite(i, cols int, v float64) error {
	return fmt.Errorf("element %d (row %d, column %d) is %v: data must be finite (NaN/Inf are rejected; see METHODS.md §0.1)",
		i, i/max(cols, 1), i%max(cols, 1), v)
}
