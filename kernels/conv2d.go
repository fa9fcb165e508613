package kernels

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

func init() {
	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: Conv2DFwdNaive,
		Doc: "the seven-loop definition, output rows split across threads"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: "naive", Mode: GenericOnly, Fn: Conv2DBwdDataNaive,
		Doc: "the seven-loop definition (gather form), input rows split across threads"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "naive", Mode: GenericOnly, Fn: Conv2DBwdWeightsNaive,
		Doc: "the seven-loop definition, output channels split across threads"})

	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: "im2col", Mode: PerISA, Fn: Conv2DFwdIm2col,
		Doc: "col(X)·Wtᵀ through Sgemm, in chunks of output rows (1×1 stride-1 convs skip the copy)"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: "im2col", Mode: PerISA, Fn: Conv2DBwdDataIm2col,
		Doc: "col(dX) = dY·Wt through Sgemm in chunks, then col2im"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "im2col", Mode: PerISA, Fn: Conv2DBwdWeightsIm2col,
		Doc: "dWt += dYᵀ·col(X) through Sgemm, in chunks of output rows"})
}

// Conv2DForward computes y = conv(x, w) + bias (bias may be nil) with the
// fastest implementation for the shape on this Context.
func (c *Context) Conv2DForward(s Conv2DShape, x, w, bias, y []float32) {
	conv2DFwd(c, s, x, w, bias, y, false, "Conv2DForward")
}

// Conv2DForwardReLU computes y = max(0, conv(x, w) + bias), the convolution
// layer followed by its ReLU, in one pass over y (bias may be nil). The
// trainer uses it for conv+ReLU pairs: y then serves as both the conv output
// and the ReLU output (ReLU's backward needs only y > 0).
func (c *Context) Conv2DForwardReLU(s Conv2DShape, x, w, bias, y []float32) {
	conv2DFwd(c, s, x, w, bias, y, true, "Conv2DForwardReLU")
}

// Conv2DBackwardData computes dx from dy and w with the fastest
// implementation for the shape on this Context.
func (c *Context) Conv2DBackwardData(s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("Conv2DBackwardData", s, dy, w, dx)
	conv2DBwdDataFast(c, s, dy, w, dx)
}

// Conv2DBackwardWeights computes dw (and db if not nil) from x and dy with
// the fastest implementation for the shape on this Context.
func (c *Context) Conv2DBackwardWeights(s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("Conv2DBackwardWeights", s, x, dy, dw, db)
	conv2DBwdWeightsFast(c, s, x, dy, dw, db)
}

// conv2DFwd checks the arguments and runs the fastest forward path,
// optionally fused with ReLU.
func conv2DFwd(c *Context, s Conv2DShape, x, w, bias, y []float32, relu bool, name string) {
	checkConv2DFwd(name, s, x, w, bias, y)
	conv2DFwdFast(c, s, x, w, bias, y, relu)
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

// convReLU clamps v at zero in place (max(0, v) as the SIMD paths compute it).
func convReLU(v []float32) {
	for i, e := range v {
		if !(e > 0) {
			v[i] = 0
		}
	}
}
