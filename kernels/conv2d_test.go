package kernels_test

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

func TestConv2DFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.Conv2DFwdImpls, kerneltest.TestConv2DFwd)
}

func TestConv2DBwdDataConformance(t *testing.T) {
	forEachImpl(t, kernels.Conv2DBwdDataImpls, kerneltest.TestConv2DBwdData)
}

func TestConv2DBwdDataAddConformance(t *testing.T) {
	forEachImpl(t, kernels.Conv2DBwdDataAddImpls, kerneltest.TestConv2DBwdDataAdd)
}

func TestConv2DBwdWeightsConformance(t *testing.T) {
	forEachImpl(t, kernels.Conv2DBwdWeightsImpls, kerneltest.TestConv2DBwdWeights)
}

// TestConv2DContextMethods checks the per-shape dispatch of the Context
// methods, including the fused forward+ReLU.
func TestConv2DContextMethods(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	defer kerneltest.SetExtraError(kernels.WinogradError)() // the Context runs some shapes by winograd
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		t.Run("fwd", func(t *testing.T) {
			kerneltest.TestConv2DFwd(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, w, b, y []float32) {
				c.Conv2DForward(s, x, w, b, y)
			})
		})
		t.Run("fwd-relu", func(t *testing.T) {
			kerneltest.TestConv2DFwdReLU(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, w, b, y []float32) {
				c.Conv2DForwardReLU(s, x, w, b, y)
			})
		})
		t.Run("bwd-data", func(t *testing.T) {
			kerneltest.TestConv2DBwdData(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, dy, w, dx []float32) {
				c.Conv2DBackwardData(s, dy, w, dx)
			})
		})
		t.Run("bwd-data-add", func(t *testing.T) {
			kerneltest.TestConv2DBwdDataAdd(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, dy, w, dx []float32) {
				c.Conv2DBackwardDataAdd(s, dy, w, dx)
			})
		})
		t.Run("bwd-weights", func(t *testing.T) {
			kerneltest.TestConv2DBwdWeights(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, dy, dw, db []float32) {
				c.Conv2DBackwardWeights(s, x, dy, dw, db)
			})
		})
	})
}

// TestConv2DDirectChunked runs the direct forward and backward-data passes
// with a tiny chunk budget, so that the reduction splits into many chunks
// (several taps, one tap, parts of a tap's channels) accumulated in the
// output, and the bias and ReLU still apply once.
func TestConv2DDirectChunked(t *testing.T) {
	defer kernels.SetConvChunkBytes(200)()
	fwd, bwdData := lookup(t, kernels.Conv2DFwdImpls, "direct"), lookup(t, kernels.Conv2DBwdDataImpls, "direct")
	bwdDataAdd := lookup(t, kernels.Conv2DBwdDataAddImpls, "direct")
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		if ctx.Threads() == 3 {
			t.Skip("covered by threads=2")
		}
		kerneltest.TestConv2DFwd(t, ctx, fwd)
		kerneltest.TestConv2DFwdReLU(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, w, b, y []float32) {
			c.Conv2DForwardReLU(s, x, w, b, y)
		})
		kerneltest.TestConv2DBwdData(t, ctx, bwdData)
		kerneltest.TestConv2DBwdDataAdd(t, ctx, bwdDataAdd)
	})
}

// TestConv2DDirectBwdWeightsBands runs the direct backward-weights pass with
// bands of one output row (tiny band and panel budgets), so that bands split
// images, the packed and gathered band buffers are refilled row by row, and
// the partial sums accumulate across many bands.
func TestConv2DDirectBwdWeightsBands(t *testing.T) {
	defer kernels.SetConvDWBandBytes(1, 1)()
	bw := lookup(t, kernels.Conv2DBwdWeightsImpls, "direct")
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		kerneltest.TestConv2DBwdWeights(t, ctx, bw)
	})
}

