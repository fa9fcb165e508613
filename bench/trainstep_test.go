package bench

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/nn"
	"github.com/trainbench/trainbench/workload"
)

// BenchmarkTrainStep runs the TrainStep family: one whole training step of
// the seed CNN per op.
func BenchmarkTrainStep(b *testing.B) { RunAll(b, FamilyCases(benchname.TrainStep, Options{})) }

// BenchmarkTrainStepResNet50 runs the resnet50 set's TrainStep cases
// (ResNet-50 at batch 8) at level avx512, threads 1 and 2, so that the step
// can be compared between commits with scripts/bench-ab.sh:
//
//	TRAINBENCH_RESNET_STEP=1 scripts/bench-ab.sh A B 'TrainStepResNet50/impl=nn/isa=avx512/threads=1/' 6 3x
//
// A step takes about a second and 1 GB, so it skips itself unless
// TRAINBENCH_RESNET_STEP=1 is set: CI's every-benchmark-once pass stays fast.
func BenchmarkTrainStepResNet50(b *testing.B) {
	if os.Getenv("TRAINBENCH_RESNET_STEP") != "1" {
		b.Skip("set TRAINBENCH_RESNET_STEP=1 to run ResNet-50's training step")
	}
	RunAll(b, FamilyCases(benchname.TrainStep, Options{Sets: []string{benchname.SetResNet50}, Levels: []cpu.Level{cpu.AVX512}, Threads: []int{1, 2}}))
}

// TestTrainStepCases: a case per level and thread count, named for the cost
// model (shape = the network), counting the step's work, and its operation
// runs.
func TestTrainStepCases(t *testing.T) {
	cases := FamilyCases(benchname.TrainStep, Options{Threads: []int{1, 2}})
	if len(cases) < 2 {
		t.Fatalf("%d TrainStep cases, want at least one per thread count", len(cases))
	}
	for _, c := range cases {
		if !strings.HasPrefix(c.Name(), "TrainStep/impl=nn/isa=") || !strings.HasSuffix(c.Name(), "/shape=seed-cnn") {
			t.Errorf("case name %q", c.Name())
		}
		// Forward 5.26 MFLOP per image (the workload's count) and about
		// twice that backward: 32 images make 0.4-0.55 GFLOP a step.
		if c.FLOPs < 0.4e9 || c.FLOPs > 0.55e9 {
			t.Errorf("%s: %g FLOP a step, want 3× the forward's 32 × 5.26e6 less the first layer's data gradient", c.Name(), c.FLOPs)
		}
	}
	// The count from the plan alone is the full model's.
	ctx, err := kernels.NewContext(cpu.Generic, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := workload.SeedCNN()
	full, err := nn.NewStepper(ctx, net, net.Batch, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := trainStepFLOPs(net, net.Batch), full.FLOPs(); math.Abs(got-want) > 1e-9*want {
		t.Errorf("trainStepFLOPs = %g, the batch-%d model counts %g", got, net.Batch, want)
	}
	op, cleanup, err := cases[0].Prepare()
	if err != nil {
		t.Fatal(err)
	}
	op()
	cleanup()
}

// TestTrainStepResNet50Cases: ResNet-50's cases are in the resnet50 set at
// batch 8 (and resnet50-all at 32), not in the default set, named
// shape=resnet50-imagenet.b8, with about 3 × 8.2 GFLOP an image (the
// 4.1 G usually quoted for ResNet-50 counts multiply-adds; a FLOP here is
// one add or one multiply).
func TestTrainStepResNet50Cases(t *testing.T) {
	for _, c := range FamilyCases(benchname.TrainStep, Options{Threads: []int{1}}) {
		if strings.Contains(c.Name(), "resnet50") {
			t.Errorf("default set has %s", c.Name())
		}
	}
	for set, batch := range map[string]int{benchname.SetResNet50: 8, benchname.SetResNet50All: 32} {
		cases := FamilyCases(benchname.TrainStep, Options{Sets: []string{set}, Threads: []int{1}})
		if len(cases) == 0 {
			t.Fatalf("set %s: no TrainStep cases", set)
		}
		for _, c := range cases {
			if !strings.HasPrefix(c.Name(), "TrainStep/impl=nn/isa=") || !strings.HasSuffix(c.Name(), fmt.Sprintf("/threads=1/shape=resnet50-imagenet.b%d", batch)) || c.Set != set {
				t.Errorf("set %s: case %q in set %s", set, c.Name(), c.Set)
			}
			// Forward 8.2 GFLOP an image (convolutions and the classifier),
			// backward about twice that, less the stem's data gradient.
			if per := c.FLOPs / float64(batch); per < 22e9 || per > 26e9 {
				t.Errorf("%s: %.2f GFLOP an image, want about 3 × 8.2", c.Name(), per/1e9)
			}
		}
	}
}

// TestTrainStepGPT2Cases: GPT-2 small's cases are in the gpt2 set only,
// named shape=gpt2-small.t256b1 and .t1024b1, counting from the plan about
// 6 × 123.5M (the linear layers' weights, the tied output layer's
// included) × the tokens, plus causal attention (4.9 GFLOP a layer at
// t1024): 818 GFLOP at t1024 (PyTorch's anchor counts 880 with attention
// unmasked), 194 at t256.
func TestTrainStepGPT2Cases(t *testing.T) {
	for _, c := range FamilyCases(benchname.TrainStep, Options{Threads: []int{1}}) {
		if strings.Contains(c.Name(), "gpt2") {
			t.Errorf("default set has %s", c.Name())
		}
	}
	cases := FamilyCases(benchname.TrainStep, Options{Sets: []string{benchname.SetGPT2}, Threads: []int{1}})
	seen := map[string]bool{}
	for _, c := range cases {
		if c.Set != benchname.SetGPT2 || !strings.HasPrefix(c.Name(), "TrainStep/impl=nn/isa=") {
			t.Errorf("case %q in set %s", c.Name(), c.Set)
		}
		for shape, lim := range map[string][2]float64{"gpt2-small.t256b1": {185e9, 205e9}, "gpt2-small.t1024b1": {800e9, 840e9}} {
			if strings.HasSuffix(c.Name(), "/threads=1/shape="+shape) {
				seen[shape] = true
				if c.FLOPs < lim[0] || c.FLOPs > lim[1] {
					t.Errorf("%s: %.1f GFLOP a step, want %.0f-%.0f", c.Name(), c.FLOPs/1e9, lim[0]/1e9, lim[1]/1e9)
				}
				t.Logf("%s: %.1f GFLOP a step", c.Name(), c.FLOPs/1e9)
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("gpt2 set: shapes %v, want t256b1 and t1024b1", seen)
	}
}
