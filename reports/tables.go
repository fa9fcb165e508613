package reports

import (
	"math"
	"sort"
	"strconv"
)

// This file turns the input and the views computed from it into the tables
// the page shows beside each plot. HTML and Markdown render the same tables.

// link is a piece of cell text, linked when URL is set.
type link struct {
	Text string
	URL  string
}

// cell is a table cell: plain text (with an optional second, smaller line,
// Sub), or links joined by commas.
type cell struct {
	Text  string
	Sub   string
	Links []link
}

// spanCell shows a range's middle with its low–high interval beneath.
func spanCell(r Range, f func(float64) string) cell {
	if !r.OK() {
		return txt("—")
	}
	if r.Low == r.High {
		return txt(f(r.Mid))
	}
	return cell{Text: f(r.Mid), Sub: f(r.Low) + "–" + f(r.High)}
}

func txt(s string) cell { return cell{Text: s} }

// table is one table of the page.
type table struct {
	Caption string
	Head    []string
	Num     []bool // right-align (numeric) columns
	Rows    [][]cell
}

func newTable(caption string, head ...string) *table {
	return &table{Caption: caption, Head: head, Num: make([]bool, len(head))}
}

// numeric marks columns from i on as numeric.
func (t *table) numeric(cols ...int) *table {
	for _, c := range cols {
		t.Num[c] = true
	}
	return t
}

func (t *table) add(cells ...cell) { t.Rows = append(t.Rows, cells) }

func (t *table) addText(s ...string) {
	cs := make([]cell, len(s))
	for i, v := range s {
		cs[i] = txt(v)
	}
	t.add(cs...)
}

func sourcesCell(src []Source) cell {
	var c cell
	for _, s := range src {
		name := s.Name
		if name == "" {
			name = s.URL
		}
		if s.Date != "" {
			name += " (" + s.Date + ")"
		}
		c.Links = append(c.Links, link{name, s.URL})
	}
	if len(c.Links) == 0 {
		c.Text = "unsourced"
	}
	return c
}

func kwh(v float64) string { return sig(v) + " kWh" }

// optionsTable is the table behind the price plot.
func optionsTable(w *Workload) *table {
	t := newTable("Time, price and energy per epoch, cheapest first: the central estimate, with the low–high interval beneath.",
		"Option", "Figures", "Time per epoch", "Rent on demand", "Rent spot", "Own", "Energy").numeric(2, 3, 4, 5, 6)
	for _, o := range byPrice(w.Options) {
		kind := "estimate"
		if o.Kind == Measured {
			kind = "measured"
		}
		t.add(txt(o.Name), txt(kind), spanCell(o.Seconds, FormatSeconds), spanCell(o.OnDemand, FormatUSD),
			spanCell(o.Spot, FormatUSD), spanCell(o.Own, FormatUSD), spanCell(o.KWh, kwh))
	}
	return t
}

// sourcesTable lists where each option's figures come from.
func sourcesTable(w *Workload) *table {
	t := newTable("Where each option's figures come from.", "Option", "Released", "Sources", "Note").numeric(1)
	for _, o := range byPrice(w.Options) {
		year := "—"
		if o.ReleaseYear > 0 {
			year = strconv.Itoa(o.ReleaseYear)
		}
		t.add(txt(o.Name), txt(year), sourcesCell(o.Sources), txt(o.Note))
	}
	return t
}

// paretoTable lists the frontier of the time-versus-price plot.
func paretoTable(w *Workload) *table {
	t := newTable("The Pareto frontier, fastest first: each option is cheaper than every faster one.", "Option", "Time per epoch", "Price per epoch", "Paid by").numeric(1, 2)
	for _, o := range pareto(w.Options) {
		pr, k, _ := o.headline()
		t.addText(o.Name, FormatSeconds(o.Seconds.Mid), FormatUSD(pr.Mid), k.String())
	}
	return t
}

// buyRentTable is the table behind the buy-versus-rent plot, and the
// sentences stating the break-even points.
func buyRentTable(b *BuyVsRent) (*table, []string) {
	t := newTable("Cumulative cost after each month of use.", "Month", "Own", "Rent on demand", "Rent spot").numeric(0, 1, 2, 3)
	hasOD := hasSeries(b.Points, func(q CostPoint) float64 { return q.OnDemand })
	hasSpot := hasSeries(b.Points, func(q CostPoint) float64 { return q.Spot })
	money := func(v float64, has bool) string {
		if !has {
			return "—"
		}
		return FormatUSD(v)
	}
	for _, q := range b.Points {
		t.addText(trimZeros(sig(q.Month)), FormatUSD(q.Own), money(q.OnDemand, hasOD), money(q.Spot, hasSpot))
	}
	var lines []string
	for _, r := range []struct {
		name string
		get  func(CostPoint) float64
	}{{"on demand", func(q CostPoint) float64 { return q.OnDemand }}, {"spot", func(q CostPoint) float64 { return q.Spot }}} {
		if !hasSeries(b.Points, r.get) {
			continue
		}
		if m, d, ok := breakEven(b.Points, r.get); ok {
			lines = append(lines, "Owning "+b.Option+" costs less than renting it "+r.name+" after "+sig(m)+" months of use ("+FormatUSD(d)+" spent either way).")
		} else if n := len(b.Points); n > 0 {
			lines = append(lines, "Owning "+b.Option+" does not pay for itself against renting "+r.name+" within "+sig(b.Points[n-1].Month)+" months.")
		}
	}
	return t, lines
}

// trendTable is the table behind the price-trend plot and the fitted
// halving time.
func trendTable(w *Workload) (*table, []string) {
	t := newTable("Headline price per epoch by release year.", "Released", "Option", "Price per epoch", "Paid by").numeric(0, 2)
	opts := byPrice(w.Options)
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].ReleaseYear < opts[j].ReleaseYear })
	for _, o := range opts {
		pr, k, ok := o.headline()
		if !ok || o.ReleaseYear == 0 {
			continue
		}
		t.addText(strconv.Itoa(o.ReleaseYear), o.Name, FormatUSD(pr.Mid), k.String())
	}
	tr := w.PriceTrend
	switch {
	case tr == nil:
		return t, []string{"Too few options with a release year (" + strconv.Itoa(len(t.Rows)) + ", over distinct years) to fit a trend."}
	case tr.HalvingYears > 0:
		return t, []string{"Over " + strconv.Itoa(tr.Options) + " options released " + strconv.Itoa(tr.FirstYear) + "–" + strconv.Itoa(tr.LastYear) + ", the price of an epoch halves every " + sig(tr.HalvingYears) + " years (least-squares fit of log price on year)."}
	default:
		return t, []string{"Over " + strconv.Itoa(tr.Options) + " options released " + strconv.Itoa(tr.FirstYear) + "–" + strconv.Itoa(tr.LastYear) + ", the price of an epoch does not fall with newer hardware (it rises " + sig(math.Exp2(tr.Slope)) + "× a year)."}
	}
}

// scaleOutTable is the table behind the scale-out plot, with the speed-up
// and parallel efficiency against the smallest machine count.
func scaleOutTable(w *Workload) *table {
	t := newTable("Time and on-demand price per epoch by number of machines; efficiency is the speed-up over the fewest machines divided by the machine ratio.", "Option", "Machines", "Time per epoch", "Price per epoch", "Speed-up", "Efficiency").numeric(1, 2, 3, 4, 5)
	for _, s := range w.ScaleOut {
		pts := append([]ScalePoint(nil), s.Points...)
		sort.Slice(pts, func(a, b int) bool { return pts[a].Machines < pts[b].Machines })
		name := s.Option
		if s.Interconnect != "" {
			name += " (" + s.Interconnect + ")"
		}
		for _, q := range pts {
			sp, eff := "—", "—"
			if q.Seconds.OK() && pts[0].Seconds.OK() {
				f := pts[0].Seconds.Mid / q.Seconds.Mid
				sp = sig(f) + "×"
				eff = strconv.Itoa(int(math.Round(100*f*float64(pts[0].Machines)/float64(q.Machines)))) + "%"
			}
			t.add(txt(name), txt(strconv.Itoa(q.Machines)), spanCell(q.Seconds, FormatSeconds), spanCell(q.Price, FormatUSD), txt(sp), txt(eff))
		}
	}
	return t
}

