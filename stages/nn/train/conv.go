package train

// conv is a 3×3 (k×k) valid, stride-1 convolution with bias (nn.Conv2d
// with padding 0) of (c, h, w) images into (oc, h−k+1, w−k+1), computed
// by im2col + GEMM on groups of convGroup images in order: Z (oc × gL) =
// W (oc × D) · cols (D × gL), D = c·k², L = output positions, g the
// group's images, column i·L + p of cols the patch of its image i at
// position p, the rows ordered (channel, tap row, tap column) as W's
// columns are. The backward pass is, group by group in order, dW +=
// dZ·colsᵀ (dZ the output gradient in Z's layout), db += Σ dY image by
// image, and dcols = Wᵀ·dZ scattered back by col2im. The per-image loops
// (im2col, the layout changes, col2im) run on parallel ranges of the
// group's images, each writing only its own, so the bytes do not depend
// on the split; the GEMMs are split among OpenBLAS's threads.
type conv[T Float] struct {
	c, h, w, oc, k int
	weight, bias   *Param[T]
	cols           []T // per group, D × gL: the patches of the last forward
	y, dx          []T
	z, dcols       []T // one group's Z or dZ, and dcols
	// The per-image loop run runs: which, on which batch (the forward's
	// input or the backward's output gradient) and group.
	loop   convLoop
	batch  []T
	g0, gn int
}

// convLoop names a per-image loop of conv.run.
type convLoop int

const (
	loopIm2col convLoop = iota // the group's patches into cols
	loopBias                   // y = Z + bias, into (n, oc, L)
	loopGather                 // dZ from dY in (n, oc, L)
	loopCol2im                 // dx from dcols
)

// convGroup is the number of images per GEMM: enough columns (8·L) for
// OpenBLAS to split a GEMM among two threads, few enough that a group's
// patches and products stay in the L2 cache between the GEMM and the
// loops around it (a GEMM over the whole batch runs 1.5 times slower).
const convGroup = 8

func newConv[T Float](name string, c, h, w, oc int) *conv[T] {
	const k = 3
	fan := c * k * k
	return &conv[T]{c: c, h: h, w: w, oc: oc, k: k,
		weight: newParam[T](name+"/kernel", fan, oc, c, k, k), bias: newParam[T](name+"/bias", fan, oc)}
}

func (l *conv[T]) params() []*Param[T] { return []*Param[T]{l.weight, l.bias} }
func (l *conv[T]) outSize() int        { return l.oc * l.positions() }
func (l *conv[T]) positions() int      { return (l.h - l.k + 1) * (l.w - l.k + 1) }
func (l *conv[T]) patch() int          { return l.c * l.k * l.k }

func (l *conv[T]) forward(x []T, n int) []T {
	d, L := l.patch(), l.positions()
	l.cols = grow(l.cols, n*d*L)
	l.y = grow(l.y, n*l.outSize())
	l.z = grow(l.z, l.oc*min(n, convGroup)*L)
	l.batch = x
	for l.g0 = 0; l.g0 < n; l.g0 += convGroup {
		l.gn = min(convGroup, n-l.g0)
		gL := l.gn * L
		l.loop = loopIm2col
		parallel(l.gn, l)
		gemm(false, false, l.oc, gL, d, 1, l.weight.Value, l.cols[l.g0*d*L:][:d*gL], 0, l.z[:l.oc*gL])
		l.loop = loopBias
		parallel(l.gn, l)
	}
	l.batch = nil
	return l.y
}

func (l *conv[T]) backward(dy []T, n int, needInput bool) []T {
	d, L := l.patch(), l.positions()
	l.z = grow(l.z, l.oc*min(n, convGroup)*L)
	if needInput {
		l.dx = grow(l.dx, n*l.c*l.h*l.w)
		l.dcols = grow(l.dcols, d*min(n, convGroup)*L)
	}
	l.batch = dy
	for l.g0 = 0; l.g0 < n; l.g0 += convGroup {
		l.gn = min(convGroup, n-l.g0)
		gL := l.gn * L
		dz := l.z[:l.oc*gL]
		l.loop = loopGather
		parallel(l.gn, l)
		gemm(false, true, l.oc, d, gL, 1, dz, l.cols[l.g0*d*L:][:d*gL], 1, l.weight.Grad)
		for o := range l.oc {
			for i := range l.gn {
				var s T
				for _, v := range dz[o*gL+i*L:][:L] {
					s += v
				}
				l.bias.Grad[o] += s
			}
		}
		if needInput {
			gemm(true, false, d, gL, l.oc, 1, l.weight.Value, dz, 0, l.dcols[:d*gL])
			l.loop = loopCol2im
			parallel(l.gn, l)
		}
	}
	l.batch = nil
	if !needInput {
		return nil
	}
	return l.dx
}

// run implements job: l.loop on images lo…hi−1 of the current group.
func (l *conv[T]) run(lo, hi int) {
	d, L, in := l.patch(), l.positions(), l.c*l.h*l.w
	gL, cols := l.gn*L, l.cols[l.g0*d*L:]
	for i := lo; i < hi; i++ {
		img := l.g0 + i
		switch l.loop {
		case loopIm2col:
			l.im2col(l.batch[img*in:(img+1)*in], cols[i*L:], gL)
		case loopBias:
			for o, b := range l.bias.Value {
				y, z := l.y[(img*l.oc+o)*L:][:L], l.z[o*gL+i*L:][:L]
				for p, v := range z {
					y[p] = v + b
				}
			}
		case loopGather:
			for o := range l.oc {
				copy(l.z[o*gL+i*L:][:L], l.batch[(img*l.oc+o)*L:][:L])
			}
		case loopCol2im:
			l.col2im(l.dcols[i*L:], gL, l.dx[img*in:(img+1)*in])
		}
	}
}

// im2col writes the D × L patch matrix of one image into the rows of
// cols, stride values apart: cols[(ch, i, j)·stride + (oy, ox)] =
// x[ch][oy+i][ox+j].
func (l *conv[T]) im2col(x, cols []T, stride int) {
	oh, ow := l.h-l.k+1, l.w-l.k+1
	row := 0
	for ch := 0; ch < l.c; ch++ {
		for i := 0; i < l.k; i++ {
			for j := 0; j < l.k; j++ {
				dst := cols[row*stride:]
				for oy := 0; oy < oh; oy++ {
					base := ch*l.h*l.w + (oy+i)*l.w + j
					copy(dst[oy*ow:(oy+1)*ow], x[base:base+ow])
				}
				row++
			}
		}
	}
}

// col2im is im2col's adjoint: it sets dx to the sum, over the patches
// that read each input value, of their gradients (rows of dcols, stride
// values apart), in (ch, i, j, oy, ox) order.
func (l *conv[T]) col2im(dcols []T, stride int, dx []T) {
	clear(dx)
	oh, ow := l.h-l.k+1, l.w-l.k+1
	row := 0
	for ch := 0; ch < l.c; ch++ {
		for i := 0; i < l.k; i++ {
			for j := 0; j < l.k; j++ {
				src := dcols[row*stride:]
				for oy := 0; oy < oh; oy++ {
					d := dx[ch*l.h*l.w+(oy+i)*l.w+j:][:ow]
					for ox, v := range src[oy*ow : (oy+1)*ow] {
						d[ox] += v
					}
				}
				row++
			}
		}
	}
}