// TestConv2DGradients checks every backward implementation against central
// differences of the forward definition.
func TestConv2DGradients(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	for _, bd := range kernels.Conv2DBwdDataImpls.All() {
		bw, err := kernels.Conv2DBwdWeightsImpls.Lookup(bd.Name)
		if err != nil {
			t.Fatalf("backward-data impl %s has no backward-weights twin: %v", bd.Name, err)
		}
		t.Run("impl="+bd.Name, func(t *testing.T) {
			kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
				skipIfISAIndependent(t, bd.Mode, ctx)
				defer kerneltest.SetExtraError(bd.Error)()
				if testing.Short() && ctx.Threads() == 3 {
					t.Skip("short")
				}
				kerneltest.TestConv2DGradients(t, ctx, bd.Fn, bw.Fn)
			})
		})
	}
	// The accumulating backward-data pass, from a zero dx.
	for _, bd := range kernels.Conv2DBwdDataAddImpls.All() {
		bw, err := kernels.Conv2DBwdWeightsImpls.Lookup(bd.Name)
		if err != nil {
			t.Fatalf("backward-data-add impl %s has no backward-weights twin: %v", bd.Name, err)
		}
		t.Run("add/impl="+bd.Name, func(t *testing.T) {
			kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
				skipIfISAIndependent(t, bd.Mode, ctx)
				if testing.Short() && ctx.Threads() == 3 {
					t.Skip("short")
				}
				kerneltest.TestConv2DGradients(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, dy, w, dx []float32) {
					clear(dx)
					bd.Fn(c, s, dy, w, dx)
				}, bw.Fn)
			})
		})
	}
}

// TestConv2DDeterministic checks that each implementation gives bit-identical
// results for a given thread count, call after call.
func TestConv2DDeterministic(t *testing.T) {
	s := kernels.Conv2DShape{N: 3, H: 15, W: 14, C: 19, K: 40, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	if testing.Short() {
		s.N, s.H, s.W = 2, 8, 7
	}
	rng := kerneltest.Rand(11)
	x, w, b, dy := make([]float32, s.InputLen()), make([]float32, s.WeightLen()), make([]float32, s.K), make([]float32, s.OutputLen())
	for _, v := range [][]float32{x, w, b, dy} {
		kerneltest.Fill(rng, v)
	}
	same := func(t *testing.T, what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				t.Fatalf("%s differs at %d: %v vs %v", what, i, a[i], b[i])
			}
		}
	}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		for _, impl := range kernels.Conv2DFwdImpls.All() {
			y1, y2 := make([]float32, s.OutputLen()), make([]float32, s.OutputLen())
			impl.Fn(ctx, s, x, w, b, y1)
			impl.Fn(ctx, s, x, w, b, y2)
			same(t, "fwd "+impl.Name, y1, y2)
		}
		for _, impl := range kernels.Conv2DBwdDataImpls.All() {
			d1, d2 := make([]float32, s.InputLen()), make([]float32, s.InputLen())
			impl.Fn(ctx, s, dy, w, d1)
			impl.Fn(ctx, s, dy, w, d2)
			same(t, "bwd-data "+impl.Name, d1, d2)
		}
		for _, impl := range kernels.Conv2DBwdWeightsImpls.All() {
			w1, w2 := make([]float32, s.WeightLen()), make([]float32, s.WeightLen())
			b1, b2 := make([]float32, s.K), make([]float32, s.K)
			impl.Fn(ctx, s, x, dy, w1, b1)
			impl.Fn(ctx, s, x, dy, w2, b2)
			same(t, "bwd-weights dw "+impl.Name, w1, w2)
			same(t, "bwd-weights db "+impl.Name, b1, b2)
		}
	})
}

