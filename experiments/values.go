package experiments

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/eigenlab/eigenlab/stages"
)

// refRe matches ${name} in the source; parsed nodes hold it as $(name)
// (see protectRefs), which placeholderRe matches.
var (
	refRe         = regexp.MustCompile(`\$\{([^}\n]*)\}`)
	placeholderRe = regexp.MustCompile(`\$\(([^)\n]*)\)`)
)

// plain decodes a node to int, float64, bool, string or []any, following
// YAML's own tags (so 1 is an int and 1.0 a float).
func plain(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
			return int(v), err
		case "!!float":
			var f float64
			err := n.Decode(&f)
			return f, err
		case "!!bool":
			var b bool
			err := n.Decode(&b)
			return b, err
		case "!!null":
			return nil, fmt.Errorf("empty value")
		default:
			return n.Value, nil
		}
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := plain(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a value or a list, not a mapping")
}

// substitute resolves ${name} references in a node against vars: a scalar
// that is exactly ${name} takes the variable's typed value, a reference
// inside a longer string is interpolated. It returns the value and the
// names it used.
func substitute(n *yaml.Node, vars map[string]any) (any, []string, error) {
	if n.Kind == yaml.SequenceNode {
		out := make([]any, len(n.Content))
		var used []string
		for i, c := range n.Content {
			v, u, err := substitute(c, vars)
			if err != nil {
				return nil, nil, err
			}
			out[i], used = v, append(used, u...)
		}
		return out, used, nil
	}
	refs := placeholderRe.FindAllStringSubmatchIndex(n.Value, -1)
	if n.Kind != yaml.ScalarNode || len(refs) == 0 {
		v, err := plain(n)
		return v, nil, err
	}
	var used []string
	for _, r := range refs {
		name := n.Value[r[2]:r[3]]
		if _, ok := vars[name]; !ok {
			return nil, nil, fmt.Errorf("${%s} is not defined; want a params entry or a matrix axis", name)
		}
		used = append(used, name)
	}
	if len(refs) == 1 && refs[0][0] == 0 && refs[0][1] == len(n.Value) {
		return vars[used[0]], used, nil
	}
	s := placeholderRe.ReplaceAllStringFunc(n.Value, func(m string) string {
		return fmt.Sprint(vars[m[2:len(m)-1]])
	})
	return s, used, nil
}

// references lists the ${names} a node mentions, without resolving them.
func references(n *yaml.Node) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(nodeText(n), -1) {
		out = append(out, m[1])
	}
	return out
}

// convert turns a plain value into the Go type of spec.
func convert(spec stages.ParamSpec, v any) (any, error) {
	want := func() error {
		return fmt.Errorf("got %s; want %s", describe(v), spec.Type)
	}
	switch spec.Type {
	case stages.Int:
		if i, ok := v.(int); ok {
			return i, nil
		}
	case stages.Float:
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			return x, nil
		}
	case stages.String:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case stages.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	default:
		list, ok := v.([]any)
		if !ok {
			return nil, want()
		}
		return convertList(spec, list)
	}
	return nil, want()
}

func convertList(spec stages.ParamSpec, list []any) (any, error) {
	elem := stages.ParamSpec{Type: map[stages.ParamType]stages.ParamType{
		stages.IntList: stages.Int, stages.FloatList: stages.Float, stages.StringList: stages.String}[spec.Type]}
	var ints []int
	var floats []float64
	var strs []string
	for i, x := range list {
		v, err := convert(elem, x)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i+1, err)
		}
		switch v := v.(type) {
		case int:
			ints = append(ints, v)
		case float64:
			floats = append(floats, v)
		case string:
			strs = append(strs, v)
		}
	}
	switch spec.Type {
	case stages.IntList:
		return append([]int{}, ints...), nil
	case stages.FloatList:
		return append([]float64{}, floats...), nil
	default:
		return append([]string{}, strs...), nil
	}
}

func describe(v any) string {
	switch v := v.(type) {
	case int:
		return fmt.Sprintf("the int %d", v)
	case float64:
		return fmt.Sprintf("the float %v", v)
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("the bool %v", v)
	case []any:
		return fmt.Sprintf("a list of %d", len(v))
	}
	return fmt.Sprintf("%v", v)
}
