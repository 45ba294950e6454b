package report

import (
	"bytes"
	"fmt"
	"html"
	"image/color"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The canvas of a figure: the axes and data always get at least
// plotWidth × plotHeight; the canvas grows to the right or below for the
// legend, and below for rotated x tick labels. It grows wider than
// maxWidth (the page's text width) only for a legend label wider than
// that, which is never clipped.
const (
	plotWidth  = 6 * vg.Inch
	plotHeight = 4 * vg.Inch
	maxWidth   = 10 * vg.Inch
	gap        = vg.Length(6) // points between the legend, the title, the plot and the edges
)

// slack widens a text width as gonum/plot measures it: fonts are not
// embedded, and a browser without Liberation Serif draws with another font
// (DejaVu Serif is up to 28% wider). fitText pins each text's width in the
// SVG as well; the slack keeps the layout readable where a viewer ignores
// that.
func slack(w vg.Length) vg.Length { return w * 13 / 10 }

// drawing is a figure laid out: its plot, legend and canvas size.
type drawing struct {
	p      *plot.Plot
	title  string // wrapped to the canvas, lines joined by \n
	tsty   text.Style
	legend []legendItem
	leg    plot.Legend // the style of the legend's entries
	right  bool        // legend to the right of the axes, else below
	cols   int         // columns of a legend below
	colW   vg.Length   // their width; a legend to the right is one column
	legH   vg.Length
	w, h   vg.Length
}

// legendItem is an entry of the legend; a nil thumbnail makes a heading.
type legendItem struct {
	label string
	thumb plot.Thumbnailer
}

// SVG draws a figure with gonum/plot. The legend sits outside the axes so
// that it never hides data, and nothing is clipped: long titles wrap, the
// canvas grows for the legend and for rotated tick labels. The bytes
// depend only on the figure's data: no time stamps, random ids or map
// order.
func (f *Figure) SVG() ([]byte, error) {
	d, err := f.layout()
	if err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.File, err)
	}
	c := vgsvg.New(d.w, d.h)
	dc := draw.New(c)
	top := d.h - gap
	if d.title != "" {
		dc.FillText(d.tsty, vg.Point{X: d.w / 2, Y: top}, d.title)
		top -= d.tsty.Height(d.title) + gap
	}
	area := draw.Crop(dc, 0, 0, 0, top-d.h) // below the title
	if len(d.legend) > 0 {
		if d.right {
			d.drawLegend(draw.Crop(area, d.w-d.colW, -gap, 0, 0), 1)
			area = draw.Crop(area, 0, -d.colW, 0, 0)
		} else {
			d.drawLegend(draw.Crop(area, gap, -gap, 0, d.legH-area.Max.Y+area.Min.Y), d.cols)
			area = draw.Crop(area, 0, 0, d.legH+gap, 0)
		}
	}
	d.p.Draw(draw.Crop(area, gap/2, -gap, gap/2, 0))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("figure %s: %w", f.File, err)
	}
	return fitText(b.Bytes()), nil
}

// Size is the figure's size on the page in CSS pixels (the SVG's points ×
// 4/3), for the <img> width and height.
func (f *Figure) Size() (width, height int) {
	d, err := f.layout()
	if err != nil {
		return px(plotWidth), px(plotHeight)
	}
	return px(d.w), px(d.h)
}

// Width and Height are Size's, for the page template.
func (f *Figure) Width() int  { w, _ := f.Size(); return w }
func (f *Figure) Height() int { _, h := f.Size(); return h }

func px(l vg.Length) int { return int(math.Ceil(l.Points()*4/3 - 1e-9)) }

// layout builds the plot and legend and sizes the canvas.
func (f *Figure) layout() (*drawing, error) {
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = f.XLabel, f.YLabel
	d := &drawing{p: p, tsty: p.Title.TextStyle, leg: plot.NewLegend()}
	d.leg.Top, d.leg.Left, d.leg.Padding = true, true, vg.Points(2)
	var err error
	var ticks []string // the labels of a categorical x axis
	if f.Heat != nil {
		err = f.drawHeat(p)
		ticks = f.Heat.Cols
	} else {
		d.legend, err = f.drawLines(p)
		ticks = f.XTicks
	}
	if err != nil {
		return nil, err
	}
	extra := rotateTicks(&p.X, ticks)
	d.w, d.h = plotWidth, plotHeight+extra
	if len(d.legend) > 0 {
		d.sizeLegend()
	}
	d.title = wrap(d.tsty, f.Title, d.w-2*gap)
	if d.title != "" {
		d.h += d.tsty.Height(d.title) + gap
	}
	return d, nil
}