// TestConv2DRejectsBadShapes checks that slice-length mismatches and invalid
// shapes panic with a message naming the call, the shape and the argument.
func TestConv2DRejectsBadShapes(t *testing.T) {
	ctx := genericContext(t)
	s := kernels.Conv2DShape{N: 2, H: 5, W: 5, C: 3, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	x, w, b, y := make([]float32, s.InputLen()), make([]float32, s.WeightLen()), make([]float32, s.K), make([]float32, s.OutputLen())
	bad := s
	bad.StrideW = 0
	im2colFwd := lookup(t, kernels.Conv2DFwdImpls, "im2col")
	naiveBwdData := lookup(t, kernels.Conv2DBwdDataImpls, "naive")
	im2colBwdWeights := lookup(t, kernels.Conv2DBwdWeightsImpls, "im2col")
	checkPanics(t, []panicCase{
		{"x", func() { ctx.Conv2DForward(s, x[1:], w, b, y) }, "Conv2DForward n2h5w5c3_k4r3s3_st1x1_pad0x0: len(x) = 149, want N·H·W·C = 150"},
		{"bias", func() { ctx.Conv2DForwardReLU(s, x, w, b[:3], y) }, "len(bias) = 3, want K = 4"},
		{"y", func() { im2colFwd(ctx, s, x, w, nil, y[:5]) }, "conv2d-fwd im2col n2h5w5c3_k4r3s3_st1x1_pad0x0: len(y) = 5"},
		{"dx", func() { ctx.Conv2DBackwardData(s, y, w, x[:7]) }, "len(dx) = 7, want N·H·W·C = 150"},
		{"dy", func() { naiveBwdData(ctx, s, y[:3], w, x) }, "conv2d-bwd-data naive n2h5w5c3_k4r3s3_st1x1_pad0x0: len(dy) = 3"},
		{"dw", func() { ctx.Conv2DBackwardWeights(s, x, y, w[:1], b) }, "len(dw) = 1, want K·R·S·C = 108"},
		{"db", func() { im2colBwdWeights(ctx, s, x, y, w, b[:1]) }, "conv2d-bwd-weights im2col n2h5w5c3_k4r3s3_st1x1_pad0x0: len(db) = 1, want K = 4"},
		{"validate", func() { ctx.Conv2DForward(bad, x, w, b, y) }, "StrideW = 0, must be ≥ 1"},
	})
}

// TestConv2DDoesNotAllocate checks that the conv2d Context methods allocate
// nothing once a first call of the same shape has sized the Context's
// buffers (a training step calls them thousands of times): the seed CNN's
// conv layers (at a small batch), a stride-2 padded layer, a pointwise one,
// one whose backward-weights pass the Context runs through im2col, and one
// it runs by winograd (whose products go to whichever thread is free); and
// the im2col forward and backward-data passes, which it does not pick here.
func TestConv2DDoesNotAllocate(t *testing.T) {
	layers, err := workload.SeedCNN().Resolve(2)
	if err != nil {
		t.Fatal(err)
	}
	var shapes []kernels.Conv2DShape
	for _, l := range layers {
		if l.Conv != nil {
			shapes = append(shapes, *l.Conv)
		}
	}
	if len(shapes) != 2 {
		t.Fatalf("the seed CNN has %d conv layers, want 2", len(shapes))
	}
	sq := func(n, hw, c, k, rs, stride, pad int) kernels.Conv2DShape {
		return kernels.Conv2DShape{N: n, H: hw, W: hw, C: c, K: k, R: rs, S: rs, StrideH: stride, StrideW: stride,
			PadH: pad, PadW: pad, DilH: 1, DilW: 1}
	}
	shapes = append(shapes,
		sq(2, 15, 24, 40, 3, 2, 1),  // stride 2, padded: four phases in backward-data
		sq(2, 7, 48, 36, 1, 1, 0),   // pointwise
		sq(2, 9, 64, 64, 3, 1, 1),   // winograd
		sq(1, 9, 128, 256, 3, 2, 1), // backward-weights through im2col
	)
	if s := shapes[len(shapes)-1]; !kernels.ConvPrefersIm2colBwdWeights(s) || kernels.WinogradChosen(s) {
		t.Fatal("the last shape no longer takes the im2col path; pick another")
	}
	if !kernels.WinogradChosen(shapes[len(shapes)-2]) {
		t.Fatal("the winograd shape no longer takes winograd; pick another")
	}
	// The im2col passes the Context does not pick for these shapes.
	fwd, err1 := kernels.Conv2DFwdImpls.Lookup("im2col")
	bwdData, err2 := kernels.Conv2DBwdDataImpls.Lookup("im2col")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		for _, s := range shapes {
			f := func(n int) []float32 { return make([]float32, n) }
			x, w, b, y := f(s.InputLen()), f(s.WeightLen()), f(s.K), f(s.OutputLen())
			for name, call := range map[string]func(){
				"fwd":             func() { ctx.Conv2DForward(s, x, w, b, y) },
				"fwd-relu":        func() { ctx.Conv2DForwardReLU(s, x, w, nil, y) },
				"bwd-data":        func() { ctx.Conv2DBackwardData(s, y, w, x) },
				"bwd-weights":     func() { ctx.Conv2DBackwardWeights(s, x, y, w, b) },
				"im2col fwd":      func() { fwd.Fn(ctx, s, x, w, b, y) },
				"im2col bwd-data": func() { bwdData.Fn(ctx, s, y, w, x) },
			} {
				call()
				// Finish any GC cycle the buffers above started (its
				// background workers' allocations count in AllocsPerRun),
				// then call again: a GC empties the runtime's caches of
				// wait records (sudogs), which threads that park refill.
				runtime.GC()
				for range 3 {
					call()
				}
				if a := testing.AllocsPerRun(10, call); a != 0 {
					t.Errorf("%s %v: %v allocations a call", name, s, a)
				}
			}
		}
	})
}

