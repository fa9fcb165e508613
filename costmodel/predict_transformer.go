package costmodel

import (
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// transformerPass prices a pass of a layer whose kernel has a benchmark
// family of its own (a transformer's layer norm, GELU, attention, embedding,
// the fused softmax cross-entropy, AdamW) as nn's trainer runs it: the pass
// is the kernel's shape in package shape (the benchmark's FLOPs and bytes,
// not the workload's per-pass counts, which split the work differently),
// timed by kernelTime from the family's case at that shape, else the same
// kernel at the nearest size, else the roofline. The passes a kernel covers
// with another's call cost nothing of their own (HowFused). ok is false
// for the other layers and passes, which passTime prices.
func (l *lookup) transformerPass(pt *PassTime, lw workload.LayerWork, w workload.Work, opt workload.Optimizer) (bool, error) {
	kt := func(family string, pass shape.Pass, flops, bytes float64) (bool, error) {
		return true, l.kernelTime(pt, family, string(pass), workload.Work{Pass: w.Pass, FLOPs: flops, Bytes: bytes})
	}
	fused := func(from string) (bool, error) {
		pt.How, pt.From, pt.Seconds = HowFused, from, Point(0)
		return true, nil
	}
	if w.Pass == workload.OptimizerPass {
		if opt.Name != "adamw" || w.FLOPs <= 0 {
			return false, nil
		}
		// nn updates every parameter in one AdamW call: each layer's
		// share at the rate of the AdamW case (one transformer block's
		// parameters, beyond the caches as the whole model is).
		n := lw.Params
		return kt(benchname.AdamW, "", shape.OpAdamW.FLOPs(n), shape.OpAdamW.Bytes(n))
	}
	switch {
	case lw.Kind == workload.LayerNorm && lw.Norm != nil:
		s := shape.LayerNorm{Rows: lw.Norm.Rows, D: lw.Norm.Features}
		switch w.Pass {
		case shape.Forward:
			return kt(benchname.LayerNorm, shape.Forward, s.FLOPs(shape.Forward), s.Bytes(shape.Forward))
		case shape.BackwardData:
			return kt(benchname.LayerNorm, shape.Backward, s.FLOPs(shape.Backward), s.Bytes(shape.Backward))
		case shape.BackwardWeights:
			return fused("in " + lw.Name + "'s backward kernel (dx, dγ, dβ at once, timed as its bwd-data)")
		}
	case lw.Kind == workload.GELU && lw.Eltwise != nil:
		n := lw.Eltwise.Elems
		switch w.Pass {
		case shape.Forward:
			return kt(benchname.GELU, shape.Forward, shape.OpGELU.FLOPs(n), shape.OpGELU.Bytes(n))
		case shape.BackwardData:
			return kt(benchname.GELU, shape.BackwardData, shape.OpGELUBwd.FLOPs(n), shape.OpGELUBwd.Bytes(n))
		}
	case lw.Attention != nil && lw.Attention.Causal:
		a := lw.Attention
		s := shape.Attention{Batch: a.N, T: a.T, Heads: a.Heads, HeadDim: a.HeadDim}
		switch w.Pass {
		case shape.Forward:
			return kt(benchname.Attention, shape.Forward, s.FLOPs(shape.Forward), s.Bytes(shape.Forward))
		case shape.BackwardData:
			return kt(benchname.Attention, shape.Backward, s.FLOPs(shape.Backward), s.Bytes(shape.Backward))
		}
	case lw.Embedding != nil && lw.Embedding.SeqLen > 0:
		e := lw.Embedding
		s := shape.Embedding{Batch: e.Tokens / e.SeqLen, T: e.SeqLen, Vocab: e.Vocab, D: e.Dim, Positions: e.Positions}
		switch w.Pass {
		case shape.Forward:
			return kt(benchname.Embedding, shape.Forward, s.FLOPs(shape.Forward), s.Bytes(shape.Forward))
		case shape.BackwardWeights:
			return kt(benchname.Embedding, shape.Backward, s.FLOPs(shape.Backward), s.Bytes(shape.Backward))
		}
	case lw.Loss != nil:
		// One call computes the loss and its gradient, in the forward.
		n := lw.Loss.Rows * lw.Loss.Classes
		switch w.Pass {
		case shape.Forward:
			return kt(benchname.SoftmaxCE, "", shape.OpSoftmaxCE.FLOPs(n), shape.OpSoftmaxCE.Bytes(n))
		case shape.BackwardData:
			return fused("in " + lw.Name + "'s forward kernel (loss and gradient in one call)")
		}
	}
	return false, nil
}
