package experiments

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"gopkg.in/yaml.v3"

	"github.com/eigenlab/eigenlab/stages"
)

// Parse validates an experiment and expands it into a plan. sets are
// `--set k=v` overrides of params or matrix axes. Every problem is
// reported at once in an *InvalidError.
func Parse(filename string, src []byte, sets []string) (*Plan, error) {
	return parse(filename, src, sets, false)
}

// Stream is Parse for a plan that is run (Plan.Windows) and not inspected
// otherwise: a sweep of more than StreamAbove cells is validated in full,
// cell by cell, as Parse does, but not kept; its instances are expanded
// again a window of cells at a time as they run, so that a sweep's memory
// is bounded by its window, not by its cells. Its Instances, Cells and
// Lookup are then empty; a smaller sweep is expanded whole, as by Parse.
func Stream(filename string, src []byte, sets []string) (*Plan, error) {
	return parse(filename, src, sets, true)
}

func parse(filename string, src []byte, sets []string, stream bool) (*Plan, error) {
	p := &problems{file: filename}
	d := parseDoc(p, src)
	if d == nil {
		return nil, p.err()
	}
	params, axes := resolveTop(p, d)
	declared := make(map[string][]any, len(axes))
	for _, a := range axes {
		declared[a.Name] = a.Values
	}
	for _, s := range sets {
		applySet(p, s, params, axes)
	}
	order := topoOrder(p, d.stages)
	checkRefs(p, d)
	n := cellCount(axes)
	if n > maxCells {
		p.at(d.matrix, "matrix: %d cells; want at most %d in one experiment (split the sweep, or pin axes with --set)", n, maxCells)
		return nil, p.err()
	}
	plan := &Plan{Name: d.name, Description: d.description, File: filename, Source: src,
		Params: params, Axes: axes, Report: d.report, declared: declared,
		stages: declaredStages(d.stages), temp: slices.ContainsFunc(d.stages, func(s *stageDecl) bool { return s.temp })}
	var shapes stageShapes
	if stream && n > StreamAbove {
		plan.order = order
		for w := range plan.windows(p) {
			shapes.add(w)
			plan.tally(w)
		}
	} else {
		plan.Cells = cellRange(axes, 0, n)
		w := &window{cells: plan.Cells, perCell: map[string][]*Instance{}}
		plan.Instances = expand(p, plan, order, w, nil)
		plan.perCell = w.perCell
		shapes.add(plan.Instances)
		plan.tally(plan.Instances)
	}
	checkReport(p, d.report, plan, &shapes, plan.stages)
	if err := p.err(); err != nil {
		return nil, err
	}
	return plan, nil
}

// maxCells bounds a sweep so a typo cannot ask for billions of cells:
// every cell is planned, scheduled and recorded on its own (planning alone
// takes about a second at this size). Larger studies are split into
// several experiments or pin axes with --set.
const maxCells = 100_000

func cellCount(axes []Axis) int {
	n := 1
	for _, a := range axes {
		n *= len(a.Values)
		if n > maxCells {
			return n
		}
	}
	return n
}

// resolveTop decodes params and axes as the YAML declares them.
func resolveTop(p *problems, d *doc) (map[string]any, []Axis) {
	params := map[string]any{}
	for name, n := range d.params {
		v, err := plain(n)
		if err != nil {
			p.at(n, "param %q: %v", name, err)
		}
		params[name] = v
	}
	axes := make([]Axis, len(d.axes))
	for i, a := range d.axes {
		axes[i].Name = a.name
		for _, n := range a.values {
			v, err := plain(n)
			if err != nil {
				p.at(n, "matrix axis %q: %v", a.name, err)
			}
			axes[i].Values = append(axes[i].Values, v)
		}
	}
	return params, axes
}

