package nn

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// TrainOptions set up a training run. Zero values take the defaults.
type TrainOptions struct {
	Epochs   int    // epochs to run (default 1)
	Batch    int    // minibatch size (default the network's Batch, else 32)
	Seed     uint64 // seeds the initial weights and the shuffles
	MaxSteps int    // if > 0, each epoch stops after this many steps
	Timing   bool   // time every layer's passes, the optimizer and the batch gathering
	SkipTest bool   // do not evaluate on the test set after each epoch
	// Precision is the arithmetic of the conv2d and dense products (default
	// F32; see Precision).
	Precision Precision
	// Context, if set, stops the run between steps when it is done: Train
	// then returns the epochs completed so far with the context's error.
	Context context.Context
}

// Step is the progress of a run after one training step.
type Step struct {
	Epoch, Step, Steps int // 1-based epoch, 1-based step within it, steps per epoch
	Loss               float32
	Elapsed            time.Duration // since the epoch's first step started
}

// Report is the outcome of a training run.
type Report struct {
	Network   string
	ISA       string
	Threads   int
	Batch     int
	Seed      uint64
	Params    int       // trainable parameters
	Optimizer string    // the network's optimizer
	Precision Precision // of the conv2d and dense products
	Epochs    []Epoch   // one per epoch
	Loss      []float32 // every step's training loss, in order
}

// Epoch is the measurement of one epoch.
type Epoch struct {
	Epoch  int // 1-based
	Steps  int
	Images int // samples: images, or sequences of a network that reads token ids
	// Tokens is the number of positions trained on, Images × the sequence
	// length, for a network that reads token ids (0 otherwise).
	Tokens       int
	TokensPerSec float64
	// Wall is the time of the training steps: gathering each minibatch,
	// forward, loss, backward and the optimizer update (the shuffle before
	// the epoch and the test evaluation after it are left out).
	Wall         time.Duration
	ImagesPerSec float64
	// FirstStep is the first step's wall time, and FirstImages and
	// FirstFLOPs its samples and work, when the epoch has more than one
	// step (zero otherwise). The first step pays once for what later steps
	// reuse (first-touch page faults on the activations, scratch buffers
	// growing to the network's shapes), so Layers, Update and Data leave it
	// out, and Steady gives the other steps: in a short run (MaxSteps) of a
	// large network it would otherwise add several percent to every figure.
	FirstStep   time.Duration
	FirstImages int
	FirstFLOPs  float64
	// FLOPs is the work of the kernel passes the epoch ran (conv2d, dense,
	// linear, max-pool, batch-norm, layer-norm, global-avgpool, add,
	// embedding, attention, GELU; ReLU, loss and optimizer are not counted),
	// from the shapes' formulas in package kernels; GFLOPS = FLOPs/Wall.
	FLOPs  float64
	GFLOPS float64
	// TrainLoss is the mean of the epoch's step losses.
	TrainLoss float64
	// TestAccuracy and TestLoss are measured on the test set after the
	// epoch, in TestTime (zero with SkipTest); for a network that reads
	// token ids, per predicted token (the held-out loss in nats a token).
	TestAccuracy, TestLoss float64
	TestTime               time.Duration
	// With TrainOptions.Timing: the time of each layer's passes, the
	// optimizer update and the minibatch gathering, over the steps Steady
	// counts (all but the first of an epoch of several).
	Layers []LayerTime
	Update time.Duration
	Data   time.Duration
	// Pool counts the epoch's parallel loops and those the thread pool ran
	// on one thread because its peers were being descheduled: a nonzero
	// Pool.Solo means the machine was busy and the epoch ran partly on one
	// thread (see kernels.Context.PoolStats).
	Pool kernels.PoolStats
}

