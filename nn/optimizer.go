package nn

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// optimizer is the update rule with its state.
type optimizer struct {
	name  string
	adam  kernels.AdamParams
	sgd   bool
	lr    float32
	mom   float32
	decay float32 // sgd: L2 weight decay of the spans marked so
	spans []span  // sgd with decay: the parameter ranges, each decayed or not (nil: all decayed)
	m, v  []float32
	t     int

	adamw  bool
	adamwH kernels.AdamWParams
	slices []kernels.AdamWSlice // adamw: the parameter ranges, each decayed or not (bound to the model's vectors)
	clip   [][]float32          // adamw: the gradients whose global norm is clipped
	// Norm is the global gradient norm of the last adamw step, before
	// clipping.
	norm float64
	// baseLR is the rule's learning rate as configured, which setLR
	// scales (0 until the first call).
	baseLR float32
}

// setLR sets the learning rate of the next steps to the configured rate
// times f (a schedule's factor).
func (o *optimizer) setLR(f float64) {
	lr := &o.lr
	switch {
	case o.adamw:
		lr = &o.adamwH.LR
	case !o.sgd:
		lr = &o.adam.LR
	}
	if o.baseLR == 0 {
		o.baseLR = *lr
	}
	*lr = float32(float64(o.baseLR) * f)
}

// ClipNorm is the global gradient norm AdamW training clips to, as GPT-2
// recipes (nanoGPT, llm.c) do.
const ClipNorm = 1.0

// span is a range [lo, hi) of the parameter vector and whether weight decay
// applies to it.
type span struct {
	lo, hi int
	decay  bool
}

// adamOverrides sets the Adam(W) hyperparameters the workload gives (a
// zero field keeps the kernels' default).
func adamOverrides(o workload.Optimizer, lr, beta1, beta2, eps *float32) {
	for _, f := range []struct {
		v   float64
		dst *float32
	}{{o.LR, lr}, {o.Beta1, beta1}, {o.Beta2, beta2}, {o.Epsilon, eps}} {
		if f.v != 0 {
			*f.dst = float32(f.v)
		}
	}
}

func newOptimizer(o workload.Optimizer, n int) (*optimizer, error) {
	switch o.Name {
	case "adam", "":
		if o.Decay != 0 {
			return nil, fmt.Errorf("optimizer adam: weight_decay %v: the trainer's Adam has none (adamw is not supported)", o.Decay)
		}
		h := kernels.DefaultAdam()
		adamOverrides(o, &h.LR, &h.Beta1, &h.Beta2, &h.Eps)
		return &optimizer{name: "adam", adam: h, m: make([]float32, n), v: make([]float32, n)}, nil
	case "adamw":
		h := kernels.DefaultAdamW()
		h.WeightDecay = float32(o.Decay)
		adamOverrides(o, &h.LR, &h.Beta1, &h.Beta2, &h.Eps)
		return &optimizer{name: "adamw", adamw: true, adamwH: h, m: make([]float32, n), v: make([]float32, n)}, nil
	case "sgd":
		if o.LR <= 0 {
			return nil, fmt.Errorf("optimizer sgd: lr %v must be positive", o.LR)
		}
		return &optimizer{name: "sgd", sgd: true, lr: float32(o.LR), mom: float32(o.Momentum), decay: float32(o.Decay),
			m: make([]float32, n)}, nil
	}
	return nil, fmt.Errorf("optimizer %q: unknown (valid: adam, adamw, sgd)", o.Name)
}

// newModelOptimizer is newOptimizer for m's parameters: weight decay, if
// any, applies to the 2-D weights only: those of convolutions, dense and
// linear layers and both embedding tables, not to biases or batch-norm and
// layer-norm scales and shifts (as in the ResNet recipe, and as nanoGPT and
// llm.c train GPT-2: every tensor of two or more dimensions is decayed,
// which takes in the token and position tables). AdamW clips the gradients
// to a global norm of ClipNorm before each update.
func newModelOptimizer(o workload.Optimizer, m *Model) (*optimizer, error) {
	opt, err := newOptimizer(o, len(m.params))
	if err != nil {
		return nil, err
	}
	if opt.decay != 0 {
		opt.spans = m.decaySpans()
	}
	prefault(opt.m, opt.v)
	if opt.adamw {
		for _, s := range m.decaySpans() {
			opt.slices = append(opt.slices, kernels.AdamWSlice{P: m.params[s.lo:s.hi], G: m.grads[s.lo:s.hi],
				M: opt.m[s.lo:s.hi], V: opt.v[s.lo:s.hi], Decay: s.decay})
		}
		opt.clip = [][]float32{m.grads}
	}
	return opt, nil
}

// decaySpans splits the parameter vector into maximal ranges that are all
// 2-D weights (conv2d, dense, untied linear, embedding: decayed) or all
// biases, γ and β (not).
func (m *Model) decaySpans() []span {
	var ss []span
	add := func(lo, hi int, decay bool) {
		if lo == hi {
			return
		}
		if k := len(ss) - 1; k >= 0 && ss[k].decay == decay && ss[k].hi == lo {
			ss[k].hi = hi
			return
		}
		ss = append(ss, span{lo, hi, decay})
	}
	for i, r := range m.layers {
		off, nw := m.paramsOf(i)
		w := r.Kind == workload.Conv2D || r.Kind == workload.Dense || r.Kind == workload.Linear || r.Kind == workload.Embedding
		if !w {
			nw = 0
		}
		add(off, off+nw, true)
		add(off+nw, off+r.Params, false)
	}
	return ss
}

func (o *optimizer) step(ctx *kernels.Context, p, g []float32) {
	o.t++
	switch {
	case o.adamw:
		if o.slices == nil { // built by newOptimizer alone: one decayed range
			o.slices = []kernels.AdamWSlice{{P: p, G: g, M: o.m, V: o.v, Decay: true}}
			o.clip = [][]float32{g}
		}
		o.norm = ctx.ClipGradNorm(o.clip, ClipNorm)
		ctx.AdamW(o.slices, o.adamwH, o.t)
	case !o.sgd:
		ctx.Adam(p, g, o.m, o.v, o.adam, o.t)
	case o.decay == 0:
		ctx.SGDMomentum(p, g, o.m, o.lr, o.mom)
	case o.spans == nil:
		ctx.SGDMomentumDecay(p, g, o.m, o.lr, o.mom, o.decay)
	default:
		for _, s := range o.spans {
			if s.decay {
				ctx.SGDMomentumDecay(p[s.lo:s.hi], g[s.lo:s.hi], o.m[s.lo:s.hi], o.lr, o.mom, o.decay)
			} else {
				ctx.SGDMomentum(p[s.lo:s.hi], g[s.lo:s.hi], o.m[s.lo:s.hi], o.lr, o.mom)
			}
		}
	}
}

// stateFloats is the optimizer's state per parameter, as newOptimizer
// allocates it.
func stateFloats(o workload.Optimizer) int {
	if o.Name == "sgd" {
		return 1
	}
	return 2
}
