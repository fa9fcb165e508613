package costmodel

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// testProfile: 250 GFLOP/s f32 peak and a triad sweep of 100 GB/s at 1 MiB,
// 60 at 8 MiB, 40 at 64 MiB (one thread).
func testProfile() machine.Profile {
	return machine.Profile{CPU: "Test CPU", Vendor: "AMD", Cores: 2, LogicalCPUs: 2, ISA: "avx512",
		Peaks:            []machine.Peak{{ISA: "avx512", Prec: benchname.F32, Threads: 1, GFLOPS: 250}},
		StreamArrayBytes: 1 << 26,
		Streams:          []machine.Bandwidth{{Op: machine.Triad, Threads: 1, GBs: 40}},
		Sweep: []machine.Bandwidth{{Op: machine.Triad, Threads: 1, Size: 1 << 20, GBs: 100},
			{Op: machine.Triad, Threads: 1, Size: 8 << 20, GBs: 60}, {Op: machine.Triad, Threads: 1, Size: 64 << 20, GBs: 40}}}
}

// seedResults is a results file for the seed CNN: the machine profile as
// configuration lines, then each case's runs at the given GFLOP/s.
func seedResults() string {
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: github.com/trainbench/trainbench/bench\n")
	for _, kv := range testProfile().ConfigLines() {
		fmt.Fprintf(&b, "%s: %s\n", kv.Key, kv.Value)
	}
	runs := func(name string, gflops ...float64) {
		for _, g := range gflops {
			fmt.Fprintf(&b, "Benchmark%s-2 \t 100\t 12345 ns/op\t %v GFLOP/s\t 10 FLOP/byte\n", name, g)
		}
	}
	conv := func(pass, impl, shape string, threads int, g ...float64) {
		runs(fmt.Sprintf("Conv2D/pass=%s/impl=%s/isa=avx512/threads=%d/shape=seed-cnn.%s", pass, impl, threads, shape), g...)
	}
	conv("fwd", "direct", "conv2", 1, 190, 200, 210)
	conv("fwd", "im2col", "conv2", 1, 100, 100, 100)
	conv("fwd", "direct", "conv2", 2, 400, 400, 400) // another thread count: not used at 1
	conv("bwd-data", "direct", "conv2", 1, 150, 150, 150)
	conv("bwd-weights", "direct", "conv2", 1, 120, 120, 120)
	conv("fwd", "direct", "conv1", 1, 80, 80, 80)
	runs("Sgemm/impl=blocked/isa=avx512/threads=1/m=32/n=128/k=1600", 120, 120, 120)
	runs("Sgemm/impl=blocked/isa=avx512/threads=1/m=32/n=10/k=128", 20, 20, 20)
	return b.String()
}

