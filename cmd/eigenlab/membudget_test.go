package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fault campaign's oversized params: the run is refused with exit 2
// before anything runs, naming each stage@cell, its estimate, the budget
// and the params to lower; no blob is written and no run row is left.
func TestOversizedParamsAreRefusedBeforeAnythingRuns(t *testing.T) {
	s := newState(t)
	exp := filepath.Join(s.dir, "huge.yaml")
	err := os.WriteFile(exp, []byte(`
name: huge
matrix:
  size: [8, 100000, 2000000000]
stages:
  small: {kind: load, params: {source: planted, n: 20, p: 10, alpha: 1.0}}
  planted: {kind: load, params: {source: planted, n: 100000, p: 100000, alpha: 1.0}}
  leaves: {kind: load, params: {source: deadleaves, n: 4, size: ${size}}}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--mem", "1G"}, nil} { // nil: the machine's available memory
		out, code := s.run(t, append([]string{"run", exp}, args...)...)
		if code != 2 {
			t.Fatalf("run %v: exit %d, want 2:\n%s", args, code, out)
		}
		for _, want := range []string{
			"stage planted needs an estimated ", "lower param n or p,",
			"stage leaves@size=100000 needs an estimated 465.7 GiB", "stage leaves@size=2000000000 needs an estimated 8.0 EiB",
			"lower param size or n or channels,",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("run %v: output lacks %q:\n%s", args, want, out)
			}
		}
		if strings.Contains(out, "size=8 ") || strings.Contains(out, "panic") {
			t.Errorf("run %v: output names a stage that fits or panics:\n%s", args, out)
		}
		budget := "(the machine's available memory)"
		if args != nil {
			budget = "budget of 1.0 GiB (--mem)"
		}
		if !strings.Contains(out, budget) {
			t.Errorf("run %v: output lacks %q:\n%s", args, budget, out)
		}
	}
	if n := countFiles(t, filepath.Join(s.dir, "cache")); n != 0 {
		t.Errorf("%d files in the cache after refused runs", n)
	}
	var runs int
	if err := s.db(t).QueryRow(`SELECT count(*) FROM runs`).Scan(&runs); err != nil || runs != 0 {
		t.Errorf("%d runs recorded (%v), want none", runs, err)
	}
}

func TestRunRejectsABadMemFlag(t *testing.T) {
	s := newState(t)
	for _, mem := range []string{"lots", "0", "-1G"} {
		if out, code := s.run(t, "run", "testdata/sweep.yaml", "--mem", mem); code != 2 || !strings.Contains(out, "--mem") {
			t.Errorf("--mem %s: exit %d, want 2 naming --mem:\n%s", mem, code, out)
		}
	}
}
