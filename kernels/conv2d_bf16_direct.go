package kernels

import (
	"unsafe"

	"github.com/trainbench/trainbench/kernels/internal/conv"
	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// The bfloat16 direct convolutions: the float32 direct passes' jobs
// (conv2d_direct*.go: register tiles over NHWC in place, zero padding per
// band, the same splitting across threads) run with the bfloat16 kernel set
// (conv.BF16For), whose kernels take a pair of bf16 wherever the float32
// kernels take one float32 and add the pair's dot product (VDPBF16PS). The
// pairs run along each pass's reduction:
//
//   - forward: pairs of input channels. X in bf16, NHWC, is already that
//     layout when C is even (an odd C gets a zero channel); the weights are
//     packed per channel block as [r][s][c/2][k] pairs.
//   - backward-data: the forward job on dY in bf16 (pairs of output
//     channels), with the rotated filter packed as [tap][k/2][c] pairs.
//   - backward-weights: pairs of output pixels, of two images when the
//     batch allows (convDWPairImages): X and dY of images 2n and 2n+1
//     interleaved value by value, and the float32 job runs on ⌈N/2⌉
//     images of the same shape; else pairs along each row. dY becomes
//     pairs of adjacent pixels (q, q+1) of a row (the last one alone, with a
//     zero partner, when Q is odd), and X becomes, at each column w of a
//     zero-padded copy, the pair (X[w], X[w+stride]): pixel pair q' then reads
//     column 2q'·stride + tap, exactly as a pass of stride 2·stride over
//     Q' = ⌈Q/2⌉ pixels would, and the float32 job runs on that shape.
//
// Products of bf16 values are exact in float32 and VDPBF16PS sums them in
// float32, so the results keep the bf16 contract of Conv2DFwdBF16Impls.

func init() {
	Conv2DFwdBF16Impls.Register(Impl[Conv2DFwdFunc]{Name: "direct", Mode: PerISA, Fn: conv2DFwdBF16DirectChecked,
		Doc: "the float32 direct kernels' tiling with VDPBF16PS on pairs of input channels (avx512 with AVX512_BF16)"})
	Conv2DBwdDataBF16Impls.Register(Impl[Conv2DBwdDataFunc]{Name: "direct", Mode: PerISA, Fn: conv2DBwdDataBF16DirectChecked,
		Doc: "the direct forward job on dY (pairs of output channels) with the rotated filter, per stride phase"})
	Conv2DBwdWeightsBF16Impls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "direct", Mode: PerISA, Fn: conv2DBwdWeightsBF16DirectChecked,
		Doc: "the direct weight-gradient job on pairs of adjacent output pixels; db from float32 dy"})
}

func conv2DFwdBF16DirectChecked(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd-bf16 direct", s, x, w, bias, y)
	conv2DFwdBF16Direct(ctx, s, x, w, bias, y, false)
}

func conv2DBwdDataBF16DirectChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data-bf16 direct", s, dy, w, dx)
	conv2DBwdDataBF16Direct(ctx, s, dy, w, dx)
}

func conv2DBwdWeightsBF16DirectChecked(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights-bf16 direct", s, x, dy, dw, db)
	conv2DBwdWeightsBF16Direct(ctx, s, x, dy, dw, db)
}

// convBF16Set is the Context's bfloat16 direct kernel set.
func (c *Context) convBF16Set() *conv.Set { return conv.BF16For(c.bf16) }

// asF32 views pairs of bf16 (uint32) as the float32 elements the kernels
// take; asU32 is the reverse view.
func asF32(s []uint32) []float32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&s[0])), len(s))
}

func asU32(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// asBF16 views pairs (uint32) as their 2·len bf16 halves, low half first.
func asBF16(s []uint32) []BF16 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*BF16)(unsafe.Pointer(&s[0])), 2*len(s))
}

// convChannelPairs returns src (pix pixels of c float32 channels) in bf16
// as pixels of ⌈c/2⌉ channel pairs, in *buf: the bf16 NHWC tensor itself
// for even c, with a zero channel after each pixel's last for odd c.
func convChannelPairs(ctx *Context, buf *[]uint32, tmp *[]BF16, src []float32, pix, c int) []uint32 {
	cp := (c + 1) / 2
	d := convGrow(buf, pix*cp)
	if c%2 == 0 {
		ctx.ConvertToBF16(asBF16(d), src)
		return d
	}
	t := convGrow(tmp, len(src))
	ctx.ConvertToBF16(t, src)
	h := asBF16(d)
	for i := 0; i < pix; i++ {
		copy(h[i*2*cp:], t[i*c:(i+1)*c])
		h[i*2*cp+c] = 0
	}
	return d
}

