package nn

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// Tensor is a weight: its shape and its values in C order.
type Tensor struct {
	Shape []int
	Data  []float64
}

// Net is an Arch bound to its weights and an input size, ready to run.
// It is read-only once compiled, so goroutines may share it.
type Net struct {
	arch   *Arch
	shapes []Shape
	inputs [][]int  // node → indices of its inputs
	params []params // node → its weights in float32
	input  int      // index of the input node
}

// params are a node's weights as the forward pass reads them: float32,
// and for a batch norm its per-channel y = x·scale + shift with
// scale = γ/√(var+ε) and shift = β − mean·scale computed in float64.
type params struct {
	weight, bias []float32
	scale, shift []float32
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
	n := &Net{arch: a, shapes: shapes, inputs: make([][]int, len(a.Nodes)), params: make([]params, len(a.Nodes))}
	for i := range a.Nodes {
		node := &a.Nodes[i]
		for _, name := range node.Inputs {
			n.inputs[i] = append(n.inputs[i], a.Index(name))
		}
		if node.Op == OpInput {
			n.input = i
		}
		p := &n.params[i]
		p.weight = float32s(weights[node.Name+"/kernel"].Data)
		p.bias = float32s(weights[node.Name+"/bias"].Data)
		if node.Op == OpBatchNorm {
			c := shapes[i][0]
			p.scale, p.shift = make([]float32, c), make([]float32, c)
			for ch := range c {
				scale := weights[node.Name+"/gamma"].Data[ch] / math.Sqrt(weights[node.Name+"/var"].Data[ch]+node.Epsilon)
				p.scale[ch] = float32(scale)
				p.shift[ch] = float32(weights[node.Name+"/beta"].Data[ch] - weights[node.Name+"/mean"].Data[ch]*scale)
			}
		}
	}
	return n, nil
}

// float32s rounds weights to float32 (nil stays nil).
func float32s(x []float64) []float32 {
	if x == nil {
		return nil
	}
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// checkWeights requires exactly the expected weights with their shapes.
func checkWeights(a *Arch, got map[string]Tensor, want map[string][]int) error {
	for _, name := range slices.Sorted(maps.Keys(want)) {
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
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			return fmt.Errorf("arch %q: weight %q belongs to no node of the graph", a.Name, name)
		}
	}
	return nil
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
