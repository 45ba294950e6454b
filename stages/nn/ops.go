package nn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// finish adds a per-channel bias (nil: none) to a C×L output and applies a
// fused activation.
func finish(out, bias []float64, c, l int, act string) {
	if bias != nil {
		for ch, b := range bias {
			for i := range out[ch*l : (ch+1)*l] {
				out[ch*l+i] += b
			}
		}
	}
	switch act {
	case ActReLU:
		relu(out, 0)
	case ActReLU6:
		relu(out, 6)
	case ActSoftmax:
		softmax(out, c, l)
	}
}

// relu clamps x to [0, cap] in place (cap 0: no upper bound).
func relu(x []float64, cap float64) {
	for i, v := range x {
		if v < 0 {
			x[i] = 0
		}
	}
	if cap > 0 {
		for i, v := range x {
			if v > cap {
				x[i] = cap
			}
		}
	}
}

// softmax normalises a C×L tensor over channels at each of the L positions.
func softmax(x []float64, c, l int) {
	for p := 0; p < l; p++ {
		top := math.Inf(-1)
		for ch := 0; ch < c; ch++ {
			top = math.Max(top, x[ch*l+p])
		}
		sum := 0.0
		for ch := 0; ch < c; ch++ {
			e := math.Exp(x[ch*l+p] - top)
			x[ch*l+p] = e
			sum += e
		}
		for ch := 0; ch < c; ch++ {
			x[ch*l+p] /= sum
		}
	}
}

// kernel computes one node's output for one image from its inputs.
type kernel interface {
	run(ins [][]float64, out []float64, sc *scratch)
}

// scratch is a worker's reusable working memory (the im2col matrix).
type scratch struct{ buf []float64 }

func (s *scratch) cols(n int) []float64 {
	if cap(s.buf) < n {
		s.buf = make([]float64, n)
	}
	return s.buf[:n]
}

// kernelFunc adapts a plain function of the inputs and output to kernel.
type kernelFunc func(ins [][]float64, out []float64)

func (f kernelFunc) run(ins [][]float64, out []float64, _ *scratch) { f(ins, out) }

// batchNorm applies y = x·scale_c + shift_c with scale = γ/√(var+ε) and
// shift = β − mean·scale, both computed once in float64.
func batchNorm(scale, shift []float64, l int) kernelFunc {
	return func(ins [][]float64, out []float64) {
		for ch := range scale {
			src, dst := ins[0][ch*l:(ch+1)*l], out[ch*l:(ch+1)*l]
			a, b := scale[ch], shift[ch]
			dst = dst[:len(src)]
			for i, v := range src {
				dst[i] = v*a + b
			}
		}
	}
}

// reluKernel is relu in one pass from input to output (the same values as
// copy then relu).
func reluKernel(cap float64) kernelFunc {
	return func(ins [][]float64, out []float64) {
		src := ins[0][:len(out)]
		for i, v := range src {
			if v < 0 {
				v = 0
			} else if cap > 0 && v > cap {
				v = cap
			}
			out[i] = v
		}
	}
}

func softmaxKernel(c, l int) kernelFunc {
	return func(ins [][]float64, out []float64) {
		copy(out, ins[0])
		softmax(out, c, l)
	}
}

// dense computes y = W·x + b with one GEMV (W: units × D).
func dense(weight, bias []float64, units, d int, act string) kernelFunc {
	return func(ins [][]float64, out []float64) {
		blas64.Gemv(blas.NoTrans, 1, blas64.General{Rows: units, Cols: d, Stride: d, Data: weight},
			blas64.Vector{N: d, Inc: 1, Data: ins[0]}, 0, blas64.Vector{N: units, Inc: 1, Data: out})
		finish(out, bias, units, 1, act)
	}
}

// add sums its inputs in input order.
func add(ins [][]float64, out []float64) {
	copy(out, ins[0])
	for _, x := range ins[1:] {
		for i, v := range x {
			out[i] += v
		}
	}
}

// concat stacks its inputs along channels: in C order each input is one
// contiguous block.
func concat(ins [][]float64, out []float64) {
	off := 0
	for _, x := range ins {
		off += copy(out[off:], x)
	}
}

// flatten keeps the values: a (C,H,W) tensor in C order is already its
// (C·H·W) flattening.
func flatten(ins [][]float64, out []float64) { copy(out, ins[0]) }

func globalAvgPool(l int) kernelFunc {
	return func(ins [][]float64, out []float64) {
		for ch := range out {
			sum := 0.0
			for _, v := range ins[0][ch*l : (ch+1)*l] {
				sum += v
			}
			out[ch] = sum / float64(l)
		}
	}
}

// zeroPad surrounds each channel with pad = [top, bottom, left, right] zeros.
func zeroPad(in, out Shape, pad []int) kernelFunc {
	return func(ins [][]float64, dst []float64) {
		clear(dst)
		for ch := 0; ch < in[0]; ch++ {
			for y := 0; y < in[1]; y++ {
				src := ins[0][(ch*in[1]+y)*in[2] : (ch*in[1]+y+1)*in[2]]
				copy(dst[(ch*out[1]+y+pad[0])*out[2]+pad[2]:], src)
			}
		}
	}
}
