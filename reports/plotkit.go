package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// This file is the drawing kit the plots share: style, colours, tickers, a
// bar plotter that gonum's BarChart cannot stand in for (per-bar style and a
// non-zero base for log axes), the "no data" panel and PNG rendering.

// dpi is the resolution of every PNG.
const dpi = 110

// width is the width of every plot.
const width = 9 * vg.Inch

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }

// The Okabe-Ito palette: distinguishable with the common colour blindnesses.
var (
	cBlue       = rgb(0x00, 0x72, 0xB2)
	cVermillion = rgb(0xD5, 0x5E, 0x00)
	cGreen      = rgb(0x00, 0x9E, 0x73)
	cOrange     = rgb(0xE6, 0x9F, 0x00)
	cPurple     = rgb(0xCC, 0x79, 0xA7)
	cSky        = rgb(0x56, 0xB4, 0xE9)
	cGray       = rgb(0x70, 0x70, 0x70)
	cBlack      = rgb(0x20, 0x20, 0x20)
	palette     = []color.Color{cBlue, cVermillion, cGreen, cOrange, cPurple, cSky, cBlack, cGray}
)

// priceColor is the colour of each way of paying.
var priceColor = map[priceKind]color.Color{onDemand: cBlue, spot: cSky, own: cGreen}

// isaColor gives each ISA level its colour, the same in every plot.
func isaColor(isa string) color.Color {
	switch isa {
	case "generic":
		return cGray
	case "avx2":
		return cOrange
	case "avx512":
		return cBlue
	case "native":
		return cPurple
	}
	return cVermillion
}

// glyphs are the point shapes series cycle through.
var glyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.BoxGlyph{}}

// pale mixes c with white, for catalogued estimates.
func pale(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8)*45/100 + 255*55/100) }
	return color.RGBA{mix(r), mix(g), mix(b), 255}
}

var dashes = []vg.Length{vg.Points(4), vg.Points(3)}

// newPlot makes a plot with the house style.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.TextHandler = textHandler
	p.Title.Text = title
	sans(&p.Title.TextStyle, 15)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xlabel
	if ylabel != "" {
		// gonum/plot pads a log axis for its label as if the label sat at
		// the arithmetic middle of the range, which leaves a gap above the
		// data; so the y label is written across, above the axis.
		p.Title.Padding = vg.Points(24)
		p.Add(yTitle(ylabel))
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		sans(&a.Label.TextStyle, 12)
		sans(&a.Tick.Label, 10.5)
	}
	sans(&p.Legend.TextStyle, 10.5)
	p.Legend.Top = true
	p.Legend.ThumbnailWidth = vg.Points(18)
	p.Add(plotter.NewGrid())
	return p
}

// yTitle writes the y-axis label horizontally above the top of the y axis.
type yTitle string

func (t yTitle) Plot(c draw.Canvas, p *plot.Plot) {
	var sty text.Style
	sty.Color = cBlack
	sty.Handler = p.TextHandler
	sans(&sty, 12)
	c.FillText(sty, vg.Point{X: c.Min.X - vg.Points(8), Y: c.Max.Y + vg.Points(8)}, string(t))
}

// styleGrid lightens the grid lines added by newPlot.
func init() {
	plotter.DefaultGridLineStyle.Color = color.Gray{0xdd}
}

// noData is a titled panel saying why there is nothing to draw.
func noData(title, reason string) *plot.Plot {
	p := plot.New()
	p.TextHandler = textHandler
	p.Title.Text = title
	sans(&p.Title.TextStyle, 15)
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: 0.5, Y: 0.5}}, Labels: []string{"no data: " + reason}})
	if err == nil {
		sans(&l.TextStyle[0], 13)
		l.TextStyle[0].Color = cGray
		l.TextStyle[0].XAlign = draw.XCenter
		l.TextStyle[0].YAlign = draw.YCenter
		p.Add(l)
	}
	p.Add(frame{})
	return p
}

// frame draws a light border round the data area of a no-data panel.
type frame struct{}

