package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eigenlab/eigenlab/stages"
)

// Plan is a validated experiment expanded over its matrix.
type Plan struct {
	Name, Description, File string
	Source                  []byte         // the exact YAML that was read
	Params                  map[string]any // top-level params after --set
	Axes                    []Axis         // matrix axes in YAML order
	Cells                   []Cell         // cartesian product, first axis slowest; nil if streamed
	// Instances are the unique stage instances in a topological order that
	// is the same on every parse of the same experiment; nil if streamed
	// (Stream, Windows).
	Instances []*Instance
	Report    *yaml.Node // the raw report section, if any

	perCell map[string][]*Instance // stage -> its instance in each cell
	// declared are the matrix axes' values as the YAML declares them,
	// before --set: a report selector naming a value --set left out is
	// not an error (ReportEntry.LeftOut).
	declared map[string][]any
	// order are the stages in a topological order, to expand a streamed
	// plan's windows from (nil when expanded whole); count and maxMem are
	// the plan's number of instances and their largest memory estimate,
	// found when it was validated (tally).
	order  []*stageDecl
	count  int
	maxMem int64
	// stages are the declared stages' names in YAML order; temp reports
	// whether any is a temp stage.
	stages []string
	temp   bool
}

// Axis is one matrix axis.
type Axis struct {
	Name   string
	Values []any
}

// Cell is one point of the matrix.
type Cell struct {
	Index  int
	Values map[string]any
	label  string
}

// String renders the cell as "alpha=1.5,seed=0" ("" without a matrix).
func (c Cell) String() string { return c.label }

// Instance is one concrete execution of a stage: a kind with resolved
// params and input instances. Cells that resolve a stage identically share
// one instance.
type Instance struct {
	// ID is the hex SHA-256 of the stage name, kind, canonical params and
	// input (instance ID, output) pairs: YAML spelling does not change it,
	// any value does. The name keeps two identically configured stages
	// apart in the plan; the runner's action key omits it, so they still
	// share cached results.
	ID     string
	Name   string // the stage's name in the YAML
	Kind   string
	Stage  stages.Stage
	Params stages.Params
	Inputs []InputRef // sorted by input name
	Axes   []string   // matrix axes it depends on, directly or through inputs
	Cells  []int      // indices of the cells that use it
	Pos    Pos        // of the stage's key in the YAML
	// Temp marks intermediate outputs (the stage's "temp: true"): the
	// runner removes them from the cache once every stage reading them
	// has its result, keeping their action record, and recomputes them
	// only if a stage needs them again. Not part of the ID: it changes
	// where results are kept, never what they are.
	Temp bool
	// lines are Params.Canonical(), made once when the instance is
	// resolved (see ParamLines).
	lines []string
}

// ParamLines returns Params.Canonical(): the instance's ID, its action
// key and its record each read them, and a sweep's stages share one copy
// when their params mention no axis.
func (i *Instance) ParamLines() []string {
	if i.lines != nil {
		return i.lines
	}
	return i.Params.Canonical()
}

// Pos is a line:column position in the experiment file (1-based).
type Pos struct{ Line, Col int }

// InputRef is a resolved input: an output of another instance.
type InputRef struct {
	Name   string
	From   *Instance
	Output string
}

// StageNames are the names of the plan's stages, in YAML order.
func (p *Plan) StageNames() []string { return p.stages }

// HasTemp reports whether any stage of the plan is a temp stage
// (Instance.Temp).
func (p *Plan) HasTemp() bool { return p.temp }

// Lookup returns the instance of a stage in a cell, or nil (always, for a
// streamed plan).
func (p *Plan) Lookup(stage string, cell int) *Instance {
	insts := p.perCell[stage]
	if cell < 0 || cell >= len(insts) {
		return nil
	}
	return insts[cell]
}

// FormatAxisValue is how a matrix value appears in cell labels, and so in
// recorded executions and REFs: integral floats without ".0", strings
// without quotes.
func FormatAxisValue(v any) string {
	s := stages.FormatValue(v)
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		s = strings.TrimSuffix(s, ".0")
	}
	return strings.Trim(s, `"`)
}

// FormatAxisValues lists an axis's values for messages: "0, 0.5, 1".
func FormatAxisValues(values []any) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = FormatAxisValue(v)
	}
	return strings.Join(parts, ", ")
}