// TestConv2DWinogradChosen pins where the Context methods run winograd:
// on a 3×3 stride-1 layer of 64 channels and 10×9 outputs the forward,
// backward-data and backward-weights passes equal the winograd
// implementation's bit for bit at every level above generic (and the direct
// one's at generic); a 3×3 layer of 32 input channels (the seed CNN's
// second) stays direct.
func TestConv2DWinogradChosen(t *testing.T) {
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		for _, tc := range []struct {
			s    kernels.Conv2DShape
			wino bool
		}{
			{kernels.Conv2DShape{N: 2, H: 10, W: 9, C: 64, K: 72, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}, true},
			{kernels.Conv2DShape{N: 2, H: 13, W: 13, C: 32, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}, false},
		} {
			s := tc.s
			want := "direct"
			if tc.wino && ctx.ISA() != cpu.Generic {
				want = "winograd"
			}
			for pass, w := range map[shape.Pass]string{shape.Forward: want, shape.BackwardData: want, shape.BackwardWeights: want} {
				if got := ctx.Conv2DImpl(s, pass); got != w {
					t.Errorf("%v %v: Conv2DImpl says %s, want %s", s, pass, got, w)
				}
			}
			fwd := lookup(t, kernels.Conv2DFwdImpls, want)
			bwd := lookup(t, kernels.Conv2DBwdDataImpls, want)
			rng := kerneltest.Rand(7)
			x, w, b, dy := make([]float32, s.InputLen()), make([]float32, s.WeightLen()), make([]float32, s.K), make([]float32, s.OutputLen())
			for _, v := range [][]float32{x, w, b, dy} {
				kerneltest.Fill(rng, v)
			}
			got, ref := make([]float32, s.OutputLen()), make([]float32, s.OutputLen())
			ctx.Conv2DForward(s, x, w, b, got)
			fwd(ctx, s, x, w, b, ref)
			kerneltest.CheckUnchanged(t, want+" fwd", got, ref)
			gx, rx := make([]float32, s.InputLen()), make([]float32, s.InputLen())
			ctx.Conv2DBackwardData(s, dy, w, gx)
			bwd(ctx, s, dy, w, rx)
			kerneltest.CheckUnchanged(t, want+" bwd-data", gx, rx)
			bww := lookup(t, kernels.Conv2DBwdWeightsImpls, want)
			gw, rw, gb, rb := make([]float32, s.WeightLen()), make([]float32, s.WeightLen()), make([]float32, s.K), make([]float32, s.K)
			ctx.Conv2DBackwardWeights(s, x, dy, gw, gb)
			bww(ctx, s, x, dy, rw, rb)
			kerneltest.CheckUnchanged(t, want+" bwd-weights", gw, rw)
			kerneltest.CheckUnchanged(t, want+" bwd-weights db", gb, rb)
		}
	})
}

