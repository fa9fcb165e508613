package workload

import "github.com/trainbench/trainbench/shape"

// This file holds the FLOP and byte formulas of the layer kinds a network
// describes whose kernel shape package shape does not (yet) hold as such:
// element-wise activations and adds, embeddings, attention, the loss and the
// optimizer update. Normalisation and global average pooling take the
// formulas of shape.BatchNorm, shape.LayerNorm and shape.GlobalAvgPool, and
// convolution, dense/linear and max-pool layers those of shape.Conv2D,
// shape.Dense and shape.Pool, so each formula lives in one place.
// EmbeddingShape and AttentionShape keep their own: shape.Embedding counts
// only the gradient rows a batch touches (this one the dense tables a
// trainer zeroes and writes), and shape.Attention is causal only.
//
// Conventions, as in package shape: one FLOP per elementary add, multiply,
// compare, divide or transcendental (exp, tanh, sqrt each count as one);
// bytes are the compulsory traffic of float32 operands (each read once, each
// result written once, 4 bytes an element).

// OptimizerPass is the parameter update of a training step, the fourth pass
// beside shape.Forward, shape.BackwardData and shape.BackwardWeights.
const OptimizerPass shape.Pass = "optimizer"

// Passes lists the passes of a training step in the order they run per layer.
var Passes = []shape.Pass{shape.Forward, shape.BackwardData, shape.BackwardWeights, OptimizerPass}

// EltwiseShape is an element-wise layer over Elems elements: relu, gelu (tanh
// approximation) or add (two inputs, one output).
type EltwiseShape struct {
	Kind  Kind // ReLU, GELU or Add
	Elems int  // elements of the output (batch × per-sample length)
}

// eltwiseFLOPs are FLOPs per element, forward and backward. ReLU: one
// compare; its backward one select. GELU (0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³)))):
// x³ (2), ·0.044715 (1), +x (1), ·√(2/π) (1), tanh (1), +1 (1), ·x (1),
// ·0.5 (1) = 9; its backward recomputes the inner term (5) and tanh (1) and
// forms the derivative product (7), times dy (1) = 14. Add: one add; its
// backward is the gradient sum at the fork the add closes (one add).
var eltwiseFLOPs = map[Kind][2]float64{ReLU: {1, 1}, GELU: {9, 14}, Add: {1, 1}}

// FLOPs returns the work of the forward or the backward-data pass.
func (s EltwiseShape) FLOPs(p shape.Pass) float64 {
	f := eltwiseFLOPs[s.Kind]
	if p == shape.Forward {
		return f[0] * float64(s.Elems)
	}
	return f[1] * float64(s.Elems)
}

// Bytes: relu/gelu forward read x and write y (8 bytes an element), backward
// read x and dy and write dx (12); add forward reads two inputs and writes
// one (12), backward reads two gradients and writes their sum (12).
func (s EltwiseShape) Bytes(p shape.Pass) float64 {
	e := float64(s.Elems)
	if p == shape.Forward && s.Kind != Add {
		return 8 * e
	}
	return 12 * e
}

// NormShape is batch normalisation (training mode: batch statistics) or
// layer normalisation: Rows × Features elements, with a scale and shift per
// feature. Batch norm normalises each channel over the rows (N·H·W
// positions, Features = C); layer norm normalises each position over its C
// features (Rows = N·H·W, Features = C). The FLOPs are the same per element.
type NormShape struct {
	Kind     Kind // BatchNorm or LayerNorm
	Rows     int
	Features int
}

// Elems is Rows × Features.
func (s NormShape) Elems() float64 { return float64(s.Rows) * float64(s.Features) }

// kernel is the shape package's shape this layer's formulas come from: a
// batch norm is shape.BatchNorm (N·H·W rows folded into W), a layer norm
// shape.LayerNorm. Their counts differ from the per-feature-only ones this
// package once kept: they include what the kernels touch per channel (the
// running statistics, the saved mean and inverse deviation) and per row.
func (s NormShape) kernel() interface {
	FLOPs(shape.Pass) float64
	Bytes(shape.Pass) float64
} {
	if s.Kind == LayerNorm {
		return shape.LayerNorm{Rows: s.Rows, D: s.Features}
	}
	return shape.BatchNorm{N: 1, H: 1, W: s.Rows, C: s.Features}
}

// FLOPs and Bytes are those of shape.BatchNorm or shape.LayerNorm (see
// kernel), unfused.
func (s NormShape) FLOPs(p shape.Pass) float64 { return s.kernel().FLOPs(p) }
func (s NormShape) Bytes(p shape.Pass) float64 { return s.kernel().Bytes(p) }

// GlobalPoolShape is global average pooling of NHWC activations to N×C.
type GlobalPoolShape struct {
	N, H, W, C int
}

