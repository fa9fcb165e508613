package bench

import (
	"fmt"
	"strings"
	"sync"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
)

// The families of GPT-2 small's layers beyond the matrix products:
// LayerNorm (pass=fwd, bwd), GELU (pass=fwd, bwd-data), Attention
// (pass=fwd, bwd), Embedding (pass=fwd, bwd) and AdamW, on GPT-2 small's
// shapes (d = 768, 12 heads of 64, vocabulary 50257, 1024 positions, MLP
// width 3072) at batch 1 and context 1024 and 256, named
// "gpt2-small.t1024b1.<layer>" (benchname.LayerShapeName of the network
// at that context and the layer kind: ln, gelu, attn, wte). AdamW updates
// one transformer block's parameters (7.08 M, the 2-D weights decayed),
// "gpt2-small.block". They hold one set, gpt2, which the default presets
// leave out (run with --set gpt2 or --kernel). FLOPs and bytes come from
// package shape. Left out, to keep `go test -bench . -benchtime=1x`
// cheap: the naive attention (seconds a call), and the pure-Go GEMM
// micro-kernel's flash attention (isa=generic) at context 1024.

// GPT-2 small's dimensions.
const (
	gpt2D         = 768
	gpt2Heads     = 12
	gpt2Vocab     = 50257
	gpt2Positions = 1024
	gpt2Hidden    = 4 * gpt2D
)

// gpt2Contexts are the contexts of the gpt2 set, at batch 1.
var gpt2Contexts = []int{1024, 256}

// gpt2Shape is the shape= value of layer at context t, batch 1.
func gpt2Shape(t int, layer string) string {
	return benchname.LayerShapeName(fmt.Sprintf("gpt2-small.t%db1", t), layer)
}

// gpt2Items returns one item per context, of pass and the shape mk gives.
func gpt2Items[S passShape, F any](layer string, pass shape.Pass, mk func(t int) S, op func(s S) func(ctx *kernels.Context, fn F) func()) []layerItem[F] {
	var items []layerItem[F]
	for _, t := range gpt2Contexts {
		s := mk(t)
		items = append(items, layerItem[F]{pass: pass, shape: gpt2Shape(t, layer), set: benchname.SetGPT2,
			flops: s.FLOPs(pass), bytes: s.Bytes(pass), op: op(s)})
	}
	return items
}

func gpt2LN(t int) shape.LayerNorm { return shape.LayerNorm{Rows: t, D: gpt2D} }
func gpt2Attn(t int) shape.Attention {
	return shape.Attention{Batch: 1, T: t, Heads: gpt2Heads, HeadDim: gpt2D / gpt2Heads}
}
func gpt2Emb(t int) shape.Embedding {
	return shape.Embedding{Batch: 1, T: t, Vocab: gpt2Vocab, D: gpt2D, Positions: gpt2Positions}
}

// gpt2Linears are GPT-2 small's linear layers (shape= suffix, in, out): a
// block's QKV projection, attention output projection, MLP up and down
// projections, and the tied output projection onto the vocabulary (no
// bias), each a Dense case with every position a row.
var gpt2Linears = []struct {
	name    string
	in, out int
}{
	{"attn-qkv", gpt2D, 3 * gpt2D}, {"attn-proj", gpt2D, gpt2D},
	{"mlp-fc", gpt2D, gpt2Hidden}, {"mlp-proj", gpt2Hidden, gpt2D},
	{"lm-head", gpt2D, gpt2Vocab},
}

// gpt2DenseItems are the Dense items of one pass of GPT-2 small's linear
// layers at each context, "gpt2-small.t<T>b1.<layer>", set gpt2.
func gpt2DenseItems[F any](op func(s shape.Dense) (shape.Pass, func(ctx *kernels.Context, fn F) func())) []layerItem[F] {
	var items []layerItem[F]
	for _, t := range gpt2Contexts {
		for _, l := range gpt2Linears {
			s := shape.Dense{Batch: t, In: l.in, Out: l.out}
			pass, fn := op(s)
			items = append(items, layerItem[F]{pass: pass, shape: gpt2Shape(t, l.name), set: benchname.SetGPT2,
				flops: s.FLOPs(pass), bytes: s.Bytes(pass), op: fn})
		}
	}
	return items
}

// gpt2Tables are the token and position tables and their gradients,
// allocated once (150 MB each for the token table) and shared by every
// embedding case: cases run one at a time, and the backward only adds
// into the gradients.
var gpt2Tables = sync.OnceValue(func() (t struct{ wte, wpe, dwte, dwpe []float32 }) {
	t.wte, t.wpe = filled(gpt2Vocab*gpt2D), filled(gpt2Positions*gpt2D)
	t.dwte, t.dwpe = make([]float32, gpt2Vocab*gpt2D), make([]float32, gpt2Positions*gpt2D)
	return t
})

