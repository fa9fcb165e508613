package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"golang.org/x/perf/benchfmt"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
)

func testProfile() machine.Profile {
	return machine.Profile{CPU: "AMD EPYC 9R45 96-Core Processor", Vendor: "AMD", Family: 26, Model: 2, Cores: 2, LogicalCPUs: 2,
		L1D: 48 << 10, L2: 1 << 20, Features: []string{"avx2", "avx512f", "fma3"}, ISA: "avx512"}
}

func testHeader() Header {
	return Header{Machine: testProfile(), Label: "zen5-test", Date: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
		Pkg: "github.com/trainbench/trainbench/bench"}
}

// TestRoundTripThroughBenchfmt writes a run and reads it back with
// benchfmt's own reader: every configuration key must come back with its
// value, and the result lines with their names and values.
func TestRoundTripThroughBenchfmt(t *testing.T) {
	cfg := testHeader().Config()
	rs := []Result{
		{Name: "Sgemm/impl=blocked/isa=avx512/threads=1/m=64/n=64/k=64-2", Iters: 108962, Config: cfg,
			Values: []Value{{11010.5, "ns/op"}, {47.61, "GFLOP/s"}, {31.2, "%peak"}}},
		{Name: "Sgemm/impl=naive/isa=generic/threads=2/m=2048/n=2048/k=2048-2", Iters: 1, Config: cfg,
			Values: []Value{{3.944769e9, "ns/op"}, {4.36, "GFLOP/s"}}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, rs); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"cpu", "cpu-vendor", "cpu-family", "cpu-model", "cores", "logical-cpus", "l1d", "l2",
		"isa-features", "isa-max", KeyGoVersion, KeyGOAMD64, KeyGOOS, KeyGOARCH, KeyPkg, KeyVersion, KeyLabel, KeyDate} {
		if lookup(cfg, key) == "" && !(key == KeyGOAMD64 && BuildEnv().GOARCH != "amd64") {
			t.Errorf("header lacks key %s", key)
		}
	}
	br := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "rt.txt")
	n := 0
	for br.Scan() {
		rec, ok := br.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("record %d: %v", n, br.Result())
		}
		got := map[string]string{}
		for _, c := range rec.Config {
			got[c.Key] = string(c.Value)
		}
		if len(got) != len(cfg) {
			t.Errorf("read back %d configuration keys, wrote %d:\n%s", len(got), len(cfg), buf.String())
		}
		for _, c := range cfg {
			if got[c.Key] != c.Value {
				t.Errorf("key %s: read back %q, wrote %q", c.Key, got[c.Key], c.Value)
			}
		}
		if rec.Name.String() != rs[n].Name || rec.Iters != rs[n].Iters {
			t.Errorf("result %d: read %s %d, wrote %s %d", n, rec.Name, rec.Iters, rs[n].Name, rs[n].Iters)
		}
		if v, _ := rec.Value("GFLOP/s"); v != rs[n].Values[1].Value {
			t.Errorf("result %d: GFLOP/s %v, wrote %v", n, v, rs[n].Values[1].Value)
		}
		n++
	}
	if err := br.Err(); err != nil || n != len(rs) {
		t.Fatalf("read %d results (err %v), wrote %d", n, err, len(rs))
	}

	// And through Parse: values come back in the units written (ns/op).
	back, err := Parse(bytes.NewReader(buf.Bytes()), "rt.txt")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := back[1].Value("ns/op"); !ok || v != 3.944769e9 {
		t.Errorf("ns/op read back as %v, %v", v, ok)
	}
	if back[0].Line == 0 || back[0].File != "rt.txt" {
		t.Errorf("position %s:%d", back[0].File, back[0].Line)
	}
	if &back[0].Config[0] != &back[1].Config[0] {
		t.Error("results of one block do not share their configuration")
	}
	if got := back[0].Get(KeyLabel); got != "zen5-test" {
		t.Errorf("machine label %q", got)
	}
}

func TestNameParts(t *testing.T) {
	r := Result{Name: "Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64-8"}
	if r.Kernel() != "Sgemm" || r.Param(benchname.KeyImpl) != "blocked" || r.Param("k") != "64" || r.Procs() != 8 {
		t.Errorf("kernel %q impl %q k %q procs %d", r.Kernel(), r.Param(benchname.KeyImpl), r.Param("k"), r.Procs())
	}
	if r := (Result{Name: "Peak/isa=avx2"}); r.Procs() != 1 || r.Param(benchname.KeyISA) != "avx2" || len(r.Params()) != 1 {
		t.Errorf("no suffix: procs %d params %v", r.Procs(), r.Params())
	}
	if got := r.CaseName(); got != "Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64" {
		t.Errorf("CaseName %q, want the name without -8", got)
	}
	if got := (Result{Name: "Peak/isa=avx2/n=2"}).CaseName(); got != "Peak/isa=avx2/n=2" {
		t.Errorf("no suffix: CaseName %q", got)
	}
	if BenchmarkName("X/a=1", 1) != "X/a=1" || BenchmarkName("X/a=1", 4) != "X/a=1-4" {
		t.Error("BenchmarkName does not follow go test")
	}
}

