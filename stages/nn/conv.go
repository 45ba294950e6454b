package nn

import (
	"math"

	"gonum.org/v1/gonum/blas/gonum"
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
// An ungrouped im2col convolution runs in tiles of whole output rows, so
// that the patch matrix stays below about 4 MiB; the tiles depend only on
// the layer's geometry, never on the batch or the workers. (Smaller tiles,
// to finish each in cache, did not pay: every GEMM call is costly when
// OpenBLAS runs it on several threads.)
type conv struct {
	window
	groups int
	weight []float32 // C_out × D, C order
	tile   int       // output positions per GEMM call (ungrouped), ≥ 1
}

func newConv(g window, groups int, weight []float32) *conv {
	c := &conv{window: g, groups: groups, weight: weight}
	c.tile = g.oh * g.ow
	if !c.pointwise() {
		c.tile = min(g.oh, max(1, (1<<20)/(g.c*g.kh*g.kw*g.ow))) * g.ow
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
// o reads input channel o/multiplier, and each output is the sum of its
// kh·kw taps in row-major order, from +0, taps in the padding adding w·0
// (which leaves the sum unchanged, so the padding is ignored exactly).
//
// The input channel is first split into its s² stride phases, zero-padded:
// phase (a, b) holds the padded input at rows r·s+a and columns c·s+b, in
// rows of pw = ow + (kw−1)/s values. Tap (i, j) of every output then reads
// phase (i mod s, j mod s) at a fixed offset from the output's own position
// in a plane of rows of pw values, so each tap is one vector update
// (y += w·x, SIMD) over the whole plane instead of one per output row. The
// pw − ow extra columns of each row are dropped when the tail copies the
// plane out.
type depthwise struct {
	window
	mult   int
	weight []float32 // C_out × kh·kw
}

// phases returns the phase-plane geometry: rows ph, row length pw.
func (c *depthwise) phases() (ph, pw int) {
	return c.oh + (c.kh-1)/c.sh, c.ow + (c.kw-1)/c.sw
}

func (c *depthwise) run(ins [][]float32, out []float32, t tail, sc *scratch) {
	x := ins[0]
	k, plane := c.kh*c.kw, c.oh*c.ow
	ph, pw := c.phases()
	size := ph * pw
	buf := sc.cols(c.sh*c.sw*size + c.oh*pw)
	phases, acc := buf[:c.sh*c.sw*size], buf[c.sh*c.sw*size:]
	span := (c.oh-1)*pw + c.ow // the accumulator values that are outputs
	var taps []dwTap
	if useSIMD {
		taps = make([]dwTap, 0, k)
	}
	for ch := 0; ch < c.c; ch++ {
		c.split(x[ch*c.h*c.w:(ch+1)*c.h*c.w], phases, ph, pw)
		for o := ch * c.mult; o < (ch+1)*c.mult; o++ {
			wt := c.weight[o*k : (o+1)*k]
			if taps != nil { // the same sums, all taps at once per output
				taps = taps[:0]
				for i := 0; i < c.kh; i++ {
					for j := 0; j < c.kw; j++ {
						if w := wt[i*c.kw+j]; w != 0 { // as saxpy, which skips a = 0
							taps = append(taps, dwTap{((i%c.sh)*c.sw+j%c.sw)*size + (i/c.sh)*pw + j/c.sw, w})
						}
					}
				}
				dst := out[o*plane : (o+1)*plane]
				if depthwisePlane(dst, phases, taps, c.oh, c.ow, pw) {
					t.span(dst, dst, o, 0)
					continue
				}
			}
			clear(acc)
			for i := 0; i < c.kh; i++ {
				for j := 0; j < c.kw; j++ {
					p := phases[((i%c.sh)*c.sw+j%c.sw)*size:]
					off := (i/c.sh)*pw + j/c.sw
					saxpy(wt[i*c.kw+j], p[off:off+span], acc[:span])
				}
			}
			for oy := 0; oy < c.oh; oy++ {
				t.span(out[o*plane+oy*c.ow:o*plane+(oy+1)*c.ow], acc[oy*pw:], o, oy*c.ow)
			}
		}
	}
	t.softmaxAll(out)
}

// dwTap is one tap of a depthwise output: its weight and the offset in
// the stride phases of the value it reads for output (0, 0).
type dwTap struct {
	off int
	w   float32
}

// split writes the s² zero-padded stride phases of one input channel.
// Row r, column q of phase (a, b) is input (r·sh+a−pt, q·sw+b−pl).
func (c *depthwise) split(src, phases []float32, ph, pw int) {
	size := ph * pw
	for a := 0; a < c.sh; a++ {
		for r := 0; r < ph; r++ {
			y := r*c.sh + a - c.pt
			if y < 0 || y >= c.h {
				for b := 0; b < c.sw; b++ {
					clear(phases[(a*c.sw+b)*size+r*pw:][:pw])
				}
				continue
			}
			in := src[y*c.w : (y+1)*c.w]
			if c.sw == 2 { // both column phases in one pass over the row
				r0, r1 := phases[(2*a)*size+r*pw:][:pw], phases[(2*a+1)*size+r*pw:][:pw]
				a0, b0 := outputs(0, 2, c.pl, pw, c.w)
				a1, b1 := outputs(1, 2, c.pl, pw, c.w)
				lo, hi := max(a0, a1), max(max(a0, a1), min(b0, b1))
				clear(r0[:a0])
				clear(r0[b0:])
				clear(r1[:a1])
				clear(r1[b1:])
				if lo >= hi { // no column has both phases inside the row
					lo, hi = min(b0, b1), min(b0, b1)
				} else {
					deinterleave(r0[lo:hi], r1[lo:hi], in[2*lo-c.pl:])
				}
				for q := a0; q < min(lo, b0); q++ {
					r0[q] = in[2*q-c.pl]
				}
				for q := max(hi, a0); q < b0; q++ {
					r0[q] = in[2*q-c.pl]
				}
				for q := a1; q < min(lo, b1); q++ {
					r1[q] = in[2*q+1-c.pl]
				}
				for q := max(hi, a1); q < b1; q++ {
					r1[q] = in[2*q+1-c.pl]
				}
				continue
			}
			for b := 0; b < c.sw; b++ {
				row := phases[(a*c.sw+b)*size+r*pw:][:pw]
				q0, q1 := outputs(b, c.sw, c.pl, pw, c.w)
				clear(row[:q0])
				d, x := row[q0:q1], in[max(0, q0*c.sw+b-c.pl):]
				if c.sw == 1 {
					copy(d, x)
				} else {
					for q := range d {
						d[q] = x[q*c.sw]
					}
				}
				clear(row[q1:])
			}
		}
	}
}

// deinterleave sets e[q] = x[2q] and o[q] = x[2q+1] (len(e) = len(o)).
func deinterleave(e, o, x []float32) {
	o = o[:len(e)]
	x = x[:2*len(e)]
	q := 0
	for ; q+4 <= len(e); q += 4 {
		p := x[2*q : 2*q+8]
		e[q], o[q], e[q+1], o[q+1] = p[0], p[1], p[2], p[3]
		e[q+2], o[q+2], e[q+3], o[q+3] = p[4], p[5], p[6], p[7]
	}
	for ; q < len(e); q++ {
		e[q], o[q] = x[2*q], x[2*q+1]
	}
}

// saxpy adds a·x to y (len(y) elements) with gonum's SIMD kernel: each
// element is y + a·x rounded as in scalar float32 code.
func saxpy(a float32, x, y []float32) {
	gonum.Implementation{}.Saxpy(len(y), a, x, 1, y, 1)
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