// applySet applies one `--set k=v`; v is read as a YAML value, so
// numbers, booleans and [lists] work.
func applySet(p *problems, set string, params map[string]any, axes []Axis) {
	k, text, ok := strings.Cut(set, "=")
	if !ok {
		p.at(nil, "--set %q: want key=value", set)
		return
	}
	v := setValue(text)
	if _, isParam := params[k]; isParam {
		params[k] = v
		return
	}
	for i := range axes {
		if axes[i].Name != k {
			continue
		}
		switch list, isList := v.([]any); {
		case !isList:
			axes[i].Values = []any{v} // a scalar pins the axis
		case len(list) == 0:
			p.at(nil, "--set %q: matrix axis %q: got an empty list; want a value or a non-empty list", set, k)
		default:
			axes[i].Values = list
		}
		return
	}
	known := slices.Sorted(maps.Keys(params))
	for _, a := range axes {
		known = append(known, a.Name)
	}
	want := "want one of " + strings.Join(known, ", ")
	if len(known) == 0 {
		want = "this experiment declares no params or matrix axes"
	}
	p.at(nil, "--set %q: %q is neither a param nor a matrix axis; %s", set, k, want)
}

// setValue reads the value of a --set as a YAML scalar or flow list; text
// that is not one (a path with ": ", an unbalanced bracket) is taken as the
// string it is, and the param's type check then judges it.
func setValue(text string) any {
	var n yaml.Node
	if yaml.Unmarshal([]byte(text), &n) != nil || len(n.Content) == 0 {
		return text
	}
	v, err := plain(n.Content[0])
	if err != nil {
		return text
	}
	return v
}

// checkRefs validates input names and references that do not depend on
// params (outputs are checked per instance during expansion).
func checkRefs(p *problems, d *doc) {
	byName := map[string]*stageDecl{}
	var names []string
	for _, s := range d.stages {
		byName[s.name] = s
		names = append(names, s.name)
	}
	for _, s := range d.stages {
		if s.stage == nil {
			continue
		}
		given := map[string]bool{}
		for _, in := range s.inputs {
			given[in.name] = true
			if _, ok := inputSpec(s.stage, in.name); !ok {
				p.at(in.key, "stage %q: unknown input %q for kind %s; want one of %s", s.name, in.name, s.kind, inputNames(s.stage))
			}
			switch {
			case in.from == s.name:
				p.at(in.value, "stage %q: input %q refers to the stage itself; want another stage", s.name, in.name)
			case byName[in.from] == nil:
				p.at(in.value, "stage %q: input %q refers to unknown stage %q; want one of %s", s.name, in.name, in.from, strings.Join(names, ", "))
			}
		}
		for _, spec := range s.stage.Inputs() {
			if !spec.Optional && !given[spec.Name] {
				p.at(s.key, "stage %q: missing required input %q (%s); want inputs: {%s: STAGE or STAGE.OUTPUT}", s.name, spec.Name, spec.Doc, spec.Name)
			}
		}
	}
}

func inputSpec(st stages.Stage, name string) (stages.InputSpec, bool) {
	for _, in := range st.Inputs() {
		if in.Name == name {
			return in, true
		}
	}
	return stages.InputSpec{}, false
}

func inputNames(st stages.Stage) string {
	var names []string
	for _, in := range st.Inputs() {
		names = append(names, in.Name)
	}
	if len(names) == 0 {
		return "(none: this kind takes no inputs)"
	}
	return strings.Join(names, ", ")
}

