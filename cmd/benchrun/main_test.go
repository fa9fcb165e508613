package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/perf/benchfmt"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/results/compare"
)

// tiny selects two cheap cases: blocked SGEMM at 64³ and 128³, pure Go, one
// thread, one iteration each.
var tiny = []string{"--kernel", "Sgemm", "--impl", "blocked", "--isa", "generic", "--threads", "1", "--set", "square",
	"--match", "/m=(64|128)/", "--benchtime", "1x", "--count", "1", "--ceilings", "off", "--report=false"}

func tinyRun(t *testing.T, out string, extra ...string) (stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	args := append(append([]string{"run"}, tiny...), "-o", out)
	if code := run(append(args, extra...), &o, &e); code != 0 {
		t.Fatalf("benchrun %s: exit %d\nstderr:\n%s", strings.Join(args, " "), code, e.String())
	}
	return o.String(), e.String()
}

// TestRunWritesResults runs the tiny selection and reads the results file
// back through benchfmt: every case is there with go test's metrics, and
// every configuration key benchrun writes comes back with its value.
func TestRunWritesResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	stdout, stderr := tinyRun(t, out, "--label", "test-box", "--table")
	for _, want := range []string{"Sgemm/impl=blocked/isa=generic/threads=1/m=64/n=64/k=64 ", "GFLOP/s", "%peak",
		"\nKernels   best case of each family", "\nResults   " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table and summary lack %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "[2/2]") {
		t.Errorf("no progress line for the last case in stderr:\n%s", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	// Every line detect prints about the machine must come back intact.
	var det, e bytes.Buffer
	if code := run([]string{"detect"}, &det, &e); code != 0 {
		t.Fatalf("detect: exit %d: %s", code, e.String())
	}
	machine := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(det.String()), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		if k != "isa-levels" && k != "bf16" && k != results.KeyLabel {
			machine[k] = v
		}
	}
	br := benchfmt.NewReader(bytes.NewReader(data), out)
	n := 0
	for br.Scan() {
		rec, ok := br.Result().(*benchfmt.Result)
		if !ok {
			t.Fatalf("record %d: %v", n, br.Result())
		}
		n++
		cfg := map[string]string{}
		for _, c := range rec.Config {
			cfg[c.Key] = string(c.Value)
		}
		for _, k := range []string{"goos", "goarch", "pkg", "cpu", "cpu-vendor", "cpu-family", "cpu-model", "cores", "logical-cpus",
			"l1d", "l2", "l3", "isa-features", "isa-max", results.KeyGoVersion, results.KeyVersion, results.KeyLabel, results.KeyDate} {
			if k == "isa-features" && len(info.Features) == 0 {
				continue // none detected (noasm builds, other architectures)
			}
			if size := map[string]int{"l1d": info.L1D, "l2": info.L2, "l3": info.L3}[k]; strings.HasPrefix(k, "l") && size == 0 {
				continue // unknown here: no line
			}
			if cfg[k] == "" {
				t.Errorf("%s: configuration lacks %s", rec.Name, k)
			}
		}
		for k, v := range machine {
			if cfg[k] != v {
				t.Errorf("%s: configuration %s is %q, detect says %q", rec.Name, k, cfg[k], v)
			}
		}
		if cfg[results.KeyLabel] != "test-box" || cfg["pkg"] != benchPkg {
			t.Errorf("machine %q, pkg %q", cfg[results.KeyLabel], cfg["pkg"])
		}
		for _, unit := range []string{"sec/op", "GFLOP/s", "GB/s", "%peak", "FLOP/byte"} {
			if _, ok := rec.Value(unit); !ok {
				t.Errorf("%s lacks %s", rec.Name, unit)
			}
		}
		if rec.Iters != 1 {
			t.Errorf("%s: %d iterations, want 1 (-benchtime 1x)", rec.Name, rec.Iters)
		}
	}
	if err := br.Err(); err != nil || n != 2 {
		t.Errorf("read %d results (%v), want 2", n, err)
	}
}

