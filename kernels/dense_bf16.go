package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

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

// DenseWeightsBF16 is a dense layer's weight matrix w ([Out][In]) rounded to
// bfloat16 and packed as the bf16 GEMM's B operand of the forward product
// (wᵀ) and of the backward-data product (w): mixed-precision training
// refreshes it once per optimizer step (PackDenseWeightsBF16), instead of
// every product converting and packing the float32 weights, which for
// small batches (a classifier's last layer) or huge tables (a language
// model's tied token embedding) costs more than the product itself.
type DenseWeightsBF16 struct {
	out, in int
	fwd     []uint32 // panels of wᵀ (k = In, n = Out)
	bwd     []uint32 // panels of w (k = Out, n = In)
}

// PackDenseWeightsBF16 sets p to w (s.Out×s.In; s.Batch is not used)
// rounded to bfloat16 and packed for DenseForwardBF16Packed and
// DenseBackwardDataBF16Packed, reusing p's buffers. It panics unless
// len(w) == s.Out·s.In.
func (c *Context) PackDenseWeightsBF16(s DenseShape, w []float32, p *DenseWeightsBF16) {
	checkLen("PackDenseWeightsBF16", "w", w, s.Out*s.In, "Out·In")
	p.out, p.in = s.Out, s.In
	p.fwd = convGrow(&p.fwd, gemm.PackedBF16Len(s.In, s.Out))
	p.bwd = convGrow(&p.bwd, gemm.PackedBF16Len(s.Out, s.In))
	tmp := convGrow(&c.convBF16.dense, len(w)) // w in bf16, for the transposed panels; shared by every matrix
	c.ConvertToBF16(tmp, w)
	simd := c.bf16
	fwdB := gemm.BF16Matrix{BF16: bf16Bits(tmp), Stride: s.In, Trans: true}
	bwdB := gemm.BF16Matrix{F32: w, Stride: s.In}
	qf, qb := (s.Out+gemm.BF16Panel-1)/gemm.BF16Panel, (s.In+gemm.BF16Panel-1)/gemm.BF16Panel
	if c.Threads() == 1 || len(w) < 1<<16 {
		gemm.PackBF16Panels(p.fwd, fwdB, s.In, s.Out, 0, qf, simd)
		gemm.PackBF16Panels(p.bwd, bwdB, s.Out, s.In, 0, qb, simd)
		return
	}
	c.convBF16.densePack = densePack{p: p, s: s, fwdB: fwdB, bwdB: bwdB, qf: qf}
	c.convFor(qf+qb, densePackPanels)
	c.convBF16.densePack = densePack{}
}

// densePack is a PackDenseWeightsBF16 call in progress, for its parallel
// loop's body (a package-level function, so that the call does not
// allocate).
type densePack struct {
	p          *DenseWeightsBF16
	s          DenseShape
	fwdB, bwdB gemm.BF16Matrix
	qf         int // panels of the forward operand; the backward's follow
}

// densePackPanels packs panels [lo, hi) of the current densePack: the
// forward operand's, then the backward's.
func densePackPanels(c *Context, _, lo, hi int) {
	d := &c.convBF16.densePack
	if lo < d.qf {
		gemm.PackBF16Panels(d.p.fwd, d.fwdB, d.s.In, d.s.Out, lo, min(hi, d.qf), c.bf16)
	}
	if hi > d.qf {
		gemm.PackBF16Panels(d.p.bwd, d.bwdB, d.s.Out, d.s.In, max(lo, d.qf)-d.qf, hi-d.qf, c.bf16)
	}
}

// checkPacked panics unless p was packed for s's Out and In.
func checkPacked(call string, s DenseShape, p *DenseWeightsBF16) {
	checkValid(call, s.Validate())
	if p == nil || p.out != s.Out || p.in != s.In {
		panic(fmt.Sprintf("kernels: %s: packed weights of %v, want Out×In = %d×%d", call, p.dims(), s.Out, s.In))
	}
}

func (p *DenseWeightsBF16) dims() string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprintf("%d×%d", p.out, p.in)
}

// DenseForwardBF16Packed computes y = x·wᵀ + b (b may be nil) as
// DenseForwardBF16, with w given packed (PackDenseWeightsBF16): the same
// results.
func (c *Context) DenseForwardBF16Packed(s DenseShape, x []float32, w *DenseWeightsBF16, b, y []float32) {
	checkPacked("DenseForwardBF16Packed", s, w)
	denseFwdBF16Packed(c, s, x, w, b, y, false)
}

// DenseForwardReLUBF16Packed computes y = max(0, x·wᵀ + b) as
// DenseForwardBF16Packed.
func (c *Context) DenseForwardReLUBF16Packed(s DenseShape, x []float32, w *DenseWeightsBF16, b, y []float32) {
	checkPacked("DenseForwardReLUBF16Packed", s, w)
	denseFwdBF16Packed(c, s, x, w, b, y, true)
}

// DenseBackwardDataBF16Packed computes dx = dy·w as DenseBackwardDataBF16,
// with w given packed: the same results.
func (c *Context) DenseBackwardDataBF16Packed(s DenseShape, dy []float32, w *DenseWeightsBF16, dx []float32) {
	checkPacked("DenseBackwardDataBF16Packed", s, w)
	checkLen("DenseBackwardDataBF16Packed", "dy", dy, s.Batch*s.Out, "Batch·Out")
	checkLen("DenseBackwardDataBF16Packed", "dx", dx, s.Batch*s.In, "Batch·In")
	c.runBF16(NoTrans, NoTrans, s.Batch, s.In, s.Out, 1, gemm.BF16Matrix{F32: dy, Stride: s.Out}, gemm.BF16Matrix{Packed: w.bwd}, 0, dx, s.In)
}

func denseFwdBF16Packed(ctx *Context, s DenseShape, x []float32, w *DenseWeightsBF16, b, y []float32, relu bool) {
	checkLen("DenseForwardBF16Packed", "x", x, s.Batch*s.In, "Batch·In")
	checkLen("DenseForwardBF16Packed", "y", y, s.Batch*s.Out, "Batch·Out")
	if b != nil {
		checkLen("DenseForwardBF16Packed", "b", b, s.Out, "Out")
	}
	ctx.runBF16(NoTrans, NoTrans, s.Batch, s.Out, s.In, 1, gemm.BF16Matrix{F32: x, Stride: s.In}, gemm.BF16Matrix{Packed: w.fwd}, 0, y, s.Out)
	switch {
	case b != nil:
		biasAddSIMD(ctx, y, b, s.Batch, relu)
	case relu:
		reluFwdSIMD(ctx, y, y)
	}
}
