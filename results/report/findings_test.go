package report

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eigenlab/eigenlab/experiments"
	"github.com/eigenlab/eigenlab/ndarray"
)

// vs1 is a cell of α (an output, cited) against the constant 1.
func vs1(seed int, left float64) compared {
	return compared{cell: fmt.Sprintf("seed=%d", seed), left: Value{V: left, ID: fmt.Sprintf("e:s.alpha@seed=%d", seed)}, right: Value{V: 1}}
}

// pair is the one cell of channel α against full α (both outputs).
func pair(left, right float64) compared {
	return compared{left: Value{V: left, ID: "e:s.alpha@view=channel"}, right: Value{V: right, ID: "e:s.alpha@view=full"}}
}

func (c compared) ci(lo, hi float64) compared      { c.left.CI = []float64{lo, hi}; return c }
func (c compared) rightCI(lo, hi float64) compared { c.right.CI = []float64{lo, hi}; return c }
func (c compared) ranges(rs ...float64) compared   { c.leftRanges = rs; return c }
func (c compared) rranges(rs ...float64) compared  { c.rightRanges = rs; return c }
func (c compared) noFit(reason string) compared {
	c.left.V, c.left.NoFit = math.NaN(), reason
	return c
}

var (
	termsVs1  = findingTerms{left: "α", right: "1", over: []string{"seed"}, constant: true, ciNames: "s.alpha_ci"}
	termsPair = findingTerms{left: "channel α", right: "full α", ciNames: "s.alpha_ci@view=channel and s.alpha_ci@view=full"}
)

func seeds(lefts ...float64) []compared {
	out := make([]compared, len(lefts))
	for i, l := range lefts {
		out[i] = vs1(i, l)
	}
	return out
}

