package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/trainbench/trainbench/bench/runner"
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/interference"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

// interferenceSource is where a run samples the machine: this system's
// /proc and /sys. Tests replace it with recorded samples.
var interferenceSource interference.Source = interference.Sampler{}

// watch samples the machine before and after each group of cases of a run
// (the ceilings, then every case), so that the run can say afterwards
// whether something else used the machine while it measured. A machine
// without /proc gives no samples, and the findings then rest on the
// results alone.
type watch struct {
	src   interference.Source
	power interference.Power
	open  *interference.Sample // taken when the group in progress began
	spans []interference.Span
}

// startWatch reads the frequency policy and takes the first sample: the
// group that begins now is the measuring of the ceilings.
func startWatch() *watch {
	w := &watch{src: interferenceSource}
	w.power = w.src.Power()
	w.mark(true)
	return w
}

// mark takes a sample that ends the group in progress, if any, and begins
// the next one when begin is set.
func (w *watch) mark(begin bool) {
	s, err := w.src.Sample()
	if err != nil {
		w.open = nil
		return
	}
	if w.open != nil {
		w.spans = append(w.spans, interference.Span{Before: *w.open, After: s})
	}
	w.open = nil
	if begin {
		w.open = &s
	}
}

// event follows the runner's progress: a case's Start ends the group in
// progress and begins the case's; Done or Skipped ends it, so the writing
// of the results file between cases is not counted.
func (w *watch) event(e runner.Event) {
	switch e.Kind {
	case runner.Start:
		w.mark(true)
	case runner.Done, runner.Skipped:
		w.mark(false)
	}
}

// watchEnd is what the run knows at its end.
type watchEnd struct {
	profile machine.Profile    // the ceilings the results were held against
	probe   bool               // the ceilings were measured: re-measure the peak probe
	quick   bool               // they were measured quickly: so is the probe
	level   cpu.Level          // the probe's ISA level
	threads []int              // the cases' thread counts, ascending: the probe runs at the most
	config  []results.KeyValue // the run's configuration, which the findings join
	output  string             // the results file
}

// finish re-measures the peak probe (unless the run was stopped), applies
// the detector's rules, writes the findings into every result's
// configuration and the results file, and warns on log for each rule that
// fired. It returns the results with their new configuration.
func (w *watch) finish(ctx context.Context, log io.Writer, rs []results.Result, end watchEnd) ([]results.Result, error) {
	if len(rs) == 0 {
		return rs, nil
	}
	run := interference.Run{Spans: w.spans, Power: w.power, Profile: end.profile, Results: rs}
	th := interference.DefaultThresholds()
	if n := len(end.threads); n > 0 && end.probe && ctx.Err() == nil {
		threads := end.threads[n-1]
		if start, ok := end.profile.Peak(end.level.String(), benchname.F32, threads); ok {
			got, err := probePeak(func() (float64, error) { return ceiling.MeasurePeak(end.level, benchname.F32, threads, end.quick) }, start, th.MaxDrift)
			if err != nil {
				return rs, err
			}
			run.Probe = interference.Probe{ISA: end.level.String(), Prec: benchname.F32, Threads: threads, Start: start, End: got}
		}
	}
	f := interference.Detect(run, th)
	config := append(slices.Clone(end.config), f.ConfigLines()...)
	out := slices.Clone(rs)
	for i := range out {
		out[i].Config = config
	}
	if err := results.WriteFile(end.output, out); err != nil {
		return rs, err
	}
	for _, line := range f.Warnings(th) {
		fmt.Fprintf(log, "benchrun: warning: %s\n", line)
	}
	if f.Flagged() {
		fmt.Fprintf(log, "benchrun: these results may not be trusted; %s records why (%s)\n", end.output, interference.KeyFlags)
	}
	return out, nil
}

// probePeak measures the end-of-run peak probe: once, and once more when
// that differs from start by more than maxDrift, keeping the higher. A peak
// is the best rate the machine reaches, and one stall during a probe of a
// fraction of a second is no change of the machine's speed.
func probePeak(measure func() (float64, error), start, maxDrift float64) (float64, error) {
	got, err := measure()
	if err != nil || math.Abs(got/start-1) <= maxDrift {
		return got, err
	}
	again, err := measure()
	return max(got, again), err
}

// interferenceWarnings returns one line for each results file whose run
// was flagged, for the report's banner.
func interferenceWarnings(files []string) ([]string, error) {
	var out []string
	for _, path := range files {
		rs, err := results.Read(path)
		if err != nil {
			return nil, err
		}
		if d := interference.Describe(rs); d != "" {
			out = append(out, path+": "+d)
		}
	}
	return out, nil
}
