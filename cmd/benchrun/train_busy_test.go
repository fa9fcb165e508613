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
	want := "busy machine: 40 of 180 parallel loops ran on one thread (2 found a thread descheduled, 1 windows the process short of CPU)"
	if !strings.Contains(busy.String(), want) {
		t.Errorf("busy epoch's output lacks %q:\n%s", want, busy.String())
	}
}