// TestSentence: a finding states the effect with its CI and n, says "not
// resolved" when the CI crosses 0 or there is none, counts the cells its
// own CIs resolve, checks the direction at every fit range and names the
// cells with no fit. The numbers of the CIs are those of
// testdata/finding_effects.npy (TestMeasureMatchesScipy).
func TestSentence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		terms   findingTerms
		cells   []compared
		missing int
		want    []string // fragments of the sentence, in order
		not     []string // fragments it must not have
	}{
		{"resolved over seeds", termsVs1, seeds(1.1, 1.12, 1.14, 1.16), 0, []string{
			"In this run, α exceeded 1 by 0.13 (95% CI [0.0889, 0.171], n = 4; spread over the 4 cells (axes seed)). ",
			"Cell by cell, α exceeded 1 in 4 of 4 compared cells (mean 1.13 vs 1)."}, []string{"not resolved", "fit range", "own CIs"}},
		{"crosses zero", termsVs1, seeds(1, 1.1, 1.2, 1.3), 0, []string{
			"In this run, not resolved: α − 1 = 0.15 (95% CI [-0.0554, 0.355] crosses 0, n = 4; spread over the 4 cells (axes seed)). ",
			"Cell by cell, α exceeded 1 in 3 of 4 compared cells (mean 1.15 vs 1); equal in 1."}, nil},
		{"a mean of zero with rounding noise", termsVs1, seeds(0.7, 0.9, 1.4), 0, []string{
			"In this run, not resolved: α − 1 = 0 (95% CI ["}, []string{"e-17"}},
		{"fell short", termsVs1, seeds(0.9, 0.88, 0.86, 0.84), 2, []string{
			"In this run, α fell short of 1 by 0.13 (95% CI [0.0889, 0.171], n = 4; spread over the 4 cells (axes seed)). ",
			"α exceeded 1 in 0 of 4 compared cells (mean 0.87 vs 1); 2 cells without a result not compared."}, []string{"not resolved"}},
		{"one cell from both sides' CIs", termsPair, []compared{pair(1.3, 1).ci(1.2, 1.4).rightCI(0.9, 1.2)}, 0, []string{
			"In this run, channel α exceeded full α by 0.3 (95% CI [0.12, 0.48], n = 1; from the stage's bootstrap CIs (s.alpha_ci@view=channel and s.alpha_ci@view=full)). ",
			"Cell by cell, channel α exceeded full α in 1 of 1 compared cell (mean 1.3 vs 1)."}, []string{"own CIs"}},
		{"one cell against a constant, CI crosses 0", termsVs1, []compared{vs1(0, 1.1).ci(0.9, 1.3)}, 0, []string{
			"In this run, not resolved: α − 1 = 0.1 (95% CI [-0.1, 0.3] crosses 0, n = 1; from the stage's bootstrap CIs (s.alpha_ci))."}, nil},
		{"one cell without companions", termsVs1, []compared{vs1(0, 1.3)}, 0, []string{
			"In this run, not resolved: α − 1 = 0.3 in the one compared cell, with no CI (one cell, no uncertainty recorded). ",
			"Cell by cell, α exceeded 1 in 1 of 1 compared cell (mean 1.3 vs 1)."}, []string{"95% CI"}},
		{"one cell, right side without a CI", termsPair, []compared{pair(1.3, 1).ci(1.2, 1.4)}, 0, []string{
			"not resolved: channel α − full α = 0.3 in the one compared cell, with no CI (one cell, no uncertainty recorded)."}, nil},
		{"cells resolved by their own CIs", termsVs1, []compared{vs1(0, 1.2).ci(1.1, 1.3), vs1(1, 1.05).ci(0.9, 1.2), vs1(2, 1.3).ci(1.25, 1.35)}, 0, []string{
			"n = 3; spread over the 3 cells", "(mean 1.18 vs 1); resolved in 2 of 3 cells by their own CIs."}, []string{"without a CI"}},
		{"own CIs both ways", termsVs1, []compared{vs1(0, 1.2).ci(1.1, 1.3), vs1(1, 0.8).ci(0.7, 0.9), vs1(2, 1).ci(0.9, 1.1)}, 0, []string{
			"; resolved in 2 of 3 cells by their own CIs: α above 1 in 1, below in 1."}, nil},
		{"a cell without its own CI", termsVs1, []compared{vs1(0, 1.2).ci(1.1, 1.3), vs1(1, 1.3)}, 0, []string{
			"; resolved in 1 of 2 cells by their own CIs (1 of them without a CI of their own, counted as not resolved)."}, nil},
		{"holds at every range", termsVs1, []compared{vs1(0, 1.1).ranges(1.08, 1.12), vs1(1, 1.16).ranges(1.12, 1.18), vs1(2, 1.13).ranges(1.10, 1.15)}, 0, []string{
			"Cell by cell, α exceeded 1 in 3 of 3 compared cells (mean 1.13 vs 1). ",
			"The direction holds at every fit range tried (3 ranges; mean α − 1 = 0.13 at the main range, then 0.1, 0.15)."}, []string{"does not"}},
		{"fails at one range", termsVs1, []compared{vs1(0, 1.1).ranges(1.08, 0.95), vs1(1, 1.16).ranges(1.12, 0.97), vs1(2, 1.13).ranges(1.10, 0.96)}, 0, []string{
			"The direction does not hold at every fit range tried (3 ranges; mean α − 1 = 0.13 at the main range, then 0.1, -0.04): alternative range 2 gives -0.04."}, nil},
		{"no fit at one range", termsVs1, []compared{vs1(0, 1.1).ranges(math.NaN(), 1.1), vs1(1, 1.16).ranges(math.NaN(), 1.2), vs1(2, 1.13).ranges(math.NaN(), 1.15)}, 0, []string{
			"does not hold at every fit range tried (3 ranges; mean α − 1 = 0.13 at the main range, then no fit, 0.15): alternative range 1 has no fit in any cell."}, nil},
		{"a range fit in some cells", termsVs1, []compared{vs1(0, 1.1).ranges(math.NaN(), 1.1), vs1(1, 1.16).ranges(1.12, 1.2), vs1(2, 1.13).ranges(math.NaN(), 1.15)}, 0, []string{
			"The direction holds at every fit range tried (3 ranges; mean α − 1 = 0.13 at the main range, then 0.12 (over the 1 of 3 cells with a fit), 0.15)."}, nil},
		{"no range claim when not resolved", termsVs1, []compared{vs1(0, 1.1).ranges(1.08, 1.12), vs1(1, 1.16).ranges(1.12, 1.18)}, 0, []string{
			"not resolved"}, []string{"fit range"}},
		{"ranges on both sides", termsPair, []compared{pair(1.3, 1).ci(1.25, 1.35).rightCI(0.95, 1.05).ranges(1.2, 1.4).rranges(1.25, 1.1)}, 0, []string{
			"(3 ranges; mean channel α − full α = 0.3 at the main range, then -0.05, 0.3): alternative range 1 gives -0.05."}, nil},
		{"ranges on the left only", termsPair, []compared{pair(1.3, 1).ci(1.2, 1.4).rightCI(0.9, 1.2).ranges(1.2, 1.4)}, 0, []string{
			"n = 1; from the stage's bootstrap CIs"}, []string{"range"}},
		{"a cell with no fit", termsVs1, append(seeds(1.1, 1.12, 1.14, 1.16), vs1(4, 0).noFit("fewer than 10 points in [11, 21]")), 1, []string{
			"In this run, α exceeded 1 by 0.13 (95% CI [0.0889, 0.171], n = 4;",
			"in 4 of 4 compared cells (mean 1.13 vs 1); 1 cell without a result not compared. ",
			"1 cell with no fit (NaN) was not compared: seed=4 (α: fewer than 10 points in [11, 21])."}, nil},
		{"no fit on both sides", termsPair, []compared{pair(1.3, 1).ci(1.2, 1.4).rightCI(0.9, 1.2), func() compared {
			c := pair(0, math.NaN()).noFit("no decade")
			c.cell = "layer=conv1"
			return c
		}()}, 0, []string{
			"n = 1; from the stage's bootstrap CIs",
			"1 cell with no fit (NaN) was not compared: layer=conv1 (channel α: no decade, full α)."}, nil},
		{"no cell with a value", termsVs1, []compared{vs1(0, 0).noFit("r"), vs1(1, 0).noFit("")}, 2, []string{
			"In this run, no cell has a value for both α and 1 (2 cells without a result). ",
			"2 cells with no fit (NaN) were not compared: seed=0 (α: r); seed=1 (α)."}, []string{"95% CI"}},
		{"many cells with no fit", termsVs1, append(seeds(1.1, 1.2), vs1(2, 0).noFit(""), vs1(3, 0).noFit(""), vs1(4, 0).noFit(""),
			vs1(5, 0).noFit(""), vs1(6, 0).noFit(""), vs1(7, 0).noFit(""), vs1(8, 0).noFit("")), 0, []string{
			"7 cells with no fit (NaN) were not compared: seed=2 (α); seed=3 (α); seed=4 (α); seed=5 (α); seed=6 (α); and 2 more (see the cells compared)."}, nil},
		{"no result yet", termsVs1, nil, 4, []string{
			"In this run, no cell has results for both α and 1 yet (4 cells without a result)."}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sentence(tc.terms, tc.cells, tc.missing)
			if lack := inOrder(got, tc.want); lack != "" {
				t.Errorf("sentence\n  %s\nlacks (after the fragments before it)\n  %s", got, lack)
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("sentence\n  %s\nhas %q", got, n)
				}
			}
		})
	}
}

