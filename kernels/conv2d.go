package kernels

import (
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
)

// Conv2D kernels: forward, backward-data and backward-weights (with the bias
// gradient) of a 2-D convolution with stride, zero padding and dilation, on
// NHWC activations and KRSC weights (see Conv2DShape for the layouts and the
// FLOP and byte formulas).
//
// The definition (the naive implementations are written exactly so):
//
//	Y[n,p,q,k]  = bias[k] + Σ_{r<R, s<S, c<C} X[n, h(p,r), w(q,s), c] · Wt[k,r,s,c]
//	dX[n,h,w,c] = Σ_{k, r, s, p, q with h(p,r) = h, w(q,s) = w} dY[n,p,q,k] · Wt[k,r,s,c]
//	dWt[k,r,s,c] = Σ_{n,p,q} dY[n,p,q,k] · X[n, h(p,r), w(q,s), c]
//	dB[k]        = Σ_{n,p,q} dY[n,p,q,k]
//
// with h(p,r) = p·StrideH − PadH + r·DilH and w(q,s) = q·StrideW − PadW +
// s·DilW, and X taken as zero where h or w falls outside the input (the zero
// padding). Outputs are overwritten, never accumulated into; their old
// contents are not read (NaN there does not leak).
//
// Every function panics, naming the shape and the argument, if the shape does
// not Validate or a slice's length differs from the shape's element count
// (InputLen, WeightLen, OutputLen, K for bias): like an out-of-range slice
// index, that is a programming error. Bias (forward) and dB (backward-weights)
// may be nil, meaning no bias and no bias gradient.

// Conv2DFwdFunc computes y = conv(x, w) + bias for shape s; bias may be nil.
type Conv2DFwdFunc func(ctx *Context, s Conv2DShape, x, w, bias, y []float32)

// Conv2DBwdDataFunc computes dx, the gradient with respect to the input, from
// dy, the gradient with respect to the output.
type Conv2DBwdDataFunc func(ctx *Context, s Conv2DShape, dy, w, dx []float32)

// Conv2DBwdWeightsFunc computes dw, the gradient with respect to the weights,
// and db (if not nil), the gradient with respect to the bias, from the input x
// and the output gradient dy.
type Conv2DBwdWeightsFunc func(ctx *Context, s Conv2DShape, x, dy, dw, db []float32)

// The Conv2D registries list the implementations of each pass: naive (the
// specification), im2col (lowering to SGEMM) and direct (generated SIMD
// micro-kernels reading NHWC data in place).
var (
	Conv2DFwdImpls        = NewRegistry[Conv2DFwdFunc]("conv2d-fwd")
	Conv2DBwdDataImpls    = NewRegistry[Conv2DBwdDataFunc]("conv2d-bwd-data")
	Conv2DBwdWeightsImpls = NewRegistry[Conv2DBwdWeightsFunc]("conv2d-bwd-weights")
)

// Conv2DBwdDataAddImpls add the backward-data pass into dx (dx +=
// conv-transpose(dy, w)): a trainer's input gradient with two readers then
// needs no scratch tensor and no separate add.
var Conv2DBwdDataAddImpls = NewRegistry[Conv2DBwdDataFunc]("conv2d-bwd-data-add")

