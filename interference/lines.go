package interference

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/trainbench/trainbench/results"
)

// The configuration keys of the findings, as results files carry them.
// Shares are fractions (0.42, not 42%), CPUs average CPUs, loads the
// 1-minute load average. Only KeyFlags is always written; the others when
// there was something to measure.
const (
	KeyFlags         = "interference-flags"          // the flags that fired, comma-separated, or "none"
	KeyCotenantShare = "interference-cotenant-share" // share of the sampled wall time with a co-tenant
	KeyOthersCPUs    = "interference-others-cpus"    // CPUs other processes used on average
	KeyStealShare    = "interference-steal-share"    // steal's share of all CPU time
	KeyStolenShare   = "interference-stolen-share"   // share of the sampled wall time with steal
	KeySeconds       = "interference-seconds"        // wall time the samples cover
	KeyLoadStart     = "interference-loadavg-start"  // load average at the first sample
	KeyLoadEnd       = "interference-loadavg-end"    // load average at the last sample
	KeyGovernor      = "interference-governor"       // cpufreq scaling governors, comma-separated
	KeyTurbo         = "interference-turbo"          // on or off
	KeyPeakScaling   = "interference-peak-scaling"   // worst multi-thread peak over threads × the 1-thread peak
	KeyMaxPeak       = "interference-max-peak"       // highest %peak of a result
	KeySpread        = "interference-spread"         // share of the cases whose runs spread
	KeyPeakDrift     = "interference-peak-drift"     // peak probe at the end over the start, minus 1
)

// Keys lists every key of the findings: what a comparison of files should
// ignore when it groups results, as it ignores the date.
func Keys() []string {
	return []string{KeyFlags, KeyCotenantShare, KeyOthersCPUs, KeyStealShare, KeyStolenShare, KeySeconds, KeyLoadStart, KeyLoadEnd,
		KeyGovernor, KeyTurbo, KeyPeakScaling, KeyMaxPeak, KeySpread, KeyPeakDrift}
}

// num writes v with at most 3 decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// ConfigLines returns the findings as configuration lines, KeyFlags first.
func (f Findings) ConfigLines() []results.KeyValue {
	flags := strings.Join(f.Flags, ",")
	if flags == "" {
		flags = "none"
	}
	kv := []results.KeyValue{{Key: KeyFlags, Value: flags}}
	add := func(k string, v float64) { kv = append(kv, results.KeyValue{Key: k, Value: num(v)}) }
	if f.Sampled {
		add(KeyCotenantShare, f.CotenantShare)
		add(KeyOthersCPUs, f.OthersCPUs)
		add(KeyStealShare, f.StealShare)
		add(KeyStolenShare, f.StolenShare)
		add(KeySeconds, f.Seconds)
		add(KeyLoadStart, f.LoadStart)
		add(KeyLoadEnd, f.LoadEnd)
	}
	if len(f.Power.Governors) > 0 {
		kv = append(kv, results.KeyValue{Key: KeyGovernor, Value: strings.Join(f.Power.Governors, ",")})
	}
	if f.Power.Turbo != "" {
		kv = append(kv, results.KeyValue{Key: KeyTurbo, Value: f.Power.Turbo})
	}
	if f.Scaling != nil {
		add(KeyPeakScaling, f.Scaling.Efficiency())
	}
	if !math.IsNaN(f.MaxPeak) {
		add(KeyMaxPeak, f.MaxPeak)
	}
	if f.SpreadCases > 0 {
		add(KeySpread, f.SpreadShare())
	}
	if !math.IsNaN(f.Drift) {
		add(KeyPeakDrift, f.Drift)
	}
	return kv
}