// TestPredictSeedCNN predicts a seed-CNN step from the synthetic results:
//
//	conv2 fwd: best impl direct, median 200 GFLOP/s:
//	  142,737,408 / 200e9 = 713.68704 µs, within [F/210e9, F/190e9]
//	conv1 bwd-weights: not measured; the only Conv2D bwd-weights case
//	  (conv2, 120 GFLOP/s) → 12,460,032 / 120e9 = 103.8336 µs, interpolated
//	fc1 fwd: Sgemm 32×128×1600 at 120 → 13,107,200 / 120e9 = 109.22667 µs
//	fc1 bwd-data: 32×1600×128 not measured; same FLOPs and FLOP/byte as
//	  the fwd GEMM (distance 0) → 109.22667 µs, interpolated
//	fc2 fwd: Sgemm 32×10×128 at 20 → 81,920 / 20e9 = 4.096 µs
//	relu1 fwd: no kernel benchmark; 692,224 elements × 8 B = 5,537,792 B,
//	  smallest sweep size holding it 8 MiB at 60 GB/s → 92.29653 µs
//	  (compute 692,224 / 250e9 = 2.8 µs is less)
func TestPredictSeedCNN(t *testing.T) {
	m, err := ReadResults(strings.NewReader(seedResults()), "seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasProfile || m.Profile.CPU != "Test CPU" {
		t.Fatalf("profile not read: %+v", m.Profile)
	}
	w := workload.SeedCNN()
	p, err := Predict(w, m, 1, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	get := func(layer string, pass shape.Pass) PassTime {
		for _, pt := range p.Passes {
			if pt.Layer == layer && pt.Pass == pass {
				return pt
			}
		}
		t.Fatalf("no %s %s", layer, pass)
		return PassTime{}
	}
	for _, c := range []struct {
		layer string
		pass  shape.Pass
		how   string
		mid   float64
	}{
		{"conv2", shape.Forward, HowMeasured, 713.68704e-6},
		{"conv1", shape.BackwardWeights, HowInterpolated, 103.8336e-6},
		{"fc1", shape.Forward, HowMeasured, 109.22667e-6},
		{"fc1", shape.BackwardData, HowInterpolated, 109.22667e-6},
		{"fc2", shape.Forward, HowMeasured, 4.096e-6},
		{"relu1", shape.Forward, HowProfile, 92.29653e-6},
	} {
		pt := get(c.layer, c.pass)
		if pt.How != c.how || !near(pt.Seconds.Mid, c.mid, 1e-6) {
			t.Errorf("%s %s: %s %v s (%s), want %s %v s", c.layer, c.pass, pt.How, pt.Seconds.Mid, pt.From, c.how, c.mid)
		}
	}
	conv2 := get("conv2", shape.Forward)
	if f := 142737408.0; conv2.Seconds.Low < f/210e9*(1-1e-9) || conv2.Seconds.High > f/190e9*(1+1e-9) || !(conv2.Seconds.Low < conv2.Seconds.Mid && conv2.Seconds.Mid < conv2.Seconds.High) {
		t.Errorf("conv2 fwd interval %+v, want inside [%v, %v] around the median", conv2.Seconds, f/210e9, f/190e9)
	}
	if !strings.Contains(conv2.From, "impl=direct") {
		t.Errorf("conv2 fwd from %q, want the direct case (fastest)", conv2.From)
	}
	sum := Range{}
	for _, pt := range p.Passes {
		sum = sum.Add(pt.Seconds)
	}
	checkRange(t, "step", p.StepSeconds, sum)
	checkRange(t, "epoch", p.EpochSeconds, sum.Scale(1875))
	if !strings.Contains(strings.Join(p.Interpolated, ";"), "conv1 bwd-weights") || len(p.Notes) == 0 {
		t.Errorf("interpolated %v, notes %v: want conv1 bwd-weights listed and notes", p.Interpolated, p.Notes)
	}
	if _, err := Predict(w, m, 3, DefaultAssumptions()); err == nil || !strings.Contains(err.Error(), "threads=3") {
		t.Errorf("threads=3: error %v", err)
	}
}

// TestInterpolateIDW: a pass of 2e6 FLOPs at 10 FLOP/byte between a case of
// 1e6 FLOPs (100 GFLOP/s) and one of 8e6 FLOPs (200 GFLOP/s), both at 10
// FLOP/byte: distances ln 2 and ln 4, weights 2:1, so (2·100 + 200)/3 =
// 133.33 GFLOP/s and 2e6 / 133.33e9 = 15 µs.
func TestInterpolateIDW(t *testing.T) {
	mk := func(name string, flops, g float64) MeasuredCase {
		c := MeasuredCase{Name: name, Kernel: benchname.Sgemm, Threads: 1, FLOPs: flops, Intensity: 10}
		c.GFLOPS.Center, c.GFLOPS.Lo, c.GFLOPS.Hi = g, g, g
		return c
	}
	l := &lookup{threads: 1, cases: []MeasuredCase{mk("a", 1e6, 100), mk("b", 8e6, 200), mk("far", 1e12, 1000)}}
	lw := workload.LayerWork{Resolved: workload.Resolved{Layer: workload.Layer{Name: "x", Kind: workload.Dense}, Dense: &shape.Dense{Batch: 1, In: 1, Out: 1}}}
	pt := PassTime{}
	if !l.interpolate(&pt, lw, workload.Work{Pass: shape.Forward, FLOPs: 2e6, Bytes: 2e5}) {
		t.Fatal("not interpolated")
	}
	if !near(pt.Seconds.Mid, 15e-6, 1e-9) || !strings.Contains(pt.From, "a (100") || !strings.Contains(pt.From, "b (200") {
		t.Errorf("%v s from %q, want 15 µs from a and b", pt.Seconds.Mid, pt.From)
	}
}

func TestReadResultsErrors(t *testing.T) {
	bad := "BenchmarkConv2D/pass=fwd/impl=direct/isa=avx512/threads=x/shape=s-2 1 100 ns/op 5 GFLOP/s\n"
	if _, err := ReadResults(strings.NewReader(bad), "r.txt"); err == nil || !strings.Contains(err.Error(), "r.txt:1") || !strings.Contains(err.Error(), benchname.KeyThreads) {
		t.Errorf("error %v, want r.txt:1 naming threads", err)
	}
	prof := "peak-gflops-avx512-f32-t1: fast\nBenchmarkSgemm/impl=a/isa=avx512/threads=1/m=1/n=1/k=1 1 100 ns/op\n"
	if _, err := ReadResults(strings.NewReader(prof), "r.txt"); err == nil || !strings.Contains(err.Error(), "peak-gflops-avx512-f32-t1") {
		t.Errorf("error %v, want the bad profile key named", err)
	}
	// A plain go test output without a profile still reads; sec/op gives
	// Sgemm's throughput from its m, n, k: 2·64³ FLOPs in 1 µs = 524.288 GFLOP/s.
	plain := "cpu: Some CPU\nBenchmarkSgemm/impl=a/isa=avx2/threads=1/m=64/n=64/k=64-2 1000 1000 ns/op\n"
	m, err := ReadResults(strings.NewReader(plain), "r.txt")
	if err != nil || m.HasProfile || len(m.Cases) != 1 || !near(m.Cases[0].GFLOPS.Center, 524.288, 1e-9) {
		t.Errorf("plain results: %v, %+v", err, m)
	}
}

// TestReadResultsWithoutBenchmarks: an input with no benchmark lines (a
// PASS-only go test output) reads as no cases rather than an error, and a
// file of runs loaded beside it keeps its cases and profile; the callers
// report when the cases they need are missing.
func TestReadResultsWithoutBenchmarks(t *testing.T) {
	m, err := ReadResults(strings.NewReader("cpu: x\nPASS\n"), "empty.txt")
	if err != nil || len(m.Cases) != 0 || m.HasProfile {
		t.Errorf("no benchmark lines: %v, %+v", err, m)
	}
	dir := t.TempDir()
	seed, empty := filepath.Join(dir, "seed.txt"), filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(seed, []byte(seedResults()), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	want, err := ReadResults(strings.NewReader(seedResults()), "seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	m, err = LoadResults(empty, seed)
	if err != nil || !m.HasProfile || len(m.Cases) != len(want.Cases) {
		t.Errorf("empty file then seed: %v, %d cases (want %d), profile %v", err, len(m.Cases), len(want.Cases), m.HasProfile)
	}
}

// TestMeasuredOption prices the synthetic machine per core like the
// nearest catalogued CPU instance: only c8g.16xlarge has both a price and
// a sourced peak: $2.552 / 64 vCPU × 2 cores = $0.07975/h.
func TestMeasuredOption(t *testing.T) {
	m, err := ReadResults(strings.NewReader(seedResults()), "seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	o, err := MeasuredOption("", "", m, 1, LocalPrice{}, EmbeddedCatalog())
	if err != nil {
		t.Fatal(err)
	}
	if !near(o.OnDemandUSDh.Value, 0.07975, 1e-9) || !strings.Contains(o.Measured.PriceNote, "aws-c8g-16xlarge") {
		t.Errorf("price %+v, note %q", o.OnDemandUSDh, o.Measured.PriceNote)
	}
	es, err := Estimate(workload.SeedCNN(), []Option{o}, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	p, _ := Predict(workload.SeedCNN(), m, 1, DefaultAssumptions())
	if e.Basis != BasisMeasured || e.EpochSeconds != p.EpochSeconds || len(e.Interpolated) == 0 || !strings.Contains(e.PriceNote, "priced per core") {
		t.Errorf("measured estimate %+v", e)
	}
	if !near(e.OnDemand.USD.Mid, p.EpochSeconds.Mid/3600*0.07975, 1e-9) {
		t.Errorf("price %v, want epoch hours × $0.07975", e.OnDemand.USD.Mid)
	}
	o, _ = MeasuredOption("me", "mine", m, 1, LocalPrice{USDPerHour: 0.5, Watts: 100}, EmbeddedCatalog())
	if o.OnDemandUSDh.Value != 0.5 || o.OnDemandUSDh.Source != "user input" || o.Measured.PriceNote != "" {
		t.Errorf("user price %+v, note %q", o.OnDemandUSDh, o.Measured.PriceNote)
	}
}

// TestEstimateMeasuredUnavailable: a measured option asked for a thread
// count its results lack is reported unavailable, not an error, and the
// catalogued options beside it are still estimated.
func TestEstimateMeasuredUnavailable(t *testing.T) {
	m, err := ReadResults(strings.NewReader(seedResults()), "seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	o, _ := MeasuredOption("local", "", m, 4, LocalPrice{USDPerHour: 1}, EmbeddedCatalog())
	h100, _ := EmbeddedCatalog().Lookup("nvidia-h100-sxm")
	es, err := Estimate(workload.SeedCNN(), []Option{o, h100}, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(es[0].Unavailable, "threads=4") || es[1].Unavailable != "" || es[1].EpochSeconds.Mid <= 0 {
		t.Errorf("estimates %q / %q", es[0].Unavailable, es[1].Unavailable)
	}
}

// TestProfileNearestThreads: a profile measured only at one thread lends
// its figures to a prediction at two threads, and says so. relu1 fwd at
// two threads then takes the same 92.29653 µs as at one (8 MiB sweep entry,
// 60 GB/s).
func TestProfileNearestThreads(t *testing.T) {
	text := strings.ReplaceAll(seedResults(), "threads=1/", "threads=2/")
	m, err := ReadResults(strings.NewReader(text), "seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Predict(workload.SeedCNN(), m, 2, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range p.Passes {
		if pt.Layer == "relu1" && pt.Pass == shape.Forward {
			if !near(pt.Seconds.Mid, 92.29653e-6, 1e-6) || !strings.Contains(pt.From, "threads=1") {
				t.Errorf("relu1 fwd %v s from %q", pt.Seconds.Mid, pt.From)
			}
		}
	}
}

// TestOtherKernelFamilies: any benchmark naming a layer's shape and pass is
// used, with or without FLOPs. A max-pool case reporting only sec/op (40,
// 50, 60 µs) times pool1 fwd at 50 µs within [40, 60]; an Adam case on
// fc1 at 2.459136 GFLOP/s times fc1's update (12 · 204,928 = 2,459,136
// FLOPs) at 1 ms.
func TestOtherKernelFamilies(t *testing.T) {
	text := seedResults()
	for _, ns := range []int{40000, 50000, 60000} {
		text += fmt.Sprintf("BenchmarkMaxPool/pass=fwd/impl=direct/isa=avx512/threads=1/shape=seed-cnn.pool1-2 100 %d ns/op 3.2 GB/s\n", ns)
		text += "BenchmarkAdam/pass=optimizer/impl=fused/isa=avx512/threads=1/shape=seed-cnn.fc1-2 100 1000000 ns/op 2.459136 GFLOP/s\n"
	}
	m, err := ReadResults(strings.NewReader(text), "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Predict(workload.SeedCNN(), m, 1, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range p.Passes {
		switch {
		case pt.Layer == "pool1" && pt.Pass == shape.Forward:
			if pt.How != HowMeasured || !near(pt.Seconds.Mid, 50e-6, 1e-9) || !near(pt.Seconds.Low, 40e-6, 1e-9) || !near(pt.Seconds.High, 60e-6, 1e-9) {
				t.Errorf("pool1 fwd %s %+v", pt.How, pt.Seconds)
			}
		case pt.Layer == "fc1" && pt.Pass == workload.OptimizerPass:
			if pt.How != HowMeasured || !near(pt.Seconds.Mid, 1e-3, 1e-9) {
				t.Errorf("fc1 optimizer %s %+v", pt.How, pt.Seconds)
			}
		}
	}
}

// TestPredictFromTrainStep: with a measured whole training step of the
// workload at the thread count, the epoch is steps × its median time, the
// kernel sum is kept beside it, and other thread counts still use the
// kernels.
func TestPredictFromTrainStep(t *testing.T) {
	var b strings.Builder
	b.WriteString(seedResults())
	for _, ns := range []float64{3.0e6, 3.2e6, 3.1e6} { // median 3.1 ms
		fmt.Fprintf(&b, "BenchmarkTrainStep/impl=nn/isa=avx512/threads=1/shape=seed-cnn-2 \t 100\t %v ns/op\t 150 GFLOP/s\n", ns)
	}
	b.WriteString("BenchmarkTrainStep/impl=nn/isa=avx2/threads=1/shape=seed-cnn-2 \t 100\t 9e6 ns/op\t 50 GFLOP/s\n")
	m, err := ReadResults(strings.NewReader(b.String()), "seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	w := workload.SeedCNN()
	p, err := Predict(w, m, 1, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.StepFrom, "TrainStep/impl=nn/isa=avx512/threads=1/shape=seed-cnn") {
		t.Errorf("StepFrom = %q, want the avx512 TrainStep case (the faster one)", p.StepFrom)
	}
	if want := 3.1e-3 * w.StepsPerEpoch(); math.Abs(p.EpochSeconds.Mid-want) > 1e-9*want {
		t.Errorf("epoch %v s, want steps × 3.1 ms = %v s", p.EpochSeconds.Mid, want)
	}
	sum := 0.0
	for _, pt := range p.Passes {
		sum += pt.Seconds.Mid
	}
	if math.Abs(p.KernelStepSeconds.Mid-sum) > 1e-12 || sum == 0 {
		t.Errorf("kernel step %v, sum of passes %v", p.KernelStepSeconds.Mid, sum)
	}
	plain, err := Predict(w, m, 2, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if plain.StepFrom != StepFromKernels || plain.StepSeconds != plain.KernelStepSeconds {
		t.Errorf("at 2 threads (no TrainStep there) StepFrom = %q", plain.StepFrom)
	}
}

// slowMachine is seedResults measured on another machine ten times slower
// in every kernel (the same profile lines but its CPU and label).
func slowMachine() string {
	text := strings.Replace(seedResults(), "cpu: Test CPU\n", "cpu: Slow CPU\nmachine: slow\n", 1)
	return regexp.MustCompile(`([0-9.]+) GFLOP/s`).ReplaceAllStringFunc(text, func(s string) string {
		g, _ := strconv.ParseFloat(strings.Fields(s)[0], 64)
		return strconv.FormatFloat(g/10, 'g', -1, 64) + " GFLOP/s"
	})
}

// TestMachinesKeptApart: results of two machines, in two files or in one
// merged file, are two Results, each predicting its own epoch; the same
// machine in two files pools its runs; LoadResults refuses to pool two
// machines, and a file given twice is refused.
func TestMachinesKeptApart(t *testing.T) {
	dir := t.TempDir()
	fast, slow, fast2 := filepath.Join(dir, "fast.txt"), filepath.Join(dir, "slow.txt"), filepath.Join(dir, "fast2.txt")
	for p, text := range map[string]string{fast: seedResults(), slow: slowMachine(), fast2: seedResults()} {
		if err := os.WriteFile(p, []byte(text), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	merged := filepath.Join(dir, "merged.txt")
	if err := results.Merge(merged, fast, slow); err != nil {
		t.Fatal(err)
	}
	w, a := workload.SeedCNN(), DefaultAssumptions()
	epoch := func(m *Results) float64 {
		p, err := Predict(w, m, 1, a)
		if err != nil {
			t.Fatal(err)
		}
		return p.EpochSeconds.Mid
	}
	fastAlone, _ := LoadResults(fast)
	slowAlone, _ := LoadResults(slow)
	want := []float64{epoch(fastAlone), epoch(slowAlone)}
	if want[1] < 5*want[0] {
		t.Fatalf("the slow machine predicts %v s against %v s", want[1], want[0])
	}
	for _, files := range [][]string{{fast, slow}, {merged}} {
		ms, err := LoadMachines(files...)
		if err != nil || len(ms) != 2 {
			t.Fatalf("%v: %d machines, %v", files, len(ms), err)
		}
		for i, m := range ms {
			if got := epoch(m); !near(got, want[i], 1e-12) {
				t.Errorf("%v: machine %d (%s) predicts %v s, alone %v s", files, i, m.Machine, got, want[i])
			}
		}
		if ms[0].Profile.CPU != "Test CPU" || ms[1].Profile.CPU != "Slow CPU" || ms[1].Machine.Get(results.KeyLabel) != "slow" {
			t.Errorf("%v: machines %v / %v", files, ms[0].Machine, ms[1].Machine)
		}
		if _, err := LoadResults(files...); err == nil || !strings.Contains(err.Error(), "2 machines (Test CPU; Slow CPU)") {
			t.Errorf("LoadResults(%v) pooled two machines: %v", files, err)
		}
	}
	ms, err := LoadMachines(fast, fast2)
	if err != nil || len(ms) != 1 || ms[0].Cases[0].Runs != 2*fastAlone.Cases[0].Runs || len(ms[0].Files) != 2 {
		t.Fatalf("one machine in two files: %d machines, %v", len(ms), err)
	}
	if _, err := LoadMachines(fast, slow, fast); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("a file given twice: %v", err)
	}
}

// TestTrainStepWithoutTime: a whole training step without a positive time
// is an error at its line, not a case silently left out.
func TestTrainStepWithoutTime(t *testing.T) {
	for _, line := range []string{
		"BenchmarkTrainStep/impl=nn/isa=avx512/threads=1/shape=seed-cnn-2 100 150 GFLOP/s\n",
		"BenchmarkTrainStep/impl=nn/isa=avx512/threads=1/shape=seed-cnn-2 100 0 ns/op\n",
	} {
		_, err := ReadResults(strings.NewReader(seedResults()+line), "r.txt")
		if err == nil || !strings.Contains(err.Error(), "r.txt:") || !strings.Contains(err.Error(), "training step without a time") {
			t.Errorf("%q: %v", line, err)
		}
	}
}

// TestDoesNotFit: an option whose memory a step does not fit is estimated
// and marked, and no answer of Compare follows it, however cheap it is.
func TestDoesNotFit(t *testing.T) {
	small, big := testOption(), testOption()
	small.ID, small.Name = "small", "small"
	small.Kind = KindGPU // a CPU's memory is not a constraint the model checks
	small.MemoryGB = Quantity{Value: 0.001, Source: "test", Date: "2026"}
	small.OnDemandUSDh.Value, small.PurchaseUSD.Value = 0.01, 100
	big.ID, big.Name = "big", "big"
	c, err := Compare(oneDense(), []Option{small, big}, testAssumptions(), DefaultInterconnect())
	if err != nil {
		t.Fatal(err)
	}
	// A catalogued option whose memory does not hold the step runs it as
	// micro-batches; one that does not hold a single sample cannot run it.
	s, b := c.Estimates[0], c.Estimates[1]
	if !strings.Contains(s.Unavailable, "do not leave room for one sample") || b.Unavailable != "" || b.DoesNotFit != "" {
		t.Fatalf("small: %q; big: %q, %q", s.Unavailable, b.Unavailable, b.DoesNotFit)
	}
	for _, sc := range c.ScaleOut {
		if sc.Option == "small" {
			t.Errorf("scale-out follows the option a step does not fit")
		}
	}
	if c.BuyVsRent != nil && c.BuyVsRent.Option == "small" {
		t.Errorf("buy-vs-rent follows the option that cannot run a step")
	}
}
