package runner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// stepper is a fake Resumable stage: its state after step k is
// [x_k, k] with x_k = 3·x_{k−1} + k·value + 1 (x_0 = 0), its output the
// final state. It counts the steps it executes and calls afterStep (when
// set) after each saved step.
type stepper struct{}

var (
	stepsRun  atomic.Int64
	afterStep func(step int)
)

func init() { stages.Register(stepper{}) }

func (stepper) Kind() string                             { return "test_steps" }
func (stepper) Version() string                          { return "1" }
func (stepper) Doc() string                              { return "test stage with resumable steps" }
func (stepper) Inputs() []stages.InputSpec               { return nil }
func (stepper) Outputs(stages.Params) []string           { return []string{"out"} }
func (stepper) Resources(stages.Params) stages.Resources { return stages.Resources{Threads: 1} }
func (stepper) Params() []stages.ParamSpec {
	return []stages.ParamSpec{{Name: "steps", Type: stages.Int}, {Name: "value", Type: stages.Float, Default: 1.0}}
}

func (stepper) ResumeParams(p stages.Params) stages.Params {
	q := maps.Clone(p)
	delete(q, "steps")
	return q
}

func (s stepper) Run(ctx context.Context, sc *ndarray.Scratch, in stages.Inputs, p stages.Params) (stages.Outputs, error) {
	return s.RunResumable(ctx, sc, in, p, nil)
}

func (stepper) RunResumable(ctx context.Context, _ *ndarray.Scratch, _ stages.Inputs, p stages.Params, cp stages.Checkpointer) (stages.Outputs, error) {
	state := ndarray.NewF64(2)
	for k := p.Int("steps"); k >= 1 && cp != nil; k-- {
		a, err := cp.Load(k)
		if err != nil {
			return nil, err
		}
		if a != nil {
			state = a.(*ndarray.Array)
			break
		}
	}
	for k := int(state.F64[1]) + 1; k <= p.Int("steps"); k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		stepsRun.Add(1)
		state = &ndarray.Array{Shape: []int{2}, F64: []float64{3*state.F64[0] + float64(k)*p.Float("value") + 1, float64(k)}}
		if cp != nil {
			if err := cp.Save(k, state); err != nil {
				return nil, err
			}
		}
		if afterStep != nil {
			afterStep(k)
		}
	}
	return stages.Outputs{"out": state}, nil
}

func stepsPlan(t *testing.T, steps int) string {
	return fmt.Sprintf("name: steps\nstages:\n  s:\n    kind: test_steps\n    params: {steps: %d, value: 2.0}\n", steps)
}

func stepsOut(s *Summary) ndarray.Digest { return s.nodes[0].output("out") }

// The runner keeps a Resumable stage's states in the cache: (a) 4 then 10
// steps gives the digest of a straight 10-step run on a fresh cache and
// the second run executes only 6 steps; (b) a run cancelled after step 3
// resumes from step 3 (7 more steps) with the same final digest; and a
// finished run leaves one state per length it was run to.
func TestRunnerResumesSteps(t *testing.T) {
	straight := newRunner(t)
	stepsRun.Store(0)
	want := stepsOut(run(t, straight, plan(t, stepsPlan(t, 10)), 1))

	r := newRunner(t)
	run(t, r, plan(t, stepsPlan(t, 4)), 1)
	stepsRun.Store(0)
	if got := stepsOut(run(t, r, plan(t, stepsPlan(t, 10)), 1)); got != want {
		t.Errorf("4 then 10 steps: digest %s, straight run %s", got.Short(), want.Short())
	}
	if n := stepsRun.Load(); n != 6 {
		t.Errorf("extending 4 → 10 steps executed %d steps, want 6", n)
	}
	if n := countFiles(t, filepath.Join(r.Cache.Dir(), "actions")); n != 2+2 {
		t.Errorf("%d action records, want 4 (two runs, a state after steps 4 and 10)", n)
	}

	k := newRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	afterStep = func(step int) {
		if step == 3 {
			cancel()
		}
	}
	_, err := k.Run(ctx, plan(t, stepsPlan(t, 10)), Options{Jobs: 1})
	afterStep = nil
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: error %v, want context.Canceled", err)
	}
	stepsRun.Store(0)
	if got := stepsOut(run(t, k, plan(t, stepsPlan(t, 10)), 1)); got != want {
		t.Errorf("cancelled after step 3 and rerun: digest %s, straight run %s", got.Short(), want.Short())
	}
	if n := stepsRun.Load(); n != 7 {
		t.Errorf("the rerun after a cancel at step 3 executed %d steps, want 7", n)
	}
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
