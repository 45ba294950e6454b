package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// Arch returns the model as a stages/nn graph named name, so a trained
// model is an ordinary model artifact that extract and the spectral stages
// read: an input node (C, H, W) — an MLP's too when its InShape is an
// image shape, so extract runs it on N×C×H×W images — or (D, 1, 1) for
// feature vectors; each
// convolution a conv2d node with fused ReLU followed by a max_pool2d
// node; a flatten; dense nodes with fused ReLU and the final dense node
// without activation. Node names are those of the parameters
// (conv<i>, dense<i>), plus pool<i> and flatten, so Weights fits it.
func (m *Model[T]) Arch(name string) nn.Arch {
	in := nn.Node{Name: "input", Op: nn.OpInput, Channels: m.InShape[0], Height: 1, Width: 1}
	if len(m.InShape) == 3 {
		in.Height, in.Width = m.InShape[1], m.InShape[2]
	}
	nodes, prev := []nn.Node{in}, "input"
	add := func(n nn.Node) {
		n.Inputs = []string{prev}
		nodes, prev = append(nodes, n), n.Name
	}
	convs, flat := 0, false
	for i, l := range m.layers {
		switch l := l.(type) {
		case *conv[T]:
			add(nn.Node{Name: fmt.Sprintf("conv%d", convs), Op: nn.OpConv, Channels: l.oc, Kernel: []int{l.k, l.k},
				Stride: []int{1, 1}, Padding: "valid", Bias: true, Activation: nn.ActReLU})
		case *reluPool[T]:
			add(nn.Node{Name: fmt.Sprintf("pool%d", convs), Op: nn.OpMaxPool, Kernel: []int{2, 2}, Stride: []int{2, 2}, Padding: "valid"})
			convs++
		case *dense[T]:
			if !flat {
				add(nn.Node{Name: "flatten", Op: nn.OpFlatten})
				flat = true
			}
			act := nn.ActNone
			if i+1 < len(m.layers) {
				act = nn.ActReLU // every dense layer but the last is followed by its ReLU
			}
			add(nn.Node{Name: layerName(l.w), Op: nn.OpDense, Channels: l.out, Bias: true, Activation: act})
		}
	}
	return nn.Arch{Format: nn.Format, Name: name, Nodes: nodes}
}

// Weights returns copies of the parameters by name, in the layouts of
// nn.Node (which are PyTorch's, as here).
func (m *Model[T]) Weights() map[string]nn.Tensor {
	ws := map[string]nn.Tensor{}
	for _, p := range m.Params() {
		ws[p.Name] = nn.Tensor{Shape: append([]int(nil), p.Shape...), Data: convert[float64](p.Value)}
	}
	return ws
}

// HiddenLayer names the node of Arch whose output is the regularised
// hidden layer (the dense node whose fused ReLU it is).
func (m *Model[T]) HiddenLayer() string {
	return layerName(m.layers[m.Hidden-1].params()[0])
}

// layerName is the node a parameter belongs to.
func layerName[T Float](p *Param[T]) string {
	return strings.TrimSuffix(strings.TrimSuffix(p.Name, "/kernel"), "/bias")
}

