package shape

import "fmt"

// The shapes of a GPT-2 style transformer's kernels beyond the matrix
// products (which are Dense/Gemm): token + position embedding, layer
// normalisation, causal multi-head attention on a packed QKV tensor, and
// the element-wise GELU, AdamW and gradient-norm kernels (ElementwiseOp).
// Conventions as in the rest of the package: one FLOP per add, multiply,
// compare, divide, square root or transcendental; bytes are the compulsory
// float32 traffic (token ids 4 bytes each).

// Embedding is the token + position embedding of Batch sequences of T
// tokens: x[b,t,:] = wte[tok[b,t],:] + wpe[t,:] with a Vocab×D token table
// and a Positions×D position table (T ≤ Positions).
type Embedding struct {
	Batch, T, Vocab, D, Positions int
}

// Tokens is Batch·T; Len is the element count of the output, Batch·T·D.
func (s Embedding) Tokens() int { return s.Batch * s.T }
func (s Embedding) Len() int    { return s.Batch * s.T * s.D }

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1, T beyond Positions, or a tensor of more than
// MaxElems elements.
func (s Embedding) Validate() error {
	if f, bad := belowMin(field{"Batch", s.Batch, 1}, field{"T", s.T, 1}, field{"Vocab", s.Vocab, 1}, field{"D", s.D, 1}, field{"Positions", s.Positions, 1}); bad {
		return f.err("embedding " + s.String())
	}
	if s.T > s.Positions {
		return &Error{Shape: "embedding " + s.String(), Field: "T", Msg: fmt.Sprintf("= %d, more than the %d positions of the position table", s.T, s.Positions)}
	}
	if p, bad := tooLarge(product{"Batch·T·D", "the output", elems(s.Batch, s.T, s.D)}, product{"Vocab·D", "the token table", elems(s.Vocab, s.D)},
		product{"Positions·D", "the position table", elems(s.Positions, s.D)}); bad {
		return p.err("embedding " + s.String())
	}
	return nil
}

// String formats the shape compactly: "b1t1024v50257d768p1024".
func (s Embedding) String() string {
	return fmt.Sprintf("b%dt%dv%dd%dp%d", s.Batch, s.T, s.Vocab, s.D, s.Positions)
}

// FLOPs: forward one add per output element (the lookup is a gather);
// backward (Backward or BackwardWeights: there is no data gradient, the
// inputs are ids) one add per output element into each table.
func (s Embedding) FLOPs(p Pass) float64 {
	out := float64(s.Batch) * float64(s.T) * float64(s.D)
	switch p {
	case Forward:
		return out
	case Backward, BackwardWeights:
		return 2 * out
	}
	return 0
}

// Bytes: forward reads the ids, one token row per token and the T position
// rows, and writes the output; backward reads the ids and the output
// gradient and reads and writes the rows of the two gradient tables it adds
// into (at most min(Batch·T, Vocab) token rows, T position rows).
func (s Embedding) Bytes(p Pass) float64 {
	tok, d := float64(s.Batch)*float64(s.T), float64(s.D)
	switch p {
	case Forward:
		return 4 * (tok + 2*tok*d + float64(s.T)*d)
	case Backward, BackwardWeights:
		rows := float64(min(s.Batch*s.T, s.Vocab))
		return 4 * (tok + tok*d + 2*rows*d + 2*float64(s.T)*d)
	}
	return 0
}

// LayerNorm is layer normalisation of Rows positions of D features each,
// with a learned per-feature scale γ and shift β; the forward saves each
// row's mean and inverse deviation for the backward.
type LayerNorm struct {
	Rows, D int
}

// Len is Rows·D, the element count of the input and the output.
func (s LayerNorm) Len() int { return s.Rows * s.D }

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1 or more than MaxElems elements.
func (s LayerNorm) Validate() error {
	if f, bad := belowMin(field{"Rows", s.Rows, 1}, field{"D", s.D, 1}); bad {
		return f.err("layernorm " + s.String())
	}
	if p, bad := tooLarge(product{"Rows·D", "the input", elems(s.Rows, s.D)}); bad {
		return p.err("layernorm " + s.String())
	}
	return nil
}

// String formats the shape compactly: "r1024d768".
func (s LayerNorm) String() string { return fmt.Sprintf("r%dd%d", s.Rows, s.D) }

// FLOPs per element, as BatchNorm's: forward 7 (mean 1, centred square sum
// 3, normalise and affine 3); backward 11 (dβ 1, dγ with x̂ recomputed 4, dx
// 6), counted apart backward-data 6 and backward-weights 5. The per-row
// square root and divisions are left out.
func (s LayerNorm) FLOPs(p Pass) float64 {
	e := float64(s.Rows) * float64(s.D)
	switch p {
	case Forward:
		return 7 * e
	case Backward:
		return 11 * e
	case BackwardData:
		return 6 * e
	case BackwardWeights:
		return 5 * e
	}
	return 0
}

// Bytes: forward reads x, γ and β, writes y and the saved mean and inverse
// deviation per row; backward reads x, dy, γ and the saved statistics and
// writes dx, dγ and dβ.
func (s LayerNorm) Bytes(p Pass) float64 {
	e, d, r := float64(s.Rows)*float64(s.D), float64(s.D), float64(s.Rows)
	switch p {
	case Forward:
		return 4 * (2*e + 2*d + 2*r)
	case Backward:
		return 4 * (3*e + 3*d + 2*r)
	case BackwardData:
		return 4 * (3*e + d + 2*r)
	case BackwardWeights:
		return 4 * (2*e + 2*d + 2*r)
	}
	return 0
}