func init() {
	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DFwdNaive,
		Doc: "the seven-loop definition, output rows split across threads"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DBwdDataNaive,
		Doc: "the seven-loop definition (gather form), input rows split across threads"})
	Conv2DBwdDataAddImpls.Register(Impl[Conv2DBwdDataFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DBwdDataAddNaive,
		Doc: "the seven-loop definition (gather form) added to dx, input rows split across threads"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DBwdWeightsNaive,
		Doc: "the seven-loop definition, output channels split across threads"})

	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: benchname.ImplIm2col, Mode: PerISA, Fn: conv2DFwdIm2colChecked,
		Doc: "col(X)·Wtᵀ through Sgemm, in chunks of output rows (1×1 stride-1 convs skip the copy)"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: benchname.ImplIm2col, Mode: PerISA, Fn: conv2DBwdDataIm2colChecked,
		Doc: "col(dX) = dY·Wt through Sgemm in chunks, then col2im"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: benchname.ImplIm2col, Mode: PerISA, Fn: conv2DBwdWeightsIm2colChecked,
		Doc: "dWt += dYᵀ·col(X) through Sgemm, in chunks of output rows"})

	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: benchname.ImplDirect, Mode: PerISA, Fn: conv2DFwdDirectChecked,
		Doc: "register tiles of output pixels × channels over NHWC in place, generated AVX2/AVX-512 kernels"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: benchname.ImplDirect, Mode: PerISA, Fn: conv2DBwdDataDirectChecked,
		Doc: "the forward kernels on dY with the rotated filter, one stride phase at a time"})
	Conv2DBwdDataAddImpls.Register(Impl[Conv2DBwdDataFunc]{Name: benchname.ImplDirect, Mode: PerISA, Fn: conv2DBwdDataAddDirectChecked,
		Doc: "the direct backward-data kernels accumulating into dx"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: benchname.ImplDirect, Mode: PerISA, Fn: conv2DBwdWeightsDirectChecked,
		Doc: "register tiles of window values × channels summed over bands of pixels, per-thread partials"})

	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: "gemm1x1", Mode: PerISA, Fn: conv2DFwdGemm1x1Checked,
		Doc: "1×1 convolutions as X·Wtᵀ through Sgemm on NHWC in place (stride > 1: gathered in chunks); others direct"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: "gemm1x1", Mode: PerISA, Fn: conv2DBwdDataGemm1x1Checked,
		Doc: "1×1 convolutions as dY·Wt through Sgemm in place (stride > 1: in chunks, scattered); others direct"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "gemm1x1", Mode: PerISA, Fn: conv2DBwdWeightsGemm1x1Checked,
		Doc: "1×1 convolutions as dYᵀ·X through Sgemm in place (stride > 1: gathered in chunks); others direct"})

	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: benchname.ImplWinograd, Mode: PerISA, Fn: conv2DFwdWinogradChecked, Error: WinogradError,
		Doc: "3×3 stride-1 convolutions by Winograd F(4×4, 3×3): generated tile transforms, 36 products on Sgemm; others direct"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: benchname.ImplWinograd, Mode: PerISA, Fn: conv2DBwdDataWinogradChecked, Error: WinogradError,
		Doc: "3×3 stride-1: Winograd F(4×4, 3×3) on dY with the rotated filter; others direct"})
	Conv2DBwdDataAddImpls.Register(Impl[Conv2DBwdDataFunc]{Name: benchname.ImplWinograd, Mode: PerISA, Fn: conv2DBwdDataAddWinogradChecked, Error: WinogradError,
		Doc: "3×3 stride-1: Winograd F(4×4, 3×3) accumulating into dx; others direct"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: benchname.ImplWinograd, Mode: PerISA, Fn: conv2DBwdWeightsWinogradChecked, Error: WinogradError,
		Doc: "3×3 stride-1: Winograd F(3×3, 4×4), products summed over tiles on Sgemm; others direct"})
}

// The Context methods pick an implementation per shape, from measurements on
// the dev machine (AMD Zen 5, one thread, every ResNet-50 shape at batch 8;
// docs/perf-notes-kernels.md): direct, except
//   - forward: the GEMM lowering (im2col; for 1×1 filters that is gemm1x1's
//     path) for outputs of at most 7×7 pixels (ResNet-50 stage 5), rows too
//     short for the direct kernels' register tiles;
//   - backward-weights: im2col for layers with a large weight gradient and
//     very few output pixels (ResNet-50 stage 5: 392 at batch 8), where the
//     direct kernels' bands are a few images of 7×7 pixels each, too short
//     to pay for loading and storing the large partial gradient per band,
//     while the GEMM blocks it.
//   - every pass: winograd for 3×3 stride-1 layers of at least 64 input and
//     output channels, where its products are large enough for the SGEMM
//     that doing a quarter of the multiplications wins (ResNet-50's stages
//     2-5; docs/perf-notes-kernels.md, the Winograd section).
// (At level generic all run in plain Go; direct, on the kernels' pure-Go
// twins, is as fast or faster there too.)

// convPreferWinograd reports whether winograd beats the other
// implementations on s.
func convPreferWinograd(s Conv2DShape) bool {
	return winograd3x3(s) && s.C >= 64 && s.K >= 64
}

// convPreferIm2colBwdWeights reports whether im2col beats direct for the
// backward-weights pass of s.
func convPreferIm2colBwdWeights(s Conv2DShape) bool {
	return s.K*s.R*s.S*s.C >= 256<<10 && s.N*s.OutH()*s.OutW() <= 512
}

// convPreferGemmFwd reports whether the GEMM lowering beats direct for the
// forward pass of s.
func convPreferGemmFwd(s Conv2DShape) bool {
	return s.OutH()*s.OutW() <= 49
}

// Conv2DForward computes y = conv(x, w) + bias (bias may be nil) with the
// fastest implementation for the shape on this Context.
func (c *Context) Conv2DForward(s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("Conv2DForward", s, x, w, bias, y)
	c.conv2DFwd(s, x, w, bias, y, false)
}

