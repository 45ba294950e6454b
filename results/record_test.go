package results

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRecordExecutionRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	run, err := f.db.BeginRun(ctx, Run{Experiment: "exp", Host: "h", PID: 3})
	if err != nil {
		t.Fatal(err)
	}
	x := Edge{Name: "x", Digest: dg("x"), Kind: "array", DType: "float32", Shape: []int{4, 5}, Bytes: 208}
	seed := 42
	start := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	want := Execution{RunID: run, Experiment: "exp", Stage: "spec", Cell: "alpha=1,seed=42", InstanceID: "spec#3",
		Kind: "spectrum", Version: "3", ActionKey: dg("key").String(), KeyText: "kind spectrum\nversion 3",
		Status: "failed", Started: start, Ended: start.Add(1500 * time.Millisecond), Wall: 1.5, CPU: 2.25,
		PeakRSS: 123456789, Host: "h", Executor: "local", Error: "spectrum: input x has NaN in column 3", Seed: &seed,
		Params:  map[string]string{"view": `"full"`, "seed": "42"},
		Inputs:  []Edge{x},
		Outputs: []Edge{{Name: "info", Digest: dg("info"), Kind: "record", DType: "", Shape: []int{}, Bytes: 17}, {Name: "lambda", Digest: dg("lambda"), Kind: "array", DType: "float64", Shape: []int{4}, Bytes: 160}}}
	// The input's description comes from the execution that output it.
	if _, err := f.db.RecordExecution(ctx, Execution{RunID: run, Stage: "data", Status: "ok", Outputs: []Edge{x}}); err != nil {
		t.Fatal(err)
	}
	in := want
	in.Inputs = []Edge{{Name: "x", Digest: x.Digest}}
	if want.ID, err = f.db.RecordExecution(ctx, in); err != nil {
		t.Fatal(err)
	}
	want.ioID = want.ID
	execs, err := f.db.Executions(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if len(execs) != 2 || !reflect.DeepEqual(*execs[1], want) {
		t.Errorf("read back\n%+v\nwant\n%+v", execs[1], want)
	}
	if _, err := f.db.RecordExecution(ctx, Execution{RunID: run, Stage: "s", Status: "done"}); err == nil {
		t.Error("status done was accepted")
	}
	if _, err := f.db.RecordExecution(ctx, Execution{RunID: run + 1, Stage: "s", Status: "ok"}); err == nil {
		t.Error("an execution of a missing run was accepted (foreign keys off?)")
	}
}

func TestRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	want := Run{Experiment: "exp", File: "e.yaml", YAML: "name: exp\n", Args: []string{"run", "e.yaml", "-j", "2"},
		Status: "running", Started: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Host: "h", PID: 9,
		Code: Code{Version: "v1.2.3", Revision: "abc", Modified: true}, Env: map[string]string{"go": "go1.26"}}
	var err error
	if want.ID, err = f.db.BeginRun(ctx, want); err != nil {
		t.Fatal(err)
	}
	other, _ := f.db.BeginRun(ctx, Run{Experiment: "other"})
	runs, err := f.db.Runs(ctx, "exp")
	if err != nil || len(runs) != 1 || !reflect.DeepEqual(runs[0], want) {
		t.Errorf("Runs(exp) = %+v (%v), want [%+v]", runs, err, want)
	}
	if err := f.db.EndRun(ctx, other, "ok"); err != nil {
		t.Fatal(err)
	}
	runs, _ = f.db.Runs(ctx, "")
	if len(runs) != 2 || runs[0].ID != other || runs[0].Status != "ok" || runs[0].Ended.IsZero() || !runs[1].Ended.IsZero() {
		t.Errorf("Runs() = %+v, want the ended run first", runs)
	}
	for _, tc := range []struct {
		id     int64
		status string
		want   string
	}{
		{other, "done", `ending run 2: status "done": want ok, failed, cancelled or killed`},
		{99, "ok", "ending run 99: no such run"},
	} {
		if err := f.db.EndRun(ctx, tc.id, tc.status); err == nil || err.Error() != tc.want {
			t.Errorf("EndRun(%d, %s) = %v, want %s", tc.id, tc.status, err, tc.want)
		}
	}
}

func TestMarkDeadRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	runs := []struct {
		host  string
		pid   int
		ended bool
		want  string
	}{
		{"h", 1, false, "running"},     // alive
		{"h", 2, false, "killed"},      // dead
		{"h", 2, true, "ok"},           // dead, but ended properly
		{"other", 2, false, "running"}, // another host's pid 2 cannot be checked here
	}
	for _, r := range runs {
		id, err := f.db.BeginRun(ctx, Run{Experiment: "e", Host: r.host, PID: r.pid})
		if err != nil {
			t.Fatal(err)
		}
		if r.ended {
			f.db.EndRun(ctx, id, "ok")
		}
	}
	if err := f.db.MarkDeadRuns(ctx, "h", func(pid int) bool { return pid == 1 }); err != nil {
		t.Fatal(err)
	}
	got, _ := f.db.Runs(ctx, "e")
	for i, r := range runs {
		g := got[len(got)-1-i]
		if g.Status != r.want || (r.want == "running") != g.Ended.IsZero() {
			t.Errorf("run %d (%s pid %d): status %s ended %v, want %s", g.ID, r.host, r.pid, g.Status, g.Ended, r.want)
		}
	}
}

