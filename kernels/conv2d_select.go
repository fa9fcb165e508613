package kernels

// The Context methods pick an implementation per shape, from measurements on
// the dev machine (AMD Zen 5, bench's Conv2D family): direct, except for the
// backward-weights pass of layers with a large weight gradient and few output
// pixels (ResNet-50 stages 4 and 5), where the gradient does not stay in
// cache across bands of pixels while the GEMM blocks it, so im2col is faster.
// (At level generic both run in plain Go; direct, on the kernels' pure-Go
// twins, is as fast or faster there too.)

// convPreferIm2colBwdWeights reports whether im2col beats direct for the
// backward-weights pass of s.
func convPreferIm2colBwdWeights(s Conv2DShape) bool {
	return s.K*s.R*s.S*s.C >= 256<<10 && s.N*s.OutH()*s.OutW() <= 2048
}

// conv2DFwdFast runs the forward pass (optionally fused with ReLU) with the
// implementation that is fastest for the shape on this Context.
func conv2DFwdFast(c *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	conv2DFwdDirect(c, s, x, w, bias, y, relu)
}

// conv2DBwdDataFast runs the backward-data pass with the fastest
// implementation for the shape.
func conv2DBwdDataFast(c *Context, s Conv2DShape, dy, w, dx []float32) {
	conv2DBwdDataDirect(c, s, dy, w, dx)
}

// conv2DBwdWeightsFast runs the backward-weights pass with the fastest
// implementation for the shape.
func conv2DBwdWeightsFast(c *Context, s Conv2DShape, x, dy, dw, db []float32) {
	if convPreferIm2colBwdWeights(s) {
		conv2DBwdWeightsIm2col(c, s, x, dy, dw, db)
		return
	}
	conv2DBwdWeightsDirect(c, s, x, dy, dw, db)
}
