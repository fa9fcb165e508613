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

// BenchmarkEpoch trains the seed CNN for one full epoch of MNIST per
// iteration (about 3-10 s each), reporting the epoch's wall time, its CPU
// time per thread (the process's CPU time prorated to the training part of
// the run: on a machine shared with other jobs it is far less inflated than
// wall time, since waiting for a core is not counted; one step alone is
// bench's TrainStep family) and the test accuracy, and printing the
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
