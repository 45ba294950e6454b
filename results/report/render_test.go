package report

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
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
	wide := wideFigure(8)
	wide.File = "fig-4.svg"
	return &Page{
		Name: "demo", Description: "A page <built> by hand.", File: "demo.yaml", YAML: "name: demo\n", Cells: 4,
		Run: &results.Run{ID: 3, Status: "ok", Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Host: "h",
			Args: []string{"eigenlab", "run", "demo.yaml"}, Code: results.Code{Version: "v0.1.0", Revision: "abc123"},
			Env: map[string]string{"go": "go1.26", "blas": "openblas"}},
		Missing: []string{"alpha=1.5,seed=1"}, Stale: []Stale{{"demo:spec@alpha=2,seed=0", []string{"version changed: 1 -> 2", "param n changed: 80 -> 90"}}},
		Blocks: []Block{
			{Text: "Plain & simple."},
			{Figure: &Figure{Spec: line, File: "fig-2.svg", Title: "Fitted exponent", XLabel: "alpha", YLabel: "spec.alpha",
				Series:  []Series{{Label: "spec.alpha", Points: []Point{{X: 1, Y: 1.1, Lo: 0.9, Hi: 1.3, N: 2}, {X: 1.5, Y: 1.4, Lo: 1.4, Hi: 1.4, N: 1}}}},
				Missing: 1, IDs: []string{id("1", "0"), id("1", "1"), id("1.5", "0")},
				Notes: []string{"Each point is the mean over n=1–2 values of seed, its band the mean ± its 95% Student t interval (± t standard errors, t=12.7 for n=2); a point of n=1 has no band."}}},
			{Figure: &Figure{Spec: heat, File: "fig-3.svg", Title: "heat", XLabel: "seed", YLabel: "alpha",
				Heat: &Heat{Rows: []string{"1", "1.5"}, Cols: []string{"0", "1"},
					Values: [][]Value{{{V: 1, ID: id("1", "0")}, {V: 1.2, ID: id("1", "1")}}, {{V: 1.4, ID: id("1.5", "0")}, {V: math.NaN()}}}}}},
			{Figure: wide},
			{Table: &Table{Title: "Exponents", Corner: "alpha", Head: []string{"seed=0", "seed=1"}, Rows: []TableRow{
				{Label: "alpha=1", Values: []Value{{V: 1, ID: id("1", "0")}, {V: 1.2, ID: id("1", "1"), CI: []float64{1.1, 1.35}}}},
				{Label: "alpha=1.5", Values: []Value{{V: 1.4, ID: id("1.5", "0")}, {V: math.NaN()}}}}}},
			{Finding: &Finding{Sentence: "In this run, spec.alpha exceeded 1 by 0.2 (95% CI [0.15, 0.25], n = 1; from the stage's bootstrap CIs (spec.alpha_ci)).",
				LeftLabel: "spec.alpha", RightLabel: "1", Rows: []FindingRow{
					{Cell: "alpha=1, seed=1", Left: Value{V: 1.2, ID: id("1", "1"), CI: []float64{1.15, 1.25}}, Right: Value{V: 1}},
					{Cell: "alpha=2, seed=0", Left: Value{V: math.NaN(), ID: id("2", "0"), NoFit: "fewer than 10 points <in range>"}, Right: Value{V: 1}}}}},
		},
		Cited: []Cited{
			{ID: id("1", "0"), Value: 1, Stage: "spec", Output: "alpha", Cell: "alpha=1,seed=0", Digest: ndarray.Digest{1}, Execution: 7, Run: 3, Status: "ok", Params: []string{"view=\"full\""}},
			{ID: id("1", "1"), Value: 1.2, Stage: "spec", Output: "alpha", Cell: "alpha=1,seed=1", Digest: ndarray.Digest{2}, Execution: 8, Run: 3, Status: "cached"},
			{ID: id("1.5", "0"), Value: 1.4, Stage: "spec", Output: "alpha", Cell: "alpha=1.5,seed=0", Digest: ndarray.Digest{3}, Execution: 9, Run: 3, Status: "ok"},
			{ID: id("2", "0"), Value: math.NaN(), Stage: "spec", Output: "alpha", Cell: "alpha=2,seed=0", Digest: ndarray.Digest{4}, Execution: 10, Run: 3, Status: "ok"},
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
	for _, name := range []string{"index.html", "fig-2.svg", "fig-3.svg", "fig-4.svg", "cited.csv", "cited.tex"} {
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

// wideFigure is a line figure over a categorical axis of long names with
// a long title and n series of long labels, each with a dashed null.
func wideFigure(n int) *Figure {
	layers := []string{"Conv1_relu", "block_3_expand_relu", "block_6_expand_relu", "block_10_project_BN", "block_13_expand_relu", "block_16_project_BN", "out_relu"}
	spec := &experiments.Figure{Kind: experiments.FigureLine, X: "layer", Y: experiments.OutputRef{Stage: "cd", Output: "total"},
		Series: []string{"target"}, Null: &experiments.OutputRef{Stage: "cd", Output: "null"}}
	f := &Figure{Spec: spec, File: "fig.svg", Title: "Cross-decomposition totals per layer against every target layer of the InceptionV3 backbone of nsfwjs, fine-tuned on a five-class task, on patches of the Debian wallpapers",
		XLabel: "layer", YLabel: "cd.total", XTicks: layers}
	for i := range n {
		s := Series{Label: "target=inception_target_layer_mixed_" + strconv.Itoa(i)}
		for x := range layers {
			y := float64(i) + math.Sin(float64(x+i))
			s.Points = append(s.Points, Point{X: float64(x), Y: y, Lo: y, Hi: y, N: 1})
		}
		f.Series = append(f.Series, s)
		null := Series{Label: s.Label}
		for _, p := range s.Points {
			null.Points = append(null.Points, Point{X: p.X, Y: p.Y - 0.5, Lo: p.Y - 0.5, Hi: p.Y - 0.5, N: 1})
		}
		f.Null = append(f.Null, null)
	}
	return f
}

// TestFigureLayout: nothing is clipped and the axes keep their room. A
// long title wraps within the canvas; a legend of long labels goes to the
// right of the axes, widening the canvas, or below them when it has more
// entries than fit beside the axes; the null curves share one legend
// entry; long categorical tick labels are turned; Size gives the SVG's size.
func TestFigureLayout(t *testing.T) {
	for _, tc := range []struct {
		n     int
		right bool
	}{{3, true}, {8, true}, {30, false}} {
		f := wideFigure(tc.n)
		d, err := f.layout()
		if err != nil {
			t.Fatal(err)
		}
		if d.right != tc.right || d.w < plotWidth || d.h < plotHeight {
			t.Errorf("%d series: legend right %v (want %v), canvas %v × %v", tc.n, d.right, tc.right, d.w, d.h)
		}
		if len(d.legend) != tc.n+2 || d.legend[0].label != "target" || d.legend[1].label != "inception_target_layer_mixed_0" || d.legend[tc.n+1].label != "dashed: null" {
			t.Errorf("%d series: legend %v, want a heading, the series without \"target=\" and one null entry", tc.n, d.legend)
		}
		var widest vg.Length
		for _, it := range d.legend {
			widest = max(widest, slack(d.leg.TextStyle.Width(it.label))+d.leg.ThumbnailWidth)
		}
		if d.colW < widest || d.right && d.w-d.colW < plotWidth || !d.right && vg.Length(d.cols)*d.colW > d.w {
			t.Errorf("%d series: legend columns of %v (widest entry %v), %d of them, canvas width %v", tc.n, d.colW, widest, d.cols, d.w)
		}
		lines := strings.Split(d.title, "\n")
		for _, l := range lines {
			if slack(d.tsty.Width(l)) > d.w-2*gap {
				t.Errorf("title line %q is wider than the canvas", l)
			}
		}
		if len(lines) < 2 || strings.Join(lines, " ") != f.Title {
			t.Errorf("title %q: want it wrapped, words intact", d.title)
		}
		if d.p.X.Tick.Label.Rotation == 0 {
			t.Error("long categorical tick labels are not turned")
		}
		svg, err := f.SVG()
		if err != nil {
			t.Fatal(err)
		}
		w, h := f.Size()
		head := fmt.Sprintf(`<svg width="%.5gpt" height="%.5gpt"`, d.w.Points(), d.h.Points())
		if !bytes.Contains(svg, []byte(head)) || w != px(d.w) || h != px(d.h) {
			t.Errorf("SVG %q..., Size %d × %d px, want %s", svg[:120], w, h, head)
		}
		if n := bytes.Count(svg, []byte("<text ")); n != bytes.Count(svg, []byte(`lengthAdjust="spacingAndGlyphs"`)) {
			t.Errorf("%d texts, not all with a textLength", n)
		}
	}
	// Short numeric ticks stay flat and a single series has no legend.
	f := handPage().Blocks[1].Figure
	d, err := f.layout()
	if err != nil {
		t.Fatal(err)
	}
	if d.p.X.Tick.Label.Rotation != 0 || len(d.legend) != 0 || d.w != plotWidth || strings.Contains(d.title, "\n") {
		t.Errorf("simple figure: rotation %v, legend %v, width %v, title %q", d.p.X.Tick.Label.Rotation, d.legend, d.w, d.title)
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