func (frame) Plot(c draw.Canvas, _ *plot.Plot) {
	r := c.Rectangle
	pts := []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min}
	c.StrokeLines(draw.LineStyle{Color: color.Gray{0xbb}, Width: vg.Points(1), Dashes: dashes}, pts)
}

// renderPNG draws the plots stacked top to bottom, each panelHeight tall.
func renderPNG(panelHeight vg.Length, plots ...*plot.Plot) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(width, panelHeight*vg.Length(len(plots))), vgimg.UseDPI(dpi))
	// A margin so tick labels and legends never touch the image's edge.
	m := vg.Points(6)
	dc := draw.Crop(draw.New(c), m, -m, m/2, -m/2)
	if len(plots) == 1 {
		plots[0].Draw(dc)
	} else {
		rows := make([][]*plot.Plot, len(plots))
		for i, p := range plots {
			rows[i] = []*plot.Plot{p}
		}
		tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(10)}
		canvases := plot.Align(rows, tiles, dc)
		for i, p := range plots {
			p.Draw(canvases[i][0])
		}
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// fmtTick formats an axis value with at most three significant digits and
// no trailing zeros.
func fmtTick(v float64) string { return trimZeros(sig(v)) }

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fmtMoneyTick formats a dollar axis value as FormatUSD picks its unit,
// without trailing zeros: "$2", "$0.50", "5¢", "20 µ$".
func fmtMoneyTick(v float64) string {
	switch a := math.Abs(v); {
	case a >= 0.1 || v == 0:
		s := fmtTick(v)
		if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i == 2 {
			s += "0"
		}
		return "$" + s
	case a >= 0.001:
		return fmtTick(100*v) + "¢"
	default:
		return fmtTick(1e6*v) + " µ$"
	}
}

// linTicks label steps of 1, 2 or 5 times a power of ten (at most seven
// labels) with an unlabelled tick between, formatted by format.
type linTicks struct{ format func(float64) string }

func (t linTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: t.format(lo)}}
	}
	p := math.Pow(10, math.Floor(math.Log10((hi-lo)/7)))
	step := 10 * p
	for _, m := range []float64{1, 2, 5} {
		if (hi-lo)/(m*p) <= 7 {
			step = m * p
			break
		}
	}
	var ts []plot.Tick
	for i := math.Ceil(lo/step*2 - 1e-9); i/2*step <= hi*(1+1e-12)+1e-300; i++ {
		v := i / 2 * step
		if v == 0 {
			v = 0 // not -0
		}
		tk := plot.Tick{Value: v}
		if int(i)%2 == 0 {
			tk.Label = t.format(v)
		}
		ts = append(ts, tk)
	}
	return ts
}

// logTicks labels 1-2-5 steps on narrow log axes and powers of ten on wide
// ones, with unlabelled minor ticks between, formatted by format.
type logTicks struct{ format func(float64) string }

func (t logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	d0, d1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	steps := []float64{1}
	switch span := math.Log10(hi / lo); {
	case span < 0.7:
		steps = []float64{1, 1.5, 2, 3, 5, 7}
	case span < 2.5:
		steps = []float64{1, 2, 5}
	}
	var ts []plot.Tick
	for d := d0; d <= d1; d++ {
		base := math.Pow(10, float64(d))
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			tk := plot.Tick{Value: v}
			for _, s := range steps {
				if float64(m) == s {
					tk.Label = t.format(v)
				}
			}
			ts = append(ts, tk)
		}
	}
	return ts
}

// intTicks puts a labelled tick at each of the given integers.
type intTicks []int

func (t intTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for _, v := range t {
		if float64(v) >= lo && float64(v) <= hi {
			ts = append(ts, plot.Tick{Value: float64(v), Label: strconv.Itoa(v)})
		}
	}
	return ts
}

// logAxis makes a a log axis spanning lo..hi padded by a factor, with log ticks.
func logAxis(a *plot.Axis, lo, hi, pad float64, format func(float64) string) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{format}
	a.Min, a.Max = lo/pad, hi*pad
}

