package experiments

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// streamed lowers StreamAbove and WindowCells for one test, so that a
// small sweep is streamed in windows that cut across its axes.
func streamed(t *testing.T, window int) {
	t.Helper()
	above, cells := StreamAbove, WindowCells
	StreamAbove, WindowCells = 1, window
	t.Cleanup(func() { StreamAbove, WindowCells = above, cells })
}

// windowSweep has a stage per seed (carried across windows), one per
// (alpha, seed), one per cell, and one with no axis.
const windowSweep = `name: w
matrix:
  alpha: [0.5, 1, 1.5]
  mode: [a, b]
  seed: [0, 1, 2, 3, 4]
stages:
  const: {kind: fake, params: {n: 7}}
  data: {kind: fake, params: {n: "${seed}"}, inputs: {x: const}}
  fit: {kind: fake, params: {alpha: "${alpha}"}, inputs: {x: data}}
  cell: {kind: fakepair, params: {lo: 0, hi: "${alpha}", weights: [1]}, inputs: {a: fit, b: "const"}}
  mode: {kind: fake, params: {mode: "${mode}"}, inputs: {x: cell.result}}
report:
  - figure: {x: seed, y: data.out}
`

func TestStreamedWindowsAreTheWholePlan(t *testing.T) {
	whole, err := Parse("w.yaml", []byte(windowSweep), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // id -> stage@cell
	var maxMem int64
	for _, inst := range whole.Instances {
		want[inst.ID] = inst.Name + "@" + whole.CellLabel(inst)
		maxMem = max(maxMem, inst.Stage.Resources(inst.Params).MemBytes)
	}
	for _, size := range []int{1, 4, 7, 30, 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			streamed(t, size)
			p, err := Stream("w.yaml", []byte(windowSweep), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !p.Streamed() || p.Instances != nil || p.Cells != nil {
				t.Fatal("Stream expanded a sweep above StreamAbove whole")
			}
			if p.NumInstances() != len(whole.Instances) || whole.NumInstances() != len(whole.Instances) {
				t.Errorf("NumInstances = %d streamed, %d whole; want %d", p.NumInstances(), whole.NumInstances(), len(whole.Instances))
			}
			if p.MaxMemBytes() != maxMem || whole.MaxMemBytes() != maxMem {
				t.Errorf("MaxMemBytes = %d streamed, %d whole; want %d", p.MaxMemBytes(), whole.MaxMemBytes(), maxMem)
			}
			got := map[string]string{}
			done := map[*Instance]bool{}
			for w, err := range p.Windows() {
				if err != nil {
					t.Fatal(err)
				}
				for _, inst := range w {
					if _, dup := got[inst.ID]; dup {
						t.Errorf("%s yielded twice", inst.ID[:8])
					}
					for _, in := range inst.Inputs {
						if !done[in.From] {
							t.Errorf("%s@%s yielded before its input %s", inst.Name, p.CellLabel(inst), in.From.Name)
						}
					}
					done[inst] = true
					got[inst.ID] = inst.Name + "@" + p.CellLabel(inst)
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("windows yielded %v\nwant %v", got, want)
			}
		})
	}
}

// TestStreamedPlanReportsAsParse: a streamed plan is validated in full
// before it is returned, with Parse's messages, including those of one
// cell in a later window and of the report.
func TestStreamedPlanReportsAsParse(t *testing.T) {
	bad := windowSweep + "  - figure: {x: seed, y: data.nope}\n"
	bad = strings.Replace(bad, `hi: "${alpha}"`, `hi: "${seed}"`, 1) // lo < hi fails where seed = 0
	_, perr := Parse("w.yaml", []byte(bad), nil)
	if perr == nil {
		t.Fatal("Parse accepted the bad sweep")
	}
	streamed(t, 4)
	_, serr := Stream("w.yaml", []byte(bad), nil)
	if serr == nil || serr.Error() != perr.Error() {
		t.Fatalf("Stream's error:\n%v\nwant Parse's:\n%v", serr, perr)
	}
}
