package runner

import (
	"context"
	"strings"

	"github.com/eigenlab/eigenlab/action"
	"github.com/eigenlab/eigenlab/experiments"
)

// PlanEntry says whether one stage instance would be served from the cache
// and, if not, why.
type PlanEntry struct {
	Stage, Cell string
	Kind        string
	Cached      bool
	Reasons     []string
}

// Explain computes, without running anything, which instances of the plan
// are cached and why each stale one is stale: the key lines (param, input
// digest, file content, stage version) that differ from the last recorded
// execution of the same stage and cell.
func (r *Runner) Explain(ctx context.Context, p *experiments.Plan) ([]PlanEntry, error) {
	nodes := buildGraph(p)
	entries := make([]PlanEntry, 0, len(nodes))
	for _, n := range nodes {
		e := PlanEntry{Stage: n.inst.Name, Cell: n.cell, Kind: n.inst.Kind}
		e.Cached, e.Reasons = r.explainNode(ctx, p, n)
		if e.Cached {
			n.status = StatusCached
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func (r *Runner) explainNode(ctx context.Context, p *experiments.Plan, n *node) (bool, []string) {
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
	s := &scheduler{r: r}
	if s.lookup(n) {
		return true, nil
	}
	last, err := r.DB.LastExecution(ctx, p.Name, n.inst.Name, n.cell)
	if err != nil || last == nil {
		return false, []string{"never run"}
	}
	reasons := action.Changes(last.KeyText, text)
	if len(reasons) == 0 {
		reasons = []string{"same key as the last run, but its outputs are missing or corrupt in this cache"}
	}
	return false, reasons
}
