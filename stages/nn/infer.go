package nn

import (
	"fmt"
	"slices"
)

// infer checks a node's attributes against its op and returns its output
// shape from its input shapes.
func (n *Node) infer(ins []Shape, h, w int) (Shape, error) {
	if err := n.checkArity(len(ins)); err != nil {
		return nil, err
	}
	if err := n.checkActivation(); err != nil {
		return nil, err
	}
	switch n.Op {
	case OpInput:
		return n.inferInput(h, w)

	case OpConv, OpDepthwise, OpMaxPool, OpAvgPool:
		return n.inferWindow(ins[0])
	case OpBatchNorm:
		if n.Epsilon < 0 {
			return nil, fmt.Errorf("epsilon %v is negative", n.Epsilon)
		}
		return ins[0], nil
	case OpReLU, OpSoftmax:
		return ins[0], nil
	case OpGlobalAvgPool, OpFlatten:
		if !ins[0].Spatial() {
			return nil, fmt.Errorf("input %q is %v; want a (C,H,W) tensor", n.Inputs[0], ins[0])
		}
		if n.Op == OpGlobalAvgPool {
			return Shape{ins[0][0]}, nil
		}
		return Shape{ins[0].Size()}, nil
	case OpDense:
		if n.Channels < 1 {
			return nil, fmt.Errorf("channels (units) %d; want ≥ 1", n.Channels)
		}
		if len(ins[0]) != 1 {
			return nil, fmt.Errorf("input %q is %v; want a flat (D) tensor (add a flatten or global_avg_pool node)", n.Inputs[0], ins[0])
		}
		return Shape{n.Channels}, nil
	case OpAdd:
		for i, s := range ins[1:] {
			if !slices.Equal(s, ins[0]) {
				return nil, fmt.Errorf("input %q is %v but %q is %v; add needs equal shapes", n.Inputs[i+1], s, n.Inputs[0], ins[0])
			}
		}
		return ins[0], nil
	case OpConcat:
		return n.inferConcat(ins)
	case OpZeroPad:
		return n.inferZeroPad(ins[0])
	}
	return nil, fmt.Errorf("unknown op %q", n.Op)
}

func (n *Node) checkArity(got int) error {
	want := 1
	switch n.Op {
	case OpInput:
		want = 0
	case OpAdd:
		if got < 2 {
			return fmt.Errorf("%d inputs; add needs at least 2", got)
		}
		return nil
	case OpConcat:
		if got < 1 {
			return fmt.Errorf("no inputs; concat needs at least 1")
		}
		return nil
	}
	if got != want {
		return fmt.Errorf("%d inputs; want %d", got, want)
	}
	return nil
}

func (n *Node) checkActivation() error {
	switch n.Activation {
	case ActNone:
		return nil
	case ActReLU, ActReLU6, ActSoftmax:
		if n.Op == OpConv || n.Op == OpDepthwise || n.Op == OpDense {
			return nil
		}
		return fmt.Errorf("activation %q is only allowed on conv2d, depthwise_conv2d and dense", n.Activation)
	}
	return fmt.Errorf("activation %q; want none, relu, relu6 or softmax", n.Activation)
}

func (n *Node) inferInput(h, w int) (Shape, error) {
	if n.Channels < 1 || n.Height < 0 || n.Width < 0 {
		return nil, fmt.Errorf("channels %d, height %d, width %d; want channels ≥ 1 and sizes ≥ 0", n.Channels, n.Height, n.Width)
	}
	if (n.Height > 0 && h > 0 && n.Height != h) || (n.Width > 0 && w > 0 && n.Width != w) {
		return nil, fmt.Errorf("images are %d×%d but the model takes %d×%d", h, w, n.Height, n.Width)
	}
	if n.Height > 0 {
		h = n.Height
	}
	if n.Width > 0 {
		w = n.Width
	}
	return Shape{n.Channels, h, w}, nil
}

// inferWindow handles the sliding-window ops: convolutions and pooling.
func (n *Node) inferWindow(in Shape) (Shape, error) {
	if !in.Spatial() {
		return nil, fmt.Errorf("input %q is %v; want a (C,H,W) tensor", n.Inputs[0], in)
	}
	if len(n.Kernel) != 2 || len(n.Stride) != 2 || min(n.Kernel[0], n.Kernel[1], n.Stride[0], n.Stride[1]) < 1 {
		return nil, fmt.Errorf("kernel %v, stride %v; want two positive sizes each", n.Kernel, n.Stride)
	}
	oh, err := windowOut(in[1], n.Kernel[0], n.Stride[0], n.Padding)
	if err != nil {
		return nil, fmt.Errorf("height: %w", err)
	}
	ow, err := windowOut(in[2], n.Kernel[1], n.Stride[1], n.Padding)
	if err != nil {
		return nil, fmt.Errorf("width: %w", err)
	}
	c := in[0]
	switch n.Op {
	case OpConv:
		if n.Channels < 1 || in[0]%n.groups() != 0 || n.Channels%n.groups() != 0 {
			return nil, fmt.Errorf("channels %d, groups %d, %d input channels; want groups dividing both channel counts", n.Channels, n.groups(), in[0])
		}
		c = n.Channels
	case OpDepthwise:
		c = in[0] * n.multiplier()
	}
	return Shape{c, oh, ow}, nil
}

// windowOut is the output size of a sliding window along one axis
// (0 when the input size is unknown).
func windowOut(size, k, s int, padding string) (int, error) {
	switch padding {
	case "same":
		return (size + s - 1) / s, nil
	case "valid":
		if size == 0 {
			return 0, nil
		}
		if size < k {
			return 0, fmt.Errorf("size %d is smaller than the kernel %d with valid padding", size, k)
		}
		return (size-k)/s + 1, nil
	}
	return 0, fmt.Errorf("padding %q; want valid or same", padding)
}

// samePad returns the (before, after) padding of TensorFlow's "same" rule.
func samePad(size, k, s int) (int, int) {
	out := (size + s - 1) / s
	total := max((out-1)*s+k-size, 0)
	return total / 2, total - total/2
}

func (n *Node) inferConcat(ins []Shape) (Shape, error) {
	out := slices.Clone(ins[0])
	for i, s := range ins[1:] {
		if len(s) != len(out) || !slices.Equal(s[1:], out[1:]) {
			return nil, fmt.Errorf("input %q is %v but %q is %v; concat needs equal spatial sizes", n.Inputs[i+1], s, n.Inputs[0], ins[0])
		}
		out[0] += s[0]
	}
	return out, nil
}

func (n *Node) inferZeroPad(in Shape) (Shape, error) {
	if !in.Spatial() {
		return nil, fmt.Errorf("input %q is %v; want a (C,H,W) tensor", n.Inputs[0], in)
	}
	if len(n.Pad) != 4 || min(n.Pad[0], n.Pad[1], n.Pad[2], n.Pad[3]) < 0 {
		return nil, fmt.Errorf("pad %v; want [top, bottom, left, right], each ≥ 0", n.Pad)
	}
	out := Shape{in[0], 0, 0}
	if in[1] > 0 {
		out[1] = in[1] + n.Pad[0] + n.Pad[1]
	}
	if in[2] > 0 {
		out[2] = in[2] + n.Pad[2] + n.Pad[3]
	}
	return out, nil
}
