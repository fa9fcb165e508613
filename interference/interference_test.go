package interference

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// recorded returns the samples of testdata/<name>/t0 and t1.
func recorded(t *testing.T, name string) Span {
	t.Helper()
	var s [2]Sample
	for i, dir := range []string{"t0", "t1"} {
		var err error
		s[i], err = Sampler{Root: filepath.Join("testdata", name, dir)}.Sample()
		if err != nil {
			t.Fatalf("%s/%s: %v", name, dir, err)
		}
	}
	return Span{Before: s[0], After: s[1]}
}

func TestSamplerReadsRecordedFiles(t *testing.T) {
	sp := recorded(t, "busy")
	b, a := sp.Before, sp.After
	if len(b.CPUs) != 2 || len(a.CPUs) != 2 {
		t.Fatalf("CPUs %d and %d, want 2", len(b.CPUs), len(a.CPUs))
	}
	if !near(b.Total.User, 2879.64, 1e-9) || !near(b.Total.System, 986.70, 1e-9) || !near(b.CPUs[1].SoftIRQ, 5.19, 1e-9) {
		t.Errorf("t0 total %+v, cpu1 %+v", b.Total, b.CPUs[1])
	}
	if b.Self != 0 || !near(a.Self, 0.69, 1e-9) {
		t.Errorf("self %v then %v, want 0 then 0.69 s", b.Self, a.Self)
	}
	if b.Load1 != 13.18 {
		t.Errorf("load %v, want 13.18", b.Load1)
	}
	// The total is the sum of the CPUs (read a moment apart).
	var sum float64
	for _, c := range a.CPUs {
		sum += c.All()
	}
	if !near(sum, a.Total.All(), 0.1) {
		t.Errorf("CPUs sum to %v, total %v", sum, a.Total.All())
	}
}

func TestSamplerWithoutProc(t *testing.T) {
	if _, err := (Sampler{Root: t.TempDir()}).Sample(); err == nil {
		t.Error("a root without proc/ gave a sample")
	}
}

func TestPower(t *testing.T) {
	for _, c := range []struct {
		root  string
		gov   []string
		turbo string
	}{
		{"testdata/laptop", []string{"powersave"}, "on"},
		{"testdata/amd", []string{"performance", "schedutil"}, "off"},
		{"testdata/busy/t0", nil, ""}, // a VM: no cpufreq
	} {
		p := Sampler{Root: c.root}.Power()
		if !slices.Equal(p.Governors, c.gov) || p.Turbo != c.turbo {
			t.Errorf("%s: %+v, want governors %v turbo %q", c.root, p, c.gov, c.turbo)
		}
	}
}

func TestDetectRecorded(t *testing.T) {
	th := DefaultThresholds()
	busy := Detect(Run{Spans: []Span{recorded(t, "busy")}}, th)
	if !busy.Has(FlagCotenant) || busy.CotenantShare != 1 || !near(busy.OthersCPUs, 1.6576, 1e-4) || !near(busy.Seconds, 2.015, 1e-6) {
		t.Errorf("busy: %+v", busy)
	}
	if busy.LoadStart != 13.18 || busy.LoadEnd != 13.18 {
		t.Errorf("busy loads %v %v", busy.LoadStart, busy.LoadEnd)
	}
	quiet := Detect(Run{Spans: []Span{recorded(t, "quiet")}}, th)
	if quiet.Flagged() || !quiet.Sampled || !near(quiet.OthersCPUs, 0.025, 1e-6) || quiet.StealShare != 0 {
		t.Errorf("quiet: %+v", quiet)
	}
	steal := Detect(Run{Spans: []Span{recorded(t, "steal")}}, th)
	if !slices.Equal(steal.Flags, []string{FlagSteal}) || !near(steal.StealShare, 0.1, 1e-9) || steal.StolenShare != 1 {
		t.Errorf("steal: %+v", steal)
	}
}

