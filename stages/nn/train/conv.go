package train

// conv is a 3×3 (k×k) valid, stride-1 convolution with bias (nn.Conv2d
// with padding 0) of (c, h, w) images into (oc, h−k+1, w−k+1), computed
// per image as im2col + GEMM: Y_i (oc × L) = W (oc × D) · cols_i (D × L),
// D = c·k², L = output positions, the rows of cols ordered (channel, tap
// row, tap column) as W's columns are. The backward pass is
// dW += dY_i·cols_iᵀ and db += Σ dY_i image by image in order, then
// dcols = Wᵀ·dY_i scattered back by col2im.
type conv[T Float] struct {
	c, h, w, oc, k int
	weight, bias   *Param[T]
	cols           []T // n × D × L, the patches of the last forward
	y, dx, dcols   []T
}

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
	for i := 0; i < n; i++ {
		cols, y := l.cols[i*d*L:(i+1)*d*L], l.y[i*l.oc*L:(i+1)*l.oc*L]
		l.im2col(x[i*in:(i+1)*in], cols)
		for o := 0; o < l.oc; o++ {
			b := l.bias.Value[o]
			for p := range L {
				y[o*L+p] = b
			}
		}
		gemm(false, false, l.oc, L, d, 1, l.weight.Value, cols, 1, y)
	}
	return l.y
}

func (l *conv[T]) backward(dy []T, n int, needInput bool) []T {
	d, L, in := l.patch(), l.positions(), l.c*l.h*l.w
	if needInput {
		l.dx = grow(l.dx, n*in)
		l.dcols = grow(l.dcols, d*L)
	}
	for i := 0; i < n; i++ {
		g := dy[i*l.oc*L : (i+1)*l.oc*L]
		gemm(false, true, l.oc, d, L, 1, g, l.cols[i*d*L:(i+1)*d*L], 1, l.weight.Grad)
		for o := 0; o < l.oc; o++ {
			var s T
			for _, v := range g[o*L : (o+1)*L] {
				s += v
			}
			l.bias.Grad[o] += s
		}
		if needInput {
			gemm(true, false, d, L, l.oc, 1, l.weight.Value, g, 0, l.dcols)
			l.col2im(l.dcols, l.dx[i*in:(i+1)*in])
		}
	}
	if !needInput {
		return nil
	}
	return l.dx
}

// im2col writes the D × L patch matrix of one image:
// cols[(ch, i, j)][(oy, ox)] = x[ch][oy+i][ox+j].
func (l *conv[T]) im2col(x, cols []T) {
	oh, ow, L := l.h-l.k+1, l.w-l.k+1, l.positions()
	row := 0
	for ch := 0; ch < l.c; ch++ {
		for i := 0; i < l.k; i++ {
			for j := 0; j < l.k; j++ {
				dst := cols[row*L : (row+1)*L]
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
// that read each input value, of their gradients, in (ch, i, j, oy, ox)
// order.
func (l *conv[T]) col2im(dcols, dx []T) {
	clear(dx)
	oh, ow, L := l.h-l.k+1, l.w-l.k+1, l.positions()
	row := 0
	for ch := 0; ch < l.c; ch++ {
		for i := 0; i < l.k; i++ {
			for j := 0; j < l.k; j++ {
				src := dcols[row*L : (row+1)*L]
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
