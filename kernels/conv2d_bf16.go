package kernels

// Conv2D in bfloat16: the three passes of the package's Conv2D (same
// shapes, layouts, signatures and panics; see conv2d.go), with the operands
// of every product rounded to bfloat16 (ToBF16) and the products summed in
// float32, as mixed-precision training runs its convolutions:
//
//	Y[n,p,q,k]   = bias[k] + Σ bf16(X)·bf16(Wt)
//	dX[n,h,w,c]  = Σ bf16(dY)·bf16(Wt)
//	dWt[k,r,s,c] = Σ bf16(dY)·bf16(X)
//	dB[k]        = Σ dY              (float32 dY, not rounded)
//
// Everything held between the passes (inputs, outputs, the bias and its
// gradient) stays float32. The naive implementations, the specification,
// sum in float64; gemm lowers each pass to GemmBF16 (the VDPBF16PS kernels
// on CPUs with AVX512_BF16, their pure-Go twins elsewhere):
//
//   - forward: X is rounded once, then col(X) is gathered in bfloat16 chunk
//     by chunk (pointwise convolutions read X itself) and multiplied by Wtᵀ;
//     the bias and ReLU follow in one pass over the chunk;
//   - backward-data, stride 1 with padding at most the filter's reach: the
//     forward pass on dY with the filter rotated by 180° and its K and C
//     swapped (a "full" correlation), so no col2im scatter is needed;
//     otherwise col(dX) = dY·Wt in float32 chunks, then col2im;
//   - backward-weights: dWt += dYᵀ·col(X) over chunks of pixels in bfloat16,
//     dB from the float32 dY as the float32 path sums it.
//
// direct (conv2d_bf16_direct.go) runs the float32 direct passes' tiling with
// VDPBF16PS kernels on pairs of bf16; the Context methods use it.

// The bfloat16 Conv2D registries: naive (float64 sums of the bf16-rounded
// operands, the specification) and gemm (through GemmBF16).
var (
	Conv2DFwdBF16Impls        = NewRegistry[Conv2DFwdFunc]("conv2d-fwd-bf16")
	Conv2DBwdDataBF16Impls    = NewRegistry[Conv2DBwdDataFunc]("conv2d-bwd-data-bf16")
	Conv2DBwdWeightsBF16Impls = NewRegistry[Conv2DBwdWeightsFunc]("conv2d-bwd-weights-bf16")
)

func init() {
	Conv2DFwdBF16Impls.Register(Impl[Conv2DFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DFwdBF16Naive,
		Doc: "the seven-loop definition on bf16-rounded operands, summed in float64: the specification"})
	Conv2DBwdDataBF16Impls.Register(Impl[Conv2DBwdDataFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DBwdDataBF16Naive,
		Doc: "the seven-loop definition (gather form) on bf16-rounded operands, summed in float64: the specification"})
	Conv2DBwdWeightsBF16Impls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "naive", Mode: GenericOnly, Fn: conv2DBwdWeightsBF16Naive,
		Doc: "the seven-loop definition on bf16-rounded operands, summed in float64 (db from float32 dy): the specification"})
	Conv2DFwdBF16Impls.Register(Impl[Conv2DFwdFunc]{Name: "gemm", Mode: PerISA, Fn: conv2DFwdBF16GemmChecked,
		Doc: "X rounded once, col(X) gathered in bf16 chunks, GemmBF16 with Wtᵀ (VDPBF16PS at avx512 with AVX512_BF16)"})
	Conv2DBwdDataBF16Impls.Register(Impl[Conv2DBwdDataFunc]{Name: "gemm", Mode: PerISA, Fn: conv2DBwdDataBF16GemmChecked,
		Doc: "stride 1: the bf16 forward on dY with the rotated filter; else GemmBF16 dY·Wt in chunks, then col2im"})
	Conv2DBwdWeightsBF16Impls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "gemm", Mode: PerISA, Fn: conv2DBwdWeightsBF16GemmChecked,
		Doc: "GemmBF16 dYᵀ·col(X) over bf16 chunks of pixels; db from float32 dy"})
}