// Steady returns the steps after the first (all of an epoch of one step)
// and their wall time and work: what Layers, Update and Data cover.
func (e Epoch) Steady() (steps int, wall time.Duration, flops float64) {
	if e.FirstStep == 0 {
		return e.Steps, e.Wall, e.FLOPs
	}
	return e.Steps - 1, e.Wall - e.FirstStep, e.FLOPs - e.FirstFLOPs
}

// LayerTime is the time one layer spent in one pass during an epoch. A
// layer fused into its neighbour shows the time of what it still does alone
// (a fused ReLU's forward is part of its conv2d or dense layer's).
type LayerTime struct {
	Layer string
	Kind  workload.Kind
	Pass  shape.Pass
	Time  time.Duration
	FLOPs float64
	// Impl is the implementation a float32 conv pass ran with
	// (kernels.Context.Conv2DImpl: "direct", "im2col", "winograd"); empty
	// for other layers, bf16 convs and a first conv's backward inside its
	// max-pool's.
	Impl string
	// ExecFLOPs are the operations the pass did where its algorithm does
	// fewer than FLOPs count (winograd: kernels.WinogradFLOPs), else 0.
	ExecFLOPs float64
}

// Train trains net on data.Train and evaluates it on data.Test after each
// epoch, calling progress (if not nil) after every step. It fails on a
// network the trainer cannot run, data that do not fit the network, or a
// loss that stops being finite. The optimizer's learning-rate schedule, if
// any, spans the run: its epochs are the epochs of steps Train runs (with
// MaxSteps, epochs of at most MaxSteps steps).
func Train(ctx *kernels.Context, net workload.Network, data Dataset, opts TrainOptions, progress func(Step)) (Report, error) {
	epochs := opts.Epochs
	if epochs == 0 {
		epochs = 1
	}
	batch := opts.Batch
	if batch == 0 {
		batch = net.Batch
	}
	if batch == 0 {
		batch = 32
	}
	if epochs < 0 || batch < 0 || opts.MaxSteps < 0 {
		return Report{}, fmt.Errorf("nn: epochs %d, batch %d and max steps %d must not be negative", epochs, batch, opts.MaxSteps)
	}
	m, err := NewModelPrecision(ctx, net, batch, opts.Precision)
	if err != nil {
		return Report{}, err
	}
	if err := data.Train.check("training", net, m.classes); err != nil {
		return Report{}, err
	}
	if data.Train.Len() == 0 {
		return Report{}, fmt.Errorf("nn: the training set is empty")
	}
	if !opts.SkipTest {
		if err := data.Test.check("test", net, m.classes); err != nil {
			return Report{}, err
		}
	}
	opt, err := newModelOptimizer(net.Optimizer, m)
	if err != nil {
		return Report{}, fmt.Errorf("nn: network %s: %w", net.Name, err)
	}
	m.Init(opts.Seed)

	total := data.Train.Len()
	steps := (total + batch - 1) / batch
	if opts.MaxSteps > 0 {
		steps = min(steps, opts.MaxSteps)
	}
	rep := Report{Network: net.Name, ISA: ctx.ISA().String(), Threads: ctx.Threads(), Batch: batch,
		Seed: opts.Seed, Params: len(m.params), Optimizer: opt.name, Precision: opts.Precision,
		Loss: make([]float32, 0, epochs*steps)}
	b := newBatcher(data.Train, m.sample, opts.Seed)
	sched := net.Optimizer.Schedule
	for e := 1; e <= epochs; e++ {
		b.shuffle()
		m.SetTiming(opts.Timing)
		m.Times() // reset
		ep := Epoch{Epoch: e, Steps: steps}
		var sum float64
		var update, gather time.Duration
		pool0 := ctx.PoolStats()
		start := time.Now()
		for s := range steps {
			if opts.Context != nil && opts.Context.Err() != nil {
				return rep, opts.Context.Err()
			}
			lo := s * batch
			n := min(batch, total-lo)
			t0 := time.Now()
			b.gather(lo, lo+n, m)
			if opts.Timing {
				gather += time.Since(t0)
			}
			loss := m.Forward(n)
			m.Backward(n)
			t1 := time.Now()
			if sched != nil {
				opt.setLR(sched.Factor(net.Optimizer.LR, (e-1)*steps+s, epochs*steps, steps))
			}
			opt.step(ctx, m.params, m.grads)
			if opts.Timing {
				update += time.Since(t1)
			}
			if math.IsNaN(float64(loss)) || math.IsInf(float64(loss), 0) {
				return rep, fmt.Errorf("nn: training diverged: loss %v at epoch %d step %d", loss, e, s+1)
			}
			rep.Loss = append(rep.Loss, loss)
			sum += float64(loss)
			ep.Images += n
			if m.seq {
				ep.Tokens += n * m.sample
			}
			ep.FLOPs += m.stepFLOPs(n)
			if s == 0 && steps > 1 {
				// Time the first step apart (see Epoch.FirstStep).
				ep.FirstStep, ep.FirstImages, ep.FirstFLOPs = time.Since(start), n, ep.FLOPs
				m.Times() // reset
				update, gather = 0, 0
			}
			if progress != nil {
				progress(Step{Epoch: e, Step: s + 1, Steps: steps, Loss: loss, Elapsed: time.Since(start)})
			}
		}
		ep.Wall = time.Since(start)
		pool1 := ctx.PoolStats()
		ep.Pool = kernels.PoolStats{Fors: pool1.Fors - pool0.Fors, Solo: pool1.Solo - pool0.Solo,
			Late: pool1.Late - pool0.Late, BusyWindows: pool1.BusyWindows - pool0.BusyWindows}
		m.SetTiming(false)
		ep.ImagesPerSec = float64(ep.Images) / ep.Wall.Seconds()
		ep.TokensPerSec = float64(ep.Tokens) / ep.Wall.Seconds()
		ep.GFLOPS = ep.FLOPs / ep.Wall.Seconds() / 1e9
		ep.TrainLoss = sum / float64(steps)
		if opts.Timing {
			ep.Layers = m.layerTimes(m.Times(), ep.Images-ep.FirstImages)
			ep.Update, ep.Data = update, gather
		}
		if !opts.SkipTest && data.Test.Len() > 0 {
			t0 := time.Now()
			ep.TestAccuracy, ep.TestLoss = m.Evaluate(data.Test)
			ep.TestTime = time.Since(t0)
		}
		rep.Epochs = append(rep.Epochs, ep)
	}
	return rep, nil
}

