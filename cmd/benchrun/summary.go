package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/interference"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/reports"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/workload"
)

// summaryWidth is the widest line the summary prints: it fits a 100-column
// terminal.
const summaryWidth = 100

// summaryWorkload is the workload the summary always prices: the network
// the default run measures the layers of.
const summaryWorkload = "seed-cnn"

// summaryWorkloads are the workloads the summary prices for results rs:
// summaryWorkload, then every other built-in network whose whole training
// step the run measured (a TrainStep case at any batch or context, which the
// cost model scales to the workload's own).
func summaryWorkloads(rs []results.Result) []string {
	out := []string{summaryWorkload}
	for _, name := range workload.Builtins() {
		if slices.Contains(out, name) {
			continue
		}
		for _, r := range rs {
			if sh := r.Param(benchname.KeyShape); r.Kernel() == benchname.TrainStep && (sh == name || strings.HasPrefix(sh, name+".")) {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// summaryLabel is the label of workload name's lines: the name, or its
// first word when it is wider than the label column.
func summaryLabel(name string) string {
	if len(name) > 9 {
		name, _, _ = strings.Cut(name, "-")
	}
	return name
}

// runSummary is what run's summary says, gathered after the run: nothing
// in it is measured again.
type runSummary struct {
	profile  machine.Profile
	ceilings string // the --ceilings mode
	rs       []results.Result
	output   string // the results file
	report   string // the report folder; "" when none was written
	// price is the cost model's answer for summaryWorkloads on the results
	// file and the catalog (priceWorkloads, as benchrun cost computes it),
	// or priceErr why there is none.
	price    *pricing
	priceErr error
}

// write prints the summary: a warning when the interference watch flagged
// the run, the machine and its ceilings, the best case of each kernel family, the workload's epoch on this machine against the
// catalogued options, and where the files are. Every line fits
// summaryWidth columns.
func (s runSummary) write(w io.Writer) error {
	var lines []string
	add := func(label, format string, args ...any) {
		lines = append(lines, fit(fmt.Sprintf("%-9s %s", label, fmt.Sprintf(format, args...))))
	}
	if d := interference.Describe(s.rs); d != "" {
		// With -q this is the only trace of the warnings on stderr.
		add("Warning", "%s", d)
	}
	s.machineLines(add)
	// The workload lines go after the kernels' but are made first: when one
	// gives a measured step, the TrainStep family's row would repeat it.
	var wl []string
	addWL := func(label, format string, args ...any) {
		wl = append(wl, fit(fmt.Sprintf("%-9s %s", label, fmt.Sprintf(format, args...))))
	}
	steps := false
	if s.priceErr != nil {
		addWL(summaryWorkload, "not priced: %v", s.priceErr)
	} else if s.price != nil {
		for i, x := range s.price.Workloads {
			steps = workloadLines(x, i > 0, addWL) || steps
		}
	}
	s.kernelLines(add, &lines, steps)
	lines = append(lines, wl...)
	add("Results", "%s", s.output)
	if s.report != "" {
		add("Report", "%s", filepath.Join(s.report, "index.html"))
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// fit cuts a line to summaryWidth columns, marking the cut.
func fit(s string) string {
	r := []rune(s)
	if len(r) <= summaryWidth {
		return s
	}
	return string(r[:summaryWidth-1]) + "…"
}

// machineLines: the CPU and caches, the f32 peak of each ISA level at one
// thread and at the most threads measured, and STREAM triad.
func (s runSummary) machineLines(add func(label, format string, args ...any)) {
	p := s.profile
	caches := []string{}
	for _, c := range []struct {
		name string
		size int
	}{{"L1d", p.L1D}, {"L2", p.L2}, {"L3", p.L3}} {
		if c.size > 0 {
			caches = append(caches, c.name+" "+bytesIEC(c.size))
		} else {
			caches = append(caches, c.name+" unknown")
		}
	}
	add("Machine", "%s: %d cores (%d logical), up to %s", p.CPU, p.Cores, p.LogicalCPUs, p.ISA)
	var threads []int
	for _, k := range p.Peaks {
		if k.Prec == benchname.F32 && !slices.Contains(threads, k.Threads) {
			threads = append(threads, k.Threads)
		}
	}
	if len(threads) == 0 {
		add("Memory", "%s", strings.Join(caches, ", "))
		add("Ceilings", "not measured (--ceilings %s): no peak or bandwidth to hold results against", s.ceilings)
		return
	}
	lo, hi := slices.Min(threads), slices.Max(threads)
	at := func(get func(t int) (float64, bool)) string {
		a, okA := get(lo)
		b, okB := get(hi)
		switch {
		case lo == hi || !okB:
			return num3(a)
		case !okA:
			return "- | " + num3(b)
		}
		return num3(a) + " | " + num3(b)
	}
	tl := threadLabel(lo)
	if hi != lo {
		tl = fmt.Sprintf("%d | %s", lo, threadLabel(hi))
	}
	var peaks []string
	for _, l := range machine.ISALevels() {
		if _, ok := p.Peak(l, benchname.F32, lo); !ok {
			if _, ok := p.Peak(l, benchname.F32, hi); !ok {
				continue
			}
		}
		peaks = append(peaks, l+" "+at(func(t int) (float64, bool) { return p.Peak(l, benchname.F32, t) }))
	}
	add("Peak", "f32 GFLOP/s at %s: %s", tl, strings.Join(peaks, ", "))
	mem := strings.Join(caches, ", ")
	if _, ok := p.Stream(machine.Triad, lo); ok {
		mem += fmt.Sprintf("; STREAM triad GB/s at %s: %s", tl, at(func(t int) (float64, bool) { return p.Stream(machine.Triad, t) }))
	}
	add("Memory", "%s", mem)
}

// kernelLines: the best case of each kernel family, in the order the
// families ran: the highest median GFLOP/s, or GB/s for a memory-bound
// family (every case under one FLOP a byte, or no FLOPs counted), whose
// FLOP rate says little. The % of peak is shown beside GFLOP/s only.
func (s runSummary) kernelLines(add func(label, format string, args ...any), lines *[]string, skipSteps bool) {
	cases := groupCases(s.rs)
	type best struct {
		family, desc, unit string
		value, peak        float64
		hasPeak            bool
	}
	var order []string
	compute := map[string]bool{} // families with a case of at least one FLOP a byte
	runs := 0
	for _, c := range cases {
		fam := c.first.Kernel()
		if fam == benchname.TrainStep && skipSteps {
			continue // the workload lines give the steps
		}
		if !slices.Contains(order, fam) {
			order = append(order, fam)
		}
		runs = max(runs, c.runs())
		if _, ok := c.median("GFLOP/s"); ok {
			if ai, ok := c.median("FLOP/byte"); !ok || ai >= 1 {
				compute[fam] = true
			}
		}
	}
	bests := map[string]*best{}
	for _, c := range cases {
		fam := c.first.Kernel()
		unit := "GB/s"
		if compute[fam] {
			unit = "GFLOP/s"
		}
		v, ok := c.median(unit)
		if b := bests[fam]; !ok || b != nil && b.value >= v {
			continue
		}
		pk, hasPeak := c.median("%peak")
		bests[fam] = &best{family: fam, desc: caseDesc(c.first), unit: unit, value: v, peak: pk, hasPeak: hasPeak && compute[fam]}
	}
	if len(bests) == 0 {
		return
	}
	noun := "runs"
	if runs == 1 {
		noun = "run"
	}
	add("Kernels", "best case of each family, median of %d %s (every case: --table)", runs, noun)
	dw := 0
	for _, b := range bests {
		dw = max(dw, len([]rune(b.desc)))
	}
	dw = min(dw, 52)
	for _, fam := range order {
		b := bests[fam]
		if b == nil {
			continue
		}
		desc := []rune(b.desc)
		if len(desc) > dw {
			desc = append(desc[:dw-1], '…')
		}
		line := fmt.Sprintf("  %-11s %-*s %7s %-7s", fam, dw, string(desc), num3(b.value), b.unit)
		if b.hasPeak {
			line += fmt.Sprintf(" %5s%% of peak", num3(b.peak))
		}
		*lines = append(*lines, fit(strings.TrimRight(line, " ")))
	}
}

// caseDesc names a case briefly: its pass, implementation, ISA level,
// threads and shape ("fwd direct avx512 2T seed-cnn.conv2", "blocked avx2
// 1T 1024×1024×1024").
func caseDesc(r results.Result) string {
	var parts []string
	var m, n, k string
	for _, p := range r.Params() {
		switch p.Key {
		case benchname.KeyThreads:
			parts = append(parts, p.Value+"T")
		case benchname.KeyM:
			m = p.Value
		case benchname.KeyN:
			n = p.Value
		case benchname.KeyK:
			k = p.Value
		case benchname.KeyTrans:
			parts = append(parts, "trans="+p.Value)
		default:
			parts = append(parts, p.Value)
		}
	}
	if m != "" {
		parts = append(parts, m+"×"+n+"×"+k)
	}
	return strings.Join(parts, " ")
}

// workloadLines: the epoch of workload x on this machine (the measured
// option that ranks best) with its price and rank among the catalogued
// options, and the cheapest and fastest of those; brief, all of it but the
// cheapest and fastest on one line (the larger networks after the seed CNN,
// so that three fit a screen). It reports whether the step it gave was a
// measured one (a TrainStep case, scaled or not).
func workloadLines(x costmodel.Comparison, brief bool, add func(label, format string, args ...any)) (measured bool) {
	label := summaryLabel(x.Workload.Name)
	// Options that can run a step and have a price, cheapest first, as
	// benchrun cost and the report rank them.
	var ranked []costmodel.EpochEstimate
	var here *costmodel.EpochEstimate
	fastest := -1
	var why string
	for _, e := range byHeadline(x.Estimates) {
		measured := e.Basis == costmodel.BasisMeasured
		switch {
		case e.Unavailable != "":
			if measured && why == "" {
				why = e.Unavailable
			}
			continue
		case e.DoesNotFit != "":
			continue
		case measured && here == nil:
			here = &e
		case measured:
			continue // one measured option: the best-ranked thread count
		}
		if headline(e) != nil {
			ranked = append(ranked, e)
		}
		if !measured && (fastest < 0 || e.EpochSeconds.Mid < ranked[fastest].EpochSeconds.Mid) && headline(e) != nil {
			fastest = len(ranked) - 1
		}
	}
	if here == nil {
		if why == "" {
			why = "no measured option"
		}
		add(label, "not estimated on this machine: %s", why)
		return
	}
	threads := measuredThreads(here.Option)
	from := "sum of its kernels"
	if measured = here.StepFrom != "" && here.StepFrom != costmodel.StepFromKernels; measured {
		from = "measured TrainStep"
		if here.StepScale > 0 {
			// A step measured at another batch or context, scaled to the
			// workload's own by the kernels' sums.
			_, size, _ := strings.Cut(results.Result{Name: here.StepFrom}.Param(benchname.KeyShape), x.Workload.Name+".")
			from = fmt.Sprintf("from %s ×%s", size, num3(here.StepScale))
		}
	}
	hp := headline(*here)
	price := "not priced"
	if hp != nil {
		price = reports.FormatUSD(hp.USD.Mid) + " an epoch " + priceKind(*here, hp)
	}
	tl := threadLabel(threads)
	if here.Precision != benchname.F32 {
		tl += " in " + string(here.Precision)
	}
	rank := slices.IndexFunc(ranked, func(e costmodel.EpochEstimate) bool { return e.Option == here.Option }) + 1
	if brief {
		line := fmt.Sprintf("%s: step %s (%s), epoch %s", tl, stepString(here.StepSeconds.Mid), from,
			reports.FormatSeconds(here.EpochSeconds.Mid))
		if hp != nil {
			line += fmt.Sprintf(", %s %s, rank %d/%d", reports.FormatUSD(hp.USD.Mid), priceKind(*here, hp), rank, len(ranked))
		}
		add(label, "%s", line)
		return
	}
	add(label, "%s: step %s (%s), epoch %s, %s", tl, stepString(here.StepSeconds.Mid), from,
		reports.FormatSeconds(here.EpochSeconds.Mid), price)
	if hp == nil {
		return
	}
	note := ""
	if here.PriceNote != "" {
		note = " (this machine priced per core: --price-per-hour)"
	}
	add("", "rank %d of %d options by price per epoch%s", rank, len(ranked), note)
	cheapest := slices.IndexFunc(ranked, func(e costmodel.EpochEstimate) bool { return e.Basis != costmodel.BasisMeasured })
	if cheapest < 0 {
		return
	}
	c := ranked[cheapest]
	if cheapest == fastest {
		add("", "cheapest and fastest catalogued: %s, %s an epoch, %s", shortName(c.Name), reports.FormatUSD(headline(c).USD.Mid),
			reports.FormatSeconds(c.EpochSeconds.Mid))
		return
	}
	add("", "cheapest catalogued: %s, %s an epoch, %s", shortName(c.Name), reports.FormatUSD(headline(c).USD.Mid),
		reports.FormatSeconds(c.EpochSeconds.Mid))
	f := ranked[fastest]
	add("", "fastest catalogued: %s, %s an epoch, %s", shortName(f.Name), reports.FormatSeconds(f.EpochSeconds.Mid),
		reports.FormatUSD(headline(f).USD.Mid))
	return
}

// measuredThreads reads the thread count back from a measured option's id
// (priceWorkloads names them measured-[<machine>-]<t>t, and the bf16 row
// measured-[<machine>-]<t>t-bf16); 0 if it has none.
func measuredThreads(id string) int {
	id = strings.TrimSuffix(id, "-"+string(benchname.BF16))
	if !strings.HasPrefix(id, "measured-") || !strings.HasSuffix(id, "t") {
		return 0
	}
	id = strings.TrimSuffix(id, "t")
	i := strings.LastIndexFunc(id, func(r rune) bool { return r < '0' || r > '9' })
	t, _ := strconv.Atoi(id[i+1:])
	return t
}

// priceKind says which price headline picked.
func priceKind(e costmodel.EpochEstimate, m *costmodel.Money) string {
	switch m {
	case e.OnDemand:
		return "on demand"
	case e.Own:
		return "owned"
	}
	return "spot"
}

// shortName cuts a catalogued option's name to 40 characters.
func shortName(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return s
}

func threadLabel(t int) string {
	if t == 1 {
		return "1 thread"
	}
	return fmt.Sprintf("%d threads", t)
}

// num3 formats a rate with three significant digits, without an exponent
// below a million ("14.2", "455", "1234").
func num3(v float64) string {
	if v >= 1000 && v < 1e6 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// bytesIEC formats a size in bytes as KiB, MiB or GiB ("48 KiB").
func bytesIEC(n int) string {
	v, unit := float64(n), "B"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// stepString formats a step time: in seconds and below as the tables do,
// in minutes, hours or days beyond a minute (a large network's step at the
// workload's batch).
func stepString(s float64) string {
	if s >= 60 {
		return reports.FormatSeconds(s)
	}
	return fmtDuration(time.Duration(s * 1e9))
}