// convBF16Buffers are the bfloat16 conv kernels' reusable buffers (a
// Context field).
type convBF16Buffers struct {
	x, w, col, dy []BF16
	colF          []float32 // backward-data's float32 col(dX) chunk
	xr, wr, dyr   []float32 // operands rounded to bf16 and widened, for the shallow layers (convBF16ViaDirect)
	dense         []BF16    // a dense layer's weights in bf16
	// The direct kernels' operands as pairs of bf16 (conv2d_bf16_direct.go):
	// X (or its column pairs), dY (or its pixel pairs), packed weights.
	px, pdy, pw []uint32
	pbias       []float32 // the bias padded to whole channel blocks
	densePack   densePack // a PackDenseWeightsBF16 call in progress
}

// Conv2DForwardBF16 computes y = conv(x, w) + bias (bias may be nil) with
// bfloat16 operands and float32 sums (see Conv2DFwdBF16Impls).
func (c *Context) Conv2DForwardBF16(s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("Conv2DForwardBF16", s, x, w, bias, y)
	c.conv2DFwdBF16(s, x, w, bias, y, false)
}

// Conv2DForwardReLUBF16 computes y = max(0, conv(x, w) + bias) as
// Conv2DForwardBF16, the ReLU in the bias pass.
func (c *Context) Conv2DForwardReLUBF16(s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("Conv2DForwardReLUBF16", s, x, w, bias, y)
	c.conv2DFwdBF16(s, x, w, bias, y, true)
}

// Conv2DBackwardDataBF16 computes dx from dy and w with bfloat16 operands
// and float32 sums.
func (c *Context) Conv2DBackwardDataBF16(s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("Conv2DBackwardDataBF16", s, dy, w, dx)
	if convBF16ViaDirect(s) {
		b := &c.convBF16
		conv2DBwdDataDirect(c, s, c.roundBF16(&b.dyr, &b.dy, dy), c.roundBF16(&b.wr, &b.w, w), dx)
		return
	}
	conv2DBwdDataBF16Direct(c, s, dy, w, dx)
}

// Conv2DBackwardWeightsBF16 computes dw from x and dy with bfloat16
// operands and float32 sums, and db (if not nil) from dy in float32.
func (c *Context) Conv2DBackwardWeightsBF16(s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("Conv2DBackwardWeightsBF16", s, x, dy, dw, db)
	if convBF16ViaDirect(s) {
		b := &c.convBF16
		if db != nil { // from the float32 dy
			cl := &c.conv.call
			*cl = convCall{s: s, dy: dy}
			convBiasGrad(c, db)
			*cl = convCall{}
		}
		conv2DBwdWeightsDirect(c, s, c.roundBF16(&b.xr, &b.x, x), c.roundBF16(&b.dyr, &b.dy, dy), dw, nil)
		return
	}
	conv2DBwdWeightsBF16Direct(c, s, x, dy, dw, db)
}

// bf16r is v rounded to bfloat16, as float64.
func bf16r(v float32) float64 { return float64(ToBF16(v).Float32()) }

func conv2DFwdBF16Naive(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd-bf16 naive", s, x, w, bias, y)
	P, Q := s.OutH(), s.OutW()
	ctx.ParallelFor(s.N*P, func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			n, p := row/P, row%P
			for q := 0; q < Q; q++ {
				out := y[(row*Q+q)*s.K : (row*Q+q+1)*s.K]
				for k := range out {
					var sum float64
					for r := 0; r < s.R; r++ {
						h := p*s.StrideH - s.PadH + r*s.DilH
						if h < 0 || h >= s.H {
							continue
						}
						for t := 0; t < s.S; t++ {
							wc := q*s.StrideW - s.PadW + t*s.DilW
							if wc < 0 || wc >= s.W {
								continue
							}
							xs := x[((n*s.H+h)*s.W+wc)*s.C:][:s.C]
							ws := w[((k*s.R+r)*s.S+t)*s.C:][:s.C]
							for c, xv := range xs {
								sum += bf16r(xv) * bf16r(ws[c])
							}
						}
					}
					if bias != nil {
						sum += float64(bias[k])
					}
					out[k] = float32(sum)
				}
			}
		}
	})
}