// Conv2DImpl returns the registry name of the implementation the Context
// methods run pass of s with ("direct", "im2col" or "winograd"; backward-data
// covers Conv2DBackwardDataAdd), so that a trainer can say which algorithm
// ran. The methods dispatch through it.
func (c *Context) Conv2DImpl(s Conv2DShape, pass shape.Pass) string {
	switch {
	case c.isa != cpu.Generic && convPreferWinograd(s):
		return benchname.ImplWinograd
	case pass == shape.Forward && c.isa != cpu.Generic && convPreferGemmFwd(s),
		pass == shape.BackwardWeights && convPreferIm2colBwdWeights(s):
		return benchname.ImplIm2col
	}
	return benchname.ImplDirect
}

// conv2DFwd is the forward pass with the implementation the shape prefers.
func (c *Context) conv2DFwd(s Conv2DShape, x, w, bias, y []float32, relu bool) {
	switch c.Conv2DImpl(s, shape.Forward) {
	case benchname.ImplWinograd:
		conv2DFwdWinograd(c, s, x, w, bias, y, relu)
	case benchname.ImplIm2col:
		conv2DFwdIm2col(c, s, x, w, bias, y, relu)
	default:
		conv2DFwdDirect(c, s, x, w, bias, y, relu)
	}
}

// Conv2DForwardReLU computes y = max(0, conv(x, w) + bias), the convolution
// layer followed by its ReLU, in one pass over y (bias may be nil). The
// trainer uses it for conv+ReLU pairs: y then serves as both the conv output
// and the ReLU output (ReLU's backward needs only y > 0).
func (c *Context) Conv2DForwardReLU(s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("Conv2DForwardReLU", s, x, w, bias, y)
	c.conv2DFwd(s, x, w, bias, y, true)
}

// Conv2DBackwardData computes dx from dy and w with the fastest
// implementation for the shape on this Context.
func (c *Context) Conv2DBackwardData(s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("Conv2DBackwardData", s, dy, w, dx)
	if c.Conv2DImpl(s, shape.BackwardData) == benchname.ImplWinograd {
		conv2DBwdDataWinograd(c, s, dy, w, dx, false)
		return
	}
	conv2DBwdDataDirect(c, s, dy, w, dx)
}

// Conv2DBackwardDataAdd adds the gradient Conv2DBackwardData computes to
// dx's contents (dx += conv-transpose(dy, w)), in the same pass: the
// gradient of a tensor with two readers, the second of which is this
// convolution, without a scratch tensor and a separate add.
func (c *Context) Conv2DBackwardDataAdd(s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("Conv2DBackwardDataAdd", s, dy, w, dx)
	if c.Conv2DImpl(s, shape.BackwardData) == benchname.ImplWinograd {
		conv2DBwdDataWinograd(c, s, dy, w, dx, true)
		return
	}
	conv2DBwdDataAddDirect(c, s, dy, w, dx)
}

// Conv2DBackwardWeights computes dw (and db if not nil) from x and dy with
// the fastest implementation for the shape on this Context.
func (c *Context) Conv2DBackwardWeights(s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("Conv2DBackwardWeights", s, x, dy, dw, db)
	switch c.Conv2DImpl(s, shape.BackwardWeights) {
	case benchname.ImplWinograd:
		conv2DBwdWeightsWinograd(c, s, x, dy, dw, db)
	case benchname.ImplIm2col:
		conv2DBwdWeightsIm2col(c, s, x, dy, dw, db)
	default:
		conv2DBwdWeightsDirect(c, s, x, dy, dw, db)
	}
}

// The argument checks (checks.go) format their message only on failure, so
// that they do not allocate.

func checkConv2DFwd(call string, s Conv2DShape, x, w, bias, y []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.InputLen(), "N·H·W·C")
	checkShapeLen(call, s, "w", w, s.WeightLen(), "K·R·S·C")
	checkShapeLen(call, s, "y", y, s.OutputLen(), "N·P·Q·K")
	if bias != nil {
		checkShapeLen(call, s, "bias", bias, s.K, "K")
	}
}

func checkConv2DBwdData(call string, s Conv2DShape, dy, w, dx []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "dy", dy, s.OutputLen(), "N·P·Q·K")
	checkShapeLen(call, s, "w", w, s.WeightLen(), "K·R·S·C")
	checkShapeLen(call, s, "dx", dx, s.InputLen(), "N·H·W·C")
}

func checkConv2DBwdWeights(call string, s Conv2DShape, x, dy, dw, db []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.InputLen(), "N·H·W·C")
	checkShapeLen(call, s, "dy", dy, s.OutputLen(), "N·P·Q·K")
	checkShapeLen(call, s, "dw", dw, s.WeightLen(), "K·R·S·C")
	if db != nil {
		checkShapeLen(call, s, "db", db, s.K, "K")
	}
}
