package kernels_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

func TestEmbeddingFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.EmbeddingFwdImpls, kerneltest.TestEmbeddingFwd)
}

func TestEmbeddingBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.EmbeddingBwdImpls, kerneltest.TestEmbeddingBwd)
}

func TestLayerNormFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.LayerNormFwdImpls, kerneltest.TestLayerNormFwd)
}

func TestLayerNormBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.LayerNormBwdImpls, kerneltest.TestLayerNormBwd)
}

func TestGELUFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.GELUFwdImpls, kerneltest.TestGELUFwd)
}

func TestGELUBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.GELUBwdImpls, kerneltest.TestGELUBwd)
}

// TestAttentionFwdConformance runs the suite at the default tiles and at
// small ones (4×8 and 8×8), so that its short sequences cross many tiles.
func TestAttentionFwdConformance(t *testing.T) {
	for _, tile := range [][2]int{{0, 0}, {4, 8}, {8, 8}} {
		t.Run(fmt.Sprintf("tiles=%dx%d", tile[0], tile[1]), func(t *testing.T) {
			if tile[0] > 0 {
				defer kernels.SetAttnTiles(tile[0], tile[1])()
			}
			forEachImpl(t, kernels.AttentionFwdImpls, kerneltest.TestAttentionFwd)
		})
	}
}

func TestAttentionBwdConformance(t *testing.T) {
	for _, tile := range [][2]int{{0, 0}, {4, 8}, {8, 4}} {
		t.Run(fmt.Sprintf("tiles=%dx%d", tile[0], tile[1]), func(t *testing.T) {
			if tile[0] > 0 {
				defer kernels.SetAttnTiles(tile[0], tile[1])()
			}
			forEachImpl(t, kernels.AttentionBwdImpls, kerneltest.TestAttentionBwd)
		})
	}
}

func TestAdamWConformance(t *testing.T) { forEachImpl(t, kernels.AdamWImpls, kerneltest.TestAdamW) }

func TestClipGradNormConformance(t *testing.T) {
	forEachImpl(t, kernels.ClipGradNormImpls, kerneltest.TestClipGradNorm)
}

// TestTransformerGradients checks the backward implementations of layer
// norm and attention (against every forward implementation) and GELU
// against central differences of their float64 definitions.
func TestTransformerGradients(t *testing.T) {
	t.Run("layernorm", func(t *testing.T) {
		forEachImpl(t, kernels.LayerNormBwdImpls, func(t *testing.T, ctx *kernels.Context, bwd kernels.LayerNormBwdFunc) {
			for _, fwd := range kernels.LayerNormFwdImpls.All() {
				kerneltest.TestLayerNormGradients(t, ctx, fwd.Fn, bwd)
			}
		})
	})
	t.Run("gelu", func(t *testing.T) { forEachImpl(t, kernels.GELUBwdImpls, kerneltest.TestGELUGradients) })
	t.Run("attention", func(t *testing.T) {
		defer kernels.SetAttnTiles(2, 4)()
		forEachImpl(t, kernels.AttentionBwdImpls, func(t *testing.T, ctx *kernels.Context, bwd kernels.AttentionBwdFunc) {
			for _, fwd := range kernels.AttentionFwdImpls.All() {
				kerneltest.TestAttentionGradients(t, ctx, fwd.Fn, bwd)
			}
		})
	})
}

// TestExp32: over every 97th float32 in [−87.33, 88.37] (and the ends),
// exp32 (tfvec's exp1, whose ulp bound package tfvec checks on every
// float32) is within ExpBound32 relative of math.Exp; below the range it is
// 0, NaN gives NaN.
func TestExp32(t *testing.T) {
	var worst float64
	check := func(x float32) {
		want := math.Exp(float64(x))
		got := float64(kernels.Exp32(x))
		if e := math.Abs(got-want) / want; e > worst {
			worst = e
		}
	}
	for _, x := range []float32{-87.33, 88.37, 0, -0.5, 0.5} {
		check(x)
	}
	for b := uint32(0); b < 0x42af_0000; b += 97 { // positive floats up to 87.5
		x := math.Float32frombits(b)
		check(x)
		if x <= 87.33 {
			check(-x)
		}
	}
	for b := uint32(0x42af_0000); b <= math.Float32bits(88.37); b++ {
		check(math.Float32frombits(b))
	}
	if worst > kernels.ExpBound32 {
		t.Errorf("exp32: worst relative error %.3g, bound %.3g", worst, kernels.ExpBound32)
	}
	t.Logf("exp32 worst relative error %.3g u", worst/0x1p-24)
	if kernels.Exp32(-88) != 0 || kernels.Exp32(float32(math.Inf(-1))) != 0 || !math.IsNaN(float64(kernels.Exp32(float32(math.NaN())))) {
		t.Error("exp32: wrong below its range or for NaN")
	}
}

