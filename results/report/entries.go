package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/eigenlab/eigenlab/experiments"
)

// Figure is a figure's data, ready to draw.
type Figure struct {
	Spec                  *experiments.Figure
	File                  string // the SVG's name in the report directory, fig-N.svg
	Title, XLabel, YLabel string
	Series                []Series // line, scatter, spectrum
	Null                  []Series // spectrum: permutation null, by series
	CI                    []Series // spectrum: bootstrap interval (Point.Lo, Point.Hi), by series
	XTicks                []string // names of a non-numeric x axis's values, at x = 0, 1, ...
	Heat                  *Heat
	Missing               int      // cells with no result for the plotted output
	Dropped               int      // points left out because a log axis cannot show them
	IDs                   []string // the cited numbers plotted
	// Notes say what the bands and dashed curves show, for the caption:
	// how many values each band's mean and interval average, and which
	// outputs the null and interval curves are.
	Notes []string
}

// Series is one line of a figure. Each point is the mean over the band
// axes with a 95% t interval [Lo, Hi] (Lo = Hi = Y when N < 2).
type Series struct {
	Label  string
	Points []Point
}

// Point is a plotted point: the mean of N values.
type Point struct {
	X, Y, Lo, Hi float64
	N            int
}

// Heat is a heatmap's grid of cited numbers, Values[row][col], with the
// values of the row and column axes; or, Plain, the entries of one 2-d
// output with 1-based indices (not cited, not written in the cells).
type Heat struct {
	Rows, Cols []string
	Values     [][]Value
	Plain      bool
}

// Table is a table's data: a row per combination of the row axes.
type Table struct {
	Title, Caption string
	Corner         string   // names the row axes
	Head           []string // column labels
	Rows           []TableRow
}

// TableRow is one row of a table.
type TableRow struct {
	Label  string
	Values []Value // NaN with ID "" where a cell has no result
}

// groups accumulates values by series label and x, in order of first
// appearance, counting each stage instance once.
type groups struct {
	order   []string
	byKey   map[string]map[float64][]float64
	seen    map[string]bool
	dropped int // points a log axis cannot show
}

func newGroups() *groups {
	return &groups{byKey: map[string]map[float64][]float64{}, seen: map[string]bool{}}
}

// add adds y at x to series label unless this instance already did.
func (g *groups) add(label, instance string, x, y float64) {
	key := fmt.Sprintf("%s\x00%s\x00%v", label, instance, x)
	if g.seen[key] {
		return
	}
	g.seen[key] = true
	if g.byKey[label] == nil {
		g.order = append(g.order, label)
		g.byKey[label] = map[float64][]float64{}
	}
	g.byKey[label][x] = append(g.byKey[label][x], y)
}

// series averages each series' values at each x.
func (g *groups) series() []Series {
	out := make([]Series, 0, len(g.order))
	for _, label := range g.order {
		s := Series{Label: label}
		xs := make([]float64, 0, len(g.byKey[label]))
		for x := range g.byKey[label] {
			xs = append(xs, x)
		}
		sort.Float64s(xs)
		for _, x := range xs {
			ys := g.byKey[label][x]
			m, half := meanCI(ys)
			s.Points = append(s.Points, Point{X: x, Y: m, Lo: m - half, Hi: m + half, N: len(ys)})
		}
		out = append(out, s)
	}
	return out
}

// meanCI returns the mean of ys (NaNs left out) and the half-width of its
// two-sided 95% Student t interval (0 for fewer than two values).
func meanCI(ys []float64) (mean, half float64) {
	var v []float64
	for _, y := range ys {
		if !math.IsNaN(y) {
			v = append(v, y)
		}
	}
	if len(v) == 0 {
		return math.NaN(), 0
	}
	for _, y := range v {
		mean += y / float64(len(v))
	}
	if len(v) < 2 {
		return mean, 0
	}
	var ss float64
	for _, y := range v {
		ss += (y - mean) * (y - mean)
	}
	sd := math.Sqrt(ss / float64(len(v)-1))
	return mean, tQuantile(len(v)) * sd / math.Sqrt(float64(len(v)))
}

// tQuantile is the 97.5% quantile of Student's t with n-1 degrees of
// freedom: the half-width of a 95% interval of the mean of n values, in
// standard errors.
func tQuantile(n int) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
}

