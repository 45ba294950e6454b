package results

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The benchmark database: benchRuns runs of an experiment with benchCells
// cells, each a chain of benchStages stages (stage k reads stage k-1's
// output): 10^6 executions. Every benchReuse consecutive runs share their
// results — the first computes them, the others are served from the cache
// — so each artifact has benchReuse producers, as after repeated reruns.
const (
	benchRuns, benchCells, benchStages, benchReuse = 1000, 100, 10, 10
)

var big struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if big.dir != "" {
		os.RemoveAll(big.dir)
	}
	os.Exit(code)
}

// bigDB builds the benchmark database once per test binary.
func bigDB(b *testing.B) *DB {
	big.once.Do(func() {
		if big.dir, big.err = os.MkdirTemp("", "eigenlab-bench-"); big.err == nil {
			big.err = buildBig(filepath.Join(big.dir, "big.db"))
		}
	})
	if big.err != nil {
		b.Fatal(big.err)
	}
	db, err := Open(filepath.Join(big.dir, "big.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchDigest names the output of a stage in a cell of a generation of runs.
func benchDigest(gen, cell, stage int) string {
	return dg("out", fmt.Sprint(gen, cell, stage)).String()
}

// buildBig writes the benchmark database in one transaction with prepared
// statements.
func buildBig(path string) error {
	db, err := Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.tx(context.Background(), func(tx *sql.Tx) error {
		stmts := map[string]*sql.Stmt{}
		for name, q := range map[string]string{
			"run": `INSERT INTO runs (experiment, file, yaml, args, status, started, ended, host, pid, code_version, code_revision, code_modified, env_json)
				VALUES ('big', 'big.yaml', 'name: big', '[]', 'ok', '2025-01-01T00:00:00.000000000Z', '2025-01-01T01:00:00.000000000Z', 'h', 1, 'v1', 'abc', 0, '{"blas":"openblas"}')`,
			"exec": `INSERT INTO executions (run_id, stage, cell, instance_id, kind, version, action_key, key_text, status,
				started, ended, wall_s, cpu_s, peak_rss_bytes, host, executor, error, seed)
				VALUES (?, ?, ?, ?, 'spectrum', '3', ?, ?, ?, '2025-01-01T00:00:00.000000000Z', '2025-01-01T00:00:01.000000000Z', 1.5, 1.2, 1000000, 'h', 'local', '', ?)`,
			"param":    `INSERT INTO params (execution_id, name, value) VALUES (?, ?, ?)`,
			"edge":     `INSERT INTO edges (execution_id, direction, name, digest) VALUES (?, ?, ?, ?)`,
			"artifact": `INSERT OR IGNORE INTO artifacts (digest, kind, dtype, shape, bytes) VALUES (?, 'array', 'float64', '[100]', 928)`,
		} {
			if stmts[name], err = tx.Prepare(q); err != nil {
				return err
			}
		}
		for r := 0; r < benchRuns; r++ {
			res, err := stmts["run"].Exec()
			if err != nil {
				return err
			}
			runID, _ := res.LastInsertId()
			if err := buildBigRun(stmts, runID, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func buildBigRun(stmts map[string]*sql.Stmt, runID int64, r int) error {
	gen, status := r/benchReuse, "cached"
	if r%benchReuse == 0 {
		status = "ok"
	}
	for c := 0; c < benchCells; c++ {
		cell := fmt.Sprintf("alpha=%d,seed=%d", c/10, c%10)
		for s := 0; s < benchStages; s++ {
			out, stage := benchDigest(gen, c, s), fmt.Sprint("s", s)
			keyText := fmt.Sprintf("kind spectrum\nversion 3\nparam alpha=%d\nparam seed=%d\ninput x=%s", c/10, c%10, out)
			res, err := stmts["exec"].Exec(runID, stage, cell, stage+"@"+cell, dg(keyText).String(), keyText, status, c%10)
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			for _, e := range [][3]any{{id, "alpha", fmt.Sprint(c / 10)}, {id, "seed", fmt.Sprint(c % 10)}} {
				if _, err := stmts["param"].Exec(e[:]...); err != nil {
					return err
				}
			}
			if s > 0 {
				if _, err := stmts["edge"].Exec(id, "in", "x", benchDigest(gen, c, s-1)); err != nil {
					return err
				}
			}
			if _, err := stmts["edge"].Exec(id, "out", "y", out); err != nil {
				return err
			}
			if _, err := stmts["artifact"].Exec(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// BenchmarkWhy times `eigenlab why` — resolve the REF, walk the lineage
// (here ten stages deep) and print it — on the 10^6-execution database.
// Goal: < 100 ms.
func BenchmarkWhy(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	last := benchRuns - 1
	refs := map[string]string{
		"digest": benchDigest(last/benchReuse-5, 57, benchStages-1)[:12], // produced 50 runs ago
		"stage":  fmt.Sprintf("big:s%d.y@alpha=5,seed=7", benchStages-1),
	}
	for name, ref := range refs {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				l, err := db.LineageOf(ctx, ref)
				if err != nil {
					b.Fatal(err)
				}
				if err := db.WriteWhy(io.Discard, l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLastExecution times the lookup `eigenlab plan` makes for each
// stale stage, on the 10^6-execution database.
func BenchmarkLastExecution(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for b.Loop() {
		e, err := db.LastExecution(ctx, "big", "s5", "alpha=3,seed=4")
		if err != nil || e == nil {
			b.Fatal(e, err)
		}
	}
}

// TestWriteBenchDB writes the 10^6-execution benchmark database to the
// path in EIGENLAB_BENCH_DB, for bench/why_big.sh to time `eigenlab why`
// through the binary on disk; skipped without it.
func TestWriteBenchDB(t *testing.T) {
	path := os.Getenv("EIGENLAB_BENCH_DB")
	if path == "" {
		t.Skip("EIGENLAB_BENCH_DB not set")
	}
	if err := buildBig(path); err != nil {
		t.Fatal(err)
	}
}