// taskFLOPs is the work of the task labelled layer i's pass p on n
// samples: the pass's, and a conv's backward-weights that runs its max-pool's
// backward (planConvPool) adds the pool's.
func (m *Model) taskFLOPs(i, p, n int) float64 {
	f := m.passFLOPs(i, p, n)
	if j := m.fusedPool[i]; j >= 0 && p == weightsPass {
		f += m.passFLOPs(j, dataPass, n)
	}
	return f
}

// passFLOPs is the work of layer i's pass p on n samples, from the shape's
// formula (0 for layers without one, and for ReLU). A batch-norm layer's
// backward runs as one kernel labelled backward-data: its FLOPs are those
// of the whole backward (data and weights), with its fusions.
func (m *Model) passFLOPs(i, p, n int) float64 {
	r := m.layers[i]
	if f, ok := m.transformerFLOPs(i, p, n); ok {
		return f
	}
	switch {
	case r.Conv != nil:
		s := *r.Conv
		s.N = n
		return s.FLOPs(Passes[p])
	case r.Dense != nil:
		s := *r.Dense
		s.Batch = n
		return s.FLOPs(Passes[p])
	case r.Pool != nil:
		s := *r.Pool
		s.N = n
		return s.FLOPs(Passes[p])
	case r.Kind == workload.BatchNorm:
		s := m.bnShape[i]
		s.N = n
		if p == fwdPass {
			return s.FLOPs(shape.Forward)
		}
		return s.FLOPs(shape.Backward)
	case r.GlobalPool != nil:
		s := shape.GlobalAvgPool{N: n, H: r.In.H, W: r.In.W, C: r.In.C}
		return s.FLOPs(Passes[p])
	case r.Kind == workload.Add && p == fwdPass:
		return shape.OpAdd.FLOPs(n * r.Out.Len())
	}
	return 0
}

