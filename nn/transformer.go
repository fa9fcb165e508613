package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// The transformer kinds: embedding (the network input is token ids,
// Model.tokens), layernorm, linear (a dense layer at every position, its
// weights optionally the table of an earlier embedding: Tie), causal
// attention on the packed Q, K, V, gelu, and the per-position loss. Each
// runs as one kernel call a pass; none is fused with another: the one
// fusion on offer, GELU into the linear before it, needs a GEMM epilogue the
// kernels do not have, and GELU's backward needs its input, so the linear's
// output would be stored anyway.
//
// A tied linear (GPT-2's output layer, logits = h·Wteᵀ) reads the
// embedding's token table as its [Vocab][D] weights and writes their
// gradient there in its backward-weights pass (overwriting); the
// embedding's backward, which runs after it (the embedding comes first in
// the forward pass), adds its own into the same rows. An untied
// embedding's gradient tables are cleared first, as its kernel adds.

// tfLayer is a transformer layer's planning facts and kernel state.
type tfLayer struct {
	// stats: a layer-norm's saved means (Rows) then inverse deviations
	// (Rows), or an attention's log-sum-exps [Batch][Heads][T], at the
	// full batch; statLen elements, allocated with the model.
	statLen int
	stats   []float32
	tied    bool // an embedding whose token table a linear layer also uses
	wOff    int  // a linear layer's weights in the flat vector: its own, or the tied embedding's table
	bOff    int  // a linear layer's bias, if any
}

// seqNet reports whether net reads token ids: it has an embedding layer.
func seqNet(net workload.Network) bool {
	for _, l := range net.Layers {
		if l.Kind == workload.Embedding {
			return true
		}
	}
	return false
}

// checkTokens reports the first token id of a set that an embedding of net,
// or its loss over classes, cannot take: below 0, or at least the
// vocabulary (the message names the layer).
func checkTokens(name string, net workload.Network, tokens []int32, classes int) error {
	if len(tokens) == 0 {
		return nil
	}
	lo, hi, at := tokens[0], tokens[0], 0
	for i, t := range tokens {
		lo = min(lo, t)
		if t > hi {
			hi, at = t, i
		}
	}
	if lo < 0 {
		return fmt.Errorf("nn: %s set: a negative token id (%d)", name, lo)
	}
	for _, l := range net.Layers {
		if l.Kind == workload.Embedding && int(hi) >= l.Vocab {
			return fmt.Errorf("nn: %s set: token id %d (at %d) is outside the %d-token vocabulary of embedding %s", name, hi, at, l.Vocab, l.Name)
		}
	}
	if int(hi) >= classes {
		return fmt.Errorf("nn: %s set: token id %d (at %d) is outside the %d classes of the loss", name, hi, at, classes)
	}
	return nil
}

// planTransformerLayer records layer o.layer's facts (after every op's
// tensors exist): the statistics it saves, where a linear layer's weights
// live, which embedding is tied.
func (m *Model) planTransformerLayer(o *op) {
	i := o.layer
	r := m.layers[i]
	l := &tfLayer{}
	switch r.Kind {
	case workload.LayerNorm:
		l.statLen = 2 * m.batch * r.In.Positions()
	case workload.Attention:
		l.statLen = m.batch * r.Attention.Heads * r.Attention.T
	case workload.Linear:
		l.wOff, l.bOff = m.paramOff[i], m.paramOff[i]+m.weights[i]
		if r.Tie != "" {
			e := m.layerIndex(r.Tie)
			l.wOff = m.paramOff[e]
			if m.tf[e] == nil {
				m.tf[e] = &tfLayer{}
			}
			m.tf[e].tied = true
		}
	case workload.Embedding:
		if m.tf[i] != nil { // made by the tied linear (which comes later, but is planned later too)
			return
		}
	default:
		return
	}
	m.tf[i] = l
}

// layerIndex is the index of the layer named name (which Resolve checked
// exists).
func (m *Model) layerIndex(name string) int {
	for i, r := range m.layers {
		if r.Name == name {
			return i
		}
	}
	panic("nn: internal error: no layer " + name)
}

// linearShape is linear layer r's GEMM shape for n samples: every position
// a row.
func linearShape(r workload.Resolved, n int) shape.Dense {
	s := *r.Dense
	s.Batch = n * r.In.Positions()
	return s
}

