// Package train trains eigenlab's own small networks on the CPU: MLPs
// (dense + ReLU) and small CNNs (3×3 valid convolution + ReLU + 2×2 max
// pooling, then dense layers), in float64, with forward, parameter
// gradients and input gradients written by hand (softmax cross-entropy,
// dense, ReLU, convolution as im2col GEMM and its col2im backward, max
// pooling), SGD with momentum and Adam with PyTorch's update rules, step
// and cosine learning-rate schedules, the spectral regulariser of
// METHODS.md §4 ("Related regulariser", Nassar et al. 2020) and FGSM/PGD
// adversarial examples from the same backward pass.
//
// Every layer, loss, optimiser step and attack equals PyTorch autograd in
// float64 to 1e-10 and in float32 to 1e-5 (testdata/make_goldens.py). The
// two types run the same code: GEMMs are DGEMM or SGEMM, the element loops
// compute in T, and the scalar reductions a step reports (loss, penalty,
// eigenvalues) are summed in float64. Determinism: the package's own loops
// run on one goroutine in a fixed order, and every GEMM reduces over its
// inner dimension within one call (OpenBLAS, registered by stages/linalg,
// splits only the output among its fixed number of threads; gonum's Go
// BLAS with -tags purego), so the same inputs, weights and seed give the
// same bytes whatever GOMAXPROCS is.
//
// It does not reuse stages/nn's forward pass: that one is per-image, for
// inference; training needs batches and keeps every layer's input for the
// backward pass.
package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// Float is the element type a model trains in: float64 (checked against
// PyTorch float64) or float32 (PyTorch's default dtype: half the memory
// and about twice the GEMM rate).
type Float interface{ float32 | float64 }

// Param is one trainable tensor, named "<layer>/kernel" or "<layer>/bias"
// as stages/nn names weights, in PyTorch's layout (dense: out × in; conv:
// C_out × C_in × k × k). Grad holds the gradient of the last Backward.
type Param[T Float] struct {
	Name  string
	Shape []int
	Value []T
	Grad  []T
	fanIn int // inputs per output unit, for Init
}

func newParam[T Float](name string, fanIn int, shape ...int) *Param[T] {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param[T]{Name: name, Shape: shape, Value: make([]T, n), Grad: make([]T, n), fanIn: fanIn}
}

// layer is one stage of the network on a batch stored row-major, one
// sample per row. forward keeps what backward needs; backward adds the
// parameter gradients of the batch to Grad and returns the gradient wrt
// its input (nil when needInput is false, for the first layer).
type layer[T Float] interface {
	forward(x []T, n int) []T
	backward(dy []T, n int, needInput bool) []T
	params() []*Param[T]
	outSize() int
}

// Model is a feed-forward network: layers applied in order to a batch of
// inputs of InSize values each, ending in class logits. Hidden is the
// index of the layer whose output is "the hidden layer" the spectral
// regulariser reads: the last hidden ReLU, the reference's only_last.
type Model[T Float] struct {
	InShape []int // per-sample input shape: (D) or (C, H, W)
	layers  []layer[T]
	Hidden  int
	outs    [][]T       // each layer's output of the last Forward
	params  []*Param[T] // Params, listed once (a step must not allocate)
}

// InSize is the number of input values per sample.
func (m *Model[T]) InSize() int {
	n := 1
	for _, d := range m.InShape {
		n *= d
	}
	return n
}

// Classes is the number of logits per sample.
func (m *Model[T]) Classes() int { return m.layers[len(m.layers)-1].outSize() }

// HiddenSize is the width D of the regularised hidden layer.
func (m *Model[T]) HiddenSize() int { return m.layers[m.Hidden].outSize() }

// NewMLP returns an untrained MLP in → hidden[0] → … → classes with a ReLU
// after every hidden dense layer (the paper's shallow net is hidden =
// [2000], its deep one [1000, 1000, 1000]).
func NewMLP[T Float](in int, hidden []int, classes int) *Model[T] {
	m := &Model[T]{InShape: []int{in}}
	m.addDense(in, hidden, classes)
	return m
}

// NewCNN returns an untrained CNN on (c, h, w) images: for each entry of
// channels a 3×3 valid convolution with bias, a ReLU and a 2×2 stride-2
// max pooling (floor), then the flattened (C, H, W) features through the
// dense ReLU layers hidden and a dense layer to classes (the paper's CNN
// is channels [16, 32], hidden [1000]).
func NewCNN[T Float](c, h, w int, channels, hidden []int, classes int) (*Model[T], error) {
	m := &Model[T]{InShape: []int{c, h, w}}
	for i, oc := range channels {
		if h < 4 || w < 4 {
			return nil, fmt.Errorf("cnn: convolution %d gets %d×%d images; each 3×3 convolution and 2×2 pooling needs at least 4×4", i, h, w)
		}
		oh, ow := h-2, w-2
		m.layers = append(m.layers, newConv[T](fmt.Sprintf("conv%d", i), c, h, w, oc), &reluPool[T]{c: oc, h: oh, w: ow})
		c, h, w = oc, oh/2, ow/2
	}
	m.addDense(c*h*w, hidden, classes)
	return m, nil
}

