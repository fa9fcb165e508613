package bench

import (
	"math"
	"regexp"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// BenchmarkPeak measures the peak FMA throughput per ISA level, precision and
// thread count, e.g.
//
//	go test ./bench -run '^$' -bench 'Peak/isa=avx512/prec=f32' -count 5
func BenchmarkPeak(b *testing.B) { RunAll(b, FamilyCases(benchname.Peak, Options{})) }

// BenchmarkStream measures STREAM copy and triad on DRAM-sized arrays; the
// working-set sweep is the family's "sweep" set (benchrun, or
// StreamCases(Options{Sets: []string{"sweep"}})).
func BenchmarkStream(b *testing.B) { RunAll(b, FamilyCases(benchname.Stream, Options{})) }

var (
	peakNameRE   = regexp.MustCompile(`^Peak/isa=(generic|avx2|avx512)/prec=(f32|f64)/threads=[0-9]+$`)
	streamNameRE = regexp.MustCompile(`^Stream/op=(copy|triad)/threads=[0-9]+/size=[0-9]+$`)
)

func TestCeilingCaseNames(t *testing.T) {
	info, _ := cpu.Detect()
	peaks := FamilyCases(benchname.Peak, Options{})
	if want := len(info.Levels()) * 2 * len(DefaultThreads()); len(peaks) != want {
		t.Errorf("%d Peak cases, want %d", len(peaks), want)
	}
	streams := FamilyCases(benchname.Stream, Options{Sets: []string{benchname.SetDRAM, benchname.SetSweep}})
	// The sweep's last working set is triad's DRAM one: listed once.
	if want := 2*len(DefaultThreads())*(1+len(ceiling.SweepSizes(info))) - len(DefaultThreads()); len(streams) != want {
		t.Errorf("%d Stream cases, want %d", len(streams), want)
	}
	seen := map[string]bool{}
	for _, c := range append(peaks, streams...) {
		re := peakNameRE
		if c.Family == benchname.Stream {
			re = streamNameRE
		}
		if !re.MatchString(c.Name()) {
			t.Errorf("case name %q does not follow the naming scheme", c.Name())
		}
		if seen[c.Name()] {
			t.Errorf("duplicate case %q", c.Name())
		}
		seen[c.Name()] = true
		if !c.Ceiling || (c.Family == benchname.Peak && c.FLOPs <= 0) || (c.Family == benchname.Stream && c.Bytes <= 0) {
			t.Errorf("%s: Ceiling %v FLOPs %v Bytes %v", c.Name(), c.Ceiling, c.FLOPs, c.Bytes)
		}
	}
	if n := len(FamilyCases(benchname.Stream, Options{})); n != 2*len(DefaultThreads()) {
		t.Errorf("default Stream cases: %d, want copy and triad at each thread count (set dram)", n)
	}
}

// TestCeilingCasesRun runs every Peak case and small Stream cases once.
func TestCeilingCasesRun(t *testing.T) {
	cases := FamilyCases(benchname.Peak, Options{Threads: []int{1, 2}})
	for _, l := range []cpu.Level{cpu.Generic} {
		for _, op := range machine.Ops() {
			cases = append(cases, streamCase(l, op, 2, 48<<10, benchname.SetSweep))
		}
	}
	for _, c := range cases {
		op, cleanup, err := c.Prepare()
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		op()
		cleanup()
	}
}

// TestMetrics checks the reported metrics, %peak and FLOP/byte included.
func TestMetrics(t *testing.T) {
	c := Case{CaseName: benchname.CaseName{Family: benchname.Sgemm, ISA: "avx2", Threads: 1}, FLOPs: 2e9, Bytes: 4e8}
	got := map[string]float64{}
	for _, m := range c.Metrics(10, 2*time.Second, 40) {
		got[m.Unit] = m.Value
	}
	want := map[string]float64{"GFLOP/s": 10, "GB/s": 2, "%peak": 25, "FLOP/byte": 5}
	for u, v := range want {
		if math.Abs(got[u]-v) > 1e-9 {
			t.Errorf("%s = %v, want %v", u, got[u], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	c.Ceiling = true
	for _, m := range c.Metrics(10, 2*time.Second, 40) {
		if m.Unit == "%peak" || m.Unit == "FLOP/byte" {
			t.Errorf("ceiling case reports %s", m.Unit)
		}
	}
}

// TestRoof checks which peak a case is held against, using a profile so
// nothing is measured.
func TestRoof(t *testing.T) {
	info, _ := cpu.Detect()
	p := machine.Profile{Peaks: []machine.Peak{
		{ISA: "generic", Prec: benchname.F32, Threads: 1, GFLOPS: 13},
		{ISA: info.Max().String(), Prec: benchname.F32, Threads: 2, GFLOPS: 500},
	}}
	UseProfile(p)
	defer UseProfile(machine.Profile{})
	for _, tc := range []struct {
		isa     string
		threads int
		want    float64
	}{{"generic", 1, 13}, {benchname.ISANative, 2, 500}, {info.Max().String(), 2, 500}} {
		c := Case{CaseName: benchname.CaseName{ISA: tc.isa, Threads: tc.threads}}
		l, ok := roofLevel(c)
		if !ok {
			t.Fatalf("isa=%s: no roof level", tc.isa)
		}
		if g := PeakGFLOPS(l, tc.threads); g != tc.want {
			t.Errorf("isa=%s threads=%d: peak %v, want %v", tc.isa, tc.threads, g, tc.want)
		}
	}
	if _, ok := roofLevel(Case{CaseName: benchname.CaseName{Family: benchname.Stream, Op: string(machine.Copy)}}); ok {
		t.Error("a case without isa= has a roof level")
	}
}
