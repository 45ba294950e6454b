package experiments

import (
	"fmt"
	"reflect"
	"testing"
)

// reportBase has two axes; stage a depends on both, b on none. The report
// entries of each case start on line 6.
const reportBase = `name: e
matrix: {alpha: [0.5, 1], seed: [0, 1]}
stages:
  a: {kind: fake, params: {alpha: "${alpha}", n: "${seed}"}}
  b: {kind: fake, params: {names: [lo, hi]}}
report:
`

func TestReportErrors(t *testing.T) {
	for _, tc := range []struct {
		name, report string
		want         []string
	}{
		{"not a list", "  figure: {}\n", []string{
			`t.yaml:7:3: report: want a list of entries (- figure: ..., - table: ..., - finding: ..., - text: ...)`}},
		{"two kinds in one entry", "  - {figure: {}, table: {}}\n", []string{
			`t.yaml:7:5: report entry 1: want exactly one of figure, table, finding, text as its key`}},
		{"unknown entry kind", "  - plot: {}\n", []string{
			`t.yaml:7:5: report entry 1: unknown key "plot"; want one of figure, table, finding, text`}},
		{"unknown figure kind", "  - figure: {kind: pie, y: b.lo}\n", []string{
			`t.yaml:7:20: report entry 1 (figure): kind "pie": want one of line, scatter, spectrum, heatmap, matrix`}},
		{"unknown figure key", "  - figure: {x: alpha, y: a.out, series: seed, colour: red}\n", []string{
			`t.yaml:7:48: report entry 1 (figure) (kind line): unknown key "colour"; want one of title, kind, caption, xlabel, ylabel, x, y, series, band, logx, logy`}},
		{"key of another kind", "  - figure: {kind: spectrum, x: alpha, y: b.lo}\n", []string{
			`t.yaml:7:30: report entry 1 (figure) (kind spectrum): unknown key "x"; want one of title, kind, caption, xlabel, ylabel, y, series, band, logx, logy, null, ci_lo, ci_hi`}},
		{"x not an axis", "  - figure: {x: beta, y: b.lo}\n", []string{
			`t.yaml:7:17: report entry 1 (figure) (kind line): x: "beta" is not a matrix axis; want one of alpha, seed`}},
		{"unknown stage", "  - figure: {x: alpha, y: c.lo}\n", []string{
			`t.yaml:7:27: report entry 1 (figure) (kind line): y: "c.lo" refers to unknown stage "c"; want one of a, b`}},
		{"unknown output", "  - figure: {x: alpha, y: b.mid}\n", []string{
			`t.yaml:7:27: report entry 1 (figure) (kind line): y: "b.mid": stage "b" has no output "mid"; want one of lo, hi`}},
		{"not a reference", "  - figure: {x: alpha, y: b}\n", []string{
			`t.yaml:7:27: report entry 1 (figure) (kind line): y: "b": want STAGE.OUTPUT`}},
		{"column outside a spectrum", "  - figure: {x: alpha, y: \"b.lo[1]\"}\n", []string{
			`t.yaml:7:27: report entry 1 (figure) (kind line): y: "b.lo[1]": a column index is for the 2-d outputs of a spectrum figure (column 0 holds x; want COL >= 1); want STAGE.OUTPUT`}},
		{"column 0", "  - figure: {kind: spectrum, y: \"b.lo[0]\"}\n", []string{
			`t.yaml:7:33: report entry 1 (figure) (kind spectrum): y: "b.lo[0]": a column index is for the 2-d outputs of a spectrum figure (column 0 holds x; want COL >= 1); want STAGE.OUTPUT or STAGE.OUTPUT[COL]`}},
		{"missing y", "  - figure: {x: alpha}\n", []string{
			`t.yaml:7:13: report entry 1 (figure) (kind line): missing required key "y"`}},
		{"axis left out", "  - figure: {x: alpha, y: a.out}\n", []string{
			`t.yaml:7:27: report entry 1 (figure) (kind line): a.out depends on matrix axis "seed", which the entry does not place; want it in x, series or band`}},
		{"axis placed twice", "  - figure: {x: alpha, y: a.out, series: [seed], band: [alpha]}\n", []string{
			`t.yaml:7:13: report entry 1 (figure) (kind line): axis "alpha" is placed twice; want each axis in one role`}},
		{"bad flag", "  - figure: {kind: spectrum, y: b.lo, logx: maybe}\n", []string{
			`t.yaml:7:45: report entry 1 (figure) (kind spectrum): logx: "maybe": want true or false`}},
		{"half an interval", "  - figure: {kind: spectrum, y: b.lo, ci_lo: b.hi}\n", []string{
			`t.yaml:7:13: report entry 1 (figure) (kind spectrum): ci_lo and ci_hi come together; want both or neither`}},
		{"heatmap axes", "  - figure: {kind: heatmap, rows: alpha, cols: alpha, value: a.out}\n", []string{
			`t.yaml:7:13: report entry 1 (figure) (kind heatmap): axis "alpha" is placed twice; want each axis in one role`,
			`t.yaml:7:62: report entry 1 (figure) (kind heatmap): a.out depends on matrix axis "seed", which the entry does not place; want it in rows or cols`}},
		{"table without value", "  - table: {rows: [alpha]}\n", []string{
			`t.yaml:7:12: report entry 1 (table): missing required key "value"`}},
		{"table leaves an axis out", "  - table: {rows: alpha, value: [b.lo, a.out]}\n", []string{
			`t.yaml:7:40: report entry 1 (table): a.out depends on matrix axis "seed", which the entry does not place; want it in rows or cols`}},
		{"finding without right", "  - finding: {left: b.lo}\n", []string{
			`t.yaml:7:14: report entry 1 (finding): missing required key "right"`}},
		{"finding over", "  - finding: {left: a.out, right: 1, over: [alpha]}\n", []string{
			`t.yaml:7:21: report entry 1 (finding): a.out depends on matrix axis "seed", which the entry does not place; want it in over`}},
		{"a list where a reference goes", "  - finding: {left: b.lo, right: [1]}\n", []string{
			`t.yaml:7:34: report entry 1 (finding): right: a list: want STAGE.OUTPUT`}},
		{"a constant that is not a number", "  - finding: {left: b.lo, right: NaN}\n", []string{
			`t.yaml:7:34: report entry 1 (finding): right: "NaN": want a finite number or STAGE.OUTPUT`}},
		{"an infinite constant", "  - finding: {left: b.lo, right: -Inf}\n", []string{
			`t.yaml:7:34: report entry 1 (finding): right: "-Inf": want a finite number or STAGE.OUTPUT`}},
		{"selector axis unknown", "  - finding: {left: a.out@beta=1, right: 1, over: [alpha, seed]}\n", []string{
			`t.yaml:7:21: report entry 1 (finding): left: "a.out@beta=1": "beta" is not a matrix axis; want one of alpha, seed`}},
		{"selector value unknown", "  - finding: {left: a.out@seed=2, right: 1, over: [alpha]}\n", []string{
			`t.yaml:7:21: report entry 1 (finding): left: "a.out@seed=2": axis seed has no value 2; want one of 0, 1`}},
		{"selector without =", "  - finding: {left: a.out@seed, right: 1, over: [alpha]}\n", []string{
			`t.yaml:7:21: report entry 1 (finding): left: "a.out@seed": selector "seed": want axis=value`}},
		{"matrix of a stage with axes, no selector", "  - figure: {kind: matrix, value: a.out}\n", []string{
			`t.yaml:7:35: report entry 1 (figure) (kind matrix): a.out depends on matrix axis "alpha", which the entry does not place; want it in a selector (STAGE.OUTPUT@axis=value): a matrix figure draws one cell`,
			`t.yaml:7:35: report entry 1 (figure) (kind matrix): a.out depends on matrix axis "seed", which the entry does not place; want it in a selector (STAGE.OUTPUT@axis=value): a matrix figure draws one cell`}},
		{"matrix with an axis key", "  - figure: {kind: matrix, value: b.lo, x: alpha}\n", []string{
			`t.yaml:7:41: report entry 1 (figure) (kind matrix): unknown key "x"; want one of title, kind, caption, xlabel, ylabel, value`}},
		{"empty text", "  - text: \"  \"\n", []string{
			`t.yaml:7:11: report entry 1 (text): want a paragraph of text`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkProblems(t, reportBase+tc.report, nil, tc.want)
		})
	}
}

