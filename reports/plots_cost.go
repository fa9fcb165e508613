package reports

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// workloadPlots are the file-name prefixes of a workload's plots, in page
// order; none is a prefix of another, so distinct workload slugs give
// distinct files.
var workloadPlots = []string{"price-", "tradeoff-", "buy-vs-rent-", "trend-", "scale-out-"}

// kernelFiles are the machine's kernel plots, in page order.
var kernelFiles = []string{"thread-scaling.png", "roofline.png", "isa-speedup.png"}

// workloadFiles names a workload's plot files, in page order.
func workloadFiles(name string) []string {
	out := make([]string, len(workloadPlots))
	for i, p := range workloadPlots {
		out[i] = p + slug(name) + ".png"
	}
	return out
}

// figure is one rendered plot and what the page says about it.
type figure struct {
	File    string // file name in the report folder
	Title   string // heading and alt text
	Caption string // one sentence on how to read it
	PNG     []byte
	W, H    int // pixel size, for the page's layout
}

// render draws the plots into a figure.
func render(file, title, caption string, panelHeight vg.Length, plots ...*plot.Plot) (figure, error) {
	b, err := renderPNG(panelHeight, plots...)
	if err != nil {
		return figure{}, fmt.Errorf("%s: %w", file, err)
	}
	return figure{File: file, Title: title, Caption: caption, PNG: b}, nil
}

// timeAxisUnit picks the unit a time axis is drawn in from its largest value.
func timeAxisUnit(maxSeconds float64) timeUnit { return unitFor(maxSeconds) }

// pricePlot is plot 1: price per epoch by option, cheapest at the top, the
// three ways of paying side by side, whiskers for the interval.
func pricePlot(w *Workload, q perEpochs) (figure, error) {
	title := "Price " + q.String() + ": " + w.Name
	file := workloadFiles(w.Name)[0]
	caption := "Bars are the central estimate, whiskers the low–high interval; solid bars were measured on this machine, pale dashed bars are catalogued estimates. Cheapest headline price first."
	opts := byPrice(w.Options)
	var bs bars
	bs.Horizontal = true
	bs.Thickness = 0.26
	var whisk xyErr
	names := make([]string, len(opts))
	any := false
	xmax := 0.0
	for i, o := range opts {
		pos := float64(len(opts) - 1 - i)
		names[len(opts)-1-i] = o.Name
		if o.Kind == Measured {
			names[len(opts)-1-i] += " (measured)"
		}
		if _, _, ok := o.headline(); !ok {
			names[len(opts)-1-i] += " (no price)"
		}
		// The ways of paying the option has, centred on its name.
		var ks []priceKind
		for _, k := range priceKinds {
			if o.price(k).OK() {
				ks = append(ks, k)
			}
		}
		for j, k := range ks {
			r := o.price(k)
			any = true
			xmax = max(xmax, r.High*float64(q))
			c := pos + 0.28*(float64(len(ks)-1)/2-float64(j))
			bs.Bars = append(bs.Bars, bar{Cat: c, Base: 0, Value: r.Mid * float64(q), Color: priceColor[k], Pale: o.Kind != Measured})
			if r.High > r.Low {
				whisk.XYs = append(whisk.XYs, plotter.XY{X: r.Mid * float64(q), Y: c})
				whisk.XErrors = append(whisk.XErrors, struct{ Low, High float64 }{(r.Mid - r.Low) * float64(q), (r.High - r.Mid) * float64(q)})
			}
		}
	}
	height := vg.Length(1.6)*vg.Inch + vg.Length(len(opts))*0.5*vg.Inch
	if !any {
		reason := "no hardware option was priced for this workload"
		if len(opts) > 0 {
			reason = "none of the options has a price"
		}
		return render(file, title, caption, 3*vg.Inch, noData(title, reason))
	}
	p := newPlot(title, "price "+q.String()+" (US $)", "")
	p.Add(&bs)
	if len(whisk.XYs) > 0 {
		eb, err := plotter.NewXErrorBars(whisk)
		if err != nil {
			return figure{}, err
		}
		eb.LineStyle.Color = cBlack
		eb.LineStyle.Width = vg.Points(1)
		eb.CapWidth = vg.Points(5)
		p.Add(eb)
	}
	p.NominalY(names...)
	p.X.Min, p.X.Max = 0, xmax*1.04
	p.X.Tick.Marker = linTicks{fmtMoneyTick}
	p.Y.Min, p.Y.Max = -0.6, float64(len(opts))-0.4
	for _, k := range priceKinds {
		p.Legend.Add(k.String(), swatch{Color: priceColor[k]})
	}
	p.Legend.Add("measured", swatch{Color: cGray})
	p.Legend.Add("catalogued estimate", swatch{Color: cGray, Pale: true})
	return render(file, title, caption, max(height, 3*vg.Inch), p)
}

