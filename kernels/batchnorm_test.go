package kernels_test

import (
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

func TestBatchNormFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.BatchNormFwdImpls, kerneltest.TestBatchNormFwd)
}

func TestBatchNormInferConformance(t *testing.T) {
	forEachImpl(t, kernels.BatchNormInferImpls, kerneltest.TestBatchNormInfer)
}

func TestBatchNormBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.BatchNormBwdImpls, kerneltest.TestBatchNormBwd)
}

// TestBatchNormTiled runs the fast passes with the smallest tiles of rows
// (8), so that the sums walk every chunk in several tiles.
func TestBatchNormTiled(t *testing.T) {
	defer kernels.SetBNTileBytes(1)()
	fwd, bwd := lookup(t, kernels.BatchNormFwdImpls, "simd"), lookup(t, kernels.BatchNormBwdImpls, "simd")
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		kerneltest.TestBatchNormFwd(t, ctx, fwd)
		kerneltest.TestBatchNormBwd(t, ctx, bwd)
	})
}

func TestBatchNormRunningStats(t *testing.T) {
	forEachImpl(t, kernels.BatchNormFwdImpls, kerneltest.TestBatchNormRunningStats)
}

func TestAddFwdConformance(t *testing.T) { forEachImpl(t, kernels.AddFwdImpls, kerneltest.TestAddFwd) }

func TestAddBwdConformance(t *testing.T) { forEachImpl(t, kernels.AddBwdImpls, kerneltest.TestAddBwd) }

func TestGlobalAvgPoolFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.GlobalAvgPoolFwdImpls, kerneltest.TestGlobalAvgPoolFwd)
}

func TestGlobalAvgPoolBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.GlobalAvgPoolBwdImpls, kerneltest.TestGlobalAvgPoolBwd)
}

// TestResNetGradients checks the backward implementations of batch norm
// (with each fusion, against every forward implementation), the add and
// global average pooling against central differences.
func TestResNetGradients(t *testing.T) {
	t.Run("batchnorm", func(t *testing.T) {
		forEachImpl(t, kernels.BatchNormBwdImpls, func(t *testing.T, ctx *kernels.Context, bwd kernels.BatchNormBwdFunc) {
			for _, fwd := range kernels.BatchNormFwdImpls.All() {
				kerneltest.TestBatchNormGradients(t, ctx, fwd.Fn, bwd)
			}
		})
	})
	t.Run("add", func(t *testing.T) { forEachImpl(t, kernels.AddBwdImpls, kerneltest.TestAddGradients) })
	t.Run("global-avgpool", func(t *testing.T) {
		forEachImpl(t, kernels.GlobalAvgPoolBwdImpls, kerneltest.TestGlobalAvgPoolGradients)
	})
}

