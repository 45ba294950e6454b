package nn

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Tensor is a weight: its shape and its values in C order.
type Tensor struct {
	Shape []int
	Data  []float64
}

// Net is an Arch bound to its weights and an input size, ready to run.
// It is read-only once compiled, so goroutines may share it.
type Net struct {
	arch    *Arch
	shapes  []Shape
	inputs  [][]int // node → indices of its inputs
	kernels []kernel
	input   int // index of the input node
}

// Compile checks the weights against the graph for h×w images (0 takes
// the size fixed by the input node) and prepares the forward pass.
func Compile(a *Arch, weights map[string]Tensor, h, w int) (*Net, error) {
	shapes, err := a.Infer(h, w)
	if err != nil {
		return nil, err
	}
	for i, s := range shapes {
		if s.Size() == 0 {
			return nil, fmt.Errorf("arch %q: node %q has shape %v: the image size is unknown or too small", a.Name, a.Nodes[i].Name, s)
		}
	}
	if err := checkWeights(a, weights, a.WeightShapes(shapes)); err != nil {
		return nil, err
	}
	n := &Net{arch: a, shapes: shapes, inputs: make([][]int, len(a.Nodes)), kernels: make([]kernel, len(a.Nodes))}
	for i := range a.Nodes {
		node := &a.Nodes[i]
		ins := make([]Shape, len(node.Inputs))
		for j, name := range node.Inputs {
			n.inputs[i] = append(n.inputs[i], a.Index(name))
			ins[j] = shapes[n.inputs[i][j]]
		}
		if node.Op == OpInput {
			n.input = i
			continue
		}
		n.kernels[i] = newKernel(node, ins, shapes[i], weights)
	}
	return n, nil
}

// checkWeights requires exactly the expected weights with their shapes.
func checkWeights(a *Arch, got map[string]Tensor, want map[string][]int) error {
	for _, name := range sortedKeys(want) {
		t, ok := got[name]
		if !ok {
			return fmt.Errorf("arch %q: weight %q is missing (want shape %v)", a.Name, name, want[name])
		}
		if !slices.Equal(t.Shape, want[name]) || len(t.Data) != Shape(t.Shape).Size() {
			return fmt.Errorf("arch %q: weight %q has shape %v with %d values, want %v", a.Name, name, t.Shape, len(t.Data), want[name])
		}
		for i, v := range t.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("arch %q: weight %q element %d is %v; weights must be finite", a.Name, name, i, v)
			}
		}
	}
	for _, name := range sortedKeys(got) {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("arch %q: weight %q belongs to no node of the graph", a.Name, name)
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// newKernel builds the computation of one (non-input) node.
func newKernel(n *Node, ins []Shape, out Shape, ws map[string]Tensor) kernel {
	in := ins[0]
	bias := ws[n.Name+"/bias"].Data
	switch n.Op {
	case OpConv:
		return &conv{window: newWindow(n, in, out), groups: n.groups(), weight: ws[n.Name+"/kernel"].Data, bias: bias, act: n.Activation}
	case OpDepthwise:
		return &depthwise{window: newWindow(n, in, out), mult: n.multiplier(), weight: ws[n.Name+"/kernel"].Data, bias: bias, act: n.Activation}
	case OpMaxPool, OpAvgPool:
		return &pool{window: newWindow(n, in, out), max: n.Op == OpMaxPool}
	case OpBatchNorm:
		scale, shift := make([]float64, in[0]), make([]float64, in[0])
		for c := range scale {
			scale[c] = ws[n.Name+"/gamma"].Data[c] / math.Sqrt(ws[n.Name+"/var"].Data[c]+n.Epsilon)
			shift[c] = ws[n.Name+"/beta"].Data[c] - ws[n.Name+"/mean"].Data[c]*scale[c]
		}
		return batchNorm(scale, shift, in.Size()/in[0])
	case OpReLU:
		return reluKernel(n.MaxValue)
	case OpSoftmax:
		return softmaxKernel(in[0], in.Size()/in[0])
	case OpDense:
		return dense(ws[n.Name+"/kernel"].Data, bias, out[0], in[0], n.Activation)
	case OpAdd:
		return kernelFunc(add)
	case OpConcat:
		return kernelFunc(concat)
	case OpFlatten:
		return kernelFunc(flatten)
	case OpGlobalAvgPool:
		return globalAvgPool(in.Size() / in[0])
	case OpZeroPad:
		return zeroPad(in, out, n.Pad)
	}
	panic("nn: no kernel for op " + n.Op) // Infer has rejected unknown ops
}

// Arch returns the graph the net runs.
func (n *Net) Arch() *Arch { return n.arch }

// Shape returns the per-image output shape of the named node.
func (n *Net) Shape(name string) (Shape, error) {
	i := n.arch.Index(name)
	if i < 0 {
		return nil, n.unknown(name)
	}
	return n.shapes[i], nil
}

func (n *Net) unknown(name string) error {
	return fmt.Errorf("model %q has no layer %q; available: %v", n.arch.Name, name, n.arch.Names())
}

// InputShape is the (C, H, W) shape of one image.
func (n *Net) InputShape() Shape { return n.shapes[n.input] }

// arena is one worker's memory: an output buffer per node and scratch,
// allocated once and reused for every image.
type arena struct {
	outs [][]float64
	sc   scratch
}

func (n *Net) newArena(needed []bool) *arena {
	a := &arena{outs: make([][]float64, len(n.shapes))}
	for i, s := range n.shapes {
		if needed[i] {
			a.outs[i] = make([]float64, s.Size())
		}
	}
	return a
}

// needed marks the nodes the named outputs depend on.
func (n *Net) needed(outs []int) []bool {
	need := make([]bool, len(n.shapes))
	for _, o := range outs {
		need[o] = true
	}
	for i := len(need) - 1; i >= 0; i-- {
		if need[i] {
			for _, j := range n.inputs[i] {
				need[j] = true
			}
		}
	}
	return need
}

// forward runs the needed nodes on the image already in the input buffer.
func (n *Net) forward(a *arena, needed []bool) {
	ins := make([][]float64, 0, 8)
	for i, k := range n.kernels {
		if k == nil || !needed[i] {
			continue
		}
		ins = ins[:0]
		for _, j := range n.inputs[i] {
			ins = append(ins, a.outs[j])
		}
		k.run(ins, a.outs[i], &a.sc)
	}
}