// TestMeasureMatchesScipy checks each effect and its 95% CI against
// scipy.stats.t.interval (and, for one cell, the companions' formula) in
// testdata/finding_effects.npy, written by testdata/make_goldens.py.
func TestMeasureMatchesScipy(t *testing.T) {
	golden, err := ndarray.ReadNPYFile(filepath.Join("testdata", "finding_effects.npy"))
	if err != nil {
		t.Fatal(err)
	}
	diffs := func(ds ...float64) []compared { // α − 0 = d
		out := seeds(ds...)
		for i := range out {
			out[i].right.V = 0
		}
		return out
	}
	// In the order of make_goldens.py.
	cases := [][]compared{
		diffs(0.10, 0.12, 0.14, 0.16),
		diffs(0.0, 0.1, 0.2, 0.3),
		diffs(-0.10, -0.12, -0.14, -0.16),
		diffs(0.05, -0.02, 0.11, 0.07, 0.01),
		{pair(1.3, 1).ci(1.2, 1.4).rightCI(0.9, 1.2)},
		{vs1(0, 1.1).ci(0.9, 1.3)},
	}
	if golden.Shape[0] != len(cases) {
		t.Fatalf("%d goldens for %d cases: rerun make_goldens.py", golden.Shape[0], len(cases))
	}
	for i, cells := range cases {
		e := measure(termsVs1, cells)
		want := golden.F64[3*i : 3*i+3]
		if !e.hasCI || e.n != len(cells) || math.Abs(e.mean-want[0]) > 1e-12 || math.Abs(e.lo-want[1]) > 1e-9 || math.Abs(e.hi-want[2]) > 1e-9 {
			t.Errorf("case %d: effect %+v, want mean %v, CI [%v, %v] from scipy", i, e, want[0], want[1], want[2])
		}
	}
}

