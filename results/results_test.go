package results

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/cache"
)

func dg(s string) cache.Digest { return cache.Digest(sha256.Sum256([]byte(s))) }

// chain records load -> spectrum for one run and returns the run id.
func chain(t testing.TB, db *DB, alpha string, code string) int64 {
	ctx := context.Background()
	run, err := db.BeginRun(ctx, Run{Experiment: "exp", File: "e.yaml", Started: time.Unix(1, 0), Host: "h", PID: 1,
		Code: Code{Revision: code}, Env: map[string]string{"blas": "openblas"}})
	if err != nil {
		t.Fatal(err)
	}
	data := dg("data" + alpha)
	_, err = db.RecordExecution(ctx, Execution{RunID: run, Stage: "data", Cell: "alpha=" + alpha, Kind: "load", Version: "1",
		ActionKey: dg("k1" + alpha).String(), Status: "ok", Params: map[string]string{"alpha": alpha},
		Outputs: []Edge{{Name: "x", Digest: data, Kind: "array", DType: "float64", Shape: []int{10, 20}, Bytes: 1728}}})
	if err != nil {
		t.Fatal(err)
	}
	seed := 3
	_, err = db.RecordExecution(ctx, Execution{RunID: run, Stage: "spec", Cell: "alpha=" + alpha, Kind: "spectrum", Version: "1",
		ActionKey: dg("k2" + alpha).String(), Status: "ok", Seed: &seed, Params: map[string]string{"view": `"full"`},
		Inputs:  []Edge{{Name: "x", Digest: data}},
		Outputs: []Edge{{Name: "alpha", Digest: dg("alpha" + alpha), Kind: "array", DType: "float64", Shape: []int{}}}})
	if err != nil {
		t.Fatal(err)
	}
	db.EndRun(ctx, run, "ok")
	return run
}

func TestResolveRefs(t *testing.T) {
	db, _ := OpenMemory()
	defer db.Close()
	chain(t, db, "1", "abc")
	chain(t, db, "2", "abc")
	ctx := context.Background()
	// The latest run holds only alpha=2.
	e, err := db.ResolveOutputs(ctx, "exp:spec.alpha@alpha=2")
	if err != nil || len(e) != 1 || e[0].Digest != dg("alpha2") {
		t.Fatalf("EXP:STAGE.OUTPUT@cell: %v %v", e, err)
	}
	e, err = db.ResolveOutputs(ctx, dg("alpha1").String()[:10])
	if err != nil || e[0].Digest != dg("alpha1") {
		t.Fatalf("digest prefix: %v %v", e, err)
	}
	for ref, want := range map[string]string{
		"exp:spec.nope":    `exp:spec.nope: stage "spec" has no output "nope"; it has alpha`,
		"exp:other":        `exp:other: no successful execution of stage "other" in the latest run of "exp" (see ` + "`eigenlab ls exp`)",
		"nonsense":         `REF "nonsense": want a digest prefix (6+ hex digits) or EXP:STAGE[.OUTPUT][@axis=value,...]`,
		"ffffffffffffffff": `no artifact with digest ffffffffffffffff… in the provenance database`,
	} {
		if _, err := db.ResolveOutputs(ctx, ref); err == nil || err.Error() != want {
			t.Errorf("%s: err = %v\nwant %s", ref, err, want)
		}
	}
}

func TestLineageAndDiff(t *testing.T) {
	db, _ := OpenMemory()
	defer db.Close()
	chain(t, db, "1", "abc")
	ctx := context.Background()
	a, err := db.LineageOf(ctx, dg("alpha1").String()[:8])
	if err != nil {
		t.Fatal(err)
	}
	if a.Exec.Stage != "spec" || a.Inputs["x"] == nil || a.Inputs["x"].Exec.Stage != "data" {
		t.Fatalf("lineage %+v", a)
	}
	var out strings.Builder
	db.WriteWhy(&out, a)
	for _, want := range []string{"exp:spec@alpha=1", "seed   3", "param  alpha = 1", "env:  blas"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("why lacks %q:\n%s", want, out.String())
		}
	}
	chain(t, db, "2", "def")
	b, _ := db.LineageOf(ctx, dg("alpha2").String()[:8])
	got := map[string]bool{}
	for _, d := range db.Diff(ctx, a, b) {
		got[d.Stage+" "+d.What] = true
	}
	want := []string{"spec input x", "spec code revision", "data param alpha", "data code revision"}
	for _, w := range want {
		if !got[w] {
			t.Errorf("diff lacks %q (got %v)", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("diff has %d causes, want %d: %v", len(got), len(want), got)
	}
}

func TestMarkDeadRuns(t *testing.T) {
	db, _ := OpenMemory()
	defer db.Close()
	ctx := context.Background()
	id, _ := db.BeginRun(ctx, Run{Experiment: "e", Host: "h", PID: 99})
	db.MarkDeadRuns(ctx, "h", func(int) bool { return false })
	runs, _ := db.Runs(ctx, "e")
	if runs[0].ID != id || runs[0].Status != "killed" {
		t.Errorf("run %+v, want killed", runs[0])
	}
}

func TestTwoHandlesWriteConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	a, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	for _, db := range []*DB{a, b} {
		go func() {
			for i := 0; i < 50; i++ {
				if _, err := db.BeginRun(context.Background(), Run{Experiment: "e"}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	runs, _ := a.Runs(context.Background(), "e")
	if len(runs) != 100 {
		t.Errorf("%d runs, want 100", len(runs))
	}
}

// BenchmarkWhy times `why` on a database holding 10^6 executions (goal
// < 100 ms per query).
func BenchmarkWhy(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "big.db"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		run, _ := tx.Exec(`INSERT INTO runs (experiment, file, yaml, args, status, started, host, pid, code_version, code_revision, code_modified, env_json)
			VALUES ('big', '', '', '[]', 'ok', '', 'h', 1, '', '', 0, '{}')`)
		runID, _ := run.LastInsertId()
		ins, _ := tx.Prepare(`INSERT INTO executions (run_id, stage, cell, instance_id, kind, version, action_key, key_text, status,
			started, ended, wall_s, cpu_s, peak_rss_bytes, host, executor, error) VALUES (?, ?, ?, '', 'k', '1', ?, '', 'ok', '', '', 0, 0, 0, 'h', 'local', '')`)
		edge, _ := tx.Prepare(`INSERT INTO edges VALUES (?, ?, ?, ?)`)
		for i := 0; i < 1_000_000; i++ {
			res, err := ins.Exec(runID, fmt.Sprintf("s%d", i%1000), fmt.Sprintf("c=%d", i/1000), fmt.Sprint(i))
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			edge.Exec(id, "out", "x", dg(fmt.Sprint("o", i)).String())
			if i > 0 {
				edge.Exec(id, "in", "x", dg(fmt.Sprint("o", i-1)).String())
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	ref := dg("o999999").String()[:12]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e, err := db.ResolveExecutions(ctx, ref)
		if err != nil {
			b.Fatal(err)
		}
		// One step of lineage: the producer of the input.
		if _, err := db.producerOf(ctx, e[0].Inputs[0].Digest.String()); err != nil {
			b.Fatal(err)
		}
	}
}