// headlineAxisLabel says which price a "headline" axis shows.
func headlineAxisLabel(opts []Option, q perEpochs) string {
	var usedOwn, usedSpot bool
	for _, o := range opts {
		if _, k, ok := o.headline(); ok {
			usedOwn = usedOwn || k == own
			usedSpot = usedSpot || k == spot
		}
	}
	switch {
	case usedOwn && usedSpot:
		return "price " + q.String() + " (US $, on demand; owned or spot where not rentable)"
	case usedOwn:
		return "price " + q.String() + " (US $, on demand; owned where not rentable)"
	case usedSpot:
		return "price " + q.String() + " (US $, on demand; spot where not on demand)"
	}
	return "price " + q.String() + " (US $, on demand)"
}

// scaled multiplies a price per epoch by the quote's number of epochs.
func scaled(r Range, q perEpochs) Range {
	f := float64(q)
	return Range{r.Low * f, r.Mid * f, r.High * f}
}

// shorten cuts s to at most n characters, ending it with "…", so that a
// legend entry cannot run off the canvas (gonum/plot right-aligns legends
// and clips what passes the left edge).
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// spanOf returns the smallest and largest of vs.
func spanOf(vs ...float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// tradeoffPlot is plot 2: time against price per epoch, the Pareto frontier
// drawn and labelled.
func tradeoffPlot(w *Workload, q perEpochs) (figure, error) {
	title := "Time versus price per epoch: " + w.Name
	file := workloadFiles(w.Name)[1]
	caption := "Each point is one option, whiskers its interval. The dashed line joins the Pareto frontier: the options no other option beats on both time and price."
	var meas, cat xyErr
	var times, prices []float64
	var ts []float64
	for _, o := range w.Options {
		if plotted(&o) {
			ts = append(ts, o.Seconds.High)
		}
	}
	if len(ts) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no option has both a time and a price"))
	}
	_, tmax := spanOf(ts...)
	u := timeAxisUnit(tmax)
	for _, o := range w.Options {
		if !plotted(&o) {
			continue
		}
		pr, _, _ := o.headline()
		pr = scaled(pr, q)
		d := &cat
		if o.Kind == Measured {
			d = &meas
		}
		s := o.Seconds
		d.XYs = append(d.XYs, plotter.XY{X: s.Mid / u.seconds, Y: pr.Mid})
		d.XErrors = append(d.XErrors, struct{ Low, High float64 }{(s.Mid - s.Low) / u.seconds, (s.High - s.Mid) / u.seconds})
		d.YErrors = append(d.YErrors, struct{ Low, High float64 }{pr.Mid - pr.Low, pr.High - pr.Mid})
		times = append(times, s.Low/u.seconds, s.High/u.seconds)
		prices = append(prices, pr.Low, pr.High)
	}
	p := newPlot(title, "time per epoch ("+u.name+")", headlineAxisLabel(w.Options, q))
	tlo, thi := spanOf(times...)
	plo, phi := spanOf(prices...)
	logAxis(&p.X, tlo, thi, 1.6, fmtTick)
	logAxis(&p.Y, plo, phi, 1.6, fmtMoneyTick)
	front := pareto(w.Options)
	onFront := map[string]bool{}
	var fpts plotter.XYs
	for _, o := range front {
		pr, _, _ := o.headline()
		fpts = append(fpts, plotter.XY{X: o.Seconds.Mid / u.seconds, Y: pr.Mid * float64(q)})
		onFront[o.Name] = true
	}
	if len(fpts) > 1 {
		l := line(fpts, cBlack, vg.Points(1.2), true)
		p.Add(l)
		p.Legend.Add("Pareto frontier", l)
	}
	for _, d := range []struct {
		xy    xyErr
		name  string
		shape draw.GlyphDrawer
		c     color.Color
	}{{cat, "catalogued estimate", draw.RingGlyph{}, cBlue}, {meas, "measured on this machine", draw.CircleGlyph{}, cVermillion}} {
		if len(d.xy.XYs) == 0 {
			continue
		}
		if err := addErrorBars(p, d.xy, d.c); err != nil {
			return figure{}, err
		}
		s := scatter(d.xy.XYs, d.shape, d.c, vg.Points(4.5))
		p.Add(s)
		p.Legend.Add(d.name, s)
	}
	// Frontier names first (in black) so they get the best spots.
	tg := &tags{Avoid: append(append(plotter.XYs{}, meas.XYs...), cat.XYs...)}
	for _, pass := range []bool{true, false} {
		for _, o := range byPrice(w.Options) {
			if !plotted(&o) || onFront[o.Name] != pass {
				continue
			}
			pr, _, _ := o.headline()
			c, size := cGray, 9.5
			if pass {
				c, size = cBlack, 10.5
			}
			tg.Tags = append(tg.Tags, tag{X: o.Seconds.Mid / u.seconds, Y: pr.Mid * float64(q), Text: o.Name, Color: c, Size: font.Length(size)})
		}
	}
	p.Add(tg)
	return render(file, title, caption, 5*vg.Inch, p)
}

