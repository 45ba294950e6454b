package experiments

import (
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Report is the typed `report:` section of an experiment (README
// "Reports"): what `eigenlab report` draws from the recorded results, in
// YAML order. It only names stage outputs and matrix axes; every number
// on the page comes from the provenance database and the cache.
type Report struct {
	Entries []ReportEntry
}

// ReportEntry is one item of a report. Exactly one of Figure, Table,
// Finding and Text is set.
type ReportEntry struct {
	Pos     Pos // of the entry in the YAML, for errors found while rendering
	Figure  *Figure
	Table   *Table
	Finding *Finding
	Text    string // a paragraph of plain text
	// LeftOut lists the selectors ("axis=value") of the entry's output
	// references whose value the YAML's matrix has but --set left out of
	// this plan's: the entry is valid, but this plan cannot draw it.
	LeftOut []string
}

// The kinds of figure.
const (
	FigureLine     = "line"     // a 0-d output against a matrix axis, one line per series
	FigureScatter  = "scatter"  // the same as points without lines
	FigureSpectrum = "spectrum" // a 1-d output against its rank index, log-log
	FigureHeatmap  = "heatmap"  // a 0-d output over two matrix axes
	FigureMatrix   = "matrix"   // one 2-d output (a cosine matrix), cell by cell
)

// Figure is a plot of recorded outputs over the matrix.
type Figure struct {
	Title, Caption string
	// XLabel and YLabel name the axes; empty: a default from the entry
	// (the x axis, "rank", the output).
	XLabel, YLabel string
	Kind           string    // FigureLine, FigureScatter, FigureSpectrum or FigureHeatmap
	X              string    // line, scatter: the matrix axis on the x axis
	Y              OutputRef // line, scatter: a 0-d output; spectrum: a 1-d output or a column of a 2-d one
	// Series are the axes drawn as separate lines; Band the axes averaged
	// over (mean with a 95% t interval). Together with X they hold every
	// axis the plotted stages depend on.
	Series, Band []string
	LogX, LogY   bool
	// Null, CILo and CIHi are optional reference curves of a spectrum
	// figure: a permutation null and the ends of a bootstrap interval.
	Null, CILo, CIHi *OutputRef
	Rows, Cols       string    // heatmap: the matrix axes of its rows and columns
	Value            OutputRef // heatmap: a 0-d output; matrix: a 2-d output in one cell
}

// Table lays out 0-d outputs: a row per combination of the Rows axes, a
// column per combination of the Cols axes and per output in Values. Every
// number in it is a cited number.
type Table struct {
	Title, Caption string
	Rows, Cols     []string
	Values         []OutputRef
}

// Finding compares two 0-d outputs cell by cell (or one with a constant)
// and states what this run found, e.g. "channel α was above full α in 5
// of 6 cells"; nothing about the outcome is written in advance.
type Finding struct {
	Left       OutputRef
	Right      *OutputRef // nil when the right side is the constant RightValue
	RightValue float64
	Over       []string // the axes whose cells are compared
	LeftLabel  string   // default: the reference as written
	RightLabel string
}

// OutputRef names a stage output, "STAGE.OUTPUT", or column Col of a 2-d
// output whose column 0 holds the x values, "STAGE.OUTPUT[COL]". A suffix
// "@axis=value,..." (as in a REF) fixes matrix axes: the output is read
// in the cell that has those values and agrees with the current cell on
// every other axis, so one entry can compare, say, view=channel with
// view=full.
type OutputRef struct {
	Stage, Output string
	Col           int // 0: the whole output
	Where         []AxisValue
	Pos           Pos
}

// AxisValue fixes one matrix axis at one of its values.
type AxisValue struct {
	Axis  string
	Value any // as in Axis.Values
}

// String renders the reference as it is written in the YAML.
func (r OutputRef) String() string {
	s := r.Stage + "." + r.Output
	if r.Col > 0 {
		s += "[" + strconv.Itoa(r.Col) + "]"
	}
	for i, w := range r.Where {
		s += map[bool]string{true: "@", false: ","}[i == 0] + w.Axis + "=" + FormatAxisValue(w.Value)
	}
	return s
}

// Cell returns the index of the cell that has r's fixed axis values and
// agrees with cell ci on every other axis (ci itself when r fixes none).
func (r OutputRef) Cell(p *Plan, ci int) int {
	if len(r.Where) == 0 {
		return ci
	}
	want := maps.Clone(p.Cells[ci].Values)
	for _, w := range r.Where {
		want[w.Axis] = w.Value
	}
	for _, c := range p.Cells {
		if reflect.DeepEqual(c.Values, want) {
			return c.Index
		}
	}
	panic("experiments: a validated selector names no cell") // the matrix is a full product
}

// ReportSpec decodes the plan's report section. The plan was validated by
// Parse, so an error here means the plan was built by hand.
func (p *Plan) ReportSpec() (*Report, error) {
	probs := &problems{file: p.File}
	var shapes stageShapes
	shapes.add(p.Instances)
	r := checkReport(probs, p.Report, p, &shapes, p.StageNames())
	if err := probs.err(); err != nil {
		return nil, err
	}
	return r, nil
}

// stageShapes are, per stage, the outputs and the axes of any of its
// instances: what a report may select. A streamed plan gathers them window
// by window.
type stageShapes struct {
	outputs map[string][]string // stage -> outputs of any of its instances
	axes    map[string][]string // stage -> axes any of its instances depends on
}

// add notes the outputs and axes of insts.
func (s *stageShapes) add(insts []*Instance) {
	if s.outputs == nil {
		s.outputs, s.axes = map[string][]string{}, map[string][]string{}
	}
	for _, inst := range insts {
		for _, o := range inst.Stage.Outputs(inst.Params) {
			if !contains(s.outputs[inst.Name], o) {
				s.outputs[inst.Name] = append(s.outputs[inst.Name], o)
			}
		}
		for _, a := range inst.Axes {
			if !contains(s.axes[inst.Name], a) {
				s.axes[inst.Name] = append(s.axes[inst.Name], a)
			}
		}
	}
}

var outputRefRe = regexp.MustCompile(`^([^.\[\]@]+)\.([^\[\]@]+)(?:\[(\d+)\])?(?:@(.+))?$`)

// reportCheck validates a report against the plan it belongs to.
type reportCheck struct {
	p          *problems
	stages     []string            // declared stage names
	outputs    map[string][]string // stage -> outputs of any of its instances
	stageAxes  map[string][]string // stage -> axes any of its instances depends on
	axes       []string            // matrix axes in YAML order
	axisValues map[string][]any    // matrix axis -> its values
	declared   map[string][]any    // matrix axis -> its values before --set
	leftOut    []string            // of the entry being read (ReportEntry.LeftOut)
}

// checkReport validates and decodes a report section: unknown keys,
// stages, outputs and axes are problems with their positions. A section
// with duplicate keys was reported by checkDuplicates and is not read
// further.
func checkReport(p *problems, n *yaml.Node, plan *Plan, shapes *stageShapes, stageNames []string) *Report {
	r := &Report{}
	if n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null" || hasDuplicateKeys(n) {
		return r
	}
	c := &reportCheck{p: p, stages: stageNames, outputs: shapes.outputs, stageAxes: shapes.axes, axisValues: map[string][]any{}, declared: plan.declared}
	for _, a := range plan.Axes {
		c.axes = append(c.axes, a.Name)
		c.axisValues[a.Name] = a.Values
	}
	if n.Kind != yaml.SequenceNode {
		p.at(n, "report: want a list of entries (- figure: ..., - table: ..., - finding: ..., - text: ...)")
		return r
	}
	for i, e := range n.Content {
		if entry, ok := c.entry(i+1, e); ok {
			r.Entries = append(r.Entries, entry)
		}
	}
	return r
}

func hasDuplicateKeys(n *yaml.Node) bool {
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if seen[n.Content[i].Value] {
				return true
			}
			seen[n.Content[i].Value] = true
		}
	}
	for _, c := range n.Content {
		if hasDuplicateKeys(c) {
			return true
		}
	}
	return false
}