// TestBareCommandIsRun runs without the subcommand name, with go test's
// single-dash flag style, and with --json.
func TestBareCommandIsRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	var o, e bytes.Buffer
	args := []string{"-kernel", "Sgemm", "-impl", "blocked", "-isa", "generic", "-threads", "1", "-set", "model", "-match", "m=(32|128)/", "-benchtime", "1x", "-count=2",
		"-ceilings=off", "--json", "-o", out}
	if code := run(args, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	var js results.JSON
	if err := json.Unmarshal(o.Bytes(), &js); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, o.String())
	}
	if len(js.Runs) != 1 || len(js.Runs[0].Results) != 6 || js.Runs[0].Results[0].Params[benchname.KeyImpl] != "blocked" {
		t.Errorf("JSON runs %+v", js.Runs)
	}
	// The aggregates: 3 cases of 2 runs, every metric summarised, and the
	// configuration's numbers as numbers.
	var doc runJSON
	if err := json.Unmarshal(o.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != runJSONSchema || len(doc.Aggregates) != 3 {
		t.Fatalf("schema_version %d, %d aggregates, want %d and 3", doc.SchemaVersion, len(doc.Aggregates), runJSONSchema)
	}
	for _, a := range doc.Aggregates {
		ns, ok := a.Metrics["ns/op"]
		if a.Runs != 2 || !ok || ns.N != 2 || !(ns.Min <= ns.Median && ns.Median <= ns.Max) || ns.Spread == nil || *ns.Spread < 1 {
			t.Errorf("aggregate %s: %d runs, ns/op %+v", a.Name, a.Runs, ns)
		}
		if _, ok := a.Metrics["GFLOP/s"]; !ok || a.Kernel != "Sgemm" || a.Params[benchname.KeyImpl] != "blocked" {
			t.Errorf("aggregate %+v", a)
		}
	}
	if cores, ok := doc.Runs[0].ConfigValues["cores"].(float64); !ok || cores < 1 {
		t.Errorf("config_values cores = %#v, want a number", doc.Runs[0].ConfigValues["cores"])
	}
	if cpu, ok := doc.Runs[0].ConfigValues["cpu"].(string); !ok || cpu == "" {
		t.Errorf("config_values cpu = %#v, want a string", doc.Runs[0].ConfigValues["cpu"])
	}
	if !strings.Contains(e.String(), "\nKernels   ") {
		t.Errorf("with --json the summary goes to stderr:\n%s", e.String())
	}
	rs, err := results.Read(out)
	if err != nil || len(rs) != 6 {
		t.Errorf("results file: %d results, %v", len(rs), err)
	}
}

// TestRunMeasuresCeilings checks that the measured ceilings are written into
// the results' configuration (one thread, so quick).
func TestRunMeasuresCeilings(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the machine (a few seconds)")
	}
	out := filepath.Join(t.TempDir(), "r.txt")
	var o, e bytes.Buffer
	args := append(append([]string{"run"}, tiny...), "--ceilings", "quick", "-o", out)
	if code := run(args, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	rs, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"peak-gflops-generic-f32-t1", "stream-triad-gbs-t1", "ceiling-mode"} {
		if rs[0].Get(k) == "" {
			t.Errorf("configuration lacks %s: %v", k, rs[0].Config)
		}
	}
}

