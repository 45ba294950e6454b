package runner

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
	reasons := keyDiff(last.KeyText, text)
	if len(reasons) == 0 {
		reasons = []string{"same key as the last run, but its outputs are missing or corrupt in this cache"}
	}
	return false, reasons
}

// keyDiff names the key lines that changed between two key texts.
func keyDiff(old, cur string) []string {
	before, after := keyFields(old), keyFields(cur)
	names := map[string]bool{}
	for k := range before {
		names[k] = true
	}
	for k := range after {
		names[k] = true
	}
	var sorted []string
	for k := range names {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case !inB:
			out = append(out, fmt.Sprintf("%s added: %s", k, short(a)))
		case !inA:
			out = append(out, fmt.Sprintf("%s removed (was %s)", k, short(b)))
		case a != b:
			out = append(out, fmt.Sprintf("%s changed: %s -> %s", k, short(b), short(a)))
		}
	}
	return out
}

// keyFields splits key lines such as "param alpha=1.0" or "input x=<hex>"
// into "param alpha" -> "1.0".
func keyFields(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		kind, rest, _ := strings.Cut(line, " ")
		name, value, found := strings.Cut(rest, "=")
		if !found {
			m[kind] = rest
			continue
		}
		m[kind+" "+name] = value
	}
	return m
}

// short abbreviates 64-digit digests to 12 digits.
func short(v string) string {
	if len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
		return v[:12]
	}
	return v
}