// TestTransformerKernelPanics checks that the transformer kernels refuse
// bad shapes, lengths and token ids with a message naming the call, the
// shape and the argument.
func TestTransformerKernelPanics(t *testing.T) {
	ctx := genericContext(t)
	f := func(n int) []float32 { return make([]float32, n) }
	es := kernels.EmbeddingShape{Batch: 1, T: 2, Vocab: 3, D: 4, Positions: 2}
	ls := kernels.LayerNormShape{Rows: 2, D: 3}
	as := kernels.AttentionShape{Batch: 1, T: 2, Heads: 2, HeadDim: 3}
	checkPanics(t, []panicCase{
		{"emb token", func() { ctx.EmbeddingForward(es, []int32{0, 3}, f(12), f(8), f(8)) }, "EmbeddingForward b1t2v3d4p2: tokens[1] = 3, outside [0, 3)"},
		{"emb negative token", func() { ctx.EmbeddingBackward(es, []int32{-1, 0}, f(8), f(12), f(8)) }, "tokens[0] = -1"},
		{"emb x", func() { ctx.EmbeddingForward(es, []int32{0, 1}, f(12), f(8), f(7)) }, "len(x) = 7, want Batch·T·D = 8"},
		{"emb positions", func() {
			ctx.EmbeddingForward(kernels.EmbeddingShape{Batch: 1, T: 3, Vocab: 3, D: 4, Positions: 2}, nil, nil, nil, nil)
		}, "T = 3, more than the 2 positions"},
		{"emb dwpe", func() { ctx.EmbeddingBackward(es, []int32{0, 1}, f(8), f(12), f(4)) }, "EmbeddingBackward b1t2v3d4p2: len(dwpe) = 4, want Positions·D = 8"},
		{"ln gamma", func() { ctx.LayerNormForward(ls, f(6), f(2), f(3), f(6), f(2), f(2)) }, "LayerNormForward r2d3: len(gamma) = 2, want D = 3"},
		{"ln rstd", func() { ctx.LayerNormForward(ls, f(6), f(3), f(3), f(6), f(2), f(1)) }, "len(rstd) = 1, want Rows = 2"},
		{"ln bwd dbeta", func() {
			ctx.LayerNormBackward(ls, f(6), f(3), f(2), f(2), kernels.LayerNormGrads{DY: f(6), DX: f(6), DGamma: f(3), DBeta: f(4)})
		}, "LayerNormBackward r2d3: len(g.DBeta) = 4"},
		{"ln validate", func() { ctx.LayerNormForward(kernels.LayerNormShape{Rows: 0, D: 3}, nil, nil, nil, nil, nil, nil) }, "Rows = 0, must be ≥ 1"},
		{"gelu y", func() { ctx.GELUForward(f(3), f(2)) }, "GELUForward: len(y) = 2, want len(x) = 3"},
		{"gelu dx", func() { ctx.GELUBackward(f(3), f(3), f(4)) }, "GELUBackward: len(dx) = 4, want len(x) = 3"},
		{"attn qkv", func() { ctx.AttentionForward(as, f(35), f(12), f(4)) }, "AttentionForward b1t2h2d3: len(qkv) = 35, want Batch·T·3·Heads·HeadDim = 36"},
		{"attn lse", func() { ctx.AttentionForward(as, f(36), f(12), f(3)) }, "len(lse) = 3, want Batch·Heads·T = 4"},
		{"attn dqkv", func() { ctx.AttentionBackward(as, f(36), f(12), f(4), f(12), f(12)) }, "AttentionBackward b1t2h2d3: len(dqkv) = 12"},
		{"attn validate", func() {
			ctx.AttentionForward(kernels.AttentionShape{Batch: 1, T: 2, Heads: 0, HeadDim: 3}, nil, nil, nil)
		}, "Heads = 0, must be ≥ 1"},
		{"adamw step", func() { ctx.AdamW(nil, kernels.DefaultAdamW(), 0) }, "AdamW: step t = 0, must be ≥ 1"},
		{"adamw len", func() {
			ctx.AdamW([]kernels.AdamWSlice{{P: f(2), G: f(2), M: f(2), V: f(2)}, {P: f(3), G: f(3), M: f(2), V: f(3)}}, kernels.DefaultAdamW(), 1)
		}, "AdamW: ps[1]: len(P) = 3, len(G) = 3, len(M) = 2"},
		{"clip max", func() { ctx.ClipGradNorm(nil, 0) }, "ClipGradNorm: maxNorm = 0, must be > 0"},
		{"clip nan", func() { ctx.ClipGradNorm(nil, math.NaN()) }, "maxNorm = NaN"},
	})
}

