package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

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
// allocates nothing.
type Model struct {
	ctx     *kernels.Context
	net     workload.Network
	layers  []workload.Resolved // shapes at the full batch
	batch   int
	sample  int // input values per sample
	classes int

	params, grads []float32 // every layer's weights then bias, one after the other
	x             []float32 // the input minibatch
	labels        []int32
	logits        []float32
	loss          float32

	fwd, bwd []task // kernel calls in execution order
	lossTask task

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
	m := &Model{ctx: ctx, net: net, layers: rs, batch: batch, sample: net.Input.Len(),
		classes: last.In.Len(), times: make([][3]time.Duration, len(rs))}
	total := 0
	for _, r := range rs {
		total += r.Params
	}
	m.params = make([]float32, total)
	m.grads = make([]float32, total)
	m.x = make([]float32, batch*m.sample)
	m.labels = make([]int32, batch)
	off := 0
	cur := m.x         // the current layer's input
	var dcur []float32 // its gradient; nil while no layer before has weights
	bwd := make([][]task, len(rs))
	for i, r := range rs {
		in, din := cur, dcur
		inLen, outLen := r.In.Len(), r.Out.Len()
		var w, b, dw, db []float32
		if r.Params > 0 {
			nw := r.Params - r.Out.C
			w, b = m.params[off:off+nw], m.params[off+nw:off+r.Params]
			dw, db = m.grads[off:off+nw], m.grads[off+nw:off+r.Params]
			off += r.Params
		}
		fusedReLU := r.Params > 0 && i+1 < len(rs) && rs[i+1].Kind == workload.ReLU
		switch r.Kind {
		case workload.Conv2D:
			s := *r.Conv
			fwd := ctx.Conv2DForward
			if fusedReLU {
				fwd = ctx.Conv2DForwardReLU
			}
			cur, dcur = planWeighted(m, bwd, i, batch, weightedBufs{in, din, w, b, dw, db, inLen, outLen},
				func(n int) shape.Conv2D { sn := s; sn.N = n; return sn },
				fwd, ctx.Conv2DBackwardWeights, ctx.Conv2DBackwardData)
		case workload.Dense:
			s := *r.Dense
			fwd := ctx.DenseForward
			if fusedReLU {
				fwd = ctx.DenseForwardReLU
			}
			cur, dcur = planWeighted(m, bwd, i, batch, weightedBufs{in, din, w, b, dw, db, inLen, outLen},
				func(n int) shape.Dense { sn := s; sn.Batch = n; return sn },
				fwd, ctx.DenseBackwardWeights, ctx.DenseBackwardData)
		case workload.ReLU:
			prevFused := i > 0 && rs[i-1].Params > 0
			if prevFused {
				// The conv or dense layer before applied it; the gradient is
				// masked in place, on the pooled tensor if a max-pool
				// follows (the pool's backward does it), else here.
				nextPool := i+1 < len(rs) && rs[i+1].Kind == workload.MaxPool
				if din != nil && !nextPool {
					bwd[i] = append(bwd[i], task{i, dataPass, func(n int) {
						ctx.ReLUBackward(in[:n*inLen], din[:n*inLen], din[:n*inLen])
					}})
				}
				break // cur, dcur stay: the ReLU works in place
			}
			y := make([]float32, batch*outLen)
			var dy []float32
			m.fwd = append(m.fwd, task{i, fwdPass, func(n int) { ctx.ReLUForward(in[:n*inLen], y[:n*outLen]) }})
			if din != nil {
				dy = make([]float32, batch*outLen)
				bwd[i] = append(bwd[i], task{i, dataPass, func(n int) {
					ctx.ReLUBackward(y[:n*outLen], dy[:n*outLen], din[:n*inLen])
				}})
			}
			cur, dcur = y, dy
		case workload.MaxPool:
			y := make([]float32, batch*outLen)
			arg := make([]int32, batch*outLen)
			var dy []float32
			s := *r.Pool
			m.fwd = append(m.fwd, task{i, fwdPass, func(n int) {
				sn := s
				sn.N = n
				ctx.MaxPoolForward(sn, in[:n*inLen], y[:n*outLen], arg[:n*outLen])
			}})
			if din != nil {
				dy = make([]float32, batch*outLen)
				// A ReLU fused into the layer before the pool has its
				// gradient taken here, on the pooled tensor: pooling
				// commutes with ReLU and routes each gradient to its
				// window's maximum, which is positive exactly when the
				// pooled output is.
				if i >= 2 && rs[i-1].Kind == workload.ReLU && rs[i-2].Params > 0 {
					bwd[i] = append(bwd[i], task{i - 1, dataPass, func(n int) {
						ctx.ReLUBackward(y[:n*outLen], dy[:n*outLen], dy[:n*outLen])
					}})
				}
				bwd[i] = append(bwd[i], task{i, dataPass, func(n int) {
					sn := s
					sn.N = n
					ctx.MaxPoolBackward(sn, dy[:n*outLen], arg[:n*outLen], din[:n*inLen])
				}})
			}
			cur, dcur = y, dy
		case workload.Flatten:
			// NHWC is already flat per sample.
		case workload.SoftmaxCE:
			classes := inLen
			dl := din
			if dl == nil {
				dl = make([]float32, batch*inLen)
			}
			m.logits = in
			m.lossTask = task{i, fwdPass, func(n int) {
				m.loss = ctx.SoftmaxCrossEntropy(n, classes, in[:n*classes], m.labels[:n], dl[:n*classes])
			}}
		}
		if r.Params > 0 && dcur == nil {
			panic("nn: internal error: weighted layer without output gradient")
		}
	}
	for i := len(bwd) - 1; i >= 0; i-- {
		m.bwd = append(m.bwd, bwd[i]...)
	}
	return m, nil
}

