package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

// testSummary builds run's summary of a results file as run does after
// measuring it.
func testSummary(t *testing.T, file string) string {
	t.Helper()
	rs, err := results.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	for _, c := range rs[0].Config {
		cfg[c.Key] = c.Value
	}
	p, err := machine.ParseProfile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cf := defaultCostFlags()
	cf.workloads = summaryWorkloads(rs)
	s := runSummary{profile: p, ceilings: ceilingsQuick, rs: rs, output: file, report: "out-report"}
	s.price, s.priceErr = priceWorkloads(cf, []string{file})
	var b bytes.Buffer
	if err := s.write(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSummary: the summary of the synthetic seed run fits a screen (at most
// 20 lines of at most 100 columns) and says what the machine does (its
// peak, its best kernels) and what an epoch costs on it against the
// catalogued options, and where the files are.
func TestSummary(t *testing.T) {
	out := testSummary(t, seedResults)
	checkFitsScreen(t, out)
	for _, want := range []string{
		"Machine   Test CPU: 2 cores (2 logical), up to avx512",
		"Peak      f32 GFLOP/s at 1 thread: avx512 250",
		"Memory    L1d unknown, L2 unknown, L3 unknown; STREAM triad GB/s at 1 thread: 40",
		"median of 3 runs",
		"  Conv2D      fwd direct avx512 1T seed-cnn.conv2",
		"  Sgemm       blocked avx512 1T 32×128×1600",
		"seed-cnn  1 thread: step ",
		"(sum of its kernels), epoch ",
		"catalogued: Google TPU v5e",
		"Results   " + seedResults,
		"Report    out-report/index.html",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	m := regexp.MustCompile(`rank (\d+) of (\d+) options by price per epoch`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("no rank line")
	} else if r, n := atoi(t, m[1]), atoi(t, m[2]); r < 1 || r > n || n < 5 {
		t.Errorf("rank %d of %d", r, n)
	}
	if !strings.Contains(out, "201 GFLOP/s") {
		t.Errorf("the best Conv2D case is conv2 fwd at a median of 201 GFLOP/s:\n%s", out)
	}
}

// checkFitsScreen logs the summary out and checks that it fits a screen: at
// most 20 lines of at most summaryWidth columns, none with trailing spaces
// or cut short by fit.
func checkFitsScreen(t *testing.T, out string) {
	t.Helper()
	t.Logf("summary:\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 20 {
		t.Errorf("%d lines, want at most 20", len(lines))
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > summaryWidth || strings.TrimRight(l, " ") != l || strings.HasSuffix(l, "…") {
			t.Errorf("line of %d columns, with trailing spaces or cut: %q", n, l)
		}
	}
}

func TestMeasuredThreads(t *testing.T) {
	for id, want := range map[string]int{"measured-1t": 1, "measured-zen5-16t": 16, "measured-m2-4t": 4, "nvidia-h100": 0} {
		if got := measuredThreads(id); got != want {
			t.Errorf("measuredThreads(%q) = %d, want %d", id, got, want)
		}
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSummaryKernels: a memory-bound family (under one FLOP a byte) is
// shown by its best GB/s without a % of the FLOP peak, a compute-bound one
// by its best GFLOP/s with it; the best is the highest median over the runs.
func TestSummaryKernels(t *testing.T) {
	res := func(name string, vals ...float64) results.Result {
		return results.Result{Name: name, Iters: 1, Values: []results.Value{{Value: 1000, Unit: "ns/op"},
			{Value: vals[0], Unit: "GFLOP/s"}, {Value: vals[1], Unit: "GB/s"}, {Value: vals[2], Unit: "%peak"}, {Value: vals[0] / vals[1], Unit: "FLOP/byte"}}}
	}
	rs := []results.Result{
		res("ReLU/pass=fwd/impl=simd/isa=avx2/threads=1/shape=a", 5, 40, 4),
		res("ReLU/pass=fwd/impl=simd/isa=avx2/threads=1/shape=b", 9, 70, 8),
		res("Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64", 50, 5, 45),
		res("Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64", 90, 5, 80),
		res("Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64", 60, 5, 55),
	}
	var lines []string
	runSummary{rs: rs}.kernelLines(func(string, string, ...any) {}, &lines, false)
	out := strings.Join(lines, "\n")
	for _, want := range []string{`(?m)^  ReLU +fwd simd avx2 1T b +70 GB/s$`, `(?m)^  Sgemm +blocked avx2 1T 64×64×64 +60 GFLOP/s +55% of peak$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("kernel lines lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(lines[0], "peak") {
		t.Errorf("a memory-bound family with a %% of the FLOP peak: %q", lines[0])
	}
}

// TestSummaryWarnsOfInterference: a run the interference watch flagged
// says so on the summary's first line (with -q, its only trace).
func TestSummaryWarnsOfInterference(t *testing.T) {
	seed, err := os.ReadFile(seedResults)
	if err != nil {
		t.Fatal(err)
	}
	flagged := filepath.Join(t.TempDir(), "flagged.txt")
	if err := os.WriteFile(flagged, append([]byte("interference-flags: over-peak\ninterference-max-peak: 129\n"), seed...), 0o644); err != nil {
		t.Fatal(err)
	}
	out := testSummary(t, flagged)
	if !strings.HasPrefix(out, "Warning   ") || !strings.Contains(strings.SplitN(out, "\n", 2)[0], "129") {
		t.Errorf("no warning first:\n%s", out)
	}
	if strings.Contains(testSummary(t, seedResults), "Warning") {
		t.Error("an unflagged run warns")
	}
}

// stepsResults is a run like the default one recorded on the dev machine
// (the seed CNN's kernels at avx512, and the whole training steps of the
// seed CNN, ResNet-50 at batch 8 and 32 and GPT-2 small at context 256 and
// 1024, at one and two threads), shared with package costmodel's tests.
const stepsResults = "../../costmodel/testdata/steps-seed-avx512.txt"

// TestSummaryPricesMeasuredNetworks: a run that measured the whole step of
// a larger network prices that network's epoch too, from the step scaled to
// the workload's batch (and context) when it was measured at another, and
// the summary still fits a screen.
func TestSummaryPricesMeasuredNetworks(t *testing.T) {
	out := testSummary(t, stepsResults)
	checkFitsScreen(t, out)
	for _, want := range []string{
		`(?m)^seed-cnn  2 threads: step .* \(measured TrainStep\), epoch `,
		`(?m)^resnet50  2 threads: step .* \(from b32 ×8\.\d+\), epoch .*, rank \d+/\d+$`,
		`(?m)^gpt2      2 threads: step .* \(from t1024b1 ×\d{3}\), epoch .*, rank \d+/\d+$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`rank \d+ of \d+ options by price per epoch`).FindAllString(out, -1)); n != 1 {
		t.Errorf("%d full rank lines, want the seed CNN's alone (the others rank on their one line)", n)
	}
}

// TestSummaryWorkloads: the seed CNN always, then each built-in network the
// run measured a whole step of, at any size, and no other.
func TestSummaryWorkloads(t *testing.T) {
	res := func(name string) results.Result { return results.Result{Name: name, Iters: 1} }
	rs := []results.Result{
		res("TrainStep/impl=nn/isa=avx512/threads=1/shape=gpt2-small.t256b1"),
		res("Conv2D/pass=fwd/impl=direct/isa=avx512/threads=1/shape=resnet50.res2-3x3"),
		res("TrainStep/impl=nn/isa=avx512/threads=1/shape=seed-cnn"),
	}
	if got, want := summaryWorkloads(rs), []string{"seed-cnn", "gpt2-small"}; !slices.Equal(got, want) {
		t.Errorf("summaryWorkloads = %q, want %q", got, want)
	}
	if got := summaryWorkloads(nil); !slices.Equal(got, []string{"seed-cnn"}) {
		t.Errorf("summaryWorkloads(nil) = %q, want the seed CNN alone", got)
	}
}

// TestSummaryKeepsStepsItCannotPrice: a run of a whole step alone, without
// the ceilings and kernels that price a network, keeps the TrainStep row
// among the kernels (the workload lines say why they give no epoch); with a
// priced step the row gives way to the workload lines.
func TestSummaryKeepsStepsItCannotPrice(t *testing.T) {
	out := testSummary(t, "testdata/trainstep-only.txt")
	t.Logf("summary:\n%s", out)
	for _, want := range []string{"  TrainStep   nn avx512 1T resnet50-imagenet.b8", "resnet50  not estimated on this machine"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if out := testSummary(t, stepsResults); strings.Contains(out, "  TrainStep ") {
		t.Errorf("a summary whose workload lines give measured steps repeats them as a TrainStep row:\n%s", out)
	}
}
