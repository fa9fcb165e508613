package ceiling

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

func skipTimed(t *testing.T) {
	t.Helper()
	if testing.Short() || raceEnabled {
		t.Skip("times kernels: not under -short or -race")
	}
}

// TestSweepShowsCacheStep checks that the stream kernels measure the memory
// hierarchy: triad on an L1- or L2-resident working set must run at least 1.5
// times faster than on DRAM-sized arrays (about 5x on Zen 5). A kernel bound
// by something else (the loop, the thread pool) would show no step.
func TestSweepShowsCacheStep(t *testing.T) {
	skipTimed(t)
	info, _ := cpu.Detect()
	if info.Max() == cpu.Generic {
		// The scalar Go loop moves ~40 GB/s even from L1, barely above
		// DRAM (29-40 GB/s here): it cannot show the hierarchy (noasm
		// builds and CPUs without AVX2).
		t.Skip("no SIMD stream kernel at this level: the scalar loop is bound by its own speed, not by memory")
	}
	dram := machine.Triad.Arrays() * StreamArrayBytes(info)
	if dram > 1<<30 {
		t.Skipf("DRAM-sized arrays would take %d MiB", dram>>20)
	}
	quick := budget{10e6, 3}
	arena, err := allocArena(info.Max(), 1, dram/machine.Triad.BytesPerElem())
	if err != nil {
		t.Fatal(err)
	}
	fast := 0.0
	for _, size := range []int{24 << 10, 240 << 10} { // inside any L1, inside any L2
		g, _, err := measureStream(context.Background(), info.Max(), machine.Triad, 1, size, arena, quick)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("triad %s 1 thread, %d KiB: %.1f GB/s", info.Max(), size>>10, g)
		fast = max(fast, g)
	}
	slow, _, err := measureStream(context.Background(), info.Max(), machine.Triad, 1, dram, arena, quick)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("triad %s 1 thread, %d MiB: %.1f GB/s", info.Max(), dram>>20, slow)
	if fast < 1.5*slow {
		t.Errorf("cache-resident triad %.1f GB/s is not 1.5x DRAM triad %.1f GB/s: no cache step", fast, slow)
	}
}

// TestMeasureQuick runs a quick Measure at one thread and checks that the
// profile has every entry and survives the configuration round trip.
func TestMeasureQuick(t *testing.T) {
	skipTimed(t)
	info, _ := cpu.Detect()
	p, err := Measure(Options{Quick: true, Threads: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	want := 2 * len(info.Levels())
	if info.BF16() {
		want++ // bf16 at avx512
	}
	if got := len(p.Peaks); got != want {
		t.Errorf("%d peaks, want %d", got, want)
	}
	if _, ok := p.Peak(machine.ISAAVX512, benchname.BF16, 1); ok != info.BF16() {
		t.Errorf("bf16 peak measured: %v; the CPU's bf16 capability: %v", ok, info.CheckBF16())
	}
	for _, k := range p.Peaks {
		if k.GFLOPS <= 0 || k.Threads != 1 {
			t.Errorf("peak %+v", k)
		}
	}
	if len(p.Streams) != 2 || len(p.Sweep) != len(SweepSizes(info)) {
		t.Errorf("%d streams and %d sweep points, want 2 and %d", len(p.Streams), len(p.Sweep), len(SweepSizes(info)))
	}
	if _, ok := p.Cache(machine.LevelDRAM, 1); !ok {
		t.Errorf("no DRAM bandwidth in %+v", p.Caches)
	}
	if info.Compiled != cpu.Generic && (p.ClockGHz < 0.5 || p.ClockGHz > 10 || len(p.Datasheet) != len(p.Peaks)) {
		t.Errorf("clock %v GHz, %d datasheet peaks", p.ClockGHz, len(p.Datasheet))
	}
	config := map[string]string{}
	for _, kv := range p.ConfigLines() {
		config[kv.Key] = kv.Value
	}
	back, err := machine.ParseProfile(config)
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Errorf("measured profile does not round-trip: %v\n got %+v\nwant %+v", err, back, p)
	}
	for _, kv := range p.ConfigLines() {
		t.Logf("%s: %s", kv.Key, kv.Value)
	}
	if _, err := Measure(Options{Threads: []int{0}}); err == nil {
		t.Error("Measure accepted 0 threads")
	}
	if _, err := Measure(Options{Levels: []cpu.Level{cpu.Level(7)}}); err == nil {
		t.Error("Measure accepted an unknown level")
	}
}

// TestSweepSizes checks the sweep runs from L1-sized to the DRAM STREAM
// working set in steps of about 1.5, in whole elements of both ops.
func TestSweepSizes(t *testing.T) {
	info := cpu.Info{L1D: 48 << 10, L2: 1 << 20, L3: 32 << 20}
	s := SweepSizes(info)
	if s[0] > info.L1D/2 {
		t.Errorf("first size %d is not L1-resident", s[0])
	}
	if last := s[len(s)-1]; last != 3*StreamArrayBytes(info) || StreamArrayBytes(info) != 128<<20 {
		t.Errorf("last size %d, want the triad STREAM working set 3·%d", last, StreamArrayBytes(info))
	}
	for i, v := range s {
		if v%machine.Copy.BytesPerElem() != 0 || v%machine.Triad.BytesPerElem() != 0 {
			t.Errorf("size %d is not whole elements", v)
		}
		if i > 0 && i < len(s)-1 {
			if r := float64(v) / float64(s[i-1]); r < 1.3 || r > 1.7 {
				t.Errorf("step %d → %d is x%.2f", s[i-1], v, r)
			}
		}
	}
	if got := StreamArrayBytes(cpu.Info{L3: 256 << 20}); got != 1<<30 {
		t.Errorf("StreamArrayBytes with a 256 MiB L3 = %d, want 4·L3", got)
	}
}

// TestCacheBandwidths checks which sweep points each level is read from.
func TestCacheBandwidths(t *testing.T) {
	info := cpu.Info{L1D: 48 << 10, L2: 1 << 20, L3: 32 << 20}
	pt := func(threads, size int, gbs float64) machine.Bandwidth {
		return machine.Bandwidth{Op: machine.Triad, Threads: threads, Size: size, GBs: gbs}
	}
	sweep := []machine.Bandwidth{
		pt(1, 16<<10, 500), pt(1, 24<<10, 520), pt(1, 40<<10, 900), // 40 KiB is too close to L1 to count
		pt(1, 256<<10, 190), pt(1, 600<<10, 400), // 600 KiB is past L2/2
		pt(1, 4<<20, 100), pt(1, 20<<20, 300), // 20 MiB is past L3/2
		pt(1, 64<<20, 60), pt(1, 128<<20, 41), pt(1, 384<<20, 40),
		pt(2, 40<<10, 1000), pt(2, 64<<10, 2000), pt(2, 512<<10, 380), pt(2, 1536<<10, 900),
	}
	got := map[string]float64{}
	for _, b := range CacheBandwidths(info, sweep) {
		got[b.Level+"-"+strconv.Itoa(b.Threads)] = b.GBs
	}
	want := map[string]float64{"l1-1": 520, "l2-1": 190, "l3-1": 100, "dram-1": 41, "l1-2": 1000, "l2-2": 380}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CacheBandwidths = %v, want %v", got, want)
	}
	if bw := CacheBandwidths(cpu.Info{}, sweep); len(bw) != 1 || bw[0].Level != machine.LevelDRAM {
		t.Errorf("with unknown caches got %v, want only dram at 1 thread", bw)
	}
}

