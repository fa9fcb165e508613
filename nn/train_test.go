package nn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
	"github.com/trainbench/trainbench/workload"
)

var (
	mnistOnce sync.Once
	mnistData Dataset
	mnistErr  error
)

// loadMNIST reads the real MNIST once per test binary.
func loadMNIST(t testing.TB) Dataset {
	t.Helper()
	mnistOnce.Do(func() { mnistData, mnistErr = LoadMNIST("") })
	if mnistErr != nil {
		t.Fatal(mnistErr)
	}
	return mnistData
}

// subset is the first train and test samples of d.
func subset(d Dataset, train, test int) Dataset {
	const px = 28 * 28
	return Dataset{Train: d.Train.Slice(0, train, px), Test: d.Test.Slice(0, test, px)}
}

// TestShortTraining trains the seed CNN on a slice of MNIST at every ISA
// level: the loss must fall well below its starting value (ln 10 ≈ 2.30),
// the test accuracy must be far above chance (10%), and every level must
// follow the same loss curve as the first (up to float32 rounding, which the
// levels order differently). Levels with assembly run 250 steps; the pure-Go
// kernels, about 20× slower, run 30 (with bounds for 30 steps).
func TestShortTraining(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	const fast, slow = 250, 30
	data := loadMNIST(t)
	var ref []float32
	for _, l := range info.Levels() {
		t.Run(fmt.Sprintf("isa=%v", l), func(t *testing.T) {
			steps, maxLoss, minAcc, tests := fast, 0.5, 0.9, 1000
			if pureGo || l == cpu.Generic {
				steps, maxLoss, minAcc, tests = slow, 1.0, 0.6, 300
			}
			ctx, err := kernels.NewContext(l, 2)
			if err != nil {
				t.Fatal(err)
			}
			defer ctx.Close()
			rep, err := Train(ctx, workload.SeedCNN(), subset(data, fast*32, tests), TrainOptions{Seed: 1, MaxSteps: steps, Timing: true}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ep := rep.Epochs[0]
			first, last := mean(rep.Loss[:5]), mean(rep.Loss[len(rep.Loss)-10:])
			t.Logf("%d steps: loss %.3f → %.3f, test accuracy %.1f%% on %d images, %.0f img/s", steps, first, last, 100*ep.TestAccuracy, tests, ep.ImagesPerSec)
			if first < 2.1 || first > 2.5 {
				t.Errorf("first steps' loss %.3f, want about ln 10 = 2.30 (untrained)", first)
			}
			if last > maxLoss {
				t.Errorf("last steps' loss %.3f, want < %v", last, maxLoss)
			}
			if ep.TestAccuracy < minAcc {
				t.Errorf("test accuracy %.3f, want ≥ %v (chance is 0.10)", ep.TestAccuracy, minAcc)
			}
			if len(ep.Layers) == 0 || ep.Update <= 0 {
				t.Errorf("timing on but no layer times (%d) or update time (%v)", len(ep.Layers), ep.Update)
			}
			if ref == nil {
				ref = rep.Loss
				return
			}
			for i := range min(slow, len(ref), len(rep.Loss)) {
				if d := math.Abs(float64(rep.Loss[i] - ref[i])); d > 1e-3*float64(ref[i]) {
					t.Errorf("step %d: loss %v, the first level's %v", i+1, rep.Loss[i], ref[i])
					break
				}
			}
		})
	}
}

func mean(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// TestDeterministic trains twice with the same seed and threads (same loss
// curve to the bit, timing on or off), and once with another seed (a
// different curve, so the comparison can fail).
func TestDeterministic(t *testing.T) {
	steps := 20 // per epoch, the last one partial
	if pureGo {
		steps = 4
	}
	data := subset(loadMNIST(t), (steps-1)*32+7, 0)
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprintf("threads=%d", threads), func(t *testing.T) {
			ctx, err := kernels.NewDefaultContext(threads)
			if err != nil {
				t.Fatal(err)
			}
			defer ctx.Close()
			run := func(seed uint64, timing bool) []float32 {
				rep, err := Train(ctx, workload.SeedCNN(), data, TrainOptions{Seed: seed, Epochs: 2, Timing: timing, SkipTest: true}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Loss) != 2*steps {
					t.Fatalf("%d losses, want %d", len(rep.Loss), 2*steps)
				}
				return rep.Loss
			}
			a, b, c := run(3, false), run(3, true), run(4, false)
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("step %d: loss %v then %v with the same seed", i, a[i], b[i])
				}
			}
			same := 0
			for i := range a {
				if a[i] == c[i] {
					same++
				}
			}
			if same == len(a) {
				t.Errorf("seeds 3 and 4 gave the same loss curve")
			}
		})
	}
}

