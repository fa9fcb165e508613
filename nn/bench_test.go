package nn

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/workload"
)

// benchContexts runs f for the highest ISA level (every level with
// TRAINBENCH_BENCH_ALL_ISA=1) at 1 and 2 threads, as "isa=<l>/threads=<t>".
func benchContexts(b *testing.B, f func(b *testing.B, ctx *kernels.Context)) {
	info, err := cpu.Detect()
	if err != nil {
		b.Fatal(err)
	}
	levels := []cpu.Level{info.Max()}
	if os.Getenv("TRAINBENCH_BENCH_ALL_ISA") == "1" {
		levels = info.Levels()
	}
	for _, l := range levels {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("isa=%v/threads=%d", l, threads), func(b *testing.B) {
				ctx, err := kernels.NewContext(l, threads)
				if err != nil {
					b.Fatal(err)
				}
				defer ctx.Close()
				f(b, ctx)
			})
		}
	}
}

// BenchmarkTrainStep times one training step of the seed CNN at batch 32 on
// MNIST (gather, forward, loss, backward, Adam), reporting images/s and the
// kernels' GFLOP/s.
func BenchmarkTrainStep(b *testing.B) {
	data := loadMNIST(b)
	net := workload.SeedCNN()
	benchContexts(b, func(b *testing.B, ctx *kernels.Context) {
		m, err := NewModel(ctx, net, net.Batch)
		if err != nil {
			b.Fatal(err)
		}
		m.Init(1)
		opt, err := newOptimizer(net.Optimizer, len(m.params))
		if err != nil {
			b.Fatal(err)
		}
		bt := newBatcher(data.Train, m.sample, 1)
		bt.shuffle()
		steps := data.Train.Len() / net.Batch
		flops := m.stepFLOPs(net.Batch)
		timing := os.Getenv("TRAINBENCH_TIMING") == "1"
		m.SetTiming(timing)
		i := 0
		b.ReportAllocs()
		cpu0 := cpuTime()
		for b.Loop() {
			x, labels := m.Input(net.Batch)
			lo := (i % steps) * net.Batch
			bt.gather(lo, lo+net.Batch, x, labels)
			m.Forward(net.Batch)
			m.Backward(net.Batch)
			opt.step(ctx, m.params, m.grads)
			i++
		}
		cpuSec := (cpuTime() - cpu0).Seconds()
		s := b.Elapsed().Seconds()
		b.ReportMetric(float64(b.N*net.Batch)/s, "img/s")
		b.ReportMetric(flops*float64(b.N)/s/1e9, "GFLOP/s")
		b.ReportMetric(s/float64(b.N)*float64(steps), "s/epoch")
		// The process's CPU time per epoch and thread: on a machine shared
		// with other jobs it is far less inflated than wall time (waiting
		// for a core is not counted), so it bounds the uncontended epoch.
		b.ReportMetric(cpuSec/float64(b.N)*float64(steps)/float64(ctx.Threads()), "cpu-s/epoch/thread")
		if timing {
			var sb strings.Builder
			for _, lt := range m.layerTimes(m.Times(), b.N*net.Batch) {
				fmt.Fprintf(&sb, "\n  %-8s %-11s %8.1f µs/step %7.1f GFLOP/s", lt.Layer, lt.Pass, lt.Time.Seconds()/float64(b.N)*1e6, lt.FLOPs/lt.Time.Seconds()/1e9)
			}
			fmt.Fprintf(os.Stderr, "%s:%s\n", b.Name(), sb.String())
		}
	})
}

// BenchmarkEpoch trains the seed CNN for one full epoch of MNIST per
// iteration (about 3-10 s each), reporting the epoch's wall time, its CPU
// time per thread (the process's CPU time prorated to the training part of
// the run; see BenchmarkTrainStep) and the test accuracy, and printing the
// time split by layer and pass with TRAINBENCH_TIMING=1. Run it with
// -benchtime=1x.
func BenchmarkEpoch(b *testing.B) {
	data := loadMNIST(b)
	benchContexts(b, func(b *testing.B, ctx *kernels.Context) {
		var wall, acc, cpuSec float64
		seed := uint64(1)
		for b.Loop() {
			cpu0 := cpuTime()
			rep, err := Train(ctx, workload.SeedCNN(), data, TrainOptions{Seed: seed, Timing: os.Getenv("TRAINBENCH_TIMING") == "1"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			ep := rep.Epochs[0]
			cpuSec += (cpuTime() - cpu0).Seconds() * ep.Wall.Seconds() / (ep.Wall + ep.TestTime).Seconds()
			wall += ep.Wall.Seconds()
			acc += ep.TestAccuracy
			var sb strings.Builder
			fmt.Fprintf(&sb, "%s: seed %d: %s\n", b.Name(), seed, ep.Summary())
			for _, lt := range ep.Layers {
				fmt.Fprintf(&sb, "  %-8s %-11s %8.3f s %7.1f GFLOP/s\n", lt.Layer, lt.Pass, lt.Time.Seconds(), lt.FLOPs/lt.Time.Seconds()/1e9)
			}
			fmt.Fprint(os.Stderr, sb.String())
			seed++
		}
		b.ReportMetric(wall/float64(b.N), "s/epoch")
		b.ReportMetric(100*acc/float64(b.N), "%test-acc")
		b.ReportMetric(cpuSec/float64(b.N)/float64(ctx.Threads()), "cpu-s/epoch/thread")
	})
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
