package nn

import (
	"math"
)

// window is the geometry of a sliding-window op on one image: input
// (c, h, w), output (oc, oh, ow), kernel kh×kw, stride sh×sw, and the
// padding before the first row (pt) and column (pl). The padding after
// the last row and column follows from the output size.
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

// padded is the window of the same op reading the input of a zero_pad
// node (pad = [top, bottom, left, right]) instead of its output: the
// padded cells are zeros either way, so only the geometry changes.
func (g window) padded(pad []int) window {
	g.h -= pad[0] + pad[1]
	g.w -= pad[2] + pad[3]
	g.pt += pad[0]
	g.pl += pad[2]
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

// conv is a (grouped) convolution computed as im2col + SGEMM per group:
// out_g (C_out/g × L) = W_g (C_out/g × D) · cols (D × L), D = C_in/g·kh·kw,
// L = oh·ow. A 1×1 stride-1 convolution multiplies the input directly.
//
// Ungrouped convolutions run in tiles of output positions (whole output
// rows for im2col): the GEMM of a tile writes C_out × tile values that the
// fused tail then finishes while they are still in cache. The tiles depend
// only on the layer's geometry, never on the batch or the workers.
type conv struct {
	window
	groups int
	weight []float32 // C_out × D, C order
	tile   int       // output positions per GEMM call (ungrouped), ≥ 1
}

func newConv(g window, groups int, weight []float32) *conv {
	c := &conv{window: g, groups: groups, weight: weight}
	// About 384 KiB of inputs and outputs per tile, so that a tile's GEMM
	// output is still in L2 for the fused tail, but at least 128 positions
	// (each GEMM call packs the whole weight matrix).
	c.tile = max(128, (96<<10)/(g.oc+g.c*g.kh*g.kw)) &^ 31
	if !c.pointwise() {
		c.tile = max(1, c.tile/g.ow) * g.ow // whole output rows
	}
	return c
}

func (c *conv) pointwise() bool { return c.kh == 1 && c.kw == 1 && c.sh == 1 && c.sw == 1 }

func (c *conv) run(ins [][]float32, out []float32, t tail, sc *scratch) {
	x := ins[0]
	l := c.oh * c.ow
	if c.groups == 1 {
		d := c.c * c.kh * c.kw
		for l0 := 0; l0 < l; l0 += c.tile {
			n := min(c.tile, l-l0)
			cols, ld := x[l0:], l
			if !c.pointwise() {
				cols, ld = sc.cols(d*n), n
				c.im2col(x, c.c, cols, l0/c.ow, (l0+n)/c.ow)
			}
			sgemm(c.oc, n, d, c.weight, d, cols, ld, out[l0:], l)
			t.tile(out, 0, c.oc, l0, l0+n)
		}
		t.softmaxAll(out)
		return
	}
	cin, cout := c.c/c.groups, c.oc/c.groups
	d, plane := cin*c.kh*c.kw, c.h*c.w
	for g := 0; g < c.groups; g++ {
		xg := x[g*cin*plane : (g+1)*cin*plane]
		cols := xg
		if !c.pointwise() {
			cols = sc.cols(d * l)
			c.im2col(xg, cin, cols, 0, c.oh)
		}
		sgemm(cout, l, d, c.weight[g*cout*d:(g+1)*cout*d], d, cols, l, out[g*cout*l:], l)
	}
	t.tile(out, 0, c.oc, 0, l)
	t.softmaxAll(out)
}

// im2col writes the cin·kh·kw × (y1−y0)·ow patch matrix of output rows
// [y0, y1) of x (rows ordered channel, tap row, tap column, as the weights
// are), zeros where a tap falls in the padding.
func (c *conv) im2col(x []float32, cin int, cols []float32, y0, y1 int) {
	l := (y1 - y0) * c.ow
	row := 0
	for ch := 0; ch < cin; ch++ {
		src := x[ch*c.h*c.w : (ch+1)*c.h*c.w]
		for i := 0; i < c.kh; i++ {
			a, b := outputs(i, c.sh, c.pt, c.oh, c.h)
			a, b = min(max(a, y0), y1), min(max(b, y0), y1)
			for j := 0; j < c.kw; j++ {
				x0, x1 := outputs(j, c.sw, c.pl, c.ow, c.w)
				dst := cols[row*l : (row+1)*l]
				clear(dst[:(a-y0)*c.ow])
				for oy := a; oy < b; oy++ {
					d := dst[(oy-y0)*c.ow : (oy-y0+1)*c.ow]
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
				clear(dst[(b-y0)*c.ow:])
				row++
			}
		}
	}
}

// depthwise is a depthwise convolution computed directly: output channel
// o reads input channel o/multiplier; each output sums its taps in row-major
// order. The loops run tap by tap over whole output rows (a scaled add of
// a shifted input row), which keeps that per-output order while avoiding
// per-output bounds arithmetic. Each output plane gets the fused tail as
// soon as it is complete, while it is in cache.
type depthwise struct {
	window
	mult   int
	weight []float32 // C_out × kh·kw
}

func (c *depthwise) run(ins [][]float32, out []float32, t tail, _ *scratch) {
	x := ins[0]
	k, plane := c.kh*c.kw, c.oh*c.ow
	// cols[j] = [x0, x1): the outputs of a row whose tap column j is inside.
	var cols [8][2]int
	cs := cols[:0]
	if c.kw > len(cols) {
		cs = make([][2]int, 0, c.kw)
	}
	for j := 0; j < c.kw; j++ {
		x0, x1 := outputs(j, c.sw, c.pl, c.ow, c.w)
		cs = append(cs, [2]int{x0, x1})
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
				for j, r := range cs {
					x0, x1 := r[0], r[1]
					if x0 >= x1 {
						continue
					}
					wv, off := wt[i*c.kw+j], j-c.pl
					if c.sw == 1 {
						axpy(wv, in[x0+off:x1+off], row[x0:x1])
						continue
					}
					if c.sw == 2 {
						axpy2(wv, in[2*x0+off:], row[x0:x1])
						continue
					}
					for ox := x0; ox < x1; ox++ {
						row[ox] += wv * in[ox*c.sw+off]
					}
				}
			}
		}
		t.tile(out, o, o+1, 0, plane)
	}
	t.softmaxAll(out)
}