// bar is one bar of a bars plotter.
type bar struct {
	Cat         float64 // centre on the category axis
	Base, Value float64 // span on the value axis
	Color       color.Color
	Pale        bool // a catalogued estimate: pale fill, dashed outline
}

// bars draws rectangles in data coordinates with per-bar colour and style.
type bars struct {
	Bars       []bar
	Thickness  float64 // on the category axis, in data units
	Horizontal bool
}

func barStyle(b bar) (color.Color, draw.LineStyle) {
	ls := draw.LineStyle{Color: cBlack, Width: vg.Points(0.8)}
	if b.Pale {
		ls.Dashes = []vg.Length{vg.Points(2.5), vg.Points(2)}
		ls.Color = b.Color
		return pale(b.Color), ls
	}
	return b.Color, ls
}

func (bs *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, b := range bs.Bars {
		c0, c1 := b.Cat-bs.Thickness/2, b.Cat+bs.Thickness/2
		var x0, x1, y0, y1 vg.Length
		if bs.Horizontal {
			x0, x1, y0, y1 = trX(b.Base), trX(b.Value), trY(c0), trY(c1)
		} else {
			x0, x1, y0, y1 = trX(c0), trX(c1), trY(b.Base), trY(b.Value)
		}
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		fill, line := barStyle(b)
		c.FillPolygon(fill, c.ClipPolygonXY(pts))
		c.StrokeLines(line, c.ClipLinesXY(append(pts, pts[0]))...)
	}
}

func (bs *bars) DataRange() (xmin, xmax, ymin, ymax float64) {
	cmin, cmax := math.Inf(1), math.Inf(-1)
	vmin, vmax := math.Inf(1), math.Inf(-1)
	for _, b := range bs.Bars {
		cmin, cmax = min(cmin, b.Cat-bs.Thickness/2), max(cmax, b.Cat+bs.Thickness/2)
		vmin, vmax = min(vmin, b.Base, b.Value), max(vmax, b.Base, b.Value)
	}
	if bs.Horizontal {
		return vmin, vmax, cmin, cmax
	}
	return cmin, cmax, vmin, vmax
}

// swatch is a legend thumbnail for bars.
type swatch bar

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	pts := []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}}
	fill, line := barStyle(bar(s))
	c.FillPolygon(fill, c.ClipPolygonXY(pts))
	c.StrokeLines(line, c.ClipLinesXY(append(pts, pts[0]))...)
}

// xyErr holds points with low/high error distances on one or both axes.
type xyErr struct {
	plotter.XYs
	plotter.XErrors
	plotter.YErrors
}

// scatter makes a scatter of pts with a glyph shape and colour.
func scatter(pts plotter.XYs, shape draw.GlyphDrawer, c color.Color, radius vg.Length) *plotter.Scatter {
	s, err := plotter.NewScatter(pts)
	if err != nil {
		panic(err) // only for NaN/Inf, which Validate rules out
	}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Shape: shape, Radius: radius}
	return s
}

// line makes a line through pts.
func line(pts plotter.XYs, c color.Color, w vg.Length, dashed bool) *plotter.Line {
	l, err := plotter.NewLine(pts)
	if err != nil {
		panic(err) // only for NaN/Inf, which Validate rules out
	}
	l.LineStyle = draw.LineStyle{Color: c, Width: w}
	if dashed {
		l.LineStyle.Dashes = dashes
	}
	return l
}

// labels places text at points, in size pt, aligned to the right of each
// point unless left is set.
func labels(pts plotter.XYs, text []string, size font.Length, c color.Color, left bool) *plotter.Labels {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: text})
	if err != nil {
		panic(err)
	}
	for i := range l.TextStyle {
		sans(&l.TextStyle[i], size)
		l.TextStyle[i].Color = c
		l.TextStyle[i].YAlign = draw.YCenter
		if left {
			l.TextStyle[i].XAlign = draw.XRight
		}
	}
	if left {
		l.Offset = vg.Point{X: -vg.Points(6)}
	} else {
		l.Offset = vg.Point{X: vg.Points(6)}
	}
	return l
}

