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
}

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
	d, L, in := l.patch(), l.positions(), l.c*l.h*l.w
	l.cols = grow(l.cols, n*d*L)
	l.y = grow(l.y, n*l.outSize())
	l.z = grow(l.z, l.oc*min(n, convGroup)*L)
	for g0 := 0; g0 < n; g0 += convGroup {
		gn := min(convGroup, n-g0)
		gL, cols := gn*L, l.cols[g0*d*L:(g0+gn)*d*L]
		parallel(gn, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				l.im2col(x[(g0+i)*in:(g0+i+1)*in], cols[i*L:], gL)
			}
		})
		gemm(false, false, l.oc, gL, d, 1, l.weight.Value, cols, 0, l.z[:l.oc*gL])
		parallel(gn, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				for o, b := range l.bias.Value {
					y, z := l.y[((g0+i)*l.oc+o)*L:][:L], l.z[o*gL+i*L:][:L]
					for p, v := range z {
						y[p] = v + b
					}
				}
			}
		})
	}
	return l.y
}

func (l *conv[T]) backward(dy []T, n int, needInput bool) []T {
	d, L, in := l.patch(), l.positions(), l.c*l.h*l.w
	l.z = grow(l.z, l.oc*min(n, convGroup)*L)
	if needInput {
		l.dx = grow(l.dx, n*in)
		l.dcols = grow(l.dcols, d*min(n, convGroup)*L)
	}
	for g0 := 0; g0 < n; g0 += convGroup {
		gn := min(convGroup, n-g0)
		gL, dz := gn*L, l.z[:l.oc*gn*L]
		parallel(gn, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				for o := range l.oc {
					copy(dz[o*gL+i*L:][:L], dy[((g0+i)*l.oc+o)*L:][:L])
				}
			}
		})
		gemm(false, true, l.oc, d, gL, 1, dz, l.cols[g0*d*L:(g0+gn)*d*L], 1, l.weight.Grad)
		for o := range l.oc {
			for i := range gn {
				var s T
				for _, v := range dz[o*gL+i*L:][:L] {
					s += v
				}
				l.bias.Grad[o] += s
			}
		}
		if needInput {
			dcols := l.dcols[:d*gL]
			gemm(true, false, d, gL, l.oc, 1, l.weight.Value, dz, 0, dcols)
			parallel(gn, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					l.col2im(dcols[i*L:], gL, l.dx[(g0+i)*in:(g0+i+1)*in])
				}
			})
		}
	}
	if !needInput {
		return nil
	}
	return l.dx
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
