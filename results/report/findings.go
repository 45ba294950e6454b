package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/eigenlab/eigenlab/experiments"
)

// Finding is a comparison computed from the results: its sentence states
// the effect size with its 95% CI, n, the cell-by-cell count and whether
// the direction holds at every fit range tried.
type Finding struct {
	Sentence              string
	LeftLabel, RightLabel string
	Rows                  []FindingRow
}

// FindingRow is one compared cell.
type FindingRow struct {
	Cell        string
	Left, Right Value
}

// compared is one cell of a finding with both sides read: left and right
// with their X_ci companions (in Value.CI) and X_ranges companions. A
// constant right side has no ID, no CI and no ranges.
type compared struct {
	cell                    string // its values on the over axes
	left, right             Value
	leftRanges, rightRanges []float64 // nil when the stage wrote none
}

// findingTerms are what a finding's sentence names.
type findingTerms struct {
	left, right string   // labels of the two sides
	over        []string // the axes whose cells are compared
	constant    bool     // the right side is a number, not an output
	ciNames     string   // the X_ci companions a one-cell CI comes from
}

// maxNamed is how many cells without a fit a sentence names; the table of
// compared cells shows them all.
const maxNamed = 5

func (l *lookup) finding(spec *experiments.Finding) (*Finding, error) {
	f := &Finding{LeftLabel: spec.LeftLabel, RightLabel: spec.RightLabel}
	t := findingTerms{left: spec.LeftLabel, right: spec.RightLabel, over: spec.Over, constant: spec.Right == nil,
		ciNames: withSuffix(spec.Left, ciSuffix)}
	if spec.Right != nil {
		t.ciNames += " and " + withSuffix(*spec.Right, ciSuffix)
	}
	seen := map[string]bool{}
	var cells []compared
	missing := 0
	for ci := range l.plan.Cells {
		label := l.label(ci, spec.Over)
		if seen[label] {
			continue
		}
		seen[label] = true
		c, err := l.comparedCell(spec, ci)
		if err != nil {
			return nil, err
		}
		c.cell = label
		f.Rows = append(f.Rows, FindingRow{Cell: label, Left: c.left, Right: c.right})
		if c.left.ID == "" || spec.Right != nil && c.right.ID == "" {
			missing++
			continue
		}
		cells = append(cells, c)
	}
	f.Sentence = sentence(t, cells, missing)
	return f, nil
}

// comparedCell reads both sides of a finding in cell ci.
func (l *lookup) comparedCell(spec *experiments.Finding, ci int) (compared, error) {
	c := compared{right: Value{V: spec.RightValue}}
	var err error
	if c.left, err = l.annotated(spec.Left, ci); err != nil {
		return c, err
	}
	if c.leftRanges, err = l.companion(spec.Left, ci, rangesSuffix, 0); err != nil || spec.Right == nil {
		return c, err
	}
	if c.right, err = l.annotated(*spec.Right, ci); err != nil {
		return c, err
	}
	c.rightRanges, err = l.companion(*spec.Right, ci, rangesSuffix, 0)
	return c, err
}

// withSuffix is a reference to ref's companion output, as written in YAML.
func withSuffix(ref experiments.OutputRef, suffix string) string {
	ref.Output += suffix
	return ref.String()
}

// effect is the effect size of a finding: the mean over the n compared
// cells of the paired difference left − right, with its 95% CI.
type effect struct {
	n            int
	mean, lo, hi float64
	hasCI        bool
	source       string // what the CI is computed from
}

// measure computes the effect of cells, all with a value on both sides.
// With two cells or more the CI is the Student t interval of the mean
// difference over the cells (mean ± t_{0.975,n−1}·sd/√n); with one it
// comes from the stages' X_ci companions (see halfWidth), and without
// them there is none.
func measure(t findingTerms, cells []compared) effect {
	ds := make([]float64, len(cells))
	for i, c := range cells {
		ds[i] = c.left.V - c.right.V
	}
	e := effect{n: len(ds)}
	if e.n >= 2 {
		m, h := meanCI(ds)
		if math.Abs(m) < 1e-12*h {
			m = 0 // rounding noise of a mean that is zero (-1.1e-16 would read as a finding)
		}
		e.mean, e.lo, e.hi, e.hasCI = m, m-h, m+h, true
		e.source = fmt.Sprintf("spread over the %d cells (axes %s)", e.n, strings.Join(t.over, ", "))
		return e
	}
	e.mean = ds[0]
	if h, ok := cells[0].halfWidth(); ok {
		e.lo, e.hi, e.hasCI = e.mean-h, e.mean+h, true
		e.source = "from the stage's bootstrap CIs (" + t.ciNames + ")"
	}
	return e
}

