// Package nn is eigenlab's CNN inference: a JSON-serialisable layer graph
// (Arch) that can express the Keras MobileNetV2 and InceptionV3 graphs and
// small built-in networks, a deterministic forward pass (im2col + OpenBLAS
// SGEMM, direct depthwise convolution), and the power-law
// weight initialisation of METHODS.md §4.
//
// Storage is NCHW; each image is computed on its own, in float32 as tfjs
// does (weights and inputs rounded to float32, SGEMM for convolutions;
// pooling and softmax sum in float64), with a fixed operation order per
// element, so an image's activations never depend on which other images
// share its batch, on the number of threads or on which other layers are
// requested (see plan.go for the fusion of elementwise nodes). (Bytes are
// reproducible on one machine and BLAS build; another CPU kernel may round
// differently.)
//
// Importing a Keras (channels-last) model: Conv2D kernels (kh,kw,Cin,Cout)
// become (Cout,Cin,kh,kw), i.e. transpose(3,2,0,1); DepthwiseConv2D
// (kh,kw,Cin,M) becomes (Cin·M,1,kh,kw) via reshape (kh,kw,Cin·M) and
// transpose(2,0,1); Dense (Din,units) becomes its transpose. Keras flattens
// (H,W,C) where flatten here is (C,H,W): permute a Dense kernel that follows
// a Flatten of a spatial tensor. BatchNormalization without scale/center
// gets γ = 1/β = 0 arrays; ReLU(max_value=6) is relu with max_value 6;
// Activation layers are relu/softmax nodes; Dropout is dropped (rewire its
// consumers to its input).
package nn

import (
	"fmt"
	"slices"
	"strings"
)

// Format is the version of the Arch JSON layout; readers refuse others.
const Format = 1

// The operations a Node can perform. Per image, a spatial tensor is
// (C, H, W) and a flat one (D); the channel axis is always the first.
const (
	OpInput         = "input"            // the images: channels, optional height/width
	OpConv          = "conv2d"           // channels, kernel, stride, padding, groups, bias, activation
	OpDepthwise     = "depthwise_conv2d" // multiplier, kernel, stride, padding, bias, activation
	OpBatchNorm     = "batch_norm"       // inference: gamma·(x−mean)/√(var+epsilon)+beta
	OpReLU          = "relu"             // max(x, 0), capped at max_value when it is > 0 (ReLU6)
	OpMaxPool       = "max_pool2d"       // kernel, stride, padding; "same" ignores padded cells
	OpAvgPool       = "avg_pool2d"       // kernel, stride, padding; "same" averages valid cells only
	OpGlobalAvgPool = "global_avg_pool"  // (C,H,W) → (C)
	OpFlatten       = "flatten"          // (C,H,W) → (C·H·W), C order
	OpDense         = "dense"            // channels (units), bias, activation
	OpAdd           = "add"              // elementwise sum of ≥ 2 inputs of one shape
	OpConcat        = "concat"           // along channels; spatial sizes must agree
	OpSoftmax       = "softmax"          // over channels, at every position
	OpZeroPad       = "zero_pad"         // pad: [top, bottom, left, right]
)

// The fused activations a conv2d, depthwise_conv2d or dense node may apply.
const (
	ActNone    = ""
	ActReLU    = "relu"
	ActReLU6   = "relu6"
	ActSoftmax = "softmax"
)

// Arch is a network as a DAG of named nodes listed in topological order
// (every input of a node is an earlier node). It is a model's whole
// architecture: together with the weights named by WeightShapes it fixes
// the forward pass.
type Arch struct {
	Format int    `json:"format"`
	Name   string `json:"name"`
	Nodes  []Node `json:"nodes"`
}

// Node is one layer. Only the fields its Op reads may be set; the others
// stay zero (and are omitted from the JSON).
//
// Padding is "valid" (none) or "same" with TensorFlow's rule: output size
// ceil(H/stride), total padding max((out−1)·stride + k − H, 0), the smaller
// half before (top/left), the larger after. Weights, named "<node>/<param>",
// are laid out as in PyTorch (output channel first):
//
//	conv2d            kernel (C_out, C_in/groups, kh, kw), bias (C_out)
//	depthwise_conv2d  kernel (C_in·multiplier, 1, kh, kw), bias (C_in·multiplier);
//	                  output channel c·multiplier+m reads input channel c
//	dense             kernel (units, D_in), bias (units)
//	batch_norm        gamma, beta, mean, var (C)
type Node struct {
	Name       string   `json:"name"`
	Op         string   `json:"op"`
	Inputs     []string `json:"inputs,omitempty"`
	Channels   int      `json:"channels,omitempty"` // input: image channels; conv2d: C_out; dense: units
	Height     int      `json:"height,omitempty"`   // input only: required image height, 0 = any
	Width      int      `json:"width,omitempty"`    // input only: required image width, 0 = any
	Kernel     []int    `json:"kernel,omitempty"`   // [kh, kw]
	Stride     []int    `json:"stride,omitempty"`   // [sh, sw]
	Padding    string   `json:"padding,omitempty"`  // "valid" or "same"
	Pad        []int    `json:"pad,omitempty"`      // zero_pad: [top, bottom, left, right]
	Groups     int      `json:"groups,omitempty"`   // conv2d: 0 means 1
	Multiplier int      `json:"multiplier,omitempty"`
	Bias       bool     `json:"bias,omitempty"`
	Epsilon    float64  `json:"epsilon,omitempty"`
	MaxValue   float64  `json:"max_value,omitempty"` // relu: cap, 0 = none (6 for ReLU6)
	Activation string   `json:"activation,omitempty"`
}

