package kernels_test

import (
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

func TestDenseFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.DenseFwdImpls, kerneltest.TestDenseFwd)
}

func TestDenseBwdDataConformance(t *testing.T) {
	forEachImpl(t, kernels.DenseBwdDataImpls, kerneltest.TestDenseBwdData)
}

func TestDenseBwdWeightsConformance(t *testing.T) {
	forEachImpl(t, kernels.DenseBwdWeightsImpls, kerneltest.TestDenseBwdWeights)
}

func TestMaxPoolFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.MaxPoolFwdImpls, kerneltest.TestMaxPoolFwd)
}

func TestMaxPoolBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.MaxPoolBwdImpls, kerneltest.TestMaxPoolBwd)
}

func TestReLUFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.ReLUFwdImpls, kerneltest.TestReLUFwd)
}

func TestReLUBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.ReLUBwdImpls, kerneltest.TestReLUBwd)
}

func TestBiasAddConformance(t *testing.T) {
	forEachImpl(t, kernels.BiasAddImpls, kerneltest.TestBiasAdd)
}

func TestSoftmaxCEConformance(t *testing.T) {
	forEachImpl(t, kernels.SoftmaxCEImpls, func(t *testing.T, ctx *kernels.Context, fn kernels.SoftmaxCEFunc) {
		if strings.HasPrefix(t.Name(), "TestSoftmaxCEConformance/impl=simd/") {
			kerneltest.TestSoftmaxCEFloat32(t, ctx, fn, kernels.SoftmaxCEGradULP)
			return
		}
		kerneltest.TestSoftmaxCE(t, ctx, fn)
	})
}

func TestAdamConformance(t *testing.T) { forEachImpl(t, kernels.AdamImpls, kerneltest.TestAdam) }

func TestSGDMomentumConformance(t *testing.T) {
	forEachImpl(t, kernels.SGDMomentumImpls, kerneltest.TestSGDMomentum)
}

// TestLayerGradients checks every backward implementation against central
// differences of its forward definition.
func TestLayerGradients(t *testing.T) {
	t.Run("dense", func(t *testing.T) {
		forEachImpl(t, kernels.DenseBwdDataImpls, func(t *testing.T, ctx *kernels.Context, bd kernels.DenseBwdDataFunc) {
			for _, bw := range kernels.DenseBwdWeightsImpls.All() {
				kerneltest.TestDenseGradients(t, ctx, bd, bw.Fn)
			}
		})
	})
	t.Run("maxpool", func(t *testing.T) {
		forEachImpl(t, kernels.MaxPoolBwdImpls, func(t *testing.T, ctx *kernels.Context, bwd kernels.MaxPoolBwdFunc) {
			for _, fwd := range kernels.MaxPoolFwdImpls.All() {
				kerneltest.TestMaxPoolGradients(t, ctx, fwd.Fn, bwd)
			}
		})
	})
	t.Run("relu", func(t *testing.T) {
		fwd := lookup(t, kernels.ReLUFwdImpls, "naive")
		forEachImpl(t, kernels.ReLUBwdImpls, func(t *testing.T, ctx *kernels.Context, bwd kernels.ReLUBwdFunc) {
			kerneltest.TestReLUGradient(t, ctx, fwd, bwd)
		})
	})
	t.Run("softmax-ce", func(t *testing.T) {
		forEachImpl(t, kernels.SoftmaxCEImpls, kerneltest.TestSoftmaxCEGradient)
	})
}

