package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// counter is a fake stage kind that counts its executions, so tests can
// assert that a rerun executes nothing.
//
// Params: value (its output is value*scale + sum of inputs), scale, sleep
// in ms, fail. The version can be changed by tests to simulate new code.
type counter struct{}

var (
	runs          sync.Map // label -> *atomic.Int64
	counterVer    atomic.Value
	counterInputs = []stages.InputSpec{{Name: "a", Optional: true}, {Name: "b", Optional: true}}
)

func init() {
	counterVer.Store("1")
	stages.Register(counter{})
}

func executions(label string) int64 {
	v, _ := runs.LoadOrStore(label, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

func totalExecutions() int64 {
	var n int64
	runs.Range(func(_, v any) bool { n += v.(*atomic.Int64).Load(); return true })
	return n
}

func resetCounts() { runs.Clear() }

func (counter) Kind() string                   { return "test_counter" }
func (counter) Version() string                { return counterVer.Load().(string) }
func (counter) Doc() string                    { return "test stage that counts executions" }
func (counter) Inputs() []stages.InputSpec     { return counterInputs }
func (counter) Outputs(stages.Params) []string { return []string{"out", "scalar"} }
func (counter) Resources(p stages.Params) stages.Resources {
	return stages.Resources{Threads: p.Int("threads")}
}

func (counter) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "label", Type: stages.String, Default: ""},
		{Name: "value", Type: stages.Float, Default: 1.0},
		{Name: "scale", Type: stages.Float, Default: 1.0},
		{Name: "sleep", Type: stages.Int, Default: 0},
		{Name: "threads", Type: stages.Int, Default: 1},
		{Name: "fail", Type: stages.Bool, Default: false},
		{Name: "floor", Type: stages.Bool, Default: false, Doc: "round output down (for early-cutoff tests)"},
		{Name: "first_only", Type: stages.Bool, Default: false, Doc: "leave out output scalar from the label's second execution on (a stage that breaks its declared outputs)"},
		{Name: "path", Type: stages.String, Optional: true, File: true, Doc: "a file that must exist (not read)"},
	}
}

func (counter) Run(ctx context.Context, _ *ndarray.Scratch, in stages.Inputs, p stages.Params) (stages.Outputs, error) {
	v, _ := runs.LoadOrStore(p.String("label"), new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
	select {
	case <-time.After(time.Duration(p.Int("sleep")) * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if p.Bool("fail") {
		return nil, errors.New("planned failure")
	}
	x := p.Float("value") * p.Float("scale")
	for _, name := range []string{"a", "b"} {
		if a, err := in.Array(name); err == nil {
			x += a.F64[0]
		}
	}
	if p.Bool("floor") {
		x = float64(int(x))
	}
	out := ndarray.NewF64(3)
	for i := range out.F64 {
		out.F64[i] = x + float64(i)
	}
	if p.Bool("first_only") && v.(*atomic.Int64).Load() > 1 {
		return stages.Outputs{"out": out}, nil
	}
	return stages.Outputs{"out": out, "scalar": ndarray.Scalar(x)}, nil
}