// machineSim builds samples of a 2-CPU machine: each step runs for wall
// seconds with this process using ours CPUs and others using others CPUs.
// The system's counters are rounded to ticks, as /proc/stat counts them,
// while this process's time is exact.
type machineSim struct {
	busy, idle, self float64 // exact seconds
	spans            []Span
}

func (m *machineSim) sample() Sample {
	tick := func(v float64) float64 { return math.Floor(v*100) / 100 }
	half := CPUTimes{User: tick(m.busy / 2), Idle: tick(m.idle / 2)}
	return Sample{Total: CPUTimes{User: 2 * half.User, Idle: 2 * half.Idle}, CPUs: []CPUTimes{half, half}, Self: m.self}
}

func (m *machineSim) step(wall, ours, others float64) {
	before := m.sample()
	m.busy += wall * (ours + others)
	m.idle += wall * (2 - ours - others)
	m.self += wall * ours
	m.spans = append(m.spans, Span{Before: before, After: m.sample()})
}

func TestCotenantRule(t *testing.T) {
	th := DefaultThresholds()
	run := func(cases int, wall float64, busyFrom, busyTo int, threads func(i int) float64, cotenant float64) Findings {
		var m machineSim
		for i := range cases {
			others := 0.02 // daemons
			if i >= busyFrom && i < busyTo {
				others = min(cotenant, 2-threads(i))
				if threads(i) == 2 {
					others = cotenant * 2 / 3 // three runnable threads share two CPUs
				}
			}
			m.step(wall, threads(i), others)
		}
		return Detect(Run{Spans: m.spans}, th)
	}
	alternate := func(i int) float64 { return float64(1 + i%2) }
	one := func(int) float64 { return 1 }
	// 1000 cases of 0.1 s, 1 and 2 threads in turn.
	if f := run(1000, 0.1, 0, 0, alternate, 1); f.Flagged() || f.CotenantShare != 0 {
		t.Errorf("quiet run flagged: %+v", f)
	}
	if f := run(1000, 0.1, 400, 520, alternate, 1); !f.Has(FlagCotenant) || !near(f.CotenantShare, 0.12, 0.011) {
		t.Errorf("co-tenant during 12%% of the run: %+v", f)
	}
	if f := run(1000, 0.1, 400, 480, alternate, 1); f.Has(FlagCotenant) {
		t.Errorf("co-tenant during 8%% of the run flagged: %+v", f)
	}
	// A co-tenant on the core a 1-thread run leaves idle counts too.
	if f := run(1000, 0.1, 0, 200, one, 1); !f.Has(FlagCotenant) || !near(f.OthersCPUs, 0.216, 0.01) {
		t.Errorf("co-tenant beside 1-thread cases: %+v", f)
	}
	// Short spans round to ticks; pooled into 1 s windows they stay quiet.
	if f := run(3000, 0.013, 0, 0, alternate, 1); f.Flagged() || f.OthersCPUs > 0.05 {
		t.Errorf("short quiet spans flagged: %+v", f)
	}
}

func TestDetectSkipsUnusableSpans(t *testing.T) {
	sp := recorded(t, "busy")
	odd := sp
	odd.After.CPUs = odd.After.CPUs[:1] // a CPU went offline
	f := Detect(Run{Spans: []Span{{}, odd, {Before: sp.Before, After: sp.Before}}}, DefaultThresholds())
	if f.Sampled || f.Flagged() {
		t.Errorf("unusable spans gave %+v", f)
	}
	if lines := f.ConfigLines(); len(lines) != 1 || lines[0] != (results.KeyValue{Key: KeyFlags, Value: "none"}) {
		t.Errorf("config lines %v", lines)
	}
}

func profile(cores int, peaks ...machine.Peak) machine.Profile {
	return machine.Profile{Cores: cores, Peaks: peaks}
}

