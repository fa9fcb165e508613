package kernels_test

import (
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestConv2DBF16Conformance runs every bfloat16 conv implementation
// through the conv suite's shapes at every ISA level and thread count 1, 2,
// 3 (the VDPBF16PS kernels at avx512 on CPUs with AVX512_BF16, the pure-Go
// bf16 kernels elsewhere: the lowering around them differs per level, so
// every level runs), against the float64 reference on bf16-rounded
// operands (kerneltest.TestConv2DFwdBF16 states the bound).
func TestConv2DBF16Conformance(t *testing.T) {
	logBF16(t)
	t.Run("fwd", func(t *testing.T) { forEachImpl(t, kernels.Conv2DFwdBF16Impls, kerneltest.TestConv2DFwdBF16) })
	t.Run("bwd-data", func(t *testing.T) {
		forEachImpl(t, kernels.Conv2DBwdDataBF16Impls, kerneltest.TestConv2DBwdDataBF16)
	})
	t.Run("bwd-weights", func(t *testing.T) {
		forEachImpl(t, kernels.Conv2DBwdWeightsBF16Impls, kerneltest.TestConv2DBwdWeightsBF16)
	})
}

// TestConv2DBF16ContextMethods checks the Context's bfloat16 conv methods,
// including the fused forward+ReLU, the same way.
func TestConv2DBF16ContextMethods(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		kerneltest.TestConv2DFwdBF16(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, w, b, y []float32) {
			c.Conv2DForwardBF16(s, x, w, b, y)
		})
		kerneltest.TestConv2DFwdReLUBF16(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, w, b, y []float32) {
			c.Conv2DForwardReLUBF16(s, x, w, b, y)
		})
		kerneltest.TestConv2DBwdDataBF16(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, dy, w, dx []float32) {
			c.Conv2DBackwardDataBF16(s, dy, w, dx)
		})
		kerneltest.TestConv2DBwdWeightsBF16(t, ctx, func(c *kernels.Context, s kernels.Conv2DShape, x, dy, dw, db []float32) {
			c.Conv2DBackwardWeightsBF16(s, x, dy, dw, db)
		})
	})
}

// TestConv2DBF16RejectsBadShapes checks that the bfloat16 methods panic as
// the float32 ones do, naming the call and the argument.
func TestConv2DBF16RejectsBadShapes(t *testing.T) {
	ctx := genericContext(t)
	s := kernels.Conv2DShape{N: 2, H: 5, W: 5, C: 3, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	x, w, b, y := make([]float32, s.InputLen()), make([]float32, s.WeightLen()), make([]float32, s.K), make([]float32, s.OutputLen())
	checkPanics(t, []panicCase{
		{"x", func() { ctx.Conv2DForwardBF16(s, x[1:], w, b, y) }, "Conv2DForwardBF16 n2h5w5c3_k4r3s3_st1x1_pad0x0: len(x) = 149"},
		{"bias", func() { ctx.Conv2DForwardReLUBF16(s, x, w, b[:3], y) }, "len(bias) = 3, want K = 4"},
		{"dx", func() { ctx.Conv2DBackwardDataBF16(s, y, w, x[:7]) }, "Conv2DBackwardDataBF16 n2h5w5c3_k4r3s3_st1x1_pad0x0: len(dx) = 7"},
		{"db", func() { ctx.Conv2DBackwardWeightsBF16(s, x, y, w, b[:1]) }, "Conv2DBackwardWeightsBF16 n2h5w5c3_k4r3s3_st1x1_pad0x0: len(db) = 1"},
	})
}