// TestInit checks the Glorot-uniform limits, the zero biases, and that the
// seed decides the weights.
func TestInit(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	m, err := NewModel(ctx, workload.SeedCNN(), 4)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	// conv1: fans 9 and 288; conv2: 288 and 576; fc1: 1600 and 128; fc2: 128 and 10.
	limits := []float64{math.Sqrt(6.0 / 297), math.Sqrt(6.0 / 864), math.Sqrt(6.0 / 1728), math.Sqrt(6.0 / 138)}
	weights := []int{288, 18432, 204800, 1280}
	biases := []int{32, 64, 128, 10}
	off := 0
	for l := range limits {
		w := m.params[off : off+weights[l]]
		lo, hi := 0.0, 0.0
		for _, v := range w {
			lo, hi = min(lo, float64(v)), max(hi, float64(v))
		}
		if hi > limits[l] || -lo > limits[l] || hi < 0.9*limits[l] || -lo < 0.9*limits[l] {
			t.Errorf("layer %d: weights in [%v, %v], want to fill ±%v", l, lo, hi, limits[l])
		}
		for _, v := range m.params[off+weights[l] : off+weights[l]+biases[l]] {
			if v != 0 {
				t.Errorf("layer %d: bias %v, want 0", l, v)
				break
			}
		}
		off += weights[l] + biases[l]
	}
	if off != len(m.params) {
		t.Errorf("%d parameters, want %d", len(m.params), off)
	}
	a := append([]float32(nil), m.params...)
	m.Init(1)
	for i := range a {
		if a[i] != m.params[i] {
			t.Fatalf("Init(1) twice differs at %d", i)
		}
	}
	m.Init(2)
	if a[0] == m.params[0] && a[1] == m.params[1] {
		t.Errorf("Init(2) gave Init(1)'s weights")
	}
}

// TestTrainErrors checks that bad input is reported, naming what is wrong.
func TestTrainErrors(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	good := Set{Inputs: make([]float32, 2*784), Labels: []int32{1, 2}}
	noLoss := workload.SeedCNN()
	noLoss.Layers = noLoss.Layers[:len(noLoss.Layers)-1]
	noPos := workload.SeedCNN() // an embedding without a position table
	noPos.Layers[0] = workload.Layer{Name: "emb", Kind: workload.Embedding, Vocab: 10, Units: 4}
	badOpt := workload.SeedCNN()
	badOpt.Optimizer.Name = "adagrad"
	for _, c := range []struct {
		net  workload.Network
		data Dataset
		opts TrainOptions
		want string
	}{
		{workload.SeedCNN(), Dataset{Train: Set{Inputs: make([]float32, 100), Labels: []int32{1}}}, TrainOptions{SkipTest: true}, "per sample"},
		{workload.SeedCNN(), Dataset{Train: Set{Inputs: make([]float32, 784), Labels: []int32{10}}}, TrainOptions{SkipTest: true}, "label 10 of sample 0"},
		{workload.SeedCNN(), Dataset{Train: good, Test: Set{Inputs: make([]float32, 784), Labels: []int32{-1}}}, TrainOptions{}, "test set: label -1"},
		{workload.SeedCNN(), Dataset{}, TrainOptions{}, "empty"},
		{noLoss, Dataset{Train: good}, TrainOptions{}, "softmax-ce"},
		{badOpt, Dataset{Train: good}, TrainOptions{}, "adagrad"},
		{noPos, Dataset{Train: good}, TrainOptions{}, "layer 0 (emb, embedding): layers[0].positions"},
		{workload.SeedCNN(), Dataset{Train: good}, TrainOptions{Epochs: -1}, "epochs -1"},
	} {
		_, err := Train(ctx, c.net, c.data, c.opts, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one mentioning %q", err, c.want)
		}
	}
}