func conv2DFwdBF16Direct(ctx *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	convPerThread(ctx)
	set := ctx.convBF16Set()
	b := &ctx.convBF16
	cp := (s.C + 1) / 2
	src := convChannelPairs(ctx, &b.px, &b.x, x, s.N*s.H*s.W, s.C)
	wb := convGrow(&b.w, len(w))
	ctx.ConvertToBF16(wb, w)
	P, Q := s.OutH(), s.OutW()
	RSp := s.R * s.S * cp
	nv := convPickNV(set, s.K, Q)
	blocks := convBlocks(ctx, set, s.K, nv)
	lanes := set.Lanes
	kpad := 0
	for _, bl := range blocks {
		kpad += bl.nv * lanes
	}
	packed := convGrow(&b.pw, kpad*RSp)
	pbias := convGrow(&b.pbias, kpad)
	off := 0
	for i := range blocks {
		bl := &blocks[i]
		width := bl.nv * lanes
		dst := packed[off : off+RSp*width]
		off += RSp * width
		convPackFwdBF16(dst, wb, s, bl.k0, width)
		bl.w = asF32(dst)
	}
	flags := convFwdEpilogue(blocks, bias, pbias, relu)
	tr, tc := convInts(ctx, s.R, s.S)
	job := convFwdJob{set: set, src: asF32(src), N: s.N, H: s.H, W: s.W, C: cp, P: P, Q: Q,
		SH: s.StrideH, SW: s.StrideW, PH: s.PadH, PW: s.PadW,
		tapR: convSeq(tr, s.DilH), tapC: convSeq(tc, s.DilW), K: s.K, blocks: blocks, y: y,
		yImg: P * Q * s.K, yRow: Q * s.K, yPix: s.K, flags: flags}
	job.run(ctx)
}

// convPackFwdBF16 writes the forward weights of output channels [k0,
// k0+width) from wb (KRSC, bf16) as dst[(r·S+s)·⌈C/2⌉ + c'][j] = the pair
// (wb[k0+j][r][s][2c'], wb[k0+j][r][s][2c'+1]), zero past K and past C.
func convPackFwdBF16(dst []uint32, wb []BF16, s Conv2DShape, k0, width int) {
	RS, C, cp := s.R*s.S, s.C, (s.C+1)/2
	RSC := RS * C
	for j := 0; j < width; j++ {
		k := k0 + j
		if k >= s.K {
			for i := 0; i < RS*cp; i++ {
				dst[i*width+j] = 0
			}
			continue
		}
		row := wb[k*RSC : (k+1)*RSC]
		if C%2 == 0 {
			pr := unsafe.Slice((*uint32)(unsafe.Pointer(&row[0])), RSC/2)
			for i, v := range pr {
				dst[i*width+j] = v
			}
			continue
		}
		for t := 0; t < RS; t++ {
			rt := row[t*C : (t+1)*C]
			for c := 0; c < cp; c++ {
				v := uint32(rt[2*c])
				if 2*c+1 < C {
					v |= uint32(rt[2*c+1]) << 16
				}
				dst[(t*cp+c)*width+j] = v
			}
		}
	}
}

func conv2DBwdDataBF16Direct(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	b := &ctx.convBF16
	src := convChannelPairs(ctx, &b.pdy, &b.dy, dy, s.N*s.OutH()*s.OutW(), s.K)
	wb := convGrow(&b.w, len(w))
	ctx.ConvertToBF16(wb, w)
	ctx.conv.call = convCall{s: s}
	conv2DBwdDataDirectWith(ctx, s, ctx.convBF16Set(), asF32(src), (s.K+1)/2, dx, convPackBwdDataBF16, false)
}

// convPackBwdDataBF16 packs units [lo, hi) (one tap of one channel block
// each) of the current phase's rotated weights from ctx.convBF16.w (the
// call's weights in bf16) as pairs along the output channels k:
// [tap][k/2][c] = (W[2k'][r][s][c], W[2k'+1][r][s][c]), zero past K and C.
func convPackBwdDataBF16(ctx *Context, _, lo, hi int) {
	cb := &ctx.conv
	s, wb, lanes := cb.call.s, ctx.convBF16.w, ctx.convBF16Set().Lanes
	nTaps := len(cb.rowTaps) * len(cb.colTaps)
	kp := (s.K + 1) / 2
	for i := lo; i < hi; i++ {
		bl, t := cb.blocks[i/nTaps], i%nTaps
		r, c := cb.rowTaps[t/len(cb.colTaps)], cb.colTaps[t%len(cb.colTaps)]
		width := bl.nv * lanes
		n := min(width, s.C-bl.k0)
		dst := asU32(bl.w)
		for k := 0; k < kp; k++ {
			d := dst[(t*kp+k)*width : (t*kp+k+1)*width]
			l := wb[((2*k*s.R+r)*s.S+c)*s.C+bl.k0:][:n]
			if 2*k+1 < s.K {
				h := wb[(((2*k+1)*s.R+r)*s.S+c)*s.C+bl.k0:][:n]
				for j, v := range l {
					d[j] = uint32(v) | uint32(h[j])<<16
				}
			} else {
				for j, v := range l {
					d[j] = uint32(v)
				}
			}
			clear(d[n:])
		}
	}
}

