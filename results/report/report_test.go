package report

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/cache"
	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
	"github.com/eigenlab/eigenlab/results"
	"github.com/eigenlab/eigenlab/runner"
	"github.com/eigenlab/eigenlab/stages"
)

// state is a cache and a database in a temp dir with a runner over them.
type state struct {
	r   *runner.Runner
	src Source
}

func newState(t *testing.T) state {
	t.Helper()
	dir := t.TempDir()
	c, err := cache.Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := results.Open(filepath.Join(dir, "provenance.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	load := func(d ndarray.Digest) (stages.Artifact, error) { return runner.LoadArtifact(c, d) }
	return state{&runner.Runner{Cache: c, DB: db, Backend: "test"}, Source{DB: db, Load: load}}
}

func loadPlan(t *testing.T, sets ...string) *experiments.Plan {
	t.Helper()
	p, err := experiments.Load("testdata/sweep.yaml", sets)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (s state) run(t *testing.T, p *experiments.Plan) *runner.Summary {
	t.Helper()
	sum, err := s.r.Run(context.Background(), p, runner.Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func (s state) build(t *testing.T, p *experiments.Plan) *Page {
	t.Helper()
	page, err := Build(context.Background(), s.src, p)
	if err != nil {
		t.Fatal(err)
	}
	return page
}

// TestReportOfARealRun builds the report of a real run and checks that
// every number on it is the cited number of its cell, that the cell labels
// agree with the runner's (no cell is missing), and that the finding
// counts what the run found.
func TestReportOfARealRun(t *testing.T) {
	s := newState(t)
	p := loadPlan(t)
	s.run(t, p)
	page := s.build(t, p)
	if len(page.Missing) != 0 || page.Cells != 4 || page.Run == nil || page.YAMLDiffers {
		t.Fatalf("missing %v of %d cells, run %v, YAML differs %v", page.Missing, page.Cells, page.Run, page.YAMLDiffers)
	}
	cited := map[string]float64{}
	for _, c := range page.Cited {
		cited[c.ID] = c.Value
	}
	// 4 cells x (full, ols) x (alpha, r2, ed) and 2 cells x cd's 0-d outputs.
	if n := len(cited); n < 24 {
		t.Errorf("%d cited numbers, want at least 24: %v", n, cited)
	}
	if len(page.Blocks) != 8 {
		t.Fatalf("%d blocks, want 8", len(page.Blocks))
	}
	tab := page.Blocks[6].Table
	wantHead := []string{"seed=0 · full.alpha", "seed=0 · ols.alpha", "seed=1 · full.alpha", "seed=1 · ols.alpha"}
	if strings.Join(tab.Head, "|") != strings.Join(wantHead, "|") || len(tab.Rows) != 2 || tab.Rows[1].Label != "alpha=1.2" {
		t.Fatalf("table head %q, rows %+v", tab.Head, tab.Rows)
	}
	above := 0
	for _, row := range tab.Rows {
		for _, v := range row.Values {
			if got, ok := cited[v.ID]; !ok || got != v.V {
				t.Errorf("table value %v cites %q (cited value %v, present %v)", v.V, v.ID, got, ok)
			}
		}
	}
	for _, c := range page.Cited {
		if strings.Contains(c.ID, ":full.alpha@") && c.Value > 1 {
			above++
		}
	}
	// The CI is the spread over the 4 cells; the planted α is exactly 1,
	// so the effect is not resolved and no fit range is claimed for it.
	want := []string{"In this run, ", "95% CI [", "n = 4; spread over the 4 cells (axes alpha, seed)).",
		"Cell by cell, stringer α exceeded 1 in " + string(rune('0'+above)) + " of 4 compared cells"}
	f := page.Blocks[7].Finding
	for _, w := range want {
		if !strings.Contains(f.Sentence, w) || len(f.Rows) != 4 || strings.Contains(f.Sentence, "fit range") {
			t.Errorf("finding %q, want it to contain %q and no fit range", f.Sentence, w)
		}
	}
	line := page.Blocks[1].Figure
	if len(line.Series) != 1 || len(line.Series[0].Points) != 2 || line.Series[0].Points[0].N != 2 || len(line.IDs) != 4 {
		t.Errorf("line figure: %+v, ids %v; want one series of 2 points, each the mean of 2 seeds", line.Series, line.IDs)
	}
	wantNote := "Each point is the mean over n=2 values of seed, its band the mean ± its 95% Student t interval (± t standard errors, t=12.7 for n=2)."
	if line.XLabel != "alpha" || line.YLabel != "full.alpha" || len(line.Notes) != 1 || line.Notes[0] != wantNote {
		t.Errorf("line figure: x %q, y %q, notes %q; want the band note %q", line.XLabel, line.YLabel, line.Notes, wantNote)
	}
	spec := page.Blocks[4].Figure
	if len(spec.Series) != 2 || len(spec.Null) != 2 || len(spec.CI) != 2 || len(spec.Series[0].Points) == 0 {
		t.Errorf("crossdecomp spectrum: %d series, %d null, %d CI", len(spec.Series), len(spec.Null), len(spec.CI))
	}
	wantNotes := "Dashed: cd.null_quantiles[2], in the colour of its series.|Shaded: from cd.bootstrap_ci[2] to cd.bootstrap_ci[3]."
	if spec.XLabel != "rank (bin centre)" || spec.YLabel != "cd.binned" || strings.Join(spec.Notes, "|") != wantNotes {
		t.Errorf("crossdecomp spectrum: x %q, y %q, notes %q", spec.XLabel, spec.YLabel, spec.Notes)
	}
	if f := page.Blocks[2].Figure; f.XLabel != "planted α" || f.YLabel != "fitted α" || f.Title != "fitted α vs planted α" {
		t.Errorf("scatter with xlabel and ylabel: x %q, y %q, title %q", f.XLabel, f.YLabel, f.Title)
	}
	if f := page.Blocks[3].Figure; f.XLabel != "rank" || f.YLabel != "full.eigenvalues" || f.Title != "full.eigenvalues vs rank" {
		t.Errorf("spectrum: x %q, y %q, title %q", f.XLabel, f.YLabel, f.Title)
	}
	heat := page.Blocks[5].Figure.Heat
	if heat == nil || heat.Values[1][0].ID != "report-test:full.ed@alpha=1.2,seed=0" {
		t.Errorf("heatmap %+v", heat)
	}
}

// The same database gives the same bytes, and every link and image of the
// page resolves inside the report directory.
func TestWriteIsDeterministicAndSelfContained(t *testing.T) {
	s := newState(t)
	p := loadPlan(t)
	s.run(t, p)
	a, b := t.TempDir(), t.TempDir()
	if err := Write(a, s.build(t, p)); err != nil {
		t.Fatal(err)
	}
	if err := Write(b, s.build(t, p)); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two reports of the same database (%v)", e.Name(), err)
		}
	}
	want := "cited.csv cited.tex fig-2.svg fig-3.svg fig-4.svg fig-5.svg fig-6.svg index.html"
	if strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}
	html, _ := os.ReadFile(filepath.Join(a, "index.html"))
	if bad, err := CheckLinks(filepath.Join(a, "index.html")); err != nil || len(bad) > 0 {
		t.Errorf("links that do not resolve: %v (%v)", bad, err)
	}
	for _, bad := range []string{"<script", "http://", "https://", "<of the planted"} {
		if strings.Contains(string(html), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, good := range []string{`id="report-test:full.alpha@alpha=0.8,seed=1"`, "&lt;of the planted spectrum&gt;", "name: report-test"} {
		if !strings.Contains(string(html), good) {
			t.Errorf("page lacks %q", good)
		}
	}
}

// Extending the sweep shows the new cells as missing; running it runs only
// them, and the report then includes them.
func TestExtendedSweep(t *testing.T) {
	s := newState(t)
	s.run(t, loadPlan(t))
	wider := loadPlan(t, "alpha=[0.8,1.2,1.5]")
	page := s.build(t, wider)
	if len(page.Missing) != 2 || page.Missing[0] != "alpha=1.5,seed=0" {
		t.Fatalf("missing %v, want the 2 cells of alpha=1.5", page.Missing)
	}
	if f := page.Blocks[1].Figure; f.Missing != 2 || len(f.Series[0].Points) != 2 {
		t.Errorf("line figure: %d missing, points %+v", f.Missing, f.Series)
	}
	if v := page.Blocks[6].Table.Rows[2].Values[0]; v.ID != "" || !math.IsNaN(v.V) {
		t.Errorf("table value of a missing cell = %+v, want NaN without an id", v)
	}
	if f := page.Blocks[7].Finding; !strings.Contains(f.Sentence, "of 4 compared cells") || !strings.Contains(f.Sentence, "2 cells without a result not compared") {
		t.Errorf("finding %q", f.Sentence)
	}
	// data, full, ols in 2 new cells; pair, cd for the new alpha.
	if sum := s.run(t, wider); sum.Executed != 8 {
		t.Errorf("extended run executed %d stage instances, want 8 (only the new cells)", sum.Executed)
	}
	page = s.build(t, wider)
	if len(page.Missing) != 0 || len(page.Blocks[1].Figure.Series[0].Points) != 3 {
		t.Errorf("after the run: missing %v, points %+v", page.Missing, page.Blocks[1].Figure.Series)
	}
}

// Without any run every cell is missing, and the page is still written.
func TestReportBeforeAnyRun(t *testing.T) {
	s := newState(t)
	page := s.build(t, loadPlan(t))
	if page.Run != nil || len(page.Missing) != 4 || len(page.Cited) != 0 || page.Blocks[3].Figure.Missing != 4 {
		t.Errorf("run %v, missing %v, cited %d", page.Run, page.Missing, len(page.Cited))
	}
	if f := page.Blocks[7].Finding; f.Sentence != "In this run, no cell has results for both stringer α and 1 yet (4 cells without a result)." {
		t.Errorf("finding %q", f.Sentence)
	}
	if err := Write(t.TempDir(), page); err != nil {
		t.Fatal(err)
	}
}

// A result computed with other params than the YAML now gives is not
// shown: its cell is missing and the result is named as stale, down to
// the stages that read it.
func TestStaleResultsAreLeftOut(t *testing.T) {
	s := newState(t)
	s.run(t, loadPlan(t))
	page := s.build(t, loadPlan(t, "n=90"))
	if len(page.Missing) != 4 || len(page.Stale) != 12 || page.Stale[0].Label != "report-test:data@alpha=0.8,seed=0" {
		t.Fatalf("missing %v, stale %v; want 4 cells missing and data, full, ols stale in each", page.Missing, page.Stale)
	}
	if why := page.Stale[0].Reasons; len(why) != 1 || why[0] != "param n changed: 80 -> 90" {
		t.Errorf("%s stale because %q; want: param n changed: 80 -> 90", page.Stale[0].Label, why)
	}
	if len(page.Cited) == 0 || !strings.HasPrefix(page.Cited[0].ID, "report-test:cd.") {
		t.Errorf("cited %v, want only cd's numbers (pair does not read n)", page.Cited)
	}
}

// An output of the wrong shape for its entry is an error at the entry's
// reference in the YAML.
func TestWrongShapeNamesTheEntry(t *testing.T) {
	s := newState(t)
	p := loadPlan(t)
	s.run(t, p)
	src := strings.Replace(string(p.Source), "y: full.alpha, band", "y: full.eigenvalues, band", 1)
	bad, err := experiments.Parse("testdata/sweep.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(context.Background(), s.src, bad)
	want := "testdata/sweep.yaml:29:51: report entry 2: full.eigenvalues has kind array and shape [79] in report-test:full@alpha=0.8,seed=0; want a 0-d output (a number per cell)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestMeanCI(t *testing.T) {
	for _, tc := range []struct {
		ys         []float64
		mean, half float64
	}{
		{[]float64{2}, 2, 0},
		{[]float64{1, 3}, 2, 12.706204736174705},                // t(0.975, 1) · sd/√2, sd = √2
		{[]float64{1, 2, 3, math.NaN()}, 2, 2.4841377118437155}, // t(0.975, 2) · 1/√3
		{[]float64{5, 5, 5}, 5, 0},
	} {
		m, h := meanCI(tc.ys)
		if math.Abs(m-tc.mean) > 1e-12 || math.Abs(h-tc.half) > 1e-9 {
			t.Errorf("meanCI(%v) = %v ± %v, want %v ± %v", tc.ys, m, h, tc.mean, tc.half)
		}
	}
}

// An entry whose selector names a value --set left out of the matrix is
// not drawn; the page says so in its place, naming the selector and the
// matrix of this run.
func TestEntryLeftOutBySet(t *testing.T) {
	src, err := os.ReadFile("testdata/sweep.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src = append(src, "  - finding: {left: full.alpha@alpha=1.2, right: full.alpha@alpha=0.8, over: [seed]}\n"...)
	p, err := experiments.Parse("testdata/sweep.yaml", src, []string{"alpha=0.8"})
	if err != nil {
		t.Fatal(err)
	}
	s := newState(t)
	s.run(t, p)
	page := s.build(t, p)
	want := "Report entry 9 (line 36) is not drawn: it reads the cells of alpha=1.2, which --set left out of this run's matrix (alpha: 0.8; seed: 0, 1)."
	if b := page.Blocks[8]; b.LeftOut != want || b.Finding != nil {
		t.Fatalf("block 9 = %+v, want only the note %q", b, want)
	}
	if page.Blocks[7].Finding == nil {
		t.Errorf("entry 8 (no selector) was not drawn")
	}
	dir := t.TempDir()
	if err := Write(dir, page); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "Report entry 9 (line 36) is not drawn") {
		t.Errorf("index.html does not say that entry 9 is left out")
	}
}