// label names a cell's values on the given axes, "alpha=1, seed=0".
func (l *lookup) label(ci int, axes []string) string {
	parts := make([]string, len(axes))
	for i, a := range axes {
		parts[i] = a + "=" + experiments.FormatAxisValue(l.plan.Cells[ci].Values[a])
	}
	return strings.Join(parts, ", ")
}

func (l *lookup) figure(i int, spec *experiments.Figure) (*Figure, error) {
	f := &Figure{Spec: spec, File: fmt.Sprintf("fig-%d.svg", i), Title: spec.Title}
	var err error
	switch spec.Kind {
	case experiments.FigureHeatmap:
		err = l.heatmap(f)
	case experiments.FigureMatrix:
		err = l.matrix(f)
	case experiments.FigureSpectrum:
		err = l.spectrum(f)
	default:
		err = l.lines(f)
	}
	if spec.XLabel != "" {
		f.XLabel = spec.XLabel
	}
	if spec.YLabel != "" {
		f.YLabel = spec.YLabel
	}
	if f.Title == "" {
		f.Title = f.YLabel + " vs " + f.XLabel
	}
	if spec.Kind != experiments.FigureHeatmap && spec.Kind != experiments.FigureMatrix {
		f.Notes = figureNotes(f)
	}
	return f, err
}

// outputName is the output a reference reads, without its column and
// cell selector: an axis label.
func outputName(r experiments.OutputRef) string { return r.Stage + "." + r.Output }

// figureNotes says what a figure's bands and reference curves are.
func figureNotes(f *Figure) []string {
	var notes []string
	if lo, hi := bandN(f.Series); hi >= 2 && len(f.Spec.Band) > 0 {
		over := "values of " + f.Spec.Band[0]
		if len(f.Spec.Band) > 1 {
			over = "combinations of " + strings.Join(f.Spec.Band, ", ")
		}
		n := strconv.Itoa(hi)
		if lo < hi {
			n = strconv.Itoa(lo) + "–" + n
		}
		var ts []string
		for k := max(lo, 2); k <= hi && len(ts) < 3; k++ {
			ts = append(ts, fmt.Sprintf("t=%.3g for n=%d", tQuantile(k), k))
		}
		note := fmt.Sprintf("Each point is the mean over n=%s %s, its band the mean ± its 95%% Student t interval (± t standard errors, %s)",
			n, over, strings.Join(ts, ", "))
		if lo < 2 {
			note += "; a point of n=1 has no band"
		}
		notes = append(notes, note+".")
	}
	if f.Spec.Null != nil && len(f.Null) > 0 {
		notes = append(notes, fmt.Sprintf("Dashed: %s, in the colour of its series.", f.Spec.Null.String()))
	}
	if f.Spec.CILo != nil && len(f.CI) > 0 {
		notes = append(notes, fmt.Sprintf("Shaded: from %s to %s.", f.Spec.CILo.String(), f.Spec.CIHi.String()))
	}
	return notes
}

// bandN is the least and greatest number of values a point of the
// series averages (0, 0 without points).
func bandN(series []Series) (lo, hi int) {
	for _, s := range series {
		for _, p := range s.Points {
			if p.N > 0 && (lo == 0 || p.N < lo) {
				lo = p.N
			}
			hi = max(hi, p.N)
		}
	}
	return lo, hi
}

// lines gathers a line or scatter figure: a 0-d output per cell against
// a matrix axis.
func (l *lookup) lines(f *Figure) error {
	spec := f.Spec
	f.XLabel, f.YLabel = spec.X, outputName(spec.Y)
	numeric := l.numericAxis(spec.X)
	g := newGroups()
	ids := map[string]bool{}
	for ci, cell := range l.plan.Cells {
		v, err := l.scalar(spec.Y, ci)
		if err != nil {
			return err
		}
		if v.ID == "" {
			f.Missing++
			continue
		}
		x := l.axisIndex(spec.X, ci)
		if numeric {
			x = toFloat(cell.Values[spec.X])
		}
		if logDrops(spec.LogX, x) || logDrops(spec.LogY, v.V) {
			f.Dropped++
			continue
		}
		g.add(l.seriesLabel(spec, ci), l.plan.Lookup(spec.Y.Stage, ci).ID, x, v.V)
		if !ids[v.ID] {
			ids[v.ID] = true
			f.IDs = append(f.IDs, v.ID)
		}
	}
	if !numeric {
		for _, v := range l.axis(spec.X).Values {
			f.XTicks = append(f.XTicks, experiments.FormatAxisValue(v))
		}
	}
	f.Series = g.series()
	return nil
}