// stepFLOPs is the work of one training step on n samples: every pass that
// runs (the first weighted layer has no backward-data pass). Element-wise
// work is left out: ReLU, the loss, and the gradient sums where a tensor
// has two readers.
func (m *Model) stepFLOPs(n int) float64 {
	f := 0.0
	for _, ts := range [][]task{m.fwd, m.bwd} {
		for _, t := range ts {
			if t.layer == m.lossTask.layer || m.layers[t.layer].Kind == workload.ReLU {
				continue
			}
			f += m.taskFLOPs(t.layer, t.pass, n)
		}
	}
	return f
}

// StepFLOPs is the work of one training step of net on batch samples as
// the trainer counts it (Epoch.FLOPs), without building the model.
func StepFLOPs(net workload.Network, batch int) (float64, error) {
	m, err := planModel(nil, net, batch)
	if err != nil {
		return 0, err
	}
	return m.stepFLOPs(batch), nil
}

// layerTimes lists the passes that ran, with their times, in layer order.
func (m *Model) layerTimes(times [][3]time.Duration, images int) []LayerTime {
	ran := make([][3]bool, len(m.layers))
	for _, ts := range [][]task{m.fwd, m.bwd, {m.lossTask}} {
		for _, t := range ts {
			ran[t.layer][t.pass] = true
		}
	}
	var out []LayerTime
	for i, r := range m.layers {
		for p := range Passes {
			if !ran[i][p] && times[i][p] == 0 {
				continue
			}
			lt := LayerTime{Layer: r.Name, Kind: r.Kind, Pass: Passes[p], Time: times[i][p],
				FLOPs: m.taskFLOPs(i, p, 1) * float64(images)}
			if r.Conv != nil && m.prec == F32 && !(m.fusedPool[i] >= 0 && p == weightsPass) {
				s := *r.Conv
				s.N = m.batch
				lt.Impl = m.ctx.Conv2DImpl(s, Passes[p])
				if lt.Impl == benchname.ImplWinograd {
					lt.ExecFLOPs = kernels.WinogradFLOPs(s, Passes[p]) * float64(images) / float64(m.batch)
				}
			}
			out = append(out, lt)
		}
	}
	return out
}

// Summary is the epoch's headline figures on one line.
func (e Epoch) Summary() string {
	rate := fmt.Sprintf("%.0f img/s", e.ImagesPerSec)
	if e.Tokens > 0 {
		rate = fmt.Sprintf("%.0f tokens/s", e.TokensPerSec)
	}
	s := fmt.Sprintf("epoch %d: %d steps in %.2f s, %s, %.1f GFLOP/s, train loss %.4f", e.Epoch, e.Steps,
		e.Wall.Seconds(), rate, e.GFLOPS, e.TrainLoss)
	switch {
	case e.TestTime > 0 && e.Tokens > 0:
		s += fmt.Sprintf(", held-out loss %.4f (next-token accuracy %.2f%%)", e.TestLoss, 100*e.TestAccuracy)
	case e.TestTime > 0:
		s += fmt.Sprintf(", test accuracy %.2f%% (loss %.4f)", 100*e.TestAccuracy, e.TestLoss)
	}
	if e.Update > 0 {
		n, _, _ := e.Steady()
		s += fmt.Sprintf("; optimizer %.2f ms, batches %.2f ms a step", 1e3*e.Update.Seconds()/float64(n), 1e3*e.Data.Seconds()/float64(n))
	}
	return s
}