// Shape is the per-image shape of a node's output: (C, H, W) or (D).
// A spatial size of 0 means not yet known (the input size is unset).
type Shape []int

// Size is the number of elements, 0 if a dimension is unknown.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Spatial reports whether s is a (C, H, W) shape.
func (s Shape) Spatial() bool { return len(s) == 3 }

// Input returns the single input node.
func (a *Arch) Input() (*Node, error) {
	var in *Node
	for i := range a.Nodes {
		if a.Nodes[i].Op == OpInput {
			if in != nil {
				return nil, fmt.Errorf("arch %q: more than one input node (%q, %q); want exactly one", a.Name, in.Name, a.Nodes[i].Name)
			}
			in = &a.Nodes[i]
		}
	}
	if in == nil {
		return nil, fmt.Errorf("arch %q: no input node", a.Name)
	}
	return in, nil
}

// Names lists the node names in graph order.
func (a *Arch) Names() []string {
	names := make([]string, len(a.Nodes))
	for i, n := range a.Nodes {
		names[i] = n.Name
	}
	return names
}

// Index returns the position of the named node, or -1.
func (a *Arch) Index(name string) int {
	return slices.IndexFunc(a.Nodes, func(n Node) bool { return n.Name == name })
}

// Infer checks the graph and returns every node's output shape for images
// of height h and width w (0 = unknown: spatial sizes stay 0 and only
// channel counts are checked). Errors name the node and the expected form.
func (a *Arch) Infer(h, w int) ([]Shape, error) {
	if a.Format != Format {
		return nil, fmt.Errorf("arch %q: format %d, want %d", a.Name, a.Format, Format)
	}
	if _, err := a.Input(); err != nil {
		return nil, err
	}
	shapes := make([]Shape, len(a.Nodes))
	index := map[string]int{}
	for i, n := range a.Nodes {
		if _, dup := index[n.Name]; dup || n.Name == "" || strings.Contains(n.Name, "/") {
			return nil, fmt.Errorf("arch %q: node %d has an empty, duplicate or slashed name %q (weights are named node/param)", a.Name, i, n.Name)
		}
		ins := make([]Shape, len(n.Inputs))
		for j, name := range n.Inputs {
			k, ok := index[name]
			if !ok {
				return nil, fmt.Errorf("arch %q: node %q reads %q, which is not an earlier node", a.Name, n.Name, name)
			}
			ins[j] = shapes[k]
		}
		s, err := n.infer(ins, h, w)
		if err != nil {
			return nil, fmt.Errorf("arch %q: node %q (%s): %w", a.Name, n.Name, n.Op, err)
		}
		index[n.Name], shapes[i] = i, s
	}
	return shapes, nil
}

// WeightShapes returns the weights the graph needs, by name, given the
// shapes from Infer (the dense layers need known spatial sizes).
func (a *Arch) WeightShapes(shapes []Shape) map[string][]int {
	ws := map[string][]int{}
	for i, n := range a.Nodes {
		var in Shape
		if len(n.Inputs) > 0 {
			in = shapes[a.Index(n.Inputs[0])]
		}
		out := shapes[i]
		switch n.Op {
		case OpConv:
			ws[n.Name+"/kernel"] = []int{out[0], in[0] / n.groups(), n.Kernel[0], n.Kernel[1]}
		case OpDepthwise:
			ws[n.Name+"/kernel"] = []int{out[0], 1, n.Kernel[0], n.Kernel[1]}
		case OpDense:
			ws[n.Name+"/kernel"] = []int{out[0], in.Size()}
		case OpBatchNorm:
			for _, p := range []string{"gamma", "beta", "mean", "var"} {
				ws[n.Name+"/"+p] = []int{in[0]}
			}
		}
		if n.Bias {
			ws[n.Name+"/bias"] = []int{out[0]}
		}
	}
	return ws
}

func (n *Node) groups() int { return max(n.Groups, 1) }

func (n *Node) multiplier() int { return max(n.Multiplier, 1) }
