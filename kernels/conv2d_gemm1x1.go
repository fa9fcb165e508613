package kernels

// The gemm1x1 implementations run 1×1 convolutions without padding as
// GEMMs on the NHWC data, through the Context's Sgemm (see conv2d_im2col.go
// for the lowering): with stride 1 a 1×1 convolution is exactly
//
//	fwd:         Y[NPQ×K]  = X[NHW×C] · Wtᵀ       (Wt stored K×C)
//	bwd-data:    dX[NHW×C] = dY[NPQ×K] · Wt
//	bwd-weights: dWt[K×C]  = dY[NPQ×K]ᵀ · X
//
// read and written in place; with stride 2 (ResNet's projection shortcuts)
// the forward and backward-weights passes gather the strided pixels into a
// cache-sized panel chunk by chunk, and backward-data computes a chunk of
// the strided pixels' gradients and scatters it, the pixels no output reads
// getting zero. Other shapes run the direct kernels, so that the
// implementation is complete.

// conv1x1 reports whether s is a 1×1 convolution without padding: each output
// pixel reads one input pixel.
func conv1x1(s Conv2DShape) bool {
	return s.R == 1 && s.S == 1 && s.PadH == 0 && s.PadW == 0
}

func conv2DFwdGemm1x1Checked(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd gemm1x1", s, x, w, bias, y)
	if conv1x1(s) {
		conv2DFwdIm2col(ctx, s, x, w, bias, y, false)
		return
	}
	conv2DFwdDirect(ctx, s, x, w, bias, y, false)
}

func conv2DBwdDataGemm1x1Checked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data gemm1x1", s, dy, w, dx)
	if conv1x1(s) {
		conv2DBwdDataIm2col(ctx, s, dy, w, dx)
		return
	}
	conv2DBwdDataDirect(ctx, s, dy, w, dx)
}

func conv2DBwdWeightsGemm1x1Checked(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights gemm1x1", s, x, dy, dw, db)
	if conv1x1(s) {
		conv2DBwdWeightsIm2col(ctx, s, x, dy, dw, db)
		return
	}
	conv2DBwdWeightsDirect(ctx, s, x, dy, dw, db)
}