// FLOPs and Bytes are shape.GlobalAvgPool's.
func (s GlobalPoolShape) FLOPs(p shape.Pass) float64 { return s.kernel().FLOPs(p) }
func (s GlobalPoolShape) Bytes(p shape.Pass) float64 { return s.kernel().Bytes(p) }

func (s GlobalPoolShape) kernel() shape.GlobalAvgPool {
	return shape.GlobalAvgPool{N: s.N, H: s.H, W: s.W, C: s.C}
}

// EmbeddingShape is a token embedding (Vocab × Dim table) with optional
// learned position embeddings (Positions × Dim), looked up for Tokens token
// ids (batch × sequence length) with SeqLen positions per sequence.
type EmbeddingShape struct {
	Tokens, SeqLen, Vocab, Dim, Positions int
}

// FLOPs: the lookup is a gather (no arithmetic); adding the position row
// is one add per output element. Backward-weights scatter-adds each output
// gradient row into the token table (one add per element) and sums it into
// the position table (one more). There is no backward-data: the inputs are
// token ids.
func (s EmbeddingShape) FLOPs(p shape.Pass) float64 {
	out := float64(s.Tokens) * float64(s.Dim)
	adds := 1.0
	if s.Positions > 0 {
		adds = 2
	}
	switch p {
	case shape.Forward:
		return (adds - 1) * out
	case shape.BackwardWeights:
		return adds * out
	}
	return 0
}

// Bytes: forward reads the ids, one table row per token and the position
// rows, and writes the output; backward-weights reads ids and output
// gradients and writes the dense table gradients.
func (s EmbeddingShape) Bytes(p shape.Pass) float64 {
	out := float64(s.Tokens) * float64(s.Dim)
	pos := float64(min(s.Positions, s.SeqLen)) * float64(s.Dim)
	switch p {
	case shape.Forward:
		return 4 * (float64(s.Tokens) + 2*out + pos)
	case shape.BackwardWeights:
		return 4 * (float64(s.Tokens) + out + float64(s.Vocab)*float64(s.Dim) + float64(s.Positions)*float64(s.Dim))
	}
	return 0
}

// AttentionShape is the core of multi-head scaled dot-product attention for
// N sequences of T positions: S = Q·Kᵀ/√d, P = softmax(S) (causally masked or
// not), O = P·V, with Heads heads of HeadDim channels. The projections before
// and after are separate linear layers.
type AttentionShape struct {
	N, T, Heads, HeadDim int
	Causal               bool // only the (T+1)·T/2 query-key pairs with key ≤ query are computed
}

// Pairs is the number of query-key pairs per head and sequence.
func (s AttentionShape) Pairs() float64 {
	t := float64(s.T)
	if s.Causal {
		return t * (t + 1) / 2
	}
	return t * t
}

// FLOPs per query-key pair and head: forward Q·Kᵀ (2·d), softmax (scale,
// max, subtract, exp, sum: 5) and P·V (2·d); backward-data dV = Pᵀ·dO (2·d),
// dP = dO·Vᵀ (2·d), dS = P∘(dP − rowsum) (3), dQ = dS·K (2·d), dK = dSᵀ·Q
// (2·d). So the backward is twice the forward's matrix products, as in the
// 6·N·D rule. There are no weights.
func (s AttentionShape) FLOPs(p shape.Pass) float64 {
	d := float64(s.HeadDim)
	per := 4*d + 5
	if p == shape.BackwardData {
		per = 8*d + 3
	}
	if p == shape.BackwardWeights {
		return 0
	}
	return float64(s.N) * float64(s.Heads) * s.Pairs() * per
}

// Bytes is FlashAttention-style compulsory traffic (the T×T scores stay on
// chip): forward reads Q, K, V and writes O and one log-sum-exp per row and
// head; backward reads Q, K, V, O, dO and the log-sum-exps and writes dQ, dK,
// dV.
func (s AttentionShape) Bytes(p shape.Pass) float64 {
	td := float64(s.N) * float64(s.T) * float64(s.Heads*s.HeadDim)
	lse := float64(s.N) * float64(s.T) * float64(s.Heads)
	switch p {
	case shape.Forward:
		return 4 * (4*td + lse)
	case shape.BackwardData:
		return 4 * (8*td + lse)
	}
	return 0
}

// LossShape is softmax with cross-entropy against integer labels over Rows
// rows of Classes logits, averaged over the rows.
type LossShape struct {
	Rows, Classes int
}

// FLOPs per logit: forward max (1), subtract (1), exp (1), sum (1) = 4 (the
// per-row log and label pick are left out); backward softmax recomputed
// from the saved log-sum-exp (subtract, exp: 2), minus the one-hot label and
// scaled by 1/rows (1) = 3.
func (s LossShape) FLOPs(p shape.Pass) float64 {
	e := float64(s.Rows) * float64(s.Classes)
	if p == shape.Forward {
		return 4 * e
	}
	return 3 * e
}