// TestTransformerMethodsDoNotAllocate: the transformer kernels' methods
// allocate nothing after a warm-up call, on one thread and split across
// two.
func TestTransformerMethodsDoNotAllocate(t *testing.T) {
	defer kernels.SetMinBytesPerThread(256)()
	f := func(n int) []float32 { return make([]float32, n) }
	es := kernels.EmbeddingShape{Batch: 2, T: 16, Vocab: 30, D: 48, Positions: 20}
	tok := make([]int32, es.Tokens())
	for i := range tok {
		tok[i] = int32(i % es.Vocab)
	}
	ls := kernels.LayerNormShape{Rows: 40, D: 48}
	as := kernels.AttentionShape{Batch: 1, T: 70, Heads: 2, HeadDim: 8}
	qkv := f(as.QKVLen())
	for i := range qkv {
		qkv[i] = float32(i%13) / 13
	}
	out, lse, dqkv := f(as.OutLen()), f(as.LSELen()), f(as.QKVLen())
	x, y, dx := f(ls.Len()), f(ls.Len()), f(ls.Len())
	gamma, beta, mean, rstd := f(ls.D), f(ls.D), f(ls.Rows), f(ls.Rows)
	lg := kernels.LayerNormGrads{DY: y, DX: dx, DGamma: f(ls.D), DBeta: f(ls.D)}
	wte, wpe, ex := f(es.Vocab*es.D), f(es.Positions*es.D), f(es.Len())
	ps := []kernels.AdamWSlice{{P: f(500), G: f(500), M: f(500), V: f(500), Decay: true}, {P: f(70), G: f(70), M: f(70), V: f(70)}}
	grads := [][]float32{f(500), f(20000)}
	for i := range grads[1] {
		grads[1][i] = 1
	}
	for _, threads := range []int{1, 2} {
		ctx, err := kernels.NewDefaultContext(threads)
		if err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func(){
			"EmbeddingForward":  func() { ctx.EmbeddingForward(es, tok, wte, wpe, ex) },
			"EmbeddingBackward": func() { ctx.EmbeddingBackward(es, tok, ex, wte, wpe) },
			"LayerNormForward":  func() { ctx.LayerNormForward(ls, x, gamma, beta, y, mean, rstd) },
			"LayerNormBackward": func() { ctx.LayerNormBackward(ls, x, gamma, mean, rstd, lg) },
			"AttentionForward":  func() { ctx.AttentionForward(as, qkv, out, lse) },
			"AttentionBackward": func() { ctx.AttentionBackward(as, qkv, out, lse, out, dqkv) },
			"GELUForward":       func() { ctx.GELUForward(x, y) },
			"GELUBackward":      func() { ctx.GELUBackward(x, y, dx) },
			"AdamW":             func() { ctx.AdamW(ps, kernels.DefaultAdamW(), 3) },
			"ClipGradNorm":      func() { ctx.ClipGradNorm(grads, 1e30) },
		} {
			call()
			if a := testing.AllocsPerRun(10, call); a != 0 {
				t.Errorf("threads=%d: %s allocates %v times a call", threads, name, a)
			}
		}
		ctx.Close()
	}
}