// sansFont is the typeface of every plot.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// sans sets a text style to the house typeface at size.
func sans(s *text.Style, size font.Length) {
	s.Font = font.From(sansFont, size)
	s.Handler = textHandler
}

// textHandler is gonum's plain text handler with every space drawn as a
// no-break space: the rasteriser kerns "A" against a plain space in
// Liberation Sans until the space vanishes ("NVIDIA A10G" reads
// "NVIDIAA10G"), and the no-break space has no kerning pairs.
var textHandler = nbspText{text.Plain{Fonts: font.DefaultCache}}

type nbspText struct{ text.Plain }

var toNBSP = strings.NewReplacer(" ", "\u00a0")

func (h nbspText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	return h.Plain.Box(toNBSP.Replace(txt), fnt)
}

func (h nbspText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	h.Plain.Draw(c, toNBSP.Replace(txt), sty, pt)
}

// tag is a text label attached to a point of a tags plotter.
type tag struct {
	X, Y  float64
	Text  string
	Color color.Color
	Size  font.Length
}

// tags places labels beside points without letting them overlap each other
// or the points: each label takes the first free spot of right, left, above,
// below and the diagonals (or, with RightOnly, the right side shifted up or
// down), falling back to the right when all are taken.
type tags struct {
	Tags      []tag
	Avoid     plotter.XYs // points labels must keep clear of
	RightOnly bool
}

// slopeText writes text along the segment from (X0, Y0) to (X1, Y1), centred
// at fraction At of its length and sitting just above it.
// Where the label would cover a point of Avoid, it slides along the segment
// to the nearest place that covers none (or fewest).
type slopeText struct {
	X0, Y0, X1, Y1 float64
	At             float64
	Text           string
	Size           font.Length
	Avoid          plotter.XYs
}

func (s slopeText) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x0, y0, x1, y1 := trX(s.X0), trY(s.Y0), trX(s.X1), trY(s.Y1)
	angle := math.Atan2(float64(y1-y0), float64(x1-x0))
	var sty text.Style
	sty.Color = cBlack
	sty.Rotation = angle
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YBottom
	sans(&sty, s.Size)
	sty.Handler = p.TextHandler
	w, h := float64(sty.Width(s.Text)), float64(sty.Height(s.Text))
	gap := 3.0 // points between the line and the text
	dx, dy := math.Cos(angle), math.Sin(angle)
	nx, ny := -dy, dx // the side the text sits on
	var avoid []vg.Point
	for _, a := range s.Avoid {
		avoid = append(avoid, vg.Point{X: trX(a.X), Y: trY(a.Y)})
	}
	place := func(at float64) (vg.Point, float64) {
		base := vg.Point{X: x0 + vg.Length(at)*(x1-x0), Y: y0 + vg.Length(at)*(y1-y0)}
		// The label's centre line, and how many points lie within its box
		// (plus a glyph's radius).
		cx, cy := float64(base.X)+(gap+h/2)*nx, float64(base.Y)+(gap+h/2)*ny
		cost := 0.0
		for _, a := range avoid {
			rx, ry := float64(a.X)-cx, float64(a.Y)-cy
			along, across := rx*dx+ry*dy, rx*nx+ry*ny
			if math.Abs(along) < w/2+8 && math.Abs(across) < h/2+8 {
				cost++
			}
		}
		for _, e := range []float64{-w / 2, w / 2} {
			if ex, ey := cx+e*dx, cy+e*dy; ex < float64(c.Min.X) || ex > float64(c.Max.X) || ey < float64(c.Min.Y) || ey > float64(c.Max.Y) {
				cost += 100
			}
		}
		return vg.Point{X: base.X + vg.Length(gap*nx), Y: base.Y + vg.Length(gap*ny)}, cost
	}
	best, bestCost := place(s.At)
	for k := 1; bestCost > 0 && k <= 16; k++ {
		for _, at := range []float64{s.At - 0.05*float64(k), s.At + 0.05*float64(k)} {
			if at < 0.08 || at > 0.92 {
				continue
			}
			if pt, cost := place(at); cost < bestCost {
				best, bestCost = pt, cost
			}
		}
	}
	c.FillText(sty, best, s.Text)
}

