package reports

import (
	"math"
	"sort"
	"strconv"

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
		c := palette[i%len(palette)]
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
		sc := scatter(pts, glyphs[i%len(glyphs)], c, vg.Points(3.5))
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

// rooflinePlot is plot 4: the measured ceilings on log-log axes with every
// kernel shape placed by arithmetic intensity and GFLOP/s.
func rooflinePlot(ks []KernelPoint, c Ceilings) (figure, error) {
	const title = "Roofline"
	file := kernelFiles[1]
	v := roofline(ks, c)
	caption := "Measured compute ceilings (horizontal, one per ISA level) and bandwidth ceilings (diagonal, one per memory level) at " + strconv.Itoa(v.Threads) + " threads; each point is one benchmarked kernel shape, coloured by ISA level."
	if v.Note != "" {
		caption += " Note: " + v.Note + "."
	}
	if len(v.Points) == 0 && len(v.Peaks) == 0 && len(v.Bandwidths) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel results and no measured ceilings"))
	}
	p := newPlot(title+" ("+strconv.Itoa(v.Threads)+" thread"+plural(v.Threads)+")", "arithmetic intensity (FLOP/byte, log scale)", "GFLOP/s (log scale)")
	p.Legend.Left, p.Legend.Top = false, false
	var xs, ys []float64
	for _, k := range v.Points {
		xs = append(xs, k.Intensity)
		ys = append(ys, k.GFLOPS)
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
		// Name the diagonal along itself, staggered so neighbours do not meet.
		p.Add(slopeText{X0: x0, Y0: b.GBps * x0, X1: x1, Y1: b.GBps * x1, At: 0.5 - 0.12*float64(i%3), Text: b.Level + " " + sig(b.GBps) + " GB/s", Size: 10})
	}
	for _, pk := range v.Peaks {
		x0 := xlo
		if maxBW > 0 {
			x0 = pk.GFLOPS / maxBW
		}
		p.Add(line(plotter.XYs{{X: x0, Y: pk.GFLOPS}, {X: xhi, Y: pk.GFLOPS}}, isaColor(pk.ISA), vg.Points(2), false))
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
	// Points: colour by ISA, shape by kernel.
	kernels := kernelNames(v.Points)
	shape := map[string]draw.GlyphDrawer{}
	for i, k := range kernels {
		shape[k] = glyphs[i%len(glyphs)]
	}
	type key struct{ kernel, isa string }
	groups := map[key]plotter.XYs{}
	var keys []key
	for _, k := range v.Points {
		kk := key{k.Kernel, k.ISA}
		if _, ok := groups[kk]; !ok {
			keys = append(keys, kk)
		}
		groups[kk] = append(groups[kk], plotter.XY{X: k.Intensity, Y: k.GFLOPS})
	}
	for _, kk := range keys {
		p.Add(scatter(groups[kk], shape[kk.kernel], isaColor(kk.isa), vg.Points(3.5)))
	}
	isas := map[string]bool{}
	var isaList []string
	for _, k := range v.Points {
		if !isas[k.ISA] {
			isas[k.ISA] = true
			isaList = append(isaList, k.ISA)
		}
	}
	sort.Slice(isaList, func(i, j int) bool { return rank(isaOrder, isaList[i]) < rank(isaOrder, isaList[j]) })
	for _, k := range kernels {
		p.Legend.Add(k, scatter(nil, shape[k], cBlack, vg.Points(3.5)))
	}
	for _, isa := range isaList {
		p.Legend.Add(isa, scatter(nil, draw.CircleGlyph{}, isaColor(isa), vg.Points(3.5)))
	}
	return render(file, title, caption, 5.5*vg.Inch, p)
}

// speedupPlot is plot 5: each kernel's implementations and ISA levels as
// speed-up over naive, on a log axis.
func speedupPlot(ks []KernelPoint) (figure, error) {
	const title = "Speed-up by implementation and ISA level"
	file := kernelFiles[2]
	sps, threads := isaSpeedups(ks)
	caption := "Speed-up of each implementation and ISA level over the naive reference at " + strconv.Itoa(threads) + " thread(s): the geometric mean over the shapes both ran (log scale). Labels give the factor."
	if len(sps) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel results"))
	}
	against := "naive"
	for _, s := range sps {
		if s.Against != "naive" {
			against = "naive, or the slowest variant where naive was not run"
		}
	}
	p := newPlot(title+" ("+strconv.Itoa(threads)+" thread"+plural(threads)+")", "", "speed-up over "+against+" (×, log scale)")
	p.Legend.Left = true
	kernels := kernelNames(ks)
	kidx := map[string]int{}
	for _, s := range sps {
		if _, ok := kidx[s.Kernel]; !ok {
			kidx[s.Kernel] = len(kidx)
		}
	}
	var names []string
	for _, k := range kernels {
		if _, ok := kidx[k]; ok {
			names = append(names, k)
		}
	}
	perKernel := map[string]int{}
	for _, s := range sps {
		perKernel[s.Kernel]++
	}
	maxN := 0
	for _, n := range perKernel {
		maxN = max(maxN, n)
	}
	thick := 0.84 / float64(maxN)
	var bs bars
	bs.Thickness = thick * 0.9
	var lpts plotter.XYs
	var ltxt []string
	slot := map[string]int{}
	fmin, fmax := 1.0, 1.0
	isas := map[string]bool{}
	for _, s := range sps {
		n := perKernel[s.Kernel]
		i := slot[s.Kernel]
		slot[s.Kernel]++
		c := float64(kidx[s.Kernel]) + (float64(i)-float64(n-1)/2)*thick
		bs.Bars = append(bs.Bars, bar{Cat: c, Base: 1, Value: s.Factor, Color: isaColor(s.ISA)})
		lpts = append(lpts, plotter.XY{X: c, Y: max(s.Factor, 1)})
		ltxt = append(ltxt, s.Impl+" "+sig(s.Factor)+"×")
		fmin, fmax = min(fmin, s.Factor), max(fmax, s.Factor)
		isas[s.ISA] = true
	}
	p.Add(&bs)
	// Each bar is named by its implementation and factor, written upwards
	// from its top; the colour gives the ISA level.
	l := labels(lpts, ltxt, 9.5, cBlack, false)
	for i := range l.TextStyle {
		l.TextStyle[i].Rotation = math.Pi / 2
		l.TextStyle[i].XAlign = draw.XLeft
		l.TextStyle[i].YAlign = draw.YCenter
	}
	l.Offset = vg.Point{Y: vg.Points(4)}
	p.Add(l)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	logAxis(&p.Y, fmin, fmax, 1, fmtTick)
	// Headroom above the tallest bar for its label.
	p.Y.Min, p.Y.Max = fmin/1.5, fmax*math.Pow(fmax/fmin, 0.3)*2
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
	return render(file, title, caption, 5*vg.Inch, p)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
