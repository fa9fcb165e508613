package kernels_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// stallCheck runs each kernel of a test on a quiet Context, again with one
// thread stalled before every chunk it claims (a worker, then the caller),
// and again in a solo spell (every loop's chunks run on the caller alone,
// as on a busy machine), and fails if any output bit differs: chunk
// boundaries and reduction order must not depend on which thread ran which
// chunk.
type stallCheck struct {
	t   *testing.T
	ctx *kernels.Context
}

// same runs fn (which returns its outputs, freshly computed) quiet and
// stalled and compares the bits.
func (s stallCheck) same(what string, fn func() [][]float32) {
	s.t.Helper()
	want := fn()
	for _, tid := range []int{1, 0, -1} {
		how := fmt.Sprintf("thread %d stalled", tid)
		var restore func()
		if tid < 0 {
			how, restore = "solo spell", s.ctx.SoloSpell(time.Hour)
		} else {
			restore = s.ctx.StallThread(tid, 300*time.Microsecond)
		}
		got := fn()
		restore()
		for o := range want {
			for i := range want[o] {
				if math.Float32bits(got[o][i]) != math.Float32bits(want[o][i]) {
					s.t.Fatalf("%s, %s: output %d[%d] = %v, quiet %v", what, how, o, i, got[o][i], want[o][i])
				}
			}
		}
	}
}

func randSlice(n int, seed uint64) []float32 {
	v := make([]float32, n)
	kerneltest.Fill(kerneltest.Rand(seed), v)
	return v
}

