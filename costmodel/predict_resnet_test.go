package costmodel

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// resnetResults reads the recorded ResNet-50 kernel cases and whole step, one
// run on the dev machine (benchrun run --kernel
// Conv2D,BatchNorm,Add,GlobalAvgPool,MaxPool,TrainStep --set resnet50 --isa
// avx512 --threads 1 --count 3 --ceilings quick), without the TrainStep case
// unless withStep.
func resnetResults(t *testing.T, withStep bool) *Results {
	return recordedResults(t, "testdata/resnet50-b8-avx512-t1.txt", "resnet50-b8", withStep)
}

// recordedResults reads a results file recorded on the dev machine as
// machine label, leaving out its whole-step (TrainStep) cases unless
// withStep, so that a test can price a step from the kernels alone.
func recordedResults(t *testing.T, file, label string, withStep bool) *Results {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if !withStep && strings.HasPrefix(sc.Text(), "Benchmark"+benchname.TrainStep+"/") {
			continue
		}
		b.WriteString(sc.Text() + "\n")
	}
	m, err := ReadResults(strings.NewReader(b.String()), label)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPredictResNet50Kernels checks that the resnet50 set prices every
// ResNet-50 pass at batch 8 from a kernel case: conv passes measured at their
// own geometry (the set has every one of the network's), batch
// norms with the trainer's fusions, their ReLUs and adds fused, the fork sums
// as measured adds, pooling measured, the loss's gradient inside its forward
// call. What may fall back to the roofline is listed: the projections' plain
// batch norms (not in the set), the loss and the optimizer.
func TestPredictResNet50Kernels(t *testing.T) {
	w := workload.ResNet50()
	p, err := PredictBatch(w, resnetResults(t, false), 1, 8, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if p.StepFrom != StepFromKernels || p.Batch != 8 {
		t.Errorf("StepFrom %q batch %d, want %q at 8", p.StepFrom, p.Batch, StepFromKernels)
	}
	var profiled []string
	counts := map[workload.Kind]map[string]int{}
	for _, pt := range p.Passes {
		if counts[pt.Kind] == nil {
			counts[pt.Kind] = map[string]int{}
		}
		counts[pt.Kind][pt.How]++
		if pt.How == HowProfile && pt.Pass != workload.OptimizerPass {
			profiled = append(profiled, pt.Layer+" "+string(pt.Pass))
		}
		switch pt.Kind {
		case workload.Conv2D:
			if pt.Pass != workload.OptimizerPass && (pt.How != HowMeasured || !strings.HasPrefix(pt.From, benchname.Conv2D+"/")) {
				t.Errorf("%s %s: %s from %s, want the Conv2D case of its geometry", pt.Layer, pt.Pass, pt.How, pt.From)
			}
		case workload.ReLU:
			if pt.How != HowFused || pt.Seconds.Mid != 0 {
				t.Errorf("%s %s: %s %g s, want fused into its batch norm", pt.Layer, pt.Pass, pt.How, pt.Seconds.Mid)
			}
		case workload.Add:
			want := HowFused
			if pt.Pass != "fwd" {
				want = HowMeasured // the fork sum, an add at the block ends' sizes
			}
			if pt.How != want && !(pt.How == HowInterpolated && strings.HasPrefix(pt.Layer, "res2a")) {
				t.Errorf("%s %s: %s from %s, want %s", pt.Layer, pt.Pass, pt.How, pt.From, want)
			}
		case workload.SoftmaxCE:
			if pt.Pass == "bwd-data" && (pt.How != HowFused || pt.Seconds.Mid != 0) {
				t.Errorf("%s %s: %s %g s, want fused into the forward call", pt.Layer, pt.Pass, pt.How, pt.Seconds.Mid)
			}
		case workload.MaxPool, workload.GlobalAvgPool:
			if pt.How != HowMeasured {
				t.Errorf("%s %s: %s from %s, want measured", pt.Layer, pt.Pass, pt.How, pt.From)
			}
		case workload.BatchNorm:
			if pt.Pass == "fwd" && strings.HasSuffix(pt.Layer, ".bn3") && pt.How == HowMeasured && !strings.Contains(pt.From, ".bn3") {
				t.Errorf("%s: a block end's batch norm + add + ReLU priced from %s", pt.Layer, pt.From)
			}
		}
	}
	wantProfiled := []string{"loss fwd"} // its bwd-data runs in the same call (fused)
	for _, s := range []string{"res2a", "res3a", "res4a", "res5a"} {
		wantProfiled = append(wantProfiled, s+".proj-bn fwd", s+".proj-bn bwd-data")
	}
	slices.Sort(profiled)
	slices.Sort(wantProfiled)
	if !slices.Equal(profiled, wantProfiled) {
		t.Errorf("passes on the roofline: %v, want %v", profiled, wantProfiled)
	}
	if n := counts[workload.BatchNorm][HowMeasured]; n < 40 {
		t.Errorf("%d batch-norm passes measured at their fused shape, want at least 40 (%v)", n, counts[workload.BatchNorm])
	}
	// The kernels must come within 10% of the step the same run measured.
	step := recordedStep(t, resnetResults(t, true), w, 8)
	t.Logf("kernels %.4g s against the measured step %.4g s (%+.1f%%)", p.StepSeconds.Mid, step, 100*(p.StepSeconds.Mid/step-1))
	if s := p.StepSeconds.Mid; s < step*0.9 || s > step*1.1 {
		t.Errorf("kernel step %.4g s, want within 10%% of the measured %.4g s", s, step)
	}
}

// TestPredictResNet50TrainStep checks that the whole-step case
// TrainStep/.../shape=resnet50-imagenet.b8 is the step at batch 8, and
// that at other batches it is scaled by the kernels' sums (StepScale), and
// that the prediction says so.
func TestPredictResNet50TrainStep(t *testing.T) {
	w := workload.ResNet50()
	m := resnetResults(t, true)
	p, err := PredictBatch(w, m, 1, 8, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.StepFrom, benchname.TrainStep+"/") || !strings.HasSuffix(p.StepFrom, "shape="+TrainStepShape(w, 8)) {
		t.Errorf("StepFrom %q, want the b8 TrainStep case", p.StepFrom)
	}
	if step := recordedStep(t, m, w, 8); p.StepSeconds.Mid != step {
		t.Errorf("step %.5g s, want the measured median %.5g s", p.StepSeconds.Mid, step)
	}
	if p.KernelStepSeconds.Mid == p.StepSeconds.Mid {
		t.Errorf("KernelStepSeconds %g equals the measured step: want the kernels' sum", p.KernelStepSeconds.Mid)
	}
	for _, batch := range []int{16, w.Batch} {
		q, err := PredictBatch(w, m, 1, batch, DefaultAssumptions())
		if err != nil {
			t.Fatal(err)
		}
		checkScaled(t, fmt.Sprintf("batch %d", batch), q, p)
	}
	if got := TrainStepShape(w, w.Batch); got != w.Name {
		t.Errorf("TrainStepShape at the network's own batch = %q, want the bare name", got)
	}
}
