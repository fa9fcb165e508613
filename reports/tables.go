package reports

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

// internalRef matches references that mean something only inside the
// project that made the data (its research notes and their rows, its issue
// numbers, paths into its folders); a citation a buyer reads must not
// carry them.
var internalRef = regexp.MustCompile(`\bANCHORS(?:\s+[A-Z](?:\.\d+)*)?(?:\s+row\s+\d+)?\s*:?|\bissue\s+#?\d+\b|(?:(?:\.\./)*\bshared/|(?:\.\./)+(?:research|anchors)/)[^\s;,()]*(?:\s+section\s+\d+)?|/work/[^\s;,()]*`)

// tidyRef removes what an internal reference leaves behind: empty or
// one-sided parentheses, doubled separators, a source wholly in parentheses.
var tidyRef = strings.NewReplacer("( ", "(", " )", ")", "(;", "(", ";)", ")", "(,", "(", ",)", ")", "; ;", ";", "()", "")

// citation is a source's text without internal references: "what: where"
// keeps its label, and is "" when nothing of the where is left.
func citation(s string) string {
	what, rest, labelled := strings.Cut(s, ": ")
	if !labelled {
		what, rest = "", s
	}
	rest = stripRefs(rest)
	// "(a; b)" alone reads as "a; b".
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") && !strings.ContainsAny(rest[1:len(rest)-1], "()") {
		rest = rest[1 : len(rest)-1]
	}
	if what = stripRefs(what); rest != "" && what != "" {
		return what + ": " + rest
	}
	return rest
}

// stripRefs removes the internal references of s and what they leave.
func stripRefs(s string) string {
	s = internalRef.ReplaceAllString(s, "")
	for prev := ""; prev != s; {
		prev = s
		s = tidyRef.Replace(strings.Join(strings.Fields(s), " "))
		s = strings.Trim(s, " :;,")
	}
	return s
}