// TestRunBadInput: every mistake is a one-line error on stderr, exit code 2,
// and no output file.
func TestRunBadInput(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	tooMany := strconv.Itoa(4*info.LogicalCores + 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "r.txt")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "extra"}, "takes no arguments"},
		{[]string{"--kernel", "Nosuch"}, "Conv2D, Dense"},
		{[]string{"--impl", "turbo"}, `unknown implementation "turbo" (valid:`},
		{[]string{"--isa", "avx9"}, `unknown ISA level "avx9" (valid: generic, avx2, avx512)`},
		{[]string{"--threads", "0"}, "--threads 0: want 1 to"},
		{[]string{"--threads", "-1"}, "--threads -1: want 1 to"},
		{[]string{"--threads", "1,100000"}, "--threads 100000: want 1 to"},
		{[]string{"--threads", tooMany}, "--threads " + tooMany + ": want 1 to"},
		{[]string{"--threads", "two"}, "--threads"},
		{[]string{"--set", "huge"}, `unknown set "huge"`},
		{[]string{"--match", "("}, "--match"},
		{[]string{"--kernel", "Sgemm", "--match", "nothing-matches"}, "no benchmark cases match"},
		{[]string{"--benchtime", "fast"}, `--benchtime: bad benchtime "fast"`},
		{[]string{"--benchtime", "-1s"}, `--benchtime: bad benchtime "-1s"`},
		{[]string{"--benchtime", "0x"}, `--benchtime: bad benchtime "0x"`},
		{[]string{"--count", "0"}, "--count 0"},
		{[]string{"--count", "-2"}, "--count -2"},
		{[]string{"--quick", "--full"}, "exclude each other"},
		{[]string{"--label", "My Box"}, "bad machine label"},
		{[]string{"--ceilings", "maybe"}, "--ceilings"},
		{[]string{"-o", filepath.Join(dir, "nodir", "r.txt")}, "no directory"},
	} {
		var o, e bytes.Buffer
		args := append(tc.args, "-o", out)
		if tc.args[0] == "-o" {
			args = tc.args
		}
		code := run(args, &o, &e)
		msg := e.String()
		if code != exitUsage || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("benchrun %s: exit %d, stderr %q; want exit 2 and one line with %q", strings.Join(tc.args, " "), code, msg, tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("bad input left files: %v", ents)
	}
}

// cancelOn is a writer that cancels a context once it has seen s.
type cancelOn struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	s      string
	cancel func()
}

func (c *cancelOn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if strings.Contains(c.buf.String(), c.s) {
		c.cancel()
	}
	return len(p), nil
}

// TestInterruptKeepsCompletedResults stops a run (as Ctrl-C does) when the
// first case has finished: exit 130, and the results file holds that case.
func TestInterruptKeepsCompletedResults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOn{s: "[1/2]", cancel: cancel}
	var o bytes.Buffer
	args := append(append([]string{"run"}, tiny...), "-o", out)
	if code := execute(ctx, args, &o, stderr); code != exitInterrupted {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr.buf.String())
	}
	rs, err := results.Read(out)
	if err != nil || len(rs) != 1 {
		t.Fatalf("after the interrupt the file holds %d results (%v), want 1", len(rs), err)
	}
	if !strings.Contains(stderr.buf.String(), "stopped after 1 of 2 runs") {
		t.Errorf("stderr:\n%s", stderr.buf.String())
	}

	// Interrupted before any case finished: no file at all.
	out2 := filepath.Join(t.TempDir(), "r.txt")
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	var e bytes.Buffer
	if code := execute(done, append(append([]string{"run"}, tiny...), "-o", out2), &o, &e); code != exitInterrupted {
		t.Errorf("pre-cancelled run: exit %d", code)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("pre-cancelled run wrote %s (%v)", out2, err)
	}
}

// TestPresetsAnnounceTheirLength: every preset says how long it takes
// before it starts (here it is interrupted before the first case).
func TestPresetsAnnounceTheirLength(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, preset := range []string{"--full", "--quick", "--count=3"} {
		out := filepath.Join(t.TempDir(), "r.txt")
		var o, e bytes.Buffer
		code := execute(ctx, []string{preset, "--kernel", "Sgemm", "--ceilings", "off", "-o", out}, &o, &e)
		if code != exitInterrupted || !regexp.MustCompile(`preset takes at least \S+, typically \S+-\S+ \(`).MatchString(e.String()) {
			t.Errorf("%s: exit %d, stderr:\n%s", preset, code, e.String())
		}
	}
}