// TestTidied: ns/op and MB/s are found in base units (12345 ns/op is
// 12.345 µs, 3 MB/s is 3e6 B/s) as benchfmt's reader gives them; other units
// as written; Value still gives the unit as written.
func TestTidied(t *testing.T) {
	rs, err := Parse(strings.NewReader("BenchmarkX-2 10 12345 ns/op 3 MB/s 4.5 GFLOP/s\n"), "t.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	for _, c := range []struct {
		unit string
		want float64
	}{{"sec/op", 12345e-9}, {"B/s", 3e6}, {"GFLOP/s", 4.5}} {
		if got, ok := r.Tidied(c.unit); !ok || math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("Tidied(%q) = %v, %v; want %v", c.unit, got, ok, c.want)
		}
	}
	if _, ok := r.Tidied("ns/op"); ok {
		t.Error(`Tidied("ns/op") found a value: ns/op tidies to sec/op`)
	}
	if _, ok := r.Tidied("GB/s"); ok {
		t.Error(`Tidied("GB/s") found a value the result lacks`)
	}
	if ns, ok := r.Value("ns/op"); !ok || ns != 12345 {
		t.Errorf(`Value("ns/op") = %v, %v`, ns, ok)
	}
}

func TestFromBenchmark(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	flag.Set("test.benchtime", "10ms")
	defer flag.Set("test.benchtime", old)
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
		}
		b.ReportMetric(12.5, "GFLOP/s")
		b.ReportMetric(3, "GB/s")
	})
	res := FromBenchmark("Noop/impl=x", 2, r, nil)
	if res.Name != "Noop/impl=x-2" || res.Iters != r.N || res.Iters < 1 {
		t.Fatalf("name %q iters %d (benchmark N %d)", res.Name, res.Iters, r.N)
	}
	var units []string
	for _, v := range res.Values {
		units = append(units, v.Unit)
	}
	if got := strings.Join(units, " "); got != "ns/op GB/s GFLOP/s" {
		t.Errorf("units %q, want go test's order ns/op GB/s GFLOP/s", got)
	}
	if z := FromBenchmark("Skipped", 1, testing.BenchmarkResult{}, nil); z.Values != nil {
		t.Errorf("zero result has values %v", z.Values)
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"goos: linux\nBenchmarkX 10 5 ns/op\nBenchmarkY ten 5 ns/op\n", "bad.txt:3:"},
		{"BenchmarkX 10 5\n", "bad.txt:1: missing units"},
		{"BenchmarkX 10\n", "bad.txt:1: missing measurements"},
		{"cpu: x\nPASS\n", "bad.txt: no benchmark results"},
		{"", "bad.txt: no benchmark results"},
	} {
		_, err := Parse(strings.NewReader(tc.in), "bad.txt")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
	_, err := Parse(strings.NewReader(""), "e.txt")
	if !errors.Is(err, ErrNoResults) {
		t.Errorf("empty input error %v does not wrap ErrNoResults", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.txt")); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file error %v", err)
	}
}

func TestGoTestOutputParses(t *testing.T) {
	in := "goos: linux\ngoarch: amd64\npkg: github.com/trainbench/trainbench/bench\ncpu: AMD EPYC 9R45             \n" +
		"BenchmarkSgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64-2   \t  100\t     11010 ns/op\t        47.61 GFLOP/s\n" +
		"PASS\nok  \tgithub.com/trainbench/trainbench/bench\t1.2s\n"
	rs, err := Parse(strings.NewReader(in), "gotest.txt")
	if err != nil || len(rs) != 1 {
		t.Fatalf("%d results, err %v", len(rs), err)
	}
	if rs[0].Get("cpu") != "AMD EPYC 9R45" || rs[0].Param(benchname.KeyISA) != "avx2" {
		t.Errorf("config %v, params %v", rs[0].Config, rs[0].Params())
	}
}

func TestWriteRejectsUnwritable(t *testing.T) {
	good := Result{Name: "X/a=1", Iters: 1, Values: []Value{{1, "ns/op"}}}
	for name, r := range map[string]Result{
		"space in name": {Name: "X a", Iters: 1, Values: good.Values},
		"no iterations": {Name: "X", Iters: 0, Values: good.Values},
		"no values":     {Name: "X", Iters: 1},
		"bad key":       {Name: "X", Iters: 1, Values: good.Values, Config: []KeyValue{{Key: "Cpu", Value: "x"}}},
		"empty value":   {Name: "X", Iters: 1, Values: good.Values, Config: []KeyValue{{Key: "cpu", Value: ""}}},
		"newline":       {Name: "X", Iters: 1, Values: good.Values, Config: []KeyValue{{Key: "cpu", Value: "a\nb"}}},
		"NaN":           {Name: "X", Iters: 1, Values: []Value{{nan(), "ns/op"}}},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, []Result{good, r}); err == nil || buf.Len() != 0 {
			t.Errorf("%s: err %v, wrote %d bytes", name, err, buf.Len())
		}
	}
}

func nan() float64 { z := 0.0; return z / z }