// axpy adds a·x to y (len(y) elements).
func axpy(a float32, x, y []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

// axpy2 adds a·x[2i] to y[i].
func axpy2(a float32, x, y []float32) {
	x = x[:2*len(y)-1]
	for i := range y {
		y[i] += a * x[2*i]
	}
}

// pool is max or average pooling. Padded cells never enter: a max ignores
// them and an average divides by the number of valid cells (TensorFlow's
// rule for padding "same"). Averages sum in float64.
type pool struct {
	window
	max bool
}

func (p *pool) run(ins [][]float32, out []float32, t tail, _ *scratch) {
	x := ins[0]
	for ch := 0; ch < p.c; ch++ {
		src := x[ch*p.h*p.w:]
		dst := out[ch*p.oh*p.ow:]
		for oy := 0; oy < p.oh; oy++ {
			i0, i1 := taps(oy, p.sh, p.pt, p.kh, p.h)
			for ox := 0; ox < p.ow; ox++ {
				j0, j1 := taps(ox, p.sw, p.pl, p.kw, p.w)
				base := (oy*p.sh-p.pt)*p.w + ox*p.sw - p.pl
				if p.max {
					acc := float32(math.Inf(-1))
					for i := i0; i < i1; i++ {
						for _, v := range src[base+i*p.w+j0 : base+i*p.w+j1] {
							if v > acc {
								acc = v
							}
						}
					}
					dst[oy*p.ow+ox] = acc
					continue
				}
				acc := 0.0
				for i := i0; i < i1; i++ {
					for _, v := range src[base+i*p.w+j0 : base+i*p.w+j1] {
						acc += float64(v)
					}
				}
				dst[oy*p.ow+ox] = float32(acc / float64((i1-i0)*(j1-j0)))
			}
		}
	}
	t.all(out)
}
