package experiments

import (
	"context"

	"github.com/eigenlab/eigenlab/stages"
)

// fake is a stage kind for parser tests: typed params with bounds and
// choices, an optional input, outputs that depend on a param.
type fake struct{}

func init() { stages.Register(fake{}) }

func (fake) Kind() string    { return "fake" }
func (fake) Version() string { return "1" }
func (fake) Doc() string     { return "parser test stage" }
func (fake) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "n", Type: stages.Int, Default: 10, Min: stages.Bound(0), Doc: "count"},
		{Name: "alpha", Type: stages.Float, Default: 1.0, Min: stages.Bound(0), Max: stages.Bound(3), Doc: "exponent"},
		{Name: "mode", Type: stages.String, Default: "a", Choices: []string{"a", "b"}, Doc: "mode"},
		{Name: "flag", Type: stages.Bool, Default: false, Doc: "flag"},
		{Name: "ranks", Type: stages.IntList, Optional: true, Len: 2, Doc: "range"},
		{Name: "names", Type: stages.StringList, Default: []string{"out"}, Doc: "output names"},
		{Name: "tag", Type: stages.String, Optional: true, Doc: "free text"},
	}
}
func (fake) Inputs() []stages.InputSpec {
	return []stages.InputSpec{{Name: "x", Doc: "data", Optional: true}}
}
func (fake) Outputs(p stages.Params) []string         { return p.Strings("names") }
func (fake) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }
func (fake) Run(context.Context, stages.Inputs, stages.Params) (stages.Outputs, error) {
	return nil, nil
}