// spectrum gathers a spectrum figure: a curve per cell (averaged over the
// band axes), with the optional null and interval curves.
func (l *lookup) spectrum(f *Figure) error {
	spec := f.Spec
	// Column 0 of a 2-d output holds x: the centre of a bin of ranks
	// (crossdecomp's binned, null_quantiles and bootstrap_ci).
	f.XLabel, f.YLabel = "rank", outputName(spec.Y)
	if spec.Y.Col > 0 {
		f.XLabel = "rank (bin centre)"
	}
	main, null, lo, hi := newGroups(), newGroups(), newGroups(), newGroups()
	for ci := range l.plan.Cells {
		label := l.seriesLabel(spec, ci)
		n, err := l.addCurve(main, spec.Y, ci, label, spec)
		if err != nil {
			return err
		}
		if n == 0 {
			f.Missing++
		}
		for _, c := range []struct {
			ref *experiments.OutputRef
			g   *groups
		}{{spec.Null, null}, {spec.CILo, lo}, {spec.CIHi, hi}} {
			if c.ref != nil {
				if _, err := l.addCurve(c.g, *c.ref, ci, label, spec); err != nil {
					return err
				}
			}
		}
	}
	f.Series, f.Null = main.series(), null.series()
	f.Dropped = main.dropped
	for _, s := range lo.series() {
		for _, h := range hi.series() {
			if h.Label == s.Label {
				f.CI = append(f.CI, interval(s, h))
			}
		}
	}
	return nil
}

// interval pairs the mean lower and upper ends of an interval at the x
// values both have.
func interval(lo, hi Series) Series {
	out := Series{Label: lo.Label}
	his := map[float64]float64{}
	for _, p := range hi.Points {
		his[p.X] = p.Y
	}
	for _, p := range lo.Points {
		if h, ok := his[p.X]; ok {
			out.Points = append(out.Points, Point{X: p.X, Y: (p.Y + h) / 2, Lo: p.Y, Hi: h, N: p.N})
		}
	}
	return out
}

// addCurve adds the curve of ref in cell ci to g and returns how many
// points it had (0 without a result).
func (l *lookup) addCurve(g *groups, ref experiments.OutputRef, ci int, label string, spec *experiments.Figure) (int, error) {
	xs, ys, err := l.curve(ref, ci)
	if err != nil {
		return 0, err
	}
	inst := l.plan.Lookup(ref.Stage, ci).ID
	for i := range xs {
		if logDrops(spec.LogX, xs[i]) || logDrops(spec.LogY, ys[i]) {
			g.dropped++
			continue
		}
		g.add(label, inst, xs[i], ys[i])
	}
	return len(xs), nil
}

// matrix reads one 2-d output (its selector fixes every axis its stage
// depends on) as a grid: row i, column j at 1-based indices, as a cosine
// matrix of eigenvectors is read. Its entries are not cited numbers.
func (l *lookup) matrix(f *Figure) error {
	spec := f.Spec
	f.XLabel, f.YLabel = "column", "row"
	if f.Title == "" {
		f.Title = spec.Value.String()
	}
	e, o, ok := l.output(spec.Value, 0)
	if !ok {
		f.Missing++
		return nil
	}
	if o.Kind != "array" || len(o.Shape) != 2 {
		return &refError{spec.Value.Pos, fmt.Errorf("%s has kind %s and shape %v in %s; want a 2-d output", spec.Value, o.Kind, o.Shape, e.Label())}
	}
	a, err := l.array(o)
	if err != nil {
		return fmt.Errorf("%s in %s: %w", spec.Value, e.Label(), err)
	}
	rows, cols := o.Shape[0], o.Shape[1]
	// Grid row 0 is drawn at the bottom: put matrix row 1 at the top.
	h := &Heat{Rows: make([]string, rows), Values: make([][]Value, rows), Plain: true}
	for r := range rows {
		g := rows - 1 - r
		h.Rows[g] = strconv.Itoa(r + 1)
		h.Values[g] = make([]Value, cols)
		for c := range cols {
			h.Values[g][c] = Value{V: a.Value(r*cols + c)}
		}
	}
	for c := range cols {
		h.Cols = append(h.Cols, strconv.Itoa(c+1))
	}
	f.Heat = h
	lo, hi := floats.Min(a.Float64s()), floats.Max(a.Float64s())
	f.Notes = []string{fmt.Sprintf("%s in %s, %d×%d; colours run from blue (%.3g, the smallest entry) to red (%.3g, the largest).",
		spec.Value.Output, e.Label(), rows, cols, lo, hi)}
	return nil
}

