package bench

import (
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
	// The count from a one-sample model scaled by the batch is the full
	// model's.
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
	if got, want := trainStepFLOPs(net), full.FLOPs(); math.Abs(got-want) > 1e-9*want {
		t.Errorf("trainStepFLOPs = %g, the batch-%d model counts %g", got, net.Batch, want)
	}
	op, cleanup, err := cases[0].Prepare()
	if err != nil {
		t.Fatal(err)
	}
	op()
	cleanup()
}
