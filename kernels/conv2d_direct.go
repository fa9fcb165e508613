package kernels

import "github.com/trainbench/trainbench/kernels/internal/conv"

// The direct implementations run generated register-tile micro-kernels
// (package internal/conv) on the NHWC data in place, with no im2col buffer:
//
//   - forward: a tile of up to 14 consecutive output pixels of one output row
//     × 1-4 vectors of output channels stays in registers while the kernel
//     walks every tap and input channel, broadcasting input values and
//     loading packed weights (weights repacked per call so that output
//     channels are contiguous). Without dilation the R·S·C reduction runs as
//     R contiguous runs of S·C values.
//   - backward-data: the forward kernel on dY with the filter rotated by 180°
//     and its channel axes swapped; for stride > 1 the input gradient splits
//     into stride² phases, each a stride-1 convolution with a subset of the
//     taps.
//   - backward-weights: a tile of up to 14 consecutive values of the
//     receptive-field window × 1-4 vectors of output channels is summed over
//     a band of output pixels; the bias gradient is a vectorised column sum.
//
// Zero padding is materialised per band of output rows in a per-thread buffer
// (only for bands that reach outside the input). Output rows are split across
// threads; forward and backward-data compute each output element on one
// thread in a fixed order (results do not depend on the thread count),
// backward-weights sums per-thread partial gradients in thread order.
//
// The passes are in conv2d_direct_fwd.go, conv2d_direct_bwddata.go and
// conv2d_direct_bwdweights.go; this file holds what they share: channel
// blocks and their tiling, the per-thread parameter blocks, and the band
// source with its zero padding.

// convKBlock is one block of output channels [k0, k0+nv·lanes) and its packed
// weights ([taps·C][nv·lanes]) and bias (nv·lanes values, or nil).
type convKBlock struct {
	k0, nv  int
	w, bias []float32
}

// convSeg is a run of n tiles of mr pixels along an output row.
type convSeg struct{ mr, n int }

// convSplitRow splits a row of q pixels into tiles of at most maxMR, as even as
// possible: runs of mr+1 and of mr pixels (a run may have n = 0).
func convSplitRow(q, maxMR int) [2]convSeg {
	nt := (q + maxMR - 1) / maxMR
	a, rem := q/nt, q%nt
	return [2]convSeg{{a + 1, rem}, {a, nt - rem}}
}

// convTileCost estimates the cycles of a tile of mr pixels × nv vectors per
// reduction step on a core with two FMA pipes and two loads a
// cycle: FMA-bound, load-bound or latency-bound (inFlight multiply-adds
// needed in flight, conv.Set.InFlight).
func convTileCost(mr, nv, inFlight int) float64 {
	return max(float64(mr*nv)/2, float64(mr+nv)/2, float64(inFlight)/2)
}

// convPickNV chooses the vectors per tile row for k output channels and rows
// of q pixels: the cheapest by convTileCost over the whole row and every
// channel block, ties going to fewer loads.
func convPickNV(set *conv.Set, k, q int) int {
	best, bestCost, bestLoads := 0, 0.0, 0.0
	for nv := 1; nv < len(set.MaxMR); nv++ {
		if set.MaxMR[nv] == 0 {
			continue
		}
		var cost, loads float64
		for k0 := 0; k0 < k; k0 += nv * set.Lanes {
			bnv := min(nv, (k-k0+set.Lanes-1)/set.Lanes)
			for _, sg := range convSplitRow(q, set.MaxMR[bnv]) {
				cost += float64(sg.n) * convTileCost(sg.mr, bnv, set.InFlight)
				loads += float64(sg.n * (sg.mr + bnv))
			}
		}
		if best == 0 || cost < bestCost-1e-9 || (cost < bestCost+1e-9 && loads < bestLoads) {
			best, bestCost, bestLoads = nv, cost, loads
		}
	}
	return best
}

// convBlocks lays out the output-channel blocks for k channels with nv
// vectors each (the last block narrower if k is not a multiple of nv
// vectors), in the Context's reusable block list.
func convBlocks(ctx *Context, set *conv.Set, k, nv int) []convKBlock {
	bs := ctx.conv.blocks[:0]
	for k0 := 0; k0 < k; k0 += nv * set.Lanes {
		bs = append(bs, convKBlock{k0: k0, nv: min(nv, (k-k0+set.Lanes-1)/set.Lanes)})
	}
	ctx.conv.blocks = bs
	return bs
}

// convArgs returns thread tid's kernel parameter block with n entries.
func convArgs(ctx *Context, threads, tid, n int) []int {
	if cap(ctx.conv.args[tid]) < n {
		// Whole cache lines (the kernels read the block constantly, and
		// threads rewrite theirs per row: no false sharing).
		ctx.conv.args[tid] = make([]int, (n+15)/16*16)
	}
	a := ctx.conv.args[tid][:n]
	clear(a)
	return a
}

// convBandSource returns where thread tid reads a band of nimg images from:
// rows [hFirst, hLast] and columns [colFirst, colLast] of images n, n+1, ...
// of x (h×w pixels of c channels). If they lie inside the images that is x
// itself; otherwise a copy in the thread's band buffer, zero outside the
// images. It returns the source, its row length, the offset of pixel
// (hFirst, colFirst) of image n, and the distance between images.
func convBandSource(ctx *Context, tid int, x []float32, n, nimg, h, w, c, hFirst, hLast, colFirst, colLast int) (src []float32, rowStride, base0, imgStride int) {
	if hFirst >= 0 && hLast < h && colFirst >= 0 && colLast < w {
		return x, w * c, ((n*h+hFirst)*w + colFirst) * c, h * w * c
	}
	rows, wb := hLast-hFirst+1, colLast-colFirst+1
	imgStride = rows * wb * c
	src = convThreadBuf(&ctx.conv.band, tid, nimg*imgStride)
	for i := 0; i < nimg; i++ {
		convPadBand(src[i*imgStride:], x, n+i, h, w, c, hFirst, rows, colFirst, wb)
	}
	return src, wb * c, 0, imgStride
}

// convPadBand copies rows [hFirst, hFirst+rows) and columns [colFirst,
// colFirst+wb) of image n of src (h×w pixels of c channels) into dst, zero
// where they fall outside the image.
func convPadBand(dst, src []float32, n, h, w, c, hFirst, rows, colFirst, wb int) {
	c0, c1 := max(0, colFirst), min(w, colFirst+wb)
	for i := 0; i < rows; i++ {
		d := dst[i*wb*c : (i+1)*wb*c]
		hh := hFirst + i
		if hh < 0 || hh >= h || c0 >= c1 {
			clear(d)
			continue
		}
		clear(d[:(c0-colFirst)*c])
		copy(d[(c0-colFirst)*c:(c1-colFirst)*c], src[((n*h+hh)*w+c0)*c:((n*h+hh)*w+c1)*c])
		clear(d[(c1-colFirst)*c:])
	}
}