// CellLabel is the cell an instance's executions are recorded under: the
// values of the axes it depends on, in axis order ("" for none).
func (p *Plan) CellLabel(inst *Instance) string {
	if len(inst.Axes) == 0 || len(inst.Cells) == 0 {
		return ""
	}
	idx := axisIndices(p.Axes, inst.Cells[0])
	var parts []string
	for i, ax := range p.Axes {
		if slices.Contains(inst.Axes, ax.Name) {
			parts = append(parts, ax.Name+"="+FormatAxisValue(ax.Values[idx[i]]))
		}
	}
	return strings.Join(parts, ",")
}

// axisIndices are the indices of cell ci's value on each axis: its digits
// in the mixed radix of the axes' sizes, the last axis fastest.
func axisIndices(axes []Axis, ci int) []int {
	idx := make([]int, len(axes))
	for i := len(axes) - 1; i >= 0; i-- {
		n := len(axes[i].Values)
		idx[i], ci = ci%n, ci/n
	}
	return idx
}

// cellRange builds the cells lo to hi (exclusive) of the cartesian product
// of the axes, the first axis varying slowest.
func cellRange(axes []Axis, lo, hi int) []Cell {
	labels := make([][]string, len(axes)) // "name=value" per axis value
	for i, ax := range axes {
		for _, v := range ax.Values {
			labels[i] = append(labels[i], ax.Name+"="+FormatAxisValue(v))
		}
	}
	out := make([]Cell, hi-lo)
	idx := axisIndices(axes, lo) // mixed-radix counter, last axis fastest
	var b strings.Builder
	for c := range out {
		vals := make(map[string]any, len(axes))
		b.Reset()
		for i, ax := range axes {
			vals[ax.Name] = ax.Values[idx[i]]
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(labels[i][idx[i]])
		}
		out[c] = Cell{Index: lo + c, Values: vals, label: b.String()}
		for i := len(idx) - 1; i >= 0; i-- {
			if idx[i]++; idx[i] < len(axes[i].Values) {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

// instanceID identifies an instance by everything that defines it.
func instanceID(name, kind string, paramLines []string, inputs []InputRef) string {
	b := make([]byte, 0, 512)
	b = append(append(append(append(append(b, "stage "...), name...), "\nkind "...), kind...), '\n')
	for _, line := range paramLines {
		b = append(append(append(b, "param "...), line...), '\n')
	}
	for _, in := range inputs {
		b = append(append(append(append(append(b, "input "...), in.Name...), '='), in.From.ID...), '.')
		b = append(append(b, in.Output...), '\n')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// topoOrder orders stages so that each follows the stages it reads from;
// among stages ready together the earlier one in the YAML goes first.
// Cycles are reported with their path; their stages come last.
func topoOrder(p *problems, decls []*stageDecl) []*stageDecl {
	byName := map[string]*stageDecl{}
	for _, s := range decls {
		byName[s.name] = s
	}
	placed := map[string]bool{}
	ready := func(s *stageDecl) bool {
		for _, in := range s.inputs {
			if byName[in.from] != nil && !placed[in.from] {
				return false
			}
		}
		return true
	}
	order := make([]*stageDecl, 0, len(decls))
	for len(order) < len(decls) {
		var next *stageDecl
		for _, s := range decls {
			if !placed[s.name] && ready(s) {
				next = s
				break
			}
		}
		if next == nil {
			// A cycle: report it and append the rest in YAML order so
			// their params are still checked.
			reportCycles(p, decls, byName, placed)
			for _, s := range decls {
				if !placed[s.name] {
					order = append(order, s)
				}
			}
			break
		}
		placed[next.name] = true
		order = append(order, next)
	}
	return order
}

// reportCycles reports each cycle among the stages topoOrder could not
// place, as a path of stage names. Self-references are left to checkRefs.
func reportCycles(p *problems, decls []*stageDecl, byName map[string]*stageDecl, placed map[string]bool) {
	state := map[string]int{} // 0 new, 1 on the path, 2 done
	var visit func(s *stageDecl, path []string)
	visit = func(s *stageDecl, path []string) {
		switch state[s.name] {
		case 1:
			i := indexOf(path, s.name)
			p.at(s.key, "stage %q: inputs form a cycle: %s; want an acyclic chain of inputs",
				s.name, strings.Join(append(path[i:], s.name), " -> "))
			return
		case 2:
			return
		}
		state[s.name] = 1
		for _, in := range s.inputs {
			if dep := byName[in.from]; dep != nil && dep != s && !placed[dep.name] {
				visit(dep, append(path, s.name))
			}
		}
		state[s.name] = 2
	}
	for _, s := range decls {
		if !placed[s.name] {
			visit(s, nil)
		}
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}
