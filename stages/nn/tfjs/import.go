// Package tfjs imports Keras layers models saved for TensorFlow.js (a
// model.json topology and weight shards, or nsfwjs's browserify bundles of
// the same) as an nn graph with float32 weights in nn's layouts.
//
// Supported Keras layers: InputLayer, Conv2D, DepthwiseConv2D,
// BatchNormalization, ReLU (max_value, no slope or threshold), Activation
// (linear, relu, relu6, softmax), Softmax, ZeroPadding2D, Add, Concatenate
// (channel axis), MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
// Flatten, Dense, and the identity-at-inference Dropout family. All must be
// channels_last, undilated, and called once. Anything else is an error that
// names the layer. Each Keras layer becomes the nn node of the same name
// (Dropout and linear Activation layers become aliases of their input), so
// the names experiments extract are the Keras layer names.
//
// Weights are dequantised exactly as tfjs-core does (see decodeWeight) and
// kept in float32, the precision tfjs computes in; converting them to the
// nn layouts only moves values.
package tfjs

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/eigenlab/eigenlab/stages/nn"
)

// Model is an imported network: its graph and its weights by nn name
// ("<node>/<param>", layouts as documented on nn.Node).
type Model struct {
	Arch    nn.Arch
	Weights map[string]Weight
}