// TestLayerContextMethods checks the Context methods the trainer calls, with
// the default thread split and with small inputs split across threads.
func TestLayerContextMethods(t *testing.T) {
	for _, split := range []bool{false, true} {
		name := "default-split"
		if split {
			name = "small-split"
		}
		t.Run(name, func(t *testing.T) {
			if split {
				defer kernels.SetMinBytesPerThread(256)()
			}
			kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
				kerneltest.TestDenseFwd(t, ctx, func(c *kernels.Context, s kernels.DenseShape, x, w, b, y []float32) { c.DenseForward(s, x, w, b, y) })
				kerneltest.TestDenseFwdReLU(t, ctx, func(c *kernels.Context, s kernels.DenseShape, x, w, b, y []float32) {
					c.DenseForwardReLU(s, x, w, b, y)
				})
				kerneltest.TestDenseBwdData(t, ctx, func(c *kernels.Context, s kernels.DenseShape, dy, w, dx []float32) { c.DenseBackwardData(s, dy, w, dx) })
				kerneltest.TestDenseBwdWeights(t, ctx, func(c *kernels.Context, s kernels.DenseShape, x, dy, dw, db []float32) {
					c.DenseBackwardWeights(s, x, dy, dw, db)
				})
				kerneltest.TestMaxPoolFwd(t, ctx, func(c *kernels.Context, s kernels.PoolShape, x, y []float32, arg []int32) {
					c.MaxPoolForward(s, x, y, arg)
				})
				kerneltest.TestMaxPoolBwd(t, ctx, func(c *kernels.Context, s kernels.PoolShape, dy []float32, arg []int32, dx []float32) {
					c.MaxPoolBackward(s, dy, arg, dx)
				})
				kerneltest.TestReLUFwd(t, ctx, func(c *kernels.Context, x, y []float32) { c.ReLUForward(x, y) })
				kerneltest.TestReLUBwd(t, ctx, func(c *kernels.Context, y, dy, dx []float32) { c.ReLUBackward(y, dy, dx) })
				kerneltest.TestBiasAdd(t, ctx, func(c *kernels.Context, y, b []float32, rows int) { c.BiasAdd(y, b, rows) })
				kerneltest.TestSoftmaxCEFloat32(t, ctx, func(c *kernels.Context, batch, classes int, l []float32, lab []int32, d []float32) float32 {
					return c.SoftmaxCrossEntropy(batch, classes, l, lab, d)
				}, kernels.SoftmaxCEGradULP)
				kerneltest.TestAdam(t, ctx, func(c *kernels.Context, p, g, m, v []float32, h kernels.AdamParams, step int) {
					c.Adam(p, g, m, v, h, step)
				})
				kerneltest.TestSGDMomentum(t, ctx, func(c *kernels.Context, p, g, vel []float32, lr, mom float32) {
					c.SGDMomentum(p, g, vel, lr, mom)
				})
			})
		})
	}
}

// TestLayerMethodsDoNotAllocate checks that the Context methods allocate
// nothing after a warm-up call, on one thread and split across two.
func TestLayerMethodsDoNotAllocate(t *testing.T) {
	defer kernels.SetMinBytesPerThread(256)()
	ds := kernels.DenseShape{Batch: 8, In: 40, Out: 10}
	ps := kernels.PoolShape{N: 2, H: 8, W: 8, C: 16, Window: 2, Stride: 2}
	po := kernels.PoolShape{N: 2, H: 7, W: 7, C: 5, Window: 3, Stride: 2}
	f := func(n int) []float32 { return make([]float32, n) }
	x, w, b, y := f(ds.Batch*ds.In), f(ds.In*ds.Out), f(ds.Out), f(ds.Batch*ds.Out)
	px, py, parg := f(ps.InputLen()), f(ps.OutputLen()), make([]int32, ps.OutputLen())
	ox, oy, oarg := f(po.InputLen()), f(po.OutputLen()), make([]int32, po.OutputLen())
	labels := make([]int32, ds.Batch)
	n := 5000
	p, g, m, v := f(n), f(n), f(n), f(n)
	for _, threads := range []int{1, 2} {
		ctx, err := kernels.NewDefaultContext(threads)
		if err != nil {
			t.Fatal(err)
		}
		ctx.MaxPoolForward(ps, px, py, parg) // a valid argmax for MaxPoolBackward, whatever the order below
		for name, call := range map[string]func(){
			"DenseForward":         func() { ctx.DenseForward(ds, x, w, b, y) },
			"DenseForwardReLU":     func() { ctx.DenseForwardReLU(ds, x, w, nil, y) },
			"DenseBackwardData":    func() { ctx.DenseBackwardData(ds, y, w, x) },
			"DenseBackwardWeights": func() { ctx.DenseBackwardWeights(ds, x, y, w, b) },
			"MaxPoolForward":       func() { ctx.MaxPoolForward(ps, px, py, parg) },
			"MaxPoolBackward":      func() { ctx.MaxPoolBackward(ps, py, parg, px) },
			"MaxPoolOverlapping":   func() { ctx.MaxPoolForward(po, ox, oy, oarg); ctx.MaxPoolBackward(po, oy, oarg, ox) },
			"ReLUForward":          func() { ctx.ReLUForward(p, g) },
			"ReLUBackward":         func() { ctx.ReLUBackward(p, g, m) },
			"BiasAdd":              func() { ctx.BiasAdd(y, b, ds.Batch) },
			"SoftmaxCrossEntropy":  func() { ctx.SoftmaxCrossEntropy(ds.Batch, ds.Out, y, labels, y) },
			"Adam":                 func() { ctx.Adam(p, g, m, v, kernels.DefaultAdam(), 3) },
			"SGDMomentum":          func() { ctx.SGDMomentum(p, g, m, 0.01, 0.9) },
		} {
			call()
			if a := testing.AllocsPerRun(10, call); a != 0 {
				t.Errorf("threads=%d: %s allocates %v times a call", threads, name, a)
			}
		}
		ctx.Close()
	}
}

