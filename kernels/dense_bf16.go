package kernels

import "github.com/trainbench/trainbench/kernels/internal/gemm"

// Dense layers in bfloat16: DenseForward and its backward passes with the
// operands of every product rounded to bfloat16 and the products summed in
// float32 (SgemmBF16), as mixed-precision training runs them; the bias, its
// gradient (summed from the float32 dy) and every tensor handed over stay
// float32. Shapes, arguments and panics are those of the float32 methods.

// DenseForwardBF16 computes y = x·wᵀ + b (b may be nil) through SgemmBF16.
func (c *Context) DenseForwardBF16(s DenseShape, x, w, b, y []float32) {
	checkDenseFwd("DenseForwardBF16", s, x, w, b, y)
	denseFwdBF16(c, s, x, w, b, y, false)
}

// DenseForwardReLUBF16 computes y = max(0, x·wᵀ + b) as DenseForwardBF16.
func (c *Context) DenseForwardReLUBF16(s DenseShape, x, w, b, y []float32) {
	checkDenseFwd("DenseForwardReLUBF16", s, x, w, b, y)
	denseFwdBF16(c, s, x, w, b, y, true)
}

// DenseBackwardDataBF16 computes dx = dy·w through SgemmBF16.
func (c *Context) DenseBackwardDataBF16(s DenseShape, dy, w, dx []float32) {
	checkDenseBwdData("DenseBackwardDataBF16", s, dy, w, dx)
	c.SgemmBF16(NoTrans, NoTrans, s.Batch, s.In, s.Out, 1, dy, s.Out, w, s.In, 0, dx, s.In)
}

// DenseBackwardWeightsBF16 computes dw = dyᵀ·x through SgemmBF16 and db (if
// not nil) as the float32 column sums of dy.
func (c *Context) DenseBackwardWeightsBF16(s DenseShape, x, dy, dw, db []float32) {
	checkDenseBwdWeights("DenseBackwardWeightsBF16", s, x, dy, dw, db)
	c.SgemmBF16(Trans, NoTrans, s.Out, s.In, s.Batch, 1, dy, s.Out, x, s.In, 0, dw, s.In)
	if db != nil {
		c.vec().ColSum(db, dy, s.Batch)
	}
}

// denseFwdBF16 converts w to bf16 first (SIMD), so that packing it as the
// transposed B reads adjacent pairs instead of rounding element by element.
func denseFwdBF16(ctx *Context, s DenseShape, x, w, b, y []float32, relu bool) {
	wb := convGrow(&ctx.convBF16.dense, len(w))
	ctx.ConvertToBF16(wb, w)
	ctx.runBF16(NoTrans, Trans, s.Batch, s.Out, s.In, 1, gemm.BF16Matrix{F32: x, Stride: s.In}, gemm.BF16Matrix{BF16: bf16Bits(wb), Stride: s.In}, 0, y, s.Out)
	switch {
	case b != nil:
		biasAddSIMD(ctx, y, b, s.Batch, relu)
	case relu:
		reluFwdSIMD(ctx, y, y)
	}
}