// TestStepAllocates checks that the trainer's own code allocates nothing
// per step: every allocation made during a few steps (full and partial
// minibatches, timing on) is attributed to the first function outside the
// runtime on its stack, and none may be in package nn. (The total, including
// the kernels', is logged.)
func TestStepAllocates(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	m, err := NewModel(ctx, workload.SeedCNN(), 8)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	opt, err := newOptimizer(workload.SeedCNN().Optimizer, len(m.params))
	if err != nil {
		t.Fatal(err)
	}
	m.SetTiming(true)
	step := func() {
		for _, n := range []int{8, 5} {
			m.Forward(n)
			m.Backward(n)
			opt.step(ctx, m.params, m.grads)
		}
	}
	step()
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	runtime.GC()
	before := allocSites()
	for range 4 {
		step()
	}
	runtime.GC()
	runtime.GC()
	for site, n := range allocSites() {
		if d := n - before[site]; d > 0 && strings.HasPrefix(site, "github.com/trainbench/trainbench/nn.") {
			t.Errorf("%s allocated %d objects in 4 steps", site, d)
		}
	}
	t.Logf("%.0f allocations per step in all (the kernels')", testing.AllocsPerRun(3, step)/2)
}

// allocSites returns the objects allocated so far (as far as the memory
// profile has published) per allocating site: the first non-runtime frame,
// leaving out the tests' own allocations.
func allocSites() map[string]int64 {
	n, _ := runtime.MemProfile(nil, true)
	recs := make([]runtime.MemProfileRecord, n+100)
	n, _ = runtime.MemProfile(recs, true)
	sites := map[string]int64{}
	for _, r := range recs[:n] {
		frames := runtime.CallersFrames(r.Stack())
		for {
			f, more := frames.Next()
			if !strings.HasPrefix(f.Function, "runtime.") {
				if !strings.HasSuffix(f.File, "_test.go") { // not this helper
					sites[fmt.Sprintf("%s:%d", f.Function, f.Line)] += r.AllocObjects
				}
				break
			}
			if !more {
				break
			}
		}
	}
	return sites
}

// TestStepFLOPs checks the work counted for a seed-CNN step against the
// figures worked by hand: conv1 fwd and bwd-weights (no bwd-data) 2×389,376,
// conv2 3×4,460,544, fc1 3×409,600, fc2 3×2,560, pool1 2×21,632 and pool2
// 2×6,400 comparisons, per image.
func TestStepFLOPs(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	m, err := NewModel(ctx, workload.SeedCNN(), 32)
	if err != nil {
		t.Fatal(err)
	}
	want := 2*389376 + 3*4460544 + 3*409600 + 3*2560 + 2*21632 + 2*6400
	for _, n := range []int{32, 7} {
		if got := m.stepFLOPs(n); got != float64(n*want) {
			t.Errorf("step of %d images: %v FLOPs, want %d", n, got, n*want)
		}
	}
}

