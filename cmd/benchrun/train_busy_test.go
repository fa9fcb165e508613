package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/nn"
	"github.com/trainbench/trainbench/workload"
)

// TestPrintEpochBusyMachine: an epoch whose thread pool ran loops on one
// thread (a busy machine) says so and how; a quiet one prints no such line.
func TestPrintEpochBusyMachine(t *testing.T) {
	p := trainPlan{threads: 2, batch: 32, net: workload.SeedCNN()}
	e := nn.Epoch{Epoch: 1, Steps: 10, Images: 320, Wall: time.Second}
	var quiet bytes.Buffer
	(&trainOptions{}).printEpoch(&quiet, e, p, 0, nil)
	if strings.Contains(quiet.String(), "busy machine") {
		t.Errorf("quiet epoch reports a busy machine:\n%s", quiet.String())
	}
	e.Pool = kernels.PoolStats{Fors: 180, Solo: 40, Late: 2, BusyWindows: 1}
	var busy bytes.Buffer
	(&trainOptions{}).printEpoch(&busy, e, p, 0, nil)
	want := "busy machine: 40 of 180 parallel loops ran on one thread (2 found a thread descheduled, 1 windows the process short of CPU); not this machine's 2-thread speed"
	if !strings.Contains(busy.String(), want) {
		t.Errorf("busy epoch's output lacks %q:\n%s", want, busy.String())
	}
	// A few loops alone in a long epoch (a quiet machine's passing blips)
	// leave the time the machine's 2-thread speed, and the line says so.
	e.Pool = kernels.PoolStats{Fors: 31875, Solo: 108, Late: 11, BusyWindows: 1}
	var blip bytes.Buffer
	(&trainOptions{}).printEpoch(&blip, e, p, 0, nil)
	want = "brief signs of a busy machine: 108 of 31875 parallel loops ran on one thread (11 found a thread descheduled, 1 windows the process short of CPU); 0.3% of them, so the time is still this machine's 2-thread speed within about 0.3%"
	if !strings.Contains(blip.String(), want) {
		t.Errorf("an epoch with 0.3%% of its loops alone lacks %q:\n%s", want, blip.String())
	}
}

// TestPrintEpochPerStep: the per-layer and per-kind tables give each pass's
// total and its time a step (total / steps), so that a --max-steps run of a
// large network reads per step.
func TestPrintEpochPerStep(t *testing.T) {
	p := trainPlan{threads: 1, batch: 8, net: workload.SeedCNN()}
	e := nn.Epoch{Epoch: 1, Steps: 4, Images: 32, Wall: 2 * time.Second,
		Layers: []nn.LayerTime{{Layer: "conv2", Kind: workload.Conv2D, Pass: "fwd", Time: time.Second, FLOPs: 1e9}},
		Update: 200 * time.Millisecond, Data: 40 * time.Millisecond}
	var b bytes.Buffer
	(&trainOptions{}).printEpoch(&b, e, p, 0, nil)
	out := b.String()
	for _, want := range []string{"ms/step", "conv2     fwd               1.000    250.00    50.0%", "optimizer                   0.200     50.00"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestPrintEpochFirstStepApart: with the first step timed apart
// (nn.Epoch.FirstStep), the step, the per-step table and the shares are the
// other steps', and the first step's time is named on its own line.
func TestPrintEpochFirstStepApart(t *testing.T) {
	p := trainPlan{threads: 1, batch: 8, net: workload.SeedCNN()}
	e := nn.Epoch{Epoch: 1, Steps: 5, Images: 40, Wall: 3 * time.Second, FLOPs: 10e9,
		FirstStep: time.Second, FirstImages: 8, FirstFLOPs: 2e9,
		Layers: []nn.LayerTime{{Layer: "conv2", Kind: workload.Conv2D, Pass: "fwd", Time: time.Second, FLOPs: 1e9}},
		Update: 200 * time.Millisecond, Data: 40 * time.Millisecond}
	var b bytes.Buffer
	(&trainOptions{}).printEpoch(&b, e, p, 8, nil)
	out := b.String()
	for _, want := range []string{
		"step 0.5000 s (mean of steps 2-5 of 8 images), 2.00 GFLOP a step",
		"the first step took 1.0000 s",
		"50.0% of the measured", // 8 GFLOP in 2 s against a peak of 8 GFLOP/s
		"conv2     fwd               1.000    250.00    50.0%",
		"optimizer                   0.200     50.00    10.0%",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