func TestPeakScaling(t *testing.T) {
	th := DefaultThresholds()
	pk := func(isa string, threads int, g float64) machine.Peak {
		return machine.Peak{ISA: isa, Prec: benchname.F32, Threads: threads, GFLOPS: g}
	}
	// The run: 126 GFLOP/s at 2 threads against 228 at 1.
	f := Detect(Run{Profile: profile(2, pk("avx2", 1, 136), pk("avx2", 2, 270), pk("avx512", 1, 228), pk("avx512", 2, 126))}, th)
	if !f.Has(FlagPeakScaling) || f.Scaling == nil || f.Scaling.ISA != "avx512" || f.Scaling.Threads != 2 || !near(f.Scaling.Speedup, 126.0/228, 1e-9) {
		t.Errorf("scaling %+v, flags %v", f.Scaling, f.Flags)
	}
	if f := Detect(Run{Profile: profile(2, pk("avx512", 1, 274), pk("avx512", 2, 440))}, th); f.Flagged() || !near(f.Scaling.Efficiency(), 440.0/548, 1e-9) {
		t.Errorf("1.6x flagged: %+v", f)
	}
	// Threads beyond the physical cores share them: not held to the rule.
	if f := Detect(Run{Profile: profile(2, pk("avx512", 1, 274), pk("avx512", 4, 500))}, th); f.Flagged() || f.Scaling != nil {
		t.Errorf("4 threads on 2 cores: %+v", f)
	}
}

func result(name string, vals ...results.Value) results.Result {
	return results.Result{Name: name, Iters: 10, Values: vals}
}

func TestOverPeak(t *testing.T) {
	th := DefaultThresholds()
	rs := []results.Result{
		result("Sgemm/impl=blocked/isa=avx512/threads=2/m=1024/n=1024/k=1024-2", results.Value{Value: 1e6, Unit: "ns/op"}, results.Value{Value: 112.4, Unit: "%peak"}),
		result("Sgemm/impl=blocked/isa=avx512/threads=1/m=1024/n=1024/k=1024-2", results.Value{Value: 2e6, Unit: "ns/op"}, results.Value{Value: 129, Unit: "%peak"}),
		result("Sgemm/impl=openblas/isa=native/threads=1/m=1024/n=1024/k=1024-2", results.Value{Value: 3e6, Unit: "ns/op"}, results.Value{Value: 340, Unit: "%peak"}),
		result("ReLU/impl=blocked/isa=avx2/threads=1/shape=seed-cnn.relu1-2", results.Value{Value: 5e3, Unit: "ns/op"}),
	}
	f := Detect(Run{Results: rs}, th)
	if !slices.Equal(f.Flags, []string{FlagOverPeak}) || len(f.OverPeak) != 2 || f.OverPeak[0].Value != 129 || f.MaxPeak != 129 {
		t.Errorf("over peak %+v, flags %v", f.OverPeak, f.Flags)
	}
	if f := Detect(Run{Results: rs[2:]}, th); f.Flagged() || !math.IsNaN(f.MaxPeak) {
		t.Errorf("a native case above 100 %%peak flagged: %+v", f)
	}
	// Within what the peak probe itself varies by: the highest is reported,
	// the run not flagged.
	rs[0].Values[1].Value, rs[1].Values[1].Value = 100, 104.9
	if f := Detect(Run{Results: rs}, th); f.Flagged() || f.MaxPeak != 104.9 {
		t.Errorf("104.9 %%peak flagged: %+v", f)
	}
	rs[1].Values[1].Value = 105.2
	if f := Detect(Run{Results: rs}, th); !f.Has(FlagOverPeak) || len(f.OverPeak) != 1 {
		t.Errorf("105.2 %%peak not flagged: %+v", f)
	}
}