// TestFromInfo checks the CPU facts a profile takes from cpu.Info, and that
// the ISA level names package machine parses are kernels/cpu's.
func TestFromInfo(t *testing.T) {
	info := cpu.Info{Vendor: "AMD", Brand: "AMD EPYC 9R45", Family: 26, Model: 2, PhysicalCores: 2, LogicalCores: 4, L1D: 48 << 10,
		Features: []string{"avx2"}, Hardware: cpu.AVX2, Compiled: cpu.AVX512, Cap: cpu.AVX512}
	p := FromInfo(info)
	if p.CPU != info.Brand || p.Cores != 2 || p.LogicalCPUs != 4 || p.L1D != 48<<10 || p.ISA != "avx2" || !reflect.DeepEqual(p.Features, info.Features) {
		t.Errorf("FromInfo = %+v", p)
	}
	var names []string
	for _, l := range cpu.AllLevels() {
		names = append(names, l.String())
	}
	if !reflect.DeepEqual(names, machine.ISALevels()) {
		t.Errorf("cpu levels %v, machine.ISALevels %v", names, machine.ISALevels())
	}
}

// cancelOnLine cancels a context at the first progress line and counts the
// lines.
type cancelOnLine struct {
	cancel context.CancelFunc
	lines  atomic.Int32
	at     atomic.Int64 // when it cancelled, UnixNano
}

func (c *cancelOnLine) Write(p []byte) (int, error) {
	if c.lines.Add(1) == 1 {
		c.at.Store(time.Now().UnixNano())
		c.cancel()
	}
	return len(p), nil
}

// TestMeasureStops checks that a full measurement acts on its Context within
// a second: cancelled after its first measurement, it returns the
// cancellation without measuring anything else; with a deadline, it returns
// soon after it; cancelled before it starts, it measures nothing (issue 15
// defect 12: Ctrl-C took about 13 s to act during the ceiling measurement).
func TestMeasureStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOnLine{cancel: cancel}
	_, err := Measure(Options{Threads: []int{1}, Progress: w, Context: ctx})
	took := time.Since(time.Unix(0, w.at.Load()))
	if !errors.Is(err, context.Canceled) || w.lines.Load() != 1 || took > time.Second {
		t.Errorf("cancelled at the first line: error %v, %d lines, returned %v after the cancel; want context.Canceled, 1 line, within 1 s",
			err, w.lines.Load(), took)
	}

	dctx, dcancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer dcancel()
	start := time.Now()
	_, err = Measure(Options{Threads: []int{1}, Context: dctx})
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > 1300*time.Millisecond {
		t.Errorf("300 ms deadline: error %v after %v, want context.DeadlineExceeded within 1.3 s", err, took)
	}

	w = &cancelOnLine{cancel: func() {}}
	if _, err := Measure(Options{Quick: true, Progress: w, Context: ctx}); !errors.Is(err, context.Canceled) || w.lines.Load() != 0 {
		t.Errorf("already cancelled: error %v, %d lines; want context.Canceled and none", err, w.lines.Load())
	}
}