// FromArch is the reverse of Arch and Weights: it rebuilds the trainable
// model whose Arch is a and loads its weights from ws (copied). The graphs
// it accepts are exactly those Arch writes: an input, then any number of
// (3×3 valid stride-1 conv2d with bias and ReLU, 2×2 stride-2 valid
// max_pool2d) pairs, a flatten, dense nodes with bias and ReLU, and a last
// dense node with bias and no activation, each node fed by the one before.
// Anything else (batch norm, padding, residual adds: the built-in
// convnet6 and resnet-small) is refused with an error naming the arch and
// the node, since package train has no gradient for it.
func FromArch[T Float](a *nn.Arch, ws map[string]nn.Tensor) (*Model[T], error) {
	p, err := parseArch(a)
	if err != nil {
		return nil, fmt.Errorf("arch %q is not trainable: %w", a.Name, err)
	}
	// Without convolutions on an image shape, NewCNN builds the MLP that
	// flattens (C, H, W), the model Arch wrote.
	var m *Model[T]
	if p.convs == nil && p.h == 1 && p.w == 1 {
		m = NewMLP[T](p.c, p.hidden, p.classes)
	} else if m, err = NewCNN[T](p.c, p.h, p.w, p.convs, p.hidden, p.classes); err != nil {
		return nil, fmt.Errorf("arch %q: %w", a.Name, err)
	}
	for _, par := range m.Params() {
		t, ok := ws[par.Name]
		if !ok {
			return nil, fmt.Errorf("arch %q: weight %q is missing", a.Name, par.Name)
		}
		if !slices.Equal(t.Shape, par.Shape) || len(t.Data) != len(par.Value) {
			return nil, fmt.Errorf("arch %q: weight %q has shape %v, want %v", a.Name, par.Name, t.Shape, par.Shape)
		}
		for i, v := range t.Data {
			par.Value[i] = T(v)
		}
	}
	return m, nil
}

// archParts is a trainable graph's shape: input (c, h, w), conv channels,
// hidden dense widths and classes.
type archParts struct {
	c, h, w       int
	convs, hidden []int
	classes       int
}

// parseArch checks that a is a graph Arch writes and returns its parts.
func parseArch(a *nn.Arch) (archParts, error) {
	var p archParts
	nodes := a.Nodes
	if len(nodes) < 3 || nodes[0].Op != nn.OpInput {
		return p, fmt.Errorf("want input, [conv2d, max_pool2d]…, flatten, dense…; got %d nodes", len(nodes))
	}
	in := nodes[0]
	p.c, p.h, p.w = in.Channels, in.Height, in.Width
	if p.h == 0 || p.w == 0 {
		return p, fmt.Errorf("input node %q has no fixed height and width", in.Name)
	}
	i := 1
	for ; i+1 < len(nodes) && nodes[i].Op == nn.OpConv; i += 2 {
		c, pool := nodes[i], nodes[i+1]
		if !isConv3(c) || !isPool2(pool) {
			return p, fmt.Errorf("nodes %q, %q: want a 3×3 valid stride-1 conv2d with bias and ReLU then a 2×2 stride-2 valid max_pool2d", c.Name, pool.Name)
		}
		p.convs = append(p.convs, c.Channels)
	}
	if i == len(nodes) || nodes[i].Op != nn.OpFlatten {
		if i == len(nodes) {
			i--
		}
		return p, fmt.Errorf("node %q is %s; want flatten after the convolutions", nodes[i].Name, nodes[i].Op)
	}
	for i++; i < len(nodes); i++ {
		n, last := nodes[i], i == len(nodes)-1
		want := nn.ActReLU
		if last {
			want = nn.ActNone
		}
		if n.Op != nn.OpDense || !n.Bias || n.Activation != want {
			return p, fmt.Errorf("node %q (%s): want a dense node with bias and activation %q", n.Name, n.Op, want)
		}
		if last {
			p.classes = n.Channels
		} else {
			p.hidden = append(p.hidden, n.Channels)
		}
	}
	if p.classes == 0 {
		return p, fmt.Errorf("no output dense node")
	}
	for k := 1; k < len(nodes); k++ {
		if len(nodes[k].Inputs) != 1 || nodes[k].Inputs[0] != nodes[k-1].Name {
			return p, fmt.Errorf("node %q: want it fed by %q alone (a chain)", nodes[k].Name, nodes[k-1].Name)
		}
	}
	return p, nil
}

func isConv3(n nn.Node) bool {
	return n.Op == nn.OpConv && slices.Equal(n.Kernel, []int{3, 3}) && slices.Equal(n.Stride, []int{1, 1}) &&
		n.Padding == "valid" && n.Groups <= 1 && n.Bias && n.Activation == nn.ActReLU
}

func isPool2(n nn.Node) bool {
	return n.Op == nn.OpMaxPool && slices.Equal(n.Kernel, []int{2, 2}) && slices.Equal(n.Stride, []int{2, 2}) && n.Padding == "valid"
}