// Attention is causal multi-head scaled dot-product attention of Batch
// sequences of T positions with Heads heads of HeadDim channels, on the
// packed QKV tensor GPT-2's c_attn linear produces ([Batch][T][3·Heads·
// HeadDim]: Q, then K, then V, each head's HeadDim channels contiguous)
// into [Batch][T][Heads·HeadDim]. Only the T·(T+1)/2 query-key pairs with
// key ≤ query are computed.
type Attention struct {
	Batch, T, Heads, HeadDim int
}

// D is Heads·HeadDim, the model width; QKVLen and OutLen are the element
// counts of the packed input and of the output; LSELen that of the saved
// log-sum-exps, one per row and head.
func (s Attention) D() int      { return s.Heads * s.HeadDim }
func (s Attention) QKVLen() int { return s.Batch * s.T * 3 * s.Heads * s.HeadDim }
func (s Attention) OutLen() int { return s.Batch * s.T * s.Heads * s.HeadDim }
func (s Attention) LSELen() int { return s.Batch * s.Heads * s.T }

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1 or a tensor of more than MaxElems elements.
func (s Attention) Validate() error {
	if f, bad := belowMin(field{"Batch", s.Batch, 1}, field{"T", s.T, 1}, field{"Heads", s.Heads, 1}, field{"HeadDim", s.HeadDim, 1}); bad {
		return f.err("attention " + s.String())
	}
	if p, bad := tooLarge(product{"Batch·T·3·Heads·HeadDim", "the packed QKV input", elems(s.Batch, s.T, 3, s.Heads, s.HeadDim)}); bad {
		return p.err("attention " + s.String())
	}
	return nil
}

// String formats the shape compactly: "b1t1024h12d64".
func (s Attention) String() string {
	return fmt.Sprintf("b%dt%dh%dd%d", s.Batch, s.T, s.Heads, s.HeadDim)
}

// Pairs is the number of unmasked query-key pairs over all sequences and
// heads, Batch·Heads·T·(T+1)/2.
func (s Attention) Pairs() float64 {
	t := float64(s.T)
	return float64(s.Batch) * float64(s.Heads) * t * (t + 1) / 2
}

// FLOPs per unmasked pair (d = HeadDim), the algorithm's work without the
// backward's recomputation: forward S = Q·Kᵀ (2d), scale, running max,
// subtract, exp, sum (5) and P·V (2d): 4d + 5; backward (Backward or
// BackwardData, there are no weights) dV = Pᵀ·dO (2d), dP = dO·Vᵀ (2d),
// dS = P∘(dP − D) (2) plus the scale (1), dQ = dS·K (2d), dK = dSᵀ·Q (2d):
// 8d + 3. The per-row terms (the log-sum-exp, D = rowsum(dO∘O)) are left
// out. At GPT-2 small's t1024 that is 1.64 GFLOP forward and 3.24 backward
// per batch element and layer.
func (s Attention) FLOPs(p Pass) float64 {
	d := float64(s.HeadDim)
	switch p {
	case Forward:
		return s.Pairs() * (4*d + 5)
	case Backward, BackwardData:
		return s.Pairs() * (8*d + 3)
	}
	return 0
}

// Bytes is the compulsory traffic of a fused kernel that never stores the
// T×T scores: forward reads Q, K, V and writes O and the log-sum-exps;
// backward reads Q, K, V, O, dO and the log-sum-exps and writes dQ, dK, dV.
func (s Attention) Bytes(p Pass) float64 {
	td := float64(s.Batch) * float64(s.T) * float64(s.D())
	lse := float64(s.LSELen())
	switch p {
	case Forward:
		return 4 * (4*td + lse)
	case Backward, BackwardData:
		return 4 * (8*td + lse)
	}
	return 0
}

// The element-wise kernels of a transformer (see ElementwiseOp.FLOPs and
// Bytes for their formulas).
const (
	OpGELU     ElementwiseOp = "gelu"      // GELUForward (tanh approximation) over n elements
	OpGELUBwd  ElementwiseOp = "gelu-bwd"  // GELUBackward over n elements
	OpAdamW    ElementwiseOp = "adamw"     // AdamW over n parameters (decayed or not)
	OpGradNorm ElementwiseOp = "grad-norm" // the global norm of n gradients and their scaling by the clip factor
)

// transformerOp is perElement for the transformer's element-wise ops:
//
//	gelu 9 FLOPs (x³ 2, ·0.044715 1, +x 1, ·√(2/π) 1, tanh 1, +1 1, ·x 1,
//	  ·0.5 1), 8 bytes (read x, write y);
//	gelu-bwd 14 FLOPs (the inner term 5 and tanh 1 recomputed, the
//	  derivative 7, times dy 1), 12 bytes (read x and dy, write dx);
//	adamw 14 FLOPs (Adam's 12 and the decay's 2), 28 bytes (read p, g, m,
//	  v; write p, m, v);
//	grad-norm 3 FLOPs (square and add, then the scale), 12 bytes (read g
//	  for the norm, read and write it to scale).
func transformerOp(op ElementwiseOp) (flops, bytes float64) {
	switch op {
	case OpGELU:
		return 9, 8
	case OpGELUBwd:
		return 14, 12
	case OpAdamW:
		return 14, 28
	case OpGradNorm:
		return 3, 12
	}
	return 0, 0
}
