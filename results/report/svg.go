package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure size on the page and in the SVG.
const (
	figWidth  = 6 * vg.Inch
	figHeight = 4 * vg.Inch
)

// SVG draws a figure with gonum/plot, its legend (if it has one) to the
// right of the plot so that it never hides data. The bytes depend only on
// the figure's data: no time stamps, random ids or map order.
func (f *Figure) SVG() ([]byte, error) {
	p := plot.New()
	p.Title.Text = f.Title
	p.X.Label.Text, p.Y.Label.Text = f.XLabel, f.YLabel
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	var labels []string
	var err error
	if f.Heat != nil {
		err = f.drawHeat(p)
	} else {
		labels, err = f.drawLines(p, &leg)
	}
	if err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.File, err)
	}
	c := vgsvg.New(figWidth, figHeight)
	dc := draw.New(c)
	if len(labels) > 0 {
		var w vg.Length
		for _, l := range labels {
			w = max(w, leg.TextStyle.Width(l))
		}
		// Fonts are not embedded: a browser may draw the text with a
		// wider font than the metrics gonum/plot measures with.
		w = min(w*13/10+leg.ThumbnailWidth+vg.Points(16), figWidth*2/5)
		leg.Draw(draw.Crop(dc, figWidth-w, 0, 0, -vg.Points(24)))
		dc = draw.Crop(dc, 0, -w, 0, 0)
	}
	p.Draw(dc)
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.File, err)
	}
	return b.Bytes(), nil
}

// drawLines draws the series (lines, or points for a scatter figure),
// their 95% bands, and a spectrum's null and interval curves.
func (f *Figure) drawLines(p *plot.Plot, leg *plot.Legend) ([]string, error) {
	spec := f.Spec
	if spec.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if spec.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if f.XTicks != nil {
		ticks := make(plot.ConstantTicks, len(f.XTicks))
		for i, t := range f.XTicks {
			ticks[i] = plot.Tick{Value: float64(i), Label: t}
		}
		p.X.Tick.Marker = ticks
	}
	scatter := spec.Kind == "scatter"
	var labels []string
	for i, s := range f.CI {
		if err := addBand(p, s, faded(seriesColor(f, s.Label, i), 0x40)); err != nil {
			return nil, err
		}
	}
	for i, s := range f.Series {
		c := seriesColor(f, s.Label, i)
		if err := addBand(p, s, faded(c, 0x30)); err != nil {
			return nil, err
		}
		xys := points(s)
		if len(xys) == 0 {
			continue
		}
		if scatter {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = c, draw.CircleGlyph{}, vg.Points(3)
			p.Add(sc)
			leg.Add(s.Label, sc)
			labels = append(labels, s.Label)
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = c, vg.Points(1.5)
		p.Add(line)
		if len(f.Series) > 1 || len(f.Null) > 0 {
			leg.Add(s.Label, line)
			labels = append(labels, s.Label)
		}
	}
	for i, s := range f.Null {
		line, err := plotter.NewLine(points(s))
		if err != nil {
			return nil, err
		}
		line.Color, line.Dashes, line.Width = seriesColor(f, s.Label, i), plotutil.Dashes(1), vg.Points(1)
		p.Add(line)
		leg.Add("null: "+s.Label, line)
		labels = append(labels, "null: "+s.Label)
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		padLinear(a)
		if isLog(a.Scale) && !(a.Min > 0 && a.Min <= a.Max && finite(a.Max)) { // nothing to show yet: a decade
			a.Min, a.Max = 1, 10
		}
	}
	return labels, nil
}

// padLinear widens a linear axis by 5% of its range on each side, so that
// points at the ends are drawn whole.
func padLinear(a *plot.Axis) {
	if isLog(a.Scale) || !(a.Max > a.Min) {
		return
	}
	d := 0.05 * (a.Max - a.Min)
	a.Min, a.Max = a.Min-d, a.Max+d
}

// seriesColor gives a null or interval curve the colour of the series of
// the same label.
func seriesColor(f *Figure, label string, i int) color.Color {
	for j, s := range f.Series {
		if s.Label == label {
			return plotutil.Color(j)
		}
	}
	return plotutil.Color(i)
}

func faded(c color.Color, alpha uint8) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), alpha}
}

// addBand fills the region between the points' Lo and Hi, where it has
// any width.
func addBand(p *plot.Plot, s Series, c color.Color) error {
	var upper, lower plotter.XYs
	wide := false
	for _, pt := range s.Points {
		if !finite(pt.Lo) || !finite(pt.Hi) || pt.Lo <= 0 && isLog(p.Y.Scale) {
			continue
		}
		upper = append(upper, plotter.XY{X: pt.X, Y: pt.Hi})
		lower = append(lower, plotter.XY{X: pt.X, Y: pt.Lo})
		wide = wide || pt.Hi > pt.Lo
	}
	if !wide || len(upper) < 2 {
		return nil
	}
	ring := append(upper, reversed(lower)...)
	poly, err := plotter.NewPolygon(ring)
	if err != nil {
		return err
	}
	poly.Color, poly.LineStyle.Width = c, 0
	p.Add(poly)
	return nil
}

func isLog(n plot.Normalizer) bool {
	_, ok := n.(plot.LogScale)
	return ok
}

func reversed(xys plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xys))
	for i, p := range xys {
		out[len(xys)-1-i] = p
	}
	return out
}

func points(s Series) plotter.XYs {
	xys := make(plotter.XYs, 0, len(s.Points))
	for _, p := range s.Points {
		if finite(p.X) && finite(p.Y) {
			xys = append(xys, plotter.XY{X: p.X, Y: p.Y})
		}
	}
	return xys
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// drawHeat draws a heatmap with the axis values as tick labels and a
// legend of colour levels.
func (f *Figure) drawHeat(p *plot.Plot) error {
	h := f.Heat
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range h.Values {
		for _, v := range row {
			if finite(v.V) {
				lo, hi = math.Min(lo, v.V), math.Max(hi, v.V)
			}
		}
	}
	if lo > hi {
		return nil // no result yet: an empty frame
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	pal := moreland.SmoothBlueRed().Palette(64)
	hm := plotter.NewHeatMap(heatGrid{h}, pal)
	hm.Min, hm.Max, hm.NaN = lo, hi, color.Gray{Y: 0xdd}
	p.Add(hm)
	p.X.Tick.Marker, p.Y.Tick.Marker = indexTicks(h.Cols), indexTicks(h.Rows)
	var cells plotter.XYLabels
	for r, row := range h.Values {
		for c, v := range row {
			if finite(v.V) {
				cells.XYs = append(cells.XYs, plotter.XY{X: float64(c), Y: float64(r)})
				cells.Labels = append(cells.Labels, fmt.Sprintf("%.3g", v.V))
			}
		}
	}
	labels, err := plotter.NewLabels(cells)
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].XAlign, labels.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
	}
	p.Add(labels)
	return nil
}

func indexTicks(labels []string) plot.ConstantTicks {
	t := make(plot.ConstantTicks, len(labels))
	for i, l := range labels {
		t[i] = plot.Tick{Value: float64(i), Label: l}
	}
	return t
}

// heatGrid is a Heat as a plotter.GridXYZ: column c at x = c, row r at y = r.
type heatGrid struct{ h *Heat }

func (g heatGrid) Dims() (c, r int)   { return len(g.h.Cols), len(g.h.Rows) }
func (g heatGrid) Z(c, r int) float64 { return g.h.Values[r][c].V }
func (g heatGrid) X(c int) float64    { return float64(c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }
