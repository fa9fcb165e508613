package ceiling

import (
	"reflect"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
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
	dram := Triad.Arrays() * StreamArrayBytes(info)
	if dram > 1<<30 {
		t.Skipf("DRAM-sized arrays would take %d MiB", dram>>20)
	}
	quick := budget{10e6, 3}
	arena, err := allocArena(info.Max(), 1, dram/Triad.BytesPerElem())
	if err != nil {
		t.Fatal(err)
	}
	fast := 0.0
	for _, size := range []int{24 << 10, 240 << 10} { // inside any L1, inside any L2
		g, _, err := measureStream(info.Max(), Triad, 1, size, arena, quick)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("triad %s 1 thread, %d KiB: %.1f GB/s", info.Max(), size>>10, g)
		fast = max(fast, g)
	}
	slow, _, err := measureStream(info.Max(), Triad, 1, dram, arena, quick)
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
	if got, want := len(p.Peaks), 2*len(info.Levels()); got != want {
		t.Errorf("%d peaks, want %d", got, want)
	}
	for _, k := range p.Peaks {
		if k.GFLOPS <= 0 || k.Threads != 1 {
			t.Errorf("peak %+v", k)
		}
	}
	if len(p.Streams) != 2 || len(p.Sweep) != len(SweepSizes(info)) {
		t.Errorf("%d streams and %d sweep points, want 2 and %d", len(p.Streams), len(p.Sweep), len(SweepSizes(info)))
	}
	if _, ok := p.Cache(LevelDRAM, 1); !ok {
		t.Errorf("no DRAM bandwidth in %+v", p.Caches)
	}
	if info.Compiled != cpu.Generic && (p.ClockGHz < 0.5 || p.ClockGHz > 10 || len(p.Datasheet) != len(p.Peaks)) {
		t.Errorf("clock %v GHz, %d datasheet peaks", p.ClockGHz, len(p.Datasheet))
	}
	back, err := ParseProfile(configMap(p.ConfigLines()))
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
