// Package runner turns an experiment plan into an action graph and runs it:
// action keys from stage, params and input digests, a bounded worker pool
// that honours each stage's thread count, early cutoff, a failure policy
// that stops only the descendants of a failed stage, and provenance records.
package runner

import (
	"iter"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
)

// Status is the outcome of one stage instance in a run.
type Status string

// The outcomes a node can have.
const (
	StatusOK      Status = "ok"      // executed
	StatusCached  Status = "cached"  // served from the cache
	StatusFailed  Status = "failed"  // the stage returned an error
	StatusSkipped Status = "skipped" // an upstream stage failed or the run was cancelled
)

// node is one stage instance in the action graph.
type node struct {
	inst  *experiments.Instance
	cell  string // the axis values the instance depends on, "alpha=1,seed=0"
	deps  []*node
	users []*node

	// Set once the node is resolved.
	key     cache.ActionKey
	keyText string
	saved   []cache.Output // the outputs as the action record has them, in name order
	inputs  map[string]ndarray.Digest
	scalars map[string]float64 // 0-d outputs by name, read when recorded
	status  Status
	err     error
	usage   Usage
	start   time.Time
	end     time.Time

	// For the outputs of temp stages (tempOutputs).
	usersLeft   atomic.Int32 // users without a result yet
	keepOutputs atomic.Bool  // a user failed or was skipped
}

// release drops what n no longer needs once it is recorded, so that a
// sweep's memory grows by its summary, not by its records: the key text
// always, and the outputs and input digests of a node nobody consumes
// (a producer keeps them: a consumer that finds a blob corrupt recomputes
// it from them, see regenerate). The action record keeps them all.
func (n *node) release() {
	n.keyText = ""
	if len(n.users) == 0 {
		n.saved, n.inputs = nil, nil
	}
}

// label names the node for messages: "spectrum@alpha=1,seed=0".
func (n *node) label() string {
	if n.cell == "" {
		return n.inst.Name
	}
	return n.inst.Name + "@" + n.cell
}

// graph builds the action graph of a plan window by window
// (experiments.Plan.Windows): the nodes of each window, whose inputs are
// nodes of the same window or carried from earlier ones. Once a window is
// done its nodes are dropped (retire), but for those the plan carries to
// later windows.
type graph struct {
	p     *experiments.Plan
	nodes map[*experiments.Instance]*node // of the window, and those carried
}

func newGraph(p *experiments.Plan) *graph {
	return &graph{p: p, nodes: map[*experiments.Instance]*node{}}
}

// add makes one node per instance of a window, in its order. A node's
// users are those of its own window (a node of an earlier window is
// resolved before the window starts); usersLeft counts them all, and a
// carried node is held by one more until the run ends, so that a temp
// stage's outputs stay while later windows may read them.
func (g *graph) add(insts []*experiments.Instance) []*node {
	window := make([]*node, 0, len(insts))
	for _, inst := range insts {
		n := &node{inst: inst, cell: g.p.CellLabel(inst)}
		for _, in := range inst.Inputs {
			dep := g.nodes[in.From]
			if slices.Contains(n.deps, dep) {
				continue
			}
			n.deps = append(n.deps, dep)
			dep.usersLeft.Add(1)
			if dep.status == "" {
				dep.users = append(dep.users, n)
			}
		}
		if g.p.Carried(inst) {
			n.usersLeft.Add(1)
		}
		g.nodes[inst] = n
		window = append(window, n)
	}
	return window
}

// carried are the nodes the plan carries across windows: once the last
// window is retired, all the graph holds.
func (g *graph) carried() iter.Seq[*node] { return maps.Values(g.nodes) }

// retire drops a finished window's nodes but the carried ones.
func (g *graph) retire(window []*node) {
	for _, n := range window {
		if !g.p.Carried(n.inst) {
			delete(g.nodes, n.inst)
		}
	}
}

// inputDigests maps n's input names to the digests its producers made. It
// returns false if a producer did not succeed.
func (n *node) inputDigests() (map[string]ndarray.Digest, bool) {
	byInst := map[*experiments.Instance]*node{}
	for _, d := range n.deps {
		byInst[d.inst] = d
	}
	in := make(map[string]ndarray.Digest, len(n.inst.Inputs))
	for _, ref := range n.inst.Inputs {
		dep := byInst[ref.From]
		if dep.status != StatusOK && dep.status != StatusCached {
			return nil, false
		}
		in[ref.Name] = dep.output(ref.Output)
	}
	return in, true
}

// output is the digest of n's output name; a map per node for the few
// outputs a stage has was a seventh of a no-op's live heap.
func (n *node) output(name string) ndarray.Digest {
	for _, o := range n.saved {
		if o.Name == name {
			return o.Digest
		}
	}
	return ndarray.Digest{}
}
