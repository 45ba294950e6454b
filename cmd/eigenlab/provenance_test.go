package main

import (
	"crypto/sha256"
	"database/sql"
	"debug/buildinfo"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/results"
)

// tinyExperiment writes a one-stage experiment that runs in milliseconds.
func tinyExperiment(t *testing.T, s state) string {
	t.Helper()
	path := filepath.Join(s.dir, "tiny.yaml")
	err := os.WriteFile(path, []byte(`name: tiny
stages:
  data:
    kind: load
    params: {source: planted, n: 60, p: 80, alpha: 1.0, seed: 3}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// A run whose stage record cannot be written exits 1 and names the
// missing record and its run.
func TestRunWithLostProvenanceExits1(t *testing.T) {
	s := newState(t)
	dbPath := filepath.Join(s.dir, "provenance.db")
	db, err := results.Open(dbPath) // create the schema, then break it
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	_, err = raw.Exec(`CREATE TRIGGER lose BEFORE INSERT ON executions
		BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`)
	raw.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, code := s.run(t, "run", tinyExperiment(t, s))
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"provenance not recorded", "no record of data (status ok) in run 1", "injected write failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A binary built without VCS stamps records the SHA-256 of itself as the
// code revision of its runs.
func TestRunNamesAnUnstampedBinaryByItsDigest(t *testing.T) {
	info, err := buildinfo.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(info.Settings, func(s debug.BuildSetting) bool { return s.Key == "vcs.revision" }) {
		t.Skip("the test binary is stamped with a VCS revision (GOFLAGS lacks -buildvcs=false)")
	}
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	s := newState(t)
	if out, code := s.run(t, "run", tinyExperiment(t, s)); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var rev string
	if err := s.db(t).QueryRow(`SELECT code_revision FROM runs`).Scan(&rev); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("sha256:%x", sha256.Sum256(b)); rev != want {
		t.Errorf("code_revision = %q, want %q (the binary's digest)", rev, want)
	}
}