// planTransformerForward appends the forward task of transformer op o at
// time t through add (which plans it for training and inference alike);
// false if o is not of a transformer kind.
func (m *Model) planTransformerForward(o *op, add func(func(n int))) bool {
	ctx := m.ctx
	i := o.layer
	r := m.layers[i]
	x, y := o.in[0], o.out.act
	inLen, outLen := x.per, o.out.per
	switch r.Kind {
	case workload.Embedding:
		s := shape.Embedding{T: r.In.Positions(), Vocab: r.Vocab, D: r.Units, Positions: r.Positions}
		off, T := m.paramOff[i], s.T
		nt, np := r.Vocab*r.Units, r.Positions*r.Units
		add(func(n int) {
			sn := s
			sn.Batch = n
			ctx.EmbeddingForward(sn, m.tokens[:n*T], m.params[off:off+nt], m.params[off+nt:off+nt+np], sl(y, n, outLen))
		})
	case workload.LayerNorm:
		l, off, C, P := m.tf[i], m.paramOff[i], r.In.C, r.In.Positions()
		rows := m.batch * P
		add(func(n int) {
			s := kernels.LayerNormShape{Rows: n * P, D: C}
			ctx.LayerNormForward(s, sl(x.act, n, inLen), m.params[off:off+C], m.params[off+C:off+2*C], sl(y, n, outLen),
				l.stats[:n*P], l.stats[rows:rows+n*P])
		})
	case workload.Linear:
		l := m.tf[i]
		nw, nb := r.Dense.In*r.Dense.Out, r.Params-m.weights[i]
		fwd := m.kernels().denseFwd // bound once: a method value made per call allocates
		add(func(n int) {
			fwd(linearShape(r, n), sl(x.act, n, inLen), m.params[l.wOff:l.wOff+nw], biasOf(m.params, l.bOff, nb), sl(y, n, outLen))
		})
	case workload.Attention:
		l, a := m.tf[i], *r.Attention
		per := a.Heads * a.T
		add(func(n int) {
			s := kernels.AttentionShape{Batch: n, T: a.T, Heads: a.Heads, HeadDim: a.HeadDim}
			ctx.AttentionForward(s, sl(x.act, n, inLen), sl(y, n, outLen), l.stats[:n*per])
		})
	case workload.GELU:
		add(func(n int) { ctx.GELUForward(sl(x.act, n, inLen), sl(y, n, outLen)) })
	default:
		return false
	}
	return true
}

// gradInPlace returns where a backward kernel whose input gradient may
// alias its output gradient dy writes x's gradient at time t: x's gradient
// buffer if this is its first contribution, else dy itself (read by no one
// after this op), whose contents the op then adds to x's gradient (acc). A
// tensor that needs no gradient gets nil.
func (m *Model) gradInPlace(x *tensor, dy *fbuf, t int) (dst *fbuf, acc bool) {
	if x.grad == nil {
		return nil, false
	}
	x.grad.use(t)
	if !x.started {
		x.started = true
		return x.grad, false
	}
	return dy, true
}

// planTransformerBackward returns transformer op o's backward tasks at time
// t.
func (m *Model) planTransformerBackward(o *op, t int) []task {
	ctx := m.ctx
	i := o.layer
	r := m.layers[i]
	x := o.in[0]
	y, dy := o.out.act, o.out.grad
	inLen, outLen := x.per, o.out.per
	switch r.Kind {
	case workload.Embedding:
		s := shape.Embedding{T: r.In.Positions(), Vocab: r.Vocab, D: r.Units, Positions: r.Positions}
		off, T, tied := m.paramOff[i], s.T, m.tf[i] != nil && m.tf[i].tied
		nt, np := r.Vocab*r.Units, r.Positions*r.Units
		return []task{{i, weightsPass, func(n int) {
			sn := s
			sn.Batch = n
			dwte, dwpe := m.grads[off:off+nt], m.grads[off+nt:off+nt+np]
			if !tied {
				clear(dwte)
			}
			clear(dwpe)
			ctx.EmbeddingBackward(sn, m.tokens[:n*T], sl(dy, n, outLen), dwte, dwpe)
		}}}
	case workload.LayerNorm:
		// One kernel computes dx, dγ and dβ: it counts as backward-data,
		// with the FLOPs of the whole backward (as batch-norm).
		l, off, C, P := m.tf[i], m.paramOff[i], r.In.C, r.In.Positions()
		rows := m.batch * P
		x.act.use(t)
		dx, acc := m.gradInPlace(x, dy, t)
		if dx == nil {
			dx = dy
		}
		return []task{{i, dataPass, func(n int) {
			s := kernels.LayerNormShape{Rows: n * P, D: C}
			ctx.LayerNormBackward(s, sl(x.act, n, inLen), m.params[off:off+C], l.stats[:n*P], l.stats[rows:rows+n*P],
				kernels.LayerNormGrads{DY: sl(dy, n, outLen), DX: sl(dx, n, inLen), DGamma: m.grads[off : off+C], DBeta: m.grads[off+C : off+2*C]})
			if acc {
				ctx.AddForward(sl(x.grad, n, inLen), sl(dx, n, inLen), sl(x.grad, n, inLen))
			}
		}}}
	case workload.Linear:
		l := m.tf[i]
		nw, nb := r.Dense.In*r.Dense.Out, r.Params-m.weights[i]
		x.act.use(t)
		k := m.kernels() // bound once: a method value made per call allocates
		ts := []task{{i, weightsPass, func(n int) {
			k.denseBwdWeights(linearShape(r, n), sl(x.act, n, inLen), sl(dy, n, outLen), m.grads[l.wOff:l.wOff+nw], biasOf(m.grads, l.bOff, nb))
		}}}
		if dx, acc := m.gradTarget(x, t); dx != nil {
			ts = append(ts, task{i, dataPass, func(n int) {
				k.denseBwdData(linearShape(r, n), sl(dy, n, outLen), m.params[l.wOff:l.wOff+nw], sl(dx, n, inLen))
				m.accumulate(acc, dx, x, n)
			}})
		}
		return ts
	case workload.Attention:
		dx, acc := m.gradTarget(x, t)
		if dx == nil {
			return nil
		}
		l, a := m.tf[i], *r.Attention
		per := a.Heads * a.T
		x.act.use(t)
		y.use(t)
		return []task{{i, dataPass, func(n int) {
			s := kernels.AttentionShape{Batch: n, T: a.T, Heads: a.Heads, HeadDim: a.HeadDim}
			ctx.AttentionBackward(s, sl(x.act, n, inLen), sl(y, n, outLen), l.stats[:n*per], sl(dy, n, outLen), sl(dx, n, inLen))
			m.accumulate(acc, dx, x, n)
		}}}
	case workload.GELU:
		dx, acc := m.gradInPlace(x, dy, t)
		if dx == nil {
			return nil
		}
		x.act.use(t)
		return []task{{i, dataPass, func(n int) {
			ctx.GELUBackward(sl(x.act, n, inLen), sl(dy, n, outLen), sl(dx, n, inLen))
			if acc {
				ctx.AddForward(sl(x.grad, n, inLen), sl(dx, n, inLen), sl(x.grad, n, inLen))
			}
		}}}
	}
	panic(fmt.Sprintf("nn: internal error: no backward plan for %s", r.Kind))
}

