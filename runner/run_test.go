package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/results"
)

// newRunner returns a runner over a fresh cache and in-memory database.
func newRunner(t testing.TB) *Runner {
	t.Helper()
	c, err := cache.Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := results.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &Runner{Cache: c, DB: db, Backend: "test"}
}

func plan(t testing.TB, yaml string, sets ...string) *experiments.Plan {
	t.Helper()
	p, err := experiments.Parse("test.yaml", []byte(yaml), sets)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// saved returns n's outputs as its action record has them (nil if it has
// none): a node releases them once recorded (node.release).
func saved(r *Runner, n *node) []cache.Output {
	e, err := r.Cache.GetAction(n.key)
	if err != nil {
		return nil
	}
	return e.Outputs
}

func run(t *testing.T, r *Runner, p *experiments.Plan, jobs int) *Summary {
	t.Helper()
	s, err := r.Run(context.Background(), p, Options{Jobs: jobs})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return s
}

const chain = `
name: chain
params: {v: 2.0}
matrix:
  scale: [1.0, 2.0]
  rep: [0, 1, 2]
stages:
  src:
    kind: test_counter
    params: {label: src, value: ${v}}
  mid:
    kind: test_counter
    inputs: {a: src}
    params: {label: mid, scale: ${scale}}
  leaf:
    kind: test_counter
    inputs: {a: mid, b: src.out}
    params: {label: leaf, value: ${rep}}
`

func TestSweepSharesStagesAndRerunIsFree(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	p := plan(t, chain)
	s := run(t, r, p, 4)
	// src depends on no axis: once. mid on scale: twice. leaf on both: 6.
	for label, want := range map[string]int64{"src": 1, "mid": 2, "leaf": 6} {
		if got := executions(label); got != want {
			t.Errorf("%s executed %d times, want %d", label, got, want)
		}
	}
	if s.Executed != 9 || s.Cached != 0 {
		t.Errorf("first run: executed %d cached %d, want 9 and 0", s.Executed, s.Cached)
	}
	resetCounts()
	s = run(t, r, p, 4)
	if n := totalExecutions(); n != 0 || s.Cached != 9 {
		t.Errorf("rerun executed %d stages and served %d from cache; want 0 and 9", n, s.Cached)
	}
}

func TestKeysChangeExactlyWhenTheyShould(t *testing.T) {
	r := newRunner(t)
	base := run(t, r, plan(t, chain), 2)
	keys := func(s *Summary) map[string]string {
		m := map[string]string{}
		for _, n := range s.nodes {
			m[n.label()] = n.key.String()
		}
		return m
	}
	k0 := keys(base)
	reformatted := strings.ReplaceAll(strings.ReplaceAll(chain, "{label: src, value: ${v}}", "{ value: ${v},   label: src }"), "v: 2.0", "v: 2")
	tests := []struct {
		name    string
		yaml    string
		sets    []string
		changed []string // labels whose key must change; all others must not
	}{
		{"whitespace and key order", reformatted, nil, nil},
		{"param value upstream", chain, []string{"v=3"}, []string{"src", "mid@scale=1", "mid@scale=2",
			"leaf@scale=1,rep=0", "leaf@scale=1,rep=1", "leaf@scale=1,rep=2",
			"leaf@scale=2,rep=0", "leaf@scale=2,rep=1", "leaf@scale=2,rep=2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k1 := keys(run(t, r, plan(t, tc.yaml, tc.sets...), 2))
			want := map[string]bool{}
			for _, l := range tc.changed {
				want[l] = true
			}
			for label, k := range k0 {
				if got := k1[label] != k; got != want[label] {
					t.Errorf("%s: key changed = %v, want %v", label, got, want[label])
				}
			}
		})
	}
	t.Run("stage version", func(t *testing.T) {
		counterVer.Store("2")
		defer counterVer.Store("1")
		k1 := keys(run(t, r, plan(t, chain), 2))
		for label, k := range k0 {
			if k1[label] == k {
				t.Errorf("%s: key unchanged after a version bump", label)
			}
		}
	})
}

const cutoff = `
name: cutoff
params: {v: 1.2}
stages:
  src:
    kind: test_counter
    params: {label: src, value: ${v}, floor: true}
  down:
    kind: test_counter
    inputs: {a: src}
    params: {label: down}
`

func TestEarlyCutoff(t *testing.T) {
	r := newRunner(t)
	run(t, r, plan(t, cutoff), 1)
	resetCounts()
	// 1.2 and 1.7 both floor to 1: src reruns, its output digest is the
	// same, so down stays cached.
	s := run(t, r, plan(t, cutoff, "v=1.7"), 1)
	if executions("src") != 1 || executions("down") != 0 {
		t.Fatalf("src ran %d, down ran %d; want 1 and 0", executions("src"), executions("down"))
	}
	if s.Executed != 1 || s.Cached != 1 {
		t.Errorf("executed %d cached %d, want 1 and 1", s.Executed, s.Cached)
	}
}

const branches = `
name: branches
stages:
  bad:
    kind: test_counter
    params: {label: bad, fail: true}
  child:
    kind: test_counter
    inputs: {a: bad}
    params: {label: child}
  good:
    kind: test_counter
    params: {label: good, sleep: 20}
  after:
    kind: test_counter
    inputs: {a: good}
    params: {label: after}
`

func TestFailureStopsDescendantsOnly(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	s, err := r.Run(context.Background(), plan(t, branches), Options{Jobs: 2})
	if !errors.Is(err, ErrStageFailed) {
		t.Fatalf("err = %v, want ErrStageFailed", err)
	}
	if !strings.Contains(err.Error(), "stage bad: planned failure") {
		t.Errorf("error %q does not name the failed stage", err)
	}
	if executions("child") != 0 || executions("after") != 1 {
		t.Errorf("child ran %d (want 0), after ran %d (want 1)", executions("child"), executions("after"))
	}
	if s.Failed != 1 || s.Skip != 1 || s.Executed != 2 {
		t.Errorf("failed %d skipped %d executed %d; want 1, 1, 2", s.Failed, s.Skip, s.Executed)
	}
}

func TestCorruptBlobIsRecomputed(t *testing.T) {
	r := newRunner(t)
	p := plan(t, cutoff)
	s := run(t, r, p, 1)
	d := s.nodes[0].output("out")
	if err := os.WriteFile(r.Cache.BlobPath(d), []byte("\x93NUMPY garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	resetCounts()
	s = run(t, r, p, 1)
	if executions("src") != 1 || executions("down") != 0 {
		t.Errorf("after corruption src ran %d (want 1), down ran %d (want 0)", executions("src"), executions("down"))
	}
	if s.Executed != 1 || s.Cached != 1 || s.Failed != 0 || s.Skip != 0 {
		t.Errorf("rerun after corruption: executed %d cached %d failed %d skipped %d; want 1, 1, 0, 0", s.Executed, s.Cached, s.Failed, s.Skip)
	}
	if _, err := (store{r.Cache}).load(d); err != nil {
		t.Errorf("blob not restored: %v", err)
	}
}

func TestOutputsIdenticalAcrossJobs(t *testing.T) {
	blobs := func(jobs int) map[string][]byte {
		r := newRunner(t)
		s := run(t, r, plan(t, chain), jobs)
		m := map[string][]byte{}
		for _, n := range s.nodes {
			for _, o := range saved(r, n) {
				name, d := o.Name, o.Digest
				b, err := os.ReadFile(r.Cache.BlobPath(d))
				if err != nil {
					t.Fatal(err)
				}
				m[n.label()+"."+name] = b
			}
		}
		return m
	}
	a, b := blobs(1), blobs(4)
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Errorf("%s differs between -j 1 and -j 4", k)
		}
	}
}

// cancelled is a run to cancel midway: block sleeps 10 s unless cancelled,
// so a cancel that does not reach it fails the test rather than hang it.
const cancelled = `
name: cancelled
stages:
  src:
    kind: test_counter
    params: {label: cancel-src}
  block:
    kind: test_counter
    params: {label: cancel-block, sleep: 10000}
  next:
    kind: test_counter
    inputs: {a: src}
    params: {label: cancel-next}
  after:
    kind: test_counter
    inputs: {a: block}
    params: {label: cancel-after}
`

// cancelWhenBlocked cancels the run from src's Done event once block is
// running: src has finished, block is cancelled while it runs, and next
// (whose only input, src, is ready) is launched only after the cancel.
type cancelWhenBlocked struct {
	nopProgress
	cancel  context.CancelFunc
	running chan struct{} // closed when block runs
}

func (p *cancelWhenBlocked) Running(label string) {
	if label == "block" {
		close(p.running)
	}
}

func (p *cancelWhenBlocked) Done(label string, _ Status, _ time.Duration, _ error) {
	if label != "src" {
		return
	}
	select {
	case <-p.running:
	case <-time.After(10 * time.Second): // block never ran; the test fails below
	}
	p.cancel()
}

// A run cancelled midway keeps what finished, stops the running stage and
// starts nothing more, even a stage whose inputs are all ready.
func TestCancelSkipsTheRest(t *testing.T) {
	resetCounts()
	r := newRunner(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &cancelWhenBlocked{cancel: cancel, running: make(chan struct{})}
	s, err := r.Run(ctx, plan(t, cancelled), Options{Jobs: 2, Progress: progress})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	want := map[string]Status{"src": StatusOK, "block": StatusFailed, "next": StatusSkipped, "after": StatusSkipped}
	for _, n := range s.nodes {
		if n.status != want[n.label()] {
			t.Errorf("%s: status %s (%v), want %s", n.label(), n.status, n.err, want[n.label()])
		}
		if n.label() == "block" && !errors.Is(n.err, context.Canceled) {
			t.Errorf("block: error %v, want context.Canceled", n.err)
		}
	}
	if executions("cancel-next") != 0 || executions("cancel-after") != 0 {
		t.Errorf("after the cancel next ran %d times and after %d; want 0 and 0", executions("cancel-next"), executions("cancel-after"))
	}
	if s.Executed != 1 || s.Failed != 1 || s.Skip != 2 {
		t.Errorf("executed %d failed %d skipped %d; want 1, 1, 2", s.Executed, s.Failed, s.Skip)
	}
}

func TestExplainNamesTheCause(t *testing.T) {
	defer func(b int) { bulkLast = b }(bulkLast)
	for _, bulk := range []int{0, 1000} { // one query for the sweep; one per stale instance
		bulkLast = bulk
		r := newRunner(t)
		run(t, r, plan(t, cutoff), 1)
		entries, err := r.Explain(context.Background(), plan(t, cutoff, "v=2.5"))
		if err != nil {
			t.Fatal(err)
		}
		if entries[0].Cached || !strings.Contains(strings.Join(entries[0].Reasons, ";"), "param value changed: 1.2 -> 2.5") {
			t.Errorf("bulk above %d: src entry = %+v, want stale because param value changed 1.2 -> 2.5", bulk, entries[0])
		}
		if entries[1].Cached || !strings.Contains(entries[1].Reasons[0], "upstream will run first: src") {
			t.Errorf("bulk above %d: down entry = %+v", bulk, entries[1])
		}
		other, err := r.Explain(context.Background(), plan(t, strings.Replace(cutoff, "name: cutoff", "name: other", 1), "v=3.5"))
		if err != nil || other[0].Cached || other[0].Reasons[0] != "never run" {
			t.Errorf("bulk above %d: another experiment's first instance = %+v, %v; want never run", bulk, other[0], err)
		}
	}
}
