// Package report builds the static HTML report of an experiment (README
// "Reports"): figures as SVG files drawn with gonum/plot, tables whose
// every number is a cited number, findings computed from the results, the
// exact YAML that ran and the provenance of every cited number. It reads
// the provenance database and the cache and never recomputes anything.
//
// Assembly (Build: what the page shows, as plain data) is kept apart from
// rendering (Write: HTML and SVG bytes), so each is tested on its own.
package report

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/eigenlab/eigenlab/action"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/stages"
)

// Source is where a report reads results from: the provenance database,
// and the cache through Load (runner.LoadArtifact in the CLI), which
// returns an artifact by digest after checking its content.
type Source struct {
	DB   *results.DB
	Load func(ndarray.Digest) (stages.Artifact, error)
}

// Page is everything a report shows, assembled from the latest results of
// the plan's cells.
type Page struct {
	Name, Description, File string
	// Run is the latest run of the experiment, nil if there is none; YAML
	// is its exact YAML, or the plan's source without a run.
	Run         *results.Run
	YAML        string
	YAMLDiffers bool // the plan's file differs from the YAML of Run
	Cells       int
	Missing     []string // labels of the cells some stage has no current result for
	// Stale names the latest executions left out because the plan now
	// gives their stage instance another action key, and why.
	Stale  []Stale
	Blocks []Block // the report entries, in YAML order
	Cited  []Cited // every cited number of the plan's latest results, by id
}

// Stale is a latest execution that is not current, with the reasons:
// the action key lines that changed since it ran ("version changed: 1 ->
// 2", "file path changed: …", "param n changed: 80 -> 90", "input x
// changed: …"), or the upstream result it lacks.
type Stale struct {
	Label   string // results.Execution.Label
	Reasons []string
}

// Block is one assembled report entry; exactly one field is set.
type Block struct {
	Figure  *Figure
	Table   *Table
	Finding *Finding
	Text    string
	LeftOut string // why the entry is not drawn (experiments.ReportEntry.LeftOut)
}

// Cited is a cited number with its provenance.
type Cited struct {
	ID                  string // results.CitationID
	Value               float64
	Stage, Output, Cell string
	Digest              ndarray.Digest
	Execution, Run      int64
	Status              string   // ok (computed in Run) or cached
	Params              []string // name=value, as hashed into the action key
}

// Build assembles the report of plan from the latest ok or cached
// execution of each of its stage instances. A cell without results is
// counted as missing; an output of the wrong shape for its entry is an
// error naming the entry's file:line:col.
func Build(ctx context.Context, src Source, plan *experiments.Plan) (*Page, error) {
	spec, err := plan.ReportSpec()
	if err != nil {
		return nil, err
	}
	page := &Page{Name: plan.Name, Description: plan.Description, File: plan.File,
		YAML: string(plan.Source), Cells: len(plan.Cells)}
	runs, err := src.DB.Runs(ctx, plan.Name)
	if err != nil {
		return nil, fmt.Errorf("report of %s: %w", plan.Name, err)
	}
	if len(runs) > 0 {
		page.Run, page.YAML = &runs[0], runs[0].YAML
		page.YAMLDiffers = runs[0].YAML != string(plan.Source)
	}
	l, err := newLookup(ctx, src, plan)
	if err != nil {
		return nil, err
	}
	l.collect(page)
	for i, e := range spec.Entries {
		b, err := l.block(i+1, e)
		if err != nil {
			pos := e.Pos
			var re *refError
			if errors.As(err, &re) {
				pos = re.pos
			}
			return nil, fmt.Errorf("%s:%d:%d: report entry %d: %w", plan.File, pos.Line, pos.Col, i+1, err)
		}
		page.Blocks = append(page.Blocks, b)
	}
	return page, nil
}

// lookup finds the latest results of a plan's instances.
type lookup struct {
	src   Source
	plan  *experiments.Plan
	execs map[*experiments.Instance]*results.Execution // nil: no result
	cites map[string]*Cited                            // by id
	stale []Stale                                      // latest executions of another action key
}

