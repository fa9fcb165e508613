package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/trainbench/trainbench/internal/hugepage"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// Passes are the three passes the trainer times, in Report order.
var Passes = [3]shape.Pass{shape.Forward, shape.BackwardData, shape.BackwardWeights}

const (
	fwdPass = iota
	dataPass
	weightsPass
)

// Model is a network's parameters, activations and gradients for
// minibatches of up to Batch() samples, with the kernel calls of its forward
// and backward passes planned once, when it is built: running a step
// allocates nothing. The network may be a graph (residual branches: a
// layer's Input and an add's With); see plan.go for how it is scheduled and
// how buffers share memory.
type Model struct {
	ctx     *kernels.Context
	prec    Precision // the arithmetic of conv2d and dense products (precision.go)
	bf16    bf16State // under BF16: the kernel calls and the packed dense weights (precision.go)
	net     workload.Network
	layers  []workload.Resolved // shapes at the full batch
	batch   int
	sample  int // input values per sample (token ids for a sequence model)
	classes int // logits per loss row: the loss input's channels
	rows    int // loss rows per sample: 1, or the positions of a sequence

	params, grads []float32 // every layer's weights then bias (γ then β), one after the other
	nParams       int
	paramOff      []int     // per layer: the offset of its parameters
	weights       []int     // per layer: how many of them are weights (conv, dense), the rest bias, or γ (batch-norm)
	x             []float32 // the input minibatch (nil for a sequence model)
	tokens        []int32   // a sequence model's input: token ids, Batch·sample (nil otherwise)
	labels        []int32   // rows per sample
	logits        []float32
	loss          float32

	ops       []*op
	input     *tensor
	bufs      []*fbuf // every arena buffer
	arena     []float32
	arenaLen  int
	logitsBuf *fbuf
	args      [][]int32 // per max-pool layer: the forward's argmax
	argLen    []int
	bn        []*bnLayer        // per batch-norm layer
	bnShape   []shape.BatchNorm // per batch-norm layer, at the full batch, with its fusions
	folded    []bool            // per ReLU layer: its gradient mask runs in the max-pool after it
	fusedPool []int             // per conv2d layer: the max-pool layer its backward runs in (planConvPool), or -1
	minBatch  int               // the smallest minibatch a training step takes (batch-norm needs two values per channel)
	seq       bool              // a sequence model: its input is token ids (an embedding reads it)
	tf        []*tfLayer        // per transformer layer (embedding, layernorm, linear, attention): its kernel state

	fwd, infer, bwd []task // kernel calls in execution order: training forward, inference forward, backward
	lossTask        task

	timing bool
	times  [][3]time.Duration // per layer and pass, accumulated while timing
}

// task is one kernel call (or a few fused ones) of a layer's pass on the
// first n samples of the minibatch.
type task struct {
	layer int
	pass  int
	run   func(n int)
}

// NewModel plans net on ctx for minibatches of up to batch samples. The
// network must end with a softmax-ce layer. Parameters start at zero; call
// Init.
func NewModel(ctx *kernels.Context, net workload.Network, batch int) (*Model, error) {
	m, err := planModel(ctx, net, batch)
	if err != nil {
		return nil, err
	}
	m.allocate()
	return m, nil
}

// planModel plans the model without allocating its buffers (parameters,
// activations, gradients), so that its memory and work can be counted
// cheaply; ctx may be nil then.
func planModel(ctx *kernels.Context, net workload.Network, batch int) (*Model, error) {
	return planModelPrec(ctx, net, batch, F32)
}