// gpt2Tokens are t token ids spread over the vocabulary.
func gpt2Tokens(t int) []int32 {
	tok := make([]int32, t)
	for i := range tok {
		tok[i] = int32((i * 7919) % gpt2Vocab)
	}
	return tok
}

func lnFwdOp(s shape.LayerNorm) func(*kernels.Context, kernels.LayerNormFwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.LayerNormFwdFunc) func() {
		x, g, b, y := filled(s.Len()), filled(s.D), filled(s.D), make([]float32, s.Len())
		mean, rstd := make([]float32, s.Rows), make([]float32, s.Rows)
		return func() { fn(ctx, s, x, g, b, y, mean, rstd) }
	}
}

func lnBwdOp(s shape.LayerNorm) func(*kernels.Context, kernels.LayerNormBwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.LayerNormBwdFunc) func() {
		x, g, b, y := filled(s.Len()), filled(s.D), filled(s.D), make([]float32, s.Len())
		mean, rstd := make([]float32, s.Rows), make([]float32, s.Rows)
		ctx.LayerNormForward(s, x, g, b, y, mean, rstd)
		gr := kernels.LayerNormGrads{DY: filled(s.Len()), DX: make([]float32, s.Len()), DGamma: make([]float32, s.D), DBeta: make([]float32, s.D)}
		return func() { fn(ctx, s, x, g, mean, rstd, gr) }
	}
}

func geluFwdOp(e elements) func(*kernels.Context, kernels.GELUFwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.GELUFwdFunc) func() {
		x, y := filled(e.n), make([]float32, e.n)
		return func() { fn(ctx, x, y) }
	}
}

func geluBwdOp(e elements) func(*kernels.Context, kernels.GELUBwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.GELUBwdFunc) func() {
		x, dy, dx := filled(e.n), filled(e.n), make([]float32, e.n)
		return func() { fn(ctx, x, dy, dx) }
	}
}

func attnFwdOp(s shape.Attention) func(*kernels.Context, kernels.AttentionFwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.AttentionFwdFunc) func() {
		qkv, out, lse := filled(s.QKVLen()), make([]float32, s.OutLen()), make([]float32, s.LSELen())
		return func() { fn(ctx, s, qkv, out, lse) }
	}
}

func attnBwdOp(s shape.Attention) func(*kernels.Context, kernels.AttentionBwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.AttentionBwdFunc) func() {
		qkv, out, lse := filled(s.QKVLen()), make([]float32, s.OutLen()), make([]float32, s.LSELen())
		ctx.AttentionForward(s, qkv, out, lse)
		dout, dqkv := filled(s.OutLen()), make([]float32, s.QKVLen())
		return func() { fn(ctx, s, qkv, out, lse, dout, dqkv) }
	}
}

func embFwdOp(s shape.Embedding) func(*kernels.Context, kernels.EmbeddingFwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.EmbeddingFwdFunc) func() {
		tb, tok, x := gpt2Tables(), gpt2Tokens(s.T), make([]float32, s.Len())
		return func() { fn(ctx, s, tok, tb.wte, tb.wpe, x) }
	}
}

func embBwdOp(s shape.Embedding) func(*kernels.Context, kernels.EmbeddingBwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.EmbeddingBwdFunc) func() {
		tb, tok, dy := gpt2Tables(), gpt2Tokens(s.T), filled(s.Len())
		return func() { fn(ctx, s, tok, dy, tb.dwte, tb.dwpe) }
	}
}

// gpt2BlockParams are the parameter tensors of one GPT-2 block, and whether
// AdamW decays them (the 2-D weights): ln_1, attn.c_attn, attn.c_proj,
// ln_2, mlp.c_fc, mlp.c_proj.
var gpt2BlockParams = []struct {
	n     int
	decay bool
}{
	{gpt2D, false}, {gpt2D, false},
	{gpt2D * 3 * gpt2D, true}, {3 * gpt2D, false},
	{gpt2D * gpt2D, true}, {gpt2D, false},
	{gpt2D, false}, {gpt2D, false},
	{gpt2D * gpt2Hidden, true}, {gpt2Hidden, false},
	{gpt2Hidden * gpt2D, true}, {gpt2D, false},
}

// gpt2Block is the AdamW state of one block, allocated once (113 MB) and
// shared by the AdamW cases.
var gpt2Block = sync.OnceValue(func() []kernels.AdamWSlice {
	var ps []kernels.AdamWSlice
	for _, p := range gpt2BlockParams {
		ps = append(ps, kernels.AdamWSlice{P: filled(p.n), G: filled(p.n), M: make([]float32, p.n), V: make([]float32, p.n), Decay: p.decay})
	}
	return ps
})