// Bytes: forward reads the logits and labels; backward reads them again
// and writes the logit gradients.
func (s LossShape) Bytes(p shape.Pass) float64 {
	e, r := float64(s.Rows)*float64(s.Classes), float64(s.Rows)
	if p == shape.Forward {
		return 4 * (e + r)
	}
	return 4 * (2*e + r)
}

// OptimizerShape is the update of Params parameters by the named rule.
type OptimizerShape struct {
	Rule     string // "adam", "adamw" or "sgd"
	Momentum bool   // sgd with momentum
	Params   int
}

// FLOPs per parameter: Adam m = β1·m + (1−β1)·g (3), v = β2·v + (1−β2)·g²
// (4), p −= lr·m/(√v + ε) with the bias corrections folded into lr (5) = 12;
// AdamW adds the decoupled weight decay p −= lr·λ·p (2) = 14; SGD p −= lr·g
// (2), with momentum v = μ·v + g first (2) = 4.
func (s OptimizerShape) FLOPs(shape.Pass) float64 {
	per := 2.0
	switch {
	case s.Rule == "adam":
		per = 12
	case s.Rule == "adamw":
		per = 14
	case s.Momentum:
		per = 4
	}
	return per * float64(s.Params)
}

// Bytes per parameter: Adam reads p, g, m, v and writes p, m, v (28); SGD
// reads p, g (and v) and writes p (and v): 12, or 20 with momentum.
func (s OptimizerShape) Bytes(shape.Pass) float64 {
	per := 12.0
	switch {
	case s.Rule == "adam" || s.Rule == "adamw":
		per = 28
	case s.Momentum:
		per = 20
	}
	return per * float64(s.Params)
}

// StateFloats is the optimizer's state per parameter (Adam m and v: 2; SGD
// momentum: 1; plain SGD: 0).
func (s OptimizerShape) StateFloats() int {
	switch {
	case s.Rule == "adam" || s.Rule == "adamw":
		return 2
	case s.Momentum:
		return 1
	}
	return 0
}

// BatchNormFusion is a batch norm with the layers a trainer runs inside its
// kernel: a ReLU after it, or the residual add that reads it and the ReLU
// after that add (the end of a bottleneck block).
type BatchNormFusion struct {
	Layer     int // the batch norm
	ReLU, Add int // the fused ReLU and add, -1 if none
	// Shape is the kernel's shape with its fusions at the layers' batch.
	Shape shape.BatchNorm
}

// FuseBatchNorms returns the batch norms of rs (a resolved network, in
// order) with their fusions as package nn plans them, keyed by layer index:
// a ReLU that is a batch norm's only reader is fused into it; else an add
// of two distinct operands that is its only reader, and then the ReLU that
// is that add's only reader. A layer fused into one batch norm is not fused
// into a later one (a projection block's add goes to its bn3, which comes
// first; the projection's batch norm stays plain). The cost model prices
// what the trainer runs with it, so the two must agree.
func FuseBatchNorms(rs []Resolved) map[int]BatchNormFusion {
	consumers := make([][]int, len(rs))
	for i, r := range rs {
		for _, j := range r.Inputs {
			if j >= 0 && j < len(rs) {
				consumers[j] = append(consumers[j], i)
			}
		}
	}
	absorbed := make([]bool, len(rs))
	only := func(i int, k Kind) int {
		if len(consumers[i]) == 1 && rs[consumers[i][0]].Kind == k && !absorbed[consumers[i][0]] {
			return consumers[i][0]
		}
		return -1
	}
	fs := map[int]BatchNormFusion{}
	for i, r := range rs {
		if absorbed[i] {
			continue
		}
		switch r.Kind {
		case Conv2D, Dense:
			// nn fuses their ReLU: it is then no batch norm's.
			if c := only(i, ReLU); c >= 0 {
				absorbed[c] = true
			}
		case BatchNorm:
			f := BatchNormFusion{Layer: i, ReLU: -1, Add: -1,
				Shape: shape.BatchNorm{N: r.Batch, H: r.In.H, W: r.In.W, C: r.In.C}}
			if c := only(i, ReLU); c >= 0 {
				f.ReLU, absorbed[c] = c, true
			} else if a := only(i, Add); a >= 0 && len(rs[a].Inputs) == 2 && rs[a].Inputs[0] != rs[a].Inputs[1] {
				f.Add, absorbed[a] = a, true
				if c := only(a, ReLU); c >= 0 {
					f.ReLU, absorbed[c] = c, true
				}
			}
			f.Shape.Residual, f.Shape.ReLU = f.Add >= 0, f.ReLU >= 0
			fs[i] = f
		}
	}
	return fs
}