// Load imports the tfjs layers model in dir and names its graph name.
func Load(dir, name string) (*Model, error) {
	mf, path, err := readModelFile(dir)
	if err != nil {
		return nil, err
	}
	km, err := topologyModel(mf.ModelTopology)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	raw, err := decodeWeights(dir, mf.WeightsManifest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	m, err := convert(km, raw, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// convert builds the nn graph layer by layer, then moves each layer's
// Keras weights into nn layout; every weight of the manifest must be used.
func convert(km *kerasModel, raw map[string]Weight, name string) (*Model, error) {
	a := nn.Arch{Format: nn.Format, Name: name}
	alias := map[string]string{} // Keras layer → nn node computing its output
	configs := map[string]*layerConfig{}
	for _, l := range km.Config.Layers {
		if err := checkName(l.Name); err != nil {
			return nil, err
		}
		if _, dup := alias[l.Name]; dup {
			return nil, fmt.Errorf("layer %q is defined twice", l.Name)
		}
		fail := func(err error) error {
			return fmt.Errorf("layer %q (%s): %w", l.Name, l.ClassName, err)
		}
		ins, err := l.inbound()
		if err != nil {
			return nil, fail(err)
		}
		for i, in := range ins {
			node, ok := alias[in]
			if !ok {
				return nil, fail(fmt.Errorf("reads %q, which is not an earlier layer", in))
			}
			ins[i] = node
		}
		c := new(layerConfig)
		if err := json.Unmarshal(l.Config, c); err != nil {
			return nil, fail(fmt.Errorf("config: %w", err))
		}
		n, err := l.node(c, ins)
		if err != nil {
			return nil, fail(err)
		}
		if n == nil {
			if len(ins) != 1 {
				return nil, fail(fmt.Errorf("%d inputs; an identity layer takes 1", len(ins)))
			}
			alias[l.Name] = ins[0]
			continue
		}
		alias[l.Name], configs[l.Name] = l.Name, c
		a.Nodes = append(a.Nodes, *n)
	}
	shapes, err := a.Infer(0, 0)
	if err != nil {
		return nil, err
	}
	m := &Model{Arch: a, Weights: map[string]Weight{}}
	for i := range a.Nodes {
		if err := m.convertWeights(&a.Nodes[i], configs[a.Nodes[i].Name], shapes, raw); err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", a.Nodes[i].Name, a.Nodes[i].Op, err)
		}
	}
	if len(raw) > 0 {
		left := make([]string, 0, len(raw))
		for k := range raw {
			left = append(left, k)
		}
		sort.Strings(left)
		return nil, fmt.Errorf("weights %v belong to no supported layer", left)
	}
	return m, nil
}

// take removes and returns the Keras weight layer/param with the given
// shape.
func take(raw map[string]Weight, layer, param string, shape ...int) ([]float32, error) {
	w, ok := raw[layer+"/"+param]
	if !ok {
		return nil, fmt.Errorf("weight %s/%s is missing from the manifest", layer, param)
	}
	if len(w.Shape) != len(shape) {
		return nil, fmt.Errorf("weight %s/%s has shape %v, want %v", layer, param, w.Shape, shape)
	}
	for i := range shape {
		if w.Shape[i] != shape[i] {
			return nil, fmt.Errorf("weight %s/%s has shape %v, want %v", layer, param, w.Shape, shape)
		}
	}
	delete(raw, layer+"/"+param)
	return w.Data, nil
}

// convertWeights moves one node's Keras weights into nn layout.
func (m *Model) convertWeights(n *nn.Node, c *layerConfig, shapes []nn.Shape, raw map[string]Weight) error {
	var in nn.Shape
	if len(n.Inputs) > 0 {
		in = shapes[m.Arch.Index(n.Inputs[0])]
	}
	out := shapes[m.Arch.Index(n.Name)]
	set := func(param string, data []float32, shape ...int) {
		m.Weights[n.Name+"/"+param] = Weight{Shape: shape, Data: data}
	}
	switch n.Op {
	case nn.OpConv:
		kh, kw, cin, cout := n.Kernel[0], n.Kernel[1], in[0]/max(n.Groups, 1), out[0]
		k, err := take(raw, n.Name, "kernel", kh, kw, cin, cout)
		if err != nil {
			return err
		}
		set("kernel", permute(k, []int{kh, kw, cin, cout}, []int{3, 2, 0, 1}), cout, cin, kh, kw)
	case nn.OpDepthwise:
		kh, kw, cin, mult := n.Kernel[0], n.Kernel[1], in[0], max(n.Multiplier, 1)
		k, err := take(raw, n.Name, "depthwise_kernel", kh, kw, cin, mult)
		if err != nil {
			return err
		}
		// (kh,kw,Cin,M) → (Cin·M, 1, kh, kw): output channel c·M+m.
		set("kernel", permute(k, []int{kh, kw, cin * mult}, []int{2, 0, 1}), cin*mult, 1, kh, kw)
	case nn.OpDense:
		din, units := in[0], out[0]
		k, err := take(raw, n.Name, "kernel", din, units)
		if err != nil {
			return err
		}
		set("kernel", m.denseKernel(n, k, din, units, shapes), units, din)
	case nn.OpBatchNorm:
		ch := in[0]
		for _, p := range []struct {
			keras, nn string
			present   bool
			fill      float32
		}{{"gamma", "gamma", orTrue(c.Scale), 1}, {"beta", "beta", orTrue(c.Center), 0},
			{"moving_mean", "mean", true, 0}, {"moving_variance", "var", true, 0}} {
			if !p.present {
				v := make([]float32, ch)
				for i := range v {
					v[i] = p.fill
				}
				set(p.nn, v, ch)
				continue
			}
			v, err := take(raw, n.Name, p.keras, ch)
			if err != nil {
				return err
			}
			set(p.nn, v, ch)
		}
	}
	if n.Bias {
		b, err := take(raw, n.Name, "bias", out[0])
		if err != nil {
			return err
		}
		set("bias", b, out[0])
	}
	return nil
}

// denseKernel transposes a Keras Dense kernel (D, units) to (units, D).
// When the Dense reads a Flatten of a (C,H,W) tensor, Keras flattened in
// (H,W,C) order and nn in (C,H,W) order, so the input index is permuted too.
func (m *Model) denseKernel(n *nn.Node, k []float32, din, units int, shapes []nn.Shape) []float32 {
	src := m.Arch.Nodes[m.Arch.Index(n.Inputs[0])]
	if src.Op == nn.OpFlatten {
		if s := shapes[m.Arch.Index(src.Inputs[0])]; s.Spatial() && s[1]*s[2] > 1 {
			// Keras rows (h, w, c) → nn rows (c, h, w), then the transpose.
			return permute(k, []int{s[1], s[2], s[0], units}, []int{3, 2, 0, 1})
		}
	}
	return permute(k, []int{din, units}, []int{1, 0})
}

// permute returns x (C order, shape dims) with its axes reordered: output
// axis i is input axis perm[i].
func permute(x []float32, dims, perm []int) []float32 {
	n := len(dims)
	stride := make([]int, n)
	s := 1
	for i := n - 1; i >= 0; i-- {
		stride[i] = s
		s *= dims[i]
	}
	outDims := make([]int, n)
	outStride := make([]int, n) // input stride of each output axis
	for i, p := range perm {
		outDims[i], outStride[i] = dims[p], stride[p]
	}
	out := make([]float32, len(x))
	idx := make([]int, n)
	src := 0
	for o := range out {
		out[o] = x[src]
		for ax := n - 1; ax >= 0; ax-- {
			idx[ax]++
			src += outStride[ax]
			if idx[ax] < outDims[ax] {
				break
			}
			src -= outStride[ax] * outDims[ax]
			idx[ax] = 0
		}
	}
	return out
}