// Problems in the report are reported together with those elsewhere.
func TestReportErrorsJoinTheRest(t *testing.T) {
	src := "name: e\nstages:\n  a: {kind: fake, params: {n: -1}}\nreport:\n  - figure: {x: alpha, y: a.out}\n"
	checkProblems(t, src, nil, []string{
		`t.yaml:3:31: stage "a": param "n": -1 is below the minimum 0; want an int >= 0`,
		`t.yaml:5:17: report entry 1 (figure) (kind line): x: "alpha" is not a matrix axis; this experiment has no matrix`,
	})
}

func TestReportSpecDecodes(t *testing.T) {
	src := reportBase + `  - figure: {title: α, x: alpha, y: a.out, series: [seed], logy: true, caption: c}
  - figure: {kind: spectrum, y: "b.lo[2]", null: "b.hi[1]", ci_lo: b.hi, ci_hi: b.hi}
  - figure: {kind: heatmap, rows: alpha, cols: seed, value: a.out, xlabel: X, ylabel: "Y"}
  - table: {rows: [alpha], cols: seed, value: [a.out, b.lo]}
  - finding: {left: a.out, right: b.lo, over: [alpha, seed], left_label: A}
  - finding: {left: b.lo, right: 1.5}
  - text: Plain words.
`
	p, err := Parse("t.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.ReportSpec()
	if err != nil {
		t.Fatal(err)
	}
	aOut := OutputRef{Stage: "a", Output: "out", Pos: Pos{7, 37}}
	want := []ReportEntry{
		{Pos: Pos{7, 5}, Figure: &Figure{Title: "α", Caption: "c", Kind: FigureLine, X: "alpha", Y: aOut, Series: []string{"seed"}, LogY: true}},
		{Pos: Pos{8, 5}, Figure: &Figure{Kind: FigureSpectrum, Y: OutputRef{"b", "lo", 2, nil, Pos{8, 33}}, LogX: true, LogY: true,
			Null: &OutputRef{"b", "hi", 1, nil, Pos{8, 50}}, CILo: &OutputRef{"b", "hi", 0, nil, Pos{8, 68}}, CIHi: &OutputRef{"b", "hi", 0, nil, Pos{8, 81}}}},
		{Pos: Pos{9, 5}, Figure: &Figure{Kind: FigureHeatmap, XLabel: "X", YLabel: "Y", Rows: "alpha", Cols: "seed", Value: OutputRef{"a", "out", 0, nil, Pos{9, 61}}}},
		{Pos: Pos{10, 5}, Table: &Table{Rows: []string{"alpha"}, Cols: []string{"seed"},
			Values: []OutputRef{{"a", "out", 0, nil, Pos{10, 48}}, {"b", "lo", 0, nil, Pos{10, 55}}}}},
		{Pos: Pos{11, 5}, Finding: &Finding{Left: OutputRef{"a", "out", 0, nil, Pos{11, 21}}, Right: &OutputRef{"b", "lo", 0, nil, Pos{11, 35}},
			Over: []string{"alpha", "seed"}, LeftLabel: "A", RightLabel: "b.lo"}},
		{Pos: Pos{12, 5}, Finding: &Finding{Left: OutputRef{"b", "lo", 0, nil, Pos{12, 21}}, RightValue: 1.5, LeftLabel: "b.lo", RightLabel: "1.5"}},
		{Pos: Pos{13, 5}, Text: "Plain words."},
	}
	if len(r.Entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(r.Entries), len(want), r.Entries)
	}
	for i := range want {
		if !reflect.DeepEqual(r.Entries[i], want[i]) {
			t.Errorf("entry %d:\n got %s\nwant %s", i+1, show(r.Entries[i]), show(want[i]))
		}
	}
}

