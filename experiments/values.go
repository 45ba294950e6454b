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
	if n.Kind == yaml.AliasNode {
		return nil, fmt.Errorf("aliases (*%s) are not supported; want a value or a list written out", n.Value)
	}
	return nil, fmt.Errorf("got a mapping; want a value or a list")
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

// convert turns a plain value into the Go type of spec; the error says
// what was given, the caller adds the wanted form.
func convert(spec stages.ParamSpec, v any) (any, error) {
	switch spec.Type {
	case stages.Int, stages.Float, stages.String, stages.Bool:
		if x, ok := scalar(spec.Type, v); ok {
			return x, nil
		}
		return nil, fmt.Errorf("got %s", describe(v))
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("got %s", describe(v))
	}
	switch spec.Type {
	case stages.IntList:
		return listOf[int](stages.Int, list)
	case stages.FloatList:
		return listOf[float64](stages.Float, list)
	default:
		return listOf[string](stages.String, list)
	}
}

// scalar converts v to a scalar type: a float accepts an int, nothing
// else is coerced (1.5 is no int, "1" no number).
func scalar(t stages.ParamType, v any) (any, bool) {
	switch t {
	case stages.Int:
		i, ok := v.(int)
		return i, ok
	case stages.Float:
		switch x := v.(type) {
		case int:
			return float64(x), true
		case float64:
			return x, true
		}
	case stages.String:
		s, ok := v.(string)
		return s, ok
	case stages.Bool:
		b, ok := v.(bool)
		return b, ok
	}
	return nil, false
}

func listOf[T any](elem stages.ParamType, list []any) (any, error) {
	out := make([]T, len(list))
	for i, x := range list {
		v, ok := scalar(elem, x)
		if !ok {
			return nil, fmt.Errorf("element %d is %s", i+1, describe(x))
		}
		out[i] = v.(T)
	}
	return out, nil
}

// check runs the spec's own bound, choice and length checks. A number out
// of bounds also gets the wanted form; the choice and length messages
// already say what is wanted.
func check(spec stages.ParamSpec, v any) error {
	err := spec.CheckValue(v)
	if err == nil || spec.Type == stages.String || spec.Type == stages.StringList || wrongLen(spec, v) {
		return err
	}
	return fmt.Errorf("%w; want %s", err, form(spec))
}

func wrongLen(spec stages.ParamSpec, v any) bool {
	n := -1
	switch l := v.(type) {
	case []int:
		n = len(l)
	case []float64:
		n = len(l)
	}
	return n >= 0 && spec.Len > 0 && n != spec.Len
}

// form describes the values a param accepts, for "want ..." in errors.
func form(s stages.ParamSpec) string {
	switch s.Type {
	case stages.Int:
		return "an int" + bounds(s)
	case stages.Float:
		return "a number" + bounds(s)
	case stages.Bool:
		return "true or false"
	case stages.String:
		if len(s.Choices) > 0 {
			return "one of " + strings.Join(s.Choices, ", ")
		}
		return "a string"
	}
	out := "a list of "
	if s.Len > 0 {
		out += fmt.Sprintf("%d ", s.Len)
	}
	out += map[stages.ParamType]string{stages.IntList: "ints", stages.FloatList: "numbers", stages.StringList: "strings"}[s.Type]
	if b := bounds(s); b != "" {
		out += ", each" + b
	}
	if len(s.Choices) > 0 {
		out += ", each one of " + strings.Join(s.Choices, ", ")
	}
	return out
}

func bounds(s stages.ParamSpec) string {
	switch {
	case s.Min != nil && s.Max != nil:
		return fmt.Sprintf(" in [%v, %v]", *s.Min, *s.Max)
	case s.Min != nil:
		return fmt.Sprintf(" >= %v", *s.Min)
	case s.Max != nil:
		return fmt.Sprintf(" <= %v", *s.Max)
	}
	return ""
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