// addDense appends the dense ReLU layers and the output layer, and marks
// the last hidden ReLU (or, with no hidden layer, the input to the output
// layer's predecessor) as the regularised layer.
func (m *Model[T]) addDense(in int, hidden []int, classes int) {
	for i, units := range hidden {
		m.layers = append(m.layers, newDense[T](fmt.Sprintf("dense%d", i), in, units), &relu[T]{size: units})
		in = units
	}
	m.Hidden = len(m.layers) - 1
	m.layers = append(m.layers, newDense[T](fmt.Sprintf("dense%d", len(hidden)), in, classes))
	m.outs = make([][]T, len(m.layers))
	for _, l := range m.layers {
		m.params = append(m.params, l.params()...)
	}
}

// Params lists the trainable tensors in PyTorch's parameters() order
// (per layer, kernel then bias). The slice is the model's own, the same at
// every call (training calls it at every step): do not modify it.
func (m *Model[T]) Params() []*Param[T] { return m.params }

// Init draws the weights as PyTorch's default for nn.Linear and nn.Conv2d
// does (kaiming_uniform with a = √5): kernel and bias uniform on
// ±1/√fan_in, fan_in = C_in·k² or the input width, from rng.
func (m *Model[T]) Init(rng *rand.Rand) {
	for _, p := range m.Params() {
		bound := 1 / math.Sqrt(float64(p.fanIn))
		for i := range p.Value {
			p.Value[i] = T((2*rng.Float64() - 1) * bound)
		}
	}
}

// InitHe draws every kernel as torch.nn.init.kaiming_normal_ (fan_in,
// ReLU gain): iid N(0, 2/fan_in), and sets every bias to 0.
func (m *Model[T]) InitHe(rng *rand.Rand) {
	for _, p := range m.Params() {
		for i := range p.Value {
			p.Value[i] = 0
			if p.isKernel() {
				p.Value[i] = T(rng.NormFloat64() * math.Sqrt(2/float64(p.fanIn)))
			}
		}
	}
}

// InitOrthogonal draws every kernel, flattened to out × fan_in, as
// torch.nn.init.orthogonal_ with gain 1: the Q factor of a Gaussian
// matrix (transposed when out < fan_in) with the signs of R's diagonal
// folded in, so its rows (or columns) are orthonormal and Haar-distributed;
// every bias is 0.
func (m *Model[T]) InitOrthogonal(rng *rand.Rand) {
	for _, p := range m.Params() {
		if !p.isKernel() {
			clear(p.Value)
			continue
		}
		rows, cols := p.Shape[0], p.fanIn
		tall := rows >= cols
		if !tall {
			rows, cols = cols, rows
		}
		g := mat.NewDense(rows, cols, nil)
		for i := range rows {
			for j := range cols {
				g.Set(i, j, rng.NormFloat64())
			}
		}
		var qr mat.QR
		qr.Factorize(g)
		var q, r mat.Dense
		qr.QTo(&q)
		qr.RTo(&r)
		for i := range rows {
			for j := range cols {
				v := q.At(i, j)
				if r.At(j, j) < 0 {
					v = -v
				}
				if tall {
					p.Value[i*cols+j] = T(v)
				} else {
					p.Value[j*rows+i] = T(v)
				}
			}
		}
	}
}

// isKernel tells a kernel from a bias.
func (p *Param[T]) isKernel() bool { return len(p.Shape) > 1 }

// Forward runs the batch x (n samples of InSize values) and returns the
// n × Classes logits (owned by the model until the next Forward).
func (m *Model[T]) Forward(x []T, n int) []T {
	if len(x) != n*m.InSize() {
		panic(fmt.Sprintf("train: batch of %d values, want %d samples × %d", len(x), n, m.InSize()))
	}
	for i, l := range m.layers {
		x = l.forward(x, n)
		m.outs[i] = x
	}
	return x
}

// HiddenOutput is the regularised layer's n × HiddenSize output of the
// last Forward.
func (m *Model[T]) HiddenOutput() []T { return m.outs[m.Hidden] }

// Backward sets every Param.Grad to the gradient of the loss whose
// gradient wrt the logits of the last Forward is dlogits, plus, when
// dhidden is not nil, a loss term whose gradient wrt HiddenOutput is
// dhidden. It returns the gradient wrt the input when needInput.
func (m *Model[T]) Backward(dlogits, dhidden []T, n int, needInput bool) []T {
	for _, p := range m.params {
		clear(p.Grad)
	}
	d := dlogits
	for i := len(m.layers) - 1; i >= 0; i-- {
		if i == m.Hidden && dhidden != nil {
			for j, v := range dhidden {
				d[j] += v
			}
		}
		d = m.layers[i].backward(d, n, needInput || i > 0)
	}
	return d
}