// expand resolves every stage in the cells of w and merges identical
// instances, returning the new ones in a topological order. A stage is
// resolved once per combination of the axes it depends on; the cells that
// share the combination share the result. c, if not nil, carries the
// instances of stages that depend on fewer than every axis from window to
// window (a streamed plan): those found there are not new.
func expand(p *problems, plan *Plan, order []*stageDecl, w *window, c *carry) []*Instance {
	axisSet := map[string]bool{}
	for _, a := range plan.Axes {
		axisSet[a.Name] = true
	}
	deps := map[string][]string{} // stage -> axes it depends on
	byID := map[string]*Instance{}
	var out []*Instance
	for _, s := range order {
		axes := stageAxes(s, axisSet, deps)
		deps[s.name] = axes
		carried := c != nil && plan.partial(axes) // Plan.Carried
		w.perCell[s.name] = make([]*Instance, len(w.cells))
		old := map[string]*Instance{} // projection -> instance of an earlier window
		if carried {
			old = c.instances(s.name)
		}
		resolved := resolveAll(p, plan, s, axes, w, old)
		type pick struct {
			inst    *Instance // nil if invalid
			earlier bool      // from an earlier window
		}
		memo := map[string]pick{} // projection -> its instance
		for i, cell := range w.cells {
			key := projection(plan.Axes, axes, cell.Index)
			m, done := memo[key]
			if !done {
				m = pick{old[key], old[key] != nil}
				if !m.earlier {
					m.inst = resolved[key]
					if prev := cmp.Or(byID[idOf(m.inst)], c.byID(idOf(m.inst))); prev != nil {
						m.inst = prev
					} else if m.inst != nil {
						m.inst.Axes = axes
						byID[m.inst.ID] = m.inst
						out = append(out, m.inst)
					}
				}
				memo[key] = m
			}
			if m.inst != nil {
				if !m.earlier {
					m.inst.Cells = append(m.inst.Cells, cell.Index)
				}
				w.perCell[s.name][i] = m.inst
			}
		}
		for key, m := range memo {
			if carried && !m.earlier && m.inst != nil {
				c.keep(s.name, key, m.inst)
			}
		}
	}
	return out
}

// resolveAll resolves stage s once per distinct projection of the cells of
// w on its axes that old does not hold, as expand would cell by cell, and
// returns the instances by projection (nil where invalid). A sweep of many
// cells is resolved by one worker per CPU, each reporting to problems of
// its own; should any report one, the stage is resolved again in order, so
// that what the user reads does not depend on the workers.
func resolveAll(p *problems, plan *Plan, s *stageDecl, axes []string, w *window, old map[string]*Instance) map[string]*Instance {
	var keys []string
	first := map[string]int{} // projection -> its first cell in w
	for i, cell := range w.cells {
		key := projection(plan.Axes, axes, cell.Index)
		if _, ok := first[key]; !ok && old[key] == nil {
			first[key] = i
			keys = append(keys, key)
		}
	}
	out := make(map[string]*Instance, len(keys))
	shared := sharedParams(p, plan, s, w.cells[0], len(keys))
	var sharedLines []string
	if shared != nil {
		sharedLines = shared.Canonical()
	}
	resolve := func(p *problems, key string) *Instance {
		return resolveInstance(p, plan, s, w, w.cells[first[key]], shared, sharedLines)
	}
	if len(keys) >= parallelAbove {
		insts := make([]*Instance, len(keys))
		workers := make([]*problems, runtime.GOMAXPROCS(0))
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range workers {
			workers[w] = &problems{file: p.file}
			wg.Go(func() {
				for i := int(next.Add(1) - 1); i < len(keys); i = int(next.Add(1) - 1) {
					insts[i] = resolve(workers[w], keys[i])
				}
			})
		}
		wg.Wait()
		if !slices.ContainsFunc(workers, func(w *problems) bool { return w.errs != nil }) {
			for i, key := range keys {
				out[key] = insts[i]
			}
			return out
		}
	}
	for _, key := range keys {
		out[key] = resolve(p, key)
	}
	return out
}

// parallelAbove is the number of instances of a stage from which
// resolveAll uses every CPU: below it, starting workers costs more.
var parallelAbove = 256 // a variable so tests can raise it

func idOf(inst *Instance) string {
	if inst == nil {
		return ""
	}
	return inst.ID
}

