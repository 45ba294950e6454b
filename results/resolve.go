package results

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var hexRe = regexp.MustCompile(`^[0-9a-f]{6,64}$`)

// ResolveExecutions finds the executions a REF names:
//   - a digest prefix (≥ 6 hex digits): the latest execution that produced it;
//   - EXP:STAGE[.OUTPUT][@axis=value,...]: the latest ok or cached
//     execution of that stage in the latest run of EXP, one per cell, the
//     cells filtered by the given axis values (axes the stage does not
//     depend on are ignored, since every cell shares it).
func (d *DB) ResolveExecutions(ctx context.Context, ref string) ([]*Execution, error) {
	if hexRe.MatchString(ref) {
		e, err := d.producerOf(ctx, ref)
		if err != nil {
			return nil, err
		}
		return []*Execution{e}, nil
	}
	exp, stage, _, filter, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	all, err := d.query(ctx, `SELECT `+execColumns+` FROM executions e JOIN runs r ON r.id = e.run_id
		WHERE e.run_id = (SELECT MAX(id) FROM runs WHERE experiment = ?) AND e.stage = ? AND e.status IN ('ok', 'cached')
		ORDER BY e.id`, exp, stage)
	if err != nil {
		return nil, err
	}
	var out []*Execution
	for _, e := range all {
		if cellMatches(e.Cell, filter) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no successful execution of stage %q in the latest run of %q (see `eigenlab ls %s`)", ref, stage, exp, exp)
	}
	return out, nil
}

// ResolveOutputs finds the artifacts a REF names: one output when the REF
// says which (STAGE.OUTPUT or a digest), else every output of the stage.
// A REF that matches several cells is an error listing them.
func (d *DB) ResolveOutputs(ctx context.Context, ref string) ([]Edge, error) {
	execs, err := d.ResolveExecutions(ctx, ref)
	if err != nil {
		return nil, err
	}
	e, err := oneExecution(ref, execs)
	if err != nil {
		return nil, err
	}
	want := ""
	if hexRe.MatchString(ref) {
		for _, o := range e.Outputs {
			if strings.HasPrefix(o.Digest.String(), ref) {
				want = o.Name
			}
		}
	} else {
		_, _, want, _, _ = parseRef(ref)
	}
	if want == "" {
		return e.Outputs, nil
	}
	for _, o := range e.Outputs {
		if o.Name == want {
			return []Edge{o}, nil
		}
	}
	var names []string
	for _, o := range e.Outputs {
		names = append(names, o.Name)
	}
	return nil, fmt.Errorf("%s: stage %q has no output %q; it has %s", ref, e.Stage, want, strings.Join(names, ", "))
}