// heatmap gathers a 0-d output over two axes.
func (l *lookup) heatmap(f *Figure) error {
	spec := f.Spec
	f.XLabel, f.YLabel = spec.Cols, spec.Rows
	if f.Title == "" {
		f.Title = spec.Value.String() + " by " + spec.Rows + " and " + spec.Cols
	}
	h := &Heat{}
	for _, v := range l.axis(spec.Rows).Values {
		h.Rows = append(h.Rows, experiments.FormatAxisValue(v))
	}
	for _, v := range l.axis(spec.Cols).Values {
		h.Cols = append(h.Cols, experiments.FormatAxisValue(v))
	}
	h.Values = make([][]Value, len(h.Rows))
	for r := range h.Values {
		h.Values[r] = make([]Value, len(h.Cols))
		for c := range h.Values[r] {
			h.Values[r][c] = Value{V: math.NaN()}
		}
	}
	for ci := range l.plan.Cells {
		v, err := l.scalar(spec.Value, ci)
		if err != nil {
			return err
		}
		if v.ID == "" {
			f.Missing++
			continue
		}
		r, c := int(l.axisIndex(spec.Rows, ci)), int(l.axisIndex(spec.Cols, ci))
		if h.Values[r][c].ID == "" {
			h.Values[r][c] = v
			f.IDs = append(f.IDs, v.ID)
		}
	}
	f.Heat = h
	return nil
}

func (l *lookup) table(spec *experiments.Table) (*Table, error) {
	t := &Table{Title: spec.Title, Caption: spec.Caption, Corner: strings.Join(spec.Rows, ", ")}
	colKeys, rowKeys := []string{}, []string{}
	first := map[[2]string]int{} // (row label, col label) -> first cell
	for ci := range l.plan.Cells {
		rk, ck := l.label(ci, spec.Rows), l.label(ci, spec.Cols)
		if !slices.Contains(rowKeys, rk) {
			rowKeys = append(rowKeys, rk)
		}
		if !slices.Contains(colKeys, ck) {
			colKeys = append(colKeys, ck)
		}
		if _, ok := first[[2]string{rk, ck}]; !ok {
			first[[2]string{rk, ck}] = ci
		}
	}
	for _, ck := range colKeys {
		for _, ref := range spec.Values {
			t.Head = append(t.Head, strings.TrimPrefix(ck+" · "+ref.String(), " · "))
		}
	}
	for _, rk := range rowKeys {
		row := TableRow{Label: rk}
		for _, ck := range colKeys {
			for _, ref := range spec.Values {
				v, err := l.annotated(ref, first[[2]string{rk, ck}])
				if err != nil {
					return nil, err
				}
				row.Values = append(row.Values, v)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// seriesLabel names the series of cell ci: its series-axis values, or the
// plotted output for a figure with one series.
func (l *lookup) seriesLabel(spec *experiments.Figure, ci int) string {
	if len(spec.Series) == 0 {
		return spec.Y.String()
	}
	return l.label(ci, spec.Series)
}

func (l *lookup) axis(name string) experiments.Axis {
	for _, a := range l.plan.Axes {
		if a.Name == name {
			return a
		}
	}
	panic("report: axis " + name + " was validated but is not in the plan")
}

// numericAxis reports whether every value of an axis is a number.
func (l *lookup) numericAxis(name string) bool {
	for _, v := range l.axis(name).Values {
		if math.IsNaN(toFloat(v)) {
			return false
		}
	}
	return true
}

// axisIndex is the position of cell ci's value in the axis's values.
func (l *lookup) axisIndex(name string, ci int) float64 {
	want := experiments.FormatAxisValue(l.plan.Cells[ci].Values[name])
	for i, v := range l.axis(name).Values {
		if experiments.FormatAxisValue(v) == want {
			return float64(i)
		}
	}
	return math.NaN()
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return math.NaN()
}

// logDrops reports whether a log axis cannot show v.
func logDrops(log bool, v float64) bool { return log && !(v > 0) || math.IsNaN(v) }
