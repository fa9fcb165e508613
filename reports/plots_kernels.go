package reports

import (
	"image/color"
	"math"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// scalingPlot is plot 3: GFLOP/s against threads with each series' ideal
// linear scaling dashed.
func scalingPlot(ks []KernelPoint) (figure, error) {
	const title = "Thread scaling"
	file := kernelFiles[0]
	caption := "GFLOP/s against thread count for the fastest implementation and shape of each kernel and ISA level; dashed lines are perfect linear scaling from the smallest thread count."
	series := threadScaling(ks)
	if len(series) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel was measured at more than one thread count"))
	}
	p := newPlot(title, "threads", "GFLOP/s")
	p.Legend.Left = true
	ends := &tags{RightOnly: true}
	var threads []int
	seen := map[int]bool{}
	top := 0.0
	for i, s := range series {
		g, c := kernelMarker(i) // no two series alike
		var pts, ideal plotter.XYs
		t0, g0 := s.Points[0].Threads, s.Points[0].GFLOPS
		for _, pt := range s.Points {
			pts = append(pts, plotter.XY{X: float64(pt.Threads), Y: pt.GFLOPS})
			ideal = append(ideal, plotter.XY{X: float64(pt.Threads), Y: g0 * float64(pt.Threads) / float64(t0)})
			top = max(top, pt.GFLOPS, ideal[len(ideal)-1].Y)
			if !seen[pt.Threads] {
				seen[pt.Threads] = true
				threads = append(threads, pt.Threads)
			}
		}
		p.Add(line(ideal, c, vg.Points(1), true))
		l := line(pts, c, vg.Points(2), false)
		sc := scatter(pts, g, c, vg.Points(3.5))
		p.Add(l, sc)
		last := pts[len(pts)-1]
		ends.Tags = append(ends.Tags, tag{X: last.X, Y: last.Y, Text: s.Kernel + " " + s.ISA + " (" + s.Impl + ")", Color: c, Size: 10})
		ends.Avoid = append(ends.Avoid, pts...)
	}
	// Label the highest line end first so the others stack around it.
	sort.SliceStable(ends.Tags, func(i, j int) bool { return ends.Tags[i].Y > ends.Tags[j].Y })
	p.Add(ends)
	p.Legend.Add("measured", line(nil, cBlack, vg.Points(2), false))
	p.Legend.Add("ideal linear scaling", line(nil, cBlack, vg.Points(1), true))
	sort.Ints(threads)
	p.X.Tick.Marker = intTicks(threads)
	span := float64(threads[len(threads)-1] - threads[0])
	if span == 0 {
		span = 1
	}
	// Room on the right for the line-end labels.
	p.X.Min, p.X.Max = float64(threads[0])-0.1*span, float64(threads[len(threads)-1])+0.55*span
	p.Y.Min, p.Y.Max = 0, top*1.08
	p.Y.Tick.Marker = linTicks{fmtTick}
	return render(file, title, caption, 5*vg.Inch, p)
}

