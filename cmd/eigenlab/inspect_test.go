package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npz"

	"github.com/eigenlab/eigenlab/ndarray"
)

// After a run, a user can list it, trace a number, export it, recompute
// it and ask why a changed sweep is stale — all from the command line.
func TestInspectCommands(t *testing.T) {
	s := newState(t)
	if out, code := s.run(t, "run", "testdata/sweep.yaml", "--set", "alpha=[1.0,1.2]", "--set", "seed=0"); code != 0 {
		t.Fatalf("run: %s", out)
	}
	ref := "cli-sweep:spec.alpha@alpha=1.2,seed=0"
	checks := []struct {
		args []string
		want []string
	}{
		{[]string{"ls"}, []string{"cli-sweep", "ok", "4/0/0/0"}},
		{[]string{"why", ref}, []string{"cli-sweep:spec@alpha=1.2,seed=0", "param  estimator = \"stringer\"", "input  x = ", "cli-sweep:data@alpha=1.2,seed=0", "param  alpha = 1.2", "env:  blas"}},
		{[]string{"verify", ref}, []string{"ok   cli-sweep:spec.alpha@alpha=1.2,seed=0: bit for bit; value ", "ok   cli-sweep:spec.eigenvalues@alpha=1.2,seed=0: bit for bit\n"}},
		{[]string{"plan", "testdata/sweep.yaml", "--set", "alpha=[1.0,1.2]", "--set", "seed=0", "--set", "p=1600"}, []string{
			"stale   data@alpha=1,seed=0: param p changed: 1500 -> 1600", "stale   spec@alpha=1,seed=0: upstream will run first: data@alpha=1,seed=0"}},
		{[]string{"diff", "cli-sweep:spec.alpha@alpha=1.0,seed=0", ref}, []string{"data   param alpha", "spec   input x"}},
		{[]string{"gc", "--max-size", "1G"}, []string{"gc: 0 of"}},
		{[]string{"stages", "spectrum"}, []string{"spectrum (version", "param  estimator"}},
	}
	for _, c := range checks {
		out, code := s.run(t, c.args...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s", c.args, code, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, out)
			}
		}
	}
	path := filepath.Join(t.TempDir(), "alpha.npy")
	if out, code := s.run(t, "export", ref, "-o", path); code != 0 {
		t.Fatalf("export: %s", out)
	}
	a, err := ndarray.ReadNPYFile(path)
	if err != nil || len(a.Shape) != 0 || a.F64[0] < 1.19 || a.F64[0] > 1.21 {
		t.Errorf("exported alpha = %v (%v), want a scalar near 1.2", a, err)
	}
	if out, code := s.run(t, "export", "cli-sweep:spec", "-o", path+".npz"); code != 2 && code != 1 || !strings.Contains(out, "matches 2 cells") {
		t.Errorf("ambiguous export: exit %d\n%s", code, out)
	}
	checkStageExport(t, s, "cli-sweep:spec@alpha=1.2,seed=0")
}

// checkStageExport exports every output of one stage instance to an .npz,
// as numpy.load reads it (arrays as NAME.npy, the info record as
// info.json), and checks that a second export to the same file is refused
// without --force, leaving the file as it was, and replaces it with it.
func checkStageExport(t *testing.T, s state, ref string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.npz")
	if out, code := s.run(t, "export", ref, "-o", path); code != 0 {
		t.Fatalf("export %s: exit %d\n%s", ref, code, out)
	}
	z, err := npz.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	want := []string{"alpha.npy", "alpha_ci.npy", "alpha_ranges.npy", "ed.npy", "eigenvalues.npy", "fit_range.npy", "info.json", "n_points.npy", "r2.npy"}
	if !slices.Equal(z.Keys(), want) {
		t.Errorf(".npz members %v, want %v", z.Keys(), want)
	}
	var alpha []float64
	if err := z.Read("alpha.npy", &alpha); err != nil || len(alpha) != 1 || alpha[0] < 1.19 || alpha[0] > 1.21 {
		t.Errorf("alpha.npy = %v (%v), want a scalar near 1.2", alpha, err)
	}
	r, err := z.Open("info.json")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var info map[string]any
	if err := json.NewDecoder(r).Decode(&info); err != nil || info["view"] != "full" {
		t.Errorf("info.json = %v (%v), want the spectrum's info record", info, err)
	}
	before, _ := os.ReadFile(path)
	out, code := s.run(t, "export", ref, "-o", path)
	if code != 2 || !strings.Contains(out, "--force") {
		t.Errorf("export over an existing file: exit %d, want 2 and a hint to use --force\n%s", code, out)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Errorf("a refused export changed the file")
	}
	if out, code := s.run(t, "export", ref, "-o", path, "--force"); code != 0 {
		t.Errorf("export --force: exit %d\n%s", code, out)
	}
}
