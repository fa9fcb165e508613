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
}

// span is a range [lo, hi) of the parameter vector and whether weight decay
// applies to it.
type span struct {
	lo, hi int
	decay  bool
}

func newOptimizer(o workload.Optimizer, n int) (*optimizer, error) {
	switch o.Name {
	case "adam", "":
		if o.Decay != 0 {
			return nil, fmt.Errorf("optimizer adam: weight_decay %v: the trainer's Adam has none (adamw is not supported)", o.Decay)
		}
		h := kernels.DefaultAdam()
		if o.LR != 0 {
			h.LR = float32(o.LR)
		}
		if o.Beta1 != 0 {
			h.Beta1 = float32(o.Beta1)
		}
		if o.Beta2 != 0 {
			h.Beta2 = float32(o.Beta2)
		}
		if o.Epsilon != 0 {
			h.Eps = float32(o.Epsilon)
		}
		return &optimizer{name: "adam", adam: h, m: make([]float32, n), v: make([]float32, n)}, nil
	case "sgd":
		if o.LR <= 0 {
			return nil, fmt.Errorf("optimizer sgd: lr %v must be positive", o.LR)
		}
		return &optimizer{name: "sgd", sgd: true, lr: float32(o.LR), mom: float32(o.Momentum), decay: float32(o.Decay),
			m: make([]float32, n)}, nil
	}
	return nil, fmt.Errorf("optimizer %q: unknown (valid: adam, sgd)", o.Name)
}

// newModelOptimizer is newOptimizer for m's parameters: weight decay, if
// any, applies to the weights of convolutions and dense layers only, not
// to biases or batch-norm scales and shifts (as in the ResNet recipe).
func newModelOptimizer(o workload.Optimizer, m *Model) (*optimizer, error) {
	opt, err := newOptimizer(o, len(m.params))
	if err != nil {
		return nil, err
	}
	if opt.decay != 0 {
		opt.spans = m.decaySpans()
	}
	return opt, nil
}

// decaySpans splits the parameter vector into maximal ranges that are all
// conv2d or dense weights (decayed) or all biases, γ and β (not).
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
		w := r.Kind == workload.Conv2D || r.Kind == workload.Dense
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
