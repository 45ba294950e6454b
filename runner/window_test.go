package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/experiments"
)

// streamedPlan parses yaml as experiments.Stream does for `eigenlab run`,
// with windows of window cells whatever the sweep's size.
func streamedPlan(t *testing.T, yaml string, window int) *experiments.Plan {
	t.Helper()
	above, cells := experiments.StreamAbove, experiments.WindowCells
	experiments.StreamAbove, experiments.WindowCells = 1, window
	t.Cleanup(func() { experiments.StreamAbove, experiments.WindowCells = above, cells })
	p, err := experiments.Stream("test.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Streamed() {
		t.Fatal("the plan was expanded whole")
	}
	return p
}

// rows lists a run's recorded executions as "stage@cell status key".
func rows(t *testing.T, r *Runner, runID int64) []string {
	t.Helper()
	execs, err := r.DB.Executions(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range execs {
		out = append(out, fmt.Sprintf("%s@%s %s %s", e.Stage, e.Cell, e.Status, e.ActionKey))
	}
	slices.Sort(out)
	return out
}

// A streamed plan, run a window of cells at a time (windows cutting
// across the axes, with a stage shared by every cell and one by half of
// them), executes and records what the plan expanded whole does, and its
// rerun is a no-op.
func TestStreamedRunIsTheWholeRun(t *testing.T) {
	resetCounts()
	whole := newRunner(t)
	want := run(t, whole, plan(t, chain), 2)
	wantRows := rows(t, whole, want.RunID)

	for _, window := range []int{1, 4} {
		resetCounts()
		r := newRunner(t)
		s := run(t, r, streamedPlan(t, chain, window), 2)
		if s.Executed != 9 || totalExecutions() != 9 || executions("src") != 1 || executions("mid") != 2 {
			t.Errorf("window %d: executed %d (%d stage calls: src %d, mid %d), want 9 (src once, mid twice)",
				window, s.Executed, totalExecutions(), executions("src"), executions("mid"))
		}
		if got := rows(t, r, s.RunID); !slices.Equal(got, wantRows) {
			t.Errorf("window %d: recorded\n%q\nwant\n%q", window, got, wantRows)
		}
		again := run(t, r, streamedPlan(t, chain, window), 2)
		if again.Cached != 9 || totalExecutions() != 9 {
			t.Errorf("window %d: rerun cached %d (%d stage calls in all), want 9 (9)", window, again.Cached, totalExecutions())
		}
	}
}

// A temp stage carried across windows keeps its outputs until the last
// window's users have read them: none is recomputed, and all leave.
func TestStreamedTempStageOutlivesItsWindow(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	s := run(t, r, streamedPlan(t, tempChain(""), 4), 2)
	if s.Recomputed != 0 || totalExecutions() != 9 {
		t.Errorf("recomputed %d (%d stage calls), want 0 (9): a later window found a carried temp output gone", s.Recomputed, totalExecutions())
	}
	if s.TempRemoved != 6 {
		t.Errorf("removed %d temp outputs, want 6 (src: 2, mid: 2 × 2)", s.TempRemoved)
	}
}

// KeepScalars bounds the summary's rows per stage and counts the rest.
func TestSummaryKeepsScalarsPerStage(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	s, err := r.Run(context.Background(), streamedPlan(t, chain, 4), Options{Jobs: 2, KeepScalars: 2})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, row := range s.Scalars() {
		per[row.Stage]++
	}
	want := map[string][2]int{"src": {1, 0}, "mid": {2, 0}, "leaf": {2, 4}} // kept, left out
	for stage, w := range want {
		if per[stage] != w[0] || s.ScalarsLeftOut(stage) != w[1] {
			t.Errorf("%s: %d rows kept, %d left out; want %d, %d", stage, per[stage], s.ScalarsLeftOut(stage), w[0], w[1])
		}
	}
}

// removeOnFirstDone removes a file when the first stage is done.
type removeOnFirstDone struct {
	nopProgress
	path string
	once sync.Once
}

func (p *removeOnFirstDone) Done(string, Status, time.Duration, error) {
	p.once.Do(func() { os.Remove(p.path) })
}

// A streamed plan whose later window no longer expands (a file param's
// file removed while the run goes on) fails the run naming the file,
// with what ran before recorded.
func TestStreamedRunFailsWhenAWindowNoLongerExpands(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	yaml := "name: files\nmatrix:\n  i: [0, 1, 2, 3]\nstages:\n  s:\n    kind: test_counter\n    params: {label: s, value: ${i}, path: " + dir + "/f${i}}\n"
	gone := filepath.Join(dir, "f3")
	r := newRunner(t)
	s, err := r.Run(context.Background(), streamedPlan(t, yaml, 2), Options{Jobs: 1, Progress: &removeOnFirstDone{path: gone}})
	if err == nil || !strings.Contains(err.Error(), gone+" does not exist") || !strings.Contains(err.Error(), "after 2 of its 4 stage instances") {
		t.Fatalf("err = %v, want the missing %s after 2 of 4 instances", err, gone)
	}
	if s.Executed != 2 || len(rows(t, r, s.RunID)) != 2 {
		t.Errorf("executed %d, recorded %d; want the first window's 2, both recorded", s.Executed, len(rows(t, r, s.RunID)))
	}
	if runs, err := r.DB.Runs(context.Background(), ""); err != nil || len(runs) != 1 || runs[0].Status != "failed" {
		t.Errorf("runs %+v (%v), want one, failed", runs, err)
	}
}

// A streamed run holds one window's nodes at a time, and those carried:
// after each window only the carried nodes are left, and the summary
// keeps no node.
func TestStreamedGraphHoldsOneWindow(t *testing.T) {
	p := streamedPlan(t, chain, 2)
	g := newGraph(p)
	carried, windows := 0, 0
	for insts, err := range p.Windows() {
		if err != nil {
			t.Fatal(err)
		}
		windows++
		nodes := g.add(insts)
		for _, n := range nodes {
			n.status = StatusCached // as if resolved
			if p.Carried(n.inst) {
				carried++
			}
		}
		g.retire(nodes)
		if len(g.nodes) != carried {
			t.Errorf("window %d: %d nodes held, want the %d carried", windows, len(g.nodes), carried)
		}
	}
	if windows != 3 || carried != 3 { // 6 cells by 2; src, and mid per scale
		t.Errorf("%d windows, %d carried; want 3 and 3", windows, carried)
	}
	resetCounts()
	if s := run(t, newRunner(t), streamedPlan(t, chain, 2), 2); s.nodes != nil {
		t.Errorf("the summary of a streamed run keeps %d nodes", len(s.nodes))
	}
}

// peakLive samples the live heap every every-th finished stage.
type peakLive struct {
	nopProgress
	every, done int
	peak        uint64
	mu          sync.Mutex
}

func (p *peakLive) Done(string, Status, time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done++; p.done%p.every == 0 {
		p.peak = max(p.peak, liveHeap())
	}
}

// A streamed sweep's live heap does not grow with its cells: six times
// the cells, in windows of 1,000, add less than streamedBytesPerStage per
// stage at the peak; expanded whole, the plan and summary alone took ~2 KB
// per stage.
func TestStreamedSweepMemoryIsFlat(t *testing.T) {
	if os.Getenv("EIGENLAB_LONG") != "1" {
		t.Skip("long: set EIGENLAB_LONG=1")
	}
	peak := map[int]uint64{}
	for _, n := range []int{4000, 24000} {
		r, _ := fileRunner(t)
		probe := &peakLive{every: 500}
		if _, err := r.Run(context.Background(), streamedPlan(t, sweepYAML(n), 1000), Options{Jobs: 2, KeepScalars: 200, Progress: probe}); err != nil {
			t.Fatalf("run of %d: %v", n, err)
		}
		peak[n] = probe.peak
		t.Logf("%d stages: peak live heap %.1f MB", n, float64(probe.peak)/1e6)
	}
	if grew := (int64(peak[24000]) - int64(peak[4000])) / 20000; grew > streamedBytesPerStage {
		t.Errorf("the peak live heap grew by %d bytes per stage from 4,000 to 24,000 stages; want at most %d", grew, streamedBytesPerStage)
	}
}

// streamedBytesPerStage bounds what a streamed run's peak live heap grows
// by per stage (~105 measured): the parsed matrix list, which grows with
// the experiment file (~64 bytes a stage here), and the pack's places of
// new records, ~90 bytes a record up to its bound (cache.Pack), with the
// recorder's queue and the blob writers in flight (up to ~6 MB) as noise.
const streamedBytesPerStage = 800
