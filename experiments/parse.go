// Package experiments parses, validates and expands experiment YAML files
// (DESIGN.md "Experiment YAML") into a Plan of concrete stage instances:
// one per stage and per combination of the matrix axes it depends on.
package experiments

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eigenlab/eigenlab/stages"
)

var (
	yamlLineRe = regexp.MustCompile(`line (\d+): `)
	nameRe     = regexp.MustCompile(`^[a-z0-9-]+$`)
	stageRe    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
)

// doc is the parsed, not yet expanded, experiment.
type doc struct {
	name, description string
	params            map[string]*yaml.Node
	axes              []axisDecl
	matrix            *yaml.Node // the matrix mapping, for errors about the whole sweep
	stages            []*stageDecl
	report            *yaml.Node
}

type axisDecl struct {
	name   string
	key    *yaml.Node
	values []*yaml.Node
}

type stageDecl struct {
	name   string
	key    *yaml.Node // position of the stage's name
	kind   string
	kindN  *yaml.Node
	stage  stages.Stage
	specs  []stages.ParamSpec // the kind's schema, read once
	params []paramDecl
	inputs []inputDecl
	pnode  *yaml.Node // the params mapping, for cross-param errors
	temp   bool       // outputs removed once consumed (Instance.Temp)
}

type paramDecl struct {
	name  string
	key   *yaml.Node
	value *yaml.Node
}

type inputDecl struct {
	name, from, output string
	key, value         *yaml.Node
}

// protectRefs rewrites every ${name} as $(name), same length so positions
// hold: DESIGN.md writes references inside flow mappings
// ({alpha: ${alpha}}), where a bare "{" would end the YAML scalar.
func protectRefs(src []byte) []byte {
	return refRe.ReplaceAllFunc(src, func(m []byte) []byte {
		out := append([]byte{}, m...)
		out[1], out[len(out)-1] = '(', ')'
		return out
	})
}

// restoreRefs undoes protectRefs in text that is passed on verbatim.
func restoreRefs(s string) string {
	return placeholderRe.ReplaceAllString(s, "$${$1}")
}

// restoreNode undoes protectRefs in every scalar under n.
func restoreNode(n *yaml.Node) {
	n.Value = restoreRefs(n.Value)
	for _, c := range n.Content {
		restoreNode(c)
	}
}

// checkDuplicates reports repeated keys in every mapping under n, for
// sections that are kept as raw YAML rather than walked by mapping.
func checkDuplicates(p *problems, n *yaml.Node, what string) {
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; seen[k.Value] {
				p.at(k, "%s: duplicate key %q", what, k.Value)
			} else {
				seen[k.Value] = true
			}
		}
	}
	for _, c := range n.Content {
		checkDuplicates(p, c, what)
	}
}

