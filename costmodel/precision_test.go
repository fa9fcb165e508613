package costmodel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// seedBF16Results is seedResults plus a prec=bf16 case for every conv and
// GEMM shape it measures at one thread, at twice the best float32 case's
// GFLOP/s run by run and half its time (so the FLOPs per op are the same),
// and a bf16 peak.
func seedBF16Results() string {
	var b strings.Builder
	b.WriteString(seedResults())
	b.WriteString("peak-gflops-avx512-bf16-t1: 500\n")
	runs := func(name string, gflops ...float64) {
		for _, g := range gflops {
			fmt.Fprintf(&b, "Benchmark%s-2 \t 100\t %v ns/op\t %v GFLOP/s\t 10 FLOP/byte\n", name, 12345.0/2, 2*g)
		}
	}
	conv := func(pass, shape string, g ...float64) {
		runs(fmt.Sprintf("Conv2D/pass=%s/impl=gemm/isa=avx512/prec=bf16/threads=1/shape=seed-cnn.%s", pass, shape), g...)
	}
	conv("fwd", "conv2", 190, 200, 210)
	conv("bwd-data", "conv2", 150, 150, 150)
	conv("bwd-weights", "conv2", 120, 120, 120)
	conv("fwd", "conv1", 80, 80, 80)
	runs("Sgemm/impl=blocked/isa=avx512/prec=bf16/threads=1/m=32/n=128/k=1600", 120, 120, 120)
	runs("Sgemm/impl=blocked/isa=avx512/prec=bf16/threads=1/m=32/n=10/k=128", 20, 20, 20)
	return b.String()
}

