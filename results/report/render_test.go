package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/results"
)

var update = flag.Bool("update", false, "rewrite the testdata goldens")

// handPage is a page built by hand, without a database: rendering is
// tested apart from assembly.
func handPage() *Page {
	line := &experiments.Figure{Kind: experiments.FigureLine, X: "alpha", Y: experiments.OutputRef{Stage: "spec", Output: "alpha"},
		Band: []string{"seed"}, Caption: "Mean over seeds."}
	heat := &experiments.Figure{Kind: experiments.FigureHeatmap, Rows: "alpha", Cols: "seed"}
	id := func(a, s string) string { return "demo:spec.alpha@alpha=" + a + ",seed=" + s }
	return &Page{
		Name: "demo", Description: "A page <built> by hand.", File: "demo.yaml", YAML: "name: demo\n", Cells: 4,
		Run: &results.Run{ID: 3, Status: "ok", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Host: "h",
			Args: []string{"eigenlab", "run", "demo.yaml"}, Code: results.Code{Version: "v0.1.0", Revision: "abc123"},
			Env: map[string]string{"go": "go1.26", "blas": "openblas"}},
		Missing: []string{"alpha=1.5,seed=1"}, Stale: []string{"demo:spec@alpha=2,seed=0"},
		Blocks: []Block{
			{Text: "Plain & simple."},
			{Figure: &Figure{Spec: line, File: "fig-2.svg", Title: "Fitted exponent", XLabel: "alpha", YLabel: "spec.alpha",
				Series:  []Series{{Label: "spec.alpha", Points: []Point{{X: 1, Y: 1.1, Lo: 0.9, Hi: 1.3, N: 2}, {X: 1.5, Y: 1.4, Lo: 1.4, Hi: 1.4, N: 1}}}},
				Missing: 1, IDs: []string{id("1", "0"), id("1", "1"), id("1.5", "0")}}},
			{Figure: &Figure{Spec: heat, File: "fig-3.svg", Title: "heat", XLabel: "seed", YLabel: "alpha",
				Heat: &Heat{Rows: []string{"1", "1.5"}, Cols: []string{"0", "1"},
					Values: [][]Value{{{1, id("1", "0")}, {1.2, id("1", "1")}}, {{1.4, id("1.5", "0")}, {math.NaN(), ""}}}}}},
			{Table: &Table{Title: "Exponents", Corner: "alpha", Head: []string{"seed=0", "seed=1"}, Rows: []TableRow{
				{Label: "alpha=1", Values: []Value{{1, id("1", "0")}, {1.2, id("1", "1")}}},
				{Label: "alpha=1.5", Values: []Value{{1.4, id("1.5", "0")}, {math.NaN(), ""}}}}}},
			{Finding: &Finding{Sentence: "In this run, spec.alpha was above 1 in 2 of 3 compared cells (mean 1.2 vs 1).",
				LeftLabel: "spec.alpha", RightLabel: "1", Rows: []FindingRow{{Cell: "alpha=1, seed=0", Left: Value{1, id("1", "0")}, Right: Value{V: 1}}}}},
		},
		Cited: []Cited{
			{ID: id("1", "0"), Value: 1, Stage: "spec", Output: "alpha", Cell: "alpha=1,seed=0", Digest: cache.Digest{1}, Execution: 7, Run: 3, Status: "ok", Params: []string{"view=\"full\""}},
			{ID: id("1", "1"), Value: 1.2, Stage: "spec", Output: "alpha", Cell: "alpha=1,seed=1", Digest: cache.Digest{2}, Execution: 8, Run: 3, Status: "cached"},
			{ID: id("1.5", "0"), Value: 1.4, Stage: "spec", Output: "alpha", Cell: "alpha=1.5,seed=0", Digest: cache.Digest{3}, Execution: 9, Run: 3, Status: "ok"},
		},
	}
}

// TestRenderGoldens compares the HTML and SVGs of a hand-built page with
// testdata/golden/ (go test -update rewrites them). Rendering twice gives
// the same bytes.
func TestRenderGoldens(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, handPage()); err != nil {
		t.Fatal(err)
	}
	again := t.TempDir()
	if err := Write(again, handPage()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.html", "fig-2.svg", "fig-3.svg", "cited.csv", "cited.tex"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if second, _ := os.ReadFile(filepath.Join(again, name)); !bytes.Equal(got, second) {
			t.Errorf("%s: two renderings differ", name)
		}
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test -update writes the goldens)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (go test -update rewrites it after a deliberate change)", name, golden)
		}
	}
}

func TestFragment(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"e:s.alpha@alpha=1,seed=0", "#e:s.alpha@alpha=1,seed=0"},
		{`e:s.o@name=a b"%é`, "#e:s.o@name=a%20b%22%25%C3%A9"},
	} {
		if got := string(fragment(tc.id)); got != tc.want {
			t.Errorf("fragment(%q) = %s, want %s", tc.id, got, tc.want)
		}
	}
}
