package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/costmodel"
)

// slowCopy writes seed-results.txt as measured on another machine, ten
// times slower in every kernel (its own CPU and label), into dir.
func slowCopy(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(seedResults)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("cpu: Test CPU\n", "cpu: Slow CPU\n", "machine: test-box\n", "machine: slow-box\n").Replace(string(data))
	text = regexp.MustCompile(`([0-9.]+) GFLOP/s`).ReplaceAllStringFunc(text, func(s string) string {
		g, _ := strconv.ParseFloat(strings.Fields(s)[0], 64)
		return strconv.FormatFloat(g/10, 'g', -1, 64) + " GFLOP/s"
	})
	p := filepath.Join(dir, "slow.txt")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// costJSON runs cost --json and returns the measured estimates of the
// first workload by option id.
func costJSON(t *testing.T, args ...string) map[string]costmodel.EpochEstimate {
	t.Helper()
	var o, e bytes.Buffer
	if code := run(append([]string{"cost", "--json"}, args...), &o, &e); code != 0 {
		t.Fatalf("cost %v: exit %d: %s", args, code, e.String())
	}
	var doc struct {
		Workloads []struct{ Estimates []costmodel.EpochEstimate }
	}
	if err := json.Unmarshal(o.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]costmodel.EpochEstimate{}
	for _, e := range doc.Workloads[0].Estimates {
		if e.Basis == costmodel.BasisMeasured {
			out[e.Option] = e
		}
	}
	return out
}

// TestCostKeepsMachinesApart: two machines, given as two files or as one
// merged file, are priced as two options named for their machines, each
// with its own epoch time (the one it has alone); the same machine in two
// files is one option, as before.
func TestCostKeepsMachinesApart(t *testing.T) {
	dir := t.TempDir()
	slow := slowCopy(t, dir)
	fastAlone := costJSON(t, seedResults)["measured-1t"]
	slowAlone := costJSON(t, slow)["measured-1t"]
	if !(slowAlone.EpochSeconds.Mid > 5*fastAlone.EpochSeconds.Mid) {
		t.Fatalf("alone: fast %v s, slow %v s", fastAlone.EpochSeconds.Mid, slowAlone.EpochSeconds.Mid)
	}
	merged := filepath.Join(dir, "all.txt")
	var o, e bytes.Buffer
	if code := run([]string{"merge", "-o", merged, seedResults, slow}, &o, &e); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, e.String())
	}
	for _, files := range [][]string{{seedResults, slow}, {merged}} {
		got := costJSON(t, files...)
		f, s := got["measured-test-box-1t"], got["measured-slow-box-1t"]
		if len(got) != 2 || f.Name != "Test CPU, 1 thread" || s.Name != "Slow CPU, 1 thread" {
			t.Fatalf("%v: measured options %v", files, keys(got))
		}
		if f.EpochSeconds != fastAlone.EpochSeconds || s.EpochSeconds != slowAlone.EpochSeconds {
			t.Errorf("%v: epochs %v / %v, alone %v / %v", files, f.EpochSeconds.Mid, s.EpochSeconds.Mid, fastAlone.EpochSeconds.Mid, slowAlone.EpochSeconds.Mid)
		}
	}
	same := filepath.Join(dir, "again.txt")
	data, _ := os.ReadFile(seedResults)
	if err := os.WriteFile(same, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := costJSON(t, seedResults, same); len(got) != 1 || math.Abs(got["measured-1t"].EpochSeconds.Mid-fastAlone.EpochSeconds.Mid) > 1e-9*fastAlone.EpochSeconds.Mid {
		t.Errorf("one machine in two files: %v", keys(got))
	}
	// The report lists both machines and says whose profile it shows.
	out := filepath.Join(dir, "report")
	o.Reset()
	e.Reset()
	if code := run([]string{"report", "-o", out, merged}, &o, &e); code != 0 {
		t.Fatalf("report: exit %d: %s", code, e.String())
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, want := range []string{"Test CPU, 1 thread", "Slow CPU, 1 thread", "2 machines measured"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// tinyGPU is a catalog option cheaper and faster than any other, with 1 MB
// of memory, which no training step of the seed CNN fits.
const tinyGPU = `options:
  - id: tiny-gpu
    name: Tiny GPU
    kind: gpu
    release_year: {value: 2024, source: "test", date: "2024-01"}
    peak_tflops:
      f32: {value: 1000, source: "test", date: "2024"}
    memory_gbs: {value: 100000, source: "test", date: "2024"}
    memory_gb: {value: 0.001, source: "test", date: "2024"}
    tdp_w: {value: 1, source: "test", date: "2024"}
    on_demand_usd_h: {value: 0.0001, source: "test", date: "2024"}
    spot_usd_h: {unsourced: true, note: "none"}
    purchase_usd: {value: 1, source: "test", date: "2024"}
    efficiency: {low: 0.3, mid: 0.4, high: 0.5, source: "test", date: "2024"}
`

// TestStepThatDoesNotFit: an option a step does not fit is marked in the
// cost table and explained under it, and the report, which lists it with
// the reason, recommends it neither as the cheapest nor as the fastest.
func TestStepThatDoesNotFit(t *testing.T) {
	dir := t.TempDir()
	cat := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(cat, []byte(tinyGPU), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := run([]string{"cost", "--catalog", cat, seedResults}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	var row string
	for _, line := range strings.Split(o.String(), "\n") {
		if strings.HasPrefix(line, "tiny-gpu ") {
			row = line
		}
	}
	if row != "" || !strings.Contains(o.String(), "  tiny-gpu: weights, gradients and optimizer state") {
		t.Errorf("tiny-gpu not marked:\n%s", o.String())
	}
	out := filepath.Join(dir, "report")
	e.Reset()
	if code := run([]string{"report", "-o", out, "--catalog", cat, seedResults}, &o, &e); code != 0 {
		t.Fatalf("report: exit %d: %s", code, e.String())
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, line := range strings.Split(string(md), "\n") {
		if (strings.Contains(line, "Cheapest") || strings.Contains(line, "Fastest")) && strings.Contains(line, "Tiny GPU") {
			t.Errorf("the report recommends the option a step does not fit: %q", line)
		}
	}
	if !strings.Contains(string(md), "Tiny GPU: not estimated: weights, gradients and optimizer state") {
		t.Errorf("summary.md does not say Tiny GPU cannot run a step")
	}
}

// TestMergeRefusesDoubling: the same file twice (merge -o X X X, or under
// another name) is refused and the output left alone; -o one of the inputs
// is fine, once.
func TestMergeRefusesDoubling(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.txt")
	data, _ := os.ReadFile(seedResults)
	if err := os.WriteFile(x, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"merge", "-o", x, x, x}, {"merge", "-o", x, x, filepath.Join(dir, ".", "x.txt")}} {
		var o, e bytes.Buffer
		if code := run(args, &o, &e); code != exitUsage || !strings.Contains(e.String(), "count double") {
			t.Errorf("%v: exit %d, %q", args, code, e.String())
		}
	}
	if after, _ := os.ReadFile(x); !bytes.Equal(after, data) {
		t.Errorf("a refused merge changed %s", x)
	}
	slow := slowCopy(t, dir)
	var o, e bytes.Buffer
	if code := run([]string{"merge", "-o", x, x, slow}, &o, &e); code != 0 {
		t.Fatalf("merge into an input: exit %d: %s", code, e.String())
	}
	if got := costJSON(t, x); len(got) != 2 {
		t.Errorf("merged into x: measured options %v", keys(got))
	}
}

// TestBadInputExitsTwo: bad flag values and input files are usage errors
// (exit 2) of one line naming what is wrong, with nothing on stdout.
func TestBadInputExitsTwo(t *testing.T) {
	dir := t.TempDir()
	dup := filepath.Join(dir, "dup.txt")
	os.WriteFile(dup, []byte("cpu: A\ncores: 2\ncores: 64\nBenchmarkSgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64 1 100 ns/op\n"), 0o644)
	neg := filepath.Join(dir, "neg.txt")
	os.WriteFile(neg, []byte("BenchmarkSgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64 1 -100 ns/op\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cost", "--price-per-hour", "NaN", seedResults}, "--price-per-hour"},
		{[]string{"cost", "--watts", "Inf", seedResults}, "--watts"},
		{[]string{"cost", "--purchase", "-1", seedResults}, "--purchase"},
		{[]string{"cost", "--threads", "0", seedResults}, "--threads"},
		{[]string{"cost", seedResults, seedResults}, "given twice"},
		{[]string{"cost", dup}, `dup.txt:3: configuration key "cores" given twice in one block: "2" (line 2), then "64"`},
		{[]string{"cost", neg}, "neg.txt:1:"},
		{[]string{"report", "-o", filepath.Join(dir, "r"), "--budget", "NaN", seedResults}, "--budget"},
		{[]string{"report", "-o", filepath.Join(dir, "r"), "--deadline", "Inf", seedResults}, "--deadline"},
		{[]string{"compare", "--alpha", "NaN", seedResults}, "alpha"},
		{[]string{"compare", "--confidence", "NaN", seedResults}, "confidence"},
		{[]string{"compare", dup}, "dup.txt:3:"},
		{[]string{"merge", "-o", dir, seedResults}, "is a directory"},
		{[]string{"merge", "-o", filepath.Join(dir, "no", "x.txt"), seedResults}, "no directory"},
		{[]string{"merge", "-o", filepath.Join(dir, "m.txt"), neg}, "neg.txt:1:"},
	} {
		var o, e bytes.Buffer
		code := run(c.args, &o, &e)
		if code != exitUsage || !strings.Contains(e.String(), c.want) || o.Len() != 0 || strings.Count(e.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit 2 and one line naming %q", c.args, code, e.String(), o.Len(), c.want)
		}
	}
}
