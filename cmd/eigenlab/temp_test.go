package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A temp stage's outputs leave the cache once read, the run says so, and
// exporting or re-checking one then says how to bring it back; with
// --keep-temp they stay and export.
func TestTempOutputsThroughTheCLI(t *testing.T) {
	s := newState(t)
	out, code := s.run(t, "run", "testdata/temp.yaml")
	if code != 0 || !strings.Contains(out, "temp stages' outputs removed once consumed: 2") {
		t.Fatalf("run (exit %d):\n%s", code, out)
	}
	npy := filepath.Join(s.dir, "x.npy")
	for _, args := range [][]string{
		{"export", "temp:data.x@seed=0", "-o", npy},
		{"verify", "temp:spectrum@seed=0"},
	} {
		if out, code := s.run(t, args...); code == 0 || !strings.Contains(out, "--keep-temp") {
			t.Errorf("%s of a removed output: exit %d, want a failure naming --keep-temp:\n%s", args[0], code, out)
		}
	}
	if out, code := s.run(t, "run", "testdata/temp.yaml", "--force", "spectrum", "--keep-temp"); code != 0 || strings.Contains(out, "removed") {
		t.Fatalf("run --keep-temp (exit %d):\n%s", code, out)
	}
	if out, code := s.run(t, "export", "temp:data.x@seed=0", "-o", npy); code != 0 {
		t.Errorf("export after --keep-temp: exit %d\n%s", code, out)
	}
}
