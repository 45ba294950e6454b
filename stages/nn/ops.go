package nn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// kernel computes one node's output for one image from its inputs, then
// applies the step's fused tail t to it.
type kernel interface {
	run(ins [][]float32, out []float32, t tail, sc *scratch)
}

// tail is a post with its add operands for the current image.
type tail struct {
	*post
	args [][]float32
}

// The elementwise operations a post applies, in the order of their nodes.
const (
	postBias = iota // + shift[c]
	postReLU        // max(·, 0), capped at cap when cap > 0
	postBN          // ·scale[c] + shift[c]
	postAdd         // + ins[in] (the same element)
)

// postOp is one elementwise operation of a fused tail.
type postOp struct {
	kind         int
	cap          float32
	scale, shift []float32 // per channel
	arg          int       // postAdd: index of the operand in the tail's args
}

// post is the elementwise tail fused into a step: the producing node's bias
// and activation, then the batch norms, relus and adds of the nodes it
// absorbed, each element going through the same float32 operations in the
// same order as when every node is computed on its own (so fusing changes
// no bit). softmax (a softmax activation, always last) normalises the whole
// output over its c channels at each of its l positions.
type post struct {
	ops     []postOp
	c, l    int // output channels and positions per channel
	softmax bool
}

// tile applies the ops to channels [c0, c1), positions [lo, hi) of out.
func (t tail) tile(out []float32, c0, c1, lo, hi int) {
	if len(t.ops) == 0 {
		return
	}
	for ch := c0; ch < c1; ch++ {
		d := out[ch*t.l+lo : ch*t.l+hi]
		t.span(d, d, ch, lo)
	}
}

// span writes to d the ops applied to src, the values of channel ch from
// position lo on (src may be d). Runs of ops of the form affine (bias or
// batch norm), add, relu are done in one pass; a bias is the affine map
// with scale 1 (v·1 is v exactly).
func (t tail) span(d, src []float32, ch, lo int) {
	ops := t.ops
	if len(ops) == 0 {
		copy(d, src)
		return
	}
	src = src[:len(d)]
	for i := 0; i < len(ops); {
		a, b, affine := float32(1), float32(0), false
		switch op := &ops[i]; op.kind {
		case postBias:
			b, affine = op.shift[ch], true
			i++
		case postBN:
			a, b, affine = op.scale[ch], op.shift[ch], true
			i++
		}
		var s []float32
		if i < len(ops) && ops[i].kind == postAdd {
			s = t.args[ops[i].arg][ch*t.l+lo : ch*t.l+lo+len(d)]
			i++
		}
		cap, clamp := float32(0), false
		if i < len(ops) && ops[i].kind == postReLU {
			cap, clamp = ops[i].cap, true
			i++
		}
		if cap <= 0 {
			cap = float32(math.Inf(1))
		}
		pass(d, src, s, a, b, cap, affine, clamp)
		src = d
	}
}

// passGo is one pass of span over d (len(d) values), in scalar Go: d = ((src·a +
// b) + s), then min(max(·, 0), cap), each part present when affine, s != nil
// and clamp say. It is the fallback of pass and the reference its SIMD
// version (pass_amd64.s) must match bit for bit.
func passGo(d, src, s []float32, a, b, cap float32, affine, clamp bool) {
	src = src[:len(d)]
	if s != nil {
		s = s[:len(d)]
	}
	switch {
	case affine && s == nil && !clamp:
		for i, v := range src {
			d[i] = v*a + b
		}
	case affine && s == nil:
		for i, v := range src {
			d[i] = min(max(v*a+b, 0), cap)
		}
	case affine && !clamp:
		for i, v := range src {
			d[i] = (v*a + b) + s[i]
		}
	case affine:
		for i, v := range src {
			d[i] = min(max((v*a+b)+s[i], 0), cap)
		}
	case s != nil && !clamp:
		for i, v := range src {
			d[i] = v + s[i]
		}
	case s != nil:
		for i, v := range src {
			d[i] = min(max(v+s[i], 0), cap)
		}
	case clamp:
		for i, v := range src {
			d[i] = min(max(v, 0), cap)
		}
	default:
		copy(d, src)
	}
}

