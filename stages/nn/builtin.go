package nn

import (
	"fmt"
	"sort"
)

// builtins are the architectures eigenlab defines itself, by name; each
// takes the number of image channels.
var builtins = map[string]func(inChannels int) *Arch{
	"convnet6":     convnet6,
	"resnet-small": resnetSmall,
}

// Builtins lists the built-in architecture names, sorted.
func Builtins() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Builtin returns the named built-in architecture for images with
// inChannels channels.
func Builtin(name string, inChannels int) (*Arch, error) {
	f, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("unknown architecture %q; want one of %v", name, Builtins())
	}
	if inChannels < 1 {
		return nil, fmt.Errorf("in_channels %d; want ≥ 1", inChannels)
	}
	return f(inChannels), nil
}

func input(c int) Node { return Node{Name: "input", Op: OpInput, Channels: c} }

func conv3(name, in string, c, stride int, act string, bias bool) Node {
	return Node{Name: name, Op: OpConv, Inputs: []string{in}, Channels: c, Kernel: []int{3, 3},
		Stride: []int{stride, stride}, Padding: "same", Bias: bias, Activation: act}
}

// convnet6 is a small VGG-like network for 64×64 images on a laptop:
// conv1…conv6 (3×3, same padding, bias, fused ReLU, so each convN output is
// post-ReLU) with 32, 32, 64, 64, 128, 128 channels, and 2×2 max pooling
// (pool1, pool2) after conv2 and conv4. About 0.31 GFLOP per 64×64 image.
func convnet6(in int) *Arch {
	a := &Arch{Format: Format, Name: "convnet6", Nodes: []Node{input(in)}}
	prev := "input"
	for i, c := range []int{32, 32, 64, 64, 128, 128} {
		name := fmt.Sprintf("conv%d", i+1)
		a.Nodes = append(a.Nodes, conv3(name, prev, c, 1, ActReLU, true))
		prev = name
		if i == 1 || i == 3 {
			p := fmt.Sprintf("pool%d", i/2+1)
			a.Nodes = append(a.Nodes, Node{Name: p, Op: OpMaxPool, Inputs: []string{prev},
				Kernel: []int{2, 2}, Stride: []int{2, 2}, Padding: "valid"})
			prev = p
		}
	}
	return a
}

// resnetSmall is a CIFAR-style ResNet: a 3×3 stem (16 channels, BN, ReLU),
// three stages of two basic blocks with 16, 32 and 64 channels (the first
// block of stages 2 and 3 halves the resolution and projects its shortcut
// with a 1×1 conv + BN), and global average pooling ("pool"). Block k's
// output, after the addition and ReLU, is the node "blockk".
func resnetSmall(in int) *Arch {
	a := &Arch{Format: Format, Name: "resnet-small", Nodes: []Node{input(in),
		conv3("stem", "input", 16, 1, ActNone, false), bn("stem_bn", "stem"), reluNode("stem_relu", "stem_bn")}}
	prev, width, block := "stem_relu", 16, 0
	for _, c := range []int{16, 32, 64} {
		for j := 0; j < 2; j++ {
			block++
			stride := 1
			if j == 0 && c != width {
				stride = 2
			}
			a.Nodes = append(a.Nodes, basicBlock(fmt.Sprintf("block%d", block), prev, c, stride, c != width)...)
			prev, width = fmt.Sprintf("block%d", block), c
		}
	}
	a.Nodes = append(a.Nodes, Node{Name: "pool", Op: OpGlobalAvgPool, Inputs: []string{prev}})
	return a
}

// basicBlock is relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)), the
// shortcut a 1×1 projection with BN when project.
func basicBlock(name, in string, c, stride int, project bool) []Node {
	nodes := []Node{
		conv3(name+"_conv1", in, c, stride, ActNone, false), bn(name+"_bn1", name+"_conv1"), reluNode(name+"_relu1", name+"_bn1"),
		conv3(name+"_conv2", name+"_relu1", c, 1, ActNone, false), bn(name+"_bn2", name+"_conv2"),
	}
	short := in
	if project {
		short = name + "_proj_bn"
		nodes = append(nodes, Node{Name: name + "_proj", Op: OpConv, Inputs: []string{in}, Channels: c,
			Kernel: []int{1, 1}, Stride: []int{stride, stride}, Padding: "valid"}, bn(short, name+"_proj"))
	}
	return append(nodes, Node{Name: name + "_add", Op: OpAdd, Inputs: []string{name + "_bn2", short}},
		reluNode(name, name+"_add"))
}

func bn(name, in string) Node {
	return Node{Name: name, Op: OpBatchNorm, Inputs: []string{in}, Epsilon: 1e-5}
}

// reluNode is a plain (uncapped) ReLU node.
func reluNode(name, in string) Node { return Node{Name: name, Op: OpReLU, Inputs: []string{in}} }
