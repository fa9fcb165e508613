package reports

import (
	"strings"
	"testing"
)

// TestMachineSummary reads a results file's configuration lines into the
// human lines: sizes in KiB/MiB, "unknown" for a size recorded as 0, peaks
// per ISA level and precision across thread counts, STREAM and per-level
// bandwidth; a line it does not know is kept as given.
func TestMachineSummary(t *testing.T) {
	kvs := []KV{
		{"cpu", "AMD EPYC 9R45"}, {"cpu-vendor", "AMD"}, {"cores", "2"}, {"logical-cpus", "4"},
		{"l1d", "49152"}, {"l2", "1048576"}, {"l3", "0"}, {"isa-max", "avx512"}, {"clock-ghz", "3.7"},
		{"peak-gflops-avx512-f32-t1", "227.9"}, {"peak-gflops-avx512-f32-t2", "452.3"},
		{"peak-gflops-generic-f32-t1", "17.2"}, {"peak-gflops-avx512-f64-t2", "226.2"},
		{"stream-triad-gbs-t1", "41.5"}, {"stream-triad-gbs-t2", "71.03"},
		{"cache-l1-gbs-t1", "412.6"}, {"cache-dram-gbs-t1", "41.5"},
		{"sweep-triad-gbs-t1-12288", "400"}, {"site", "lab 3"},
	}
	m := readMachine(kvs)
	got := map[string]string{}
	var order []string
	for _, kv := range m.summary() {
		got[kv.Key] = kv.Value
		order = append(order, kv.Key)
	}
	want := map[string]string{
		"CPU":                "AMD EPYC 9R45",
		"Cores":              "2 cores, 4 logical CPUs at 3.70 GHz (measured)",
		"Caches":             "L1d 48 KiB and L2 1 MiB per core, L3 unknown",
		"Best ISA level":     "avx512",
		"Peak float32":       "avx512 228 / 452 GFLOP/s, generic 17.2 / — (1 / 2 threads)",
		"Peak float64":       "avx512 226 GFLOP/s (2 threads)",
		"STREAM (DRAM)":      "triad 41.5 / 71.0 GB/s (1 / 2 threads)",
		"Bandwidth by level": "L1 413 GB/s, DRAM 41.5 (1 thread)",
		"site":               "lab 3",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("summary lines %v, want the %d above", order, len(want))
	}
	if m.known != len(kvs)-1 {
		t.Errorf("%d lines recognised, want %d", m.known, len(kvs)-1)
	}
	// Lines of no known key are shown as they are, with nothing folded.
	plain := []KV{{"CPU", "a laptop"}}
	if s := readMachine(plain).summary(); len(s) != 1 || s[0] != plain[0] {
		t.Errorf("summary of human lines %v, want them as given", s)
	}
	p, err := build(&Input{Machine: kvs})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.MachineRaw) != len(kvs) || strings.Contains(p.Machine[0].Key, "cpu-") {
		t.Errorf("page: %d raw lines folded, want %d; summary %v", len(p.MachineRaw), len(kvs), p.Machine)
	}
}

// TestRoofLevel: the roofline table holds each shape against the bandwidth
// of the level its working set fits in (per core for L1 and L2), an upper
// bound where that is unknown, and flags a shape above its roof.
func TestRoofLevel(t *testing.T) {
	m := readMachine([]KV{{"l1d", "32768"}, {"l2", "1048576"}, {"l3", "0"}})
	v := rooflineView{Threads: 2,
		Peaks:      []Peak{{"avx512", 2, 400}},
		Bandwidths: []Bandwidth{{"l1", 2, 800}, {"l2", 2, 300}, {"dram", 2, 50}}}
	k := func(shape string, bytes, gflops float64) KernelPoint {
		return KernelPoint{Kernel: "ReLU", Impl: "simd", ISA: "avx512", Threads: 2, Shape: shape, GFLOPS: gflops, Intensity: 0.125, Bytes: bytes}
	}
	for _, c := range []struct {
		k     KernelPoint
		level string
		known bool
	}{
		{k("l1", 60e3, 1), "l1", true},    // 30 kB a core
		{k("l2", 1.5e6, 1), "l2", true},   // 750 kB a core
		{k("big", 256e6, 1), "l2", false}, // past L2, L3 unknown: no faster than L2
		{k("unknown", 0, 1), "l1", false}, // no working set: the fastest level
	} {
		level, _, known := v.roofLevel(c.k, m)
		if level != c.level || known != c.known {
			t.Errorf("%s: level %s (known %v), want %s (%v)", c.k.Shape, level, known, c.level, c.known)
		}
	}
	v.Points = []KernelPoint{k("l1", 60e3, 90), k("l2", 1.5e6, 50)} // roofs 100 and 37.5 GFLOP/s
	tb, notes := rooflineTable(v, m)
	var of []string
	for _, r := range tb.Rows {
		of = append(of, r[3].Text+"="+r[7].Text+" "+r[8].Text)
	}
	if want := "l1=90% l1 bandwidth l2=flagged (133%) l2 bandwidth"; strings.Join(of, " ") != want {
		t.Errorf("of roof %q, want %q", strings.Join(of, " "), want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "1 of 2 shapes run above their roof") {
		t.Errorf("notes %q, want one on the flagged shape", notes)
	}
}