func newLookup(ctx context.Context, src Source, plan *experiments.Plan) (*lookup, error) {
	l := &lookup{src: src, plan: plan, execs: map[*experiments.Instance]*results.Execution{}, cites: map[string]*Cited{}}
	recorded, err := src.DB.Citations(ctx, plan.Name)
	if err != nil {
		return nil, err
	}
	values := map[string]float64{}
	for _, c := range recorded {
		values[c.ID] = c.Value
	}
	for _, inst := range plan.Instances {
		e, err := src.DB.LastExecution(ctx, plan.Name, inst.Name, plan.CellLabel(inst))
		if err != nil {
			return nil, err
		}
		if e != nil {
			if why := l.staleness(inst, e); why != nil {
				l.stale = append(l.stale, Stale{Label: e.Label(), Reasons: why})
				e = nil
			}
		}
		l.execs[inst] = e
		if e == nil {
			continue
		}
		for _, o := range e.Outputs {
			if o.Kind == "array" && len(o.Shape) == 0 {
				if err := l.cite(e, o, values); err != nil {
					return nil, err
				}
			}
		}
	}
	return l, nil
}

// staleness says why e is not the result the plan now gives for inst, nil
// when it is. It asks the one rule the runner and `eigenlab plan` ask
// (action.Key): e is current when its recorded action key is the key inst
// has now, from its params, its stage's current version, the current
// content of its file params and, as inputs, the outputs of the current
// results upstream. A result of an edited YAML, another --set, a newer
// stage version or an edited input file is not shown.
func (l *lookup) staleness(inst *experiments.Instance, e *results.Execution) []string {
	in := make(map[string]ndarray.Digest, len(inst.Inputs))
	for _, ref := range inst.Inputs {
		up := l.execs[ref.From]
		if up == nil {
			return []string{fmt.Sprintf("input %s: %s has no current result", ref.Name, l.instLabel(ref.From))}
		}
		out, ok := findEdge(up.Outputs, ref.Output)
		if !ok {
			return []string{fmt.Sprintf("input %s: %s wrote no output %s", ref.Name, up.Label(), ref.Output)}
		}
		in[ref.Name] = out.Digest
	}
	key, text, err := action.KeyLines(inst.Stage, inst.Params, inst.ParamLines(), in)
	if err != nil {
		return []string{err.Error()}
	}
	return action.Reasons(e.ActionKey, e.KeyText, key, text)
}

// instLabel names inst as results.Execution.Label names its executions.
func (l *lookup) instLabel(inst *experiments.Instance) string {
	e := results.Execution{Experiment: l.plan.Name, Stage: inst.Name, Cell: l.plan.CellLabel(inst)}
	return e.Label()
}

func findEdge(edges []results.Edge, name string) (results.Edge, bool) {
	for _, g := range edges {
		if g.Name == name {
			return g, true
		}
	}
	return results.Edge{}, false
}

// cite records a 0-d output of e as a cited number, with the value the
// cited table holds (read from the cache for results recorded before
// there was one).
func (l *lookup) cite(e *results.Execution, o results.Edge, values map[string]float64) error {
	id := results.CitationID(l.plan.Name, e.Stage, o.Name, e.Cell)
	v, ok := values[id]
	if !ok {
		a, err := l.array(o)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		v = a.Value(0)
	}
	c := &Cited{ID: id, Value: v, Stage: e.Stage, Output: o.Name, Cell: e.Cell, Digest: o.Digest,
		Execution: e.ID, Run: e.RunID, Status: e.Status}
	for _, k := range slices.Sorted(maps.Keys(e.Params)) {
		c.Params = append(c.Params, k+"="+e.Params[k])
	}
	l.cites[id] = c
	return nil
}

// collect fills the page's missing cells and cited numbers.
func (l *lookup) collect(page *Page) {
	missing := make([]bool, len(l.plan.Cells))
	for _, inst := range l.plan.Instances {
		if l.execs[inst] == nil {
			for _, ci := range inst.Cells {
				missing[ci] = true
			}
		}
	}
	for ci, m := range missing {
		if m {
			page.Missing = append(page.Missing, l.plan.Cells[ci].String())
		}
	}
	for _, id := range slices.Sorted(maps.Keys(l.cites)) {
		page.Cited = append(page.Cited, *l.cites[id])
	}
	page.Stale = l.stale
}

