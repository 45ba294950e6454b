package runner

import (
	"iter"
	"sync"
	"sync/atomic"

	"github.com/eigenlab/eigenlab/cache"
)

// tempOutputs removes the outputs of temp stages (experiments.Instance.Temp)
// from the cache once every stage reading them has its result, so that a
// sweep's intermediate arrays (a network's activations, say) take disk
// only while they are used. The action record stays: a rerun serves the
// stage from it without its blobs (lookup) and recomputes them only for a
// stage that reads them again (regenerate). Removing a blob is never
// wrong, only slower: whatever misses it recomputes it.
type tempOutputs struct {
	on   bool     // the plan has temp stages and the run does not keep them
	keep sync.Map // ndarray.Digest → struct{}: outputs of the run's other stages
	// What was removed, for the summary.
	removed atomic.Int64
	bytes   atomic.Int64
}

// saved notes n's outputs: those of a stage that is not temp are never
// removed, even when a temp stage produced the same bytes.
func (t *tempOutputs) saved(n *node, outs []cache.Output) {
	if !t.on || n.inst.Temp {
		return
	}
	for _, o := range outs {
		t.keep.Store(o.Digest, struct{}{})
	}
}

// consumed notes that n, a user of each of its deps, has its result; the
// last user of a temp stage removes that stage's outputs, unless a user
// failed or was skipped (a rerun will want them).
func (t *tempOutputs) consumed(c *cache.Cache, n *node) {
	if !t.on {
		return
	}
	for _, d := range n.deps {
		if n.status != StatusOK && n.status != StatusCached {
			d.keepOutputs.Store(true)
		}
		if d.usersLeft.Add(-1) == 0 {
			t.remove(c, d)
		}
	}
}

// remove removes d's outputs if d is a temp stage that succeeded and
// every user of it did. A blob that cannot be removed stays: keeping one
// is never wrong.
func (t *tempOutputs) remove(c *cache.Cache, d *node) {
	if !d.inst.Temp || d.keepOutputs.Load() || (d.status != StatusOK && d.status != StatusCached) {
		return
	}
	for _, o := range d.saved {
		if _, keep := t.keep.Load(o.Digest); keep || !c.HasBlob(o.Digest) {
			continue
		}
		if c.ReleaseBlob(o.Digest) == nil {
			t.removed.Add(1)
			t.bytes.Add(o.Size)
		}
	}
}

// release lets go of the hold on carried nodes (graph.add) at the end of
// the run: a temp one whose every user has its result loses its outputs.
func (t *tempOutputs) release(c *cache.Cache, carried iter.Seq[*node]) {
	if !t.on {
		return
	}
	for n := range carried {
		if n.usersLeft.Add(-1) == 0 {
			t.remove(c, n)
		}
	}
}