// addErrorBars adds whiskers for the points of d that have an interval.
func addErrorBars(p *plot.Plot, d xyErr, c color.Color) error {
	var xs, ys xyErr
	for i, pt := range d.XYs {
		if d.XErrors != nil && d.XErrors[i].Low+d.XErrors[i].High > 0 {
			xs.XYs = append(xs.XYs, pt)
			xs.XErrors = append(xs.XErrors, d.XErrors[i])
		}
		if d.YErrors != nil && d.YErrors[i].Low+d.YErrors[i].High > 0 {
			ys.XYs = append(ys.XYs, pt)
			ys.YErrors = append(ys.YErrors, d.YErrors[i])
		}
	}
	style := draw.LineStyle{Color: c, Width: vg.Points(0.8)}
	if len(xs.XYs) > 0 {
		eb, err := plotter.NewXErrorBars(xs)
		if err != nil {
			return err
		}
		eb.LineStyle, eb.CapWidth = style, vg.Points(4)
		p.Add(eb)
	}
	if len(ys.XYs) > 0 {
		eb, err := plotter.NewYErrorBars(ys)
		if err != nil {
			return err
		}
		eb.LineStyle, eb.CapWidth = style, vg.Points(4)
		p.Add(eb)
	}
	return nil
}

// buyRentPlot is plot 6: cumulative cost of owning against renting, with the
// break-even points marked.
func buyRentPlot(w *Workload, _ perEpochs) (figure, error) {
	title := "Buy versus rent: " + w.Name
	file := workloadFiles(w.Name)[2]
	b := w.BuyVsRent
	if b == nil || len(b.Points) == 0 {
		caption := "Cumulative cost of owning against renting over months of use."
		return render(file, title, caption, 3*vg.Inch, noData(title, "no buy-versus-rent series for this workload"))
	}
	caption := "Cumulative cost of owning " + b.Option + " (purchase, then energy) against renting it"
	if b.Use != "" {
		caption += ", at " + b.Use
	}
	caption += "; a marked point is where owning becomes cheaper."
	title += " (" + b.Option + ")"
	p := newPlot(title, "months of use", "cumulative cost (US $)")
	p.Legend.Left = true
	type series struct {
		name string
		get  func(CostPoint) float64
		c    color.Color
	}
	all := []series{
		{"own", func(q CostPoint) float64 { return q.Own }, priceColor[own]},
		{"rent on demand", func(q CostPoint) float64 { return q.OnDemand }, priceColor[onDemand]},
		{"rent spot", func(q CostPoint) float64 { return q.Spot }, priceColor[spot]},
	}
	var mpts plotter.XYs
	var mtxt []string
	for i, s := range all {
		var pts plotter.XYs
		has := false
		for _, q := range b.Points {
			pts = append(pts, plotter.XY{X: q.Month, Y: s.get(q)})
			has = has || s.get(q) > 0
		}
		if !has {
			continue
		}
		l := line(pts, s.c, vg.Points(2), false)
		p.Add(l)
		p.Legend.Add(s.name, l)
		if i == 0 {
			continue
		}
		if m, d, ok := breakEven(b.Points, s.get); ok {
			mpts = append(mpts, plotter.XY{X: m, Y: d})
			mtxt = append(mtxt, "break-even vs "+s.name+": "+sig(m)+" months")
		}
	}
	if len(mpts) > 0 {
		sc := scatter(mpts, draw.CircleGlyph{}, cVermillion, vg.Points(5))
		p.Add(sc)
		p.Legend.Add("break-even", sc)
		p.Add(nameTags(mpts, mtxt, 10.5))
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Tick.Marker = linTicks{fmtTick}
	p.Y.Tick.Marker = linTicks{fmtMoneyTick}
	return render(file, title, caption, 5*vg.Inch, p)
}

// classColors are the colours of the hardware classes on the trend plot, in
// the order of their names (vermillion marks what was measured).
var classColors = []color.Color{cGreen, cBlue, cOrange, cPurple, cSky, cGray}

// trendPlot is plot 7: price per epoch against release year on a log axis,
// coloured by hardware class, with each class's fitted trend.
func trendPlot(w *Workload, q perEpochs) (figure, error) {
	title := "Price " + q.String() + " by hardware release year: " + w.Name
	file := workloadFiles(w.Name)[3]
	caption := "Each point is an option at its headline price (on demand where rentable) against the year the hardware came out, coloured by hardware class; a dashed line is the least-squares fit of log price on year within one class, drawn where the class has options from two years or more."
	classes := trendClasses(w)
	if len(classes) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no priced option has a release year"))
	}
	// Colours follow the class names, so a class looks the same in every
	// workload's plot.
	sort.Slice(classes, func(i, j int) bool { return classes[i].name < classes[j].name })
	colorOf := map[string]color.Color{}
	for i, c := range classes {
		colorOf[c.name] = classColors[i%len(classColors)]
	}
	p := newPlot(title, "release year", headlineAxisLabel(w.Options, q)+", log scale")
	p.Legend.Top, p.Legend.Left = true, false
	var pts plotter.XYs
	var names []string
	var ys []float64
	var yl []int
	years := map[int]bool{}
	byClass := map[string]plotter.XYs{}
	var meas plotter.XYs
	for _, o := range byPrice(w.Options) {
		pr, _, ok := o.headline()
		if !ok || o.ReleaseYear == 0 {
			continue
		}
		xy := plotter.XY{X: float64(o.ReleaseYear), Y: pr.Mid * float64(q)}
		pts = append(pts, xy)
		names = append(names, o.Name)
		ys = append(ys, xy.Y)
		byClass[o.Class] = append(byClass[o.Class], xy)
		if o.Kind == Measured {
			meas = append(meas, xy)
		}
		if !years[o.ReleaseYear] {
			years[o.ReleaseYear] = true
			yl = append(yl, o.ReleaseYear)
		}
	}
	sort.Ints(yl)
	lo, hi := spanOf(ys...)
	// The fitted lines, sampled so the names keep clear of them.
	var avoid plotter.XYs
	fitName := map[string]string{}
	for _, t := range w.PriceTrends {
		x0, x1 := float64(t.FirstYear), float64(t.LastYear)
		f := func(x float64) float64 { return math.Exp2(t.Intercept+t.Slope*x) * float64(q) }
		c, ok := colorOf[t.Class]
		if !ok {
			c = cBlack
		}
		p.Add(line(plotter.XYs{{X: x0, Y: f(x0)}, {X: x1, Y: f(x1)}}, c, vg.Points(1.5), true))
		for k := 0; k <= 24; k++ {
			x := x0 + (x1-x0)*float64(k)/24
			avoid = append(avoid, plotter.XY{X: x, Y: f(x)})
		}
		name := "rises " + sig(math.Exp2(t.Slope)) + "× a year"
		if t.HalvingYears > 0 {
			name = "halves every " + sig(t.HalvingYears) + " years"
		}
		fitName[t.Class] = name
		lo, hi = min(lo, f(x0), f(x1)), max(hi, f(x0), f(x1))
	}
	for _, c := range classes {
		label := c.name
		if label == "" {
			label = "other"
		}
		if n, ok := fitName[c.name]; ok {
			label += " (fit: price " + n + ")"
		} else {
			label += " (too few options for a fit)"
		}
		sc := scatter(byClass[c.name], draw.CircleGlyph{}, colorOf[c.name], vg.Points(4))
		p.Add(sc)
		if _, ok := fitName[c.name]; ok {
			p.Legend.Add(label, sc, line(nil, colorOf[c.name], vg.Points(1.5), true))
		} else {
			p.Legend.Add(label, sc)
		}
	}
	if len(meas) > 0 {
		m := scatter(meas, draw.RingGlyph{}, cVermillion, vg.Points(6.5))
		m.GlyphStyle.Radius = vg.Points(6.5)
		p.Add(m)
		p.Legend.Add("measured on this machine", m)
	}
	tg := nameTags(pts, names, 9.5)
	tg.Avoid = append(tg.Avoid, avoid...)
	p.Add(tg)
	logAxis(&p.Y, lo, hi, 2, fmtMoneyTick)
	// Headroom above for the legend.
	p.Y.Max *= math.Pow(hi/lo, 0.35) * 1.5
	p.X.Tick.Marker = intTicks(yl)
	// Room on the right for the last year's labels.
	p.X.Min, p.X.Max = float64(yl[0])-0.5, float64(yl[len(yl)-1])+1.5
	return render(file, title, caption, 5.5*vg.Inch, p)
}