// TestLayerRejectsBadShapes checks that misuse panics with a message naming
// the call, the shape and the argument.
func TestLayerRejectsBadShapes(t *testing.T) {
	ctx := genericContext(t)
	ds := kernels.DenseShape{Batch: 2, In: 3, Out: 4}
	ps := kernels.PoolShape{N: 1, H: 4, W: 4, C: 2, Window: 2, Stride: 2}
	f := func(n int) []float32 { return make([]float32, n) }
	naiveDenseFwd := lookup(t, kernels.DenseFwdImpls, "naive")
	checkPanics(t, []panicCase{
		{"dense x", func() { ctx.DenseForward(ds, f(5), f(12), nil, f(8)) }, "DenseForward b2i3o4: len(x) = 5, want Batch·In = 6"},
		{"dense b", func() { ctx.DenseForwardReLU(ds, f(6), f(12), f(3), f(8)) }, "len(b) = 3, want Out = 4"},
		{"dense dx", func() { ctx.DenseBackwardData(ds, f(8), f(12), f(7)) }, "DenseBackwardData b2i3o4: len(dx) = 7"},
		{"dense db", func() { ctx.DenseBackwardWeights(ds, f(6), f(8), f(12), f(1)) }, "len(db) = 1, want Out = 4"},
		{"dense naive w", func() { naiveDenseFwd(ctx, ds, f(6), f(11), nil, f(8)) }, "dense-fwd naive b2i3o4: len(w) = 11"},
		{"dense validate", func() { ctx.DenseForward(kernels.DenseShape{Batch: 1, In: 0, Out: 1}, nil, nil, nil, f(1)) }, "In = 0, must be ≥ 1"},
		{"pool y", func() { ctx.MaxPoolForward(ps, f(32), f(7), make([]int32, 8)) }, "MaxPoolForward n1h4w4c2_win2st2: len(y) = 7, want N·P·Q·C = 8"},
		{"pool arg", func() { ctx.MaxPoolBackward(ps, f(8), make([]int32, 9), f(32)) }, "len(arg) = 9"},
		{"pool bad arg (generic level)", func() { ctx.MaxPoolBackward(ps, f(8), []int32{99, 0, 0, 0, 0, 0, 0, 0}, f(32)) }, "arg[0] = 99 is outside image 0"},
		{"pool window", func() {
			ctx.MaxPoolForward(kernels.PoolShape{N: 1, H: 2, W: 5, C: 1, Window: 3, Stride: 1}, f(10), f(3), make([]int32, 3))
		}, "window does not fit"},
		{"relu", func() { ctx.ReLUForward(f(3), f(4)) }, "ReLUForward: len(y) = 4, want len(x) = 3"},
		{"relu bwd", func() { ctx.ReLUBackward(f(3), f(3), f(2)) }, "ReLUBackward: len(dx) = 2"},
		{"bias", func() { ctx.BiasAdd(f(7), f(3), 2) }, "BiasAdd: len(y) = 7, want rows·len(b) = 6"},
		{"softmax label", func() { ctx.SoftmaxCrossEntropy(2, 3, f(6), []int32{1, 3}, nil) }, "labels[1] = 3, outside [0, 3)"},
		{"softmax negative label", func() { ctx.SoftmaxCrossEntropy(2, 3, f(6), []int32{-1, 0}, f(6)) }, "labels[0] = -1"},
		{"softmax dlogits", func() { ctx.SoftmaxCrossEntropy(2, 3, f(6), []int32{1, 2}, f(5)) }, "len(dlogits) = 5"},
		{"adam step", func() { ctx.Adam(f(3), f(3), f(3), f(3), kernels.DefaultAdam(), 0) }, "step t = 0, must be ≥ 1"},
		{"adam v", func() { ctx.Adam(f(3), f(3), f(3), f(2), kernels.DefaultAdam(), 1) }, "Adam: len(v) = 2, want len(p) = 3"},
		{"sgd", func() { ctx.SGDMomentum(f(3), f(3), f(4), 0.1, 0.9) }, "SGDMomentum: len(vel) = 4"},
	})
}

// TestElementwiseFormulas pins the FLOP and byte counts of the element-wise
// kernels to their documented per-element figures.
func TestElementwiseFormulas(t *testing.T) {
	for _, c := range []struct {
		op           kernels.ElementwiseOp
		flops, bytes float64
	}{{kernels.OpReLU, 1, 8}, {kernels.OpReLUBwd, 1, 12}, {kernels.OpBiasAdd, 1, 8}, {kernels.OpSoftmaxCE, 5, 8},
		{kernels.OpAdam, 12, 28}, {kernels.OpSGDMomentum, 4, 20}} {
		if f, b := c.op.FLOPs(10), c.op.Bytes(10); f != 10*c.flops || b != 10*c.bytes {
			t.Errorf("%s: FLOPs(10), Bytes(10) = %v, %v, want %v, %v", c.op, f, b, 10*c.flops, 10*c.bytes)
		}
	}
	if f := kernels.ElementwiseOp("nope").FLOPs(5); f != 0 {
		t.Errorf("unknown op: FLOPs %v", f)
	}
}