var entryKinds = []string{"figure", "table", "finding", "text"}

// entry reads one `- KIND: ...` item.
func (c *reportCheck) entry(i int, n *yaml.Node) (ReportEntry, bool) {
	e := ReportEntry{Pos: Pos{n.Line, n.Column}}
	what := fmt.Sprintf("report entry %d", i)
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		c.p.at(n, "%s: want exactly one of %s as its key", what, strings.Join(entryKinds, ", "))
		return e, false
	}
	ok := true
	c.leftOut = nil
	mapping(c.p, n, what, entryKinds, func(k, v *yaml.Node) {
		what += " (" + k.Value + ")"
		switch k.Value {
		case "figure":
			e.Figure, ok = c.figure(what, v)
		case "table":
			e.Table, ok = c.table(what, v)
		case "finding":
			e.Finding, ok = c.finding(what, v)
		case "text":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				c.p.at(v, "%s: want a paragraph of text", what)
				ok = false
			}
			e.Text = v.Value
		}
	})
	e.LeftOut = c.leftOut
	return e, ok && (e.Figure != nil || e.Table != nil || e.Finding != nil || e.Text != "")
}

// figureKeys are the keys each kind of figure takes.
var figureKeys = map[string][]string{
	FigureLine:     {"title", "kind", "caption", "xlabel", "ylabel", "x", "y", "series", "band", "logx", "logy"},
	FigureScatter:  {"title", "kind", "caption", "xlabel", "ylabel", "x", "y", "series", "band", "logx", "logy"},
	FigureSpectrum: {"title", "kind", "caption", "xlabel", "ylabel", "y", "series", "band", "logx", "logy", "null", "ci_lo", "ci_hi"},
	FigureHeatmap:  {"title", "kind", "caption", "xlabel", "ylabel", "rows", "cols", "value"},
	FigureMatrix:   {"title", "kind", "caption", "xlabel", "ylabel", "value"},
}