// nameTags labels each point with its text in black, keeping clear of all
// of the points.
func nameTags(pts plotter.XYs, text []string, size font.Length) *tags {
	t := &tags{Avoid: pts}
	for i, q := range pts {
		t.Tags = append(t.Tags, tag{X: q.X, Y: q.Y, Text: text[i], Color: cBlack, Size: size})
	}
	return t
}

func (t *tags) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	var taken []vg.Rectangle
	r := vg.Points(4.5)
	for _, a := range t.Avoid {
		x, y := trX(a.X), trY(a.Y)
		taken = append(taken, vg.Rectangle{Min: vg.Point{X: x - r, Y: y - r}, Max: vg.Point{X: x + r, Y: y + r}})
	}
	overlap := func(a vg.Rectangle) vg.Length {
		var area vg.Length
		for _, b := range taken {
			dx := min(a.Max.X, b.Max.X) - max(a.Min.X, b.Min.X)
			dy := min(a.Max.Y, b.Max.Y) - max(a.Min.Y, b.Min.Y)
			if dx > 0 && dy > 0 {
				area += dx * dy
			}
		}
		return area
	}
	inside := func(a vg.Rectangle) bool {
		return a.Min.X >= c.Min.X && a.Max.X <= c.Max.X && a.Min.Y >= c.Min.Y && a.Max.Y <= c.Max.Y
	}
	for _, tg := range t.Tags {
		var sty text.Style
		sty.Color = tg.Color
		sty.Handler = p.TextHandler
		sans(&sty, tg.Size)
		w, h := sty.Width(tg.Text), sty.Height(tg.Text)
		x, y := trX(tg.X), trY(tg.Y)
		g := vg.Points(6)
		var cands []vg.Point // bottom-left corners
		if t.RightOnly {
			cands = append(cands, vg.Point{X: x + g, Y: y - h/2})
			for k := 1; k <= 8; k++ {
				d := vg.Length(k) * h / 2
				cands = append(cands, vg.Point{X: x + g, Y: y - h/2 + d}, vg.Point{X: x + g, Y: y - h/2 - d})
			}
		} else {
			cands = []vg.Point{
				{X: x + g, Y: y - h/2}, {X: x - g - w, Y: y - h/2},
				{X: x - w/2, Y: y + g}, {X: x - w/2, Y: y - g - h},
				{X: x + g*0.7, Y: y + g*0.7}, {X: x + g*0.7, Y: y - g*0.7 - h},
				{X: x - g*0.7 - w, Y: y + g*0.7}, {X: x - g*0.7 - w, Y: y - g*0.7 - h},
				{X: x - w/2, Y: y + g + h}, {X: x - w/2, Y: y - g - 2*h},
				{X: x + g, Y: y + h}, {X: x + g, Y: y - 2*h},
			}
		}
		// The first free spot, else the one overlapping least.
		best, bestCost := cands[0], vg.Length(math.Inf(1))
		for _, cd := range cands {
			rect := vg.Rectangle{Min: cd, Max: vg.Point{X: cd.X + w, Y: cd.Y + h}}
			cost := overlap(rect)
			if !inside(rect) {
				cost += w * h
			}
			if cost < bestCost {
				best, bestCost = cd, cost
			}
			if cost == 0 {
				break
			}
		}
		box := vg.Rectangle{Min: best, Max: vg.Point{X: best.X + w, Y: best.Y + h}}
		taken = append(taken, box)
		// A translucent white backing keeps the text readable over lines.
		pad := vg.Points(1.5)
		c.FillPolygon(color.NRGBA{255, 255, 255, 200}, []vg.Point{
			{X: box.Min.X - pad, Y: box.Min.Y}, {X: box.Max.X + pad, Y: box.Min.Y},
			{X: box.Max.X + pad, Y: box.Max.Y}, {X: box.Min.X - pad, Y: box.Max.Y}})
		c.FillText(sty, best, tg.Text)
	}
}