// TestWinogradFLOPs checks the winograd operation count on ResNet-50's
// stage-2 3×3 layer (8 images, 56×56, 64 channels: 1,568 tiles of 4×4)
// against the counts written out, and that it falls back to the direct
// form's where winograd does not run.
func TestWinogradFLOPs(t *testing.T) {
	s := kernels.Conv2DShape{N: 8, H: 56, W: 56, C: 64, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}
	const tiles = 8 * 14 * 14
	want := 2*36*tiles*64*64 + tiles*64*336 + 64*64*189 + tiles*64*216
	if got := kernels.WinogradFLOPs(s, shape.Forward); got != float64(want) {
		t.Errorf("forward: %v, want %v", got, want)
	}
	if r := kernels.WinogradFLOPs(s, shape.Forward) / s.FLOPs(shape.Forward); r < 0.25 || r > 0.32 {
		t.Errorf("forward: %.3f of the direct form's FLOPs, want about 0.28", r)
	}
	// Backward-weights: the products, the input tiles (336), the gradient
	// tiles (290), the 3×3 results (135), the bias gradient's adds.
	wantW := 2*36*tiles*64*64 + tiles*64*336 + tiles*64*290 + 64*64*135 + 8*56*56*64
	if got := kernels.WinogradFLOPs(s, shape.BackwardWeights); got != float64(wantW) {
		t.Errorf("backward-weights: %v, want %v", got, wantW)
	}
	s2 := s
	s2.StrideH, s2.StrideW = 2, 2
	if got, want := kernels.WinogradFLOPs(s2, shape.Forward), s2.FLOPs(shape.Forward); got != want {
		t.Errorf("stride 2: %v, want the direct %v", got, want)
	}
}

// TestWinogradGroupsPerThreadMatchShared checks that a winograd pass run a
// group of tiles per thread gives the bits of the same pass with each group
// shared among the threads (transformed by tile, multiplied by position):
// forward with bias and with ReLU, backward-data set and added, on shapes
// with enough tiles for the per-thread groups at 2 and 3 threads, one with
// edge tiles.
func TestWinogradGroupsPerThreadMatchShared(t *testing.T) {
	shapes := []kernels.Conv2DShape{
		{N: 3, H: 48, W: 48, C: 8, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 4, H: 50, W: 45, C: 5, K: 7, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
	}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		if ctx.Threads() < 2 {
			t.Skip("one thread shares no group")
		}
		for _, s := range shapes {
			for _, b := range []bool{false, true} {
				if kernels.WinoThreadGroups(s, ctx.Threads(), b) == 0 {
					t.Fatalf("%v (backward-data %v) at %d threads: not run a group per thread", s, b, ctx.Threads())
				}
			}
			d := newWinoPassData(s, 12)
			want := d.forwardPasses(t, ctx, func() func() { return kernels.SetWinoGroupsPerThread(false) })
			got := d.forwardPasses(t, ctx, func() func() { return kernels.SetWinoGroupsPerThread(true) })
			checkSamePasses(t, fmt.Sprintf("%v groups per thread", s), got, want)
		}
	})
}

// winoPassData is one shape's seeded inputs for the tests that hold one way
// of running a winograd pass to another's bits.
type winoPassData struct {
	s                kernels.Conv2DShape
	x, w, b, dy, dx0 []float32
}

func newWinoPassData(s kernels.Conv2DShape, seed uint64) *winoPassData {
	d := &winoPassData{s: s, x: make([]float32, s.InputLen()), w: make([]float32, s.WeightLen()),
		b: make([]float32, s.K), dy: make([]float32, s.OutputLen()), dx0: make([]float32, s.InputLen())}
	rng := kerneltest.Rand(seed)
	for _, v := range [][]float32{d.x, d.w, d.b, d.dy, d.dx0} {
		kerneltest.Fill(rng, v)
	}
	return d
}

// winoPassNames names the outputs of winoPassData.forwardPasses.
var winoPassNames = [4]string{"fwd", "fwd-relu", "bwd-data", "bwd-data-add"}

// forwardPasses runs the winograd forward (with bias, and with ReLU) and
// backward-data (set, and added into a copy of dx0) on fresh outputs, with
// the setting set makes (it returns the function restoring it).
func (d *winoPassData) forwardPasses(t *testing.T, ctx *kernels.Context, set func() (restore func())) [4][]float32 {
	defer set()()
	s := d.s
	y, yr := make([]float32, s.OutputLen()), make([]float32, s.OutputLen())
	dx, dxa := make([]float32, s.InputLen()), append([]float32(nil), d.dx0...)
	lookup(t, kernels.Conv2DFwdImpls, "winograd")(ctx, s, d.x, d.w, d.b, y)
	kernels.Conv2DFwdWinogradReLU(ctx, s, d.x, d.w, nil, yr)
	lookup(t, kernels.Conv2DBwdDataImpls, "winograd")(ctx, s, d.dy, d.w, dx)
	lookup(t, kernels.Conv2DBwdDataAddImpls, "winograd")(ctx, s, d.dy, d.w, dxa)
	return [4][]float32{y, yr, dx, dxa}
}