// planModelPrec is planModel with the conv2d and dense products in prec.
func planModelPrec(ctx *kernels.Context, net workload.Network, batch int, prec Precision) (*Model, error) {
	rs, err := net.Resolve(batch)
	if err != nil {
		return nil, err
	}
	last := rs[len(rs)-1]
	if last.Kind != workload.SoftmaxCE {
		return nil, fmt.Errorf("nn: network %s: the last layer (%s) is %s; training needs a softmax-ce loss layer", net.Name, last.Name, last.Kind)
	}
	if err := supported(net, rs, batch); err != nil {
		return nil, err
	}
	L := len(rs)
	m := &Model{ctx: ctx, prec: prec, net: net, layers: rs, batch: batch, sample: net.Input.Len(),
		classes: last.In.C, rows: last.In.Positions(), times: make([][3]time.Duration, L), minBatch: 1,
		paramOff: make([]int, L), weights: make([]int, L), args: make([][]int32, L), argLen: make([]int, L),
		bn: make([]*bnLayer, L), bnShape: make([]shape.BatchNorm, L), folded: make([]bool, L), fusedPool: make([]int, L), tf: make([]*tfLayer, L)}
	for _, r := range rs {
		m.seq = m.seq || r.Kind == workload.Embedding
	}
	for i := range m.fusedPool {
		m.fusedPool[i] = -1
	}
	total := 0
	for i, r := range rs {
		m.paramOff[i] = total
		switch r.Kind {
		case workload.Conv2D:
			m.weights[i] = r.Conv.WeightLen()
		case workload.Dense:
			m.weights[i] = r.Dense.In * r.Dense.Out
		case workload.Linear:
			if r.Tie == "" {
				m.weights[i] = r.Dense.In * r.Dense.Out
			}
		case workload.Embedding:
			m.weights[i] = r.Params // both tables
		case workload.LayerNorm:
			m.weights[i] = r.In.C // γ, then β
			m.weights[i] = r.In.C
			if r.In.Positions() == 1 {
				m.minBatch = 2
			}
		}
		total += r.Params
	}
	m.nParams = total
	if err := m.plan(); err != nil {
		return nil, err
	}
	m.arenaLen = place(m.bufs)
	return m, nil
}

// allocate gives every planned buffer its memory.
func (m *Model) allocate() {
	m.params = make([]float32, m.nParams)
	m.grads = make([]float32, m.nParams)
	if m.seq {
		m.tokens = make([]int32, m.batch*m.sample)
	} else {
		m.x = make([]float32, m.batch*m.sample)
		m.input.act.data = m.x
	}
	m.labels = make([]int32, m.batch*m.rows)
	m.arena = make([]float32, m.arenaLen)
	for _, b := range m.bufs {
		b.data = m.arena[b.off : b.off+b.n : b.off+b.n]
	}
	m.logits = m.logitsBuf.data
	for i, n := range m.argLen {
		if n > 0 {
			m.args[i] = make([]int32, n)
		}
	}
	for _, bn := range m.bn {
		if bn == nil {
			continue
		}
		c, off := bn.c, bn.paramOff
		v := make([]float32, 4*c)
		bn.st = kernels.BatchNormState{
			Gamma: m.params[off : off+c], Beta: m.params[off+c : off+2*c],
			DGamma: m.grads[off : off+c], DBeta: m.grads[off+c : off+2*c],
			RunMean: v[:c:c], RunVar: v[c : 2*c : 2*c], Mean: v[2*c : 3*c : 3*c], InvStd: v[3*c:],
		}
	}
	for _, l := range m.tf {
		if l != nil && l.statLen > 0 {
			l.stats = make([]float32, l.statLen)
		}
	}
	prefault(m.params, m.grads, m.arena)
}

// prefault writes a zero into every page of each slice (fresh from make,
// so zero already), so that the operating system maps the pages now,
// when the model is built, rather than in the first training step: at
// GPT-2 small's 3 GB, first touches cost that step seconds. It asks for
// huge pages first (hugepage.Advise), which map in one fault what 4 KiB
// pages map in 512.
func prefault(vs ...[]float32) {
	const page = 4096 / 4
	for _, v := range vs {
		hugepage.Advise(v)
		for i := 0; i < len(v); i += page {
			v[i] = 0
		}
	}
}

