package machine

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/trainbench/trainbench/benchname"
)

// sampleProfile is a profile with every field set, as ceiling.Measure fills it.
func sampleProfile() Profile {
	p := Profile{
		CPU: "AMD EPYC 9655 96-Core Processor", Vendor: "AMD", Family: 26, Model: 2, Cores: 2, LogicalCPUs: 2,
		L1D: 48 << 10, L2: 1 << 20, L3: 32 << 20, Features: []string{"avx2", "avx512f", "fma3"}, ISA: "avx512",
		Mode: "quick", ClockGHz: 4.271, ClockSource: "add-chain", StreamArrayBytes: 128 << 20,
	}
	for _, l := range []string{"avx512", "generic", "avx2"} {
		for _, prec := range Precisions() {
			for _, t := range []int{2, 1} {
				p.Peaks = append(p.Peaks, Peak{ISA: l, Prec: prec, Threads: t, GFLOPS: 273.95 / float64(t) / float64(prec.Size())})
			}
			p.Datasheet = append(p.Datasheet, Peak{ISA: l, Prec: prec, Threads: 2, GFLOPS: 547.1})
		}
	}
	for _, t := range []int{1, 2} {
		for _, op := range Ops() {
			p.Streams = append(p.Streams, Bandwidth{Op: op, Threads: t, Size: op.Arrays() * p.StreamArrayBytes, GBs: 40.9 + float64(t)})
		}
		for _, lv := range CacheLevels() {
			p.Caches = append(p.Caches, Bandwidth{Op: Triad, Level: lv, Threads: t, GBs: 500.25 / float64(t)})
		}
		for _, s := range []int{12288, 18432, 402653184} {
			p.Sweep = append(p.Sweep, Bandwidth{Op: Triad, Threads: t, Size: s, GBs: 1e9 / float64(s)})
		}
	}
	return p
}

func configMap(kv []KeyValue) map[string]string {
	m := map[string]string{}
	for _, x := range kv {
		m[x.Key] = x.Value
	}
	return m
}

// TestConfigRoundTrip writes a profile as configuration lines and parses it
// back, with unrelated keys (as go test writes) mixed in, and checks the key
// syntax of the Go benchmark format.
func TestConfigRoundTrip(t *testing.T) {
	p := sampleProfile()
	lines := p.ConfigLines()
	m := configMap(lines)
	if len(m) != len(lines) {
		t.Fatalf("%d lines but %d distinct keys", len(lines), len(m))
	}
	for _, kv := range lines {
		if kv.Key == "" || !unicode.IsLower(rune(kv.Key[0])) || strings.ContainsFunc(kv.Key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) }) {
			t.Errorf("key %q is not a valid configuration key", kv.Key)
		}
		if strings.Contains(kv.Value, "\n") || kv.Value == "" {
			t.Errorf("key %s: bad value %q", kv.Key, kv.Value)
		}
	}
	for _, want := range []string{"cpu", "cpu-vendor", "cpu-family", "cores", "l1d", "isa-features", "peak-gflops-avx512-f32-t1", "stream-triad-gbs-t2", "cache-l2-gbs-t1", "datasheet-gflops-avx2-f64", "clock-ghz"} {
		if _, ok := m[want]; !ok {
			t.Errorf("no %s line", want)
		}
	}
	if got := m["peak-gflops-avx512-f32-t1"]; got != "68.4875" {
		t.Errorf("peak-gflops-avx512-f32-t1 = %q, want 68.4875", got)
	}
	m["goos"], m["pkg"] = "linux", "github.com/trainbench/trainbench/bench"
	back, err := ParseProfile(m)
	if err != nil {
		t.Fatal(err)
	}
	p.Sort()
	if !reflect.DeepEqual(back, p) {
		t.Errorf("round trip changed the profile:\n got %+v\nwant %+v", back, p)
	}
	if g, ok := back.Peak(ISAAVX2, benchname.F64, 2); !ok || g != 273.95/2/8 {
		t.Errorf("Peak(avx2, f64, 2) = %v, %v", g, ok)
	}
	if g, ok := back.Stream(Triad, 2); !ok || g != 42.9 {
		t.Errorf("Stream(triad, 2) = %v, %v", g, ok)
	}
	if g, ok := back.Cache(LevelDRAM, 1); !ok || g != 500.25 {
		t.Errorf("Cache(dram, 1) = %v, %v", g, ok)
	}
	if _, ok := back.Peak(ISAAVX512, benchname.F32, 3); ok {
		t.Error("Peak found a thread count that was not measured")
	}

	j, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Profile
	if err := json.Unmarshal(j, &fromJSON); err != nil || !reflect.DeepEqual(fromJSON, p) {
		t.Errorf("JSON round trip: %v, changed: %v", err, !reflect.DeepEqual(fromJSON, p))
	}
}

// TestParseProfileErrors checks that bad lines are errors naming the key.
func TestParseProfileErrors(t *testing.T) {
	for key, value := range map[string]string{
		"cores":                       "two",
		"clock-ghz":                   "-1",
		"peak-gflops-avx512-f32-t1":   "fast",
		"peak-gflops-avx9-f32-t1":     "1",
		"peak-gflops-avx512-f16-t1":   "1",
		"peak-gflops-avx512-f32-1":    "1",
		"peak-gflops-avx512-f32-t0":   "1",
		"peak-gflops-avx512-f32":      "1",
		"stream-scale-gbs-t1":         "1",
		"stream-triad-gb-t1":          "1",
		"cache-l4-gbs-t1":             "1",
		"sweep-triad-gbs-t1-big":      "1",
		"sweep-triad-gbs-t1":          "1",
		"datasheet-gflops-avx2-f32-1": "1",
		"stream-copy-gbs-t1":          "NaN",
	} {
		_, err := ParseProfile(map[string]string{"cpu": "x", key: value})
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %q: error %v does not name the key", key, value, err)
		}
	}
	if _, err := ParseProfile(map[string]string{"goos": "linux"}); err == nil {
		t.Error("a configuration without profile keys parsed")
	}
}

// TestUnknownCacheLeftOut: a cache size of 0 (unknown, as on a VM without
// sysfs cache data) writes no line rather than "l3: 0", and reads back as 0.
func TestUnknownCacheLeftOut(t *testing.T) {
	p := sampleProfile()
	p.L3 = 0
	m := configMap(p.ConfigLines())
	if v, ok := m[KeyL3]; ok {
		t.Errorf("unknown L3 written as %s: %q", KeyL3, v)
	}
	if m[KeyL2] != "1048576" {
		t.Errorf("l2 = %q, want 1048576", m[KeyL2])
	}
	back, err := ParseProfile(m)
	if err != nil || back.L3 != 0 || back.L2 != p.L2 {
		t.Errorf("read back L3 %d, L2 %d (%v)", back.L3, back.L2, err)
	}
}
