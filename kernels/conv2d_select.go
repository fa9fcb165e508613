package kernels

// conv2DFwdFast runs the forward pass (optionally fused with ReLU) with the
// implementation that is fastest for the shape on this Context.
func conv2DFwdFast(c *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	conv2DFwdIm2col(c, s, x, w, bias, y, relu)
}

// conv2DBwdDataFast runs the backward-data pass with the fastest
// implementation for the shape.
func conv2DBwdDataFast(c *Context, s Conv2DShape, dy, w, dx []float32) {
	conv2DBwdDataIm2col(c, s, dy, w, dx)
}

// conv2DBwdWeightsFast runs the backward-weights pass with the fastest
// implementation for the shape.
func conv2DBwdWeightsFast(c *Context, s Conv2DShape, x, dy, dw, db []float32) {
	Conv2DBwdWeightsIm2col(c, s, x, dy, dw, db)
}