// Parse reads findings back from a results file's configuration. ok is
// false when the configuration has no KeyFlags (a run made before the
// detector, or by go test). Names of cases and levels are not in the file,
// so the findings hold the numbers only; a number that does not parse is
// left at zero.
func Parse(config []results.KeyValue) (f Findings, ok bool) {
	f = Findings{MaxPeak: math.NaN(), Drift: math.NaN()}
	get := func(k string) (string, bool) {
		for _, c := range config {
			if c.Key == k {
				return c.Value, true
			}
		}
		return "", false
	}
	flags, ok := get(KeyFlags)
	if !ok {
		return Findings{}, false
	}
	if flags != "none" {
		f.Flags = strings.Split(flags, ",")
	}
	number := func(k string, dst *float64) bool {
		v, ok := get(k)
		if !ok {
			return false
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		*dst = x
		return true
	}
	f.Sampled = number(KeySeconds, &f.Seconds)
	number(KeyCotenantShare, &f.CotenantShare)
	number(KeyOthersCPUs, &f.OthersCPUs)
	number(KeyStealShare, &f.StealShare)
	number(KeyStolenShare, &f.StolenShare)
	number(KeyLoadStart, &f.LoadStart)
	number(KeyLoadEnd, &f.LoadEnd)
	if g, ok := get(KeyGovernor); ok {
		f.Power.Governors = strings.Split(g, ",")
	}
	f.Power.Turbo, _ = get(KeyTurbo)
	var eff float64
	if number(KeyPeakScaling, &eff) {
		f.Scaling = &Scaling{Threads: 1, Speedup: eff}
	}
	number(KeyMaxPeak, &f.MaxPeak)
	number(KeyPeakDrift, &f.Drift)
	return f, true
}

// Warnings returns one line per fired rule and per caveat of the frequency
// policy, for a person: what was seen, the limit, and what it does to the
// numbers.
func (f Findings) Warnings(th Thresholds) []string {
	var w []string
	pct := func(v float64) string { return strconv.FormatFloat(math.Round(v*100), 'f', -1, 64) + "%" }
	if f.Has(FlagCotenant) {
		w = append(w, fmt.Sprintf("other processes used more than %.2g CPUs during %s of the run (%.2f CPUs on average; load average %.2f at the start, %.2f at the end): the timings include their interference",
			th.CotenantCPUs, pct(f.CotenantShare), f.OthersCPUs, f.LoadStart, f.LoadEnd))
	}
	if f.Has(FlagSteal) {
		w = append(w, fmt.Sprintf("the hypervisor took more than %.2g CPUs (steal) during %s of the run, %s of all CPU time: the timings include another machine's load",
			th.StealCPUs, pct(f.StolenShare), pct(f.StealShare)))
	}
	if f.Has(FlagPeakScaling) && f.Scaling != nil {
		s := f.Scaling
		if s.ISA != "" {
			w = append(w, fmt.Sprintf("the %s %s peak at %d threads is %.2fx the 1-thread peak, below %.2gx: a core was busy while the ceilings were measured, so %%peak of multi-thread cases reads high",
				s.ISA, s.Prec, s.Threads, s.Speedup, th.MinScaling*float64(s.Threads)))
		} else {
			w = append(w, fmt.Sprintf("a multi-thread peak scaled at %.2f of linear, below %.2g: a core was busy while the ceilings were measured, so %%peak of multi-thread cases reads high",
				s.Efficiency(), th.MinScaling))
		}
	}
	if f.Has(FlagOverPeak) {
		if len(f.OverPeak) > 0 {
			w = append(w, fmt.Sprintf("%d results above %.3g %%peak (highest: %s at %.1f %%peak): the peak they are held against was measured low",
				len(f.OverPeak), th.MaxPeak, f.OverPeak[0].Name, f.OverPeak[0].Value))
		} else {
			w = append(w, fmt.Sprintf("results up to %.1f %%peak, above %.3g: the peak they are held against was measured low", f.MaxPeak, th.MaxPeak))
		}
	}
	if f.Has(FlagSpread) {
		if len(f.Spreading) > 0 {
			w = append(w, fmt.Sprintf("%d of %d cases spread more than %.2gx between their runs (widest: %s at %.2fx): the machine's speed changed during the run",
				len(f.Spreading), f.SpreadCases, th.MaxSpread, f.Spreading[0].Name, f.Spreading[0].Value))
		} else {
			w = append(w, "more than "+pct(th.SpreadShare)+" of the cases spread more than "+strconv.FormatFloat(th.MaxSpread, 'f', -1, 64)+"x between their runs: the machine's speed changed during the run")
		}
	}
	if f.Has(FlagPeakDrift) {
		if f.Probe.Start > 0 {
			w = append(w, fmt.Sprintf("the %s %s peak at %d threads measured %.1f GFLOP/s at the end of the run against %.1f at the start (%+.0f%%, more than ±%s): the machine changed speed during the run",
				f.Probe.ISA, f.Probe.Prec, f.Probe.Threads, f.Probe.End, f.Probe.Start, 100*f.Drift, pct(th.MaxDrift)))
		} else {
			w = append(w, fmt.Sprintf("the peak measured at the end of the run differed from the start by %+.0f%%, more than ±%s: the machine changed speed during the run", 100*f.Drift, pct(th.MaxDrift)))
		}
	}
	for _, g := range f.Power.Governors {
		if g != "performance" {
			w = append(w, fmt.Sprintf("the CPU frequency governor is %s, not performance: the clock follows the load, so timings vary with it", strings.Join(f.Power.Governors, ", ")))
			break
		}
	}
	return w
}

// Summary is the findings in one line for a comparison or a report: the
// flags with the number behind each, "" when nothing fired.
func (f Findings) Summary() string {
	if !f.Flagged() {
		return ""
	}
	var parts []string
	for _, fl := range f.Flags {
		switch fl {
		case FlagCotenant:
			parts = append(parts, fmt.Sprintf("a co-tenant during %.0f%% of the run (%.2f CPUs on average)", 100*f.CotenantShare, f.OthersCPUs))
		case FlagSteal:
			parts = append(parts, fmt.Sprintf("steal during %.0f%% of the run", 100*f.StolenShare))
		case FlagPeakScaling:
			if f.Scaling != nil {
				parts = append(parts, fmt.Sprintf("multi-thread peak at %.2f of linear scaling", f.Scaling.Efficiency()))
			} else {
				parts = append(parts, "multi-thread peak scaled too little")
			}
		case FlagOverPeak:
			parts = append(parts, fmt.Sprintf("results up to %.0f %%peak", f.MaxPeak))
		case FlagSpread:
			parts = append(parts, "runs of one case disagree")
		case FlagPeakDrift:
			parts = append(parts, fmt.Sprintf("peak drifted %+.0f%% during the run", 100*f.Drift))
		default:
			parts = append(parts, fl)
		}
	}
	return "interference flags " + strings.Join(f.Flags, ",") + ": " + strings.Join(parts, "; ")
}

// Describe returns the summary of the flagged runs among rs (results of
// one input, each carrying its run's configuration): the first flagged
// run's Summary, and how many more were flagged; "" when none was.
func Describe(rs []results.Result) string {
	var first string
	more := 0
	seen := map[string]bool{}
	for _, r := range rs {
		f, ok := Parse(r.Config)
		if !ok || !f.Flagged() {
			continue
		}
		id := r.Get(results.KeyLabel) + "\x00" + r.Get(results.KeyDate) + "\x00" + strings.Join(f.Flags, ",")
		if seen[id] {
			continue
		}
		seen[id] = true
		if first == "" {
			first = f.Summary()
		} else {
			more++
		}
	}
	if more > 0 {
		first += fmt.Sprintf(" (and %d more flagged runs)", more)
	}
	return first
}