// producerOf returns the latest execution that produced an artifact whose
// digest starts with prefix.
func (d *DB) producerOf(ctx context.Context, prefix string) (*Execution, error) {
	var digests []string
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT digest FROM edges WHERE direction = 'out' AND digest >= ? AND digest < ? LIMIT 5`,
		prefix, prefix+"g")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		digests = append(digests, s)
	}
	rows.Close()
	switch len(digests) {
	case 0:
		return nil, fmt.Errorf("no artifact with digest %s… in the provenance database", prefix)
	case 1:
	default:
		return nil, fmt.Errorf("digest prefix %s is ambiguous: %s…; give more digits", prefix, strings.Join(digests, "…, "))
	}
	es, err := d.query(ctx, `SELECT `+execColumns+` FROM executions e JOIN runs r ON r.id = e.run_id
		JOIN edges g ON g.execution_id = e.id WHERE g.direction = 'out' AND g.digest = ? AND e.status IN ('ok', 'cached')
		ORDER BY e.id DESC LIMIT 1`, digests[0])
	if err != nil || len(es) == 0 {
		return nil, fmt.Errorf("artifact %s… has no recorded producer", prefix)
	}
	return es[0], nil
}

// parseRef splits EXP:STAGE[.OUTPUT][@axis=value,...].
func parseRef(ref string) (exp, stage, output string, filter map[string]string, err error) {
	exp, rest, ok := strings.Cut(ref, ":")
	if !ok || exp == "" || rest == "" {
		return "", "", "", nil, fmt.Errorf("REF %q: want a digest prefix (6+ hex digits) or EXP:STAGE[.OUTPUT][@axis=value,...]", ref)
	}
	target, cell, _ := strings.Cut(rest, "@")
	stage, output, _ = strings.Cut(target, ".")
	filter = map[string]string{}
	if cell != "" {
		for _, kv := range strings.Split(cell, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return "", "", "", nil, fmt.Errorf("REF %q: cell part %q: want axis=value[,axis=value]", ref, cell)
			}
			filter[k] = v
		}
	}
	return exp, stage, output, filter, nil
}

// cellMatches reports whether a recorded cell ("alpha=1,seed=0") agrees
// with every filter value on the axes it has.
func cellMatches(cell string, filter map[string]string) bool {
	have := map[string]string{}
	for _, kv := range strings.Split(cell, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			have[k] = v
		}
	}
	for k, v := range filter {
		if got, ok := have[k]; ok && !sameValue(got, v) {
			return false
		}
	}
	return true
}

// sameValue compares axis values as numbers when both are numbers, so
// alpha=1.0 finds the cell recorded as alpha=1.
func sameValue(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 == nil && err2 == nil {
		return x == y
	}
	return a == b
}

// Lineage is the provenance of an artifact: the execution that produced
// it and, recursively, those that produced its inputs.
type Lineage struct {
	Exec   *Execution
	Run    Run
	Inputs map[string]*Lineage // by input name; nil entries for external data
}

// LineageOf resolves a REF to a single execution and walks its lineage.
func (d *DB) LineageOf(ctx context.Context, ref string) (*Lineage, error) {
	execs, err := d.ResolveExecutions(ctx, ref)
	if err != nil {
		return nil, err
	}
	e, err := oneExecution(ref, execs)
	if err != nil {
		return nil, err
	}
	return d.lineage(ctx, e, map[int64]*Lineage{})
}

// oneExecution insists that a REF named one execution, listing the cells if not.
func oneExecution(ref string, execs []*Execution) (*Execution, error) {
	if len(execs) == 1 {
		return execs[0], nil
	}
	var cells []string
	for _, e := range execs {
		cells = append(cells, e.Cell)
	}
	return nil, fmt.Errorf("%s matches %d cells (%s); add @axis=value to pick one", ref, len(execs), strings.Join(cells, "; "))
}

func (d *DB) lineage(ctx context.Context, e *Execution, seen map[int64]*Lineage) (*Lineage, error) {
	if l := seen[e.ID]; l != nil {
		return l, nil
	}
	l := &Lineage{Exec: e, Inputs: map[string]*Lineage{}}
	seen[e.ID] = l
	run, err := d.run(ctx, e.RunID)
	if err != nil {
		return nil, err
	}
	l.Run = run
	for _, in := range e.Inputs {
		prod, err := d.producerOf(ctx, in.Digest.String())
		if err != nil {
			l.Inputs[in.Name] = nil
			continue
		}
		if l.Inputs[in.Name], err = d.lineage(ctx, prod, seen); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (d *DB) run(ctx context.Context, id int64) (Run, error) {
	var r Run
	var env string
	err := d.db.QueryRowContext(ctx, `SELECT id, experiment, file, host, code_version, code_revision, code_modified, env_json
		FROM runs WHERE id = ?`, id).Scan(&r.ID, &r.Experiment, &r.File, &r.Host, &r.Code.Version, &r.Code.Revision, &r.Code.Modified, &env)
	if err == nil {
		err = jsonUnmarshal(env, &r.Env)
	}
	return r, err
}

// Difference is one cause that differs between two lineages.
type Difference struct {
	Stage, What string // What: "param alpha", "input x", "version", "code", "env cpu_model"...
	A, B        string
}

// Diff walks two lineages stage by stage (matched by stage name and input
// name) and names every cause that differs.
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
	add("kind", ea.Kind, eb.Kind)
	add("version", ea.Version, eb.Version)
	for _, name := range unionKeys(ea.Params, eb.Params) {
		add("param "+name, ea.Params[name], eb.Params[name])
	}
	ia, ib := edgeMap(ea.Inputs), edgeMap(eb.Inputs)
	for _, name := range unionKeys(ia, ib) {
		add("input "+name, ia[name], ib[name])
	}
	add("code revision", codeString(a.Run.Code), codeString(b.Run.Code))
	for _, k := range unionKeys(a.Run.Env, b.Run.Env) {
		add("env "+k, a.Run.Env[k], b.Run.Env[k])
	}
	for name, la := range a.Inputs {
		diffLineage(la, b.Inputs[name], seen, out)
	}
}

func codeString(c Code) string {
	s := c.Revision
	if c.Modified {
		s += " (modified)"
	}
	return s
}

func edgeMap(edges []Edge) map[string]string {
	m := map[string]string{}
	for _, e := range edges {
		m[e.Name] = e.Digest.Short()
	}
	return m
}

func unionKeys(a, b map[string]string) []string {
	set := map[string]bool{}
	for k := range a {
		set[k] = true
	}
	for k := range b {
		set[k] = true
	}
	return sortedKeys(set)
}
