package kernels

import "github.com/trainbench/trainbench/kernels/internal/conv"

// The im2col implementations lower each pass to SGEMM on the Context
// (ctx.Sgemm, all threads), one chunk of output pixels at a time. With NHWC
// activations and KRSC weights a row of col(X) is the receptive field of one
// output pixel, R·S runs of C contiguous input values, so over the whole batch
//
//	fwd:         Y[NPQ×K]     = col(X)[NPQ×RSC] · Wtᵀ      (Wt stored K×RSC)
//	bwd-data:    col(dX)      = dY[NPQ×K] · Wt[K×RSC], then col2im (scatter-add)
//	bwd-weights: dWt[K×RSC]  += dY[chunk×K]ᵀ · col(X)[chunk×RSC] over chunks
//
// Chunks hold about convColBytes of col so the buffer stays in the last-level
// cache and is not materialised whole (R·S times the input). Pointwise
// convolutions (1×1, stride 1, no padding) need no lowering: col(X) is X.

// convColBytes is the target size of one im2col chunk.
const convColBytes = 4 << 20

// convPointwise reports whether col(X) is X itself: a 1×1 filter with stride 1
// and no padding.
func convPointwise(s Conv2DShape) bool {
	return s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0
}

// convChunkRows is the number of output pixels per im2col chunk.
func convChunkRows(s Conv2DShape) int {
	rsc := s.R * s.S * s.C
	return max(1024, convColBytes/(4*rsc))
}

// convIm2colRow writes the receptive field of output pixel (n, p, q) into dst
// (R·S·C values, zero where a tap falls in the padding).
func convIm2colRow(s Conv2DShape, x []float32, n, p, q int, dst []float32) {
	sc := s.S * s.C
	for r := 0; r < s.R; r++ {
		d := dst[r*sc : (r+1)*sc]
		h := p*s.StrideH - s.PadH + r*s.DilH
		if h < 0 || h >= s.H {
			clear(d)
			continue
		}
		row := x[(n*s.H+h)*s.W*s.C : (n*s.H+h+1)*s.W*s.C]
		w0 := q*s.StrideW - s.PadW
		if s.DilW == 1 && w0 >= 0 && w0+s.S <= s.W {
			copy(d, row[w0*s.C:(w0+s.S)*s.C])
			continue
		}
		for t := 0; t < s.S; t++ {
			wc := w0 + t*s.DilW
			if wc < 0 || wc >= s.W {
				clear(d[t*s.C : (t+1)*s.C])
			} else {
				copy(d[t*s.C:(t+1)*s.C], row[wc*s.C:(wc+1)*s.C])
			}
		}
	}
}

// convIm2colChunk writes the rows of col(X) for the current chunk's output
// pixels [m0, m1) (over the batch) into its col, split across the Context's
// threads.
func convIm2colChunk(ctx *Context) {
	c := &ctx.conv.call
	ctx.convFor(c.m1-c.m0, convIm2colRows)
}

// convIm2colRows writes rows [lo, hi) of the current im2col chunk.
func convIm2colRows(ctx *Context, _, lo, hi int) {
	c := &ctx.conv.call
	s := c.s
	P, Q, RSC := s.OutH(), s.OutW(), s.R*s.S*s.C
	for m := c.m0 + lo; m < c.m0+hi; m++ {
		n, pq := m/(P*Q), m%(P*Q)
		convIm2colRow(s, c.x, n, pq/Q, pq%Q, c.col[(m-c.m0)*RSC:(m-c.m0+1)*RSC])
	}
}

// conv2DFwdIm2colChecked is the forward pass lowered to SGEMM (see the package's
// Conv2D documentation for the definition).
func conv2DFwdIm2colChecked(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd im2col", s, x, w, bias, y)
	conv2DFwdIm2col(ctx, s, x, w, bias, y, false)
}

