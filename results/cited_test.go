package results

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// citedRows lists the cited view as "id exec value" lines, in id order.
func citedRows(t *testing.T, db *DB) string {
	t.Helper()
	rows, err := db.db.Query(`SELECT id, execution_id, COALESCE(value, 'NaN') FROM cited ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, value string
		var exec int64
		if err := rows.Scan(&id, &exec, &value); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %d %s", id, exec, value))
	}
	return strings.Join(lines, "\n")
}

// Each set of cited outputs keeps its own latest execution: when a stage
// changes to cite other outputs, the values it no longer cites keep the
// execution that produced them, and a rerun served from the cache writes
// no value, only which execution is the latest.
func TestCitedSources(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Every write to cited_values is counted.
	for _, q := range []string{`CREATE TABLE value_writes (n INTEGER)`,
		`CREATE TRIGGER count_inserts AFTER INSERT ON cited_values BEGIN INSERT INTO value_writes VALUES (1); END`,
		`CREATE TRIGGER count_updates AFTER UPDATE ON cited_values BEGIN INSERT INTO value_writes VALUES (1); END`} {
		if _, err := f.db.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	writes := func() (n int) {
		if err := f.db.db.QueryRow(`SELECT COUNT(*) FROM value_writes`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	scalar := func(name, version string) Edge {
		return Edge{Name: name, Digest: dg(name, version), Kind: "array", DType: "float64", Shape: []int{}}
	}
	record := func(status string, cite map[string]float64, outputs ...Edge) int64 {
		run, err := f.db.BeginRun(ctx, Run{Experiment: "exp"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := f.db.RecordExecution(ctx, Execution{RunID: run, Stage: "s", Cell: "k=1", ActionKey: "key", Status: status,
			Outputs: outputs, Cite: cite})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a1 := record("ok", map[string]float64{"a": 1, "b": 2}, scalar("a", "1"), scalar("b", "1"))
	b2 := record("ok", map[string]float64{"a": 3, "c": 4}, scalar("a", "2"), scalar("c", "2"))
	want := fmt.Sprintf("exp:s.a@k=1 %d 3\nexp:s.b@k=1 %d 2\nexp:s.c@k=1 %d 4", b2, a1, b2)
	if got := citedRows(t, f.db); got != want {
		t.Fatalf("after a stage cites other outputs:\n%s\nwant\n%s", got, want)
	}
	a3 := record("cached", map[string]float64{"a": 1, "b": 2}, scalar("a", "1"), scalar("b", "1"))
	want = fmt.Sprintf("exp:s.a@k=1 %d 1\nexp:s.b@k=1 %d 2\nexp:s.c@k=1 %d 4", a3, a3, b2)
	if got := citedRows(t, f.db); got != want {
		t.Fatalf("after the first outputs again:\n%s\nwant\n%s", got, want)
	}
	before := writes()
	a4 := record("cached", map[string]float64{"a": 1, "b": 2}, scalar("a", "1"), scalar("b", "1"))
	want = fmt.Sprintf("exp:s.a@k=1 %d 1\nexp:s.b@k=1 %d 2\nexp:s.c@k=1 %d 4", a4, a4, b2)
	if got := citedRows(t, f.db); got != want {
		t.Errorf("after a rerun:\n%s\nwant\n%s", got, want)
	}
	if n := writes() - before; n != 0 {
		t.Errorf("a rerun of unchanged values wrote %d cited values, want 0", n)
	}
}

// A database of schema version 4 keeps its cited numbers, each with its
// execution, and later runs update them in place.
func TestMigrateCitedFromVersion4(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	old, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	setup := append(append([]string{}, migrations[:4]...), "PRAGMA user_version = 4",
		`INSERT INTO runs VALUES (1, 'e', 'e.yaml', '', '[]', 'ok', '2024-01-01T00:00:00Z', NULL, 'h', 1, '', 'r', 0, '{}')`,
		`INSERT INTO runs VALUES (2, 'e', 'e.yaml', '', '[]', 'ok', '2024-01-02T00:00:00Z', NULL, 'h', 1, '', 'r', 0, '{}')`)
	for i, sc := range []struct {
		run        int
		stage, cel string
	}{{1, "s", "c=1"}, {2, "s", "c=1"}, {2, "t", ""}} {
		setup = append(setup, fmt.Sprintf(`INSERT INTO executions (id, io_id, run_id, stage, cell, instance_id, kind, version, action_key,
			key_text, status, started, ended, wall_s, cpu_s, peak_rss_bytes, host, executor, error)
			VALUES (%d, %d, %d, '%s', '%s', '', 'k', '1', 'key', '', 'ok', '', '', 0, 0, 0, 'h', 'local', '')`, i+1, i+1, sc.run, sc.stage, sc.cel))
	}
	setup = append(setup, `INSERT INTO cited (id, execution_id, output, digest, value) VALUES
		('e:s.a@c=1', 2, 'a', 'da', 1.5), ('e:s.b@c=1', 1, 'b', 'db', 2.5), ('e:s.z@c=1', 2, 'z', 'dz', 3.5), ('e:t.a', 3, 'a', 'dt', NULL)`)
	for _, q := range setup {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := "e:s.a@c=1 2 1.5\ne:s.b@c=1 1 2.5\ne:s.z@c=1 2 3.5\ne:t.a 3 NaN"
	if got := citedRows(t, db); got != want {
		t.Fatalf("cited after migration:\n%s\nwant\n%s", got, want)
	}
	ctx := context.Background()
	run, err := db.BeginRun(ctx, Run{Experiment: "e"})
	if err != nil {
		t.Fatal(err)
	}
	scalar := func(name string) Edge { return Edge{Name: name, Digest: dg(name), Shape: []int{}} }
	id, err := db.RecordExecution(ctx, Execution{RunID: run, Stage: "s", Cell: "c=1", ActionKey: "key", Status: "ok",
		Outputs: []Edge{scalar("a"), scalar("z")}, Cite: map[string]float64{"a": 1, "z": 2}})
	if err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprintf("e:s.a@c=1 %d 1\ne:s.b@c=1 1 2.5\ne:s.z@c=1 %d 2\ne:t.a 3 NaN", id, id)
	if got := citedRows(t, db); got != want {
		t.Errorf("cited after a run:\n%s\nwant\n%s", got, want)
	}
	// The migrated source of a,z is the one the run updated: none is left over.
	var sources int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM cited_sources`).Scan(&sources); err != nil || sources != 3 {
		t.Errorf("%d cited sources (%v), want 3", sources, err)
	}
}
