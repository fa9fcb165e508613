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
// working-set sweep is the family's "sweep" set (benchrun run --kernel Stream
// --set sweep).
func BenchmarkStream(b *testing.B) { RunAll(b, FamilyCases(benchname.Stream, Options{})) }

var (
	peakNameRE   = regexp.MustCompile(`^Peak/isa=(generic|avx2|avx512)/prec=(f32|f64)/threads=[0-9]+$|^Peak/isa=avx512/prec=bf16/threads=[0-9]+$`)
	streamNameRE = regexp.MustCompile(`^Stream/op=(copy|triad)/threads=[0-9]+/size=[0-9]+$`)
)

func TestCeilingCaseNames(t *testing.T) {
	info, _ := cpu.Detect()
	peaks := FamilyCases(benchname.Peak, Options{})
	want := len(info.Levels()) * 2 * len(DefaultThreads())
	if info.Max() == cpu.AVX512 {
		want += len(DefaultThreads()) // bf16 at avx512, skipping where the CPU lacks AVX512_BF16
	}
	if len(peaks) != want {
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
	for _, m := range c.Metrics(10, 2*time.Second, Roof{PeakGFLOPS: 40, GBs: 100}) {
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
	// The same case where memory bounds it (4 GB/s × 5 FLOP/byte is below
	// the best peak of 1000, though not below its own level's 15): %bw
	// instead of %peak.
	got = map[string]float64{}
	for _, m := range c.Metrics(10, 2*time.Second, Roof{PeakGFLOPS: 15, BestGFLOPS: 1000, GBs: 4}) {
		got[m.Unit] = m.Value
	}
	if got[UnitBW] != 50 || got[UnitPeak] != 0 {
		t.Errorf("memory-bound case: %v, want %%bw 50 and no %%peak", got)
	}
	// An algorithm that does a quarter of the counted FLOPs (winograd):
	// GFLOP/s counts FLOPs, %peak the executed ones.
	w := c
	w.ExecFLOPs = 5e8
	got = map[string]float64{}
	for _, m := range w.Metrics(10, 2*time.Second, Roof{PeakGFLOPS: 40, GBs: 100}) {
		got[m.Unit] = m.Value
	}
	if got["GFLOP/s"] != 10 || math.Abs(got[UnitPeak]-6.25) > 1e-9 {
		t.Errorf("case with ExecFLOPs: %v, want GFLOP/s 10 and %%peak 6.25", got)
	}
	c.Ceiling = true
	for _, m := range c.Metrics(10, 2*time.Second, Roof{PeakGFLOPS: 40, GBs: 100}) {
		if m.Unit == UnitPeak || m.Unit == UnitBW || m.Unit == "FLOP/byte" {
			t.Errorf("ceiling case reports %s", m.Unit)
		}
	}
}

// TestCacheRoof checks the memory level and bandwidth a working set is held
// against: L1 and L2 per core, scaled by threads when measured at another
// count; L3 and DRAM shared; past L2 with L3 unknown, L2.
func TestCacheRoof(t *testing.T) {
	p := machine.Profile{L1D: 48 << 10, L2: 1 << 20, L3: 32 << 20, Caches: []machine.Bandwidth{
		{Level: machine.LevelL1, Threads: 1, GBs: 200},
		{Level: machine.LevelL2, Threads: 1, GBs: 100}, {Level: machine.LevelL2, Threads: 4, GBs: 360},
		{Level: machine.LevelL3, Threads: 1, GBs: 60}, {Level: machine.LevelL3, Threads: 4, GBs: 150},
		{Level: machine.LevelDRAM, Threads: 1, GBs: 20}, {Level: machine.LevelDRAM, Threads: 4, GBs: 40},
	}}
	for _, tc := range []struct {
		bytes   float64
		threads int
		level   string
		gbs     float64
	}{
		{32 << 10, 1, machine.LevelL1, 200},
		{64 << 10, 2, machine.LevelL1, 400}, // 32 KiB a core: L1, twice the 1-thread rate
		{512 << 10, 1, machine.LevelL2, 100},
		{2 << 20, 4, machine.LevelL2, 360},
		{8 << 20, 2, machine.LevelL3, 150}, // shared: the 4-thread rate
		{1 << 30, 1, machine.LevelDRAM, 20},
		{1 << 30, 8, machine.LevelDRAM, 40},
	} {
		l, g := cacheRoof(p, tc.bytes, tc.threads)
		if l != tc.level || g != tc.gbs {
			t.Errorf("%g bytes on %d threads: %s %v GB/s, want %s %v", tc.bytes, tc.threads, l, g, tc.level, tc.gbs)
		}
	}
	p.L3 = 0
	if l, g := cacheRoof(p, 1<<30, 1); l != machine.LevelL2 || g != 100 {
		t.Errorf("unknown L3: %s %v, want l2 100", l, g)
	}
	p.Caches = p.Caches[1:] // no L1 figure: the next faster level there is none of
	if l, g := cacheRoof(p, 1<<10, 1); l != "" || g != 0 {
		t.Errorf("no L1 bandwidth: %s %v, want nothing", l, g)
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