func conv2DFwdIm2col(ctx *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	P, Q := s.OutH(), s.OutW()
	M, K, RSC := s.N*P*Q, s.K, s.R*s.S*s.C
	var beta float32
	if bias != nil {
		beta = 1
	}
	c := &ctx.conv.call
	*c = convCall{s: s, x: x, bias: bias, y: y}
	defer func() { *c = convCall{} }()
	// Each chunk of y starts as the bias (then accumulated into, beta = 1)
	// and ends clamped at zero if relu.
	prefill := bias != nil
	if convPointwise(s) {
		c.m0, c.m1 = 0, M
		if prefill {
			ctx.convFor(M, convBiasRows)
		}
		ctx.Sgemm(NoTrans, Trans, M, K, RSC, 1, x, s.C, w, RSC, beta, y, K)
		if relu {
			ctx.convFor(M, convReLURows)
		}
		return
	}
	chunk := min(M, convChunkRows(s))
	c.col = convGrow(&ctx.conv.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		c.m0, c.m1 = m0, m1
		convIm2colChunk(ctx)
		if prefill {
			ctx.convFor(m1-m0, convBiasRows)
		}
		ctx.Sgemm(NoTrans, Trans, m1-m0, K, RSC, 1, c.col, RSC, w, RSC, beta, y[m0*K:m1*K], K)
		if relu {
			ctx.convFor(m1-m0, convReLURows)
		}
	}
}

// convBiasRows sets rows [m0+lo, m0+hi) of the current call's y to its bias.
func convBiasRows(ctx *Context, _, lo, hi int) {
	c := &ctx.conv.call
	K := c.s.K
	for m := c.m0 + lo; m < c.m0+hi; m++ {
		copy(c.y[m*K:(m+1)*K], c.bias)
	}
}

// convReLURows clamps rows [m0+lo, m0+hi) of the current call's y at zero.
func convReLURows(ctx *Context, _, lo, hi int) {
	c := &ctx.conv.call
	convReLU(c.y[(c.m0+lo)*c.s.K : (c.m0+hi)*c.s.K])
}

// conv2DBwdDataIm2colChecked is the backward-data pass lowered to SGEMM and
// col2im.
func conv2DBwdDataIm2colChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data im2col", s, dy, w, dx)
	conv2DBwdDataIm2col(ctx, s, dy, w, dx)
}

func conv2DBwdDataIm2col(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	P, Q := s.OutH(), s.OutW()
	M, K, RSC := s.N*P*Q, s.K, s.R*s.S*s.C
	if convPointwise(s) {
		ctx.Sgemm(NoTrans, NoTrans, M, s.C, K, 1, dy, K, w, RSC, 0, dx, s.C)
		return
	}
	c := &ctx.conv.call
	*c = convCall{s: s, dx: dx}
	defer func() { *c = convCall{} }()
	ctx.convFor(len(dx), convClearDX)
	chunk := min(M, convChunkRows(s))
	c.col = convGrow(&ctx.conv.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		c.m0, c.m1 = m0, m1
		ctx.Sgemm(NoTrans, NoTrans, m1-m0, RSC, K, 1, dy[m0*K:m1*K], K, w, RSC, 0, c.col, RSC)
		// col2im: each thread owns a range of input rows (n, h) of the
		// images this chunk touches.
		n0, n1 := m0/(P*Q), (m1-1)/(P*Q)
		ctx.convFor((n1-n0+1)*s.H, convCol2imRows)
	}
}

// convClearDX zeroes elements [lo, hi) of the current call's dx.
func convClearDX(ctx *Context, _, lo, hi int) { clear(ctx.conv.call.dx[lo:hi]) }