// mapping walks a mapping node, reporting duplicate and unknown keys; known
// may be nil to accept any key.
func mapping(p *problems, n *yaml.Node, what string, known []string, fn func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.at(n, "%s: want a mapping (key: value lines)", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case seen[k.Value]:
			p.at(k, "%s: duplicate key %q", what, k.Value)
			continue
		case known != nil && !contains(known, k.Value):
			p.at(k, "%s: unknown key %q; want one of %s", what, k.Value, strings.Join(known, ", "))
			continue
		}
		seen[k.Value] = true
		fn(k, v)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseDoc reads the top level of an experiment.
func parseDoc(p *problems, src []byte) *doc {
	var root yaml.Node
	if err := yaml.Unmarshal(protectRefs(src), &root); err != nil {
		line := 0
		if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		p.at(&yaml.Node{Line: line, Column: 1}, "not valid YAML: %s", strings.TrimPrefix(yamlLineRe.ReplaceAllString(err.Error(), ""), "yaml: "))
		return nil
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		p.at(&root, "empty experiment; want a mapping with name and stages")
		return nil
	}
	d := &doc{params: map[string]*yaml.Node{}}
	top := root.Content[0]
	seen := map[string]bool{}
	mapping(p, top, "experiment", []string{"name", "description", "params", "matrix", "stages", "report"}, func(k, v *yaml.Node) {
		seen[k.Value] = true
		d.section(p, k.Value, v)
	})
	if top.Kind == yaml.MappingNode {
		for _, key := range []string{"name", "stages"} {
			if !seen[key] {
				p.at(top, "missing required key %q", key)
			}
		}
	}
	for _, a := range d.axes {
		if _, dup := d.params[a.name]; dup {
			p.at(a.key, "matrix axis %q has the same name as a param; want distinct names", a.name)
		}
	}
	return d
}

// section reads one top-level key of the experiment.
func (d *doc) section(p *problems, key string, v *yaml.Node) {
	switch key {
	case "name":
		if v.Kind != yaml.ScalarNode || !nameRe.MatchString(v.Value) {
			p.at(v, "name %q: want lowercase letters, digits and dashes ([a-z0-9-]+)", v.Value)
		}
		d.name = v.Value
	case "description":
		if v.Kind != yaml.ScalarNode {
			p.at(v, "description: want text")
		}
		d.description = restoreRefs(v.Value)
	case "params":
		mapping(p, v, "params", nil, func(k, v *yaml.Node) {
			if len(references(v)) > 0 {
				p.at(v, "param %q: params cannot refer to other params or axes; want a plain value or list", k.Value)
			}
			d.params[k.Value] = v
		})
	case "matrix":
		d.matrix = v
		mapping(p, v, "matrix", nil, func(k, v *yaml.Node) {
			switch {
			case v.Kind != yaml.SequenceNode || len(v.Content) == 0:
				p.at(v, "matrix axis %q: want a non-empty list of values", k.Value)
				return
			case len(references(v)) > 0:
				p.at(v, "matrix axis %q: values cannot refer to params or axes; want plain values", k.Value)
			}
			d.axes = append(d.axes, axisDecl{k.Value, k, v.Content})
		})
	case "stages":
		mapping(p, v, "stages", nil, func(k, v *yaml.Node) { d.stages = append(d.stages, parseStage(p, k, v)) })
	case "report":
		checkDuplicates(p, v, "report")
		restoreNode(v)
		d.report = v
	}
}

func parseStage(p *problems, key, n *yaml.Node) *stageDecl {
	s := &stageDecl{name: key.Value, key: key}
	if !stageRe.MatchString(s.name) {
		p.at(key, "stage name %q: want letters, digits, _ and - (no dots: STAGE.OUTPUT names an output)", s.name)
	}
	what := fmt.Sprintf("stage %q", s.name)
	mapping(p, n, what, []string{"kind", "params", "inputs", "temp"}, func(k, v *yaml.Node) {
		switch k.Value {
		case "kind":
			s.kind, s.kindN = v.Value, v
		case "temp":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&s.temp) != nil {
				p.at(v, "%s: temp: want true or false (true: its outputs are removed from the cache once the stages that read them have their results)", what)
			}
		case "params":
			s.pnode = v
			mapping(p, v, what+" params", nil, func(k, v *yaml.Node) {
				s.params = append(s.params, paramDecl{k.Value, k, v})
			})
		case "inputs":
			mapping(p, v, what+" inputs", nil, func(k, v *yaml.Node) {
				from, out, _ := strings.Cut(v.Value, ".")
				if v.Kind != yaml.ScalarNode || from == "" {
					p.at(v, "%s: input %q: want a reference STAGE or STAGE.OUTPUT", what, k.Value)
					return
				}
				if placeholderRe.MatchString(from) {
					p.at(v, "%s: input %q: the STAGE part of %q cannot use ${...}; want STAGE or STAGE.OUTPUT, where OUTPUT may (STAGE.${axis})", what, k.Value, restoreRefs(v.Value))
					return
				}
				s.inputs = append(s.inputs, inputDecl{k.Value, from, out, k, v})
			})
		}
	})
	if n.Kind == yaml.MappingNode && s.kindN == nil {
		p.at(key, "%s: missing required key \"kind\"", what)
	}
	if s.kindN != nil {
		st, ok := stages.Lookup(s.kind)
		if !ok {
			p.at(s.kindN, "%s: unknown stage kind %q; known kinds: %s", what, s.kind, strings.Join(stages.Kinds(), ", "))
		}
		if ok {
			s.stage, s.specs = st, st.Params()
		}
	}
	return s
}

// nodeText flattens a node's scalars, to look for ${...} anywhere in it.
func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var b strings.Builder
	for _, c := range n.Content {
		b.WriteString(nodeText(c))
		b.WriteByte(' ')
	}
	return b.String()
}
