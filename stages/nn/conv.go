package nn

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	// OpenBLAS as gonum's BLAS: the im2col GEMMs are the forward pass's cost.
	_ "github.com/eigenlab/eigenlab/stages/linalg"
)

// window is the geometry of a sliding-window op on one image: input
// (c, h, w), output (oc, oh, ow), kernel kh×kw, stride sh×sw, and the
// padding before the first row (pt) and column (pl).
type window struct {
	c, h, w                int
	oc, oh, ow             int
	kh, kw, sh, sw, pt, pl int
}

func newWindow(n *Node, in, out Shape) window {
	g := window{c: in[0], h: in[1], w: in[2], oc: out[0], oh: out[1], ow: out[2],
		kh: n.Kernel[0], kw: n.Kernel[1], sh: n.Stride[0], sw: n.Stride[1]}
	if n.Padding == "same" {
		g.pt, _ = samePad(g.h, g.kh, g.sh)
		g.pl, _ = samePad(g.w, g.kw, g.sw)
	}
	return g
}

// taps is the range [lo, hi) of kernel taps whose input index o·s+k−p lies
// in [0, size), for output index o.
func taps(o, s, p, k, size int) (int, int) {
	start := o*s - p
	return max(0, -start), min(k, size-start)
}

// outputs is the range [lo, hi) of output indices whose tap k reads inside
// [0, size): the inverse of taps, used by im2col.
func outputs(k, s, p, out, size int) (int, int) {
	lo := 0
	if p > k {
		lo = (p - k + s - 1) / s
	}
	last := size - 1 - k + p
	if last < 0 {
		return 0, 0
	}
	lo = min(lo, out)
	return lo, max(lo, min(out, last/s+1))
}

// conv is a (grouped) convolution computed as im2col + GEMM per group:
// out_g (C_out/g × L) = W_g (C_out/g × D) · cols (D × L), D = C_in/g·kh·kw,
// L = oh·ow. A 1×1 stride-1 convolution multiplies the input directly.
type conv struct {
	window
	groups int
	weight []float64 // C_out × D, C order
	bias   []float64 // nil or C_out
	act    string
}

func (c *conv) run(ins [][]float64, out []float64, sc *scratch) {
	x := ins[0]
	cin, cout := c.c/c.groups, c.oc/c.groups
	d, l, plane := cin*c.kh*c.kw, c.oh*c.ow, c.h*c.w
	pointwise := c.kh == 1 && c.kw == 1 && c.sh == 1 && c.sw == 1
	for g := 0; g < c.groups; g++ {
		xg := x[g*cin*plane : (g+1)*cin*plane]
		cols := xg
		if !pointwise {
			cols = sc.cols(d * l)
			c.im2col(xg, cin, cols)
		}
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
			blas64.General{Rows: cout, Cols: d, Stride: d, Data: c.weight[g*cout*d : (g+1)*cout*d]},
			blas64.General{Rows: d, Cols: l, Stride: l, Data: cols},
			0, blas64.General{Rows: cout, Cols: l, Stride: l, Data: out[g*cout*l : (g+1)*cout*l]})
	}
	finish(out, c.bias, c.oc, l, c.act)
}

// im2col writes the cin·kh·kw × oh·ow patch matrix of x (rows ordered
// channel, tap row, tap column, as the weights are), zeros where a tap
// falls in the padding.
func (c *conv) im2col(x []float64, cin int, cols []float64) {
	l := c.oh * c.ow
	row := 0
	for ch := 0; ch < cin; ch++ {
		src := x[ch*c.h*c.w : (ch+1)*c.h*c.w]
		for i := 0; i < c.kh; i++ {
			y0, y1 := outputs(i, c.sh, c.pt, c.oh, c.h)
			for j := 0; j < c.kw; j++ {
				x0, x1 := outputs(j, c.sw, c.pl, c.ow, c.w)
				dst := cols[row*l : (row+1)*l]
				clear(dst[:y0*c.ow])
				for oy := y0; oy < y1; oy++ {
					d := dst[oy*c.ow : (oy+1)*c.ow]
					base := (oy*c.sh+i-c.pt)*c.w + j - c.pl
					clear(d[:x0])
					if c.sw == 1 {
						copy(d[x0:x1], src[base+x0:base+x1])
					} else {
						for ox := x0; ox < x1; ox++ {
							d[ox] = src[base+ox*c.sw]
						}
					}
					clear(d[x1:])
				}
				clear(dst[y1*c.ow:])
				row++
			}
		}
	}
}