// rooflinePlot is plot 4: the measured ceilings on log-log axes with, for
// every kernel shape, the fastest variant measured placed by arithmetic
// intensity and GFLOP/s.
func rooflinePlot(ks []KernelPoint, c Ceilings) (figure, error) {
	const title = "Roofline"
	file := kernelFiles[1]
	v := roofline(ks, c)
	caption := "Measured compute ceilings (horizontal, one per ISA level) and bandwidth ceilings (diagonal, one per memory level) at " + strconv.Itoa(v.Threads) + " threads; each point is the fastest implementation and ISA level measured on one kernel shape, with its own colour and shape per kernel."
	if v.Note != "" {
		caption += " Note: " + v.Note + "."
	}
	if len(v.Points) == 0 && len(v.Peaks) == 0 && len(v.Bandwidths) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel results and no measured ceilings"))
	}
	p := newPlot(title+" ("+strconv.Itoa(v.Threads)+" thread"+plural(v.Threads)+")", "arithmetic intensity (FLOP/byte, log scale)", "GFLOP/s (log scale)")
	p.Legend.Left, p.Legend.Top = false, false
	best := bestPerShape(v.Points)
	var xs, ys []float64
	var data plotter.XYs
	for _, k := range best {
		xs = append(xs, k.Intensity)
		ys = append(ys, k.GFLOPS)
		data = append(data, plotter.XY{X: k.Intensity, Y: k.GFLOPS})
	}
	var maxPeak, maxBW float64
	for _, pk := range v.Peaks {
		maxPeak = max(maxPeak, pk.GFLOPS)
		ys = append(ys, pk.GFLOPS)
	}
	for _, b := range v.Bandwidths {
		maxBW = max(maxBW, b.GBps)
	}
	if maxPeak > 0 && maxBW > 0 {
		xs = append(xs, maxPeak/maxBW) // the ridge of the highest roof
		for _, b := range v.Bandwidths {
			xs = append(xs, maxPeak/b.GBps)
		}
	}
	if len(xs) == 0 {
		xs = append(xs, 0.1, 100)
	}
	xlo, xhi := spanOf(xs...)
	xlo, xhi = min(xlo/3, 0.1), max(xhi*3, 10)
	if len(ys) == 0 {
		ys = append(ys, maxBW*xlo)
	}
	ylo, yhi := spanOf(ys...)
	if maxBW > 0 {
		ylo = min(ylo, maxBW*xlo*2)
	}
	ylo, yhi = ylo/2, yhi*2.2
	logAxis(&p.X, xlo, xhi, 1, fmtTick)
	logAxis(&p.Y, ylo, yhi, 1, fmtTick)
	// Bandwidth diagonals run up to the highest peak (or the top).
	roofTop := yhi
	if maxPeak > 0 {
		roofTop = maxPeak
	}
	var lpts plotter.XYs
	var ltxt []string
	for i, b := range v.Bandwidths {
		x0 := xlo
		x1 := min(xhi, roofTop/b.GBps)
		if b.GBps*x0 < ylo {
			x0 = ylo / b.GBps
		}
		p.Add(line(plotter.XYs{{X: x0, Y: b.GBps * x0}, {X: x1, Y: b.GBps * x1}}, cBlack, vg.Points(1.6-0.3*float64(min(i, 3))), false))
		// Name the diagonal along itself, where it crosses no point.
		p.Add(slopeText{X0: x0, Y0: b.GBps * x0, X1: x1, Y1: b.GBps * x1, At: 0.5 - 0.12*float64(i%3), Text: b.Level + " " + sig(b.GBps) + " GB/s", Size: 10, Avoid: data})
	}
	for _, pk := range v.Peaks {
		x0 := xlo
		if maxBW > 0 {
			x0 = pk.GFLOPS / maxBW
		}
		p.Add(line(plotter.XYs{{X: x0, Y: pk.GFLOPS}, {X: xhi, Y: pk.GFLOPS}}, cGray, vg.Points(2), false))
		lpts = append(lpts, plotter.XY{X: xhi, Y: pk.GFLOPS})
		ltxt = append(ltxt, pk.ISA+" peak "+sig(pk.GFLOPS)+" GFLOP/s")
	}
	if len(lpts) > 0 {
		l := labels(lpts, ltxt, 10, cBlack, true)
		for i := range l.TextStyle {
			l.TextStyle[i].YAlign = draw.YBottom
		}
		l.Offset = vg.Point{X: -vg.Points(3), Y: vg.Points(2)}
		p.Add(l)
	}
	// Points: one colour and shape per kernel, no two kernels alike.
	kernels := kernelNames(best)
	groups := map[string]plotter.XYs{}
	for _, k := range best {
		groups[k.Kernel] = append(groups[k.Kernel], plotter.XY{X: k.Intensity, Y: k.GFLOPS})
	}
	for i, k := range kernels {
		g, col := kernelMarker(i)
		sc := scatter(groups[k], g, col, vg.Points(4))
		p.Add(sc)
		p.Legend.Add(k, scatter(nil, g, col, vg.Points(4)))
	}
	return render(file, title, caption, 6*vg.Inch, p)
}

// markerShapes are the glyphs kernels cycle through on the roofline; their
// count (5) and the palette's (8) are coprime, so the first 40 kernels each
// get a different pair of colour and shape.
var markerShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}}

func kernelMarker(i int) (draw.GlyphDrawer, color.Color) {
	return markerShapes[i%len(markerShapes)], palette[i%len(palette)]
}

// bestPerShape keeps, for each kernel and shape, the fastest point.
func bestPerShape(pts []KernelPoint) []KernelPoint {
	type key struct{ kernel, shape string }
	idx := map[key]int{}
	var out []KernelPoint
	for _, k := range pts {
		kk := key{k.Kernel, k.Shape}
		if i, ok := idx[kk]; ok {
			if k.GFLOPS > out[i].GFLOPS {
				out[i] = k
			}
			continue
		}
		idx[kk] = len(out)
		out = append(out, k)
	}
	return out
}

