package experiments

import (
	"context"
	"fmt"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// Fake stage kinds for the parser tests, registered here so the tests do
// not depend on the real stages' schemas.
func init() {
	stages.Register(fake{})
	stages.Register(fakePair{})
}

// fake has a param of every type with bounds and choices, an optional
// input and outputs named by a param.
type fake struct{}

func (fake) Kind() string    { return "fake" }
func (fake) Version() string { return "1" }
func (fake) Doc() string     { return "parser test stage" }
func (fake) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "n", Type: stages.Int, Default: 10, Min: stages.Bound(0), Doc: "count"},
		{Name: "alpha", Type: stages.Float, Default: 1.0, Min: stages.Bound(0), Max: stages.Bound(3), Doc: "exponent"},
		{Name: "mode", Type: stages.String, Default: "a", Choices: []string{"a", "b"}, Doc: "mode"},
		{Name: "flag", Type: stages.Bool, Default: false, Doc: "flag"},
		{Name: "ranks", Type: stages.IntList, Optional: true, Len: 2, Min: stages.Bound(1), Doc: "range"},
		{Name: "names", Type: stages.StringList, Default: []string{"out"}, Doc: "output names"},
		{Name: "tag", Type: stages.String, Optional: true, Doc: "free text"},
	}
}
func (fake) Inputs() []stages.InputSpec {
	return []stages.InputSpec{{Name: "x", Doc: "data", Optional: true}}
}
func (fake) Outputs(p stages.Params) []string { return p.Strings("names") }
func (fake) Resources(p stages.Params) stages.Resources {
	return stages.Resources{Threads: 1, MemBytes: int64(p.Int("n")) << 20} // n MiB: estimates that differ
}
func (fake) Run(context.Context, *ndarray.Scratch, stages.Inputs, stages.Params) (stages.Outputs, error) {
	return nil, fmt.Errorf("fake stages do not run")
}

// fakePair has a required input, required params and a cross-param
// constraint (stages.Validator).
type fakePair struct{}

func (fakePair) Kind() string    { return "fakepair" }
func (fakePair) Version() string { return "1" }
func (fakePair) Doc() string     { return "parser test stage with a required input" }
func (fakePair) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "lo", Type: stages.Float, Doc: "lower end"},
		{Name: "hi", Type: stages.Float, Doc: "upper end"},
		{Name: "weights", Type: stages.FloatList, Default: []float64{1}, Doc: "weights"},
	}
}
func (fakePair) Inputs() []stages.InputSpec {
	return []stages.InputSpec{{Name: "a", Doc: "first"}, {Name: "b", Doc: "second", Optional: true}}
}
func (fakePair) Validate(p stages.Params) error {
	if p.Float("lo") >= p.Float("hi") {
		return fmt.Errorf("params lo=%v and hi=%v: want lo < hi", p.Float("lo"), p.Float("hi"))
	}
	return nil
}
func (fakePair) Outputs(stages.Params) []string           { return []string{"result", "extra"} }
func (fakePair) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }
func (fakePair) Run(context.Context, *ndarray.Scratch, stages.Inputs, stages.Params) (stages.Outputs, error) {
	return nil, fmt.Errorf("fake stages do not run")
}