// A selector fixes axes: the entry need not place them, and Cell moves
// to the cell with the fixed values (numbers compare as numbers).
func TestReportSelector(t *testing.T) {
	src := reportBase + "  - finding: {left: a.out@seed=0, right: a.out@seed=1.0, over: [alpha]}\n"
	p, err := Parse("t.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.ReportSpec()
	if err != nil {
		t.Fatal(err)
	}
	f := r.Entries[0].Finding
	if got := f.Right.String(); got != "a.out@seed=1" {
		t.Errorf("right = %q, want a.out@seed=1", got)
	}
	// Cells: alpha=0.5,seed=0 (0), alpha=0.5,seed=1 (1), alpha=1,seed=0 (2), alpha=1,seed=1 (3).
	for ci, want := range []int{0, 0, 2, 2} {
		if got := f.Left.Cell(p, ci); got != want {
			t.Errorf("left in cell %d reads cell %d, want %d", ci, got, want)
		}
	}
	if got := f.Right.Cell(p, 2); got != 3 {
		t.Errorf("right in cell 2 reads cell %d, want 3", got)
	}
}

func TestNoReportIsEmpty(t *testing.T) {
	p, err := Parse("t.yaml", []byte("name: e\nstages: {a: {kind: fake}}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := p.ReportSpec(); err != nil || len(r.Entries) != 0 {
		t.Errorf("ReportSpec = %+v, %v; want no entries", r, err)
	}
}

func show(e ReportEntry) string {
	return fmt.Sprintf("%+v %+v %+v %+v %q", e.Pos, e.Figure, e.Table, e.Finding, e.Text)
}

// A selector naming a value that --set left out of its axis makes the
// entry LeftOut, not the experiment invalid: a sweep narrowed to try it
// still runs. A value the YAML never declared is still an error.
func TestReportSelectorLeftOutBySet(t *testing.T) {
	src := reportBase + "  - finding: {left: a.out@seed=0, right: a.out@seed=1.0, over: [alpha]}\n  - figure: {x: alpha, y: a.out, series: [seed]}\n"
	p, err := Parse("t.yaml", []byte(src), []string{"seed=0"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.ReportSpec()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Entries[0].LeftOut, []string{"seed=1.0"}; !reflect.DeepEqual(got, want) {
		t.Errorf("finding LeftOut = %q, want %q", got, want)
	}
	if got := r.Entries[1].LeftOut; got != nil {
		t.Errorf("figure LeftOut = %q, want none", got)
	}
	checkProblems(t, reportBase+"  - finding: {left: a.out@seed=2, right: a.out@seed=0, over: [alpha]}\n", []string{"seed=[0, 1]"}, []string{
		`t.yaml:7:21: report entry 1 (finding): left: "a.out@seed=2": axis seed has no value 2; want one of 0, 1`,
	})
}
