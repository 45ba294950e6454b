// Package runner turns an experiment plan into an action graph and runs it:
// action keys from stage, params and input digests, a bounded worker pool
// that honours each stage's thread count, early cutoff, a failure policy
// that stops only the descendants of a failed stage, and provenance records.
package runner

import (
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

// buildGraph makes one node per unique instance, in the plan's topological
// order.
func buildGraph(p *experiments.Plan) []*node {
	byInst := map[*experiments.Instance]*node{}
	nodes := make([]*node, 0, len(p.Instances))
	for _, inst := range p.Instances {
		n := &node{inst: inst, cell: p.CellLabel(inst)}
		seen := map[*node]bool{}
		for _, in := range inst.Inputs {
			dep := byInst[in.From]
			if !seen[dep] {
				seen[dep] = true
				n.deps = append(n.deps, dep)
				dep.users = append(dep.users, n)
			}
		}
		byInst[inst] = n
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		n.usersLeft.Store(int32(len(n.users)))
	}
	return nodes
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