func sourcesCell(src []Source) cell {
	var c cell
	for _, s := range src {
		name := citation(s.Name)
		if name == "" && s.URL == "" {
			what, _, found := strings.Cut(s.Name, ":")
			if !found || citation(what) == "" {
				name = "unsourced"
			} else {
				name = citation(what) + ": unsourced"
			}
		}
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

// optionsTable is the table behind the price plot.
func optionsTable(w *Workload, q perEpochs) *table {
	t := newTable("Time per epoch; price and energy "+q.String()+"; cheapest headline price first. The central estimate, with the low–high interval beneath.",
		"Option", "Figures", "Time per epoch", "Rent on demand", "Rent spot", "Own", "Energy").numeric(2, 3, 4, 5, 6)
	for _, o := range byPrice(w.Options) {
		kind := "estimate"
		if o.Kind == Measured {
			kind = "measured"
		}
		t.add(txt(o.Name), txt(kind), spanCell(o.Seconds, FormatSeconds), spanCell(o.OnDemand, q.usd),
			spanCell(o.Spot, q.usd), spanCell(o.Own, q.usd), spanCell(o.KWh, q.energy))
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
func paretoTable(w *Workload, q perEpochs) *table {
	t := newTable("The Pareto frontier, fastest first: each option is cheaper than every faster one. Headline price "+q.String()+".", "Option", "Time per epoch", "Price", "Paid by").numeric(1, 2)
	for _, o := range pareto(w.Options) {
		pr, k, _ := o.headline()
		t.addText(o.Name, FormatSeconds(o.Seconds.Mid), q.usd(pr.Mid), k.String())
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
// halving time of each hardware class.
func trendTable(w *Workload, q perEpochs) (*table, []string) {
	t := newTable("Headline price "+q.String()+" by release year.", "Released", "Option", "Class", "Price", "Paid by").numeric(0, 3)
	opts := byPrice(w.Options)
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].ReleaseYear < opts[j].ReleaseYear })
	for _, o := range opts {
		pr, k, ok := o.headline()
		if !ok || o.ReleaseYear == 0 {
			continue
		}
		class := o.Class
		if class == "" {
			class = "—"
		}
		t.addText(strconv.Itoa(o.ReleaseYear), o.Name, class, q.usd(pr.Mid), k.String())
	}
	var lines []string
	fitted := map[string]bool{}
	for _, tr := range w.PriceTrends {
		fitted[tr.Class] = true
		what := "the price of an epoch"
		if tr.Class != "" {
			what = "the price of an epoch on a " + tr.Class
		}
		over := "Over " + strconv.Itoa(tr.Options) + " options released " + strconv.Itoa(tr.FirstYear) + "–" + strconv.Itoa(tr.LastYear) + ", "
		if tr.HalvingYears > 0 {
			lines = append(lines, over+what+" halves every "+sig(tr.HalvingYears)+" years (least-squares fit of log price on year).")
		} else {
			lines = append(lines, over+what+" does not fall with newer hardware (it rises "+sig(math.Exp2(tr.Slope))+"× a year).")
		}
	}
	for _, c := range trendClasses(w) {
		if !fitted[c.name] {
			lines = append(lines, "No trend for "+c.label()+": "+strconv.Itoa(c.n)+" priced option"+plural(c.n)+" with a release year, too few (or all from one year) to fit.")
		}
	}
	if len(w.PriceTrends) == 0 && len(lines) == 0 {
		lines = append(lines, "No priced option has a release year: there is no trend to fit.")
	}
	return t, lines
}

// trendClass is one hardware class among the options the trend plot draws.
type trendClass struct {
	name string
	n    int // priced options with a release year
}

func (c trendClass) label() string {
	if c.name == "" {
		return "options of no stated class"
	}
	return "the " + c.name + " class"
}

// trendClasses lists the classes of the priced options with a release year,
// in order of first appearance by price.
func trendClasses(w *Workload) []trendClass {
	var out []trendClass
	idx := map[string]int{}
	for _, o := range byPrice(w.Options) {
		if _, _, ok := o.headline(); !ok || o.ReleaseYear == 0 {
			continue
		}
		i, seen := idx[o.Class]
		if !seen {
			i = len(out)
			idx[o.Class] = i
			out = append(out, trendClass{name: o.Class})
		}
		out[i].n++
	}
	return out
}

// scaleOutTable is the table behind the scale-out plot, with the speed-up
// and parallel efficiency against the smallest machine count.
func scaleOutTable(w *Workload, q perEpochs) *table {
	caption := "Time per epoch and on-demand price " + q.String() + " by number of machines; efficiency is the speed-up over the fewest machines divided by the machine ratio (flagged above 100%)."
	link, shared := sharedInterconnect(w.ScaleOut)
	if shared && link != "" {
		caption += " Every machine is linked by " + link + "."
	}
	t := newTable(caption, "Option", "Machines", "Time per epoch", "Price", "Speed-up", "Efficiency").numeric(1, 2, 3, 4, 5)
	for _, s := range w.ScaleOut {
		pts := append([]ScalePoint(nil), s.Points...)
		sort.Slice(pts, func(a, b int) bool { return pts[a].Machines < pts[b].Machines })
		name := s.Option
		if !shared && s.Interconnect != "" {
			name += " (" + s.Interconnect + ")"
		}
		for _, p := range pts {
			sp, eff := "—", "—"
			if p.Seconds.OK() && pts[0].Seconds.OK() {
				f := pts[0].Seconds.Mid / p.Seconds.Mid
				sp = sig(f) + "×"
				eff = share(f * float64(pts[0].Machines) / float64(p.Machines))
			}
			t.add(txt(name), txt(strconv.Itoa(p.Machines)), spanCell(p.Seconds, FormatSeconds), spanCell(p.Price, q.usd), txt(sp), txt(eff))
		}
	}
	return t
}

// sharedInterconnect returns the interconnect of the scale-out series when
// they all name the same one, so it is said once rather than on every row.
func sharedInterconnect(ss []ScaleSeries) (string, bool) {
	if len(ss) == 0 {
		return "", true
	}
	for _, s := range ss[1:] {
		if s.Interconnect != ss[0].Interconnect {
			return "", false
		}
	}
	return ss[0].Interconnect, true
}

// share formats a ratio as a percentage; above 100% it is flagged, since
// every share the report prints is of a ceiling or an ideal and a value past
// it says the ceiling is wrong for that case, not that it was beaten.
func share(r float64) string {
	pct := int(math.Round(100 * r))
	if pct > 100 {
		return "flagged (" + strconv.Itoa(pct) + "%)"
	}
	return strconv.Itoa(pct) + "%"
}

// scalingTable is the table behind the thread-scaling plot.
func scalingTable(series []scalingSeries) *table {
	t := newTable("GFLOP/s by thread count; of ideal is the share of perfect linear scaling from the smallest count (flagged above 100%: faster than linear, from caches that add up across cores or a slowed run at the smallest count).", "Kernel", "ISA", "Implementation", "Shape", "Threads", "GFLOP/s", "Of ideal").numeric(4, 5, 6)
	for _, s := range series {
		t0, g0 := s.Points[0].Threads, s.Points[0].GFLOPS
		for _, p := range s.Points {
			ideal := "—"
			if g0 > 0 {
				ideal = share(p.GFLOPS * float64(t0) / (g0 * float64(p.Threads)))
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
// above it and how close it gets. The roof is the lower of its ISA level's
// peak and the bandwidth of the memory level its working set fits in times
// its intensity (the level from the cache sizes in the machine's lines; the
// fastest measured level when that is unknown, which can only raise the
// roof). A point above its roof is flagged rather than printed as a share.
func rooflineTable(v rooflineView, m machine) (*table, []string) {
	t := newTable("Kernel shapes on the roofline at "+strconv.Itoa(v.Threads)+" threads. The roof is the lower of the ISA level's peak and the bandwidth of the memory level the working set fits in (L1 and L2 per core) times the intensity.",
		"Kernel", "Impl", "ISA", "Shape", "FLOP/byte", "GFLOP/s", "Roof GFLOP/s", "Of roof", "Bound by").numeric(4, 5, 6, 7)
	peak := map[string]float64{}
	for _, p := range v.Peaks {
		peak[p.ISA] = p.GFLOPS
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
	flagged, guessed := 0, 0
	for _, k := range pts {
		roof, of, bound := "—", "—", "—"
		pk, okP := peak[k.ISA]
		if k.ISA == "native" {
			pk, okP = v.maxPeak()
		}
		level, bw, known := v.roofLevel(k, m)
		if !known && bw > 0 {
			guessed++
		}
		mem := bw * k.Intensity
		r := 0.0
		switch {
		case okP && bw > 0:
			r = min(pk, mem)
			bound = "compute"
			if mem < pk {
				bound = level + " bandwidth"
			}
		case okP:
			r, bound = pk, "compute"
		case bw > 0:
			r, bound = mem, level+" bandwidth"
		}
		if r > 0 {
			roof = sig(r)
			of = share(k.GFLOPS / r)
			if strings.HasPrefix(of, "flagged") {
				flagged++
			}
		}
		t.addText(k.Kernel, k.Impl, k.ISA, k.Shape, sig(k.Intensity), sig(k.GFLOPS), roof, of, bound)
	}
	var notes []string
	if guessed > 0 {
		notes = append(notes, strconv.Itoa(guessed)+" of "+strconv.Itoa(len(pts))+" shapes have no known working set or cache size: their roof uses the fastest measured memory level, which can only make it higher.")
	}
	if flagged > 0 {
		notes = append(notes, strconv.Itoa(flagged)+" of "+strconv.Itoa(len(pts))+" shapes run above their roof and are flagged: no kernel can beat a ceiling it is really under, so the roof is wrong for them (a ceiling measured low, for instance on a busy machine, or a working set that stays in a faster cache than its size suggests). Their share is not a result.")
	}
	return t, notes
}

// roofLevel picks the memory level whose bandwidth bounds k: the smallest
// level its working set fits in, per core for L1 and L2 (m's cache sizes),
// else DRAM. When that level's bandwidth was not measured it takes the next
// faster level measured, and when the working set or the cache sizes are
// unknown the fastest level measured; known says the level came from the
// sizes. bw is 0 when no bandwidth was measured at all.
func (v rooflineView) roofLevel(k KernelPoint, m machine) (level string, bw float64, known bool) {
	byLevel := map[string]Bandwidth{}
	fastest := Bandwidth{}
	for _, b := range v.Bandwidths {
		byLevel[strings.ToLower(b.Level)] = b
		if b.GBps > fastest.GBps {
			fastest = b
		}
	}
	if fastest.GBps == 0 {
		return "", 0, false
	}
	order := []string{"l1", "l2", "l3", "dram"}
	fit, sure := -1, true
	if k.Bytes > 0 && m.L1D > 0 && m.L2 > 0 {
		perCore := k.Bytes / float64(max(k.Threads, 1))
		switch {
		case perCore <= float64(m.L1D):
			fit = 0
		case perCore <= float64(m.L2):
			fit = 1
		case m.L3 > 0 && k.Bytes <= float64(m.L3):
			fit = 2
		case m.L3 > 0:
			fit = 3
		default: // past L2, L3 unknown: L3 or DRAM, no faster than L2
			fit, sure = 1, false
		}
	}
	for i := fit; i >= 0; i-- {
		if b, ok := byLevel[order[i]]; ok {
			return b.Level, b.GBps, sure
		}
	}
	return fastest.Level, fastest.GBps, false
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
		t.add(txt(a.Name), txt(a.Value), src)
	}
	return t
}
