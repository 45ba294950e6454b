package experiments

import "iter"

// StreamAbove is the number of cells above which Stream leaves a plan
// unexpanded: expanded whole, a sweep takes ~5 KB of memory per stage
// instance while it runs (~160 MB for two stages over this many cells),
// and below this size the second expansion would cost more time than the
// memory is worth.
var StreamAbove = 16_384 // a variable so tests can lower it

// WindowCells is how many cells a streamed plan expands at a time
// (Plan.Windows).
var WindowCells = 4_096 // a variable so tests can lower it

// window is the expansion of a range of cells: each stage's instance in
// each of them.
type window struct {
	cells   []Cell
	perCell map[string][]*Instance // stage -> its instance in each cell of cells
}

// at is the instance of stage in cell ci of w, or nil.
func (w *window) at(stage string, ci int) *Instance {
	insts := w.perCell[stage]
	i := ci - w.cells[0].Index
	if i < 0 || i >= len(insts) {
		return nil
	}
	return insts[i]
}

// carry keeps, across the windows of a streamed plan, the instances of the
// stages that depend on fewer than every axis: their cells lie in several
// windows, and each window's cells must find the one instance. They are
// kept until the last window, which bounds a streamed plan's memory by
// the number of distinct combinations of such stages' axes (a dataset per
// seed, say), not by its cells.
type carry struct {
	byKey map[string]map[string]*Instance // stage -> projection -> instance
	ids   map[string]*Instance
}

func newCarry() *carry {
	return &carry{byKey: map[string]map[string]*Instance{}, ids: map[string]*Instance{}}
}

// instances are the carried instances of stage by projection.
func (c *carry) instances(stage string) map[string]*Instance {
	m := c.byKey[stage]
	if m == nil {
		m = map[string]*Instance{}
		c.byKey[stage] = m
	}
	return m
}

// keep carries inst, stage's instance at projection key.
func (c *carry) keep(stage, key string, inst *Instance) {
	c.instances(stage)[key] = inst
	c.ids[inst.ID] = inst
}

// byID is the carried instance of that id, or nil (always, for a nil c).
func (c *carry) byID(id string) *Instance {
	if c == nil {
		return nil
	}
	return c.ids[id]
}

// Streamed reports whether p was left unexpanded by Stream: its instances
// are only in Windows.
func (p *Plan) Streamed() bool { return p.order != nil }

// Carried reports whether inst, of a streamed plan, is shared by cells of
// several windows (it depends on fewer than every axis): Windows yields it
// once, and its users in later windows read it (carry).
func (p *Plan) Carried(inst *Instance) bool {
	return p.Streamed() && p.partial(inst.Axes)
}

// partial reports whether a stage that depends on axes depends on fewer
// than every axis of the plan: its instances are shared by cells that
// differ on the others.
func (p *Plan) partial(axes []string) bool { return len(axes) < len(p.Axes) }

// NumInstances is the number of unique stage instances of the plan.
func (p *Plan) NumInstances() int { return p.count }

// MaxMemBytes is the largest memory estimate (stages.Resources) of the
// plan's instances, found when it was validated: a budget it fits needs
// no pass over them (nor over a streamed plan's windows).
func (p *Plan) MaxMemBytes() int64 { return p.maxMem }

// tally counts insts, instances of the plan, into NumInstances and
// MaxMemBytes.
func (p *Plan) tally(insts []*Instance) {
	p.count += len(insts)
	for _, inst := range insts {
		p.maxMem = max(p.maxMem, inst.Stage.Resources(inst.Params).MemBytes)
	}
}

// Windows yields the plan's instances window by window, each window's in a
// topological order, an instance in the first window whose cells use it
// and never again: for a plan expanded whole, its Instances at once; for a
// streamed plan, those new in each WindowCells cells, expanded then, so
// that a caller that drops a window's instances once it is done with them
// holds one window at a time (and the instances carried, see carry). An
// instance of a streamed plan lists in Cells its cells in the window it is
// yielded in. Two cells whose instances of a stage of every axis resolve
// alike (axis values 1 and 1.0 of an int param) share one instance within
// a window, not across windows: the run then finds the second one cached
// and records it as such. The error is that of a plan that no longer
// expands as it was validated (a file param whose file has gone since);
// the windows then stop.
func (p *Plan) Windows() iter.Seq2[[]*Instance, error] {
	return func(yield func([]*Instance, error) bool) {
		if !p.Streamed() {
			yield(p.Instances, nil)
			return
		}
		probs := &problems{file: p.File}
		for w := range p.windows(probs) {
			if err := probs.err(); err != nil {
				yield(nil, err)
				return
			}
			if !yield(w, nil) {
				return
			}
		}
	}
}

// windows expands a streamed plan window by window, reporting to probs.
func (p *Plan) windows(probs *problems) iter.Seq[[]*Instance] {
	return func(yield func([]*Instance) bool) {
		n := cellCount(p.Axes)
		c := newCarry()
		for lo := 0; lo < n; lo += WindowCells {
			w := &window{cells: cellRange(p.Axes, lo, min(lo+WindowCells, n)), perCell: map[string][]*Instance{}}
			if !yield(expand(probs, p, p.order, w, c)) {
				return
			}
		}
	}
}
