package runner

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
)

// chain with src and mid marked temp: src feeds mid and leaf, mid feeds
// leaf.
func tempChain(leafParams string) string {
	s := strings.Replace(chain, "  src:\n    kind: test_counter\n", "  src:\n    kind: test_counter\n    temp: true\n", 1)
	s = strings.Replace(s, "  mid:\n    kind: test_counter\n", "  mid:\n    kind: test_counter\n    temp: true\n", 1)
	return strings.Replace(s, "params: {label: leaf, value: ${rep}}", "params: {label: leaf, value: ${rep}"+leafParams+"}", 1)
}

// present counts the outputs of a run's stage (all its instances) whose
// blobs are in the cache, and all of them.
func present(r *Runner, s *Summary, stage string) (have, all int) {
	for _, n := range s.nodes {
		if n.inst.Name != stage {
			continue
		}
		for _, o := range saved(r, n) {
			all++
			if r.Cache.HasBlob(o.Digest) {
				have++
			}
		}
	}
	return have, all
}

// A temp stage's outputs leave the cache once its users have their
// results; its record stays, so a no-op rerun computes nothing, and a
// user that needs them again recomputes them and they leave again.
func TestTempOutputsRemovedOnceConsumed(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	s := run(t, r, plan(t, tempChain("")), 2)
	for _, stage := range []string{"src", "mid"} {
		if have, all := present(r, s, stage); have != 0 || all == 0 {
			t.Errorf("%s: %d of %d outputs still in the cache; want none", stage, have, all)
		}
	}
	if have, all := present(r, s, "leaf"); have != all || all != 12 {
		t.Errorf("leaf: %d of %d outputs in the cache; want all 12", have, all)
	}
	if s.TempRemoved != 6 { // src: 2 outputs, mid: 2 × 2
		t.Errorf("removed %d temp outputs, want 6", s.TempRemoved)
	}

	s = run(t, r, plan(t, tempChain("")), 2)
	if s.Executed != 0 || s.Cached != 9 || totalExecutions() != 9 {
		t.Errorf("no-op: %d executed, %d cached, %d executions in all; want 0, 9, 9", s.Executed, s.Cached, totalExecutions())
	}
	// gc keeps the records of the removed outputs: still a no-op.
	if _, err := r.Cache.GC(1<<40, nil); err != nil {
		t.Fatal(err)
	}
	s = run(t, r, plan(t, tempChain("")), 2)
	if s.Executed != 0 || totalExecutions() != 9 {
		t.Errorf("no-op after gc: %d executed, %d executions in all; want 0, 9", s.Executed, totalExecutions())
	}

	// plan says so before: src and mid are cached, to be recomputed for
	// the stale leaves; without a change nothing is.
	for _, tc := range []struct {
		leaf string
		want int
	}{{"", 0}, {", scale: 3.0", 3}} {
		entries, err := r.Explain(context.Background(), plan(t, tempChain(tc.leaf)))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, e := range entries {
			if e.Regenerate && e.Cached && (e.Stage == "src" || e.Stage == "mid") {
				got++
			}
		}
		if got != tc.want {
			t.Errorf("plan with leaf params %q: %d temp instances to recompute, want %d", tc.leaf, got, tc.want)
		}
	}

	// leaf reads mid and src again: both are recomputed for it (once
	// each per instance), the results are the same bytes, and they leave.
	s = run(t, r, plan(t, tempChain(", scale: 3.0")), 2)
	if s.Executed != 6 || executions("leaf") != 12 || executions("src") != 2 || executions("mid") != 4 {
		t.Errorf("after a change to leaf: %d executed; executions src %d, mid %d, leaf %d; want 6, 2, 4, 12",
			s.Executed, executions("src"), executions("mid"), executions("leaf"))
	}
	// Each recomputation is an execution of the run: src and mid served
	// from their records (cached), then run again for leaf (ok).
	if s.Recomputed != 3 {
		t.Errorf("%d recomputed, want 3 (src once, mid's 2 instances)", s.Recomputed)
	}
	rows, err := r.DB.Executions(context.Background(), s.RunID)
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[string]int{}
	for _, e := range rows {
		if e.Stage != "leaf" {
			byStatus[e.Stage+" "+e.Status]++
		}
	}
	if want := map[string]int{"src cached": 1, "src ok": 1, "mid cached": 2, "mid ok": 2}; !maps.Equal(byStatus, want) {
		t.Errorf("executions of src and mid in the run: %v, want %v", byStatus, want)
	}
	for _, stage := range []string{"src", "mid"} {
		if have, _ := present(r, s, stage); have != 0 {
			t.Errorf("%s: %d outputs in the cache after the rerun; want none", stage, have)
		}
	}
}

// Outputs a user failed on stay (the rerun after the fix needs them), and
// --keep-temp keeps them all.
func TestTempOutputsKept(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	s, err := r.Run(context.Background(), plan(t, tempChain(", fail: true")), Options{Jobs: 2})
	if err == nil || s.Failed != 6 {
		t.Fatalf("err = %v, %d failed; want the 6 leaves failed", err, s.Failed)
	}
	for _, stage := range []string{"src", "mid"} {
		if have, all := present(r, s, stage); have != all || all == 0 {
			t.Errorf("%s: %d of %d outputs in the cache after its users failed; want all", stage, have, all)
		}
	}
	r = newRunner(t)
	s, err = r.Run(context.Background(), plan(t, tempChain("")), Options{Jobs: 2, KeepTemp: true})
	if err != nil {
		t.Fatal(err)
	}
	if have, all := present(r, s, "mid"); have != all || all == 0 || s.TempRemoved != 0 {
		t.Errorf("--keep-temp: mid has %d of %d outputs, %d removed; want all kept", have, all, s.TempRemoved)
	}
}

// A temp stage recomputed for a reader is held to its declared outputs as
// its first execution was: one that leaves one out fails the reader with
// the stage's fault, and the failed recomputation is recorded.
func TestRecomputeHoldsStageToItsOutputs(t *testing.T) {
	resetCounts()
	const yaml = `
name: regen
params: {s: 1.0}
stages:
  src:
    kind: test_counter
    temp: true
    params: {label: src, first_only: true}
  leaf:
    kind: test_counter
    inputs: {a: src}
    params: {label: leaf, scale: ${s}}
`
	r := newRunner(t)
	if s := run(t, r, plan(t, yaml), 2); s.TempRemoved != 2 {
		t.Fatalf("%d temp outputs removed, want src's 2", s.TempRemoved)
	}
	s, err := r.Run(context.Background(), plan(t, yaml, "s=2.0"), Options{Jobs: 2})
	want := `recomputing src, whose output out is missing or corrupt: stage kind "test_counter" did not produce its declared output "scalar"`
	if !errors.Is(err, ErrStageFailed) || s.Failed != 1 || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, %d failed; want leaf failed with %q", err, s.Failed, want)
	}
	rows, err := r.DB.Executions(context.Background(), s.RunID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range rows {
		got[e.Stage+" "+e.Status]++
	}
	if want := map[string]int{"src cached": 1, "src failed": 1, "leaf failed": 1}; !maps.Equal(got, want) {
		t.Errorf("executions of the run: %v, want %v", got, want)
	}
}
