package train

import (
	"fmt"
	"strings"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// Arch returns the model as a stages/nn graph named name, so a trained
// model is an ordinary model artifact that extract and the spectral stages
// read: an input node (C, H, W), or (D, 1, 1) for feature vectors; each
// convolution a conv2d node with fused ReLU followed by a max_pool2d
// node; a flatten; dense nodes with fused ReLU and the final dense node
// without activation. Node names are those of the parameters
// (conv<i>, dense<i>), plus pool<i> and flatten, so Weights fits it.
func (m *Model) Arch(name string) nn.Arch {
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
		case *conv:
			add(nn.Node{Name: fmt.Sprintf("conv%d", convs), Op: nn.OpConv, Channels: l.oc, Kernel: []int{l.k, l.k},
				Stride: []int{1, 1}, Padding: "valid", Bias: true, Activation: nn.ActReLU})
		case *maxPool:
			add(nn.Node{Name: fmt.Sprintf("pool%d", convs), Op: nn.OpMaxPool, Kernel: []int{2, 2}, Stride: []int{2, 2}, Padding: "valid"})
			convs++
		case *dense:
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
func (m *Model) Weights() map[string]nn.Tensor {
	ws := map[string]nn.Tensor{}
	for _, p := range m.Params() {
		ws[p.Name] = nn.Tensor{Shape: append([]int(nil), p.Shape...), Data: append([]float64(nil), p.Value...)}
	}
	return ws
}

// HiddenLayer names the node of Arch whose output is the regularised
// hidden layer (the dense node whose fused ReLU it is).
func (m *Model) HiddenLayer() string {
	return layerName(m.layers[m.Hidden-1].params()[0])
}

// layerName is the node a parameter belongs to.
func layerName(p *Param) string {
	return strings.TrimSuffix(strings.TrimSuffix(p.Name, "/kernel"), "/bias")
}