// scaleOutPlot is plot 8: time and price per epoch against machine count,
// two panels sharing the machine axis.
func scaleOutPlot(w *Workload, quote perEpochs) (figure, error) {
	title := "Scale-out: " + w.Name
	file := workloadFiles(w.Name)[4]
	caption := "Time per epoch (top) and on-demand price " + quote.String() + " (bottom) against the number of machines, data parallel; dashed lines in the top panel are perfect linear scaling."
	link, shared := sharedInterconnect(w.ScaleOut)
	if shared && link != "" {
		caption += " The machines are linked by " + link + "."
	}
	var series []ScaleSeries
	for _, s := range w.ScaleOut {
		if len(s.Points) > 0 {
			series = append(series, s)
		}
	}
	if len(series) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no scale-out estimate for this workload"))
	}
	var tmax float64
	var ns []int
	seen := map[int]bool{}
	for _, s := range series {
		for _, sp := range s.Points {
			tmax = max(tmax, sp.Seconds.High)
			if !seen[sp.Machines] {
				seen[sp.Machines] = true
				ns = append(ns, sp.Machines)
			}
		}
	}
	sort.Ints(ns)
	u := timeAxisUnit(tmax)
	pt := newPlot(title, "", "time per epoch ("+u.name+", log)")
	pp := newPlot(" ", "machines (log scale)", "price "+quote.String()+" (US $, on demand, log)")
	pt.Legend.Top, pt.Legend.Left = true, false
	pp.Legend.Top, pp.Legend.Left = true, true
	var tv, pv []float64
	for i, s := range series {
		c := palette[i%len(palette)]
		pts := append([]ScalePoint(nil), s.Points...)
		sort.Slice(pts, func(a, b int) bool { return pts[a].Machines < pts[b].Machines })
		var txy, pxy xyErr
		var ideal plotter.XYs
		for _, sp := range pts {
			x := float64(sp.Machines)
			if sp.Seconds.OK() {
				txy.XYs = append(txy.XYs, plotter.XY{X: x, Y: sp.Seconds.Mid / u.seconds})
				txy.YErrors = append(txy.YErrors, struct{ Low, High float64 }{(sp.Seconds.Mid - sp.Seconds.Low) / u.seconds, (sp.Seconds.High - sp.Seconds.Mid) / u.seconds})
				tv = append(tv, sp.Seconds.Low/u.seconds, sp.Seconds.High/u.seconds)
				if len(ideal) == 0 {
					ideal = append(ideal, plotter.XY{X: x, Y: sp.Seconds.Mid / u.seconds})
				} else {
					ideal = append(ideal, plotter.XY{X: x, Y: ideal[0].Y * ideal[0].X / x})
				}
			}
			if pr := scaled(sp.Price, quote); pr.OK() {
				pxy.XYs = append(pxy.XYs, plotter.XY{X: x, Y: pr.Mid})
				pxy.YErrors = append(pxy.YErrors, struct{ Low, High float64 }{pr.Mid - pr.Low, pr.High - pr.Mid})
				pv = append(pv, pr.Low, pr.High)
			}
		}
		name := s.Option
		if !shared && s.Interconnect != "" {
			name += " (" + s.Interconnect + ")"
		}
		name = shorten(name, 80)
		g := glyphs[i%len(glyphs)]
		if len(txy.XYs) > 0 {
			if len(ideal) > 1 {
				pt.Add(line(ideal, c, vg.Points(1), true))
			}
			if err := addErrorBars(pt, txy, c); err != nil {
				return figure{}, err
			}
			l, sc := line(txy.XYs, c, vg.Points(2), false), scatter(txy.XYs, g, c, vg.Points(3.5))
			pt.Add(l, sc)
			pt.Legend.Add(name, l, sc)
		}
		if len(pxy.XYs) > 0 {
			if err := addErrorBars(pp, pxy, c); err != nil {
				return figure{}, err
			}
			l, sc := line(pxy.XYs, c, vg.Points(2), false), scatter(pxy.XYs, g, c, vg.Points(3.5))
			pp.Add(l, sc)
		}
	}
	if len(tv) == 0 || len(pv) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "the scale-out estimate has no times or prices"))
	}
	nlo, nhi := float64(ns[0]), float64(ns[len(ns)-1])
	for _, p := range []*plot.Plot{pt, pp} {
		if nhi > nlo {
			p.X.Scale = plot.LogScale{}
			p.X.Tick.Marker = intTicks(ns)
			p.X.Min, p.X.Max = nlo/1.15, nhi*1.15
		} else {
			p.X.Tick.Marker = intTicks(ns)
			p.X.Min, p.X.Max = nlo-1, nhi+1
		}
	}
	lo, hi := spanOf(tv...)
	logAxis(&pt.Y, lo, hi, 1.3, fmtTick)
	lo, hi = spanOf(pv...)
	logAxis(&pp.Y, lo, hi, 1.3, fmtMoneyTick)
	return render(file, title, caption, 4*vg.Inch, pt, pp)
}