func TestSpread(t *testing.T) {
	th := DefaultThresholds()
	runs := func(name string, ns ...float64) []results.Result {
		var rs []results.Result
		for _, v := range ns {
			rs = append(rs, result(name, results.Value{Value: v, Unit: "ns/op"}))
		}
		return rs
	}
	var rs []results.Result
	for i := range 8 {
		rs = append(rs, runs("Case/i="+string(rune('a'+i)), 100, 103, 101)...)
	}
	rs = append(rs, runs("Wide/n=1", 100, 400, 101)...)
	rs = append(rs, runs("Once/n=1", 100)...)
	f := Detect(Run{Results: rs}, th)
	if f.Flagged() || f.SpreadCases != 9 || len(f.Spreading) != 1 || f.Spreading[0] != (Outlier{"Wide/n=1", 4}) {
		t.Errorf("one case in nine spreads: %+v", f)
	}
	rs = append(rs, runs("Wide/n=2", 100, 310)...)
	if f := Detect(Run{Results: rs}, th); f.Has(FlagSpread) || len(f.Spreading) != 2 || f.SpreadShare() != 0.2 {
		t.Errorf("two in ten (not more than 20%%) flagged: %+v", f)
	}
	rs = append(rs, runs("Wide/n=3", 500, 100)...)
	if f := Detect(Run{Results: rs}, th); !f.Has(FlagSpread) || f.Spreading[0].Name != "Wide/n=3" {
		t.Errorf("three in eleven: %+v", f)
	}
}

func TestPeakDrift(t *testing.T) {
	th := DefaultThresholds()
	p := Probe{ISA: "avx512", Prec: benchname.F32, Threads: 2, Start: 545}
	if f := Detect(Run{Probe: p}, th); f.Flagged() || !math.IsNaN(f.Drift) {
		t.Errorf("no end probe: %+v", f)
	}
	for _, c := range []struct {
		end  float64
		flag bool
	}{{500, false}, {412, true}, {595, false}, {620, true}} {
		p.End = c.end
		f := Detect(Run{Probe: p}, th)
		if f.Has(FlagPeakDrift) != c.flag || !near(f.Drift, c.end/545-1, 1e-12) {
			t.Errorf("end %v: flags %v drift %v", c.end, f.Flags, f.Drift)
		}
	}
}

// flagged is a run that fires every rule.
func flagged(t *testing.T) Findings {
	t.Helper()
	busy := recorded(t, "steal")
	busy.After.Self -= 1.5 // others took 1.5 s more: a co-tenant too
	pk := func(threads int, g float64) machine.Peak {
		return machine.Peak{ISA: "avx512", Prec: benchname.F32, Threads: threads, GFLOPS: g}
	}
	return Detect(Run{
		Spans:   []Span{busy},
		Power:   Sampler{Root: "testdata/laptop"}.Power(),
		Profile: profile(2, pk(1, 228), pk(2, 126)),
		Results: []results.Result{
			result("Sgemm/impl=blocked/isa=avx512/threads=2/m=64/n=64/k=64-2", results.Value{Value: 1000, Unit: "ns/op"}, results.Value{Value: 112, Unit: "%peak"}),
			result("Sgemm/impl=blocked/isa=avx512/threads=2/m=64/n=64/k=64-2", results.Value{Value: 3500, Unit: "ns/op"}, results.Value{Value: 75, Unit: "%peak"}),
		},
		Probe: Probe{ISA: "avx512", Prec: benchname.F32, Threads: 2, Start: 545, End: 412},
	}, DefaultThresholds())
}

