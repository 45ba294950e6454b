package train

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	// OpenBLAS as gonum's BLAS, with its fixed thread count.
	_ "github.com/eigenlab/eigenlab/stages/linalg"
)

// gemm sets c (m×n) to alpha·op(a)·op(b) + beta·c, all row-major and
// contiguous; op transposes when ta/tb. It is DGEMM or SGEMM by T.
func gemm[T Float](ta, tb bool, m, n, k int, alpha T, a, b []T, beta T, c []T) {
	tA, tB, ra, ca, rb, cb := blas.NoTrans, blas.NoTrans, m, k, k, n
	if ta {
		tA, ra, ca = blas.Trans, k, m
	}
	if tb {
		tB, rb, cb = blas.Trans, n, k
	}
	switch a := any(a).(type) {
	case []float64:
		blas64.Gemm(tA, tB, float64(alpha),
			blas64.General{Rows: ra, Cols: ca, Stride: ca, Data: a},
			blas64.General{Rows: rb, Cols: cb, Stride: cb, Data: any(b).([]float64)},
			float64(beta), blas64.General{Rows: m, Cols: n, Stride: n, Data: any(c).([]float64)})
	case []float32:
		blas32.Gemm(tA, tB, float32(alpha),
			blas32.General{Rows: ra, Cols: ca, Stride: ca, Data: a},
			blas32.General{Rows: rb, Cols: cb, Stride: cb, Data: any(b).([]float32)},
			float32(beta), blas32.General{Rows: m, Cols: n, Stride: n, Data: any(c).([]float32)})
	}
}

// grow returns buf resized to n values, reallocating only when it is too
// small (the contents are not kept).
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

// dense is y = x·Wᵀ + b (nn.Linear), W out × in.
type dense[T Float] struct {
	in, out int
	w, b    *Param[T]
	x       []T // the input of the last forward
	y, dx   []T
}

func newDense[T Float](name string, in, out int) *dense[T] {
	return &dense[T]{in: in, out: out, w: newParam[T](name+"/kernel", in, out, in), b: newParam[T](name+"/bias", in, out)}
}

func (l *dense[T]) params() []*Param[T] { return []*Param[T]{l.w, l.b} }
func (l *dense[T]) outSize() int        { return l.out }

func (l *dense[T]) forward(x []T, n int) []T {
	l.x = x
	l.y = grow(l.y, n*l.out)
	for i := 0; i < n; i++ {
		copy(l.y[i*l.out:(i+1)*l.out], l.b.Value)
	}
	gemm(false, true, n, l.out, l.in, 1, x, l.w.Value, 1, l.y)
	return l.y
}

// backward: dW = dYᵀ·X, db = Σ_rows dY (rows in order), dX = dY·W.
func (l *dense[T]) backward(dy []T, n int, needInput bool) []T {
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
type relu[T Float] struct {
	size  int
	y, dx []T
}

func (l *relu[T]) params() []*Param[T] { return nil }
func (l *relu[T]) outSize() int        { return l.size }

func (l *relu[T]) forward(x []T, n int) []T {
	l.y = grow(l.y, len(x))
	for i, v := range x {
		l.y[i] = max(v, 0)
	}
	return l.y
}

func (l *relu[T]) backward(dy []T, n int, needInput bool) []T {
	if !needInput {
		return nil
	}
	l.dx = grow(l.dx, len(dy))
	y := l.y[:len(dy)]
	for i, v := range dy {
		// An integer select, not a branch on the data-dependent sign.
		pass := 0
		if y[i] > 0 {
			pass = 1
		}
		l.dx[i] = [2]T{0, v}[pass]
	}
	return l.dx
}

// reluPool is a ReLU followed by 2×2 stride-2 max pooling of (c, h, w)
// maps, output (c, h/2, w/2) (floor: an odd last row or column is
// dropped, as nn.MaxPool2d(2, 2)), computed as the ReLU of the window's
// maximum: the same values, and the same gradient, as the two layers in
// turn, without their full-size intermediate. The first maximum in
// row-major window order wins, as in PyTorch, and alone receives the
// gradient, when the output is > 0 (the ReLU's threshold_backward; a
// window with no positive value passes none).
type reluPool[T Float] struct {
	c, h, w int
	arg     []int32 // per output, the input offset within its plane of the maximum
	y, dx   []T
}

func (l *reluPool[T]) params() []*Param[T] { return nil }
func (l *reluPool[T]) outSize() int        { return l.c * (l.h / 2) * (l.w / 2) }

func (l *reluPool[T]) forward(x []T, n int) []T {
	oh, ow, w := l.h/2, l.w/2, l.w
	l.y = grow(l.y, n*l.outSize())
	l.arg = grow(l.arg, len(l.y))
	for p := 0; p < n*l.c; p++ {
		src := x[p*l.h*w : (p+1)*l.h*w]
		for oy := 0; oy < oh; oy++ {
			top := 2 * oy * w
			r0, r1 := src[top:top+2*ow], src[top+w:top+w+2*ow]
			o := (p*oh + oy) * ow
			ys, args := l.y[o:o+ow], l.arg[o:o+ow]
			for ox := range ys {
				best, at := window(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1])
				if at >= 2 {
					at += w - 2
				}
				ys[ox], args[ox] = max(best, 0), int32(top+2*ox+at)
			}
		}
	}
	return l.y
}

func (l *reluPool[T]) backward(dy []T, n int, needInput bool) []T {
	if !needInput {
		return nil
	}
	plane, out := l.h*l.w, (l.h/2)*(l.w/2)
	l.dx = grow(l.dx, n*l.c*plane)
	clear(l.dx)
	for p := 0; p < n*l.c; p++ {
		dx, y, arg := l.dx[p*plane:(p+1)*plane], l.y[p*out:(p+1)*out], l.arg[p*out:(p+1)*out]
		for o, g := range dy[p*out : (p+1)*out] {
			if y[o] > 0 {
				dx[arg[o]] += g
			}
		}
	}
	return l.dx
}

// window returns the maximum of a 2×2 window (a, b; c, d) and the position
// (0…3, row-major) of its first maximum, or of its last NaN, as PyTorch's
// max pooling (v > best || isnan(v) in order). The comparisons set integer
// selects rather than branch, since which value wins is data-dependent.
func window[T Float](a, b, c, d T) (T, int) {
	best := max(max(a, b), max(c, d))
	if best != best {
		at := 0
		for i, v := range [4]T{a, b, c, d} {
			if v != v {
				at = i
			}
		}
		return best, at
	}
	at := 3
	if c == best {
		at = 2
	}
	if b == best {
		at = 1
	}
	if a == best {
		at = 0
	}
	return best, at
}
