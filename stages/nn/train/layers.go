package train

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	// OpenBLAS as gonum's BLAS, with its fixed thread count.
	_ "github.com/eigenlab/eigenlab/stages/linalg"
)

// gemm sets c (m×n) to alpha·op(a)·op(b) + beta·c, all row-major and
// contiguous; op transposes when ta/tb.
func gemm(ta, tb bool, m, n, k int, alpha float64, a, b []float64, beta float64, c []float64) {
	tA, tB, ra, ca, rb, cb := blas.NoTrans, blas.NoTrans, m, k, k, n
	if ta {
		tA, ra, ca = blas.Trans, k, m
	}
	if tb {
		tB, rb, cb = blas.Trans, n, k
	}
	blas64.Gemm(tA, tB, alpha,
		blas64.General{Rows: ra, Cols: ca, Stride: ca, Data: a},
		blas64.General{Rows: rb, Cols: cb, Stride: cb, Data: b},
		beta, blas64.General{Rows: m, Cols: n, Stride: n, Data: c})
}

// grow returns buf resized to n values, reallocating only when it is too
// small (the contents are not kept).
func grow(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// dense is y = x·Wᵀ + b (nn.Linear), W out × in.
type dense struct {
	in, out int
	w, b    *Param
	x       []float64 // the input of the last forward
	y, dx   []float64
}

func newDense(name string, in, out int) *dense {
	return &dense{in: in, out: out, w: newParam(name+"/kernel", in, out, in), b: newParam(name+"/bias", in, out)}
}

func (l *dense) params() []*Param { return []*Param{l.w, l.b} }
func (l *dense) outSize() int     { return l.out }

func (l *dense) forward(x []float64, n int) []float64 {
	l.x = x
	l.y = grow(l.y, n*l.out)
	for i := 0; i < n; i++ {
		copy(l.y[i*l.out:(i+1)*l.out], l.b.Value)
	}
	gemm(false, true, n, l.out, l.in, 1, x, l.w.Value, 1, l.y)
	return l.y
}

// backward: dW = dYᵀ·X, db = Σ_rows dY (rows in order), dX = dY·W.
func (l *dense) backward(dy []float64, n int, needInput bool) []float64 {
	gemm(true, false, l.out, l.in, n, 1, dy, l.x, 1, l.w.Grad)
	for i := 0; i < n; i++ {
		for j, v := range dy[i*l.out : (i+1)*l.out] {
			l.b.Grad[j] += v
		}
	}
	if !needInput {
		return nil
	}
	l.dx = grow(l.dx, n*l.in)
	gemm(false, false, n, l.in, l.out, 1, dy, l.w.Value, 0, l.dx)
	return l.dx
}

// relu is max(x, 0); its gradient passes where the output is > 0, as
// PyTorch's threshold_backward.
type relu struct {
	size  int
	y, dx []float64
}

func (l *relu) params() []*Param { return nil }
func (l *relu) outSize() int     { return l.size }

func (l *relu) forward(x []float64, n int) []float64 {
	l.y = grow(l.y, len(x))
	for i, v := range x {
		l.y[i] = max(v, 0)
	}
	return l.y
}

func (l *relu) backward(dy []float64, n int, needInput bool) []float64 {
	if !needInput {
		return nil
	}
	l.dx = grow(l.dx, len(dy))
	for i, v := range dy {
		if l.y[i] > 0 {
			l.dx[i] = v
		} else {
			l.dx[i] = 0
		}
	}
	return l.dx
}

// maxPool is 2×2 stride-2 max pooling of (c, h, w) maps, output
// (c, h/2, w/2) (floor: an odd last row or column is dropped, as
// nn.MaxPool2d(2, 2)). The first maximum in row-major window order wins,
// as in PyTorch, and alone receives the gradient.
type maxPool struct {
	c, h, w int
	arg     []int32 // per output, the input offset within its plane of the maximum
	y, dx   []float64
}

func (l *maxPool) params() []*Param { return nil }
func (l *maxPool) outSize() int     { return l.c * (l.h / 2) * (l.w / 2) }

func (l *maxPool) forward(x []float64, n int) []float64 {
	oh, ow := l.h/2, l.w/2
	l.y = grow(l.y, n*l.outSize())
	if cap(l.arg) < len(l.y) {
		l.arg = make([]int32, len(l.y))
	}
	l.arg = l.arg[:len(l.y)]
	for p := 0; p < n*l.c; p++ {
		src := x[p*l.h*l.w : (p+1)*l.h*l.w]
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				best, at := math.Inf(-1), -1
				for i := 0; i < 2; i++ {
					for j := 0; j < 2; j++ {
						k := (2*oy+i)*l.w + 2*ox + j
						if v := src[k]; v > best || math.IsNaN(v) {
							best, at = v, k
						}
					}
				}
				o := p*oh*ow + oy*ow + ox
				l.y[o], l.arg[o] = best, int32(at)
			}
		}
	}
	return l.y
}

func (l *maxPool) backward(dy []float64, n int, needInput bool) []float64 {
	if !needInput {
		return nil
	}
	plane, out := l.h*l.w, (l.h/2)*(l.w/2)
	l.dx = grow(l.dx, n*l.c*plane)
	clear(l.dx)
	for p := 0; p < n*l.c; p++ {
		for o := 0; o < out; o++ {
			l.dx[p*plane+int(l.arg[p*out+o])] += dy[p*out+o]
		}
	}
	return l.dx
}
