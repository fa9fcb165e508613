package kernels

import "github.com/trainbench/trainbench/kernels/internal/conv"

// The direct backward-data pass: the forward job on dY with the filter
// rotated by 180° and its channel axes swapped, one stride phase at a time
// (see conv2d_direct.go).

// conv2DBwdDataDirectChecked is the backward-data pass with the direct kernels.
func conv2DBwdDataDirectChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data direct", s, dy, w, dx)
	conv2DBwdDataDirect(ctx, s, dy, w, dx)
}

func conv2DBwdDataDirect(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	ctx.conv.call = convCall{s: s, w: w}
	conv2DBwdDataDirectWith(ctx, s, conv.For(ctx.isa), dy, s.K, dx, convPackBwdData, false)
}

// conv2DBwdDataAddDirectChecked adds the backward-data pass into dx with
// the direct kernels.
func conv2DBwdDataAddDirectChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data-add direct", s, dy, w, dx)
	conv2DBwdDataAddDirect(ctx, s, dy, w, dx)
}

// conv2DBwdDataAddDirect is conv2DBwdDataDirect adding into dx.
func conv2DBwdDataAddDirect(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	ctx.conv.call = convCall{s: s, w: w}
	conv2DBwdDataDirectWith(ctx, s, conv.For(ctx.isa), dy, s.K, dx, convPackBwdData, true)
}

// conv2DBwdDataDirectWith is the backward-data pass with the kernels of set
// on src (dY as the kernels read it: srcC elements a pixel), packing each
// phase's weights with pack (a convFor body; it reads ctx.conv.call, which
// the caller has set and this function clears). With acc it adds the
// gradient to dx's old contents instead of overwriting them.
func conv2DBwdDataDirectWith(ctx *Context, s Conv2DShape, set *conv.Set, src []float32, srcC int, dx []float32, pack func(ctx *Context, tid, lo, hi int), acc bool) {
	convPerThread(ctx)
	P, Q := s.OutH(), s.OutW()
	lanes := set.Lanes
	cb := &ctx.conv
	defer func() { cb.call = convCall{} }()
	// Each phase (φh, φw) of the input gradient (pixels φh + SH·i, φw +
	// SW·j) is a stride-1 "convolution" over dY with the taps that reach it.
	for fh := 0; fh < s.StrideH; fh++ {
		hi := (s.H - fh + s.StrideH - 1) / s.StrideH // rows of this phase
		rowD0 := convPhase(&cb.rowTaps, &cb.rowOffs, fh, s.StrideH, s.PadH, s.DilH, s.R)
		for fw := 0; fw < s.StrideW; fw++ {
			wi := (s.W - fw + s.StrideW - 1) / s.StrideW
			if hi <= 0 || wi <= 0 {
				continue
			}
			colD0 := convPhase(&cb.colTaps, &cb.colOffs, fw, s.StrideW, s.PadW, s.DilW, s.S)
			nv := convPickNV(set, s.C, wi)
			blocks := convBlocks(ctx, set, s.C, nv)
			// Output pixel i of the phase reads dY row i + δ: a stride-1 job
			// with padding −min δ and taps at δ − min δ.
			job := convFwdJob{set: set, src: src, N: s.N, H: P, W: Q, C: srcC, P: hi, Q: wi, SH: 1, SW: 1,
				PH: -rowD0, PW: -colD0, tapR: cb.rowOffs, tapC: cb.colOffs,
				K: s.C, blocks: blocks, y: dx, yBase: (fh*s.W + fw) * s.C, yImg: s.H * s.W * s.C,
				yRow: s.StrideH * s.W * s.C, yPix: s.StrideW * s.C, acc: acc}
			if len(cb.rowTaps) == 0 || len(cb.colTaps) == 0 {
				// No tap reaches this phase: its input gradient is zero.
				if acc {
					continue
				}
				cb.job = job
				ctx.convFor(s.N*hi, convZeroRows)
				cb.job = convFwdJob{}
				continue
			}
			// Pack W'[(tap row, tap col, k)][c] = Wt[k][r][s][c] per block.
			nTaps := len(cb.rowTaps) * len(cb.colTaps)
			red := nTaps * srcC
			cpad := 0
			for _, b := range blocks {
				cpad += b.nv * lanes
			}
			packed := convGrow(&cb.wt, red*cpad)
			off := 0
			for i := range blocks {
				b := &blocks[i]
				b.w = packed[off : off+red*b.nv*lanes]
				off += red * b.nv * lanes
			}
			ctx.convFor(len(blocks)*nTaps, pack)
			job.run(ctx)
		}
	}
}

// convPhase lists the taps of one filter axis (n taps with dilation dil,
// stride and padding pad) that reach phase φ of the backward-data pass:
// input position φ + stride·i receives tap r from output position i + δ
// with δ = (φ + pad − r·dil)/stride when that divides. It sets *taps to
// those r (descending, so that δ ascends) and *offs to their δ − δ₀, and
// returns δ₀, the smallest δ (0 if no tap reaches the phase).
func convPhase(taps, offs *[]int, phi, stride, pad, dil, n int) int {
	t, o := convGrow(taps, n)[:0], convGrow(offs, n)[:0]
	for r := n - 1; r >= 0; r-- {
		if d := phi + pad - r*dil; ((d%stride)+stride)%stride == 0 {
			t = append(t, r)
			o = append(o, convFloorDiv(d, stride))
		}
	}
	d0 := 0
	if len(o) > 0 {
		d0 = o[0]
	}
	for i := range o {
		o[i] -= d0
	}
	*taps, *offs = t, o
	return d0
}

// convZeroRows zeroes the output rows [lo, hi) (over the batch) of the
// current job, K channels of each of its Q pixels.
func convZeroRows(ctx *Context, _, lo, hi int) {
	j := &ctx.conv.job
	for row := lo; row < hi; row++ {
		o := j.yOff(row/j.P, row%j.P)
		for q := 0; q < j.Q; q++ {
			clear(j.y[o+q*j.yPix : o+q*j.yPix+j.K])
		}
	}
}

// convPackBwdData packs units [lo, hi) (one tap of one channel block each)
// of the current phase's rotated, channel-swapped weights from the current
// call's w into the channel blocks.
func convPackBwdData(ctx *Context, _, lo, hi int) {
	cb := &ctx.conv
	s, w, lanes := cb.call.s, cb.call.w, conv.For(ctx.isa).Lanes
	nTaps := len(cb.rowTaps) * len(cb.colTaps)
	for i := lo; i < hi; i++ {
		b, t := cb.blocks[i/nTaps], i%nTaps
		r, c := cb.rowTaps[t/len(cb.colTaps)], cb.colTaps[t%len(cb.colTaps)]
		width := b.nv * lanes
		n := min(width, s.C-b.k0)
		for k := 0; k < s.K; k++ {
			d := b.w[(t*s.K+k)*width : (t*s.K+k+1)*width]
			copy(d[:n], w[((k*s.R+r)*s.S+c)*s.C+b.k0:][:n])
			clear(d[n:])
		}
	}
}

// convFloorDiv is ⌊a/b⌋ for b > 0.
func convFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