func conv2DBwdDataBF16Naive(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data-bf16 naive", s, dy, w, dx)
	P, Q := s.OutH(), s.OutW()
	tapOut := func(i, t, stride, pad, dil, out int) int {
		o := i + pad - t*dil
		if o < 0 || o%stride != 0 || o/stride >= out {
			return -1
		}
		return o / stride
	}
	ctx.ParallelFor(s.N*s.H, func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			n, h := row/s.H, row%s.H
			for wc := 0; wc < s.W; wc++ {
				out := dx[(row*s.W+wc)*s.C : (row*s.W+wc+1)*s.C]
				for c := range out {
					var sum float64
					for r := 0; r < s.R; r++ {
						p := tapOut(h, r, s.StrideH, s.PadH, s.DilH, P)
						if p < 0 {
							continue
						}
						for t := 0; t < s.S; t++ {
							q := tapOut(wc, t, s.StrideW, s.PadW, s.DilW, Q)
							if q < 0 {
								continue
							}
							g := dy[((n*P+p)*Q+q)*s.K:][:s.K]
							for k, gv := range g {
								sum += bf16r(gv) * bf16r(w[((k*s.R+r)*s.S+t)*s.C+c])
							}
						}
					}
					out[c] = float32(sum)
				}
			}
		}
	})
}

func conv2DBwdWeightsBF16Naive(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights-bf16 naive", s, x, dy, dw, db)
	P, Q := s.OutH(), s.OutW()
	ctx.ParallelFor(s.K, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			for r := 0; r < s.R; r++ {
				for t := 0; t < s.S; t++ {
					for c := 0; c < s.C; c++ {
						var sum float64
						for n := 0; n < s.N; n++ {
							for p := 0; p < P; p++ {
								h := p*s.StrideH - s.PadH + r*s.DilH
								if h < 0 || h >= s.H {
									continue
								}
								for q := 0; q < Q; q++ {
									wc := q*s.StrideW - s.PadW + t*s.DilW
									if wc < 0 || wc >= s.W {
										continue
									}
									sum += bf16r(dy[((n*P+p)*Q+q)*s.K+k]) * bf16r(x[((n*s.H+h)*s.W+wc)*s.C+c])
								}
							}
						}
						dw[((k*s.R+r)*s.S+t)*s.C+c] = float32(sum)
					}
				}
			}
			if db != nil {
				var sum float64
				for i := k; i < len(dy); i += s.K {
					sum += float64(dy[i])
				}
				db[k] = float32(sum)
			}
		}
	})
}

func conv2DFwdBF16GemmChecked(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd-bf16 gemm", s, x, w, bias, y)
	conv2DFwdBF16Gemm(ctx, s, x, w, bias, y, false)
}

func conv2DBwdDataBF16GemmChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data-bf16 gemm", s, dy, w, dx)
	conv2DBwdDataBF16Gemm(ctx, s, dy, w, dx)
}

func conv2DBwdWeightsBF16GemmChecked(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights-bf16 gemm", s, x, dy, dw, db)
	conv2DBwdWeightsBF16Gemm(ctx, s, x, dy, dw, db)
}

// convChunkRowsBF16 is the number of output pixels per bf16 im2col chunk:
// convColBytes of bfloat16 values, at least 1024 rows.
func convChunkRowsBF16(s Conv2DShape) int {
	return max(1024, convColBytes/(2*s.R*s.S*s.C))
}

// conv2DFwdBF16Gemm is the forward pass through GemmBF16 (see the file's
// comment).
func conv2DFwdBF16Gemm(ctx *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	b := &ctx.convBF16
	wb := convGrow(&b.w, len(w))
	ctx.ConvertToBF16(wb, w)
	xb := convGrow(&b.x, len(x))
	ctx.ConvertToBF16(xb, x)
	convFwdBF16(ctx, s, xb, wb, bias, y, relu)
}

