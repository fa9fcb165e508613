package bench

import (
	"fmt"
	"math"
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
