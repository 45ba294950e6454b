package runner

import (
	"os"
	"path/filepath"
	"testing"

	"codeberg.org/sbinet/npyio"
	"github.com/eigenlab/eigenlab/stages"
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
			err = stages.WriteNPY(f, &stages.Array{Shape: []int{len(vals)}, F64: vals})
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