// convFwdBF16 is the forward pass on operands already in bfloat16 (xb
// NHWC, wb KRSC).
func convFwdBF16(ctx *Context, s Conv2DShape, xb, wb []BF16, bias, y []float32, relu bool) {
	M, K, RSC := s.N*s.OutH()*s.OutW(), s.K, s.R*s.S*s.C
	epilogue := func(rows []float32, n int) {
		switch {
		case bias != nil:
			biasAddSIMD(ctx, rows, bias, n, relu)
		case relu:
			reluFwdSIMD(ctx, rows, rows)
		}
	}
	if convPointwise(s) {
		ctx.GemmBF16(NoTrans, Trans, M, K, RSC, 1, xb, s.C, wb, RSC, 0, y, K)
		epilogue(y, M)
		return
	}
	chunk := min(M, convChunkRowsBF16(s))
	col := convGrow(&ctx.convBF16.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		convIm2colBF16(ctx, s, xb, col, m0, m1)
		ctx.GemmBF16(NoTrans, Trans, m1-m0, K, RSC, 1, col, RSC, wb, RSC, 0, y[m0*K:m1*K], K)
		epilogue(y[m0*K:m1*K], m1-m0)
	}
}

// convIm2colBF16 writes the rows of col(X) for output pixels [m0, m1) into
// col, split across the Context's threads.
func convIm2colBF16(ctx *Context, s Conv2DShape, xb, col []BF16, m0, m1 int) {
	P, Q, RSC := s.OutH(), s.OutW(), s.R*s.S*s.C
	rows := func(lo, hi int) {
		for m := m0 + lo; m < m0+hi; m++ {
			n, pq := m/(P*Q), m%(P*Q)
			convIm2colRowBF16(s, xb, n, pq/Q, pq%Q, col[(m-m0)*RSC:(m-m0+1)*RSC])
		}
	}
	if ctx.Threads() == 1 || (m1-m0)*RSC < 1<<14 {
		rows(0, m1-m0)
		return
	}
	ctx.ParallelFor(m1-m0, func(_, lo, hi int) { rows(lo, hi) })
}