// all applies the whole tail to out, softmax included.
func (t tail) all(out []float32) {
	t.tile(out, 0, t.c, 0, t.l)
	t.softmaxAll(out)
}

func (t tail) softmaxAll(out []float32) {
	if t.softmax {
		softmax(out, t.c, t.l)
	}
}

// softmax normalises a C×L tensor over channels at each of the L
// positions, in float64.
func softmax(x []float32, c, l int) {
	for p := 0; p < l; p++ {
		top := math.Inf(-1)
		for ch := 0; ch < c; ch++ {
			top = math.Max(top, float64(x[ch*l+p]))
		}
		sum := 0.0
		for ch := 0; ch < c; ch++ {
			sum += math.Exp(float64(x[ch*l+p]) - top)
		}
		for ch := 0; ch < c; ch++ {
			x[ch*l+p] = float32(math.Exp(float64(x[ch*l+p])-top) / sum)
		}
	}
}

// scratch is a worker's reusable working memory (the im2col matrix).
type scratch struct{ buf []float32 }

func (s *scratch) cols(n int) []float32 {
	if cap(s.buf) < n {
		s.buf = make([]float32, n)
	}
	return s.buf[:n]
}

// kernelFunc adapts a function that writes the node's own output; the tail
// is applied after it over the whole output.
type kernelFunc func(ins [][]float32, out []float32)

func (f kernelFunc) run(ins [][]float32, out []float32, t tail, _ *scratch) {
	f(ins, out)
	t.all(out)
}

// identity is the kernel of batch_norm, relu, add, softmax and flatten
// nodes computed on their own: its input through the node's elementwise
// tail (a copy when there is none), in one pass.
type identity struct{}

func (identity) run(ins [][]float32, out []float32, t tail, _ *scratch) {
	src := ins[0][:len(out)]
	if len(t.ops) == 0 {
		copy(out, src)
		t.softmaxAll(out)
		return
	}
	for ch := 0; ch < t.c; ch++ {
		t.span(out[ch*t.l:(ch+1)*t.l], src[ch*t.l:(ch+1)*t.l], ch, 0)
	}
	t.softmaxAll(out)
}

// dense computes y = W·x with one GEMV (W: units × D); bias and activation
// are its tail. It is gonum's: each y_i one SIMD dot product on the
// worker's own thread, the same in every build. OpenBLAS's threaded
// sgemv_ changed the last bits with the number of CPUs (SkylakeX and
// Haswell kernels) and would make concurrent workers share its pool.
func dense(weight []float32, units, d int) kernelFunc {
	return func(ins [][]float32, out []float32) {
		gonum.Implementation{}.Sgemv(blas.NoTrans, units, d, 1, weight, d, ins[0], 1, 0, out, 1)
	}
}

// concat stacks its inputs along channels: in C order each input is one
// contiguous block.
func concat(ins [][]float32, out []float32) {
	off := 0
	for _, x := range ins {
		off += copy(out[off:], x)
	}
}

// globalAvgPool averages each channel's l values in float64.
func globalAvgPool(l int) kernelFunc {
	return func(ins [][]float32, out []float32) {
		for ch := range out {
			sum := 0.0
			for _, v := range ins[0][ch*l : (ch+1)*l] {
				sum += float64(v)
			}
			out[ch] = float32(sum / float64(l))
		}
	}
}

// zeroPad surrounds each channel with pad = [top, bottom, left, right] zeros.
func zeroPad(in, out Shape, pad []int) kernelFunc {
	return func(ins [][]float32, dst []float32) {
		clear(dst)
		for ch := 0; ch < in[0]; ch++ {
			for y := 0; y < in[1]; y++ {
				src := ins[0][(ch*in[1]+y)*in[2] : (ch*in[1]+y+1)*in[2]]
				copy(dst[(ch*out[1]+y+pad[0])*out[2]+pad[2]:], src)
			}
		}
	}
}