func (c *reportCheck) figure(what string, n *yaml.Node) (*Figure, bool) {
	if n.Kind != yaml.MappingNode {
		c.p.at(n, "%s: want a mapping (kind, x, y, ...)", what)
		return nil, false
	}
	f := &Figure{Kind: FigureLine}
	if k := valueOf(n, "kind"); k != nil {
		if _, known := figureKeys[k.Value]; !known || k.Kind != yaml.ScalarNode {
			c.p.at(k, "%s: kind %s: want one of line, scatter, spectrum, heatmap, matrix", what, shown(k))
			return nil, false
		}
		f.Kind = k.Value
	}
	f.LogX, f.LogY = f.Kind == FigureSpectrum, f.Kind == FigureSpectrum
	what += " (kind " + f.Kind + ")"
	before := c.count()
	var refs []*yaml.Node // the output references, for the axis check
	mapping(c.p, n, what, figureKeys[f.Kind], func(k, v *yaml.Node) {
		switch k.Value {
		case "title":
			f.Title = c.text(what, k, v)
		case "caption":
			f.Caption = c.text(what, k, v)
		case "xlabel":
			f.XLabel = c.text(what, k, v)
		case "ylabel":
			f.YLabel = c.text(what, k, v)
		case "x":
			f.X = c.axis(what+": x", v)
		case "rows":
			f.Rows = c.axis(what+": rows", v)
		case "cols":
			f.Cols = c.axis(what+": cols", v)
		case "series":
			f.Series = c.axisList(what+": series", v)
		case "band":
			f.Band = c.axisList(what+": band", v)
		case "logx":
			f.LogX = c.flag(what, k, v)
		case "logy":
			f.LogY = c.flag(what, k, v)
		case "y":
			f.Y = c.ref(what+": y", v, f.Kind == FigureSpectrum)
			refs = append(refs, v)
		case "value":
			f.Value = c.ref(what+": value", v, false)
			refs = append(refs, v)
		case "null", "ci_lo", "ci_hi":
			r := c.ref(what+": "+k.Value, v, true)
			switch k.Value {
			case "null":
				f.Null = &r
			case "ci_lo":
				f.CILo = &r
			default:
				f.CIHi = &r
			}
			refs = append(refs, v)
		}
	})
	required := map[string][]string{FigureHeatmap: {"rows", "cols", "value"}, FigureSpectrum: {"y"}, FigureMatrix: {"value"}}[f.Kind]
	if required == nil {
		required = []string{"x", "y"}
	}
	for _, key := range required {
		if valueOf(n, key) == nil {
			c.p.at(n, "%s: missing required key %q", what, key)
		}
	}
	if (f.CILo == nil) != (f.CIHi == nil) {
		c.p.at(n, "%s: ci_lo and ci_hi come together; want both or neither", what)
	}
	if c.count() > before {
		return nil, false
	}
	switch f.Kind {
	case FigureHeatmap:
		return f, c.placed(what, "rows or cols", n, []string{f.Rows, f.Cols}, refs)
	case FigureMatrix:
		return f, c.placed(what, "a selector (STAGE.OUTPUT@axis=value): a matrix figure draws one cell", n, nil, refs)
	}
	hint := "x, series or band"
	if f.Kind == FigureSpectrum {
		hint = "series or band"
	}
	return f, c.placed(what, hint, n, append(append([]string{f.X}, f.Series...), f.Band...), refs)
}