// TestMergeKeepsMachinesApart merges files from two machines where the second
// lacks a key the first has: read back, the second machine's results must not
// inherit it.
func TestMergeKeepsMachinesApart(t *testing.T) {
	dir := t.TempDir()
	a := []KeyValue{{Key: "cpu", Value: "A"}, {Key: "l3", Value: "33554432"}, {Key: KeyLabel, Value: "a"}}
	b := []KeyValue{{Key: "cpu", Value: "B"}, {Key: KeyLabel, Value: "b"}}
	pa, pb, out := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "all.txt")
	if err := WriteFile(pa, []Result{{Name: "X-2", Iters: 3, Config: a, Values: []Value{{5, "ns/op"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(pb, []Result{{Name: "X-2", Iters: 4, Config: b, Values: []Value{{6, "ns/op"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := Merge(out, pa, pb); err != nil {
		t.Fatal(err)
	}
	rs, err := Read(out)
	if err != nil || len(rs) != 2 {
		t.Fatalf("%d results, %v", len(rs), err)
	}
	if rs[0].Get("l3") != "33554432" || rs[1].Get("l3") != "" || rs[1].Get("cpu") != "B" || rs[1].Get(KeyLabel) != "b" {
		t.Errorf("merged configs %v / %v", rs[0].Config, rs[1].Config)
	}
	if err := Merge(filepath.Join(dir, "bad.txt"), pa, filepath.Join(dir, "nosuch.txt")); err == nil {
		t.Error("merge of a missing file succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.txt")); !os.IsNotExist(err) {
		t.Errorf("failed merge left an output file (%v)", err)
	}
}

// TestWriteFileIsAtomic checks that a failed write leaves the old file as it
// was and no temporary files behind.
func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.txt")
	good := []Result{{Name: "X", Iters: 1, Values: []Value{{1, "ns/op"}}}}
	if err := WriteFile(path, good); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if err := WriteFile(path, []Result{{Name: "bad name", Iters: 1, Values: good[0].Values}}); err == nil {
		t.Fatal("bad result written")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("failed write changed the file:\n%s", after)
	}
	if err := WriteFile(filepath.Join(dir, "nodir", "r.txt"), good); err == nil || !strings.Contains(err.Error(), "nodir") {
		t.Errorf("write into a missing directory: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only r.txt", len(ents))
	}
}

func TestJSON(t *testing.T) {
	cfgA := []KeyValue{{Key: "cpu", Value: "A"}}
	rs := []Result{
		{Name: "Sgemm/impl=blocked/m=1-2", Iters: 5, Config: cfgA, Values: []Value{{10, "ns/op"}, {2.5, "GFLOP/s"}}},
		{Name: "Sgemm/impl=naive/m=1-2", Iters: 6, Config: cfgA, Values: []Value{{20, "ns/op"}}},
		{Name: "Sgemm/impl=blocked/m=1-2", Iters: 7, Config: []KeyValue{{Key: "cpu", Value: "B"}}, Values: []Value{{30, "ns/op"}}},
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, rs); err != nil {
		t.Fatal(err)
	}
	var back JSON
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 2 || len(back.Runs[0].Results) != 2 || back.Runs[1].Config["cpu"] != "B" {
		t.Fatalf("runs %+v", back.Runs)
	}
	r := back.Runs[0].Results[0]
	if r.Kernel != "Sgemm" || r.Params[benchname.KeyImpl] != "blocked" || r.Procs != 2 || r.Metrics["GFLOP/s"] != 2.5 {
		t.Errorf("result %+v", r)
	}
}

func TestLabels(t *testing.T) {
	for _, good := range []string{"amd-epyc-9r45-2c", "zen5.test_1", "0"} {
		if err := CheckLabel(good); err != nil {
			t.Errorf("label %q rejected: %v", good, err)
		}
	}
	for _, bad := range []string{"", "Has Space", "UPPER", "-lead", "a/b", strings.Repeat("x", 65)} {
		if CheckLabel(bad) == nil {
			t.Errorf("label %q accepted", bad)
		}
	}
}

// TestVersion: the version names trainbench's module version and its commit
// from the build's vcs settings, marks a modified checkout, and reads the
// dependency's version when trainbench is not the main module.
func TestVersion(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "abcdef1234567890"}, {Key: "vcs.modified", Value: "true"}}
	for _, tc := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.3"}, Settings: vcs}, "v1.2.3 (commit abcdef1, modified)"},
		{debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v1.2.3"}, Settings: vcs[:1]}, "v1.2.3 (commit abcdef1)"},
		{debug.BuildInfo{Main: debug.Module{Path: modulePath}}, "(devel)"},
		{debug.BuildInfo{Main: debug.Module{Path: "example.com/other"}, Settings: vcs,
			Deps: []*debug.Module{{Path: modulePath, Version: "v0.4.0"}}}, "v0.4.0"},
	} {
		if got := version(&tc.bi); got != tc.want {
			t.Errorf("version(%+v) = %q, want %q", tc.bi.Main, got, tc.want)
		}
	}
	if BuildEnv().Version == "" {
		t.Error("BuildEnv().Version is empty")
	}
}