func conv2DBwdWeightsBF16Direct(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	c := &ctx.conv.call
	*c = convCall{s: s, x: x, dy: dy}
	defer func() { *c = convCall{} }()
	if db != nil { // from the float32 dy
		convBiasGrad(ctx, db)
	}
	b := &ctx.convBF16
	P, Q := s.OutH(), s.OutW()
	if convDWPairImages(s) {
		// The shape the float32 job sees: ⌈N/2⌉ images of pairs, image 2n
		// beside image 2n+1 (a zero image beside the last of an odd N).
		ps := s
		ps.N = (s.N + 1) / 2
		xi := convGrow(&b.px, ps.N*s.H*s.W*s.C)
		gi := convGrow(&b.pdy, ps.N*P*Q*s.K)
		ctx.convFor(ps.N*s.H, convPairImagesX)
		ctx.convFor(ps.N*P, convPairImagesDY)
		conv2DBwdWeightsDirectWith(ctx, ps, ctx.convBF16Set(), asF32(xi), asF32(gi), dw, nil)
		return
	}
	Q2 := (Q + 1) / 2
	// The shape the float32 job sees: pixel pairs along each output row
	// (stride 2·SW), over a zero-padded X of just the rows and columns
	// the pairs read.
	ps := Conv2DShape{N: s.N, C: s.C, K: s.K, R: s.R, S: s.S, StrideH: s.StrideH, StrideW: 2 * s.StrideW,
		DilH: s.DilH, DilW: s.DilW,
		H: (P-1)*s.StrideH + (s.R-1)*s.DilH + 1, W: (Q2-1)*2*s.StrideW + (s.S-1)*s.DilW + 1}
	xi := convGrow(&b.px, ps.N*ps.H*ps.W*ps.C)
	gi := convGrow(&b.pdy, s.N*P*Q2*s.K)
	ctx.convFor(s.N*ps.H, convPairColumnsBF16)
	ctx.convFor(s.N*P, convPairPixelsBF16)
	conv2DBwdWeightsDirectWith(ctx, ps, ctx.convBF16Set(), asF32(xi), asF32(gi), dw, nil)
}

// convDWPairImages reports whether the bf16 backward-weights pass of s pairs
// the products of two images (pixel (p, q) of image 2n beside the same
// pixel of image 2n+1) rather than two adjacent pixels of an output row: a
// pair of images needs no padded copy of X and leaves no pixel unpaired
// for an even N, where pairs along rows of odd length Q (the seed CNN's
// conv2: 11) waste 1/(Q+1) of the products on a phantom pixel. It pairs
// images when that wastes no larger a share: N ≥ 2 and N odd only if
// 1/(N+1) ≤ 1/(Q+1) for an odd Q.
func convDWPairImages(s Conv2DShape) bool {
	if s.N < 2 {
		return false
	}
	if s.N%2 == 0 {
		return true
	}
	Q := s.OutW()
	return Q%2 != 0 && s.N >= Q
}

// convPairImagesX writes rows [lo, hi) (image pair n' times H plus row h)
// of the image-paired X of the current backward-weights call: at pixel
// (h, w), channel c, the pair (X[2n'][h][w][c], X[2n'+1][h][w][c]) in bf16,
// a zero partner for the last image of an odd N.
func convPairImagesX(ctx *Context, tid, lo, hi int) {
	s := ctx.conv.call.s
	convPairImageRows(ctx, tid, ctx.conv.call.x, ctx.convBF16.px, s.N, s.H, s.W*s.C, lo, hi)
}

// convPairImagesDY writes rows [lo, hi) of the image-paired dY of the
// current backward-weights call, as convPairImagesX does for X.
func convPairImagesDY(ctx *Context, tid, lo, hi int) {
	s := ctx.conv.call.s
	convPairImageRows(ctx, tid, ctx.conv.call.dy, ctx.convBF16.pdy, s.N, s.OutH(), s.OutW()*s.K, lo, hi)
}