func (c *reportCheck) table(what string, n *yaml.Node) (*Table, bool) {
	t := &Table{}
	before := c.count()
	var refs []*yaml.Node
	mapping(c.p, n, what, []string{"title", "caption", "rows", "cols", "value"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "title":
			t.Title = c.text(what, k, v)
		case "caption":
			t.Caption = c.text(what, k, v)
		case "rows":
			t.Rows = c.axisList(what+": rows", v)
		case "cols":
			t.Cols = c.axisList(what+": cols", v)
		case "value":
			refs = itemsOf(v)
			for _, r := range refs {
				t.Values = append(t.Values, c.ref(what+": value", r, false))
			}
			if len(refs) == 0 {
				c.p.at(v, "%s: value: want STAGE.OUTPUT or a list of them", what)
			}
		}
	})
	if n.Kind == yaml.MappingNode && valueOf(n, "value") == nil {
		c.p.at(n, "%s: missing required key \"value\"", what)
	}
	if c.count() > before {
		return nil, false
	}
	return t, c.placed(what, "rows or cols", n, append(append([]string{}, t.Rows...), t.Cols...), refs)
}

func (c *reportCheck) finding(what string, n *yaml.Node) (*Finding, bool) {
	f := &Finding{}
	before := c.count()
	var refs []*yaml.Node
	mapping(c.p, n, what, []string{"left", "right", "over", "left_label", "right_label"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "left":
			f.Left = c.ref(what+": left", v, false)
			refs = append(refs, v)
		case "right":
			if x, err := strconv.ParseFloat(v.Value, 64); err == nil && v.Kind == yaml.ScalarNode {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					// A finding compares numbers: no cell is above or below NaN.
					c.p.at(v, "%s: right: %s: want a finite number or STAGE.OUTPUT", what, shown(v))
				}
				f.RightValue = x
				f.RightLabel = v.Value
				return
			}
			r := c.ref(what+": right", v, false)
			f.Right = &r
			refs = append(refs, v)
		case "over":
			f.Over = c.axisList(what+": over", v)
		case "left_label", "right_label":
			label := c.text(what, k, v)
			if k.Value == "left_label" {
				f.LeftLabel = label
			} else {
				f.RightLabel = label
			}
		}
	})
	for _, key := range []string{"left", "right"} {
		if n.Kind == yaml.MappingNode && valueOf(n, key) == nil {
			c.p.at(n, "%s: missing required key %q", what, key)
		}
	}
	if c.count() > before {
		return nil, false
	}
	if f.LeftLabel == "" {
		f.LeftLabel = f.Left.String()
	}
	if f.RightLabel == "" && f.Right != nil {
		f.RightLabel = f.Right.String()
	}
	return f, c.placed(what, "over", n, f.Over, refs)
}

// placed checks that the axes an entry places (x, series, band, rows, ...)
// are distinct and hold every axis the referenced stages depend on: an
// axis left out would put several cells on one point.
func (c *reportCheck) placed(what, hint string, at *yaml.Node, placed []string, refs []*yaml.Node) bool {
	ok := true
	seen := map[string]bool{}
	for _, a := range placed {
		if a != "" && seen[a] {
			c.p.at(at, "%s: axis %q is placed twice; want each axis in one role", what, a)
			ok = false
		}
		seen[a] = true
	}
	for _, n := range refs {
		m := outputRefRe.FindStringSubmatch(n.Value)
		if m == nil {
			continue
		}
		fixed := map[string]bool{}
		for _, w := range strings.Split(m[4], ",") {
			a, _, _ := strings.Cut(w, "=")
			fixed[a] = true
		}
		for _, a := range c.stageAxes[m[1]] {
			if !seen[a] && !fixed[a] {
				c.p.at(n, "%s: %s depends on matrix axis %q, which the entry does not place; want it in %s",
					what, n.Value, a, hint)
				ok = false
			}
		}
	}
	return ok
}

