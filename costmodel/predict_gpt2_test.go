package costmodel

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// gpt2Results reads the recorded GPT-2 small cases (context 1024, batch 1,
// avx512, one thread, on the dev machine): the gpt2 set's layer kernels,
// the Dense cases of its linear layers and its loss (benchrun run --kernel
// Dense,LayerNorm,GELU,Attention,Embedding,AdamW,SoftmaxCE --set gpt2
// --threads 1 --isa avx512 --impl gemm,simd,flash --match
// 't1024b1|gpt2-small.block' --count 5), and, if withStep, the TrainStep
// case of a second run minutes later with the same binary (--kernel
// TrainStep --match t1024b1 --count 5 --benchtime 1x).
func gpt2Results(t *testing.T, withStep bool) *Results {
	return recordedResults(t, "testdata/gpt2-small-t1024b1-avx512-t1.txt", "gpt2-small-t1024b1", withStep)
}

// measuredStep is the median of the recorded TrainStep case of GPT-2 small
// at context 1024, batch 1, one thread.
func measuredStep(t *testing.T) float64 {
	t.Helper()
	return recordedStep(t, gpt2Results(t, true), workload.GPT2Small(), 1)
}

// recordedStep is the median of the one-thread TrainStep case of w at batch
// in recorded results m.
func recordedStep(t *testing.T, m *Results, w workload.Network, batch int) float64 {
	t.Helper()
	c, ok := m.lookup(1, DefaultAssumptions().Confidence, benchname.F32).trainStep(w, batch)
	if !ok {
		t.Fatalf("no TrainStep case at shape=%s in the recorded results", TrainStepShape(w, batch))
	}
	return c.Seconds.Center
}

// TestPredictGPT2Kernels checks that every pass of GPT-2 small's step (context
// 1024, batch 1, one thread) is priced from its own kernel family: linears
// from the Dense cases at their shapes, attention from the Attention cases
// (not as GEMMs), layer norm, GELU, embedding and the loss from theirs,
// AdamW from its block case at each layer's size; only the residual adds
// fall back to the roofline. The sum of the kernels must come within 10% of
// the measured step.
func TestPredictGPT2Kernels(t *testing.T) {
	w := workload.GPT2Small()
	p, err := PredictBatch(w, gpt2Results(t, false), 1, 1, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if p.StepFrom != StepFromKernels {
		t.Errorf("StepFrom %q, want %q (no TrainStep case given)", p.StepFrom, StepFromKernels)
	}
	family := map[workload.Kind]string{workload.Linear: benchname.Dense, workload.Attention: benchname.Attention,
		workload.LayerNorm: benchname.LayerNorm, workload.GELU: benchname.GELU, workload.Embedding: benchname.Embedding,
		workload.SoftmaxCE: benchname.SoftmaxCE}
	byKind := map[string]float64{}
	var profiled []string
	for _, pt := range p.Passes {
		key := string(pt.Kind)
		if pt.Pass == workload.OptimizerPass {
			key = "optimizer"
		}
		byKind[key] += pt.Seconds.Mid
		switch {
		case pt.Pass == workload.OptimizerPass:
			if pt.How != HowInterpolated || !strings.HasPrefix(pt.From, "at the throughput of "+benchname.AdamW+"/") {
				t.Errorf("%s optimizer: %s from %s, want the AdamW case's throughput", pt.Layer, pt.How, pt.From)
			}
		case pt.How == HowFused:
			// the layer norm's bwd-weights (in its bwd kernel), the loss's
			// bwd-data (in its forward call)
			if !(pt.Kind == workload.LayerNorm && pt.Pass == "bwd-weights" || pt.Kind == workload.SoftmaxCE && pt.Pass == "bwd-data") {
				t.Errorf("%s %s: fused (%s), want a kernel of its own", pt.Layer, pt.Pass, pt.From)
			}
		case pt.How == HowProfile:
			profiled = append(profiled, string(pt.Kind))
		default:
			f, ok := family[pt.Kind]
			if pt.How != HowMeasured || !ok || !strings.HasPrefix(pt.From, f+"/") || !strings.Contains(pt.From, "/threads=1/shape=gpt2-small.t1024b1.") {
				t.Errorf("%s %s (%s): %s from %s, want measured from its %s case at t1024b1", pt.Layer, pt.Pass, pt.Kind, pt.How, pt.From, f)
			}
		}
		if pt.Kind == workload.Attention && pt.Pass != workload.OptimizerPass {
			want := map[string]string{"fwd": "/pass=fwd/", "bwd-data": "/pass=bwd/"}[string(pt.Pass)]
			if pt.How != HowMeasured || !strings.HasPrefix(pt.From, benchname.Attention+want) {
				t.Errorf("%s %s: %s from %s, want measured from %s%s...", pt.Layer, pt.Pass, pt.How, pt.From, benchname.Attention, want)
			}
		}
	}
	for _, k := range profiled {
		if k != string(workload.Add) {
			t.Errorf("a %s pass is on the roofline; only the residual adds may be", k)
		}
	}
	if len(profiled) != 2*24 {
		t.Errorf("%d passes on the roofline, want the 24 adds' forward and backward", len(profiled))
	}
	var kinds []string
	for k := range byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var sb strings.Builder
	for _, k := range kinds {
		fmt.Fprintf(&sb, " %s %.3g s;", k, byKind[k])
	}
	step := measuredStep(t)
	t.Logf("kernels %.4g s against the measured step %.4g s (%+.1f%%):%s", p.StepSeconds.Mid, step, 100*(p.StepSeconds.Mid/step-1), sb.String())
	if s := p.StepSeconds.Mid; s < step*0.9 || s > step*1.1 {
		t.Errorf("kernel step %.4g s, want within 10%% of the measured %.4g s", s, step)
	}
}

// TestPredictGPT2TrainStep checks that the whole-step case
// TrainStep/.../shape=gpt2-small.t1024b1 is the step of GPT-2 small at
// context 1024 and batch 1, scaled by the kernels' sums at context 256 and
// at batch 2, and that the prediction names it.
func TestPredictGPT2TrainStep(t *testing.T) {
	w := workload.GPT2Small()
	m := gpt2Results(t, true)
	p, err := PredictBatch(w, m, 1, 1, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := TrainStepShape(w, 1), "gpt2-small.t1024b1"; got != want {
		t.Errorf("TrainStepShape(gpt2-small, 1) = %q, want %q", got, want)
	}
	if !strings.HasPrefix(p.StepFrom, benchname.TrainStep+"/") || !strings.HasSuffix(p.StepFrom, "shape=gpt2-small.t1024b1") {
		t.Errorf("StepFrom %q, want the t1024b1 TrainStep case", p.StepFrom)
	}
	step := measuredStep(t)
	if s := p.StepSeconds.Mid; s < step*0.95 || s > step*1.05 {
		t.Errorf("step %.4g s, want within 5%% of the measured %.4g s", s, step)
	}
	if p.KernelStepSeconds.Mid == p.StepSeconds.Mid {
		t.Errorf("KernelStepSeconds %g equals the measured step: want the kernels' sum", p.KernelStepSeconds.Mid)
	}
	short := w
	short.Input.W = 256
	for _, c := range []struct {
		net   workload.Network
		batch int
	}{{short, 1}, {w, 2}} {
		q, err := PredictBatch(c.net, m, 1, c.batch, DefaultAssumptions())
		if err != nil {
			t.Fatal(err)
		}
		checkScaled(t, TrainStepShape(c.net, c.batch), q, p)
	}
}