// TestRunList: --list prints the selected cases' names, one a line, and
// the time estimate, and measures and writes nothing.
func TestRunList(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var o, e bytes.Buffer
	if code := run([]string{"run", "--list", "--kernel", "Sgemm", "--impl", "blocked", "--isa", "generic", "--threads", "1", "--set", "square"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	names := strings.Split(strings.TrimSpace(o.String()), "\n")
	if len(names) < 2 || names[0] != "Sgemm/impl=blocked/isa=generic/threads=1/m=64/n=64/k=64" {
		t.Errorf("--list printed:\n%s", o.String())
	}
	if !strings.Contains(e.String(), "takes at least") || strings.Contains(e.String(), "measuring") {
		t.Errorf("stderr:\n%s", e.String())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("--list left files: %v", ents)
	}
}

// TestRunFormats: --format csv and md print the full table alone on stdout,
// a CSV file encoding/csv reads back and a table goldmark parses as one.
func TestRunFormats(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	stdout, stderr := tinyRun(t, out, "--format", "csv")
	recs, err := csv.NewReader(strings.NewReader(stdout)).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "case" || recs[0][1] != "ns/op" {
		t.Fatalf("CSV %v (%v):\n%s", recs, err, stdout)
	}
	if _, err := strconv.ParseFloat(recs[1][1], 64); err != nil {
		t.Errorf("ns/op %q is not a plain number", recs[1][1])
	}
	if !strings.Contains(stderr, "\nKernels   ") {
		t.Errorf("the summary is not on stderr:\n%s", stderr)
	}
	stdout, _ = tinyRun(t, out, "--format", "md")
	if rows := mdTableRows(t, stdout); rows != 3 {
		t.Errorf("Markdown table of %d rows, want 3 (header and 2 cases):\n%s", rows, stdout)
	}
	var o, e bytes.Buffer
	if code := run(append(append([]string{"run"}, tiny...), "--format", "xml", "-o", out), &o, &e); code != exitUsage || !strings.Contains(e.String(), "--format") {
		t.Errorf("--format xml: exit %d, %s", code, e.String())
	}
}

// mdTableRows parses src as GitHub-flavoured Markdown and returns the rows
// of its one table (header included); it fails the test unless src is one
// table and nothing else.
func mdTableRows(t *testing.T, src string) int {
	t.Helper()
	md := goldmark.New(goldmark.WithExtensions(extension.Table))
	doc := md.Parser().Parse(text.NewReader([]byte(src)))
	// Count the nodes by walking them: goldmark's table transformer
	// replaces a paragraph without updating the document's child count.
	nodes := 0
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		nodes++
	}
	if nodes != 1 || doc.FirstChild().Kind() != east.KindTable {
		t.Fatalf("not one Markdown table (%d nodes, first %v):\n%s", nodes, doc.FirstChild().Kind(), src)
	}
	return doc.FirstChild().ChildCount()
}

// TestDefaultOutputFolder: without -o the results file (and report) go to
// ./trainbench-out/, created when missing; -o elsewhere leaves it alone.
func TestDefaultOutputFolder(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	var o, e bytes.Buffer
	if code := run(append([]string{"run"}, tiny...), &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	files, _ := filepath.Glob(filepath.Join(outDir, "benchrun-*.txt"))
	if len(files) != 1 || !strings.Contains(o.String(), "Results   "+files[0]) {
		t.Errorf("results files %v; stdout:\n%s", files, o.String())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != outDir {
		t.Errorf("the working directory holds %v, want only %s", ents, outDir)
	}
}

func TestDetect(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"detect"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	for _, want := range []string{"\ncpu-vendor: ", "\ncores: ", "\nisa-levels: generic", "\nbf16: ", "\nmachine: "} {
		if !strings.Contains("\n"+o.String(), want) {
			t.Errorf("detect output lacks %q:\n%s", strings.TrimSpace(want), o.String())
		}
	}
	// The lines are a results file's configuration: ParseProfile reads
	// them, and an unknown cache size is no line rather than a size of 0.
	cfg := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(o.String()), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		cfg[k] = v
		if v == "0" && strings.HasPrefix(k, "l") {
			t.Errorf("detect prints %q: an unknown cache as 0", line)
		}
	}
	if p, err := machine.ParseProfile(cfg); err != nil || p.Cores < 1 {
		t.Errorf("ParseProfile of detect's output: %+v, %v", p, err)
	}
	o.Reset()
	if code := run([]string{"detect", "--json"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	var js detectJSON
	if err := json.Unmarshal(o.Bytes(), &js); err != nil || js.Profile.Cores < 1 || len(js.Levels) == 0 || js.Label == "" {
		t.Errorf("detect --json: %+v, %v\n%s", js, err, o.String())
	}
	e.Reset()
	if code := run([]string{"detect", "--ceilings", "sometimes"}, &o, &e); code != exitUsage || !strings.Contains(e.String(), "--ceilings") {
		t.Errorf("bad --ceilings: exit %d, %s", code, e.String())
	}
}

// TestCompare reads a benchrun file and go test -bench output side by side,
// and checks that the command prints what package compare prints.
func TestCompare(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	tinyRun(t, out)
	var o, e bytes.Buffer
	args := []string{"compare", "-col", ".file", "-filter", "/m:(64 OR 128)", "gotest=testdata/gotest.txt", "benchrun=" + out}
	if code := run(args, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	ins, err := compare.ReadInputs([]string{"gotest=testdata/gotest.txt", "benchrun=" + out})
	if err != nil {
		t.Fatal(err)
	}
	opt := compare.DefaultOptions()
	opt.Filter = "/m:(64 OR 128)"
	ts, err := compare.Build(ins, opt)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := compare.Write(&want, ins, ts); err != nil {
		t.Fatal(err)
	}
	if o.String() != want.String() {
		t.Errorf("compare printed\n%s\nwant\n%s", o.String(), want.String())
	}
	for _, s := range []string{"gotest", "benchrun", "m=128/n=128/k=128", "GFLOP/s", "vs base"} {
		if !strings.Contains(o.String(), s) {
			t.Errorf("compare output lacks %q:\n%s", s, o.String())
		}
	}
	// The shares of a ceiling and FLOP/byte only when asked for.
	if strings.Contains(o.String(), "%peak") || strings.Contains(o.String(), "FLOP/byte") {
		t.Errorf("compare compares derived metrics by default:\n%s", o.String())
	}
	o.Reset()
	if code := run(append([]string{"compare", "--metrics", "all"}, args[1:]...), &o, &e); code != 0 || !strings.Contains(o.String(), "FLOP/byte") {
		t.Errorf("--metrics all: exit %d, output lacks FLOP/byte:\n%s", code, o.String())
	}

	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("goos: linux\nBenchmarkX 1 2 ns/op\nBenchmarkX one 2 ns/op\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare"}, "standard input: no benchmark results"},
		{[]string{"compare", "--format", "html", out}, "--format"},
		{[]string{"compare", bad}, "bad.txt:3:"},
		{[]string{"compare", filepath.Join(t.TempDir(), "missing.txt")}, "missing.txt"},
		{[]string{"compare", "-col", "/impl(", out}, "-col"},
	} {
		e.Reset()
		if code := run(tc.args, &o, &e); code != exitUsage || !strings.Contains(e.String(), tc.want) {
			t.Errorf("benchrun %s: exit %d, stderr %q, want %q", strings.Join(tc.args, " "), code, e.String(), tc.want)
		}
	}
}

// TestCompareFailOnRegression: exit 1 and a line on stderr for a case 20%
// slower at six runs a side; exit 0 when the threshold is above the change.
func TestCompareFailOnRegression(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, ns float64) string {
		var b strings.Builder
		for i := range 6 {
			fmt.Fprintf(&b, "BenchmarkX/isa=avx2-2 100 %g ns/op\nBenchmarkY/isa=avx2-2 100 %g ns/op\n", ns+float64(i), 500+float64(i))
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	old, slow := write("old.txt", 100), write("new.txt", 120)
	var o, e bytes.Buffer
	if code := run([]string{"compare", "--fail-on-regression", "5", old, slow}, &o, &e); code != exitFailure ||
		!strings.Contains(e.String(), "regression:") || !strings.Contains(e.String(), "BenchmarkX") && !strings.Contains(e.String(), "X/isa=avx2") || strings.Contains(e.String(), "Y/isa") {
		t.Errorf("exit %d, stderr %q", code, e.String())
	}
	e.Reset()
	if code := run([]string{"compare", "--fail-on-regression", "25", old, slow}, &o, &e); code != 0 {
		t.Errorf("threshold above the change: exit %d, stderr %q", code, e.String())
	}
}

// TestMerge merges a benchrun file with go test -bench output: both
// machines' configurations survive; bad input writes nothing.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	a, merged := filepath.Join(dir, "a.txt"), filepath.Join(dir, "all.txt")
	tinyRun(t, a, "--label", "box-a")
	var o, e bytes.Buffer
	if code := run([]string{"merge", "-o", merged, a, "testdata/gotest.txt"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	rs, err := results.Read(merged)
	if err != nil || len(rs) != 2+9 {
		t.Fatalf("%d merged results (%v), want 11", len(rs), err)
	}
	if rs[0].Get(results.KeyLabel) != "box-a" || rs[2].Get(results.KeyLabel) != "" || rs[2].Get("cpu") == "" {
		t.Errorf("configurations mixed up: %v / %v", rs[0].Config, rs[2].Config)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("BenchmarkX 1\n"), 0o644)
	out := filepath.Join(dir, "never.txt")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", "-o", out}, "at least one results file"},
		{[]string{"merge", a}, "needs -o"},
		{[]string{"merge", "-o", out, a, bad}, "bad.txt:1:"},
	} {
		e.Reset()
		if code := run(tc.args, &o, &e); code != exitUsage || !strings.Contains(e.String(), tc.want) {
			t.Errorf("benchrun %s: exit %d, stderr %q, want %q", strings.Join(tc.args, " "), code, e.String(), tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("failed merge wrote %s", out)
	}
}

// TestLongFlags: a registered long flag takes one dash (run's, compare's,
// --help); anything else, a shorthand with its value attached among them,
// is left as typed.
func TestLongFlags(t *testing.T) {
	got := longFlags(newRoot(), []string{"-benchtime", "1s", "-o", "x", "--count", "2", "-col=/impl", "-help", "-oxyz", "-nosuch", "-", "-1", "--", "-keep"})
	want := []string{"--benchtime", "1s", "-o", "x", "--count", "2", "--col=/impl", "--help", "-oxyz", "-nosuch", "-", "-1", "--", "-keep"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("longFlags = %q, want %q", got, want)
	}
}

// TestShorthandWithValue: merge -omerged writes the file "merged", as
// pflag reads a shorthand with its value attached, rather than failing on
// an unknown long flag --omerged.
func TestShorthandWithValue(t *testing.T) {
	in, err := filepath.Abs("testdata/gotest.txt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	var o, e bytes.Buffer
	if code := run([]string{"merge", "-omerged", in}, &o, &e); code != 0 {
		t.Fatalf("merge -omerged: exit %d: %s", code, e.String())
	}
	if rs, err := results.Read(filepath.Join(dir, "merged")); err != nil || len(rs) == 0 {
		t.Errorf("merge -omerged wrote %d results (%v)", len(rs), err)
	}
}

// TestVersion: --version (and -version) prints trainbench's version as
// results files record it.
func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-version"} {
		var o, e bytes.Buffer
		if code := run([]string{flag}, &o, &e); code != 0 {
			t.Fatalf("%s: exit %d: %s", flag, code, e.String())
		}
		if want := "benchrun " + results.BuildEnv().Version + " go"; !strings.HasPrefix(o.String(), want) {
			t.Errorf("%s printed %q, want it to start with %q", flag, o.String(), want)
		}
	}
}

// TestQuiet: -q leaves stderr empty on success (no progress, no notes) and
// stdout as it was; an error still prints its one line.
func TestQuiet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	stdout, stderr := tinyRun(t, out, "-q")
	if stderr != "" {
		t.Errorf("-q: stderr %q", stderr)
	}
	if !strings.Contains(stdout, "\nKernels   ") {
		t.Errorf("-q: no summary on stdout:\n%s", stdout)
	}
	var o, e bytes.Buffer
	if code := run([]string{"-q", "--kernel", "Nosuch", "-o", out}, &o, &e); code != exitUsage || strings.Count(e.String(), "\n") != 1 {
		t.Errorf("-q with bad input: exit %d, stderr %q", code, e.String())
	}
}
