package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/interference"
	"github.com/trainbench/trainbench/results"
)

// replay is a Source that plays a recorded span of interference's
// testdata again and again: sample k is the recorded first sample plus k
// times the recorded change, so every span between two samples is the
// recorded one, whatever this machine is doing.
type replay struct {
	first, change interference.Sample
	k             int
}

func newReplay(t *testing.T, fixture string) *replay {
	t.Helper()
	var s [2]interference.Sample
	for i, dir := range []string{"t0", "t1"} {
		var err error
		s[i], err = interference.Sampler{Root: filepath.Join("..", "..", "interference", "testdata", fixture, dir)}.Sample()
		if err != nil {
			t.Fatal(err)
		}
	}
	d := interference.Sample{Total: diff(s[1].Total, s[0].Total), Self: s[1].Self - s[0].Self}
	for i := range s[0].CPUs {
		d.CPUs = append(d.CPUs, diff(s[1].CPUs[i], s[0].CPUs[i]))
	}
	return &replay{first: s[0], change: d}
}

func diff(a, b interference.CPUTimes) interference.CPUTimes {
	return interference.CPUTimes{User: a.User - b.User, Nice: a.Nice - b.Nice, System: a.System - b.System, Idle: a.Idle - b.Idle,
		IOWait: a.IOWait - b.IOWait, IRQ: a.IRQ - b.IRQ, SoftIRQ: a.SoftIRQ - b.SoftIRQ, Steal: a.Steal - b.Steal}
}

func plus(a, d interference.CPUTimes, k float64) interference.CPUTimes {
	return interference.CPUTimes{User: a.User + k*d.User, Nice: a.Nice + k*d.Nice, System: a.System + k*d.System, Idle: a.Idle + k*d.Idle,
		IOWait: a.IOWait + k*d.IOWait, IRQ: a.IRQ + k*d.IRQ, SoftIRQ: a.SoftIRQ + k*d.SoftIRQ, Steal: a.Steal + k*d.Steal}
}

func (r *replay) Sample() (interference.Sample, error) {
	k := float64(r.k)
	r.k++
	s := interference.Sample{Total: plus(r.first.Total, r.change.Total, k), Self: r.first.Self + k*r.change.Self, Load1: r.first.Load1}
	for i, c := range r.first.CPUs {
		s.CPUs = append(s.CPUs, plus(c, r.change.CPUs[i], k))
	}
	return s, nil
}

func (r *replay) Power() interference.Power { return interference.Power{} }

// replayedFlags is flags without over-peak: the replay fixes the /proc samples,
// but a tiny run's %peak is this machine's timing against a peak measured
// in the same moment, which a noisy machine can put above 100.
func replayedFlags(flags string) string {
	keep := slices.DeleteFunc(strings.Split(flags, ","), func(f string) bool { return f == interference.FlagOverPeak })
	if len(keep) == 0 {
		return "none"
	}
	return strings.Join(keep, ",")
}

// TestRunFlagsInterference runs the tiny selection on a replayed busy and
// quiet machine: the busy run's results file carries the cotenant flag, its
// stderr warns, compare notes it and the report opens with it; the quiet
// run carries no flag from the samples and warns of nothing.
func TestRunFlagsInterference(t *testing.T) {
	defer func(s interference.Source) { interferenceSource = s }(interferenceSource)
	dir := t.TempDir()
	files := map[string]string{}
	for _, c := range []struct {
		fixture, flags string
	}{{"busy", "cotenant"}, {"quiet", "none"}} {
		interferenceSource = newReplay(t, c.fixture)
		out := filepath.Join(dir, c.fixture+".txt")
		files[c.fixture] = out
		_, stderr := tinyRun(t, out)
		rs, err := results.Read(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if got := replayedFlags(r.Get(interference.KeyFlags)); got != c.flags {
				t.Errorf("%s: %s %s: %q, want %q", c.fixture, r.Name, interference.KeyFlags, got, c.flags)
			}
			if got := r.Get(interference.KeyCotenantShare); got == "" {
				t.Errorf("%s: %s lacks %s", c.fixture, r.Name, interference.KeyCotenantShare)
			}
		}
		warned := strings.Contains(stderr, "benchrun: warning: other processes used more than 0.25 CPUs during 100% of the run")
		if warned != (c.flags != "none") {
			t.Errorf("%s: warned %v:\n%s", c.fixture, warned, stderr)
		}
	}

	var o, e bytes.Buffer
	if code := run([]string{"compare", "quiet=" + files["quiet"], "busy=" + files["busy"]}, &o, &e); code != 0 {
		t.Fatalf("compare: exit %d: %s", code, e.String())
	}
	notes := o.String()
	if !strings.Contains(notes, "note: busy: interference flags cotenant") || !strings.Contains(notes, ": a co-tenant during 100% of the run") ||
		strings.Contains(notes, "note: quiet: interference flags cotenant") {
		t.Errorf("compare's notes:\n%s", o.String())
	}

	// The report of a flagged file opens with the banner.
	seed, err := os.ReadFile(seedResults)
	if err != nil {
		t.Fatal(err)
	}
	flagged := filepath.Join(dir, "flagged.txt")
	if err := os.WriteFile(flagged, append([]byte("interference-flags: over-peak\ninterference-max-peak: 129\n"), seed...), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Reset()
	e.Reset()
	report := filepath.Join(dir, "report")
	if code := run([]string{"report", "-o", report, seedResults, flagged}, &o, &e); code != 0 {
		t.Fatalf("report: exit %d: %s", code, e.String())
	}
	md, err := os.ReadFile(filepath.Join(report, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := "> **These measurements may not be trusted**\n>\n> - " + flagged + ": interference flags over-peak: results up to 129 %peak\n"
	if !strings.Contains(string(md), want) || strings.Count(string(md), "interference flags") != 1 {
		t.Errorf("summary.md lacks the banner %q:\n%s", want, md)
	}
}

// TestProbePeakMeasuresAgainOnDrift: the end-of-run probe is measured
// again only when it drifted past the bound, and the higher of the two
// counts, so a stall in one probe does not flag the run while a machine
// that stays slower still differs.
func TestProbePeakMeasuresAgainOnDrift(t *testing.T) {
	for _, c := range []struct {
		rates []float64
		want  float64
		calls int
	}{
		{[]float64{450}, 450, 1},      // within 10% of 456: measured once
		{[]float64{1.2, 452}, 452, 2}, // a stall, then the machine's speed
		{[]float64{300, 290}, 300, 2}, // slower twice: stays a drift
		{[]float64{520, 530}, 530, 2}, // faster twice, likewise
	} {
		calls := 0
		measure := func() (float64, error) { calls++; return c.rates[calls-1], nil }
		got, err := probePeak(measure, 456, 0.10)
		if err != nil || got != c.want || calls != c.calls {
			t.Errorf("rates %v: probe %v after %d measurements (%v), want %v after %d", c.rates, got, calls, err, c.want, c.calls)
		}
	}
}