// adamwItem is the AdamW case of one block's parameters.
type adamwItem struct{ n int }

func (a adamwItem) FLOPs(shape.Pass) float64 { return shape.OpAdamW.FLOPs(a.n) }
func (a adamwItem) Bytes(shape.Pass) float64 { return shape.OpAdamW.Bytes(a.n) }

func adamwItems() []layerItem[kernels.AdamWFunc] {
	var n int
	for _, p := range gpt2BlockParams {
		n += p.n
	}
	it := adamwItem{n}
	h := kernels.AdamWParams{LR: 6e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
	return []layerItem[kernels.AdamWFunc]{{shape: benchname.LayerShapeName("gpt2-small", "block"), set: benchname.SetGPT2,
		flops: it.FLOPs(""), bytes: it.Bytes(""),
		op: func(ctx *kernels.Context, fn kernels.AdamWFunc) func() {
			ps := gpt2Block()
			step := 0
			return func() {
				step++
				fn(ctx, ps, h, step)
			}
		}}}
}

// withoutNaive is a registry holding r's implementations but naive.
func withoutNaive[F any](r *kernels.Registry[F], name string) *kernels.Registry[F] {
	out := kernels.NewRegistry[F](name)
	for _, i := range r.All() {
		if i.Name != benchname.ImplNaive {
			out.Register(i)
		}
	}
	return out
}

// notGenericT1024 drops the cases at isa=generic on the t1024 shapes.
func notGenericT1024(cs []Case) []Case {
	return Filter(cs, func(c Case) bool {
		return !(c.ISA == cpu.Generic.String() && strings.Contains(c.Shape, ".t1024b1."))
	})
}

// registerGPT2Family registers a family of GPT-2 layers with the gpt2 set.
func registerGPT2Family(name, doc string, cases ...func(opt Options) []Case) {
	registerFamily(name, doc, []string{benchname.SetGPT2}, []string{benchname.SetGPT2}, cases...)
}

func init() {
	gelu := func(t int) elements { return elements{n: t * gpt2Hidden, fwd: shape.OpGELU, bwd: shape.OpGELUBwd} }
	registerGPT2Family(benchname.LayerNorm, "layer normalisation over d = 768 at each of GPT-2 small's positions: forward (saving mean and 1/σ) and backward (dx, dγ, dβ)",
		func(opt Options) []Case {
			return layerCases(benchname.LayerNorm, kernels.LayerNormFwdImpls, gpt2Items("ln", shape.Forward, gpt2LN, lnFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.LayerNorm, kernels.LayerNormBwdImpls, gpt2Items("ln", shape.Backward, gpt2LN, lnBwdOp), opt)
		})
	registerGPT2Family(benchname.GELU, "GELU (tanh approximation) forward and backward over GPT-2 small's MLP activations (3072 per position)",
		func(opt Options) []Case {
			return layerCases(benchname.GELU, kernels.GELUFwdImpls, gpt2Items("gelu", shape.Forward, gelu, geluFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.GELU, kernels.GELUBwdImpls, gpt2Items("gelu", shape.BackwardData, gelu, geluBwdOp), opt)
		})
	registerGPT2Family(benchname.Attention, "fused causal multi-head attention on GPT-2 small's packed QKV (12 heads of 64): forward and backward, scores never stored",
		func(opt Options) []Case {
			return notGenericT1024(layerCases(benchname.Attention, withoutNaive(kernels.AttentionFwdImpls, "attention-fwd"), gpt2Items("attn", shape.Forward, gpt2Attn, attnFwdOp), opt))
		},
		func(opt Options) []Case {
			return notGenericT1024(layerCases(benchname.Attention, withoutNaive(kernels.AttentionBwdImpls, "attention-bwd"), gpt2Items("attn", shape.Backward, gpt2Attn, attnBwdOp), opt))
		})
	registerGPT2Family(benchname.Embedding, "token + position embedding of GPT-2 small (50257 × 768 and 1024 × 768 tables): forward and the deterministic scatter-add backward",
		func(opt Options) []Case {
			return layerCases(benchname.Embedding, kernels.EmbeddingFwdImpls, gpt2Items("wte", shape.Forward, gpt2Emb, embFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.Embedding, kernels.EmbeddingBwdImpls, gpt2Items("wte", shape.Backward, gpt2Emb, embBwdOp), opt)
		})
	registerGPT2Family(benchname.AdamW, "AdamW over one GPT-2 small block's parameters (7.08 M; 2-D weights decayed)",
		func(opt Options) []Case { return layerCases(benchname.AdamW, kernels.AdamWImpls, adamwItems(), opt) })
}
