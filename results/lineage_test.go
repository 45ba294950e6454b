package results

import (
	"context"
	"strings"
	"testing"
)

func TestLineageThreeStages(t *testing.T) {
	f := twoRuns(t)
	ctx := context.Background()
	// Run 2 served (alpha=1, seed=0) from the cache: its lineage is the
	// computation of run 1, and says which run reused it.
	l, err := f.db.LineageOf(ctx, "exp:fit.alpha@alpha=1,seed=0")
	if err != nil {
		t.Fatal(err)
	}
	if l.Cached == nil || l.Cached.RunID != 2 || l.Exec.RunID != 1 || l.Exec.Status != "ok" {
		t.Errorf("cached fit: exec %+v cached %+v, want run 1 computed and run 2 reused", l.Exec, l.Cached)
	}
	byDigest, err := f.db.Lineage(ctx, dg("alpha", "1", "0", "1", "1"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []*Lineage{l, byDigest} {
		var got []string
		for n := l; n != nil; {
			got = append(got, n.Exec.Label()+" "+n.Exec.Version)
			var next *Lineage
			for _, in := range n.Inputs {
				next = in
			}
			if len(n.Inputs) > 1 {
				t.Fatalf("%s has %d inputs", n.Exec.Label(), len(n.Inputs))
			}
			if n.Run.Code.Revision != "rev1" || n.Run.Env["blas"] != "openblas" {
				t.Errorf("%s: run %+v", n.Exec.Label(), n.Run)
			}
			n = next
		}
		want := "exp:fit@alpha=1,seed=0 1 | exp:spec@alpha=1,seed=0 1 | exp:data@alpha=1 1"
		if strings.Join(got, " | ") != want {
			t.Errorf("lineage %s, want %s", strings.Join(got, " | "), want)
		}
	}
	spec := l.Inputs["lambda"].Exec
	if spec.Params["view"] != `"full"` || spec.Seed == nil || *spec.Seed != 0 || spec.Inputs[0].Digest != dg("x", "1") {
		t.Errorf("spec execution %+v", spec)
	}
	if _, err := f.db.Lineage(ctx, dg("nothing")); err == nil || !strings.Contains(err.Error(), "has no recorded ok or cached producer") {
		t.Errorf("lineage of an unknown digest: %v", err)
	}
}

func TestLineageSharesNodes(t *testing.T) {
	f := newFixture(t)
	run := f.run("rev1", "openblas", cell{alpha: "1", seed: "0"})
	x := dg("x", "1")
	f.exec(run, "both", "", "concat", "1", nil, []Edge{{Name: "a", Digest: x}, {Name: "b", Digest: x}}, Edge{Name: "y", Digest: dg("y")}, nil)
	l, err := f.db.Lineage(context.Background(), dg("y"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Inputs["a"] == nil || l.Inputs["a"] != l.Inputs["b"] {
		t.Errorf("inputs a and b read one artifact but have lineages %p and %p", l.Inputs["a"], l.Inputs["b"])
	}
	var out strings.Builder
	if err := f.db.WriteWhy(&out, l); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "param  alpha = 1") != 1 || !strings.Contains(out.String(), "(shown above)") {
		t.Errorf("shared data stage should be expanded once:\n%s", out.String())
	}
}

func TestDiff(t *testing.T) {
	base := cell{alpha: "1", seed: "0"}
	short := func(parts ...string) string { return dg(parts...).Short() }
	tests := []struct {
		name   string
		code   string
		blas   string
		cell   cell
		recomp bool // forget the cache, so every stage runs again
		want   []Difference
	}{
		{"same", "rev1", "openblas", base, false, nil},
		{"param", "rev1", "openblas", cell{alpha: "1", seed: "0", kmin: "2"}, false, []Difference{
			{"fit", "param kmin", "1", "2"}}},
		{"version", "rev1", "openblas", cell{alpha: "1", seed: "0", specVersion: "2"}, false, []Difference{
			{"fit", "input lambda", short("lambda", "1", "0", "1"), short("lambda", "1", "0", "2")},
			{"spec", "version", "1", "2"}}},
		{"input", "rev1", "openblas", cell{alpha: "2", seed: "0"}, false, []Difference{
			{"fit", "input lambda", short("lambda", "1", "0", "1"), short("lambda", "2", "0", "1")},
			{"spec", "input x", short("x", "1"), short("x", "2")},
			{"data", "param alpha", "1", "2"}}},
		{"code served from cache", "rev2", "openblas", base, false, nil},
		{"code recomputed", "rev2", "openblas", base, true, []Difference{
			{"fit", "code revision", "rev1", "rev2"}, {"spec", "code revision", "rev1", "rev2"}, {"data", "code revision", "rev1", "rev2"}}},
		{"environment", "rev1", "purego", base, true, []Difference{
			{"fit", "env blas", "openblas", "purego"}, {"spec", "env blas", "openblas", "purego"}, {"data", "env blas", "openblas", "purego"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.run("rev1", "openblas", base)
			if tc.recomp {
				f.keys = map[string]bool{}
			}
			f.run(tc.code, tc.blas, tc.cell)
			a, b := fitLineage(t, f, 1), fitLineage(t, f, 2)
			got := f.db.Diff(ctx, a, b)
			if len(got) != len(tc.want) {
				t.Fatalf("diff = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("difference %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// fitLineage is the lineage of the fit execution of a fixture run, the
// last it records.
func fitLineage(t *testing.T, f *fixture, run int64) *Lineage {
	ctx := context.Background()
	execs, err := f.db.Executions(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	l, err := f.db.lineage(ctx, execs[len(execs)-1], map[int64]*Lineage{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestWriteWhyAndDiff(t *testing.T) {
	f := twoRuns(t)
	ctx := context.Background()
	l, err := f.db.LineageOf(ctx, "exp:fit.alpha@alpha=1,seed=0")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := f.db.WriteWhy(&out, l); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"exp:fit@alpha=1,seed=0  (kind powerlaw v1, ok in run 1 on h, key ",
		"; reused from the cache in run 2)",
		"    param  kmin = 1\n",
		"    output alpha = " + dg("alpha", "1", "0", "1", "1").Short() + " float64[]\n",
		"    input  lambda = " + dg("lambda", "1", "0", "1").Short() + ", made by:\n",
		"      exp:spec@alpha=1,seed=0  (kind spectrum v1",
		"          seed   0\n",
		"            exp:data@alpha=1  (kind load v1",
		"run 1 of exp, started 2025-03-01T12:00:01Z on h (pid 7), status ok\n",
		"code: eigenlab v0.1.0 revision rev1\n",
		"env:  blas                   openblas\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("why lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	f.db.WriteDiff(&out, []Difference{{"fit", "param kmin", "1", ""}})
	if want := "STAGE  CAUSE       A  B\nfit    param kmin  1  (none)\n"; out.String() != want {
		t.Errorf("diff table:\n%s\nwant\n%s", out.String(), want)
	}
}