// sizeLegend puts the legend to the right of the axes, widening the
// canvas, when it fits beside them within maxWidth; below them, in as many
// columns as fit, otherwise.
func (d *drawing) sizeLegend() {
	em := d.leg.TextStyle.Width(" ")
	var text vg.Length
	for _, it := range d.legend {
		text = max(text, slack(d.leg.TextStyle.Width(it.label)))
	}
	d.colW = d.leg.ThumbnailWidth + em + text + 2*gap
	var rowH vg.Length // as plot.Legend spaces its entries
	for _, it := range d.legend {
		rowH = max(rowH, d.leg.TextStyle.Rectangle(it.label).Max.Y)
	}
	rowH += d.leg.Padding
	n := vg.Length(len(d.legend))
	if plotWidth+d.colW <= maxWidth && n*rowH+gap <= plotHeight {
		d.right, d.cols = true, 1
		d.w += d.colW
		return
	}
	d.w = max(d.w, min(maxWidth, n*d.colW+2*gap), d.colW+2*gap)
	d.cols = max(1, int((d.w-2*gap)/d.colW))
	rows := (len(d.legend) + d.cols - 1) / d.cols
	d.legH = vg.Length(rows)*rowH + gap
	d.h += d.legH + gap
}

// drawLegend draws the legend in cols columns filled top to bottom.
func (d *drawing) drawLegend(c draw.Canvas, cols int) {
	rows := (len(d.legend) + cols - 1) / cols
	for col := range cols {
		leg := d.leg
		for _, it := range d.legend[min(col*rows, len(d.legend)):min((col+1)*rows, len(d.legend))] {
			if it.thumb == nil {
				leg.Add(it.label)
			} else {
				leg.Add(it.label, it.thumb)
			}
		}
		x := c.Min.X + vg.Length(col)*d.colW
		leg.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: c.Min.Y}, Max: vg.Point{X: x + d.colW, Y: c.Max.Y}}})
	}
}

// rotateTicks turns the tick labels of a categorical axis by 45° when
// they would not fit side by side, and returns the height that adds.
func rotateTicks(a *plot.Axis, labels []string) vg.Length {
	if len(labels) == 0 {
		return 0
	}
	var w vg.Length
	for _, l := range labels {
		w = max(w, slack(a.Tick.Label.Width(l)))
	}
	if (w+gap)*vg.Length(len(labels)) <= plotWidth-vg.Inch { // the y axis takes about an inch
		return 0
	}
	flat := a.Tick.Label.Rectangle("Xg").Size().Y
	a.Tick.Label.Rotation, a.Tick.Label.XAlign, a.Tick.Label.YAlign = math.Pi/4, draw.XRight, draw.YTop
	var h vg.Length
	for _, l := range labels {
		h = max(h, a.Tick.Label.Rectangle(l).Size().Y)
	}
	return slack(h) - flat
}