// ref reads STAGE.OUTPUT (or STAGE.OUTPUT[COL] where columns are allowed)
// and checks that the stage has the output in some cell.
func (c *reportCheck) ref(what string, n *yaml.Node, allowCol bool) OutputRef {
	r := OutputRef{Pos: Pos{n.Line, n.Column}}
	form := "STAGE.OUTPUT"
	if allowCol {
		form = "STAGE.OUTPUT or STAGE.OUTPUT[COL]"
	}
	m := outputRefRe.FindStringSubmatch(n.Value)
	if n.Kind != yaml.ScalarNode || m == nil {
		c.p.at(n, "%s: %s: want %s", what, shown(n), form)
		return r
	}
	r.Stage, r.Output = m[1], m[2]
	if m[3] != "" {
		r.Col, _ = strconv.Atoi(m[3])
		if !allowCol || r.Col < 1 {
			c.p.at(n, "%s: %q: a column index is for the 2-d outputs of a spectrum figure (column 0 holds x; want COL >= 1); want %s", what, n.Value, form)
		}
	}
	if m[4] != "" {
		r.Where = c.selector(what, n, m[4])
	}
	switch outs, declared := c.outputs[r.Stage], contains(c.stages, r.Stage); {
	case !declared:
		c.p.at(n, "%s: %q refers to unknown stage %q; want one of %s", what, n.Value, r.Stage, strings.Join(c.stages, ", "))
	case outs != nil && !contains(outs, r.Output):
		c.p.at(n, "%s: %q: stage %q has no output %q; want one of %s", what, n.Value, r.Stage, r.Output, strings.Join(outs, ", "))
	}
	return r
}

// selector reads the "axis=value,..." after the @ of an output reference;
// numbers compare as numbers (alpha=1.0 finds alpha=1).
func (c *reportCheck) selector(what string, n *yaml.Node, text string) []AxisValue {
	var out []AxisValue
	for _, part := range strings.Split(text, ",") {
		name, value, ok := strings.Cut(part, "=")
		ax, known := c.axisValues[name]
		switch {
		case !ok || name == "":
			c.p.at(n, "%s: %q: selector %q: want axis=value", what, n.Value, part)
		case !known:
			c.p.at(n, "%s: %q: %q is not a matrix axis; want one of %s", what, n.Value, name, strings.Join(c.axes, ", "))
		default:
			v, found := matchAxisValue(ax, value)
			if _, declared := matchAxisValue(c.declared[name], value); !found && declared {
				c.leftOut = append(c.leftOut, part) // --set narrowed the axis
				continue
			}
			if !found {
				c.p.at(n, "%s: %q: axis %s has no value %s; want one of %s", what, n.Value, name, value, FormatAxisValues(ax))
				continue
			}
			out = append(out, AxisValue{name, v})
		}
	}
	return out
}

// matchAxisValue finds text among an axis's values, comparing numbers as
// numbers and anything else as its text form.
func matchAxisValue(values []any, text string) (any, bool) {
	f, numErr := strconv.ParseFloat(text, 64)
	for _, v := range values {
		switch x := v.(type) {
		case int:
			if numErr == nil && float64(x) == f {
				return v, true
			}
		case float64:
			if numErr == nil && x == f {
				return v, true
			}
		default:
			if FormatAxisValue(v) == text {
				return v, true
			}
		}
	}
	return nil, false
}

func (c *reportCheck) axis(what string, n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || !contains(c.axes, n.Value) {
		want := "want one of " + strings.Join(c.axes, ", ")
		if len(c.axes) == 0 {
			want = "this experiment has no matrix"
		}
		c.p.at(n, "%s: %s is not a matrix axis; %s", what, shown(n), want)
		return ""
	}
	return n.Value
}

// axisList reads a list of axes; a single axis may be written without brackets.
func (c *reportCheck) axisList(what string, n *yaml.Node) []string {
	var out []string
	for _, a := range itemsOf(n) {
		if name := c.axis(what, a); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func (c *reportCheck) text(what string, k, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		c.p.at(v, "%s: %s: want text", what, k.Value)
	}
	return v.Value
}

func (c *reportCheck) flag(what string, k, v *yaml.Node) bool {
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		c.p.at(v, "%s: %s: %s: want true or false", what, k.Value, shown(v))
	}
	return b
}

// count is the number of problems so far.
func (c *reportCheck) count() int {
	if c.p.errs == nil {
		return 0
	}
	return len(c.p.errs.Errors)
}

// shown quotes a scalar for a message, or names the kind of another node.
func shown(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "an alias"
}

// itemsOf is the items of a sequence node, or the node itself if it is a
// scalar.
func itemsOf(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// valueOf is the value of key in a mapping node, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// declaredStages lists the stage names in YAML order.
func declaredStages(decls []*stageDecl) []string {
	names := make([]string, len(decls))
	for i, s := range decls {
		names[i] = s.name
	}
	return names
}
