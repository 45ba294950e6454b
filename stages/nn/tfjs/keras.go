package tfjs

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// kerasModel is a Keras functional model config ("Model" in Keras 2.2,
// "Functional" later) as tfjs stores it.
type kerasModel struct {
	ClassName string `json:"class_name"`
	Config    struct {
		Name         string          `json:"name"`
		Layers       []kerasLayer    `json:"layers"`
		OutputLayers json.RawMessage `json:"output_layers"`
	} `json:"config"`
}

type kerasLayer struct {
	Name         string          `json:"name"`
	ClassName    string          `json:"class_name"`
	Config       json.RawMessage `json:"config"`
	InboundNodes json.RawMessage `json:"inbound_nodes"`
}

// topologyModel finds the model config in a tfjs modelTopology, which is
// either {keras_version, backend, model_config} or the config itself.
func topologyModel(raw json.RawMessage) (*kerasModel, error) {
	var top struct {
		ModelConfig *kerasModel `json:"model_config"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("modelTopology: %w", err)
	}
	m := top.ModelConfig
	if m == nil {
		m = new(kerasModel)
		if err := json.Unmarshal(raw, m); err != nil {
			return nil, fmt.Errorf("modelTopology: %w", err)
		}
	}
	if m.ClassName != "Model" && m.ClassName != "Functional" {
		return nil, fmt.Errorf("modelTopology is a Keras %q; only functional models (Model, Functional) are supported", m.ClassName)
	}
	return m, nil
}

// inbound returns the names of the layers feeding a layer that is called
// once, from Keras 2's [[["name", nodeIndex, tensorIndex, {}], ...]].
func (l *kerasLayer) inbound() ([]string, error) {
	var calls [][][]any
	if len(l.InboundNodes) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(l.InboundNodes, &calls); err != nil {
		return nil, fmt.Errorf("inbound_nodes is not in Keras 2 form [[[name, node, tensor, kwargs]]]: %w", err)
	}
	if len(calls) > 1 {
		return nil, fmt.Errorf("the layer is called %d times; shared layers are not supported", len(calls))
	}
	if len(calls) == 0 {
		return nil, nil
	}
	names := make([]string, len(calls[0]))
	for i, ref := range calls[0] {
		if len(ref) < 3 {
			return nil, fmt.Errorf("inbound reference %v; want [name, node, tensor, kwargs]", ref)
		}
		name, ok := ref[0].(string)
		node, _ := ref[1].(float64)
		tensor, _ := ref[2].(float64)
		if !ok || node != 0 || tensor != 0 {
			return nil, fmt.Errorf("inbound reference %v; only the first output of a layer called once is supported", ref)
		}
		if len(ref) > 3 {
			if kw, _ := ref[3].(map[string]any); len(kw) > 0 {
				return nil, fmt.Errorf("inbound reference %v has call arguments, which are not supported", ref)
			}
		}
		names[i] = name
	}
	return names, nil
}

// layerConfig holds every Keras layer attribute the importer reads; a
// layer's config sets those of its class.
type layerConfig struct {
	BatchInputShape []*int          `json:"batch_input_shape"`
	BatchShape      []*int          `json:"batch_shape"`
	DataFormat      string          `json:"data_format"`
	Filters         int             `json:"filters"`
	KernelSize      []int           `json:"kernel_size"`
	Strides         []int           `json:"strides"`
	Padding         json.RawMessage `json:"padding"`
	DilationRate    []int           `json:"dilation_rate"`
	Groups          int             `json:"groups"`
	DepthMultiplier int             `json:"depth_multiplier"`
	Activation      string          `json:"activation"`
	UseBias         *bool           `json:"use_bias"` // Keras default true
	Units           int             `json:"units"`
	Axis            json.RawMessage `json:"axis"`
	Epsilon         float64         `json:"epsilon"`
	Center          *bool           `json:"center"`
	Scale           *bool           `json:"scale"`
	MaxValue        *float64        `json:"max_value"`
	NegativeSlope   float64         `json:"negative_slope"`
	Threshold       float64         `json:"threshold"`
	PoolSize        []int           `json:"pool_size"`
	KeepDims        bool            `json:"keepdims"`
}

// fusedActivation maps a Keras activation name to an nn fused activation.
func fusedActivation(name string) (string, error) {
	switch name {
	case "linear", "":
		return nn.ActNone, nil
	case "relu":
		return nn.ActReLU, nil
	case "relu6":
		return nn.ActReLU6, nil
	case "softmax":
		return nn.ActSoftmax, nil
	}
	return "", fmt.Errorf("activation %q is not supported (want linear, relu, relu6 or softmax)", name)
}

// channelsLast requires the Keras default data format.
func (c *layerConfig) channelsLast() error {
	if c.DataFormat != "" && c.DataFormat != "channels_last" {
		return fmt.Errorf("data_format %q; only channels_last is supported", c.DataFormat)
	}
	return nil
}

// lastAxis requires a channel axis of -1 or 3 (of a rank-4 NHWC tensor),
// written as a number or a one-element list.
func (c *layerConfig) lastAxis() error {
	var axis any
	if len(c.Axis) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Axis, &axis); err != nil {
		return err
	}
	if l, ok := axis.([]any); ok && len(l) == 1 {
		axis = l[0]
	}
	if a, ok := axis.(float64); ok && (a == -1 || a == 3) {
		return nil
	}
	return fmt.Errorf("axis %s; only the channel axis (-1 or 3) is supported", c.Axis)
}

// window fills kernel, stride and padding of a conv or pooling node.
func (c *layerConfig) window(n *nn.Node, kernel []int) error {
	if err := c.channelsLast(); err != nil {
		return err
	}
	if len(kernel) != 2 {
		return fmt.Errorf("kernel %v; want two sizes", kernel)
	}
	for _, d := range c.DilationRate {
		if d != 1 {
			return fmt.Errorf("dilation_rate %v; only 1 is supported", c.DilationRate)
		}
	}
	stride := c.Strides
	if stride == nil {
		stride = kernel // Keras pooling: strides None means pool_size
	}
	var padding string
	if err := json.Unmarshal(c.Padding, &padding); err != nil || (padding != "same" && padding != "valid") {
		return fmt.Errorf("padding %s; want \"same\" or \"valid\"", c.Padding)
	}
	n.Kernel, n.Stride, n.Padding = kernel, stride, padding
	return nil
}

// zeroPad reads ZeroPadding2D's padding: p, [h, w] or [[top, bottom], [left, right]].
func (c *layerConfig) zeroPad() ([]int, error) {
	var v any
	if err := json.Unmarshal(c.Padding, &v); err != nil {
		return nil, err
	}
	num := func(x any) (int, bool) { f, ok := x.(float64); return int(f), ok && f == float64(int(f)) && f >= 0 }
	if p, ok := num(v); ok {
		return []int{p, p, p, p}, nil
	}
	if l, ok := v.([]any); ok && len(l) == 2 {
		h, okh := num(l[0])
		w, okw := num(l[1])
		if okh && okw {
			return []int{h, h, w, w}, nil
		}
		out := make([]int, 0, 4)
		for _, pair := range l {
			p, ok := pair.([]any)
			if !ok || len(p) != 2 {
				break
			}
			a, oka := num(p[0])
			b, okb := num(p[1])
			if !oka || !okb {
				break
			}
			out = append(out, a, b)
		}
		if len(out) == 4 {
			return out, nil
		}
	}
	return nil, fmt.Errorf("padding %s; want p, [h, w] or [[top, bottom], [left, right]]", c.Padding)
}

// node converts one Keras layer to an nn node (nil for a layer that passes
// its input through, such as Dropout) given its resolved inputs.
func (l *kerasLayer) node(c *layerConfig, inputs []string) (*nn.Node, error) {
	n := &nn.Node{Name: l.Name, Inputs: inputs}
	var err error
	switch l.ClassName {
	case "InputLayer":
		shape := c.BatchInputShape
		if shape == nil {
			shape = c.BatchShape
		}
		if len(shape) != 4 || shape[3] == nil {
			return nil, fmt.Errorf("input shape %v; want [batch, height, width, channels]", shape)
		}
		n.Op, n.Channels = nn.OpInput, *shape[3]
		if shape[1] != nil && shape[2] != nil {
			n.Height, n.Width = *shape[1], *shape[2]
		}
	case "Conv2D":
		n.Op, n.Channels, n.Bias, n.Groups = nn.OpConv, c.Filters, orTrue(c.UseBias), c.Groups
		if n.Groups == 1 {
			n.Groups = 0
		}
		if err = c.window(n, c.KernelSize); err == nil {
			n.Activation, err = fusedActivation(c.Activation)
		}
	case "DepthwiseConv2D":
		n.Op, n.Multiplier, n.Bias = nn.OpDepthwise, c.DepthMultiplier, orTrue(c.UseBias)
		if n.Multiplier == 1 {
			n.Multiplier = 0
		}
		if err = c.window(n, c.KernelSize); err == nil {
			n.Activation, err = fusedActivation(c.Activation)
		}
	case "MaxPooling2D", "AveragePooling2D":
		n.Op = nn.OpMaxPool
		if l.ClassName == "AveragePooling2D" {
			n.Op = nn.OpAvgPool
		}
		err = c.window(n, c.PoolSize)
	case "GlobalAveragePooling2D":
		n.Op = nn.OpGlobalAvgPool
		if err = c.channelsLast(); err == nil && c.KeepDims {
			err = fmt.Errorf("keepdims true is not supported")
		}
	case "BatchNormalization":
		n.Op, n.Epsilon = nn.OpBatchNorm, c.Epsilon
		err = c.lastAxis()
	case "ReLU":
		n.Op = nn.OpReLU
		if c.NegativeSlope != 0 || c.Threshold != 0 {
			err = fmt.Errorf("negative_slope %v, threshold %v; only 0 is supported", c.NegativeSlope, c.Threshold)
		}
		if c.MaxValue != nil {
			if *c.MaxValue <= 0 {
				err = fmt.Errorf("max_value %v; want a positive cap or none", *c.MaxValue)
			}
			n.MaxValue = *c.MaxValue
		}
	case "Activation":
		switch c.Activation {
		case "linear":
			return nil, nil
		case "relu":
			n.Op = nn.OpReLU
		case "relu6":
			n.Op, n.MaxValue = nn.OpReLU, 6
		case "softmax":
			n.Op = nn.OpSoftmax
		default:
			err = fmt.Errorf("activation %q is not supported (want linear, relu, relu6 or softmax)", c.Activation)
		}
	case "Softmax":
		n.Op = nn.OpSoftmax
		err = c.lastAxis()
	case "ZeroPadding2D":
		n.Op = nn.OpZeroPad
		if err = c.channelsLast(); err == nil {
			n.Pad, err = c.zeroPad()
		}
	case "Add":
		n.Op = nn.OpAdd
	case "Concatenate":
		n.Op = nn.OpConcat
		err = c.lastAxis()
	case "Flatten":
		n.Op = nn.OpFlatten
		err = c.channelsLast()
	case "Dense":
		n.Op, n.Channels, n.Bias = nn.OpDense, c.Units, orTrue(c.UseBias)
		n.Activation, err = fusedActivation(c.Activation)
	case "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout":
		return nil, nil // identity at inference
	default:
		return nil, fmt.Errorf("layer class %q is not supported", l.ClassName)
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

// checkName rejects layer names that cannot be nn node names.
func checkName(name string) error {
	if name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("layer name %q is empty or contains '/' (nn weights are named node/param)", name)
	}
	return nil
}

// orTrue reads an optional Keras flag whose default is true.
func orTrue(b *bool) bool { return b == nil || *b }
