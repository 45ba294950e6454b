package runner

import (
	"context"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/action"
	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/results"
)

// PlanEntry says whether one stage instance would be served from the cache
// and, if not, why.
type PlanEntry struct {
	Stage, Cell string
	Kind        string
	Cached      bool
	// Regenerate marks a cached temp stage whose outputs were removed once
	// consumed (tempOutputs) and that a stale reader needs: the run
	// recomputes it for that reader, once.
	Regenerate bool
	Reasons    []string
}

// Explain computes, without running anything, which instances of the plan
// are cached and why each stale one is stale: the key lines (param, input
// digest, file content, stage version) that differ from the last recorded
// execution of the same stage and cell. p is a plan expanded whole
// (experiments.Parse): what Explain returns is as long as the plan.
func (r *Runner) Explain(ctx context.Context, p *experiments.Plan) ([]PlanEntry, error) {
	if p.Streamed() {
		panic("runner: Explain of a streamed plan; parse it with experiments.Parse")
	}
	nodes := newGraph(p).add(p.Instances)
	entries := make([]PlanEntry, 0, len(nodes))
	var keyed []int // entries of stale nodes whose key is known, to compare with their last execution
	s := &scheduler{r: r, pack: r.packFor(p)}
	for _, n := range nodes {
		e := PlanEntry{Stage: n.inst.Name, Cell: n.cell, Kind: n.inst.Kind}
		e.Cached, e.Reasons = s.explainNode(n)
		if e.Cached {
			n.status = StatusCached
		}
		if !e.Cached && e.Reasons == nil {
			keyed = append(keyed, len(entries))
		}
		entries = append(entries, e)
	}
	markRegenerate(r, nodes, entries)
	last, err := r.lastKeyTexts(ctx, p.Name, nodes, keyed)
	if err != nil {
		return nil, err
	}
	for _, i := range keyed {
		n := nodes[i]
		text, ok := last[results.StageCell{Stage: n.inst.Name, Cell: n.cell}]
		entries[i].Reasons = staleReasons(text, ok, n.keyText)
	}
	return entries, nil
}

// markRegenerate sets Regenerate on the entries (in the order of nodes)
// of cached temp stages with an output missing from the cache and a stale
// user.
func markRegenerate(r *Runner, nodes []*node, entries []PlanEntry) {
	stale := make(map[*node]bool, len(nodes))
	for i, n := range nodes {
		stale[n] = !entries[i].Cached
	}
	for i, n := range nodes {
		if !n.inst.Temp || stale[n] || !slices.ContainsFunc(n.users, func(u *node) bool { return stale[u] }) {
			continue
		}
		entries[i].Regenerate = slices.ContainsFunc(n.saved, func(o cache.Output) bool { return !r.Cache.HasBlob(o.Digest) })
	}
}

// bulkLast is the number of stale instances above which Explain reads the
// last executions of the whole experiment in one query rather than one
// query per instance (a variable so that tests can take both paths).
var bulkLast = 64

// lastKeyTexts reads the key texts of the last executions of the instances
// keyed (indexes into nodes).
func (r *Runner) lastKeyTexts(ctx context.Context, experiment string, nodes []*node, keyed []int) (map[results.StageCell]string, error) {
	if len(keyed) > bulkLast {
		return r.DB.LastKeyTexts(ctx, experiment)
	}
	last := map[results.StageCell]string{}
	for _, i := range keyed {
		n := nodes[i]
		e, err := r.DB.LastExecution(ctx, experiment, n.inst.Name, n.cell)
		if err != nil {
			return nil, err
		}
		if e != nil {
			last[results.StageCell{Stage: n.inst.Name, Cell: n.cell}] = e.KeyText
		}
	}
	return last, nil
}

// explainNode says whether n is cached; a stale n gets reasons here only
// if they do not depend on its last execution (nil: compare keys).
func (s *scheduler) explainNode(n *node) (bool, []string) {
	in, ok := n.inputDigests()
	if !ok {
		var stale []string
		for _, d := range n.deps {
			if d.status != StatusCached {
				stale = append(stale, d.label())
			}
		}
		return false, []string{"upstream will run first: " + strings.Join(stale, ", ")}
	}
	key, text, err := actionKey(n, in)
	if err != nil {
		return false, []string{err.Error()}
	}
	n.key, n.keyText = key, text
	if s.lookup(n) {
		return true, nil
	}
	return false, nil
}

// staleReasons are the key lines that differ between a stale instance's
// key text and its last execution's (lastText, if found).
func staleReasons(lastText string, found bool, text string) []string {
	if !found {
		return []string{"never run"}
	}
	reasons := action.Changes(lastText, text)
	if len(reasons) == 0 {
		reasons = []string{"same key as the last run, but its outputs are missing or corrupt in this cache"}
	}
	return reasons
}