func TestCitations(t *testing.T) {
	f := twoRuns(t)
	ctx := context.Background()
	got, err := f.db.Citations(ctx, "exp")
	if err != nil {
		t.Fatal(err)
	}
	// The rerun of (alpha=1, seed=0) was served from the cache: its
	// citation now points at run 2's execution, the latest.
	want := []struct {
		id    string
		run   int64
		value float64
	}{
		{"exp:fit.alpha@alpha=1,seed=0", 2, 1},
		{"exp:fit.alpha@alpha=1,seed=1", 2, 1.01},
		{"exp:fit.alpha@alpha=2,seed=0", 1, 2},
	}
	if len(got) != len(want) {
		t.Fatalf("citations %+v, want %d", got, len(want))
	}
	for i, w := range want {
		execs, err := f.db.Resolve(ctx, got[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got[i].ID != w.id || execs[0].ID != got[i].ExecutionID || execs[0].RunID != w.run || got[i].Value != w.value ||
			got[i].Digest != execs[0].Outputs[0].Digest {
			t.Errorf("citation %d = %+v (execution in run %d), want %+v", i, got[i], execs[0].RunID, w)
		}
	}
	if none, _ := f.db.Citations(ctx, "ex"); len(none) != 0 {
		t.Errorf("experiment ex has citations %v of exp", none)
	}
}

func TestCiteErrorsAndNaN(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	run, _ := f.db.BeginRun(ctx, Run{Experiment: "exp"})
	scalar := Edge{Name: "r", Digest: dg("r"), Kind: "array", DType: "float64", Shape: []int{}}
	vector := Edge{Name: "v", Digest: dg("v"), Kind: "array", DType: "float64", Shape: []int{3}}
	for _, tc := range []struct {
		cite map[string]float64
		want string
	}{
		{map[string]float64{"q": 1}, `recording s in run 1: cited output "q" is not among the outputs`},
		{map[string]float64{"v": 1}, `recording s in run 1: cited output "v" has shape [3]; only 0-d outputs are cited`},
	} {
		_, err := f.db.RecordExecution(ctx, Execution{RunID: run, Stage: "s", Status: "ok", Outputs: []Edge{scalar, vector}, Cite: tc.cite})
		if err == nil || err.Error() != tc.want {
			t.Errorf("cite %v: %v, want %s", tc.cite, err, tc.want)
		}
	}
	if execs, _ := f.db.Executions(ctx, run); len(execs) != 0 {
		t.Errorf("a failed RecordExecution left %d executions", len(execs))
	}
	if _, err := f.db.RecordExecution(ctx, Execution{RunID: run, Stage: "s", Status: "ok", Outputs: []Edge{scalar}, Cite: map[string]float64{"r": math.NaN()}}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.db.Citations(ctx, "exp"); err != nil || len(got) != 1 || !math.IsNaN(got[0].Value) {
		t.Errorf("NaN citation read back as %+v (%v)", got, err)
	}
}

// TestCachedExecutionSharesRecord: an execution served from the cache that
// repeats one recorded in full (same action key, params and edges) shares
// its params and edges rows instead of copying them, and reads back the
// same; one whose outputs differ (the action was recomputed to other
// bytes) is recorded in full. Both the single-record path and the
// recorder's batched path are checked.
func TestCachedExecutionSharesRecord(t *testing.T) {
	paths := map[string]func(*DB, Execution) int64{
		"alone": func(db *DB, e Execution) int64 {
			id, err := db.RecordExecution(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			return id
		},
		"batched": func(db *DB, e Execution) int64 {
			r := db.NewRecorder(nil)
			r.Record(e, func(err error) { t.Fatal(err) })
			r.Close()
			var id int64
			db.db.QueryRow(`SELECT MAX(id) FROM executions`).Scan(&id)
			return id
		},
	}
	for name, record := range paths {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			run, err := f.db.BeginRun(ctx, Run{Experiment: "exp", Host: "h", PID: 3})
			if err != nil {
				t.Fatal(err)
			}
			x := Edge{Name: "x", Digest: dg("x")}
			y := Edge{Name: "y", Digest: dg("y"), Kind: "array", DType: "float64", Shape: []int{}, Bytes: 136}
			ok := Execution{RunID: run, Stage: "s", Kind: "spectrum", Version: "1", ActionKey: dg("k").String(),
				KeyText: "kind spectrum", Status: "ok", Params: map[string]string{"a": "1"}, Inputs: []Edge{x}, Outputs: []Edge{y}}
			full := record(f.db, ok)
			cached := ok
			cached.Status = "cached"
			repeat := record(f.db, cached)
			other := cached
			other.Outputs = []Edge{{Name: "y", Digest: dg("y2"), Kind: "array", DType: "float64", Shape: []int{}, Bytes: 136}}
			differs := record(f.db, other)
			for _, c := range []struct {
				id, shares int64
				want       Execution
			}{{full, full, ok}, {repeat, full, cached}, {differs, differs, other}} {
				var io, params, edges int64
				f.db.db.QueryRow(`SELECT io_id FROM executions WHERE id = ?`, c.id).Scan(&io)
				f.db.db.QueryRow(`SELECT (SELECT COUNT(*) FROM params WHERE execution_id = ?), (SELECT COUNT(*) FROM edges WHERE execution_id = ?)`, c.id, c.id).Scan(&params, &edges)
				if io != c.shares || (io == c.id) != (params+edges > 0) {
					t.Errorf("execution %d (%s): io_id %d with %d params and %d edges rows; want io_id %d", c.id, c.want.Status, io, params, edges, c.shares)
				}
				es, err := f.db.Executions(ctx, run)
				if err != nil {
					t.Fatal(err)
				}
				i := slices.IndexFunc(es, func(e *Execution) bool { return e.ID == c.id })
				if got := es[i]; !reflect.DeepEqual(got.Params, c.want.Params) || !reflect.DeepEqual(got.Outputs, c.want.Outputs) || got.Inputs[0].Digest != x.Digest {
					t.Errorf("execution %d reads back params %v, inputs %v, outputs %v; want %v, %v, %v",
						c.id, got.Params, got.Inputs, got.Outputs, c.want.Params, c.want.Inputs, c.want.Outputs)
				}
			}
			// The repeat produced y as much as the full record did: it is y's latest producer.
			if e, err := f.db.latestProducer(ctx, dg("y").String()); err != nil || e.ID != repeat {
				t.Errorf("latest producer of y: %v, %v; want execution %d", e, err, repeat)
			}
		})
	}
}

// The recorder makes what a batch names durable before committing it, and
// a batch whose barrier fails is not committed: each of its records fails.
func TestRecorderSyncsBeforeCommit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	run, err := f.db.BeginRun(ctx, Run{Experiment: "exp", Host: "h", PID: 3})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (n int) {
		f.db.db.QueryRow(`SELECT COUNT(*) FROM executions`).Scan(&n)
		return n
	}
	e := Execution{RunID: run, Stage: "s", Status: "ok", ActionKey: dg("k").String()}
	var seen []int
	r := f.db.NewRecorder(func() error { seen = append(seen, count()); return nil })
	r.Record(e, func(err error) { t.Error(err) })
	r.Close()
	if !slices.Equal(seen, []int{0}) || count() != 1 {
		t.Errorf("barrier saw %v rows, %d after; want one barrier before the row", seen, count())
	}
	var failed []error
	r = f.db.NewRecorder(func() error { return errors.New("disk gone") })
	r.Record(e, func(err error) { failed = append(failed, err) })
	r.Record(e, func(err error) { failed = append(failed, err) })
	r.Close()
	if len(failed) != 2 || !strings.Contains(failed[0].Error(), "disk gone") || count() != 1 {
		t.Errorf("failed barrier: %v, %d rows; want both records failed naming it, no new row", failed, count())
	}
}

// Record waits while MaxPending executions are queued, so a run whose
// stages outrun the database holds a bounded queue, and every execution
// is still recorded once the database catches up.
func TestRecorderQueueIsBounded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	run, err := f.db.BeginRun(ctx, Run{Experiment: "exp", Host: "h", PID: 3})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	r := f.db.NewRecorder(func() error { <-release; return nil }) // the first batch waits
	const total = 3*MaxPending + BatchSize
	var queued atomic.Int64
	go func() {
		for i := range total {
			r.Record(Execution{RunID: run, Stage: "s", Cell: strconv.Itoa(i), Status: "ok", ActionKey: dg("k").String()},
				func(err error) { t.Error(err) })
			queued.Add(1)
		}
	}()
	// The first flush takes at most MaxPending (one batch), then the queue
	// fills to MaxPending and Record waits.
	time.Sleep(3 * FlushEvery)
	if n := queued.Load(); n > 2*MaxPending {
		t.Errorf("%d executions queued while the database was held; want at most %d", n, 2*MaxPending)
	}
	close(release)
	for queued.Load() < total {
		time.Sleep(time.Millisecond)
	}
	r.Close()
	var rows int
	f.db.db.QueryRow(`SELECT COUNT(*) FROM executions`).Scan(&rows)
	if rows != total {
		t.Errorf("%d rows recorded; want %d", rows, total)
	}
}