func (l *lookup) block(i int, e experiments.ReportEntry) (Block, error) {
	switch {
	case len(e.LeftOut) > 0:
		return Block{LeftOut: fmt.Sprintf("Report entry %d (line %d) is not drawn: it reads the cells of %s, which --set left out of this run's matrix (%s).",
			i, e.Pos.Line, strings.Join(e.LeftOut, " and "), l.axesText())}, nil
	case e.Figure != nil:
		f, err := l.figure(i, e.Figure)
		return Block{Figure: f}, err
	case e.Table != nil:
		t, err := l.table(e.Table)
		return Block{Table: t}, err
	case e.Finding != nil:
		f, err := l.finding(e.Finding)
		return Block{Finding: f}, err
	}
	return Block{Text: e.Text}, nil
}

// axesText renders the plan's matrix as "weight_alpha: 1; seed: 0, 1".
func (l *lookup) axesText() string {
	parts := make([]string, len(l.plan.Axes))
	for i, a := range l.plan.Axes {
		parts[i] = a.Name + ": " + experiments.FormatAxisValues(a.Values)
	}
	return strings.Join(parts, "; ")
}

// output is the edge of ref's output in the latest execution of its stage
// in cell ci (or the cell its @axis=value selector picks from ci); ok is
// false when there is no result.
func (l *lookup) output(ref experiments.OutputRef, ci int) (*results.Execution, results.Edge, bool) {
	inst := l.plan.Lookup(ref.Stage, ref.Cell(l.plan, ci))
	e := l.execs[inst]
	if e == nil {
		return nil, results.Edge{}, false
	}
	for _, o := range e.Outputs {
		if o.Name == ref.Output {
			return e, o, true
		}
	}
	return nil, results.Edge{}, false // this cell's params leave the output out
}

// Value is a number on the page with the id it is cited under and what
// its stage recorded beside it (see annotated).
type Value struct {
	V  float64
	ID string // "" for a cell without a result
	// CI is [lo, hi], the 95% interval the stage wrote beside the output
	// as its X_ci companion; nil without one or when an end is NaN.
	CI []float64
	// NoFit is why V is NaN, as its stage's info["fit"] says; "" when V
	// is a number or the stage gave no reason.
	NoFit string
}

// scalar reads a 0-d output in cell ci.
func (l *lookup) scalar(ref experiments.OutputRef, ci int) (Value, error) {
	e, o, ok := l.output(ref, ci)
	if !ok {
		return Value{V: math.NaN()}, nil
	}
	if len(o.Shape) != 0 || o.Kind != "array" {
		return Value{}, &refError{ref.Pos, fmt.Errorf("%s has kind %s and shape %v in %s; want a 0-d output (a number per cell)",
			ref, o.Kind, o.Shape, e.Label())}
	}
	id := results.CitationID(l.plan.Name, e.Stage, o.Name, e.Cell)
	return Value{V: l.cites[id].Value, ID: id}, nil
}

// Companion outputs: a stage that writes a 0-d output X may write beside
// it X_ci, the 2.5% and 97.5% bounds of X (e.g. a bootstrap interval over
// stimuli), and X_ranges, X recomputed at k alternative fit ranges. A
// report shows and uses them where they exist and changes nothing where
// they do not.
const (
	ciSuffix     = "_ci"
	rangesSuffix = "_ranges"
)

// annotated reads a 0-d output in cell ci with its X_ci companion and,
// when the value is NaN, the reason its stage recorded.
func (l *lookup) annotated(ref experiments.OutputRef, ci int) (Value, error) {
	v, err := l.scalar(ref, ci)
	if err != nil || v.ID == "" {
		return v, err
	}
	if math.IsNaN(v.V) {
		v.NoFit, err = l.fitReason(ref, ci)
		return v, err
	}
	bounds, err := l.companion(ref, ci, ciSuffix, 2)
	if err == nil && bounds != nil && !math.IsNaN(bounds[0]) && !math.IsNaN(bounds[1]) {
		v.CI = bounds
	}
	return v, err
}