// speedupPlot is plot 5: each kernel's implementations and ISA levels as
// speed-up over naive, as horizontal bars on a log axis: one row per kernel
// and implementation, one bar per ISA level, the factor at the bar's end.
func speedupPlot(ks []KernelPoint) (figure, error) {
	const title = "Speed-up by implementation and ISA level"
	file := kernelFiles[2]
	sps, threads := isaSpeedups(ks)
	caption := "Speed-up of each implementation and ISA level over the naive reference at " + strconv.Itoa(threads) + " thread" + plural(threads) + ": the geometric mean over the shapes both ran (log scale). One row per kernel and implementation, one bar per ISA level; the naive reference itself is the line at 1×."
	against := "naive"
	for _, s := range sps {
		if s.Against != "naive" {
			against = "naive, or the slowest variant where naive was not run"
		}
	}
	type row struct {
		name string
		sps  []speedup
	}
	variants := map[string]int{}
	for _, s := range sps {
		variants[s.Kernel]++
	}
	var rows []row
	var gaps []int // rows that start a new kernel
	for _, s := range sps {
		if s.Impl == "naive" && s.Against == "naive" || variants[s.Kernel] == 1 {
			continue // the baseline, or a kernel with nothing to compare: 1× by definition
		}
		name := s.Kernel + " · " + s.Impl
		if n := len(rows); n == 0 || rows[n-1].name != name {
			if n > 0 && rows[n-1].sps[0].Kernel != s.Kernel {
				gaps = append(gaps, n)
			}
			rows = append(rows, row{name: name})
		}
		rows[len(rows)-1].sps = append(rows[len(rows)-1].sps, s)
	}
	if len(rows) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel results beside the naive reference"))
	}
	// The axis is named above the plot: gonum/plot pads a log axis for its
	// label as if the label sat at the arithmetic middle of the range.
	p := newPlot(title+" ("+strconv.Itoa(threads)+" thread"+plural(threads)+")", "", "speed-up over "+against+" (×, log scale)")
	const sub = 0.28 // spacing of the ISA bars within a row
	var bs bars
	bs.Horizontal = true
	bs.Thickness = sub * 0.9
	var ticks namedTicks
	var lpts plotter.XYs
	var ltxt []string
	fmin, fmax := 1.0, 1.0
	isas := map[string]bool{}
	y := 0.0
	for i, r := range rows {
		if i > 0 {
			y--
			if len(gaps) > 0 && gaps[0] == i {
				y -= 0.4
				gaps = gaps[1:]
			}
		}
		ticks = append(ticks, plot.Tick{Value: y, Label: r.name})
		n := len(r.sps)
		for j, s := range r.sps {
			c := y + sub*(float64(n-1)/2-float64(j))
			bs.Bars = append(bs.Bars, bar{Cat: c, Base: 1, Value: s.Factor, Color: isaColor(s.ISA)})
			lpts = append(lpts, plotter.XY{X: max(s.Factor, 1), Y: c})
			ltxt = append(ltxt, sig(s.Factor)+"×")
			fmin, fmax = min(fmin, s.Factor), max(fmax, s.Factor)
			isas[s.ISA] = true
		}
	}
	p.Add(line(plotter.XYs{{X: 1, Y: y - 0.6}, {X: 1, Y: 1.9}}, cGray, vg.Points(1), true))
	p.Add(&bs)
	l := labels(lpts, ltxt, 9, cBlack, false)
	l.Offset = vg.Point{X: vg.Points(3)}
	p.Add(l)
	p.Y.Tick.Marker = ticks
	sans(&p.Y.Tick.Label, 10)
	p.Y.Min, p.Y.Max = y-0.6, 1.9 // headroom above the first row for the legend
	logAxis(&p.X, fmin, fmax, 1, fmtTick)
	// Room on the right of the longest bar for its label.
	p.X.Min, p.X.Max = fmin/1.3, fmax*math.Pow(fmax/fmin, 0.12)*1.8
	var isaList []string
	for isa := range isas {
		isaList = append(isaList, isa)
	}
	sort.Slice(isaList, func(i, j int) bool {
		if ri, rj := rank(isaOrder, isaList[i]), rank(isaOrder, isaList[j]); ri != rj {
			return ri < rj
		}
		return isaList[i] < isaList[j]
	})
	for _, isa := range isaList {
		p.Legend.Add(isa, swatch{Color: isaColor(isa)})
	}
	height := vg.Length(1.4)*vg.Inch + vg.Length(-y+1.6)*0.42*vg.Inch
	return render(file, title, caption, max(height, 3*vg.Inch), p)
}

// namedTicks puts labelled ticks at the given values.
type namedTicks []plot.Tick

func (t namedTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, tk := range t {
		if tk.Value >= lo && tk.Value <= hi {
			out = append(out, tk)
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