// scalingTable is the table behind the thread-scaling plot.
func scalingTable(series []scalingSeries) *table {
	t := newTable("GFLOP/s by thread count; of ideal is the share of perfect linear scaling from the smallest count.", "Kernel", "ISA", "Implementation", "Shape", "Threads", "GFLOP/s", "Of ideal").numeric(4, 5, 6)
	for _, s := range series {
		t0, g0 := s.Points[0].Threads, s.Points[0].GFLOPS
		for _, p := range s.Points {
			ideal := "—"
			if g0 > 0 {
				ideal = strconv.Itoa(int(math.Round(100*p.GFLOPS*float64(t0)/(g0*float64(p.Threads))))) + "%"
			}
			t.addText(s.Kernel, s.ISA, s.Impl, s.Shape, strconv.Itoa(p.Threads), sig(p.GFLOPS), ideal)
		}
	}
	return t
}

// ceilingsTable lists every measured ceiling.
func ceilingsTable(c Ceilings) *table {
	t := newTable("Measured ceilings.", "Ceiling", "Threads", "Value").numeric(1, 2)
	for _, p := range c.Peaks {
		t.addText(p.ISA+" peak", strconv.Itoa(p.Threads), sig(p.GFLOPS)+" GFLOP/s")
	}
	for _, b := range c.Bandwidths {
		t.addText(b.Level+" bandwidth", strconv.Itoa(b.Threads), sig(b.GBps)+" GB/s")
	}
	return t
}

// rooflineTable is the table behind the roofline: each point with the roof
// above it (the lower of its ISA's peak and the slowest listed bandwidth
// times its intensity) and how close it gets.
func rooflineTable(v rooflineView) *table {
	t := newTable("Kernel shapes on the roofline at "+strconv.Itoa(v.Threads)+" threads; the roof is the lower of the ISA level's peak and the DRAM (slowest) bandwidth times the intensity.", "Kernel", "Impl", "ISA", "Shape", "FLOP/byte", "GFLOP/s", "Roof GFLOP/s", "Of roof", "Bound by").numeric(4, 5, 6, 7)
	peak := map[string]float64{}
	for _, p := range v.Peaks {
		peak[p.ISA] = p.GFLOPS
	}
	var slowest float64
	if n := len(v.Bandwidths); n > 0 {
		slowest = v.Bandwidths[n-1].GBps
	}
	pts := append([]KernelPoint(nil), v.Points...)
	sort.SliceStable(pts, func(i, j int) bool {
		a, b := pts[i], pts[j]
		if a.Kernel != b.Kernel {
			return a.Kernel < b.Kernel
		}
		if a.Impl != b.Impl || a.ISA != b.ISA {
			return lessVariant(a.Impl, a.ISA, b.Impl, b.ISA)
		}
		return a.Shape < b.Shape
	})
	for _, k := range pts {
		roof, of, bound := "—", "—", "—"
		pk, okP := peak[k.ISA]
		if k.ISA == "native" {
			pk, okP = v.maxPeak()
		}
		mem := slowest * k.Intensity
		r := 0.0
		switch {
		case okP && slowest > 0:
			r = min(pk, mem)
			bound = "compute"
			if mem < pk {
				bound = "memory"
			}
		case okP:
			r, bound = pk, "compute"
		case slowest > 0:
			r, bound = mem, "memory"
		}
		if r > 0 {
			roof = sig(r)
			of = strconv.Itoa(int(math.Round(100*k.GFLOPS/r))) + "%"
		}
		t.addText(k.Kernel, k.Impl, k.ISA, k.Shape, sig(k.Intensity), sig(k.GFLOPS), roof, of, bound)
	}
	return t
}

func (v rooflineView) maxPeak() (float64, bool) {
	if len(v.Peaks) == 0 {
		return 0, false
	}
	return v.Peaks[0].GFLOPS, true // sorted highest first
}

// speedupTable is the table behind the speed-up plot.
func speedupTable(sps []speedup) *table {
	t := newTable("Speed-up over the baseline, geometric mean over the shapes both ran.", "Kernel", "Variant", "Speed-up", "Over", "Shapes", "Best GFLOP/s").numeric(2, 4, 5)
	for _, s := range sps {
		t.addText(s.Kernel, s.Variant, sig(s.Factor)+"×", s.Against, strconv.Itoa(s.Shapes), sig(s.Best))
	}
	return t
}

// assumptionsTable lists the assumptions with their sources.
func assumptionsTable(as []Assumption) *table {
	t := newTable("What the prices rest on.", "Assumption", "Value", "Source")
	for _, a := range as {
		src := sourcesCell([]Source{a.Source})
		if a.Source.Name == "" && a.Source.URL == "" {
			src = txt("unsourced")
		}
		t.add(txt(a.Name), txt(a.Value), src)
	}
	return t
}