// TestMeasuredBF16Row: with float32 and bf16 cases of every conv and GEMM
// shape, the bf16 cases twice as fast, the measured machine's bf16 row
// (MeasuredPrecisionOption, Estimate) times every conv and dense pass at
// exactly half its f32 time (measured and interpolated alike: every
// neighbour is twice as fast), every other pass (ReLU, pooling, the
// optimizer) as at f32, is labelled bf16 in its id, name and Precision, and
// carries BF16Basis; LikeForLike says bf16 is compared with bf16. The f32
// row is the one the float32 cases alone give: bf16 cases, though faster,
// never stand in for an f32 implementation.
func TestMeasuredBF16Row(t *testing.T) {
	only32, err := ReadResults(strings.NewReader(seedResults()), "f32.txt")
	if err != nil {
		t.Fatal(err)
	}
	both, err := ReadResults(strings.NewReader(seedBF16Results()), "both.txt")
	if err != nil {
		t.Fatal(err)
	}
	w := workload.SeedCNN()
	a := DefaultAssumptions()
	want32, err := Predict(w, only32, 1, a)
	if err != nil {
		t.Fatal(err)
	}
	o32, err := MeasuredOption("local", "this machine", both, 1, LocalPrice{USDPerHour: 1}, Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	o16, ok, reason := MeasuredPrecisionOption(o32, benchname.BF16)
	if !ok {
		t.Fatalf("no bf16 row: %s", reason)
	}
	if o16.ID != "local-bf16" || o16.Name != "this machine (bf16)" || o32.Measured.Precision != "" {
		t.Errorf("bf16 option %q %q (f32 option's precision %q), want local-bf16, \"this machine (bf16)\", the f32 one untouched", o16.ID, o16.Name, o32.Measured.Precision)
	}
	ests, err := Estimate(w, []Option{o32, o16}, a)
	if err != nil {
		t.Fatal(err)
	}
	e32, e16 := ests[0], ests[1]
	if e32.Unavailable != "" || e16.Unavailable != "" {
		t.Fatalf("unavailable: %q, %q", e32.Unavailable, e16.Unavailable)
	}
	if e32.Precision != benchname.F32 || e16.Precision != benchname.BF16 {
		t.Errorf("precisions %s, %s; want f32, bf16", e32.Precision, e16.Precision)
	}
	checkRange(t, "f32 row step", e32.StepSeconds, want32.StepSeconds)
	if len(e16.Passes) != len(e32.Passes) {
		t.Fatalf("%d bf16 passes, %d f32", len(e16.Passes), len(e32.Passes))
	}
	var gemm32, rest32 float64
	for i, p16 := range e16.Passes {
		p32 := e32.Passes[i]
		mixed := p32.Kind == workload.Conv2D || p32.Kind == workload.Dense
		want := p32.Seconds
		if mixed && p32.Pass != workload.OptimizerPass {
			want = want.Scale(0.5)
			gemm32 += p32.Seconds.Mid
			if !strings.Contains(p16.From, "prec=bf16") {
				t.Errorf("%s %s from %q, want a prec=bf16 case", p16.Layer, p16.Pass, p16.From)
			}
		} else {
			rest32 += p32.Seconds.Mid
		}
		if p16.Layer != p32.Layer || p16.Pass != p32.Pass || p16.How != p32.How {
			t.Errorf("pass %d: bf16 %s %s (%s), f32 %s %s (%s)", i, p16.Layer, p16.Pass, p16.How, p32.Layer, p32.Pass, p32.How)
		}
		checkRange(t, fmt.Sprintf("bf16 %s %s", p16.Layer, p16.Pass), p16.Seconds, want)
	}
	if gemm32 == 0 || rest32 == 0 {
		t.Fatalf("conv/dense %v s, rest %v s: want both", gemm32, rest32)
	}
	step := gemm32/2 + rest32 + a.StepOverheadS
	if !near(e16.StepSeconds.Mid, step, 1e-9) || !(e16.EpochSeconds.Mid < e32.EpochSeconds.Mid) {
		t.Errorf("bf16 step %v s, want %v (f32 %v)", e16.StepSeconds.Mid, step, e32.StepSeconds.Mid)
	}
	t.Logf("f32 step %.4g ms, bf16 %.4g ms: %.3gx", 1e3*e32.StepSeconds.Mid, 1e3*e16.StepSeconds.Mid, e32.StepSeconds.Mid/e16.StepSeconds.Mid)
	if len(e16.Notes) == 0 || e16.Notes[0] != BF16Basis {
		t.Errorf("bf16 notes %q, want BF16Basis first", e16.Notes)
	}
	if e16.OnDemand == nil || e32.OnDemand == nil || !near(e16.OnDemand.USD.Mid/e32.OnDemand.USD.Mid, e16.EpochSeconds.Mid/e32.EpochSeconds.Mid, 1e-9) {
		t.Errorf("bf16 row not priced as the same machine: %+v, %+v", e16.OnDemand, e32.OnDemand)
	}
	cat := testOption()
	cat.PeakTFLOPS[benchname.BF16] = Quantity{Value: 2, Source: "test", Date: "2026"}
	cat.Kind = KindGPU
	all, err := Estimate(w, []Option{o32, o16, cat}, a)
	if err != nil {
		t.Fatal(err)
	}
	if s := LikeForLike(all); !strings.Contains(s, "bf16 is compared with bf16") || !strings.Contains(s, "local-bf16") || !strings.Contains(s, "1 catalogued options at bf16") {
		t.Errorf("LikeForLike = %q", s)
	}
	if s := LikeForLike(all[:1]); s != "" {
		t.Errorf("LikeForLike without a bf16 row = %q, want empty", s)
	}
}

// TestNoBF16Row: results without bf16 cases (or with them at another
// thread count only) give no bf16 row and a one-line reason; pricing them
// at bf16 anyway is an error saying the same; a precision a measured
// machine is not priced at is refused.
func TestNoBF16Row(t *testing.T) {
	only32, err := ReadResults(strings.NewReader(seedResults()), "f32.txt")
	if err != nil {
		t.Fatal(err)
	}
	o, err := MeasuredOption("local", "this machine", only32, 1, LocalPrice{USDPerHour: 1}, Catalog{})
	if err != nil {
		t.Fatal(err)
	}
	_, ok, reason := MeasuredPrecisionOption(o, benchname.BF16)
	if ok || reason == "" || strings.Contains(reason, "\n") || !strings.Contains(reason, "no bf16 row") || !strings.Contains(reason, "prec=bf16") {
		t.Errorf("bf16 row of f32-only results: ok %v, reason %q; want none and one line", ok, reason)
	}
	if _, err := PredictPrecision(workload.SeedCNN(), only32, 1, 32, benchname.BF16, DefaultAssumptions()); err == nil || !strings.Contains(err.Error(), "no bf16 row") {
		t.Errorf("PredictPrecision bf16 without bf16 cases: %v", err)
	}
	both, err := ReadResults(strings.NewReader(seedBF16Results()), "both.txt")
	if err != nil {
		t.Fatal(err)
	}
	if ok, reason := both.BF16Row(2); ok || !strings.Contains(reason, "threads [1]") {
		t.Errorf("bf16 row at 2 threads: %v %q; want none, saying the bf16 cases are at 1", ok, reason)
	}
	if _, ok, _ := MeasuredPrecisionOption(o, benchname.F16); ok {
		t.Error("f16 row accepted")
	}
	if _, ok, _ := MeasuredPrecisionOption(testOption(), benchname.BF16); ok {
		t.Error("bf16 row of a catalogued option accepted")
	}
}

// TestUsesCase: at bf16 a conv or GEMM case of float32 is never read (its
// shape is interpolated from bf16 cases instead), nor a float32 whole step;
// a batch norm of float32 is.
func TestUsesCase(t *testing.T) {
	for _, c := range []struct {
		kernel string
		prec   benchname.Precision
		at     benchname.Precision
		want   bool
	}{
		{benchname.Conv2D, benchname.F32, benchname.F32, true},
		{benchname.Conv2D, benchname.BF16, benchname.F32, false},
		{benchname.Conv2D, benchname.F32, benchname.BF16, false},
		{benchname.Conv2D, benchname.BF16, benchname.BF16, true},
		{benchname.Sgemm, benchname.F32, benchname.BF16, false},
		{benchname.BatchNorm, benchname.F32, benchname.BF16, true},
		{benchname.TrainStep, benchname.F32, benchname.BF16, false},
		{benchname.TrainStep, benchname.BF16, benchname.BF16, true},
	} {
		if got := usesCase(MeasuredCase{Kernel: c.kernel, Prec: c.prec}, c.at); got != c.want {
			t.Errorf("usesCase(%s prec=%s) at %s = %v, want %v", c.kernel, c.prec, c.at, got, c.want)
		}
	}
}