// convCol2imRows adds, in pixel order, every contribution of the current
// chunk col(dX) that lands in input rows [lo, hi) (over the images the chunk
// touches) to dx, so that the sum order does not depend on the thread count.
func convCol2imRows(ctx *Context, _, lo, hi int) {
	c := &ctx.conv.call
	s := c.s
	P, Q, RSC := s.OutH(), s.OutW(), s.R*s.S*s.C
	n0 := c.m0 / (P * Q)
	glo, ghi := n0*s.H+lo, n0*s.H+hi
	for m := c.m0; m < c.m1; m++ {
		n, pq := m/(P*Q), m%(P*Q)
		p, q := pq/Q, pq%Q
		src := c.col[(m-c.m0)*RSC : (m-c.m0+1)*RSC]
		for r := 0; r < s.R; r++ {
			h := p*s.StrideH - s.PadH + r*s.DilH
			g := n*s.H + h
			if h < 0 || h >= s.H || g < glo || g >= ghi {
				continue
			}
			for t := 0; t < s.S; t++ {
				wc := q*s.StrideW - s.PadW + t*s.DilW
				if wc < 0 || wc >= s.W {
					continue
				}
				d := c.dx[(g*s.W+wc)*s.C : (g*s.W+wc+1)*s.C]
				convAddTo(d, src[(r*s.S+t)*s.C:(r*s.S+t+1)*s.C])
			}
		}
	}
}

// conv2DBwdWeightsIm2colChecked is the backward-weights pass lowered to
// SGEMM: the weight gradient is accumulated chunk by chunk (beta = 1 after
// the first), the bias gradient is summed from per-thread partial sums in
// thread order.
func conv2DBwdWeightsIm2colChecked(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights im2col", s, x, dy, dw, db)
	conv2DBwdWeightsIm2col(ctx, s, x, dy, dw, db)
}

func conv2DBwdWeightsIm2col(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	P, Q := s.OutH(), s.OutW()
	M, K, RSC := s.N*P*Q, s.K, s.R*s.S*s.C
	c := &ctx.conv.call
	*c = convCall{s: s, x: x, dy: dy}
	defer func() { *c = convCall{} }()
	if db != nil {
		convBiasGrad(ctx, db)
	}
	if convPointwise(s) {
		ctx.Sgemm(Trans, NoTrans, K, RSC, M, 1, dy, K, x, s.C, 0, dw, RSC)
		return
	}
	chunk := min(M, convChunkRows(s))
	c.col = convGrow(&ctx.conv.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		c.m0, c.m1 = m0, m1
		convIm2colChunk(ctx)
		var beta float32
		if m0 > 0 {
			beta = 1
		}
		ctx.Sgemm(Trans, NoTrans, K, RSC, m1-m0, 1, dy[m0*K:m1*K], K, c.col, RSC, beta, dw, RSC)
	}
}

// convBiasGrad sets db[k] = Σ_m dy[m·K+k] over the rows of the current
// call's dy (K = s.K): each chunk of rows is summed into its own partial,
// and the partials are added in chunk order, whichever thread ran each.
func convBiasGrad(ctx *Context, db []float32) {
	convPerThread(ctx)
	K := ctx.conv.call.s.K
	for c := range ctx.conv.part {
		clear(convThreadBuf(&ctx.conv.part, c, K))
	}
	ctx.convFor(len(ctx.conv.call.dy)/K, convBiasGradRows)
	clear(db)
	for c := range ctx.conv.part {
		convAddTo(db, ctx.conv.part[c][:K])
	}
}

// convBiasGradRows adds the column sums of rows [lo, hi) of the current
// call's dy to the partial of their chunk, in row order, with the conv set's
// vector column sums (the same bits as adding the rows one by one).
func convBiasGradRows(ctx *Context, _, lo, hi int) {
	K := ctx.conv.call.s.K
	conv.For(ctx.isa).ColSums(ctx.conv.part[ctx.rangeChunk(lo)][:K], ctx.conv.call.dy[lo*K:hi*K], hi-lo, K)
}

// convReLU clamps v at zero in place (max(0, v) as the SIMD paths compute it).
func convReLU(v []float32) {
	for i, e := range v {
		if !(e > 0) {
			v[i] = 0
		}
	}
}