// TestTrainStopsOnContext: a cancelled context stops the run before its
// next step, with the context's error and the steps done so far.
func TestTrainStopsOnContext(t *testing.T) {
	ctx, err := kernels.NewContext(cpu.Generic, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := tinyNets()[0]
	sample := net.Input.Len()
	rng := kerneltest.Rand(3)
	train := Set{Inputs: make([]float32, 64*sample), Labels: make([]int32, 64)}
	kerneltest.Fill(rng, train.Inputs)
	for i := range train.Labels {
		train.Labels[i] = int32(i % net.Classes)
	}
	stop, cancel := context.WithCancel(context.Background())
	steps := 0
	rep, err := Train(ctx, net, Dataset{Train: train}, TrainOptions{Batch: 8, Seed: 1, Context: stop, SkipTest: true}, func(s Step) {
		steps++
		if s.Step == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if steps != 3 || len(rep.Loss) != 3 {
		t.Errorf("ran %d steps (%d losses) after cancelling at step 3", steps, len(rep.Loss))
	}
}

// TestOptimizerSetLR checks that a schedule's factor scales each rule's
// configured rate, not the rate of the previous step: one update from zero
// state with factor f moves the parameters f times as far as with factor 1
// (sgd: lr·g; adam and adamw: about lr a step), and factors do not compound.
func TestOptimizerSetLR(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	for _, o := range []workload.Optimizer{
		{Name: "sgd", LR: 0.1, Momentum: 0.9},
		{Name: "adam", LR: 1e-3},
		{Name: "adamw", LR: 1e-3, Decay: 0.1},
	} {
		move := func(factors ...float64) float64 {
			opt, err := newOptimizer(o, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range factors {
				opt.setLR(f)
			}
			p, g := make([]float32, 4), []float32{0.5, -0.25, 0.125, 0.01}
			opt.step(ctx, p, g)
			return math.Abs(float64(p[0]))
		}
		full := move(1)
		if full == 0 {
			t.Fatalf("%s: no update at factor 1", o.Name)
		}
		for _, fs := range [][]float64{{0.25}, {0.5, 0.25}, {3, 0.25}} {
			if got := move(fs...) / full; math.Abs(got-0.25) > 1e-5 {
				t.Errorf("%s: factors %v moved the parameter %.6f as far as factor 1, want 0.25", o.Name, fs, got)
			}
		}
	}
}

// TestTrainTimesFirstStepApart: an epoch of several steps times its first
// step apart (Epoch.FirstStep), and the per-layer, optimizer and minibatch
// timers and the layers' FLOPs cover the other steps only (Epoch.Steady):
// with the first step in them the timers would sum to about 4/3 of the
// steady wall time and the FLOPs to 4/3 of the steady work.
func TestTrainTimesFirstStepApart(t *testing.T) {
	const steps, batch = 4, 32
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	rep, err := Train(ctx, workload.SeedCNN(), subset(loadMNIST(t), steps*batch, 0), TrainOptions{Seed: 1, Timing: true, SkipTest: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := rep.Epochs[0]
	n, wall, flops := ep.Steady()
	if ep.FirstStep <= 0 || ep.FirstStep >= ep.Wall || ep.FirstImages != batch || ep.FirstFLOPs != ep.FLOPs/steps {
		t.Fatalf("first step %v of %v, %d images, %g FLOPs of %g: want the first of %d equal steps", ep.FirstStep, ep.Wall, ep.FirstImages, ep.FirstFLOPs, ep.FLOPs, steps)
	}
	if n != steps-1 || wall != ep.Wall-ep.FirstStep || flops != ep.FLOPs-ep.FirstFLOPs {
		t.Errorf("Steady() = %d steps, %v, %g FLOPs; want %d, %v, %g", n, wall, flops, steps-1, ep.Wall-ep.FirstStep, ep.FLOPs-ep.FirstFLOPs)
	}
	timed, work := ep.Update+ep.Data, 0.0
	for _, l := range ep.Layers {
		timed += l.Time
		if l.Kind != workload.ReLU && l.Kind != workload.SoftmaxCE {
			work += l.FLOPs
		}
	}
	if timed > wall {
		t.Errorf("the timers sum to %v, more than the steady steps' %v: the first step is in them", timed, wall)
	}
	if math.Abs(work-flops) > 1e-9*flops {
		t.Errorf("the layers' FLOPs sum to %g, want the steady steps' %g", work, flops)
	}
	one, err := Train(ctx, workload.SeedCNN(), subset(loadMNIST(t), batch, 0), TrainOptions{Seed: 1, Timing: true, SkipTest: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := one.Epochs[0]; e.FirstStep != 0 || len(e.Layers) == 0 {
		t.Errorf("an epoch of one step: first step %v, %d layer times; want 0 and the step in the table", e.FirstStep, len(e.Layers))
	}
}