// wrap breaks a title into lines at spaces so that each fits width (with
// slack); a single word wider than that stays whole on its line.
func wrap(sty text.Style, title string, width vg.Length) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(title) {
		if line != "" && slack(sty.Width(line+" "+word)) > width {
			lines, line = append(lines, line), word
			continue
		}
		line = strings.TrimPrefix(line+" "+word, " ")
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// drawLines draws the series (lines, or points for a scatter figure),
// their 95% bands, and a spectrum's null and interval curves, and returns
// the legend: an entry per series when there is more than one (under a
// heading naming the series axis when there is one), and one entry each
// for the dashed null curves and the shaded interval.
func (f *Figure) drawLines(p *plot.Plot) ([]legendItem, error) {
	spec := f.Spec
	if spec.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if spec.LogY {
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	if f.XTicks != nil {
		p.X.Tick.Marker = indexTicks(f.XTicks)
	}
	scatter := spec.Kind == "scatter"
	var items []legendItem
	for i, s := range f.CI {
		if err := addBand(p, s, faded(seriesColor(f, s.Label, i), 0x40)); err != nil {
			return nil, err
		}
	}
	head, trim := legendHeading(f)
	if head != "" && (len(f.Series) > 1 || len(f.Null) > 0 || len(f.CI) > 0) {
		items = append(items, legendItem{label: head})
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
		label := strings.TrimPrefix(s.Label, trim)
		if scatter {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle.Color, sc.GlyphStyle.Shape, sc.GlyphStyle.Radius = c, draw.CircleGlyph{}, vg.Points(3)
			p.Add(sc)
			items = append(items, legendItem{label, sc})
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = c, vg.Points(1.5)
		p.Add(line)
		if len(f.Series) > 1 || len(f.Null) > 0 || len(f.CI) > 0 {
			items = append(items, legendItem{label, line})
		}
	}
	if len(items) == 1 && len(f.Series) == 1 && scatter && len(f.Null) == 0 && len(f.CI) == 0 {
		items = nil // one series of points: the axis label says what they are
	}
	nulls := false
	for i, s := range f.Null {
		xys := points(s)
		if len(xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Dashes, line.Width = seriesColor(f, s.Label, i), plotutil.Dashes(1), vg.Points(1)
		p.Add(line)
		nulls = true
	}
	gray := color.Gray{Y: 0x55}
	if nulls {
		items = append(items, legendItem{"dashed: null", &plotter.Line{
			LineStyle: draw.LineStyle{Color: gray, Width: vg.Points(1), Dashes: plotutil.Dashes(1)}}})
	}
	if len(f.CI) > 0 {
		items = append(items, legendItem{"shaded: interval", &plotter.Line{FillColor: faded(gray, 0x40)}})
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		padLinear(a)
		if isLog(a.Scale) && !(a.Min > 0 && a.Min <= a.Max && finite(a.Max)) { // nothing to show yet: a decade
			a.Min, a.Max = 1, 10
		}
	}
	return items, nil
}

// legendHeading is the series axis of a figure with one, as a legend
// heading, and the "axis=" prefix its entries then leave out.
func legendHeading(f *Figure) (head, trim string) {
	if len(f.Spec.Series) != 1 {
		return "", ""
	}
	trim = f.Spec.Series[0] + "="
	for _, s := range f.Series {
		if !strings.HasPrefix(s.Label, trim) {
			return "", ""
		}
	}
	return f.Spec.Series[0], trim
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
	if h.Plain {
		// A matrix of indices: every fifth tick, no numbers in the cells.
		p.X.Tick.Marker, p.Y.Tick.Marker = everyNth(h.Cols, 5), everyNth(h.Rows, 5)
		return nil
	}
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

// everyNth labels index 1 and every n-th index (the labels are "1", "2",
// ... in any order), so that a large matrix keeps readable ticks.
func everyNth(labels []string, n int) plot.ConstantTicks {
	var t plot.ConstantTicks
	for i, l := range labels {
		if k, _ := strconv.Atoi(l); k == 1 || k%n == 0 {
			t = append(t, plot.Tick{Value: float64(i), Label: l})
		}
	}
	return t
}

// indexTicks labels x = 0, 1, ... with the values of a categorical axis.
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

// svgText is a text element as vgsvg writes it.
var svgText = regexp.MustCompile(`<text (x="[^"]*" y="[^"]*" transform="scale\(1, -1\)")(\s*style="font-family:Liberation Serif;font-variant:normal;font-weight:normal;font-style:normal;font-size:([0-9.]+)px[^"]*")>([^<]*)</text>`)

// fitText gives each text of the default font the width gonum/plot laid it
// out with (textLength, glyphs and spacing scaled): a browser that draws
// it with a wider font than Liberation Serif then neither clips it nor
// lets it overlap its neighbours.
func fitText(svg []byte) []byte {
	return svgText.ReplaceAllFunc(svg, func(m []byte) []byte {
		g := svgText.FindSubmatch(m)
		size, err := strconv.ParseFloat(string(g[3]), 64)
		if err != nil {
			return m
		}
		sty := text.Style{Font: font.From(plot.DefaultFont, font.Length(size)), Handler: plot.DefaultTextHandler}
		w := sty.Width(html.UnescapeString(string(g[4])))
		return fmt.Appendf(nil, `<text %s textLength="%.5g" lengthAdjust="spacingAndGlyphs"%s>%s</text>`, g[1], w.Points(), g[2], g[4])
	})
}