// depthwise is a depthwise convolution computed directly: output channel
// o reads input channel o/multiplier; each output sums its taps in row-major
// order. The loops run tap by tap over whole output rows (a scaled add of
// a shifted input row), which keeps that per-output order, and so the
// bits, while avoiding per-output bounds arithmetic.
type depthwise struct {
	window
	mult   int
	weight []float64 // C_out × kh·kw
	bias   []float64
	act    string
}

func (c *depthwise) run(ins [][]float64, out []float64, _ *scratch) {
	x := ins[0]
	k, plane := c.kh*c.kw, c.oh*c.ow
	// cols[j] = [x0, x1): the outputs of a row whose tap column j is inside.
	var cols [][2]int
	for j := 0; j < c.kw; j++ {
		x0, x1 := outputs(j, c.sw, c.pl, c.ow, c.w)
		cols = append(cols, [2]int{x0, x1})
	}
	for o := 0; o < c.oc; o++ {
		src := x[(o/c.mult)*c.h*c.w : (o/c.mult+1)*c.h*c.w]
		wt := c.weight[o*k : (o+1)*k]
		dst := out[o*plane : (o+1)*plane]
		clear(dst)
		for oy := 0; oy < c.oh; oy++ {
			i0, i1 := taps(oy, c.sh, c.pt, c.kh, c.h)
			row := dst[oy*c.ow : (oy+1)*c.ow]
			for i := i0; i < i1; i++ {
				in := src[(oy*c.sh+i-c.pt)*c.w : (oy*c.sh+i-c.pt+1)*c.w]
				for j, r := range cols {
					x0, x1 := r[0], r[1]
					if x0 >= x1 {
						continue
					}
					wv, off := wt[i*c.kw+j], j-c.pl
					if c.sw == 1 {
						d := row[x0:x1]
						s := in[x0+off : x1+off]
						s = s[:len(d)]
						for t, v := range s {
							d[t] += wv * v
						}
						continue
					}
					for ox := x0; ox < x1; ox++ {
						row[ox] += wv * in[ox*c.sw+off]
					}
				}
			}
		}
	}
	finish(out, c.bias, c.oc, plane, c.act)
}

// pool is max or average pooling. Padded cells never enter: a max ignores
// them and an average divides by the number of valid cells (TensorFlow's
// rule for padding "same").
type pool struct {
	window
	max bool
}

func (p *pool) run(ins [][]float64, out []float64, _ *scratch) {
	x := ins[0]
	for ch := 0; ch < p.c; ch++ {
		src := x[ch*p.h*p.w:]
		dst := out[ch*p.oh*p.ow:]
		for oy := 0; oy < p.oh; oy++ {
			i0, i1 := taps(oy, p.sh, p.pt, p.kh, p.h)
			for ox := 0; ox < p.ow; ox++ {
				j0, j1 := taps(ox, p.sw, p.pl, p.kw, p.w)
				base := (oy*p.sh-p.pt)*p.w + ox*p.sw - p.pl
				acc := 0.0
				if p.max {
					acc = math.Inf(-1)
				}
				for i := i0; i < i1; i++ {
					for _, v := range src[base+i*p.w+j0 : base+i*p.w+j1] {
						if p.max {
							if v > acc {
								acc = v
							}
						} else {
							acc += v
						}
					}
				}
				if !p.max {
					acc /= float64((i1 - i0) * (j1 - j0))
				}
				dst[oy*p.ow+ox] = acc
			}
		}
	}
}