// checkSamePasses fails unless got and want, two runs of forwardPasses, hold
// the same bits.
func checkSamePasses(t *testing.T, what string, got, want [4][]float32) {
	t.Helper()
	for i := range got {
		kerneltest.CheckUnchanged(t, what+" "+winoPassNames[i], got[i], want[i])
	}
}

// TestWinogradBlockedMatchesUnblocked checks the blocked winograd passes
// (a single group of tiles transformed and multiplied a block of output
// channels at a time) against the unblocked ones: bit for bit, forward (with
// bias, with ReLU), backward-data (set and added) and backward-weights, at
// every level and thread count, in blocks of 16 to 32 channels (some with a
// narrower last block); and that a blocked pass, once sized, allocates
// nothing.
func TestWinogradBlockedMatchesUnblocked(t *testing.T) {
	shapes := []kernels.Conv2DShape{
		{N: 2, H: 7, W: 6, C: 48, K: 80, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		{N: 1, H: 9, W: 9, C: 32, K: 48, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
		{N: 3, H: 5, W: 4, C: 64, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1},
	}
	fwd := lookup(t, kernels.Conv2DFwdImpls, "winograd")
	bwd := lookup(t, kernels.Conv2DBwdDataImpls, "winograd")
	bwdW := lookup(t, kernels.Conv2DBwdWeightsImpls, "winograd")
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		for _, s := range shapes {
			d := newWinoPassData(s, 11)
			x, w, b, dy := d.x, d.w, d.b, d.dy
			run := func(blockBytes int) [4][]float32 {
				return d.forwardPasses(t, ctx, func() func() { return kernels.SetWinoBlockBytes(blockBytes) })
			}
			// The smallest blocks both ways, against one block.
			small := 36 * 4 * min(s.C, s.K)
			th := ctx.Threads()
			if kernels.WinoBlockWidth(1, 128, s.C, s.K, th) != 0 || kernels.WinoBlockWidth(1, 128, s.K, s.C, th) != 0 {
				t.Fatalf("%v: runs blocked at the default block bytes; the test wants the unblocked pass as its reference", s)
			}
			want := run(1 << 30)
			for _, cc := range [][2]int{{s.C, s.K}, {s.K, s.C}} {
				kb := func() int {
					defer kernels.SetWinoBlockBytes(small)()
					return kernels.WinoBlockWidth(1, 128, cc[0], cc[1], th)
				}()
				if cc[1] > 32 && (kb == 0 || kb%16 != 0 || kb >= cc[1]) {
					t.Fatalf("%v: block width %d for %d→%d channels, want blocks of whole vectors", s, kb, cc[0], cc[1])
				}
			}
			got := run(small)
			checkSamePasses(t, fmt.Sprintf("%v blocked", s), got, want)
			by, bdx := got[0], got[2]
			grads := func(blockBytes int) (dw, db []float32) {
				defer kernels.SetWinoBlockBytes(blockBytes)()
				dw, db = make([]float32, s.WeightLen()), make([]float32, s.K)
				bwdW(ctx, s, x, dy, dw, db)
				return
			}
			dw, db := grads(1 << 30)
			bdw, bdb := grads(small)
			kerneltest.CheckUnchanged(t, fmt.Sprintf("%v blocked bwd-weights", s), bdw, dw)
			kerneltest.CheckUnchanged(t, fmt.Sprintf("%v blocked bwd-weights db", s), bdb, db)
			// Once sized, a blocked pass allocates nothing (see
			// TestConv2DDoesNotAllocate for the GC and the calls before).
			func() {
				defer kernels.SetWinoBlockBytes(small)()
				call := func() { fwd(ctx, s, x, w, b, by); bwd(ctx, s, dy, w, bdx) }
				call()
				runtime.GC()
				for range 3 {
					call()
				}
				if a := testing.AllocsPerRun(10, call); a != 0 {
					t.Errorf("%v: %v allocations a blocked forward and backward-data", s, a)
				}
			}()
		}
	})
}
