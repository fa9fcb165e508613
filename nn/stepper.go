package nn

import (
	"math/rand/v2"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// Stepper runs whole training steps — forward, loss, backward and the
// optimizer update, exactly as Train runs them — on one fixed synthetic
// minibatch, for benchmarks that time a step (bench's TrainStep family).
// The learning rate stays the optimizer's LR: a schedule changes no step's
// work.
// The cost model predicts an epoch from such a step as well as from the sum
// of the kernels measured alone, which misses what happens between kernels
// (caches holding another layer's data, threads handing data over).
type Stepper struct {
	ctx   *kernels.Context
	m     *Model
	opt   *optimizer
	batch int
}

// NewStepper builds net on ctx at the given batch size with seeded weights
// and a minibatch of seeded inputs in [0, 1) and labels cycling through the
// classes (for a network that reads token ids: seeded ids, each labelled
// with the next).
func NewStepper(ctx *kernels.Context, net workload.Network, batch int, seed uint64) (*Stepper, error) {
	m, err := NewModel(ctx, net, batch)
	if err != nil {
		return nil, err
	}
	opt, err := newModelOptimizer(net.Optimizer, m)
	if err != nil {
		return nil, err
	}
	m.Init(seed)
	rng := rand.New(rand.NewPCG(seed, 0x53544550)) // "STEP"
	if ids, labels := m.Tokens(batch); ids != nil {
		// Token ids uniform over the smaller of the vocabulary and the
		// classes, each labelled with the next one.
		v := m.classes
		for _, r := range m.layers {
			if r.Kind == workload.Embedding {
				v = min(v, r.Vocab)
			}
		}
		for i := range ids {
			ids[i] = int32(rng.IntN(v))
		}
		for i := range labels {
			labels[i] = ids[(i+1)%len(ids)]
		}
		return &Stepper{ctx: ctx, m: m, opt: opt, batch: batch}, nil
	}
	x, labels := m.Input(batch)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range labels {
		labels[i] = int32(i % m.classes)
	}
	return &Stepper{ctx: ctx, m: m, opt: opt, batch: batch}, nil
}

// Step runs one training step on the minibatch and returns its loss.
func (s *Stepper) Step() float32 {
	loss := s.m.Forward(s.batch)
	s.m.Backward(s.batch)
	s.opt.step(s.ctx, s.m.params, s.m.grads)
	return loss
}

// FLOPs is the work of one step by the kernels' formulas (conv2d, dense and
// max-pool passes), as Train counts it.
func (s *Stepper) FLOPs() float64 { return s.m.stepFLOPs(s.batch) }
