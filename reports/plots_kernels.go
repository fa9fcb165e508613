package reports

import (
	"image/color"
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
	const file = "thread-scaling.png"
	caption := "GFLOP/s against thread count for the fastest implementation and shape of each kernel and ISA level; dashed lines are perfect linear scaling from the smallest thread count."
	series := threadScaling(ks)
	if len(series) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel was measured at more than one thread count"))
	}
	p := newPlot(title, "threads", "GFLOP/s")
	p.Legend.Left = true
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
		p.Legend.Add(s.label(), l, sc)
	}
	ideal := line(nil, cGray, vg.Points(1), true)
	p.Legend.Add("ideal linear scaling", ideal)
	sort.Ints(threads)
	p.X.Tick.Marker = intTicks(threads)
	p.X.Min, p.X.Max = float64(threads[0])-0.3, float64(threads[len(threads)-1])+0.3
	p.Y.Min, p.Y.Max = 0, top*1.1+float64(len(series))*top*0.07
	p.Y.Tick.Marker = linTicks{fmtTick}
	return render(file, title, caption, 5*vg.Inch, p)
}

// rooflinePlot is plot 4: the measured ceilings on log-log axes with every
// kernel shape placed by arithmetic intensity and GFLOP/s.
func rooflinePlot(ks []KernelPoint, c Ceilings) (figure, error) {
	const title = "Roofline"
	const file = "roofline.png"
	v := roofline(ks, c)
	caption := "Measured compute ceilings (horizontal, one per ISA level) and bandwidth ceilings (diagonal, one per memory level) at " + strconv.Itoa(v.Threads) + " threads; each point is one benchmarked kernel shape, coloured by ISA level."
	if v.Note != "" {
		caption += " Note: " + v.Note + "."
	}
	if len(v.Points) == 0 && len(v.Peaks) == 0 && len(v.Bandwidths) == 0 {
		return render(file, title, caption, 3*vg.Inch, noData(title, "no kernel results and no measured ceilings"))
	}
	p := newPlot(title+" ("+strconv.Itoa(v.Threads)+" threads)", "arithmetic intensity (FLOP/byte)", "GFLOP/s")
	p.Legend.Left = true
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
		col := []color.Color{cBlack, cGray, cGreen, cPurple, cSky}[i%5]
		p.Add(line(plotter.XYs{{X: x0, Y: b.GBps * x0}, {X: x1, Y: b.GBps * x1}}, col, vg.Points(1.3), false))
		// Label a third of the way along the visible diagonal.
		xl := x0 * math.Pow(x1/x0, 0.18+0.1*float64(i%3))
		if b.GBps*xl >= ylo {
			lpts = append(lpts, plotter.XY{X: xl, Y: b.GBps * xl})
			ltxt = append(ltxt, b.Level+" "+sig(b.GBps)+" GB/s")
		}
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
		l := labels(lpts, ltxt, 9, cBlack, true)
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
	const file = "isa-speedup.png"
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
	// Variants get colours in the order first listed.
	vcol := map[string]int{}
	var vlist []string
	for _, s := range sps {
		if _, ok := vcol[s.Variant]; !ok {
			vcol[s.Variant] = len(vcol)
			vlist = append(vlist, s.Variant)
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
	thick := 0.8 / float64(maxN)
	var bs bars
	bs.Thickness = thick
	var lpts plotter.XYs
	var ltxt []string
	slot := map[string]int{}
	fmin, fmax := 1.0, 1.0
	for _, s := range sps {
		n := perKernel[s.Kernel]
		i := slot[s.Kernel]
		slot[s.Kernel]++
		c := float64(kidx[s.Kernel]) + (float64(i)-float64(n-1)/2)*thick
		bs.Bars = append(bs.Bars, bar{Cat: c, Base: 1, Value: s.Factor, Color: palette[vcol[s.Variant]%len(palette)]})
		lpts = append(lpts, plotter.XY{X: c, Y: max(s.Factor, 1)})
		ltxt = append(ltxt, sig(s.Factor)+"×")
		fmin, fmax = min(fmin, s.Factor), max(fmax, s.Factor)
	}
	p.Add(&bs)
	l := labels(lpts, ltxt, 8, cBlack, false)
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
		l.TextStyle[i].YAlign = draw.YBottom
	}
	l.Offset = vg.Point{Y: vg.Points(2)}
	p.Add(l)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	logAxis(&p.Y, fmin, fmax, 1, fmtTick)
	p.Y.Min, p.Y.Max = fmin/1.5, fmax*math.Pow(fmax/fmin, 0.12)*2.5
	for _, v := range vlist {
		p.Legend.Add(v, swatch{Color: palette[vcol[v]%len(palette)]})
	}
	return render(file, title, caption, 5*vg.Inch, p)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
