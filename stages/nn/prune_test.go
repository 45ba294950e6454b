package nn

import (
	"slices"
	"testing"
)

// pruneArch is input → a → b → flatten → dense, with c a side branch off a.
func pruneArch() *Arch {
	return &Arch{Format: Format, Name: "p", Nodes: []Node{
		{Name: "input", Op: OpInput, Channels: 3, Height: 8, Width: 8},
		{Name: "a", Op: OpConv, Inputs: []string{"input"}, Channels: 4, Kernel: []int{3, 3}, Stride: []int{1, 1}, Padding: "same"},
		{Name: "c", Op: OpReLU, Inputs: []string{"a"}},
		{Name: "b", Op: OpMaxPool, Inputs: []string{"a"}, Kernel: []int{2, 2}, Stride: []int{2, 2}, Padding: "valid"},
		{Name: "flat", Op: OpFlatten, Inputs: []string{"b"}},
		{Name: "dense", Op: OpDense, Inputs: []string{"flat"}, Channels: 2},
	}}
}

func TestPrune(t *testing.T) {
	for _, c := range []struct {
		keep    []string
		want    []string
		anySize bool
	}{
		{[]string{"b"}, []string{"input", "a", "b"}, true},
		{[]string{"c"}, []string{"input", "a", "c"}, true},
		{[]string{"c", "b"}, []string{"input", "a", "c", "b"}, true},
		{[]string{"dense"}, []string{"input", "a", "b", "flat", "dense"}, false},
		{[]string{"input"}, []string{"input"}, true},
	} {
		p, err := pruneArch().Prune(c.keep)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Names(); !slices.Equal(got, c.want) {
			t.Errorf("Prune(%v) keeps %v, want %v", c.keep, got, c.want)
		}
		in, _ := p.Input()
		if got := in.Height == 0 && in.Width == 0; got != c.anySize {
			t.Errorf("Prune(%v): input takes any size = %v, want %v", c.keep, got, c.anySize)
		}
		if _, err := p.Infer(16, 12); c.anySize && err != nil {
			t.Errorf("Prune(%v) on 16×12 images: %v", c.keep, err)
		}
	}
	if _, err := pruneArch().Prune([]string{"b", "nope"}); err == nil || err.Error() != `arch "p" has no node "nope"` {
		t.Errorf("unknown node: %v", err)
	}
	if a := pruneArch(); a.Nodes[0].Height != 8 {
		t.Error("Prune changed the original graph")
	}
}