// projection names cell ci's values on the given axes by their indices
// (the first axis varies slowest).
func projection(axes []Axis, on []string, ci int) string {
	var key []byte
	stride := 1
	for i := len(axes) - 1; i >= 0; i-- {
		n := len(axes[i].Values)
		if contains(on, axes[i].Name) {
			key = strconv.AppendInt(key, int64(ci/stride%n), 10)
			key = append(key, ',')
		}
		stride *= n
	}
	return string(key)
}

// stageAxes is the set of axes a stage mentions or inherits from inputs,
// in a sorted order.
func stageAxes(s *stageDecl, axes map[string]bool, deps map[string][]string) []string {
	set := map[string]bool{}
	for _, pd := range s.params {
		for _, r := range references(pd.value) {
			if axes[r] {
				set[r] = true
			}
		}
	}
	for _, in := range s.inputs {
		for _, a := range deps[in.from] {
			set[a] = true
		}
		for _, r := range references(in.value) {
			if axes[r] {
				set[r] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// outputName resolves ${name} references in the OUTPUT part of an input
// reference (acts.${layer}), so a sweep axis can pick which output of a
// stage is read; the stage part is always literal.
func outputName(output string, vars map[string]any) (string, error) {
	var err error
	out := placeholderRe.ReplaceAllStringFunc(output, func(m string) string {
		v, ok := vars[m[2:len(m)-1]]
		if !ok {
			err = fmt.Errorf("${%s} is not defined; want a params entry or a matrix axis", m[2:len(m)-1])
		}
		return fmt.Sprint(v)
	})
	return out, err
}

// sharedParams resolves once the params of a stage resolved n times whose
// params mention no matrix axis: every instance then has the same params,
// and one map for all of them keeps a wide sweep's plan small (a stage
// over 50,000 cells: 25 MB less). Nil if each instance resolves its own
// (valid or not: its errors are then reported as before).
func sharedParams(p *problems, plan *Plan, s *stageDecl, cell Cell, n int) stages.Params {
	if n < 2 || slices.ContainsFunc(s.params, func(pd paramDecl) bool {
		return slices.ContainsFunc(references(pd.value), func(r string) bool { return plan.axis(r) })
	}) {
		return nil
	}
	params, ok := resolveParams(&problems{file: p.file}, s, cellVars(plan, cell))
	if !ok {
		return nil
	}
	return params
}

// axis reports whether name is a matrix axis of the plan.
func (plan *Plan) axis(name string) bool {
	return slices.ContainsFunc(plan.Axes, func(a Axis) bool { return a.Name == name })
}

// cellVars are the values ${name} refers to in cell: the top-level params
// and the cell's axis values.
func cellVars(plan *Plan, cell Cell) map[string]any {
	vars := make(map[string]any, len(plan.Params)+len(cell.Values))
	for k, v := range plan.Params {
		vars[k] = v
	}
	for k, v := range cell.Values {
		vars[k] = v
	}
	return vars
}

// resolveInstance computes a stage's params (shared, with their canonical
// lines, if not nil: see sharedParams) and inputs in one cell of w.
func resolveInstance(p *problems, plan *Plan, s *stageDecl, w *window, cell Cell, shared stages.Params, sharedLines []string) *Instance {
	vars := cellVars(plan, cell)
	params, lines, ok := shared, sharedLines, true
	if shared == nil {
		if params, ok = resolveParams(p, s, vars); ok {
			lines = params.Canonical()
		}
	}
	inst := &Instance{Name: s.name, Kind: s.kind, Stage: s.stage, Params: params, Pos: Pos{s.key.Line, s.key.Column}, Temp: s.temp, lines: lines}
	for _, in := range s.inputs {
		from := w.at(in.from, cell.Index)
		if from == nil {
			return nil // its own errors are reported already
		}
		outs := from.Stage.Outputs(from.Params)
		out, err := outputName(in.output, vars)
		if err != nil {
			p.once(in.value, "stage %q: input %q: %v", s.name, in.name, err)
			return nil
		}
		if out == "" && len(outs) > 0 {
			out = outs[0]
		}
		if !contains(outs, out) {
			p.once(in.value, "stage %q: input %q: stage %q has no output %q; want one of %s", s.name, in.name, in.from, out, strings.Join(outs, ", "))
			ok = false
		}
		inst.Inputs = append(inst.Inputs, InputRef{Name: in.name, From: from, Output: out})
	}
	if !ok {
		return nil
	}
	sort.Slice(inst.Inputs, func(i, j int) bool { return inst.Inputs[i].Name < inst.Inputs[j].Name })
	inst.ID = instanceID(s.name, s.kind, lines, inst.Inputs)
	return inst
}

// resolveParams substitutes, converts and validates a stage's params.
func resolveParams(p *problems, s *stageDecl, vars map[string]any) (stages.Params, bool) {
	if s.stage == nil {
		return nil, false
	}
	what := fmt.Sprintf("stage %q", s.name)
	ok := true
	params := stages.Params{}
	given := map[string]bool{}
	for _, pd := range s.params {
		given[pd.name] = true
		spec, known := findSpec(s.specs, pd.name)
		if !known {
			p.at(pd.key, "%s: unknown param %q for kind %s; want one of %s", what, pd.name, s.kind, paramNames(s.specs))
			ok = false
			continue
		}
		v, err := paramValue(spec, pd.value, vars)
		if err != nil {
			p.once(pd.value, "%s: param %q: %v", what, pd.name, err)
			ok = false
			continue
		}
		params[pd.name] = v
	}
	for _, spec := range s.specs {
		if given[spec.Name] {
			continue // set, or already reported
		}
		switch {
		case spec.Default != nil:
			params[spec.Name] = spec.Default
		case !spec.Optional:
			p.at(s.key, "%s: missing required param %q (%s); want %s", what, spec.Name, spec.Doc, form(spec))
			ok = false
		}
	}
	if !ok {
		return params, false
	}
	if d, isD := s.stage.(stages.Defaulter); isD {
		d.Defaults(params)
	}
	if v, isV := s.stage.(stages.Validator); isV {
		if err := v.Validate(params); err != nil {
			at := s.pnode
			if at == nil {
				at = s.key
			}
			p.once(at, "%s: %v", what, err)
			return params, false
		}
	}
	return params, checkFiles(p, s, params, what)
}

// checkFiles reports file and folder params whose path does not exist,
// before anything runs: a run that would fail at its first stage is an
// invalid experiment. Relative paths are relative to the working directory.
func checkFiles(p *problems, s *stageDecl, params stages.Params, what string) bool {
	ok := true
	for _, spec := range s.specs {
		path, set := params[spec.Name].(string)
		if !spec.File || !set {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			at := s.key
			for _, pd := range s.params {
				if pd.name == spec.Name {
					at = pd.value
				}
			}
			if r, ok := s.stage.(stages.SpecResolver); ok {
				spec, _ = r.ResolveSpec(params, spec.Name)
			}
			p.once(at, "%s: param %q: %s does not exist; want %s", what, spec.Name, path, spec.Doc)
			ok = false
		}
	}
	return ok
}

// paramValue substitutes, converts and checks one stage param.
func paramValue(spec stages.ParamSpec, n *yaml.Node, vars map[string]any) (any, error) {
	v, _, err := substitute(n, vars)
	if err != nil {
		return nil, err
	}
	if v, err = convert(spec, v); err != nil {
		return nil, fmt.Errorf("%w; want %s", err, form(spec))
	}
	return v, check(spec, v)
}

func findSpec(specs []stages.ParamSpec, name string) (stages.ParamSpec, bool) {
	for _, spec := range specs {
		if spec.Name == name {
			return spec, true
		}
	}
	return stages.ParamSpec{}, false
}

func paramNames(specs []stages.ParamSpec) string {
	var names []string
	for _, spec := range specs {
		names = append(names, spec.Name)
	}
	return strings.Join(names, ", ")
}
