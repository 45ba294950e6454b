package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// schemaOf lists the database's tables and indexes with their SQL.
func schemaOf(t *testing.T, db *DB) string {
	rows, err := db.db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		rows.Scan(&typ, &name, &sql)
		fmt.Fprintf(&b, "%s %s %s\n", typ, name, sql)
	}
	return b.String()
}

func userVersion(t *testing.T, db *DB) int {
	var v int
	if err := db.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "p.db") // Open makes the directories
	var schemas []string
	for i := 0; i < 3; i++ {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if v := userVersion(t, db); v != len(migrations) {
			t.Errorf("open %d: schema version %d, want %d", i, v, len(migrations))
		}
		if i == 0 {
			if _, err := db.BeginRun(context.Background(), Run{Experiment: "e"}); err != nil {
				t.Fatal(err)
			}
		}
		schemas = append(schemas, schemaOf(t, db))
		if runs, _ := db.Runs(context.Background(), "e"); len(runs) != 1 {
			t.Errorf("open %d: %d runs, want the 1 recorded", i, len(runs))
		}
		db.Close()
	}
	if schemas[0] != schemas[1] || schemas[1] != schemas[2] {
		t.Errorf("reopening changed the schema:\n%s\n%s", schemas[0], schemas[2])
	}
	mem, _ := OpenMemory()
	defer mem.Close()
	if got := schemaOf(t, mem); got != schemas[0] {
		t.Errorf("in-memory schema differs from the file's:\n%s\n%s", got, schemas[0])
	}
}

// A database written by the first schema keeps its rows and gains the rest.
func TestMigrateFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	old, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schemaV1, "PRAGMA user_version = 1",
		`INSERT INTO runs VALUES (1, 'e', 'e.yaml', '', '[]', 'ok', '2024-01-01T00:00:00Z', NULL, 'h', 1, '', 'r', 0, '{}')`} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mem, _ := OpenMemory()
	defer mem.Close()
	if got, want := schemaOf(t, db), schemaOf(t, mem); got != want {
		t.Errorf("migrated schema\n%s\nwant\n%s", got, want)
	}
	if runs, err := db.Runs(context.Background(), "e"); err != nil || len(runs) != 1 || runs[0].Code.Revision != "r" {
		t.Errorf("runs after migration: %+v (%v)", runs, err)
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.db.Exec("PRAGMA user_version = 99")
	db.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "schema version 99 is newer than this eigenlab") {
		t.Errorf("opening a newer schema: %v", err)
	}
}

// Two handles on one file — two eigenlab processes — open a new database
// and record runs at once; neither sees "database is locked".
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	const writers, runs, stages = 2, 25, 4
	dbs := make([]*DB, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(path)
			if err != nil {
				errs <- err
				return
			}
			dbs[w] = db
			errs <- writeRuns(db, fmt.Sprintf("w%d", w), runs, stages)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	var n int
	dbs[0].db.QueryRow(`SELECT COUNT(*) FROM executions e JOIN edges g ON g.execution_id = e.io_id`).Scan(&n)
	if want := writers * runs * stages * 2; n != want {
		t.Errorf("%d edges of executions, want %d", n, want)
	}
	all, _ := dbs[1].Runs(context.Background(), "")
	for _, r := range all {
		if r.Status != "ok" {
			t.Errorf("run %d is %s", r.ID, r.Status)
		}
	}
}

// writeRuns records runs of a chain of stages, each reading the last output.
func writeRuns(db *DB, name string, runs, stages int) error {
	ctx := context.Background()
	for r := 0; r < runs; r++ {
		run, err := db.BeginRun(ctx, Run{Experiment: name})
		if err != nil {
			return err
		}
		prev := dg(name, "input")
		for s := 0; s < stages; s++ {
			out := dg(name, fmt.Sprint(r, s))
			if _, err := db.RecordExecution(ctx, Execution{RunID: run, Stage: fmt.Sprint("s", s), Status: "ok",
				Params: map[string]string{"r": fmt.Sprint(r)}, Inputs: []Edge{{Name: "in", Digest: prev}}, Outputs: []Edge{{Name: "out", Digest: out}}}); err != nil {
				return err
			}
			prev = out
		}
		if err := db.EndRun(ctx, run, "ok"); err != nil {
			return err
		}
	}
	return nil
}

// A database path with characters that mean something in a URI ('#', '?',
// '%', a space) is the file opened, not a path cut at them.
func TestOpenPathWithURICharacters(t *testing.T) {
	for _, name := range []string{"a#b.db", "a?b.db", "a%41b.db", "a b&c=d.db", "x?mode=ro#f.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.BeginRun(context.Background(), Run{Experiment: "e"}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), name) {
					t.Errorf("wrote %s beside %s", e.Name(), name)
				}
			}
			ro, err := OpenWith(path, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			if runs, err := ro.Runs(context.Background(), "e"); err != nil || len(runs) != 1 {
				t.Errorf("read back %d runs (%v), want 1", len(runs), err)
			}
		})
	}
}

// A read-only open neither waits for nor takes the write lock, so ls and
// why work while a run writes; it writes nothing and refuses to.
func TestReadOnlyOpenWhileWriteLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.BeginRun(ctx, Run{Experiment: "e"}); err != nil {
		t.Fatal(err)
	}
	conn, err := db.db.Conn(ctx) // the writer's one connection, held
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")

	start := time.Now()
	ro, err := OpenWith(path, Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if runs, err := ro.Runs(ctx, ""); err != nil || len(runs) != 1 {
		t.Errorf("read %d runs (%v) under a write lock, want 1", len(runs), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("read-only open and read took %s under a write lock; want no wait", d)
	}
	if _, err := ro.BeginRun(ctx, Run{Experiment: "e"}); err == nil || !strings.Contains(err.Error(), "opened read-only") {
		t.Errorf("BeginRun on a read-only database: %v, want a refusal", err)
	}
}

// A read-only open of a database that is not there says so (and creates
// nothing); one with an older schema is migrated first.
func TestReadOnlyOpenMissingOrOld(t *testing.T) {
	dir := t.TempDir()
	_, err := OpenWith(filepath.Join(dir, "none.db"), Options{ReadOnly: true})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing database: %v, want ErrNotExist", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a read-only open created %d files", len(entries))
	}
	path := filepath.Join(dir, "old.db")
	old, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{schemaV1, "PRAGMA user_version = 1"} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	ro, err := OpenWith(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if v := userVersion(t, ro); v != len(migrations) {
		t.Errorf("schema version %d after a read-only open, want %d (migrated)", v, len(migrations))
	}
}

// TestWALCheckpointSize: a writer folds the log into the database every
// walCheckpointPages pages, not at SQLite's default of 1,000.
func TestWALCheckpointSize(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	if err := db.db.QueryRow("PRAGMA wal_autocheckpoint").Scan(&pages); err != nil || pages != walCheckpointPages {
		t.Errorf("wal_autocheckpoint = %d, %v; want %d", pages, err, walCheckpointPages)
	}
}