// inOrder reports the first of want that s lacks, each looked for after
// the one before it ("" when s has them all).
func inOrder(s string, want []string) string {
	for _, w := range want {
		i := strings.Index(s, w)
		if i < 0 {
			return w
		}
		s = s[i+len(w):]
	}
	return ""
}

// TestFindingsOfARun runs fake stages that write _ci and _ranges
// companions and a NaN with its reason, and reads them through the
// report's data path: the findings state the effect with its CI, the
// one-cell CI from the companions, the cells' own CIs, the fit ranges and
// the cell with no fit; the table shows each CI and "no fit" with its
// reason, on the page as well.
func TestFindingsOfARun(t *testing.T) {
	s := newState(t)
	p, err := experiments.Load("testdata/findings.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.run(t, p)
	page := s.build(t, p)
	for i, want := range [][]string{
		{"In this run, fitted α exceeded 1 by 0.13 (95% CI [0.0889, 0.171], n = 4; spread over the 4 cells (axes seed)). ",
			"Cell by cell, fitted α exceeded 1 in 4 of 4 compared cells (mean 1.13 vs 1); resolved in 4 of 4 cells by their own CIs. ",
			"The direction holds at every fit range tried (3 ranges; mean fitted α − 1 = 0.13 at the main range, then 0.11, 0.14)."},
		{"In this run, not resolved: flat.x − 1 = 0.1 (95% CI [-0.148, 0.348] crosses 0, n = 3; spread over the 3 cells (axes seed)). ",
			"Cell by cell, flat.x exceeded 1 in 2 of 3 compared cells (mean 1.1 vs 1); equal in 1. ",
			"1 cell with no fit (NaN) was not compared: seed=3 (flat.x: fewer than 10 points in range)."},
		{"In this run, fit.x@seed=1 exceeded 1 by 0.12 (95% CI [0.09, 0.15], n = 1; from the stage's bootstrap CIs (fit.x_ci@seed=1)). ",
			"The direction holds at every fit range tried (3 ranges; mean fit.x@seed=1 − 1 = 0.12 at the main range, then 0.1, 0.13)."},
		{"In this run, not resolved: fit.x@seed=0 − flat.x@seed=0 = 0.1 in the one compared cell, with no CI (one cell, no uncertainty recorded). ",
			"Cell by cell, fit.x@seed=0 exceeded flat.x@seed=0 in 1 of 1 compared cell (mean 1.1 vs 1)."},
		{"In this run, flip.x exceeded 1 by 0.13 (95% CI [0.0889, 0.171], n = 4;",
			"The direction does not hold at every fit range tried (3 ranges; mean flip.x − 1 = 0.13 at the main range, then -0.07, 0.14): alternative range 1 gives -0.07."},
	} {
		f := page.Blocks[i].Finding
		if lack := inOrder(f.Sentence, want); lack != "" {
			t.Errorf("finding %d:\n  %s\nlacks\n  %s", i+1, f.Sentence, lack)
		}
	}
	if strings.Contains(page.Blocks[3].Finding.Sentence, "range") {
		t.Errorf("finding 4 claims fit ranges, but its right side has no _ranges: %s", page.Blocks[3].Finding.Sentence)
	}
	row := page.Blocks[1].Finding.Rows[3]
	if row.Cell != "seed=3" || !math.IsNaN(row.Left.V) || row.Left.ID == "" || row.Left.NoFit != "fewer than 10 points in range" {
		t.Errorf("row of the cell with no fit: %+v", row)
	}
	tab := page.Blocks[5].Table
	if ci := tab.Rows[0].Values[0].CI; len(ci) != 2 || math.Abs(ci[0]-1.07) > 1e-12 || math.Abs(ci[1]-1.13) > 1e-12 || tab.Rows[0].Values[1].CI != nil {
		t.Errorf("table row %+v: want fit.x with its CI [1.07, 1.13] and flat.x without one", tab.Rows[0])
	}
	var b strings.Builder
	if err := page.HTML(&b); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		`title="findings-test:fit.x@seed=0 = 1.1">1.1</a> <span class="ci" title="95% CI">[1.07, 1.13]</span></td>`,
		`title="findings-test:flat.x@seed=3 = NaN: fewer than 10 points in range">no fit</a></td>`,
		"fitted α exceeded 1 by 0.13 (95% CI [0.0889, 0.171], n = 4;",
	} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("page lacks %s", w)
		}
	}
}