// convIm2colRowBF16 writes the receptive field of output pixel (n, p, q)
// into dst (R·S·C values, zero where a tap falls in the padding), as
// convIm2colRow does for float32.
func convIm2colRowBF16(s Conv2DShape, x []BF16, n, p, q int, dst []BF16) {
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

// convBwdDataAsFwd reports whether the backward-data pass of s is a forward
// convolution of dY: stride 1 and padding within the filter's reach, and
// returns that convolution's shape (input dY, K and C swapped, padding
// (R−1)·DilH − PadH, output of the input's size).
func convBwdDataAsFwd(s Conv2DShape) (Conv2DShape, bool) {
	if s.StrideH != 1 || s.StrideW != 1 || s.PadH > (s.R-1)*s.DilH || s.PadW > (s.S-1)*s.DilW {
		return Conv2DShape{}, false
	}
	return Conv2DShape{N: s.N, H: s.OutH(), W: s.OutW(), C: s.K, K: s.C, R: s.R, S: s.S, StrideH: 1, StrideW: 1,
		PadH: (s.R-1)*s.DilH - s.PadH, PadW: (s.S-1)*s.DilW - s.PadW, DilH: s.DilH, DilW: s.DilW}, true
}

func conv2DBwdDataBF16Gemm(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	b := &ctx.convBF16
	M, K, RSC := s.N*s.OutH()*s.OutW(), s.K, s.R*s.S*s.C
	dyb := convGrow(&b.dy, len(dy))
	ctx.ConvertToBF16(dyb, dy)
	if convPointwise(s) {
		wb := convGrow(&b.w, len(w))
		ctx.ConvertToBF16(wb, w)
		ctx.GemmBF16(NoTrans, NoTrans, M, s.C, K, 1, dyb, K, wb, RSC, 0, dx, s.C)
		return
	}
	if fs, ok := convBwdDataAsFwd(s); ok {
		// W'[c, r', s', k] = W[k, R−1−r', S−1−s', c], rounded on the way.
		wb := convGrow(&b.w, len(w))
		for k := 0; k < s.K; k++ {
			for r := 0; r < s.R; r++ {
				for t := 0; t < s.S; t++ {
					src := w[((k*s.R+r)*s.S+t)*s.C:][:s.C]
					ro, to := s.R-1-r, s.S-1-t
					for c, v := range src {
						wb[((c*s.R+ro)*s.S+to)*s.K+k] = ToBF16(v)
					}
				}
			}
		}
		convFwdBF16(ctx, fs, dyb, wb, nil, dx, false)
		return
	}
	wb := convGrow(&b.w, len(w))
	ctx.ConvertToBF16(wb, w)
	c := &ctx.conv.call
	*c = convCall{s: s, dx: dx}
	defer func() { *c = convCall{} }()
	ctx.convFor(len(dx), convClearDX)
	P, Q := s.OutH(), s.OutW()
	chunk := min(M, convChunkRows(s))
	c.col = convGrow(&b.colF, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		c.m0, c.m1 = m0, m1
		ctx.GemmBF16(NoTrans, NoTrans, m1-m0, RSC, K, 1, dyb[m0*K:m1*K], K, wb, RSC, 0, c.col, RSC)
		n0, n1 := m0/(P*Q), (m1-1)/(P*Q)
		ctx.convFor((n1-n0+1)*s.H, convCol2imRows)
	}
}

func conv2DBwdWeightsBF16Gemm(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	b := &ctx.convBF16
	M, K, RSC := s.N*s.OutH()*s.OutW(), s.K, s.R*s.S*s.C
	if db != nil {
		c := &ctx.conv.call
		*c = convCall{s: s, dy: dy}
		convBiasGrad(ctx, db)
		*c = convCall{}
	}
	dyb := convGrow(&b.dy, len(dy))
	ctx.ConvertToBF16(dyb, dy)
	xb := convGrow(&b.x, len(x))
	ctx.ConvertToBF16(xb, x)
	if convPointwise(s) {
		ctx.GemmBF16(Trans, NoTrans, K, RSC, M, 1, dyb, K, xb, s.C, 0, dw, RSC)
		return
	}
	chunk := min(M, convChunkRowsBF16(s))
	col := convGrow(&b.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		convIm2colBF16(ctx, s, xb, col, m0, m1)
		var beta float32
		if m0 > 0 {
			beta = 1
		}
		ctx.GemmBF16(Trans, NoTrans, K, RSC, m1-m0, 1, dyb[m0*K:m1*K], K, col, RSC, beta, dw, RSC)
	}
}

// convBF16ViaDirect reports whether the Context methods run s on the
// float32 kernels with bf16-rounded operands instead of the bf16 GEMM: a
// reduction of fewer than 32 values per output (the seed CNN's first
// layer, R·S·C = 9) gives the GEMM's k-pairs almost nothing to do, while
// the direct kernels handle it well. The products of bf16 values are exact
// in float32, so the results keep the bf16 contract (rounded operands,
// float32 sums).
func convBF16ViaDirect(s Conv2DShape) bool { return s.R*s.S*s.C < 32 }

// conv2DFwdBF16 is the Context's bf16 forward pass for s.
func (c *Context) conv2DFwdBF16(s Conv2DShape, x, w, bias, y []float32, relu bool) {
	if convBF16ViaDirect(s) {
		b := &c.convBF16
		c.conv2DFwd(s, c.roundBF16(&b.xr, &b.x, x), c.roundBF16(&b.wr, &b.w, w), bias, y, relu)
		return
	}
	conv2DFwdBF16Direct(c, s, x, w, bias, y, relu)
}

// roundBF16 returns src rounded to bfloat16 and widened back to float32,
// in *dst (through *tmp).
func (c *Context) roundBF16(dst *[]float32, tmp *[]BF16, src []float32) []float32 {
	t := convGrow(tmp, len(src))
	c.ConvertToBF16(t, src)
	d := convGrow(dst, len(src))
	c.ConvertFromBF16(d, t)
	return d
}
