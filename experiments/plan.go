package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
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
	Cells                   []Cell         // cartesian product, first axis slowest
	// Instances are the unique stage instances in a topological order that
	// is the same on every parse of the same experiment.
	Instances []*Instance
	Report    *yaml.Node // the raw report section, if any
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
	ID     string // hex SHA-256 of name, kind, canonical params and inputs
	Name   string // the stage's name in the YAML
	Kind   string
	Stage  stages.Stage
	Params stages.Params
	Inputs []InputRef // sorted by input name
	Axes   []string   // matrix axes it depends on, directly or through inputs
	Cells  []int      // indices of the cells that use it
	Line   int        // position of the stage in the YAML
	Col    int
}

// InputRef is a resolved input: an output of another instance.
type InputRef struct {
	Name   string
	From   *Instance
	Output string
}

// Lookup returns the instance of a stage in a cell, or nil.
func (p *Plan) Lookup(stage string, cell int) *Instance {
	for _, inst := range p.Instances {
		if inst.Name == stage {
			for _, c := range inst.Cells {
				if c == cell {
					return inst
				}
			}
		}
	}
	return nil
}

// cells builds the cartesian product of the axes.
func cells(axes []Axis) []Cell {
	out := []Cell{{Values: map[string]any{}}}
	for _, ax := range axes {
		var next []Cell
		for _, c := range out {
			for _, v := range ax.Values {
				vals := make(map[string]any, len(c.Values)+1)
				for k, x := range c.Values {
					vals[k] = x
				}
				vals[ax.Name] = v
				next = append(next, Cell{Values: vals})
			}
		}
		out = next
	}
	for i := range out {
		out[i].Index = i
		var parts []string
		for _, ax := range axes {
			parts = append(parts, ax.Name+"="+fmt.Sprint(out[i].Values[ax.Name]))
		}
		out[i].label = strings.Join(parts, ",")
	}
	return out
}

// instanceID identifies an instance by everything that defines it.
func instanceID(name, kind string, p stages.Params, inputs []InputRef) string {
	h := sha256.New()
	fmt.Fprintf(h, "stage %s\nkind %s\n", name, kind)
	for _, line := range p.Canonical() {
		fmt.Fprintf(h, "param %s\n", line)
	}
	for _, in := range inputs {
		fmt.Fprintf(h, "input %s=%s.%s\n", in.Name, in.From.ID, in.Output)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// topoOrder orders stages so that inputs come first, ties in YAML order,
// and reports cycles with their path.
func topoOrder(p *problems, decls []*stageDecl) []*stageDecl {
	byName := map[string]*stageDecl{}
	for _, s := range decls {
		byName[s.name] = s
	}
	state := map[string]int{} // 0 new, 1 on stack, 2 done
	var order []*stageDecl
	var visit func(s *stageDecl, path []string) bool
	visit = func(s *stageDecl, path []string) bool {
		switch state[s.name] {
		case 1:
			i := indexOf(path, s.name)
			p.at(s.key, "stage %q: inputs form a cycle: %s", s.name, strings.Join(append(path[i:], s.name), " -> "))
			return false
		case 2:
			return true
		}
		state[s.name] = 1
		ok := true
		for _, in := range s.inputs {
			if dep := byName[in.from]; dep != nil {
				ok = visit(dep, append(path, s.name)) && ok
			}
		}
		state[s.name] = 2
		order = append(order, s)
		return ok
	}
	for _, s := range decls {
		if !visit(s, nil) {
			return nil
		}
	}
	return order
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
