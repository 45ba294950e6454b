package runner

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/eigenlab/eigenlab/results"
)

// fileRunner is newRunner with a database file at the returned path, which
// a test can also open with database/sql to make writes fail.
func fileRunner(t *testing.T) (*Runner, string) {
	t.Helper()
	r := newRunner(t)
	path := filepath.Join(t.TempDir(), "provenance.db")
	db, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r.DB = db
	return r, path
}

// sqlExec runs statements on the database file at path.
func sqlExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// A run whose records of one stage cannot be written fails with
// ErrProvenance naming each missing record and the run, records the run
// as failed, and keeps the outputs: a rerun computes nothing and records
// everything.
func TestMissingRecordFailsTheRun(t *testing.T) {
	r, path := fileRunner(t)
	sqlExec(t, path, `CREATE TRIGGER lose_mid BEFORE INSERT ON executions WHEN NEW.stage = 'mid'
		BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`)
	resetCounts()
	s, err := r.Run(context.Background(), plan(t, chain), Options{Jobs: 2})
	if !errors.Is(err, ErrProvenance) || errors.Is(err, ErrStageFailed) {
		t.Fatalf("err = %v, want ErrProvenance and no stage failure", err)
	}
	if s.Executed != 9 || totalExecutions() != 9 {
		t.Errorf("executed %d (%d stage calls), want all 9 despite the lost records", s.Executed, totalExecutions())
	}
	want := []string{fmt.Sprintf("run %d has no record of 2 of its 9 stage instances", s.RunID)}
	for _, n := range s.nodes {
		if n.inst.Name == "mid" {
			want = append(want, fmt.Sprintf("no record of %s (status ok) in run %d", n.label(), s.RunID))
		}
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if runs, err := r.DB.Runs(context.Background(), ""); err != nil || len(runs) != 1 {
		t.Errorf("%d runs recorded (%v), want one", len(runs), err)
	} else if runs[0].Status != "failed" {
		t.Errorf("run recorded with status %s, want failed (a run with lost records failed)", runs[0].Status)
	}

	sqlExec(t, path, `DROP TRIGGER lose_mid`)
	resetCounts()
	s, err = r.Run(context.Background(), plan(t, chain), Options{Jobs: 2})
	if err != nil || s.Cached != 9 || totalExecutions() != 0 {
		t.Fatalf("rerun: %v, %d cached, %d executed; want no error, all 9 cached", err, s.Cached, totalExecutions())
	}
	if execs, err := r.DB.Executions(context.Background(), s.RunID); err != nil || len(execs) != 9 {
		t.Errorf("rerun recorded %d executions (%v), want 9", len(execs), err)
	}
}

// closeOnFirstDone closes the database when the first stage is done, just
// before its record is written: every write after BeginRun fails.
type closeOnFirstDone struct {
	nopProgress
	db   *results.DB
	once sync.Once
}

func (p *closeOnFirstDone) Done(string, Status, time.Duration, error) {
	p.once.Do(func() { p.db.Close() })
}

func TestClosedDatabaseFailsTheRunAndKeepsTheBlobs(t *testing.T) {
	r := newRunner(t)
	s, err := r.Run(context.Background(), plan(t, cutoff), Options{Jobs: 1, Progress: &closeOnFirstDone{db: r.DB}})
	if !errors.Is(err, ErrProvenance) {
		t.Fatalf("err = %v, want ErrProvenance", err)
	}
	for _, n := range s.nodes {
		if w := fmt.Sprintf("no record of %s (status ok) in run %d", n.label(), s.RunID); !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
		for _, o := range saved(r, n) {
			name, d := o.Name, o.Digest
			if !r.Cache.HasBlob(d) {
				t.Errorf("output %s.%s is not in the cache", n.label(), name)
			}
		}
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("the end of run %d (status failed)", s.RunID)) {
		t.Errorf("error does not say the run's end was not recorded:\n%v", err)
	}
}

func TestUnwritableDatabaseRunsNothing(t *testing.T) {
	r := newRunner(t)
	r.DB.Close()
	resetCounts()
	_, err := r.Run(context.Background(), plan(t, cutoff), Options{Jobs: 1})
	if !errors.Is(err, ErrProvenance) || !strings.Contains(err.Error(), "marking the dead runs") {
		t.Errorf("err = %v, want ErrProvenance from marking dead runs", err)
	}
	if n := totalExecutions(); n != 0 {
		t.Errorf("%d stages ran with no database to record them", n)
	}
}

// sweepYAML is a matrix of n cells of one tiny stage each.
func sweepYAML(n int) string {
	cells := make([]string, n)
	for i := range cells {
		cells[i] = strconv.Itoa(i)
	}
	return "name: wide\nmatrix:\n  i: [" + strings.Join(cells, ", ") + "]\nstages:\n  s:\n    kind: test_counter\n    params: {label: wide, value: ${i}}\n"
}

// countRows counts the executions of a run by status, from the file.
func countRows(t *testing.T, path string, runID int64) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT status, COUNT(*) FROM executions WHERE run_id = ? GROUP BY status`, runID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		rows.Scan(&s, &n)
		counts[s] = n
	}
	return counts
}

// Every execution of a wide sweep is recorded in the database file, cold
// and on a no-op rerun (once, 75-85% of a 10,000-stage no-op's rows were
// lost to "database is locked" while the run exited 0). 2,000 stages take
// ~15 s, most of it writing the cold run's blobs; make test-long
// (EIGENLAB_LONG=1) runs 10,000 (~70 s on 2 cores).
func TestWideSweepAllRecorded(t *testing.T) {
	n := 2000
	if os.Getenv("EIGENLAB_LONG") == "1" {
		n = 10000
	}
	r, path := fileRunner(t)
	p := plan(t, sweepYAML(n))
	for _, want := range []string{"ok", "cached"} {
		before := liveHeap()
		s, err := r.Run(context.Background(), p, Options{Jobs: 2})
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		kept := (liveHeap() - before) / uint64(n)
		runtime.KeepAlive(s)
		t.Logf("%s run: %s, %d bytes per stage kept by its summary", want, s.Wall, kept)
		if got := countRows(t, path, s.RunID); got[want] != n || len(got) != 1 {
			t.Errorf("run %d recorded %v, want %d %s", s.RunID, got, n, want)
		}
		// What a no-op keeps per stage once it is recorded (its node and 0-d
		// outputs; not its key text, record or queued row; the cold run's
		// figure also counts the test stage's own counters).
		if kept > noopKeepsPerStage && want == "cached" {
			t.Errorf("the no-op's summary keeps %d bytes per stage; want at most %d", kept, noopKeepsPerStage)
		}
	}
}

// noopKeepsPerStage bounds the live heap a no-op's summary keeps per
// stage: 585 bytes measured (Go 1.26, amd64), 1,066 before nodes released
// their key text, records and queued rows.
const noopKeepsPerStage = 800

// liveHeap is the bytes of live Go heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// lockOnFirstDone takes the database's write lock from another connection
// when the first stage is done, and holds it until released.
type lockOnFirstDone struct {
	nopProgress
	t    *testing.T
	path string
	once sync.Once
	conn *sql.Conn
}

func (p *lockOnFirstDone) Done(string, Status, time.Duration, error) {
	p.once.Do(func() {
		db, err := sql.Open("sqlite3", p.path)
		if err != nil {
			p.t.Error(err)
			return
		}
		ctx := context.Background()
		if p.conn, err = db.Conn(ctx); err == nil {
			_, err = p.conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		}
		if err != nil {
			p.t.Error(err)
		}
	})
}

func (p *lockOnFirstDone) release() {
	p.conn.ExecContext(context.Background(), "ROLLBACK")
	p.conn.Close()
}

// A write lock held by another process longer than the bound fails the
// run (after waiting that long, not forever), saying how many records are
// missing and why; the rows that are there are true.
func TestBusyDatabaseFailsTheRunAfterTheBound(t *testing.T) {
	r := newRunner(t)
	path := filepath.Join(t.TempDir(), "provenance.db")
	const bound = 300 * time.Millisecond
	db, err := results.OpenWith(path, results.Options{Timeout: bound})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r.DB = db
	lock := &lockOnFirstDone{t: t, path: path}
	start := time.Now()
	s, err := r.Run(context.Background(), plan(t, chain), Options{Jobs: 2, Progress: lock})
	wall := time.Since(start)
	lock.release()
	if !errors.Is(err, ErrProvenance) {
		t.Fatalf("err = %v, want ErrProvenance", err)
	}
	recorded := 0
	for _, n := range countRows(t, path, s.RunID) {
		recorded += n
	}
	for _, w := range []string{
		fmt.Sprintf("run %d has no record of %d of its 9 stage instances", s.RunID, 9-recorded),
		"database is locked",
		"held the database's write lock for over 300ms",
		fmt.Sprintf("the end of run %d (status failed)", s.RunID),
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if recorded == 9 || wall > 20*bound {
		t.Errorf("%d of 9 recorded in %s; want some lost after waiting about %s per batch", recorded, wall, bound)
	}
}

// panicOnDone panics in the runner's own code (not a stage's) when the
// named stage instance is done.
type panicOnDone struct {
	nopProgress
	label string
}

func (p panicOnDone) Done(label string, _ Status, _ time.Duration, _ error) {
	if label == p.label {
		panic("injected runner bug")
	}
}

// A panic in the runner fails the run as an internal error instead of
// crashing the process; the other branches finish.
func TestRunnerPanicIsAnInternalError(t *testing.T) {
	r := newRunner(t)
	resetCounts()
	s, err := r.Run(context.Background(), plan(t, chain), Options{Jobs: 2, Progress: panicOnDone{label: "mid@scale=1"}})
	if !errors.Is(err, ErrInternal) || !strings.Contains(err.Error(), "at mid@scale=1: panic: injected runner bug") {
		t.Fatalf("err = %v, want ErrInternal naming the instance", err)
	}
	if s.Failed != 1 || s.Executed+s.Skip+s.Cached != 8 {
		t.Errorf("%d executed, %d failed, %d skipped; want the one instance failed and the rest run or skipped", s.Executed, s.Failed, s.Skip)
	}
}

// A no-op rerun costs the same per stage at 10,000 stages as at 1,000:
// its CPU time (user + system, less noisy than wall time on a shared
// machine) per stage may grow by at most 2× over a 10× larger sweep.
// Long (EIGENLAB_LONG=1): the two sweeps take minutes.
func TestNoopScalesLinearly(t *testing.T) {
	if os.Getenv("EIGENLAB_LONG") != "1" {
		t.Skip("long: set EIGENLAB_LONG=1")
	}
	perStage := map[int]time.Duration{}
	for _, n := range []int{1000, 10000} {
		r, _ := fileRunner(t)
		p := plan(t, sweepYAML(n))
		if _, err := r.Run(context.Background(), p, Options{Jobs: 2}); err != nil {
			t.Fatalf("cold run of %d: %v", n, err)
		}
		before := cpuTime()
		if _, err := r.Run(context.Background(), p, Options{Jobs: 2}); err != nil {
			t.Fatalf("no-op of %d: %v", n, err)
		}
		perStage[n] = (cpuTime() - before) / time.Duration(n)
		t.Logf("%d stages: no-op CPU %s per stage", n, perStage[n])
	}
	if perStage[10000] > 2*perStage[1000] {
		t.Errorf("no-op CPU per stage %s at 10,000 stages, %s at 1,000: not linear", perStage[10000], perStage[1000])
	}
}