// TestStalledThreadDoesNotChangeResults covers SGEMM on odd shapes (k beyond
// a KC block too), every conv implementation's three passes, the layer
// kernels, batch-norm, and the transformer's kernels and optimizer, at 2 and
// 3 threads.
func TestStalledThreadDoesNotChangeResults(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	defer kernels.SetMinBytesPerThread(256)()
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		if ctx.Threads() < 2 {
			t.Skip("one thread has no peer to stall")
		}
		s := stallCheck{t, ctx}
		for _, sh := range [][3]int{{157, 301, 413}, {1000, 40, 64}, {37, 1500, 200}, {250, 130, 1100}} {
			m, n, k := sh[0], sh[1], sh[2]
			a, b, c0 := randSlice(m*k, 1), randSlice(k*n, 2), randSlice(m*n, 3)
			s.same(fmt.Sprintf("sgemm %dx%dx%d", m, n, k), func() [][]float32 {
				c := append([]float32(nil), c0...)
				ctx.Sgemm(kernels.NoTrans, kernels.Trans, m, n, k, 1.5, a, k, b, k, 0.5, c, n)
				return [][]float32{c}
			})
		}
		convs := []kernels.Conv2DShape{
			{N: 4, H: 12, W: 12, C: 8, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
			{N: 3, H: 28, W: 28, C: 1, K: 32, R: 5, S: 5, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
			{N: 2, H: 9, W: 11, C: 17, K: 33, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
			// Tiles enough for winograd's groups per thread.
			{N: 4, H: 40, W: 39, C: 6, K: 10, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		}
		for _, cs := range convs {
			x, w, bias := randSlice(cs.InputLen(), 4), randSlice(cs.WeightLen(), 5), randSlice(cs.K, 6)
			dy := randSlice(cs.OutputLen(), 7)
			for _, impl := range kernels.Conv2DFwdImpls.All() {
				s.same(fmt.Sprintf("conv fwd %s %v", impl.Name, cs), func() [][]float32 {
					y := make([]float32, cs.OutputLen())
					impl.Fn(ctx, cs, x, w, bias, y)
					return [][]float32{y}
				})
			}
			for _, impl := range kernels.Conv2DBwdDataImpls.All() {
				s.same(fmt.Sprintf("conv bwd-data %s %v", impl.Name, cs), func() [][]float32 {
					dx := make([]float32, cs.InputLen())
					impl.Fn(ctx, cs, dy, w, dx)
					return [][]float32{dx}
				})
			}
			for _, impl := range kernels.Conv2DBwdWeightsImpls.All() {
				s.same(fmt.Sprintf("conv bwd-weights %s %v", impl.Name, cs), func() [][]float32 {
					dw, db := make([]float32, cs.WeightLen()), make([]float32, cs.K)
					impl.Fn(ctx, cs, x, dy, dw, db)
					return [][]float32{dw, db}
				})
			}
		}
		ds := kernels.DenseShape{Batch: 33, In: 70, Out: 45}
		dx, dw, dbias := randSlice(ds.Batch*ds.In, 8), randSlice(ds.In*ds.Out, 9), randSlice(ds.Out, 10)
		ddy := randSlice(ds.Batch*ds.Out, 11)
		s.same("dense", func() [][]float32 {
			y, gx := make([]float32, ds.Batch*ds.Out), make([]float32, ds.Batch*ds.In)
			gw, gb := make([]float32, ds.In*ds.Out), make([]float32, ds.Out)
			ctx.DenseForwardReLU(ds, dx, dw, dbias, y)
			ctx.DenseBackwardData(ds, ddy, dw, gx)
			ctx.DenseBackwardWeights(ds, dx, ddy, gw, gb)
			return [][]float32{y, gx, gw, gb}
		})
		const batch, classes = 300, 17
		logits := randSlice(batch*classes, 12)
		labels := make([]int32, batch)
		for i := range labels {
			labels[i] = int32(i * 7 % classes)
		}
		s.same("softmax cross-entropy", func() [][]float32 {
			d := make([]float32, batch*classes)
			loss := ctx.SoftmaxCrossEntropy(batch, classes, logits, labels, d)
			return [][]float32{{loss}, d}
		})
		v := randSlice(5000, 13)
		s.same("relu, bias add", func() [][]float32 {
			y, g := make([]float32, len(v)), make([]float32, len(v))
			ctx.ReLUForward(v, y)
			ctx.ReLUBackward(y, v, g)
			ctx.BiasAdd(y, v[:50], 100)
			return [][]float32{y, g}
		})
		ps := kernels.PoolShape{N: 3, H: 12, W: 12, C: 16, Window: 2, Stride: 2}
		px, pdy := randSlice(ps.InputLen(), 14), randSlice(ps.OutputLen(), 15)
		s.same("max-pool", func() [][]float32 {
			y, arg, g := make([]float32, ps.OutputLen()), make([]int32, ps.OutputLen()), make([]float32, ps.InputLen())
			ctx.MaxPoolForward(ps, px, y, arg)
			ctx.MaxPoolBackward(ps, pdy, arg, g)
			return [][]float32{y, g}
		})
		s.same("adam, sgd", func() [][]float32 {
			p, m, vv := append([]float32(nil), v...), make([]float32, len(v)), make([]float32, len(v))
			ctx.Adam(p, v, m, vv, kernels.DefaultAdam(), 3)
			q, vel := append([]float32(nil), v...), make([]float32, len(v))
			ctx.SGDMomentum(q, v, vel, 0.01, 0.9)
			return [][]float32{p, m, vv, q, vel}
		})
		for _, bs := range []kernels.BatchNormShape{{N: 3, H: 9, W: 7, C: 24, ReLU: true}, {N: 2, H: 5, W: 5, C: 40, Residual: true, ReLU: true}} {
			bx, res, bdy := randSlice(bs.Rows()*bs.C, 20), randSlice(bs.Rows()*bs.C, 21), randSlice(bs.Rows()*bs.C, 22)
			gamma, beta := randSlice(bs.C, 23), randSlice(bs.C, 24)
			s.same(fmt.Sprintf("batch-norm %+v", bs), func() [][]float32 {
				f := func() []float32 { return make([]float32, bs.C) }
				st := &kernels.BatchNormState{Gamma: gamma, Beta: beta, RunMean: f(), RunVar: f(), Mean: f(), InvStd: f(), DGamma: f(), DBeta: f()}
				var r, dres []float32
				if bs.Residual {
					r, dres = res, make([]float32, len(res))
				}
				y, dx := make([]float32, len(bx)), make([]float32, len(bx))
				ctx.BatchNormForward(bs, bx, r, y, st)
				ctx.BatchNormBackward(bs, bx, kernels.BatchNormGrads{DY: bdy, Y: y, DX: dx, DRes: dres}, st)
				return [][]float32{y, dx, dres, st.RunMean, st.RunVar, st.DGamma, st.DBeta}
			})
		}
		ls := kernels.LayerNormShape{Rows: 37, D: 96}
		lx, ldy, lg, lb := randSlice(ls.Len(), 25), randSlice(ls.Len(), 26), randSlice(ls.D, 27), randSlice(ls.D, 28)
		s.same("layer-norm", func() [][]float32 {
			y, mean, rstd := make([]float32, ls.Len()), make([]float32, ls.Rows), make([]float32, ls.Rows)
			ctx.LayerNormForward(ls, lx, lg, lb, y, mean, rstd)
			g := kernels.LayerNormGrads{DY: ldy, DX: make([]float32, ls.Len()), DGamma: make([]float32, ls.D), DBeta: make([]float32, ls.D)}
			ctx.LayerNormBackward(ls, lx, lg, mean, rstd, g)
			return [][]float32{y, mean, rstd, g.DX, g.DGamma, g.DBeta}
		})
		as := kernels.AttentionShape{Batch: 2, T: 19, Heads: 3, HeadDim: 16}
		qkv, dout := randSlice(as.QKVLen(), 29), randSlice(as.OutLen(), 30)
		s.same("attention, gelu", func() [][]float32 {
			out, lse, dqkv := make([]float32, as.OutLen()), make([]float32, as.LSELen()), make([]float32, as.QKVLen())
			ctx.AttentionForward(as, qkv, out, lse)
			ctx.AttentionBackward(as, qkv, out, lse, dout, dqkv)
			gy, gdx := make([]float32, len(dout)), make([]float32, len(dout))
			ctx.GELUForward(dout, gy)
			ctx.GELUBackward(dout, out, gdx)
			return [][]float32{out, lse, dqkv, gy, gdx}
		})
		s.same("adamw, gradient clipping", func() [][]float32 {
			g := append([]float32(nil), v...)
			norm := ctx.ClipGradNorm([][]float32{g}, 0.5)
			p, m, vv := append([]float32(nil), v...), make([]float32, len(v)), make([]float32, len(v))
			ctx.AdamW([]kernels.AdamWSlice{{P: p, G: g, M: m, V: vv, Decay: true}}, kernels.DefaultAdamW(), 2)
			return [][]float32{g, p, m, vv, {float32(norm)}}
		})
		es := kernels.EmbeddingShape{Batch: 2, T: 13, Vocab: 50, D: 24, Positions: 16}
		toks := make([]int32, es.Batch*es.T)
		for i := range toks {
			toks[i] = int32(i * 7 % 11) // repeats, so the backward sums several rows into one
		}
		wte, wpe, edy := randSlice(es.Vocab*es.D, 31), randSlice(es.Positions*es.D, 32), randSlice(es.Batch*es.T*es.D, 33)
		s.same("embedding", func() [][]float32 {
			x, dwte, dwpe := make([]float32, es.Batch*es.T*es.D), make([]float32, len(wte)), make([]float32, len(wpe))
			ctx.EmbeddingForward(es, toks, wte, wpe, x)
			ctx.EmbeddingBackward(es, toks, edy, dwte, dwpe)
			return [][]float32{x, dwte, dwpe}
		})
	})
}
