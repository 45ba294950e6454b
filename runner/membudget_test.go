package runner

import (
	"context"
	"errors"
	"github.com/eigenlab/eigenlab/experiments"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/stages"
)

// gauge is a fake stage kind that declares the memory estimate of its mem
// param and records how many gauges run at once (gaugeNow, its maximum
// gaugePeak), sleeping sleep ms while it counts as running.
type gauge struct{}

var gaugeNow, gaugePeak, gaugeRuns atomic.Int64

func init() { stages.Register(gauge{}) }

func resetGauge() { gaugeNow.Store(0); gaugePeak.Store(0); gaugeRuns.Store(0) }

func (gauge) Kind() string                   { return "test_gauge" }
func (gauge) Version() string                { return "1" }
func (gauge) Doc() string                    { return "test stage that records how many of its kind run at once" }
func (gauge) Inputs() []stages.InputSpec     { return nil }
func (gauge) Outputs(stages.Params) []string { return []string{"out"} }
func (gauge) Resources(p stages.Params) stages.Resources {
	return stages.Resources{Threads: 1, MemBytes: int64(p.Int("mem"))}
}

func (gauge) Params() []stages.ParamSpec {
	return []stages.ParamSpec{
		{Name: "mem", Type: stages.Int, Default: 0},
		{Name: "sleep", Type: stages.Int, Default: 0},
		{Name: "value", Type: stages.Int, Default: 0},
	}
}

func (gauge) Run(ctx context.Context, _ *ndarray.Scratch, _ stages.Inputs, p stages.Params) (stages.Outputs, error) {
	gaugeRuns.Add(1)
	now := gaugeNow.Add(1)
	defer gaugeNow.Add(-1)
	for peak := gaugePeak.Load(); now > peak && !gaugePeak.CompareAndSwap(peak, now); peak = gaugePeak.Load() {
	}
	select {
	case <-time.After(time.Duration(p.Int("sleep")) * time.Millisecond):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return stages.Outputs{"out": ndarray.Scalar(float64(p.Int("value")))}, nil
}

// pair is two independent gauges of 600 bytes each.
const pair = `
name: pair
stages:
  a: {kind: test_gauge, params: {mem: 600, sleep: 300, value: 1}}
  b: {kind: test_gauge, params: {mem: 600, sleep: 300, value: 2}}
`

// runPair runs pair on two slots under budget and returns the peak number
// of gauges running at once and the run's outputs by stage.
func runPair(t *testing.T, budget int64) (int64, map[string]string) {
	t.Helper()
	resetGauge()
	r := newRunner(t)
	s, err := r.Run(context.Background(), plan(t, pair), Options{Jobs: 2, MemBudget: budget})
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	for _, n := range s.nodes {
		outs[n.inst.Name] = n.output("out").String()
	}
	return gaugePeak.Load(), outs
}

// Two stages whose estimates together exceed the budget never run at the
// same time, though -j would allow it; with room for both they overlap.
// Either way the outputs are the same.
func TestMemoryBudgetSerializesStages(t *testing.T) {
	tight, outsTight := runPair(t, 1000)
	if tight != 1 {
		t.Errorf("budget 1000 B, two stages of 600 B: %d ran at once, want 1", tight)
	}
	roomy, outsRoomy := runPair(t, 1200)
	if roomy != 2 {
		t.Errorf("budget 1200 B, two stages of 600 B on 2 slots: %d ran at once, want 2", roomy)
	}
	for name, d := range outsTight {
		if outsRoomy[name] != d {
			t.Errorf("%s: output %s under the tight budget, %s under the roomy one", name, d, outsRoomy[name])
		}
	}
}

// A stage whose estimate alone exceeds the budget is refused before
// anything runs: no stage executes (not even the cells that fit) and no
// run is recorded; a streamed plan as one expanded whole.
func TestOverBudgetStageIsRefusedBeforeAnythingRuns(t *testing.T) {
	const sweep = `
name: big
matrix:
  mem: [10, 5000]
stages:
  small: {kind: test_gauge}
  big: {kind: test_gauge, params: {mem: ${mem}, value: 3}}
`
	for name, p := range map[string]*experiments.Plan{"whole": plan(t, sweep), "streamed": streamedPlan(t, sweep, 1)} {
		resetGauge()
		r := newRunner(t)
		_, err := r.Run(context.Background(), p, Options{Jobs: 2, MemBudget: 1000})
		if !errors.Is(err, ErrOverBudget) {
			t.Fatalf("%s: run: %v, want ErrOverBudget", name, err)
		}
		for _, want := range []string{"stage big@mem=5000 ", "4.9 KiB", "1000 B", "lower param mem"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not contain %q", name, err, want)
			}
		}
		if strings.Contains(err.Error(), "mem=10") {
			t.Errorf("%s: error %q names a cell that fits", name, err)
		}
		if n := gaugeRuns.Load(); n != 0 {
			t.Errorf("%s: %d stages executed, want none", name, n)
		}
		if runs, err := r.DB.Runs(context.Background(), ""); err != nil || len(runs) != 0 {
			t.Errorf("%s: runs recorded: %v (%v), want none", name, runs, err)
		}
	}
}

// The budget names the params that drive a real stage's estimate, largest
// saving first: for dead leaves the image side, then the count.
func TestOverBudgetNamesTheDrivingParams(t *testing.T) {
	p := plan(t, `
name: leaves
stages:
  data: {kind: load, params: {source: deadleaves, n: 10, size: 100000}}
`)
	err := checkBudget(p, 1<<30, true)
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "lower param size or n or channels,") {
		t.Errorf("err = %v, want ErrOverBudget naming size, n and channels", err)
	}
}

func TestMemAvailable(t *testing.T) {
	const meminfo = "MemTotal:       32816952 kB\nMemFree:         1000000 kB\nMemAvailable:   21732892 kB\n"
	if got, want := memAvailable(meminfo), int64(21732892)<<10; got != want {
		t.Errorf("memAvailable = %d, want %d", got, want)
	}
	if got := memAvailable("MemTotal: 5 kB\n"); got != 0 {
		t.Errorf("memAvailable without the line = %d, want 0", got)
	}
}
