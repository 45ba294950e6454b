package report

import (
	"context"
	"math"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

func init() { stages.Register(withCompanions{}) }

// withCompanions is a fake stage kind for the finding tests: its 0-d
// output x = base + step·seed comes with the companions a report reads,
// x_ci = [x − half, x + half] (when half ≥ 0) and x_ranges = x + ranges[j]
// (when ranges is set), and with seed = nan_seed x is NaN ("no fit") with
// the reason in info["fit"], as the spectrum stage writes it.
type withCompanions struct{}

func (withCompanions) Kind() string    { return "test_with_companions" }
func (withCompanions) Version() string { return "1" }
func (withCompanions) Doc() string {
	return "report test stage: a 0-d output with _ci and _ranges companions"
}
func (withCompanions) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "seed", Type: stages.Int, Default: 0},
		{Name: "base", Type: stages.Float, Default: 1.0},
		{Name: "step", Type: stages.Float, Default: 0.0},
		{Name: "half", Type: stages.Float, Default: -1.0, Doc: "half-width of x_ci; < 0: no x_ci"},
		{Name: "ranges", Type: stages.FloatList, Optional: true, Doc: "offsets of x_ranges from x"},
		{Name: "nan_seed", Type: stages.Int, Default: -1},
	}
}
func (withCompanions) Inputs() []stages.InputSpec { return nil }
func (withCompanions) Outputs(p stages.Params) []string {
	out := []string{"x", "info"}
	if p.Float("half") >= 0 {
		out = append(out, "x_ci")
	}
	if p.Has("ranges") {
		out = append(out, "x_ranges")
	}
	return out
}
func (withCompanions) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }
func (withCompanions) Run(_ context.Context, _ *ndarray.Scratch, _ stages.Inputs, p stages.Params) (stages.Outputs, error) {
	x := p.Float("base") + p.Float("step")*float64(p.Int("seed"))
	info := ndarray.Record{}
	if p.Int("seed") == p.Int("nan_seed") {
		x, info["fit"] = math.NaN(), "fewer than 10 points in range"
	}
	out := stages.Outputs{"x": ndarray.Scalar(x), "info": info}
	if h := p.Float("half"); h >= 0 {
		out["x_ci"] = &ndarray.Array{Shape: []int{2}, F64: []float64{x - h, x + h}}
	}
	if p.Has("ranges") {
		r := ndarray.NewF64(len(p.Floats("ranges")))
		for j, off := range p.Floats("ranges") {
			r.F64[j] = x + off
		}
		out["x_ranges"] = r
	}
	return out, nil
}
