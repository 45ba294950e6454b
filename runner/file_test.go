package runner

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/eigenlab/eigenlab/ndarray"
)

const fromFile = `
name: from-file
params: {path: x.npy}
stages:
  data:
    kind: load
    params: {source: npy, path: ${path}}
  use:
    kind: test_counter
    inputs: {a: data}
    params: {label: use}
`

// An .npy re-saved with the same values (other header padding, other
// writer) reruns the load but nothing downstream; new values rerun both.
func TestInputFileContentDrivesKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	write := func(vals []float64, ours bool) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if ours {
			err = ndarray.WriteNPY(f, &ndarray.Array{Shape: []int{len(vals)}, F64: vals})
		} else {
			err = npyio.Write(f, vals)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	r := newRunner(t)
	write([]float64{1, 2, 3}, true)
	p := plan(t, fromFile, "path="+path)
	run(t, r, p, 1)

	write([]float64{1, 2, 3}, false)
	resetCounts()
	s := run(t, r, p, 1)
	if s.Executed != 1 || executions("use") != 0 {
		t.Errorf("re-saved file: executed %d, use ran %d; want 1 (the load) and 0", s.Executed, executions("use"))
	}

	write([]float64{1, 2, 4}, false)
	resetCounts()
	s = run(t, r, p, 1)
	if s.Executed != 2 || executions("use") != 1 {
		t.Errorf("changed values: executed %d, use ran %d; want 2 and 1", s.Executed, executions("use"))
	}
}

// `eigenlab verify` asks the action key whether this build can reproduce
// a result: it recomputes an unchanged one, and refuses, naming the
// changed key line, one whose input file was rewritten or whose stage
// version moved (a recomputation would only report a digest mismatch).
func TestRecomputeRefusesAChangedAction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	write := func(vals ...float64) {
		t.Helper()
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := ndarray.WriteNPY(f, &ndarray.Array{Shape: []int{len(vals)}, F64: vals}); err != nil {
			t.Fatal(err)
		}
	}
	r := newRunner(t)
	write(1, 2, 3)
	s := run(t, r, plan(t, fromFile, "path="+path), 1)
	execs, err := r.DB.Executions(context.Background(), s.RunID)
	if err != nil || len(execs) != 2 || execs[0].Stage != "data" {
		t.Fatalf("executions %v, %v; want data and use", execs, err)
	}
	data, use := execs[0], execs[1]
	if _, err := r.Recompute(context.Background(), data); err != nil {
		t.Fatalf("unchanged: %v", err)
	}
	write(1, 2, 4)
	_, err = r.Recompute(context.Background(), data)
	if err == nil || !regexp.MustCompile(`another action key \(file path changed: [0-9a-f]{12} -> [0-9a-f]{12}\)$`).MatchString(err.Error()) {
		t.Errorf("rewritten file: err = %v; want the file path line named", err)
	}
	counterVer.Store("2")
	defer counterVer.Store("1")
	_, err = r.Recompute(context.Background(), use)
	if err == nil || !strings.HasSuffix(err.Error(), "another action key (version changed: 1 -> 2)") {
		t.Errorf("version bump: err = %v; want the version line named", err)
	}
}
