package results

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/eigenlab/eigenlab/ndarray"
)

// Lineage is the provenance of an artifact: the execution that computed
// it and, recursively, those that computed its inputs. Executions shared
// by several branches (a dataset two stages read) are one *Lineage.
type Lineage struct {
	// Exec is the execution that computed the outputs. When the REF named
	// an execution served from the cache, Exec is the earlier execution
	// with the same action key that computed them, and Cached is the one
	// the REF named; Cached is nil otherwise.
	Exec, Cached *Execution
	// Run is Exec's run: the code version and environment that computed
	// the outputs.
	Run Run
	// Inputs are the lineages of Exec's inputs by name; nil for an input
	// with no recorded producer.
	Inputs map[string]*Lineage
}

// Lineage walks the provenance of the artifact with this digest from its
// latest recorded producer.
func (d *DB) Lineage(ctx context.Context, digest ndarray.Digest) (*Lineage, error) {
	e, err := d.latestProducer(ctx, digest.String())
	if err != nil {
		return nil, err
	}
	return d.lineage(ctx, e, map[int64]*Lineage{})
}

// LineageOf resolves a REF that names one execution (see Resolve) and
// walks its provenance.
func (d *DB) LineageOf(ctx context.Context, ref string) (*Lineage, error) {
	e, _, err := d.resolveOne(ctx, ref)
	if err != nil {
		return nil, err
	}
	return d.lineage(ctx, e, map[int64]*Lineage{})
}

// lineage builds e's lineage; seen holds those already built, by the id of
// the computing execution. Each input's producer is sought among the
// executions recorded before the consumer: the one whose bytes it read.
func (d *DB) lineage(ctx context.Context, e *Execution, seen map[int64]*Lineage) (*Lineage, error) {
	l := &Lineage{Exec: e}
	if e.Status == "cached" {
		computed, err := d.queryOne(ctx, `WHERE e.action_key = ? AND e.io_id = e.id AND e.status = 'ok' AND e.id < ? ORDER BY e.id DESC`, e.ActionKey, e.ID)
		if err != nil {
			return nil, fmt.Errorf("lineage of %s: %w", e.Label(), err)
		}
		if computed != nil { // nil when the cache was filled by another database
			l.Exec, l.Cached = computed, e
		}
	}
	if prev := seen[l.Exec.ID]; prev != nil {
		return prev, nil
	}
	seen[l.Exec.ID] = l
	run, err := d.run(ctx, l.Exec.RunID)
	if err != nil {
		return nil, fmt.Errorf("lineage of %s: %w", e.Label(), err)
	}
	l.Run = run
	l.Inputs = make(map[string]*Lineage, len(l.Exec.Inputs))
	for _, in := range l.Exec.Inputs {
		prod, err := d.producerOf(ctx, in.Digest.String(), l.Exec.ID)
		if err != nil {
			return nil, fmt.Errorf("lineage of %s: %w", e.Label(), err)
		}
		l.Inputs[in.Name] = nil
		if prod == nil {
			continue
		}
		if l.Inputs[in.Name], err = d.lineage(ctx, prod, seen); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// Difference is one cause that differs between two lineages.
type Difference struct {
	Stage string // the stage name in A's lineage
	What  string // "kind", "version", "param NAME", "input NAME", "code revision", "env KEY"
	A, B  string // the two values; "" when one side lacks it
}

// Diff walks two lineages in step, from the artifacts down through inputs
// of the same name, and names every cause that differs at each stage:
// kind, stage version, params, input digests, the code revision and the
// environment of the run that computed it. An input digest that differs
// is explained further down, by the causes of its producers.
func (d *DB) Diff(_ context.Context, a, b *Lineage) []Difference {
	var out []Difference
	diffLineage(a, b, map[[2]int64]bool{}, &out)
	return out
}

func diffLineage(a, b *Lineage, seen map[[2]int64]bool, out *[]Difference) {
	if a == nil || b == nil || seen[[2]int64{a.Exec.ID, b.Exec.ID}] {
		return
	}
	seen[[2]int64{a.Exec.ID, b.Exec.ID}] = true
	ea, eb := a.Exec, b.Exec
	add := func(what, x, y string) {
		if x != y {
			*out = append(*out, Difference{ea.Stage, what, x, y})
		}
	}
	add("stage", ea.Stage, eb.Stage)
	add("kind", ea.Kind, eb.Kind)
	add("version", ea.Version, eb.Version)
	for _, name := range unionKeys(ea.Params, eb.Params) {
		add("param "+name, ea.Params[name], eb.Params[name])
	}
	ia, ib := edgeDigests(ea.Inputs), edgeDigests(eb.Inputs)
	for _, name := range unionKeys(ia, ib) {
		add("input "+name, ia[name], ib[name])
	}
	add("code revision", codeString(a.Run.Code), codeString(b.Run.Code))
	for _, k := range unionKeys(a.Run.Env, b.Run.Env) {
		add("env "+k, a.Run.Env[k], b.Run.Env[k])
	}
	for _, name := range slices.Sorted(maps.Keys(a.Inputs)) {
		diffLineage(a.Inputs[name], b.Inputs[name], seen, out)
	}
}

// codeString is a code version as why and diff print it.
func codeString(c Code) string {
	s := c.Revision
	if c.Modified {
		s += " (modified)"
	}
	return s
}

func edgeDigests(edges []Edge) map[string]string {
	m := make(map[string]string, len(edges))
	for _, e := range edges {
		m[e.Name] = e.Digest.Short()
	}
	return m
}

func unionKeys(a, b map[string]string) []string {
	set := make(map[string]bool, len(a)+len(b))
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return slices.Sorted(maps.Keys(set))
}
