package stages

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ParamType is the type of a stage parameter as written in YAML.
type ParamType int

// The parameter types a stage can declare.
const (
	Int ParamType = iota
	Float
	String
	Bool
	IntList
	FloatList
	StringList
)

func (t ParamType) String() string {
	return [...]string{"int", "float", "string", "bool", "list of int", "list of float", "list of string"}[t]
}

// ParamSpec declares one parameter of a stage: its type, default, allowed
// values and a one-line doc that `eigenlab stages` prints.
type ParamSpec struct {
	Name    string
	Type    ParamType
	Default any // nil means required, unless Optional
	// Optional marks a parameter with no default that may be left out.
	Optional bool
	Doc      string
	Min, Max *float64 // inclusive bounds for numbers (each element of a list)
	Choices  []string // allowed strings
	// Len fixes the length of a list parameter (0 = any length).
	Len int
	// File marks a string parameter that names an input file or folder:
	// the runner hashes its content into the action key, so an edited
	// file is never served from the cache.
	File bool
}

// Bound is a convenience for ParamSpec.Min and ParamSpec.Max.
func Bound(v float64) *float64 { return &v }

// Params are a stage's resolved parameter values: int, float64, string,
// bool, []int, []float64 or []string, keyed by name, defaults filled in.
type Params map[string]any

// Int returns an int parameter; it panics if the schema says otherwise.
func (p Params) Int(name string) int { return p[name].(int) }

// Float returns a float parameter.
func (p Params) Float(name string) float64 { return p[name].(float64) }

// String returns a string parameter ("" when optional and absent).
func (p Params) String(name string) string { s, _ := p[name].(string); return s }

// Bool returns a bool parameter.
func (p Params) Bool(name string) bool { return p[name].(bool) }

// Ints returns a list-of-int parameter (nil when optional and absent).
func (p Params) Ints(name string) []int { v, _ := p[name].([]int); return v }

// Floats returns a list-of-float parameter.
func (p Params) Floats(name string) []float64 { v, _ := p[name].([]float64); return v }

// Strings returns a list-of-string parameter.
func (p Params) Strings(name string) []string { v, _ := p[name].([]string); return v }

// Has reports whether the parameter has a value.
func (p Params) Has(name string) bool { _, ok := p[name]; return ok }

// Canonical renders the parameters as sorted "name=value" lines, the form
// that enters action keys: equal values give equal text whatever the YAML
// spelling (1 vs 1.0 for a float, key order, whitespace).
func (p Params) Canonical() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	lines := make([]string, len(names))
	var b []byte
	for i, n := range names {
		b = append(append(b[:0], n...), '=')
		lines[i] = string(appendValue(b, p[n]))
	}
	return lines
}

// FormatValue renders a parameter value canonically: integral floats
// below 1e15 with one decimal ("1.0"), other floats shortest ("0.1",
// "1e+21"), strings and their lists quoted as Go does, lists in brackets.
// It is the text of a param in action keys, so it never changes for a
// value it already renders (action.TestKeyIsStable).
func FormatValue(v any) string {
	return string(appendValue(nil, v))
}

func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case float64:
		return appendFloat(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case string:
		return strconv.AppendQuote(b, v)
	case []float64:
		return appendList(b, v, appendFloat)
	case []int:
		return appendList(b, v, func(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) })
	case []string:
		return appendList(b, v, strconv.AppendQuote)
	default:
		return fmt.Append(b, v)
	}
}

func appendList[T any](b []byte, list []T, appendOne func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, x := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, x)
	}
	return append(b, ']')
}

func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendFloat(b, f, 'f', 1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// CheckValue validates a typed value against the spec's bounds, choices
// and length; the caller has already converted it to the spec's Go type.
func (s ParamSpec) CheckValue(v any) error {
	switch v := v.(type) {
	case int:
		return s.checkNumber(float64(v))
	case float64:
		return s.checkNumber(v)
	case string:
		return s.checkChoice(v)
	case []int:
		if err := s.checkLen(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := s.checkNumber(float64(x)); err != nil {
				return err
			}
		}
	case []float64:
		if err := s.checkLen(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := s.checkNumber(x); err != nil {
				return err
			}
		}
	case []string:
		if err := s.checkLen(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := s.checkChoice(x); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s ParamSpec) checkNumber(x float64) error {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Errorf("%v is not a finite number", x)
	}
	if s.Min != nil && x < *s.Min {
		return fmt.Errorf("%v is below the minimum %v", x, *s.Min)
	}
	if s.Max != nil && x > *s.Max {
		return fmt.Errorf("%v is above the maximum %v", x, *s.Max)
	}
	return nil
}

func (s ParamSpec) checkChoice(x string) error {
	if len(s.Choices) == 0 {
		return nil
	}
	for _, c := range s.Choices {
		if c == x {
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", x, strings.Join(s.Choices, ", "))
}

func (s ParamSpec) checkLen(n int) error {
	if s.Len > 0 && n != s.Len {
		return fmt.Errorf("want a list of %d, got %d", s.Len, n)
	}
	return nil
}

// ParseValue is the inverse of FormatValue for a value of the spec's type,
// so a parameter recorded in the provenance database can be replayed.
func (s ParamSpec) ParseValue(text string) (any, error) {
	bad := func(err error) (any, error) {
		return nil, fmt.Errorf("param %q: cannot read %q as %s: %v", s.Name, text, s.Type, err)
	}
	switch s.Type {
	case Int:
		return parseScalar(text, strconv.Atoi, bad)
	case Float:
		return parseScalar(text, func(t string) (float64, error) { return strconv.ParseFloat(t, 64) }, bad)
	case Bool:
		return parseScalar(text, strconv.ParseBool, bad)
	case String:
		return parseScalar(text, strconv.Unquote, bad)
	}
	if !strings.HasPrefix(text, "[") || !strings.HasSuffix(text, "]") {
		return bad(fmt.Errorf("not a list"))
	}
	body := text[1 : len(text)-1]
	switch s.Type {
	case IntList:
		return parseList(body, strconv.Atoi, bad)
	case FloatList:
		return parseList(body, func(t string) (float64, error) { return strconv.ParseFloat(t, 64) }, bad)
	default:
		var out []string
		for body != "" {
			q, err := strconv.QuotedPrefix(body)
			if err != nil {
				return bad(err)
			}
			v, _ := strconv.Unquote(q)
			out = append(out, v)
			body = strings.TrimPrefix(body[len(q):], ",")
		}
		return out, nil
	}
}

func parseScalar[T any](text string, parse func(string) (T, error), bad func(error) (any, error)) (any, error) {
	v, err := parse(text)
	if err != nil {
		return bad(err)
	}
	return v, nil
}

func parseList[T any](body string, parse func(string) (T, error), bad func(error) (any, error)) (any, error) {
	out := []T{}
	if body == "" {
		return out, nil
	}
	for _, part := range strings.Split(body, ",") {
		v, err := parse(part)
		if err != nil {
			return bad(err)
		}
		out = append(out, v)
	}
	return out, nil
}
