package main

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/runner"
)

var binary string

// TestMain builds the eigenlab binary once; the tests run it as a user would.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "eigenlab-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "eigenlab")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building eigenlab: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// state is one cache + database pair in a temp dir.
type state struct{ dir string }

func newState(t *testing.T) state { return state{t.TempDir()} }

func (s state) cmd(args ...string) *exec.Cmd {
	c := exec.Command(binary, args...)
	c.Env = append(os.Environ(),
		"EIGENLAB_CACHE="+filepath.Join(s.dir, "cache"),
		"EIGENLAB_DB="+filepath.Join(s.dir, "provenance.db"))
	return c
}

func (s state) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	c := s.cmd(args...)
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}

func (s state) db(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", filepath.Join(s.dir, "provenance.db")+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRunTwiceSecondIsFree(t *testing.T) {
	s := newState(t)
	out, code := s.run(t, "run", "testdata/sweep.yaml", "-j", "2")
	if code != 0 || !strings.Contains(out, "24 executed, 0 cached") {
		t.Fatalf("first run (exit %d):\n%s", code, out)
	}
	out, code = s.run(t, "run", "testdata/sweep.yaml")
	if code != 0 || !strings.Contains(out, "0 executed, 24 cached") {
		t.Fatalf("second run (exit %d):\n%s", code, out)
	}
}

func TestInvalidExperimentExits2AndRunsNothing(t *testing.T) {
	s := newState(t)
	out, code := s.run(t, "run", "testdata/invalid.yaml")
	if code != 2 {
		t.Fatalf("exit %d, want 2:\n%s", code, out)
	}
	for _, want := range []string{
		`testdata/invalid.yaml:1:7: name "Bad_Name": want lowercase letters, digits and dashes ([a-z0-9-]+)`,
		`testdata/invalid.yaml:4:11: stage "data": unknown stage kind "lod"; known kinds: `,
		`testdata/invalid.yaml:8:17: stage "spec": input "x" refers to unknown stage "nowhere"`,
		`testdata/invalid.yaml:9:20: stage "spec": param "view": "sideways" is not one of full, channel, spatial`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, "cache", "blobs")); err == nil {
		if n := countFiles(t, filepath.Join(s.dir, "cache", "blobs")); n != 0 {
			t.Errorf("%d blobs written by an invalid experiment", n)
		}
	}
}

// A run killed with SIGKILL at random points leaves no partial artifact
// visible and no provenance row pointing at missing bytes; a rerun completes.
func TestKilledRunLeavesNothingHalfWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newState(t)
	for i := 0; i < 4; i++ {
		c := s.cmd("run", "testdata/sweep.yaml", "-j", "2", "--set", fmt.Sprintf("n=%d", 300+i))
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(50+rng.IntN(900)) * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		checkConsistent(t, s)
	}
	out, code := s.run(t, "run", "testdata/sweep.yaml", "-j", "2", "--set", "n=300")
	if code != 0 {
		t.Fatalf("rerun after kills (exit %d):\n%s", code, out)
	}
	checkConsistent(t, s)
	out, code = s.run(t, "verify", "--all")
	if code != 0 || !strings.Contains(out, " 0 corrupt") {
		t.Fatalf("verify --all (exit %d):\n%s", code, out)
	}
}

// checkConsistent asserts that every output recorded in the database has
// its blob, that every blob hashes to its name, and that no run is left
// claiming to be running.
func checkConsistent(t *testing.T, s state) {
	t.Helper()
	c, err := cache.Open(filepath.Join(s.dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "provenance.db")); err != nil {
		return // killed before the database existed
	}
	rows, err := s.db(t).Query(`SELECT e.stage, e.cell, g.digest FROM edges g JOIN executions e ON e.io_id = g.execution_id WHERE g.direction = 'out'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var stage, cell, hex string
		if err := rows.Scan(&stage, &cell, &hex); err != nil {
			t.Fatal(err)
		}
		d, err := ndarray.ParseDigest(hex)
		if err != nil {
			t.Fatal(err)
		}
		if !c.HasBlob(d) {
			t.Errorf("%s@%s: output %s recorded but its blob is missing", stage, cell, d.Short())
		}
	}
	err = c.Blobs(func(d ndarray.Digest, _ int64) error {
		if err := c.Verify(d, runner.Rehash); err != nil {
			t.Errorf("blob %s: %v", d.Short(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two runs sharing one cache compute each action once: the other waits
// for it and serves it from the cache.
func TestConcurrentRunsComputeEachKeyOnce(t *testing.T) {
	s := newState(t)
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], codes[i] = s.run(t, "run", "testdata/sweep.yaml", "-j", "2")
		}()
	}
	wg.Wait()
	for i := range outs {
		if codes[i] != 0 {
			t.Fatalf("run %d exit %d:\n%s", i, codes[i], outs[i])
		}
	}
	var dup int
	err := s.db(t).QueryRow(`SELECT COUNT(*) FROM (SELECT action_key FROM executions WHERE status = 'ok' GROUP BY action_key HAVING COUNT(*) > 1)`).Scan(&dup)
	if err != nil {
		t.Fatal(err)
	}
	var total int
	s.db(t).QueryRow(`SELECT COUNT(DISTINCT action_key) FROM executions WHERE status = 'ok'`).Scan(&total)
	if dup != 0 || total != 24 {
		t.Errorf("%d keys computed more than once, %d computed in all (want 0 and 24)", dup, total)
	}
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}