// TestResNetKernelPanics checks that the batch-norm, add, global-avgpool
// and padded max-pool kernels refuse bad shapes and lengths with a message
// naming the call, the shape and the argument.
func TestResNetKernelPanics(t *testing.T) {
	ctx := genericContext(t)
	s := kernels.BatchNormShape{N: 1, H: 2, W: 2, C: 3}
	f := func(n int) []float32 { return make([]float32, n) }
	st := func() *kernels.BatchNormState {
		return &kernels.BatchNormState{Gamma: f(3), Beta: f(3), RunMean: f(3), RunVar: f(3), Mean: f(3), InvStd: f(3), DGamma: f(3), DBeta: f(3)}
	}
	short := st()
	short.RunVar = f(2)
	relu := s
	relu.ReLU = true
	add := s
	add.Residual = true
	gs := kernels.GlobalAvgPoolShape{N: 2, H: 2, W: 2, C: 3}
	naiveBN := lookup(t, kernels.BatchNormFwdImpls, "naive")
	checkPanics(t, []panicCase{
		{"bn x", func() { ctx.BatchNormForward(s, f(11), nil, f(12), st()) }, "BatchNormForward n1h2w2c3: len(x) = 11, want N·H·W·C = 12"},
		{"bn y", func() { ctx.BatchNormInference(s, f(12), nil, f(13), st()) }, "BatchNormInference n1h2w2c3: len(y) = 13"},
		{"bn validate", func() { ctx.BatchNormForward(kernels.BatchNormShape{N: 1, H: 0, W: 2, C: 3}, nil, nil, nil, st()) }, "H = 0, must be ≥ 1"},
		{"bn one value", func() { ctx.BatchNormForward(kernels.BatchNormShape{N: 1, H: 1, W: 1, C: 3}, f(3), nil, f(3), st()) }, "N·H·W = 1, training needs at least two values"},
		{"bn run var", func() { ctx.BatchNormForward(s, f(12), nil, f(12), short) }, "len(st.RunVar) = 2, want C = 3"},
		{"bn nil state", func() { ctx.BatchNormForward(s, f(12), nil, f(12), nil) }, "BatchNormForward: nil state st"},
		{"bn res missing", func() { ctx.BatchNormForward(add, f(12), nil, f(12), st()) }, "n1h2w2c3_add: len(res) = 0, want N·H·W·C = 12"},
		{"bn res unwanted", func() { ctx.BatchNormForward(s, f(12), f(12), f(12), st()) }, "res given (len 12) but the shape has no Residual"},
		{"bn naive", func() { naiveBN(ctx, s, f(12), nil, f(12), short) }, "batchnorm-fwd naive n1h2w2c3: len(st.RunVar) = 2"},
		{"bn bwd dx", func() { ctx.BatchNormBackward(s, f(12), kernels.BatchNormGrads{DY: f(12), DX: f(1)}, st()) }, "BatchNormBackward n1h2w2c3: len(g.DX) = 1"},
		{"bn bwd y", func() { ctx.BatchNormBackward(relu, f(12), kernels.BatchNormGrads{DY: f(12), DX: f(12)}, st()) }, "len(g.Y) = 0, want N·H·W·C = 12"},
		{"bn bwd dres", func() {
			ctx.BatchNormBackward(add, f(12), kernels.BatchNormGrads{DY: f(12), DX: f(12), DRes: f(11)}, st())
		}, "len(g.DRes) = 11"},
		{"add y", func() { ctx.AddForward(f(3), f(3), f(2)) }, "AddForward: len(y) = 2, want len(a) = 3"},
		{"add bwd db", func() { ctx.AddBackward(f(3), f(3), f(4), true) }, "AddBackward: len(db) = 4, want len(dy) = 3"},
		{"gap y", func() { ctx.GlobalAvgPoolForward(gs, f(24), f(5)) }, "GlobalAvgPoolForward n2h2w2c3: len(y) = 5, want N·C = 6"},
		{"gap dx", func() { ctx.GlobalAvgPoolBackward(gs, f(6), f(23)) }, "GlobalAvgPoolBackward n2h2w2c3: len(dx) = 23, want N·H·W·C = 24"},
		{"gap validate", func() { ctx.GlobalAvgPoolForward(kernels.GlobalAvgPoolShape{N: 1, H: 1, W: 1, C: 0}, nil, nil) }, "C = 0, must be ≥ 1"},
		{"pool pad", func() {
			ctx.MaxPoolForward(kernels.PoolShape{N: 1, H: 4, W: 4, C: 1, Window: 3, Stride: 2, Pad: 2}, f(16), f(9), make([]int32, 9))
		}, "Pad = 2: more than half the window 3"},
		{"pool padded y", func() {
			ctx.MaxPoolForward(kernels.PoolShape{N: 1, H: 4, W: 4, C: 1, Window: 3, Stride: 2, Pad: 1}, f(16), f(3), make([]int32, 4))
		}, "n1h4w4c1_win3st2_pad1: len(y) = 3, want N·P·Q·C = 4"},
	})
}

// TestResNetMethodsDoNotAllocate: the batch-norm, add, global-avgpool and
// padded max-pool methods allocate nothing after a warm-up call, on one
// thread and split across two.
func TestResNetMethodsDoNotAllocate(t *testing.T) {
	defer kernels.SetMinBytesPerThread(256)()
	f := func(n int) []float32 { return make([]float32, n) }
	bs := kernels.BatchNormShape{N: 2, H: 6, W: 5, C: 24, ReLU: true, Residual: true}
	x, res, y, dy, dx, dres := f(bs.Len()), f(bs.Len()), f(bs.Len()), f(bs.Len()), f(bs.Len()), f(bs.Len())
	st := &kernels.BatchNormState{Gamma: f(bs.C), Beta: f(bs.C), RunMean: f(bs.C), RunVar: f(bs.C), Mean: f(bs.C), InvStd: f(bs.C), DGamma: f(bs.C), DBeta: f(bs.C)}
	for i := range x {
		x[i] = float32(i % 7)
	}
	gs := kernels.GlobalAvgPoolShape{N: 3, H: 4, W: 4, C: 20}
	gx, gy := f(gs.InputLen()), f(gs.OutputLen())
	ps := kernels.PoolShape{N: 2, H: 9, W: 9, C: 8, Window: 3, Stride: 2, Pad: 1}
	px, py, parg := f(ps.InputLen()), f(ps.OutputLen()), make([]int32, ps.OutputLen())
	for _, threads := range []int{1, 2} {
		ctx, err := kernels.NewDefaultContext(threads)
		if err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func(){
			"BatchNormForward":   func() { ctx.BatchNormForward(bs, x, res, y, st) },
			"BatchNormInference": func() { ctx.BatchNormInference(bs, x, res, y, st) },
			"BatchNormBackward": func() {
				ctx.BatchNormBackward(bs, x, kernels.BatchNormGrads{DY: dy, Y: y, DX: dx, DRes: dres}, st)
			},
			"AddForward":            func() { ctx.AddForward(x, res, y) },
			"AddBackward":           func() { ctx.AddBackward(dy, dx, dres, true) },
			"GlobalAvgPoolForward":  func() { ctx.GlobalAvgPoolForward(gs, gx, gy) },
			"GlobalAvgPoolBackward": func() { ctx.GlobalAvgPoolBackward(gs, gy, gx) },
			"MaxPoolForward padded": func() { ctx.MaxPoolForward(ps, px, py, parg) },
		} {
			call()
			if a := testing.AllocsPerRun(10, call); a != 0 {
				t.Errorf("threads=%d: %s allocates %v times a call", threads, name, a)
			}
		}
		ctx.Close()
	}
}