// companion reads the output named ref.Output+suffix that ref's stage
// wrote beside ref in cell ci: nil when it wrote none. want is the length
// it must have, 0 for any length.
func (l *lookup) companion(ref experiments.OutputRef, ci int, suffix string, want int) ([]float64, error) {
	c := ref
	c.Output += suffix
	e, o, ok := l.output(c, ci)
	if !ok {
		return nil, nil
	}
	if o.Kind != "array" || len(o.Shape) != 1 || want > 0 && o.Shape[0] != want {
		form := "a 1-d array: " + ref.Output + " at each alternative fit range"
		if want > 0 {
			form = fmt.Sprintf("a 1-d array of %d: the 2.5%% and 97.5%% bounds of %s", want, ref.Output)
		}
		return nil, &refError{ref.Pos, fmt.Errorf("%s has kind %s and shape %v in %s; want %s", c, o.Kind, o.Shape, e.Label(), form)}
	}
	a, err := l.array(o)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", c, e.Label(), err)
	}
	return slices.Clone(a.Float64s()), nil
}

// fitReason is the text of info["fit"] in the info record of ref's stage
// in cell ci: why the stage reports no fit ("" without one).
func (l *lookup) fitReason(ref experiments.OutputRef, ci int) (string, error) {
	info := ref
	info.Output = "info"
	e, o, ok := l.output(info, ci)
	if !ok || o.Kind != "record" {
		return "", nil
	}
	art, err := l.src.Load(o.Digest)
	if err != nil {
		return "", fmt.Errorf("info of %s (%s) is not in the cache (%w); rerun the experiment to restore it", e.Label(), o.Digest.Short(), err)
	}
	rec, _ := art.(ndarray.Record)
	reason, _ := rec["fit"].(string)
	return reason, nil
}

// curve reads a 1-d output (x = rank 1..K) or column ref.Col of a 2-d one
// (x = column 0) in cell ci; nil when there is no result.
func (l *lookup) curve(ref experiments.OutputRef, ci int) (xs, ys []float64, err error) {
	e, o, ok := l.output(ref, ci)
	if !ok {
		return nil, nil, nil
	}
	bad := func(want string) error {
		return &refError{ref.Pos, fmt.Errorf("%s has kind %s and shape %v in %s; want %s", ref, o.Kind, o.Shape, e.Label(), want)}
	}
	switch {
	case o.Kind != "array":
		return nil, nil, bad("an array")
	case ref.Col == 0 && len(o.Shape) != 1:
		return nil, nil, bad("a 1-d output (or STAGE.OUTPUT[COL] for a column of a 2-d one)")
	case ref.Col > 0 && (len(o.Shape) != 2 || ref.Col >= o.Shape[1]):
		return nil, nil, bad(fmt.Sprintf("a 2-d output with more than %d columns", ref.Col))
	}
	a, err := l.array(o)
	if err != nil {
		return nil, nil, fmt.Errorf("%s in %s: %w", ref, e.Label(), err)
	}
	if ref.Col == 0 {
		xs, ys = make([]float64, a.Len()), make([]float64, a.Len())
		for i := range ys {
			xs[i], ys[i] = float64(i+1), a.Value(i)
		}
		return xs, ys, nil
	}
	rows, cols := o.Shape[0], o.Shape[1]
	xs, ys = make([]float64, rows), make([]float64, rows)
	for i := range rows {
		xs[i], ys[i] = a.Value(i*cols), a.Value(i*cols+ref.Col)
	}
	return xs, ys, nil
}

func (l *lookup) array(o results.Edge) (*ndarray.Array, error) {
	art, err := l.src.Load(o.Digest)
	if err != nil {
		return nil, fmt.Errorf("output %s (%s) is not in the cache (%w); rerun the experiment to restore it", o.Name, o.Digest.Short(), err)
	}
	a, err := stages.AsArray(art)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", o.Name, err)
	}
	return a, nil
}

// refError is a problem with the output an entry refers to, at the
// reference's position in the YAML.
type refError struct {
	pos experiments.Pos
	err error
}

func (e *refError) Error() string { return e.err.Error() }
func (e *refError) Unwrap() error { return e.err }