// supported reports, naming the layer, what in net the trainer cannot run:
// kinds other than conv2d, maxpool, relu, flatten, dense and a final
// softmax-ce over a flat vector, layers without bias, padded pooling.
func supported(net workload.Network, rs []workload.Resolved, batch int) error {
	for _, r := range rs {
		where := fmt.Sprintf("nn: network %s: layer %d (%s, %s)", net.Name, r.Index, r.Name, r.Kind)
		switch r.Kind {
		case workload.Conv2D:
			if r.Params != r.Conv.WeightLen()+r.Conv.K {
				return fmt.Errorf("%s: the trainer needs a bias (%d parameters, want %d weights + %d biases)", where, r.Params, r.Conv.WeightLen(), r.Conv.K)
			}
		case workload.Dense:
			if r.Params != r.Dense.In*r.Dense.Out+r.Dense.Out || r.Dense.In != r.In.Len() {
				return fmt.Errorf("%s: the trainer needs a bias and the whole sample as input (%d parameters, shape %+v)", where, r.Params, *r.Dense)
			}
		case workload.MaxPool:
			if r.Pool.InputLen() != batch*r.In.Len() {
				return fmt.Errorf("%s: padded pooling is not supported by the trainer", where)
			}
		case workload.SoftmaxCE:
			if r.In.H != 1 || r.In.W != 1 {
				return fmt.Errorf("%s: the trainer's loss takes one flat vector of logits per sample, not %v", where, r.In)
			}
		case workload.ReLU, workload.Flatten:
		default:
			return fmt.Errorf("%s: not supported by the trainer (it runs conv2d, maxpool, relu, flatten, dense and softmax-ce)", where)
		}
	}
	return nil
}

// weightedBufs are the slices a conv2d or dense layer works on: its input
// and input gradient (nil when no gradient is needed), its parameters and
// their gradients, and the per-sample input and output lengths.
type weightedBufs struct {
	in, din, w, b, dw, db []float32
	inLen, outLen         int
}

// planWeighted plans a conv2d or dense layer i, whose kernels share one
// signature pattern; shape gives its shape for n samples. It appends the
// forward task and the backward tasks (weights, then data if din is not
// nil) and returns the layer's output and output-gradient buffers.
func planWeighted[S any](m *Model, bwd [][]task, i, batch int, l weightedBufs, shape func(n int) S,
	fwd func(s S, x, w, b, y []float32), bwdWeights func(s S, x, dy, dw, db []float32), bwdData func(s S, dy, w, dx []float32)) (y, dy []float32) {
	y, dy = make([]float32, batch*l.outLen), make([]float32, batch*l.outLen)
	m.fwd = append(m.fwd, task{i, fwdPass, func(n int) {
		fwd(shape(n), l.in[:n*l.inLen], l.w, l.b, y[:n*l.outLen])
	}})
	bwd[i] = append(bwd[i], task{i, weightsPass, func(n int) {
		bwdWeights(shape(n), l.in[:n*l.inLen], dy[:n*l.outLen], l.dw, l.db)
	}})
	if l.din != nil {
		bwd[i] = append(bwd[i], task{i, dataPass, func(n int) {
			bwdData(shape(n), dy[:n*l.outLen], l.w, l.din[:n*l.inLen])
		}})
	}
	return y, dy
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
// zero biases, drawn from seed.
func (m *Model) Init(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x494e4954)) // "INIT"
	off := 0
	for _, r := range m.layers {
		if r.Params == 0 {
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
		nw := r.Params - r.Out.C
		for j := range m.params[off : off+nw] {
			m.params[off+j] = float32((2*rng.Float64() - 1) * limit)
		}
		clear(m.params[off+nw : off+r.Params])
		off += r.Params
	}
}

// Input returns the input buffer for n samples, to fill before Forward.
func (m *Model) Input(n int) (x []float32, labels []int32) {
	return m.x[:n*m.sample], m.labels[:n]
}

// Forward runs the forward pass and the loss on the first n samples of the
// input buffer and returns the mean loss; the loss gradient is ready for
// Backward.
func (m *Model) Forward(n int) float32 {
	m.check(n)
	m.runAll(m.fwd, n)
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
// minibatches of Batch().
func (m *Model) Evaluate(set Set) (accuracy, loss float64) {
	total := set.Len()
	if total == 0 {
		return 0, 0
	}
	correct := 0
	for lo := 0; lo < total; lo += m.batch {
		n := min(m.batch, total-lo)
		x, labels := m.Input(n)
		copy(x, set.Inputs[lo*m.sample:(lo+n)*m.sample])
		copy(labels, set.Labels[lo:lo+n])
		loss += float64(m.Forward(n)) * float64(n)
		for i := range n {
			row := m.logits[i*m.classes : (i+1)*m.classes]
			best := 0
			for c, v := range row {
				if v > row[best] {
					best = c
				}
			}
			if int32(best) == labels[i] {
				correct++
			}
		}
	}
	return float64(correct) / float64(total), loss / float64(total)
}
