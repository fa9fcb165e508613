package interference

import (
	"cmp"
	"math"
	"slices"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

// The flags a run can carry, in the order they are written.
const (
	// FlagCotenant: other processes used the CPUs for long enough that the
	// timings include their interference (see Thresholds.CotenantCPUs).
	FlagCotenant = "cotenant"
	// FlagSteal: the hypervisor gave this machine's CPU time to others.
	FlagSteal = "steal"
	// FlagPeakScaling: a multi-thread peak is too far below the one-thread
	// peak times the threads for cores that were all ours.
	FlagPeakScaling = "peak-scaling"
	// FlagOverPeak: a result beat the peak it is held against.
	FlagOverPeak = "over-peak"
	// FlagSpread: too many cases differ too much between their runs.
	FlagSpread = "spread"
	// FlagPeakDrift: the peak probe at the end of the run differs from the
	// one at its start.
	FlagPeakDrift = "peak-drift"
)

// Flags lists every flag in the order they are written.
func Flags() []string {
	return []string{FlagCotenant, FlagSteal, FlagPeakScaling, FlagOverPeak, FlagSpread, FlagPeakDrift}
}

// Thresholds are the rules' limits. DefaultThresholds states them and why.
type Thresholds struct {
	// Window is the least wall time the samples are pooled over before a
	// rule looks at them: /proc/stat counts in 10 ms ticks, so shorter
	// spans are mostly rounding.
	Window float64 // seconds
	// CotenantCPUs: a window has a co-tenant when other processes used
	// more than this many CPUs on average during it.
	CotenantCPUs float64
	// StealCPUs: a window is stolen from when steal took more than this
	// many CPUs on average during it.
	StealCPUs float64
	// ActiveShare: a run is flagged cotenant (steal) when the windows with
	// a co-tenant (with steal) add up to more than this share of the
	// sampled wall time.
	ActiveShare float64
	// MinScaling: the t-thread peak (t up to the physical cores) must reach
	// MinScaling·t times the one-thread peak.
	MinScaling float64
	// MaxPeak is the highest plausible %peak of a result held against a
	// measured peak (isa=native cases are not: see Detect).
	MaxPeak float64
	// MaxSpread: a case spreads when the slowest of its runs took more than
	// MaxSpread times the fastest (ns/op).
	MaxSpread float64
	// SpreadShare: a run is flagged spread when more than this share of
	// its cases with two or more runs spread.
	SpreadShare float64
	// MaxDrift: the peak probe at the end may differ from the start by this
	// fraction either way.
	MaxDrift float64
}

// DefaultThresholds are the limits benchrun uses, set for the small shared
// machines trainbench runs on (a 2-core VM) so that a quiet run is never
// flagged and a run with a co-tenant busy for a tenth of it always is:
//
//   - Windows of at least 1 s: 200 ticks on 2 CPUs, so tick rounding
//     moves the others' CPUs by about 0.01.
//   - A co-tenant is more than 0.25 CPUs used by other processes, counted
//     on the whole machine, not only on the cores our case left idle.
//     A quiet machine's daemons use a few hundredths of a CPU; one
//     CPU-bound process gets 0.67 CPUs while we run 2 threads on 2 cores
//     (three runnable threads share two CPUs) and a full CPU while we run
//     1. Counting only what exceeds the idle cores would
//     hide that process during every 1-thread case, yet it still shares
//     the cache, the memory bandwidth, the clock budget and (on SMT
//     siblings) the core with our thread, the scheduler moves us onto its
//     CPU now and then, and a run is untrustworthy as a whole once its
//     ceilings and its multi-thread cases met the co-tenant. A quarter of
//     a CPU is also where a barrier-synchronised kernel on every core
//     starts to lose a quarter of one thread's time.
//   - Steal above 0.1 CPUs: the hypervisor takes time only from CPUs that
//     wanted to run, so every stolen tick delayed us.
//   - Flag when that holds for more than 10% of the sampled wall time
//     (a co-tenant for a tenth of a run is what must not pass unseen).
//   - A t-thread peak below 0.8·t of the 1-thread peak (1.6x at 2
//     threads): the peak loop shares no data, and two quiet cores of the
//     dev VM scale it by 1.99x (docs/perf-notes.md).
//   - A %peak above 105: the peak is itself a measurement (the best of
//     short runs of a loop) that moves by a few percent within one quiet
//     run, so a tuned kernel can read just over 100 against a low probe,
//     while a core busy during the ceilings reads far higher
//     (docs/perf-notes.md#interference-thresholds). The tables still mark
//     every share above 100 (bench.OverCeiling).
//   - A case spreads when its slowest run is 3x its fastest; the run is
//     flagged when more than a quarter of its cases spread. The default
//     preset's runs are short (about 10 ms), and on a quiet shared VM their
//     slowest/fastest ratio is typically 1.5-1.8x and 2.1-2.4x at the 90th
//     percentile (docs/perf-notes.md#interference-thresholds), so a
//     tighter limit flags every quiet run; a co-tenant is caught by the
//     rules above. The share is written into every results file.
//   - A peak probe drifting more than 10% between start and end: the
//     probe is the best of many short runs of a loop that touches no
//     memory, which a quiet machine repeats within a few percent.
func DefaultThresholds() Thresholds {
	return Thresholds{Window: 1, CotenantCPUs: 0.25, StealCPUs: 0.1, ActiveShare: 0.10,
		MinScaling: 0.8, MaxPeak: 105, MaxSpread: 3, SpreadShare: 0.25, MaxDrift: 0.10}
}

// Span is the samples taken before and after one group of cases. Rules
// count only the time inside spans, so the work between groups (writing the
// results file) is not counted.
type Span struct {
	Before, After Sample
}

// Probe is a short peak measurement repeated at the end of a run; Start
// and End are GFLOP/s, zero when not measured.
type Probe struct {
	ISA        string
	Prec       benchname.Precision
	Threads    int
	Start, End float64
}

// Run is what Detect looks at: the samples around the groups of cases in
// the order they ran, the frequency policy, the ceilings the results were
// held against, the results, and the peak probe.
type Run struct {
	Spans   []Span
	Power   Power
	Profile machine.Profile
	Results []results.Result
	Probe   Probe
}

// Scaling is the worst multi-thread peak against the one-thread peak.
type Scaling struct {
	ISA     string
	Prec    benchname.Precision
	Threads int
	Speedup float64 // the Threads-thread peak over the 1-thread peak
}

// Efficiency is the speed-up per thread: 1 for perfect scaling.
func (s Scaling) Efficiency() float64 { return s.Speedup / float64(s.Threads) }

// Outlier is one case and the value that made it stand out.
type Outlier struct {
	Name  string
	Value float64
}

// Findings are what Detect found. ConfigLines writes them into a results
// file and Parse reads them back (without the names of cases and levels,
// which only the live run's warnings show).
type Findings struct {
	// Flags are the rules that fired, in the order of Flags().
	Flags []string

	// Sampled says whether there were samples; the next fields are zero
	// without them.
	Sampled bool
	// Seconds is the wall time the samples cover.
	Seconds float64
	// CotenantShare is the share of Seconds in windows where others used
	// more than Thresholds.CotenantCPUs.
	CotenantShare float64
	// OthersCPUs is the CPUs other processes used on average.
	OthersCPUs float64
	// StealShare is steal's share of all CPU time.
	StealShare float64
	// StolenShare is the share of Seconds in windows above
	// Thresholds.StealCPUs.
	StolenShare float64
	// LoadStart and LoadEnd are the 1-minute load averages at the first
	// and the last sample.
	LoadStart, LoadEnd float64

	// Power is the frequency policy.
	Power Power

	// Scaling is the worst peak scaling, nil without peaks at 1 and more
	// threads.
	Scaling *Scaling
	// MaxPeak is the highest %peak of a result held against a measured
	// peak (NaN when none has one); OverPeak are the results above the
	// threshold, highest first.
	MaxPeak  float64
	OverPeak []Outlier
	// SpreadCases counts the cases with two or more runs; Spreading are
	// those above the threshold, widest first (Value is slowest/fastest).
	SpreadCases int
	Spreading   []Outlier
	// Probe is the peak probe; Drift is End/Start - 1 (NaN without both).
	Probe Probe
	Drift float64
}

// SpreadShare is the share of the cases with two or more runs that spread.
func (f Findings) SpreadShare() float64 {
	if f.SpreadCases == 0 {
		return 0
	}
	return float64(len(f.Spreading)) / float64(f.SpreadCases)
}

// Flagged reports whether any rule fired.
func (f Findings) Flagged() bool { return len(f.Flags) > 0 }

// Has reports whether flag fired.
func (f Findings) Has(flag string) bool { return slices.Contains(f.Flags, flag) }

// Detect applies the rules of th to r. It reads nothing and measures
// nothing, so the same run always gives the same findings.
//
// Others' CPU time is the system's busy time (user, nice, system, irq,
// softirq) minus this process's user and system time over each span; a
// tick's rounding can make it slightly negative over a short span, which is
// why spans are pooled into windows of th.Window first. Results at
// isa=native are left out of the %peak rule: a library that picks its own
// instructions is held against the highest level this build runs, which it
// may pass by design (a system BLAS using AVX-512 in a build capped below).
func Detect(r Run, th Thresholds) Findings {
	f := Findings{Power: r.Power, MaxPeak: math.NaN(), Drift: math.NaN(), Probe: r.Probe}
	f.sampled(r.Spans, th)
	f.scaling(r.Profile, th)
	f.peaks(r.Results, th)
	f.spread(r.Results, th)
	if r.Probe.Start > 0 && r.Probe.End > 0 {
		f.Drift = r.Probe.End/r.Probe.Start - 1
	}
	fired := map[string]bool{
		FlagCotenant:    f.Sampled && f.CotenantShare > th.ActiveShare,
		FlagSteal:       f.Sampled && f.StolenShare > th.ActiveShare,
		FlagPeakScaling: f.Scaling != nil && f.Scaling.Efficiency() < th.MinScaling,
		FlagOverPeak:    len(f.OverPeak) > 0,
		FlagSpread:      f.SpreadShare() > th.SpreadShare,
		FlagPeakDrift:   math.Abs(f.Drift) > th.MaxDrift,
	}
	for _, fl := range Flags() {
		if fired[fl] {
			f.Flags = append(f.Flags, fl)
		}
	}
	return f
}

// usage is what one span's counters say, in seconds. A span shorter than a
// tick may show no time at all while this process's own time, which is
// not rounded to ticks, went on: such a span still counts, or the pooled
// window would lose our time and credit it to the others.
type usage struct {
	wall   float64 // the CPUs' time divided by their number
	cpus   int
	others float64 // CPU time of other processes
	steal  float64
}

func (s Span) usage() (usage, bool) {
	n := len(s.After.CPUs)
	if n == 0 || len(s.Before.CPUs) != n || s.After.Total.All() < s.Before.Total.All() { // no sample, a CPU went on- or offline
		return usage{}, false
	}
	d := s.After.Total.sub(s.Before.Total)
	return usage{wall: d.All() / float64(n), cpus: n, others: d.Busy() - (s.After.Self - s.Before.Self), steal: d.Steal}, true
}

// sampled pools the spans into windows of at least th.Window in order and
// measures the share of the time with a co-tenant or steal.
func (f *Findings) sampled(spans []Span, th Thresholds) {
	var windows []usage
	var cur usage
	first := true
	for _, s := range spans {
		u, ok := s.usage()
		if !ok {
			continue
		}
		if first {
			first = false
			f.LoadStart = s.Before.Load1
		}
		f.LoadEnd = s.After.Load1
		cur.wall += u.wall
		cur.others += u.others
		cur.steal += u.steal
		cur.cpus = u.cpus
		if cur.wall >= th.Window {
			windows = append(windows, cur)
			cur = usage{}
		}
	}
	if cur.cpus > 0 { // a short tail joins the last window
		if n := len(windows); n > 0 {
			windows[n-1].wall += cur.wall
			windows[n-1].others += cur.others
			windows[n-1].steal += cur.steal
		} else {
			windows = append(windows, cur)
		}
	}
	var cotenant, stolen, others, steal, capacity float64
	for _, w := range windows {
		if w.wall <= 0 {
			continue
		}
		f.Seconds += w.wall
		others += w.others
		steal += w.steal
		capacity += w.wall * float64(w.cpus)
		if w.others/w.wall > th.CotenantCPUs {
			cotenant += w.wall
		}
		if w.steal/w.wall > th.StealCPUs {
			stolen += w.wall
		}
	}
	f.Sampled = f.Seconds > 0
	if f.Sampled {
		f.CotenantShare = cotenant / f.Seconds
		f.StolenShare = stolen / f.Seconds
		f.OthersCPUs = max(others, 0) / f.Seconds
		f.StealShare = steal / capacity
	}
}

// scaling finds the worst t-thread peak against the one-thread peak of the
// same level and precision, for t up to the physical cores: beyond them
// threads share cores and are not expected to scale.
func (f *Findings) scaling(p machine.Profile, th Thresholds) {
	for _, k := range p.Peaks {
		if k.Threads < 2 || (p.Cores > 0 && k.Threads > p.Cores) {
			continue
		}
		one, ok := p.Peak(k.ISA, k.Prec, 1)
		if !ok || one <= 0 {
			continue
		}
		s := Scaling{ISA: k.ISA, Prec: k.Prec, Threads: k.Threads, Speedup: k.GFLOPS / one}
		if f.Scaling == nil || s.Efficiency() < f.Scaling.Efficiency() {
			f.Scaling = &s
		}
	}
}

// peaks finds the highest %peak and the results above th.MaxPeak.
func (f *Findings) peaks(rs []results.Result, th Thresholds) {
	for _, r := range rs {
		v, ok := r.Value("%peak")
		if !ok || r.Param(benchname.KeyISA) == benchname.ISANative {
			continue
		}
		if math.IsNaN(f.MaxPeak) || v > f.MaxPeak {
			f.MaxPeak = v
		}
		if v > th.MaxPeak {
			f.OverPeak = append(f.OverPeak, Outlier{Name: r.Name, Value: v})
		}
	}
	slices.SortStableFunc(f.OverPeak, func(a, b Outlier) int { return cmp.Compare(b.Value, a.Value) })
}

// spread compares the runs of each case (results of one name) by ns/op.
func (f *Findings) spread(rs []results.Result, th Thresholds) {
	type minmax struct {
		lo, hi float64
		n      int
	}
	byName := map[string]*minmax{}
	var order []string
	for _, r := range rs {
		v, ok := r.Value("ns/op")
		if !ok || v <= 0 {
			continue
		}
		m := byName[r.Name]
		if m == nil {
			m = &minmax{lo: v, hi: v}
			byName[r.Name] = m
			order = append(order, r.Name)
		}
		m.lo, m.hi, m.n = min(m.lo, v), max(m.hi, v), m.n+1
	}
	for _, name := range order {
		m := byName[name]
		if m.n < 2 {
			continue
		}
		f.SpreadCases++
		if m.hi/m.lo > th.MaxSpread {
			f.Spreading = append(f.Spreading, Outlier{Name: name, Value: m.hi / m.lo})
		}
	}
	slices.SortStableFunc(f.Spreading, func(a, b Outlier) int { return cmp.Compare(b.Value, a.Value) })
}
