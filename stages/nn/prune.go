package nn

import (
	"fmt"
	"slices"
)

// Prune returns the part of the graph that the named nodes depend on (the
// nodes and all their ancestors, in the original order), so that a forward
// pass computes, and a model needs weights for, only what is asked for.
//
// A network is size-agnostic up to its first flatten: convolutions and
// pooling accept any image size, and only flatten ties a dense layer's
// weights to one. So when the pruned graph has no flatten, its input
// accepts any image size, whatever size the full network was built for
// (MobileNetV2's backbone runs on 96×96 patches; its 224×224 head does
// not). Errors name the nodes that do not exist.
func (a *Arch) Prune(names []string) (*Arch, error) {
	keep := make([]bool, len(a.Nodes))
	var stack []int
	for _, name := range names {
		i := a.Index(name)
		if i < 0 {
			return nil, fmt.Errorf("arch %q has no node %q", a.Name, name)
		}
		stack = append(stack, i)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if keep[i] {
			continue
		}
		keep[i] = true
		for _, in := range a.Nodes[i].Inputs {
			if j := a.Index(in); j >= 0 {
				stack = append(stack, j)
			}
		}
	}
	out := &Arch{Format: a.Format, Name: a.Name}
	for i, n := range a.Nodes {
		if keep[i] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	if !slices.ContainsFunc(out.Nodes, func(n Node) bool { return n.Op == OpFlatten }) {
		for i := range out.Nodes {
			if out.Nodes[i].Op == OpInput {
				out.Nodes[i].Height, out.Nodes[i].Width = 0, 0
			}
		}
	}
	return out, nil
}