// supported reports, naming the layer and field, what in net the trainer
// cannot run: kinds other than conv2d, batchnorm, relu, maxpool,
// global-avgpool, add, flatten, dense, embedding, layernorm, linear,
// attention, gelu and a final softmax-ce (over a flat vector, or at every
// position of a sequence model); a dense layer on less than the whole
// sample; an add of a tensor to itself; a batch-norm on a flat tensor or
// with fewer than two values per channel at the batch; an embedding without
// learned positions; attention that is not causal; two layers tied to one
// embedding; a layer other than an embedding reading a sequence model's
// token ids; a layer whose output nothing reads.
func supported(net workload.Network, rs []workload.Resolved, batch int) error {
	read := make([]bool, len(rs))
	seq := false
	for _, r := range rs {
		for _, j := range r.Inputs {
			if j >= 0 {
				read[j] = true
			}
		}
		seq = seq || r.Kind == workload.Embedding
	}
	tiedBy := map[string]string{}
	for i, r := range rs {
		fail := func(field, format string, args ...any) error {
			path := fmt.Sprintf("layers[%d]", i)
			if field != "" {
				path += "." + field
			}
			return &workload.FieldError{Network: net.Name, Field: path, Layer: i, LayerName: r.Name, Kind: r.Kind,
				Msg: "the trainer: " + fmt.Sprintf(format, args...)}
		}
		if seq && r.Kind != workload.Embedding && slices.Contains(r.Inputs, -1) {
			return fail("input", "the network input is token ids, which only an embedding layer reads")
		}
		switch r.Kind {
		case workload.Dense:
			if r.Dense.In != r.In.Len() {
				return fail("", "a dense layer must take the whole sample as input (shape %+v)", *r.Dense)
			}
		case workload.SoftmaxCE:
			if !seq && (r.In.H != 1 || r.In.W != 1) {
				return fail("input", "the loss takes one flat vector of logits per sample, not %v", r.In)
			}
		case workload.Add:
			if r.Inputs[0] == r.Inputs[1] {
				return fail("with", "an add of a tensor to itself is not supported")
			}
		case workload.BatchNorm:
			if j := r.Inputs[0]; j >= 0 && rs[j].Kind == workload.Flatten {
				return fail("input", "batch-norm normalises per channel, but %s is a flatten output with no channels", rs[j].Name)
			}
			if batch*r.In.Positions() < 2 {
				return fail("", "batch-norm needs at least two values per channel; the %v input at batch %d has %d", r.In, batch, batch*r.In.Positions())
			}
		case workload.Embedding:
			if r.Positions == 0 {
				return fail("positions", "0: the trainer's embedding needs a learned position table")
			}
		case workload.Attention:
			if !r.Causal {
				return fail("causal", "false: the trainer's attention is causal (GPT-2's)")
			}
		case workload.Linear:
			if r.Tie != "" {
				if other, dup := tiedBy[r.Tie]; dup {
					return fail("tie", "%s is tied to %s already; the trainer ties one layer to an embedding", other, r.Tie)
				}
				tiedBy[r.Tie] = r.Name
			}
		case workload.Conv2D, workload.ReLU, workload.MaxPool, workload.GlobalAvgPool, workload.Flatten,
			workload.LayerNorm, workload.GELU:
		default:
			return fail("kind", "%s is not supported (it runs conv2d, batchnorm, relu, maxpool, global-avgpool, add, flatten, dense, embedding, layernorm, linear, attention, gelu and softmax-ce)", r.Kind)
		}
		if !read[i] && r.Kind != workload.SoftmaxCE {
			return fail("name", "nothing reads the output of %s: every layer must lead to the loss", r.Name)
		}
	}
	return nil
}

// Batch is the largest minibatch the model takes.
func (m *Model) Batch() int { return m.batch }

// Layers returns the network's layers resolved at Batch().
func (m *Model) Layers() []workload.Resolved { return m.layers }

// Params is the flat parameter vector: each weighted layer's weights (conv
// KRSC, dense [Out][In]) then its bias, in layer order.
func (m *Model) Params() []float32 { return m.params }

// Grads is the gradient of the last Backward, laid out as Params.
func (m *Model) Grads() []float32 { return m.grads }

// SetTiming turns the per-layer, per-pass timers on or off.
func (m *Model) SetTiming(on bool) { m.timing = on }

// Times returns the time accumulated per layer and pass (indexed as Passes)
// while timing was on, and resets the timers.
func (m *Model) Times() [][3]time.Duration {
	out := make([][3]time.Duration, len(m.times))
	copy(out, m.times)
	clear(m.times)
	return out
}