func TestConfigLinesRoundTrip(t *testing.T) {
	f := flagged(t)
	if !slices.Equal(f.Flags, Flags()) {
		t.Fatalf("flags %v, want every one", f.Flags)
	}
	lines := f.ConfigLines()
	// The lines are valid configuration: results.Write accepts them and
	// they read back unchanged.
	var buf bytes.Buffer
	r := result("X/n=1", results.Value{Value: 1, Unit: "ns/op"})
	r.Config = lines
	if err := results.Write(&buf, []results.Result{r}); err != nil {
		t.Fatal(err)
	}
	back, err := results.Parse(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back[0].Config, lines) {
		t.Errorf("read back %v, wrote %v", back[0].Config, lines)
	}
	want := map[string]string{KeyFlags: "cotenant,steal,peak-scaling,over-peak,spread,peak-drift", KeyStealShare: "0.1",
		KeyGovernor: "powersave", KeyTurbo: "on", KeyPeakScaling: "0.276", KeyMaxPeak: "112", KeySpread: "1", KeyPeakDrift: "-0.244",
		KeyCotenantShare: "1", KeyOthersCPUs: "0.775"}
	for k, v := range want {
		if got := back[0].Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	for _, kv := range lines {
		if !slices.Contains(Keys(), kv.Key) {
			t.Errorf("key %s is not in Keys()", kv.Key)
		}
	}
	p, ok := Parse(back[0].Config)
	if !ok || !slices.Equal(p.Flags, f.Flags) || p.CotenantShare != 1 || p.OthersCPUs != 0.775 || p.Drift != -0.244 ||
		p.Scaling.Efficiency() != 0.276 || p.MaxPeak != 112 || !p.Sampled || p.Power.Turbo != "on" {
		t.Errorf("parsed %+v", p)
	}
	if _, ok := Parse([]results.KeyValue{{Key: "cpu", Value: "x"}}); ok {
		t.Error("a configuration without findings parsed")
	}
	if p, ok := Parse([]results.KeyValue{{Key: KeyFlags, Value: "none"}}); !ok || p.Flagged() || p.Summary() != "" {
		t.Errorf("none: %+v %v", p, ok)
	}
}

func TestWarnings(t *testing.T) {
	th := DefaultThresholds()
	f := flagged(t)
	w := f.Warnings(th)
	if len(w) != len(Flags())+1 { // every flag and the governor
		t.Fatalf("%d warnings, want %d:\n%s", len(w), len(Flags())+1, strings.Join(w, "\n"))
	}
	for i, want := range []string{"during 100% of the run (0.78 CPUs", "steal", "avx512 f32 peak at 2 threads is 0.55x", "112.0 %peak",
		"1 of 1 cases spread more than 3x", "412.0 GFLOP/s at the end", "governor is powersave"} {
		if !strings.Contains(w[i], want) || strings.Contains(w[i], "\n") {
			t.Errorf("warning %d: %q lacks %q", i, w[i], want)
		}
	}
	// Read back from a file, the warnings still say what fired.
	p, _ := Parse(f.ConfigLines())
	if pw := p.Warnings(th); len(pw) != len(w) {
		t.Errorf("parsed findings give %d warnings:\n%s", len(pw), strings.Join(pw, "\n"))
	}
	s := p.Summary()
	for _, want := range []string{"interference flags cotenant,steal,", "co-tenant during 100% of the run", "0.28 of linear", "up to 112 %peak", "drifted -24%"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary %q lacks %q", s, want)
		}
	}
	if w := Detect(Run{Spans: []Span{recorded(t, "quiet")}}, th).Warnings(th); len(w) != 0 {
		t.Errorf("quiet run warns: %v", w)
	}
}

func TestDescribe(t *testing.T) {
	cfg := func(date string, f Findings) []results.KeyValue {
		return append([]results.KeyValue{{Key: results.KeyDate, Value: date}}, f.ConfigLines()...)
	}
	quiet := Findings{MaxPeak: math.NaN(), Drift: math.NaN()}
	busy := Findings{Flags: []string{FlagCotenant}, Sampled: true, CotenantShare: 0.42, OthersCPUs: 0.5, MaxPeak: math.NaN(), Drift: math.NaN()}
	r := func(c []results.KeyValue) results.Result {
		x := result("X/n=1", results.Value{Value: 1, Unit: "ns/op"})
		x.Config = c
		return x
	}
	if d := Describe([]results.Result{r(cfg("d1", quiet)), r(nil)}); d != "" {
		t.Errorf("quiet runs described as %q", d)
	}
	d := Describe([]results.Result{r(cfg("d1", quiet)), r(cfg("d2", busy)), r(cfg("d2", busy)), r(cfg("d3", busy))})
	if !strings.HasPrefix(d, "interference flags cotenant: a co-tenant during 42% of the run") || !strings.HasSuffix(d, "(and 1 more flagged runs)") {
		t.Errorf("described as %q", d)
	}
}