// halfWidth is the half-width of the cell's own 95% interval of
// left − right, sqrt(hw_l² + hw_r²) with hw the half-width of a side's
// X_ci (0 for a constant side); ok is false when an output side has none.
func (c compared) halfWidth() (float64, bool) {
	var ss float64
	for _, v := range []Value{c.left, c.right} {
		switch {
		case v.ID == "": // a constant
		case v.CI == nil:
			return 0, false
		default:
			hw := (v.CI[1] - v.CI[0]) / 2
			ss += hw * hw
		}
	}
	return math.Sqrt(ss), true
}

// sentence states what a finding found in this run: cells are the cells
// with results on both sides, missing the number without.
func sentence(t findingTerms, cells []compared, missing int) string {
	var valued, noFit []compared
	for _, c := range cells {
		if math.IsNaN(c.left.V) || math.IsNaN(c.right.V) {
			noFit = append(noFit, c)
		} else {
			valued = append(valued, c)
		}
	}
	switch {
	case len(cells) == 0:
		return fmt.Sprintf("In this run, no cell has results for both %s and %s yet (%d %s without a result).", t.left, t.right, missing, pluralCells(missing))
	case len(valued) == 0:
		return fmt.Sprintf("In this run, no cell has a value for both %s and %s (%d %s without a result). %s",
			t.left, t.right, missing, pluralCells(missing), noFitSentence(t, noFit))
	}
	e := measure(t, valued)
	parts := []string{verdict(t, e), counts(t, valued, missing), rangeCheck(t, valued, e), noFitSentence(t, noFit)}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// verdict is the first sentence: the effect size and its CI, or "not
// resolved" when the CI crosses 0 or there is none. A negative effect is
// stated as how far left fell short of right, with the CI of that amount.
func verdict(t findingTerms, e effect) string {
	ci := func(lo, hi float64) string { return "95% CI [" + prose(lo) + ", " + prose(hi) + "]" }
	switch {
	case !e.hasCI:
		return fmt.Sprintf("In this run, not resolved: %s − %s = %s in the one compared cell, with no CI (one cell, no uncertainty recorded).",
			t.left, t.right, prose(e.mean))
	case e.lo > 0:
		return fmt.Sprintf("In this run, %s exceeded %s by %s (%s, n = %d; %s).", t.left, t.right, prose(e.mean), ci(e.lo, e.hi), e.n, e.source)
	case e.hi < 0:
		return fmt.Sprintf("In this run, %s fell short of %s by %s (%s, n = %d; %s).", t.left, t.right, prose(-e.mean), ci(-e.hi, -e.lo), e.n, e.source)
	}
	return fmt.Sprintf("In this run, not resolved: %s − %s = %s (%s crosses 0, n = %d; %s).", t.left, t.right, prose(e.mean), ci(e.lo, e.hi), e.n, e.source)
}

// counts is the cell-by-cell sentence: in how many cells left exceeded
// right, how many the cells' own CIs resolve, and how many cells lack a
// result.
func counts(t findingTerms, cells []compared, missing int) string {
	var above, equal int
	ls, rs := make([]float64, len(cells)), make([]float64, len(cells))
	for i, c := range cells {
		ls[i], rs[i] = c.left.V, c.right.V
		switch {
		case c.left.V > c.right.V:
			above++
		case c.left.V == c.right.V:
			equal++
		}
	}
	ml, _ := meanCI(ls)
	mr, _ := meanCI(rs)
	n := len(cells)
	// "exceeded" reads the same whatever the number of the labels.
	parts := []string{fmt.Sprintf("Cell by cell, %s exceeded %s in %d of %d compared %s (mean %s vs %s)",
		t.left, t.right, above, n, pluralCells(n), prose(ml), prose(mr))}
	if equal > 0 {
		parts = append(parts, fmt.Sprintf("equal in %d", equal))
	}
	if own := ownCIs(t, cells); n >= 2 && own != "" {
		parts = append(parts, own)
	}
	if missing > 0 {
		parts = append(parts, fmt.Sprintf("%d %s without a result not compared", missing, pluralCells(missing)))
	}
	return strings.Join(parts, "; ") + "."
}

// ownCIs counts the cells whose own interval of left − right (halfWidth)
// excludes 0; "" when no cell has one.
func ownCIs(t findingTerms, cells []compared) string {
	var with, above, below int
	for _, c := range cells {
		h, ok := c.halfWidth()
		if !ok {
			continue
		}
		with++
		switch d := c.left.V - c.right.V; {
		case d-h > 0:
			above++
		case d+h < 0:
			below++
		}
	}
	if with == 0 {
		return ""
	}
	s := fmt.Sprintf("resolved in %d of %d %s by their own CIs", above+below, len(cells), pluralCells(len(cells)))
	if without := len(cells) - with; without > 0 {
		s += fmt.Sprintf(" (%d of them without a CI of their own, counted as not resolved)", without)
	}
	if above > 0 && below > 0 {
		s += fmt.Sprintf(": %s above %s in %d, below in %d", t.left, t.right, above, below)
	}
	return s
}

// rangeCheck says whether the sign of the mean difference holds at every
// fit range tried: the main one and each alternative in the X_ranges
// companions. It is "" for an effect that is not resolved (no direction
// to hold), and unless every cell has the companions on its left side
// and, when the right side is an output, on its right side.
func rangeCheck(t findingTerms, cells []compared, e effect) string {
	if !e.hasCI || e.lo <= 0 && e.hi >= 0 {
		return ""
	}
	main := e.mean
	k := 0
	for _, c := range cells {
		if c.leftRanges == nil || !t.constant && c.rightRanges == nil {
			return ""
		}
		k = max(k, len(c.leftRanges))
	}
	if k == 0 {
		return ""
	}
	means := []string{prose(main) + " at the main range"}
	var fails []string
	for j := range k {
		m, n := rangeMean(t, cells, j)
		if n == 0 {
			means = append(means, "no fit")
			fails = append(fails, fmt.Sprintf("alternative range %d has no fit in any cell", j+1))
			continue
		}
		s := prose(m)
		if n < len(cells) {
			s += fmt.Sprintf(" (over the %d of %d cells with a fit)", n, len(cells))
		}
		means = append(means, s)
		if sign(m) != sign(main) {
			fails = append(fails, fmt.Sprintf("alternative range %d gives %s", j+1, prose(m)))
		}
	}
	tried := fmt.Sprintf("every fit range tried (%d ranges; mean %s − %s = %s, then %s)",
		k+1, t.left, t.right, means[0], strings.Join(means[1:], ", "))
	if len(fails) == 0 {
		return "The direction holds at " + tried + "."
	}
	return "The direction does not hold at " + tried + ": " + strings.Join(fails, "; ") + "."
}

// rangeMean is the mean of left − right at alternative range j over the
// cells with a number there on both sides, and how many there are.
func rangeMean(t findingTerms, cells []compared, j int) (float64, int) {
	var ds []float64
	for _, c := range cells {
		r := c.right.V
		if !t.constant {
			r = at(c.rightRanges, j)
		}
		if d := at(c.leftRanges, j) - r; !math.IsNaN(d) {
			ds = append(ds, d)
		}
	}
	m, _ := meanCI(ds)
	return m, len(ds)
}

// at is xs[j], NaN past its end.
func at(xs []float64, j int) float64 {
	if j < len(xs) {
		return xs[j]
	}
	return math.NaN()
}

func sign(x float64) int {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// noFitSentence names the cells left out because a side is NaN (a fit
// that was not made), with the reason each stage gave; "" for none.
func noFitSentence(t findingTerms, cells []compared) string {
	if len(cells) == 0 {
		return ""
	}
	var named []string
	for _, c := range cells[:min(len(cells), maxNamed)] {
		var sides []string
		for _, s := range []struct {
			label string
			v     Value
		}{{t.left, c.left}, {t.right, c.right}} {
			if math.IsNaN(s.v.V) {
				sides = append(sides, strings.TrimSuffix(s.label+": "+s.v.NoFit, ": "))
			}
		}
		note := strings.Join(sides, ", ")
		if c.cell != "" {
			note = c.cell + " (" + note + ")"
		}
		named = append(named, note)
	}
	if more := len(cells) - len(named); more > 0 {
		named = append(named, fmt.Sprintf("and %d more (see the cells compared)", more))
	}
	verb := map[bool]string{true: "was", false: "were"}[len(cells) == 1]
	return fmt.Sprintf("%d %s with no fit (NaN) %s not compared: %s.", len(cells), pluralCells(len(cells)), verb, strings.Join(named, "; "))
}

// prose formats a number for a sentence: three significant digits, but a
// whole number from 1000 up to a million (1224, not 1.22e+03).
func prose(v float64) string {
	if a := math.Abs(v); a >= 1000 && a < 1e6 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return fmt.Sprintf("%.3g", v)
}

func pluralCells(n int) string {
	if n == 1 {
		return "cell"
	}
	return "cells"
}