// convPairImageRows sets rows [lo, hi) of dst, ⌈n/2⌉ images of rpi rows of
// rowLen pairs, from src, n images of rpi rows of rowLen float32: row r of
// pair image i holds (row r of image 2i, row r of image 2i+1).
func convPairImageRows(ctx *Context, tid int, src []float32, dst []uint32, n, rpi, rowLen, lo, hi int) {
	img := rpi * rowLen
	for row := lo; row < hi; {
		i, r := row/rpi, row%rpi
		rows := min(hi-row, rpi-r) // the rows of this pair image
		s0 := (2*i*rpi + r) * rowLen
		d := dst[row*rowLen : (row+rows)*rowLen]
		if 2*i+1 < n {
			gemm.PairRowsBF16(1, rows*rowLen, src[s0:], 0, img, d, 0, ctx.bf16)
		} else {
			for k := 0; k < rows; k++ {
				convPairOne(ctx, tid, d[k*rowLen:(k+1)*rowLen], src[s0+k*rowLen:s0+(k+1)*rowLen], nil)
			}
		}
		row += rows
	}
}

// convPairColumnsBF16 writes rows [lo, hi) (over the batch) of the
// backward-weights pass's paired X from the current call's x: at padded
// column w' of row h', channel c, the pair (X[h][w][c], X[h][w+SW][c]) in
// bf16 for h = h'−PH, w = w'−PW, a zero for either outside the image, and
// a zero partner for columns that only the phantom pixel of an odd Q reads
// (so that its zero dY never meets a value no real pixel reads).
func convPairColumnsBF16(ctx *Context, tid, lo, hi int) {
	s, x := ctx.conv.call.s, ctx.conv.call.x
	b := &ctx.convBF16
	P, Q := s.OutH(), s.OutW()
	Q2 := (Q + 1) / 2
	Hp, Wp := (P-1)*s.StrideH+(s.R-1)*s.DilH+1, (Q2-1)*2*s.StrideW+(s.S-1)*s.DilW+1
	lastReal := (Q-1)*s.StrideW - s.PadW + (s.S-1)*s.DilW // the last X column a real pixel reads
	C, SW := s.C, s.StrideW
	// Columns w' in [a, e) have both halves inside: one run of pairs.
	a := max(0, s.PadW)
	e := min(Wp, s.PadW+max(0, min(s.W-SW, lastReal-SW+1)))
	for row := lo; row < hi; row++ {
		n, hp := row/Hp, row%Hp
		d := b.px[row*Wp*C : (row+1)*Wp*C]
		h := hp - s.PadH
		if h < 0 || h >= s.H {
			clear(d)
			continue
		}
		xr := x[(n*s.H+h)*s.W*C : (n*s.H+h+1)*s.W*C]
		if e > a {
			gemm.PairRowsBF16(1, (e-a)*C, xr[(a-s.PadW)*C:], 0, SW*C, d[a*C:], 0, ctx.bf16)
		}
		for wp := 0; wp < Wp; wp++ {
			if wp == a && e > a {
				wp = e - 1
				continue
			}
			w := wp - s.PadW
			var l, h []float32
			if w >= 0 && w < s.W {
				l = xr[w*C : (w+1)*C]
			}
			if w2 := w + SW; w2 >= 0 && w2 < s.W && w2 <= lastReal {
				h = xr[w2*C : (w2+1)*C]
			}
			convPairOne(ctx, tid, d[wp*C:(wp+1)*C], l, h)
		}
	}
}

// convPairOne sets dst[i] to the bf16 pair (lo[i], hi[i]), a nil lo or hi
// standing for zeros, through thread tid's scratch buffer (so that the
// vector pairing serves the borders too).
func convPairOne(ctx *Context, tid int, dst []uint32, lo, hi []float32) {
	n := len(dst)
	if lo == nil && hi == nil {
		clear(dst)
		return
	}
	t := convThreadBuf(&ctx.conv.tile, tid, 2*n)
	if lo == nil {
		clear(t[:n])
	} else {
		copy(t[:n], lo)
	}
	if hi == nil {
		clear(t[n:])
	} else {
		copy(t[n:], hi)
	}
	gemm.PairRowsBF16(1, n, t, 0, n, dst, 0, ctx.bf16)
}

// convPairPixelsBF16 writes output rows [lo, hi) (over the batch) of the
// backward-weights pass's paired dY from the current call's dy: pixel pair
// q' of a row holds, for each channel, (dY[2q'], dY[2q'+1]) in bf16, a zero
// partner for the last pixel of an odd Q.
func convPairPixelsBF16(ctx *Context, tid, lo, hi int) {
	s, dy := ctx.conv.call.s, ctx.conv.call.dy
	b := &ctx.convBF16
	Q, K := s.OutW(), s.K
	Q2 := (Q + 1) / 2
	for row := lo; row < hi; row++ {
		g := dy[row*Q*K : (row+1)*Q*K]
		d := b.pdy[row*Q2*K : (row+1)*Q2*K]
		gemm.PairRowsBF16(Q/2, K, g, 2*K, K, d, K, ctx.bf16)
		if Q%2 != 0 {
			convPairOne(ctx, tid, d[(Q2-1)*K:Q2*K], g[(Q-1)*K:Q*K], nil)
		}
	}
}