// Init sets Glorot-uniform weights (limit √(6/(fanIn+fanOut)), with the
// receptive field counted in both fans for convolutions, as Keras does) and
// zero biases, drawn from seed; batch-norm layers get γ = 1, β = 0 and
// running statistics mean 0, variance 1 (PyTorch's initial values). The
// transformer kinds start as GPT-2 does (see initTransformer).
func (m *Model) Init(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x494e4954)) // "INIT"
	for i, r := range m.layers {
		if r.Params == 0 {
			continue
		}
		off, nw := m.paramsOf(i)
		if m.initTransformer(i, rng) {
			continue
		}
		if bn := m.bn[i]; bn != nil {
			for j := range bn.st.Gamma {
				bn.st.Gamma[j], bn.st.Beta[j], bn.st.RunMean[j], bn.st.RunVar[j] = 1, 0, 0, 1
			}
			continue
		}
		var fanIn, fanOut int
		switch {
		case r.Conv != nil:
			rf := r.Conv.R * r.Conv.S
			fanIn, fanOut = rf*r.Conv.C, rf*r.Conv.K
		case r.Dense != nil:
			fanIn, fanOut = r.Dense.In, r.Dense.Out
		}
		limit := math.Sqrt(6 / float64(fanIn+fanOut))
		for j := range m.params[off : off+nw] {
			m.params[off+j] = float32((2*rng.Float64() - 1) * limit)
		}
		clear(m.params[off+nw : off+r.Params])
	}
}

// Input returns the input buffer for n samples and their labels, to fill
// before Forward. A sequence model (one that reads token ids) has no float
// input: x is nil, and Tokens gives its input.
func (m *Model) Input(n int) (x []float32, labels []int32) {
	if m.seq {
		return nil, m.labels[:n*m.rows]
	}
	return m.x[:n*m.sample], m.labels[:n]
}

// Tokens returns a sequence model's input for n sequences, token ids
// [n][T], and its labels, the token to predict at each position [n][T]
// (nil, nil for a model that does not read token ids).
func (m *Model) Tokens(n int) (ids, labels []int32) {
	if !m.seq {
		return nil, nil
	}
	return m.tokens[:n*m.sample], m.labels[:n*m.rows]
}

// Forward runs the forward pass and the loss on the first n samples of the
// input buffer and returns the mean loss; the loss gradient is ready for
// Backward.
func (m *Model) Forward(n int) float32 {
	m.check(n)
	if n < m.minBatch {
		panic(fmt.Sprintf("nn: minibatch of %d samples: the network's batch-norm layers need at least %d to train", n, m.minBatch))
	}
	m.bf16.gen++ // the weights may have changed since the last forward pass
	m.runAll(m.fwd, n)
	m.run(m.lossTask, n)
	return m.loss
}

// forwardInference runs the forward pass in inference mode (batch-norm
// with its running statistics) and the loss on the first n samples.
func (m *Model) forwardInference(n int) float32 {
	m.check(n)
	m.bf16.gen++
	m.runAll(m.infer, n)
	m.run(m.lossTask, n)
	return m.loss
}

// Backward computes Grads from the last Forward of n samples.
func (m *Model) Backward(n int) {
	m.check(n)
	m.runAll(m.bwd, n)
}

func (m *Model) check(n int) {
	if n < 1 || n > m.batch {
		panic(fmt.Sprintf("nn: minibatch of %d samples, model built for 1..%d", n, m.batch))
	}
}

func (m *Model) runAll(ts []task, n int) {
	for _, t := range ts {
		m.run(t, n)
	}
}

func (m *Model) run(t task, n int) {
	if !m.timing {
		t.run(n)
		return
	}
	t0 := time.Now()
	t.run(n)
	m.times[t.layer][t.pass] += time.Since(t0)
}

// Evaluate returns the accuracy and mean loss of the model on set, in
// minibatches of Batch(), with batch-norm in inference mode. For a sequence
// model both are per predicted token.
func (m *Model) Evaluate(set Set) (accuracy, loss float64) {
	total := set.Len()
	if total == 0 {
		return 0, 0
	}
	correct := 0
	for lo := 0; lo < total; lo += m.batch {
		n := min(m.batch, total-lo)
		set.fill(m, lo, n)
		_, labels := m.Input(n)
		loss += float64(m.forwardInference(n)) * float64(n)
		for i, l := range labels {
			row := m.logits[i*m.classes : (i+1)*m.classes]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			if int32(best) == l {
				correct++
			}
		}
	}
	return float64(correct) / float64(total*m.rows), loss / float64(total)
}