// transformerFLOPs is the work of transformer layer i's pass p on n
// samples by the kernels' shapes' formulas (false for other kinds).
// A layer-norm's backward runs as one kernel, counted as backward-data
// with the whole backward's FLOPs.
func (m *Model) transformerFLOPs(i, p, n int) (float64, bool) {
	r := m.layers[i]
	switch r.Kind {
	case workload.Linear:
		return linearShape(r, n).FLOPs(Passes[p]), true
	case workload.Embedding:
		s := shape.Embedding{Batch: n, T: r.In.Positions(), Vocab: r.Vocab, D: r.Units, Positions: r.Positions}
		if p == fwdPass {
			return s.FLOPs(shape.Forward), true
		}
		return s.FLOPs(shape.Backward), true
	case workload.LayerNorm:
		s := shape.LayerNorm{Rows: n * r.In.Positions(), D: r.In.C}
		if p == fwdPass {
			return s.FLOPs(shape.Forward), true
		}
		return s.FLOPs(shape.Backward), true
	case workload.Attention:
		a := *r.Attention
		s := shape.Attention{Batch: n, T: a.T, Heads: a.Heads, HeadDim: a.HeadDim}
		return s.FLOPs(Passes[p]), true
	case workload.GELU:
		if p == fwdPass {
			return shape.OpGELU.FLOPs(n * r.Out.Len()), true
		}
		return shape.OpGELUBwd.FLOPs(n * r.Out.Len()), true
	}
	return 0, false
}

// initTransformer initialises layer i's parameters as GPT-2 does (and
// reports false for other kinds): embedding tables and linear weights
// N(0, 0.02²), except a linear layer whose output only a residual add reads
// (a projection back into the residual stream), N(0, (0.02/√adds)²) with
// adds the number of add layers (2 per block: GPT-2's 1/√(2·layers));
// biases 0; layer-norm γ = 1, β = 0.
func (m *Model) initTransformer(i int, rng *rand.Rand) bool {
	r := m.layers[i]
	off := m.paramOff[i]
	p := m.params[off : off+r.Params]
	normal := func(v []float32, std float64) {
		for j := range v {
			v[j] = float32(rng.NormFloat64() * std)
		}
	}
	switch r.Kind {
	case workload.Embedding:
		normal(p, 0.02)
	case workload.LayerNorm:
		for j := range r.In.C {
			p[j], p[r.In.C+j] = 1, 0
		}
	case workload.Linear:
		nw := m.weights[i]
		std := 0.02
		if m.feedsResidual(i) {
			adds := 0
			for _, l := range m.layers {
				if l.Kind == workload.Add {
					adds++
				}
			}
			std /= math.Sqrt(float64(adds))
		}
		normal(p[:nw], std)
		clear(p[nw:])
	default:
		return false
	}
	return true
}

// feedsResidual reports whether layer i's output is read by add layers
// only.
func (m *Model) feedsResidual(i int) bool {
	read := false
	for _, r := range m.layers {
		for _, j := range r.Inputs {
			if j == i {
				if r.Kind != workload.Add {
					return false
				}
				read = true
			}
		}
	}
	return read
}
