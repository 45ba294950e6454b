package stages

import (
	"reflect"
	"testing"
)

func TestParseValueInvertsFormatValue(t *testing.T) {
	tests := []struct {
		typ ParamType
		v   any
	}{
		{Int, -3},
		{Float, 1.0},
		{Float, 2.5e-7},
		{Bool, true},
		{String, `a "quoted", comma`},
		{IntList, []int{11, 500}},
		{IntList, []int{}},
		{FloatList, []float64{0, 0.25, 3}},
		{StringList, []string{"conv1", "x,y", ""}},
	}
	for _, tc := range tests {
		spec := ParamSpec{Name: "p", Type: tc.typ}
		text := FormatValue(tc.v)
		got, err := spec.ParseValue(text)
		if err != nil {
			t.Fatalf("%s %q: %v", tc.typ, text, err)
		}
		if !reflect.DeepEqual(got, tc.v) {
			t.Errorf("%s: %q parsed to %#v, want %#v", tc.typ, text, got, tc.v)
		}
	}
	if _, err := (ParamSpec{Name: "k", Type: Int}).ParseValue("1.5"); err == nil {
		t.Error("1.5 parsed as an int")
	}
}

func TestCanonicalIgnoresSpelling(t *testing.T) {
	a := Params{"alpha": 1.0, "ranks": []int{11, 500}, "view": "full"}
	b := Params{"view": "full", "alpha": float64(1), "ranks": []int{11, 500}}
	if !reflect.DeepEqual(a.Canonical(), b.Canonical()) {
		t.Errorf("%v != %v", a.Canonical(), b.Canonical())
	}
	want := []string{"alpha=1.0", "ranks=[11,500]", `view="full"`}
	if got := a.Canonical(); !reflect.DeepEqual(got, want) {
		t.Errorf("Canonical = %v, want %v", got, want)
	}
}

// withDefaults is p over the schema defaults of s.
func withDefaults(s Stage, p Params) Params {
	q := Params{}
	for _, spec := range s.Params() {
		if spec.Default != nil {
			q[spec.Name] = spec.Default
		}
	}
	for k, v := range p {
		q[k] = v
	}
	return q
}
