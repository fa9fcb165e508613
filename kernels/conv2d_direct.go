package kernels

import (
	"github.com/trainbench/trainbench/kernels/internal/conv"
)

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

func init() {
	Conv2DFwdImpls.Register(Impl[Conv2DFwdFunc]{Name: "direct", Mode: PerISA, Fn: Conv2DFwdDirect,
		Doc: "register tiles of output pixels × channels over NHWC in place, generated AVX2/AVX-512 kernels"})
	Conv2DBwdDataImpls.Register(Impl[Conv2DBwdDataFunc]{Name: "direct", Mode: PerISA, Fn: Conv2DBwdDataDirect,
		Doc: "the forward kernels on dY with the rotated filter, one stride phase at a time"})
	Conv2DBwdWeightsImpls.Register(Impl[Conv2DBwdWeightsFunc]{Name: "direct", Mode: PerISA, Fn: Conv2DBwdWeightsDirect,
		Doc: "register tiles of window values × channels summed over bands of pixels, per-thread partials"})
}

// convBandBytes bounds the input band a thread works on (padded copy or
// not): about a quarter of a 1 MiB L2, so the band and a weight block stay in
// L2 while the kernels sweep them.
const convBandBytes = 256 << 10

// convChunkBytes bounds the weights of one chunk of the forward kernels'
// reduction (a variable so tests can force chunking on small shapes).
var convChunkBytes = 256 << 10

// convDWBandBytes bounds the input and output-gradient rows of one band of
// the backward-weights pass.
var convDWBandBytes = 256 << 10

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
// reduction step on a core with two FMA pipes of latency 4 and two loads a
// cycle: FMA-bound, load-bound or latency-bound.
func convTileCost(mr, nv int) float64 {
	return max(float64(mr*nv)/2, float64(mr+nv)/2, 4)
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
				cost += float64(sg.n) * convTileCost(sg.mr, bnv)
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

// convFwdJob is one forward-style direct computation: output pixel (n, p, q)
// gets, for each output channel, the sum over taps t and channels c of
// src[n, p·SH−PH+tapR[t], q·SW−PW+tapC[t], c] · packed weights, with src
// zero outside its H×W. tapR and tapC are the row and column offsets of a
// rectangular set of taps (tapR × tapC, row-major), both ascending.
type convFwdJob struct {
	set        *conv.Set
	src        []float32
	N, H, W, C int
	P, Q       int
	SH, SW     int
	PH, PW     int
	tapR, tapC []int
	K          int
	blocks     []convKBlock
	y          []float32
	yBase      int // offset in y of output pixel (0, 0, 0), channel 0
	yImg       int // y elements between consecutive images
	yRow       int // y elements between consecutive output rows of an image
	yPix       int // y elements between consecutive output pixels of a row
	flags      int // conv.FlagBias, conv.FlagReLU
}

// yOff is the offset in y of output pixel (n, p, 0), channel 0.
func (j *convFwdJob) yOff(n, p int) int { return j.yBase + n*j.yImg + p*j.yRow }

// validTapRows returns the range [lo, hi) of tap rows that read inside the
// source for output row p (the others read zero padding).
func (j *convFwdJob) validTapRows(p int) (lo, hi int) {
	h0 := p*j.SH - j.PH
	lo, hi = 0, len(j.tapR)
	for lo < hi && h0+j.tapR[lo] < 0 {
		lo++
	}
	for hi > lo && h0+j.tapR[hi-1] >= j.H {
		hi--
	}
	return lo, hi
}

// run computes the job's output.
func (j *convFwdJob) run(ctx *Context) {
	if j.pointwise() {
		// Pixels are contiguous in source and output across rows and
		// images: run them as rows of L pixels (long rows fill whole
		// register tiles even when the images are 7 pixels wide), then the
		// remainder.
		M := j.N * j.P * j.Q
		L := min(112, max(14, M/(8*ctx.Threads())/14*14))
		if rows := M / L; rows > 0 {
			m := *j
			m.N, m.H, m.W, m.P, m.Q = 1, rows, L, rows, L
			m.yImg, m.yRow = 0, L*j.yPix
			m.runRows(ctx)
		}
		if rem := M % L; rem > 0 {
			r := *j
			r.src = j.src[(M-rem)*j.C:]
			r.N, r.H, r.W, r.P, r.Q = 1, 1, rem, 1, rem
			r.yBase, r.yImg, r.yRow = j.yBase+(M-rem)*j.yPix, 0, rem*j.yPix
			r.runRows(ctx)
		}
		return
	}
	j.runRows(ctx)
}

// pointwise reports whether the job is a 1×1 convolution over contiguous
// pixels: one tap, stride 1, no padding, output pixels contiguous too.
func (j *convFwdJob) pointwise() bool {
	return len(j.tapR) == 1 && len(j.tapC) == 1 && j.tapR[0] == 0 && j.tapC[0] == 0 &&
		j.SH == 1 && j.SW == 1 && j.PH == 0 && j.PW == 0 && j.H == j.P && j.W == j.Q &&
		j.yRow == j.Q*j.yPix && j.yImg == j.P*j.yRow
}

// runRows computes the job's output rows, split across the Context's
// threads.
func (j *convFwdJob) runRows(ctx *Context) {
	ctx.conv.job = *j
	ctx.convFor(j.N*j.P, convJobRows)
	ctx.conv.job = convFwdJob{} // drop the references to the caller's slices
}

// convJobRows computes output rows [lo, hi) of the current job on thread tid.
func convJobRows(ctx *Context, tid, lo, hi int) { ctx.conv.job.rows(ctx, tid, lo, hi) }

// rows computes output rows [lo, hi) (over the batch) on thread tid.
func (j *convFwdJob) rows(ctx *Context, tid, lo, hi int) {
	nTaps := len(j.tapR) * len(j.tapC)
	merge := len(j.tapC) > 1
	for i := 1; i < len(j.tapC); i++ {
		merge = merge && j.tapC[i] == j.tapC[i-1]+1
	}
	minR, maxR := j.tapR[0], j.tapR[len(j.tapR)-1]
	minC, maxC := j.tapC[0], j.tapC[len(j.tapC)-1]
	colFirst := -j.PW + minC
	colLast := (j.Q-1)*j.SW - j.PW + maxC
	wb := colLast - colFirst + 1 // width of a padded band row
	rowsPerOut := max(1, convBandBytes/(4*max(wb, j.W)*j.C))
	band := max(1, (rowsPerOut-(maxR-minR))/max(1, j.SH))
	threads := ctx.Threads()
	maxNV := 0
	for _, b := range j.blocks {
		maxNV = max(maxNV, b.nv)
	}
	lanes := j.set.Lanes
	// Interior output columns [qlo, qhi): every column tap inside the source.
	qlo, qhi := 0, j.Q
	for qlo < j.Q && qlo*j.SW-j.PW+minC < 0 {
		qlo++
	}
	for qhi > qlo && (qhi-1)*j.SW-j.PW+maxC >= j.W {
		qhi--
	}
	colSplit := merge && qhi > qlo && 8*(j.Q-(qhi-qlo)) >= j.Q
	{
		args := convArgs(ctx, threads, tid, conv.FwdTaps+2*nTaps)
		taps := args[conv.FwdTaps+nTaps:] // every tap; args holds a chunk's
		for row := lo; row < hi; {
			n, p0 := row/j.P, row%j.P
			p1 := min(j.P, p0+band, p0+hi-row)
			hFirst := p0*j.SH - j.PH + minR
			hLast := (p1-1)*j.SH - j.PH + maxR
			src, rowStride, base0, _ := convBandSource(ctx, tid, j.src, n, 1, j.H, j.W, j.C, hFirst, hLast, colFirst, colLast)
			// Taps, relative to the first tap of each output pixel.
			nt, nc := nTaps, j.C
			if merge {
				for i, r := range j.tapR {
					taps[i] = (r - minR) * rowStride
				}
				nt, nc = len(j.tapR), len(j.tapC)*j.C
			} else {
				for i, r := range j.tapR {
					for k, c := range j.tapC {
						taps[i*len(j.tapC)+k] = (r-minR)*rowStride + (c-minC)*j.C
					}
				}
			}
			args[conv.FwdPixX], args[conv.FwdNC] = j.SW*j.C, nc
			perRow := nt / len(j.tapR) // taps per tap row
			for _, b := range j.blocks {
				width := b.nv * lanes
				partial := b.k0+width > j.K
				var tile []float32
				if partial {
					tile = convThreadBuf(&ctx.conv.tile, tid, (p1-p0)*j.Q*maxNV*lanes)
				}
				// Chunks of the reduction (taps, or part of one tap's
				// channels) whose weights fit a quarter of L2, so that a
				// large weight block is fetched once per band, not once per
				// tile; partial sums accumulate in y between chunks.
				perTap := nc * width * 4
				tapsPer, cPer := max(1, convChunkBytes/perTap), nc
				if perTap > convChunkBytes {
					cPer = max(4, convChunkBytes/(width*4)/4*4)
				}
				for ta := 0; ta < nt; ta += tapsPer {
					tb := min(nt, ta+tapsPer)
					for ca := 0; ca < nc; ca += cPer {
						cb := min(nc, ca+cPer)
						for p := p0; p < p1; {
							// Skip the tap rows that fall in the zero
							// padding above or below the source; rows
							// with the same taps go to the kernels
							// together.
							rlo, rhi := j.validTapRows(p)
							pe := p + 1
							for pe < p1 {
								if l, h := j.validTapRows(pe); l != rlo || h != rhi {
									break
								}
								pe++
							}
							tlo, thi := rlo*perRow, rhi*perRow
							ea, eb := max(ta, tlo), min(tb, thi)
							var flags int
							switch {
							case tlo == thi && ta == 0 && ca == 0:
								ea, eb, flags = 0, 0, j.flags // no tap reads the source: bias only
							case ea >= eb:
								p = pe
								continue
							default:
								if ea != tlo || ca != 0 {
									flags |= conv.FlagAccumulate
								}
								if eb == thi && cb == nc {
									flags |= j.flags
								}
							}
							for i, t := range taps[ea:eb] {
								args[conv.FwdTaps+i] = t + ca
							}
							args[conv.FwdNTaps], args[conv.FwdNC] = eb-ea, cb-ca
							args[conv.FwdFlags] = flags
							args[conv.FwdNRows], args[conv.FwdRowX] = pe-p, j.SH*rowStride
							wc := b.w[(ea*nc+ca)*width:]
							xs := src[base0+(p-p0)*j.SH*rowStride:]
							ys, ldy := j.y[j.yOff(n, p)+b.k0:], j.yPix
							args[conv.FwdRowY] = j.yRow
							if partial {
								ys, ldy = tile[(p-p0)*j.Q*width:], width
								args[conv.FwdRowY] = j.Q * width
							}
							args[conv.FwdLdy] = ldy
							rowY := args[conv.FwdRowY]
							// With many border pixels (output columns whose
							// taps partly read the zero padding), runs of
							// rows compute only the interior in row tiles,
							// and each border column as tiles down the rows
							// with just its valid taps.
							qa, qb := 0, j.Q
							if colSplit && pe-p >= 4 && flags&conv.FlagAccumulate == 0 && eb == thi && ea < eb && cb == nc {
								qa, qb = qlo, qhi
							}
							q := qa
							for _, sg := range convSplitRow(qb-qa, j.set.MaxMR[b.nv]) {
								if sg.n == 0 {
									continue
								}
								args[conv.FwdNTiles] = sg.n
								args[conv.FwdTileX] = sg.mr * j.SW * j.C
								args[conv.FwdTileY] = sg.mr * ldy
								j.set.Fwd[b.nv][sg.mr](xs[q*j.SW*j.C:], wc, ys[q*ldy:], b.bias, args)
								q += sg.mr * sg.n
							}
							for q := 0; q < j.Q; q++ {
								if q == qa {
									q = qb - 1
									continue
								}
								j.borderColumn(args, b, width, xs, ys, q, ldy, rowY, pe-p, rlo, rhi, rowStride, nc, taps)
							}
							p = pe
						}
					}
				}
				if partial {
					n0 := j.K - b.k0
					for p := p0; p < p1; p++ {
						yo := j.yOff(n, p) + b.k0
						tp := tile[(p-p0)*j.Q*width:]
						for q := 0; q < j.Q; q++ {
							copy(j.y[yo+q*j.yPix:yo+q*j.yPix+n0], tp[q*width:q*width+n0])
						}
					}
				}
			}
			row += p1 - p0
		}
	}
}

// borderColumn computes output column q of a run of nrows rows whose tap
// rows [rlo, rhi) are valid, as tiles down the rows (pixel stride: one row),
// one tap row at a time with only the column taps that read inside the
// source (merged taps: a shorter contiguous window). xs and ys address
// column 0 of the run's first row; rowY is the output row stride.
func (j *convFwdJob) borderColumn(args []int, b convKBlock, width int, xs, ys []float32, q, ldy, rowY, nrows, rlo, rhi, rowStride, nc int, taps []int) {
	w0 := q*j.SW - j.PW
	clo, chi := 0, len(j.tapC)
	for clo < chi && w0+j.tapC[clo] < 0 {
		clo++
	}
	for chi > clo && w0+j.tapC[chi-1] >= j.W {
		chi--
	}
	args[conv.FwdNRows], args[conv.FwdRowX], args[conv.FwdRowY] = 1, 0, 0
	args[conv.FwdPixX], args[conv.FwdLdy] = j.SH*rowStride, rowY
	xq, yq := xs[q*j.SW*j.C:], ys[q*ldy:]
	lo, hi := rlo, rhi
	if clo == chi {
		lo, hi = 0, 1 // no valid tap: one pass with none, for the bias
	}
	for r := lo; r < hi; r++ {
		flags := 0
		if r > lo {
			flags |= conv.FlagAccumulate
		}
		if r == hi-1 {
			flags |= j.flags
		}
		args[conv.FwdFlags] = flags
		args[conv.FwdNTaps], args[conv.FwdNC], args[conv.FwdTaps] = 1, (chi-clo)*j.C, taps[min(r, len(taps)-1)]+clo*j.C
		if clo == chi {
			args[conv.FwdNTaps] = 0
		}
		wr := b.w[(r*nc+clo*j.C)*width:]
		i := 0
		for _, sg := range convSplitRow(nrows, j.set.MaxMR[b.nv]) {
			if sg.n == 0 {
				continue
			}
			args[conv.FwdNTiles] = sg.n
			args[conv.FwdTileX] = sg.mr * j.SH * rowStride
			args[conv.FwdTileY] = sg.mr * rowY
			j.set.Fwd[b.nv][sg.mr](xq[i*j.SH*rowStride:], wr, yq[i*rowY:], b.bias, args)
			i += sg.mr * sg.n
		}
	}
	args[conv.FwdPixX] = j.SW * j.C
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

// convSeq sets v to 0, d, 2d, ... and returns it.
func convSeq(v []int, d int) []int {
	for i := range v {
		v[i] = i * d
	}
	return v
}

// convInts returns two int slices of lengths a and b from the Context's
// reusable buffer.
func convInts(ctx *Context, a, b int) ([]int, []int) {
	v := convGrow(&ctx.conv.ints, a+b)
	return v[:a:a], v[a:]
}

// Conv2DFwdDirect is the forward pass with the direct kernels (see the
// package's Conv2D documentation for the definition).
func Conv2DFwdDirect(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("Conv2DFwdDirect", s, x, w, bias, y)
	conv2DFwdDirect(ctx, s, x, w, bias, y, false)
}

func conv2DFwdDirect(ctx *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	convPerThread(ctx)
	set := conv.For(ctx.isa)
	P, Q := s.OutH(), s.OutW()
	RSC := s.R * s.S * s.C
	nv := convPickNV(set, s.K, Q)
	blocks := convBlocks(ctx, set, s.K, nv)
	// Pack Wt[k][rsc] into one [rsc][nv·lanes] block per channel block,
	// and the bias padded with zeros.
	lanes := set.Lanes
	kp := 0
	for _, b := range blocks {
		kp += b.nv * lanes
	}
	packed := convGrow(&ctx.conv.wt, kp*RSC+kp)
	off := 0
	for i := range blocks {
		b := &blocks[i]
		b.w = packed[off : off+RSC*b.nv*lanes]
		off += RSC * b.nv * lanes
	}
	pbias := packed[off : off+kp]
	ctx.conv.call = convCall{s: s, w: w}
	ctx.convFor(len(blocks)*((RSC+63)/64), convPackFwd)
	ctx.conv.call = convCall{}
	flags := 0
	if bias != nil {
		flags |= conv.FlagBias
		clear(pbias)
		copy(pbias, bias)
		for i := range blocks {
			blocks[i].bias = pbias[blocks[i].k0:]
		}
	}
	if relu {
		flags |= conv.FlagReLU
	}
	tr, tc := convInts(ctx, s.R, s.S)
	job := convFwdJob{set: set, src: x, N: s.N, H: s.H, W: s.W, C: s.C, P: P, Q: Q,
		SH: s.StrideH, SW: s.StrideW, PH: s.PadH, PW: s.PadW,
		tapR: convSeq(tr, s.DilH), tapC: convSeq(tc, s.DilW), K: s.K, blocks: blocks, y: y,
		yImg: P * Q * s.K, yRow: Q * s.K, yPix: s.K, flags: flags}
	job.run(ctx)
}

// convPackFwd packs units [lo, hi) of the forward weights (64 reduction
// indices of one channel block each) of the current call's w into the
// channel blocks.
func convPackFwd(ctx *Context, _, lo, hi int) {
	s, w, lanes := ctx.conv.call.s, ctx.conv.call.w, conv.For(ctx.isa).Lanes
	RSC := s.R * s.S * s.C
	per := (RSC + 63) / 64
	for i := lo; i < hi; i++ {
		b := ctx.conv.blocks[i/per]
		r0 := (i % per) * 64
		convPackTransposed(b.w, w, s.K, RSC, b.k0, b.nv*lanes, r0, min(RSC, r0+64))
	}
}

// convPackTransposed writes rows [r0, r1) of the block dst[rsc][width] from
// w[k][rsc] (k rows of rsc values): dst[i·width + j] = w[(k0+j)·rsc + i],
// zero for k0+j ≥ k.
func convPackTransposed(dst, w []float32, k, rsc, k0, width, r0, r1 int) {
	for j := 0; j < width; j++ {
		if k0+j >= k {
			for i := r0; i < r1; i++ {
				dst[i*width+j] = 0
			}
			continue
		}
		src := w[(k0+j)*rsc+r0 : (k0+j)*rsc+r1]
		for i, v := range src {
			dst[(r0+i)*width+j] = v
		}
	}
}

// Conv2DBwdDataDirect is the backward-data pass with the direct kernels.
func Conv2DBwdDataDirect(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("Conv2DBwdDataDirect", s, dy, w, dx)
	conv2DBwdDataDirect(ctx, s, dy, w, dx)
}

func conv2DBwdDataDirect(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	convPerThread(ctx)
	set := conv.For(ctx.isa)
	P, Q := s.OutH(), s.OutW()
	lanes := set.Lanes
	cb := &ctx.conv
	cb.call = convCall{s: s, w: w}
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
			job := convFwdJob{set: set, src: dy, N: s.N, H: P, W: Q, C: s.K, P: hi, Q: wi, SH: 1, SW: 1,
				PH: -rowD0, PW: -colD0, tapR: cb.rowOffs, tapC: cb.colOffs,
				K: s.C, blocks: blocks, y: dx, yBase: (fh*s.W + fw) * s.C, yImg: s.H * s.W * s.C,
				yRow: s.StrideH * s.W * s.C, yPix: s.StrideW * s.C}
			if len(cb.rowTaps) == 0 || len(cb.colTaps) == 0 {
				// No tap reaches this phase: its input gradient is zero.
				cb.job = job
				ctx.convFor(s.N*hi, convZeroRows)
				cb.job = convFwdJob{}
				continue
			}
			// Pack W'[(tap row, tap col, k)][c] = Wt[k][r][s][c] per block.
			nTaps := len(cb.rowTaps) * len(cb.colTaps)
			red := nTaps * s.K
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
			ctx.convFor(len(blocks)*nTaps, convPackBwdData)
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

// Conv2DBwdWeightsDirect is the backward-weights pass with the direct
// kernels.
func Conv2DBwdWeightsDirect(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("Conv2DBwdWeightsDirect", s, x, dy, dw, db)
	conv2DBwdWeightsDirect(ctx, s, x, dy, dw, db)
}

// convPickDW chooses the vectors per tile row of the weight-gradient kernel
// for k output channels and windows of winLen values, like convPickNV.
func convPickDW(set *conv.Set, k, winLen int) int {
	return convPickNV(set, k, winLen)
}

// convDWJob is the direct backward-weights pass in progress (a Context
// field, so that the bodies of its parallel loops are package-level
// functions and a call does not allocate).
type convDWJob struct {
	set               *conv.Set
	s                 Conv2DShape
	x, dy, dw         []float32
	bias              bool // compute the bias gradient
	blocks            []convKBlock
	P, Q, RSC, kp     int
	winLen, winCols   int
	jsegs             [2]convSeg
	wideDY            bool // dY rows are widened to kp channels
	colFirst, colLast int
	imgMode           bool // units are whole images, perBand at a time
	band, perBand     int  // output rows (or images) a band
}

func conv2DBwdWeightsDirect(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	convPerThread(ctx)
	set := conv.For(ctx.isa)
	lanes := set.Lanes
	P, Q := s.OutH(), s.OutW()
	RSC := s.R * s.S * s.C
	// Windows of the receptive field that are contiguous in NHWC: one per
	// filter row (S·C values) without dilation, else one per tap (C values).
	winLen, winCols := s.S*s.C, 1
	if s.DilW != 1 && s.S > 1 {
		winLen, winCols = s.C, s.S
	}
	nv := convPickDW(set, s.K, winLen)
	blocks := convBlocks(ctx, set, s.K, nv)
	kp := 0
	for _, b := range blocks {
		kp += b.nv * lanes
	}
	colFirst := -s.PadW
	colLast := (Q-1)*s.StrideW - s.PadW + (s.S-1)*s.DilW
	wb := colLast - colFirst + 1
	// A band's input rows and output-gradient rows together fill about
	// convBandBytes, so that both stay in L2 while every tile sweeps them.
	xRow, gRow := 4*max(wb, s.W)*s.C, 4*Q*kp
	band := max(1, (convDWBandBytes-(s.R-1)*s.DilH*xRow)/(s.StrideH*xRow+gRow))
	// But at least ~128 pixels: every band reads and writes each tile of
	// the partial gradient once, and calls each kernel once per tile.
	band = max(band, (128+Q-1)/Q)
	T := ctx.Threads()
	used := ctx.conv.used[:T] // whether thread t's partial holds anything
	clear(used)
	for t := 0; t < T; t++ {
		convThreadBuf(&ctx.conv.part, t, RSC*kp+kp)
	}
	// Small images go to the kernels several at a time (whole images per
	// band), so that each accumulator tile is loaded and stored once per
	// band rather than once per image.
	imgMode := band >= P && s.N > 1
	units, perBand := s.N*P, 1
	if imgMode {
		units, perBand = s.N, band/P
	}
	j := &ctx.conv.dw
	*j = convDWJob{set: set, s: s, x: x, dy: dy, dw: dw, bias: db != nil, blocks: blocks,
		P: P, Q: Q, RSC: RSC, kp: kp, winLen: winLen, winCols: winCols,
		jsegs: convSplitRow(winLen, set.MaxMR[nv]), wideDY: kp != s.K, colFirst: colFirst, colLast: colLast,
		imgMode: imgMode, band: band, perBand: perBand}
	defer func() { *j = convDWJob{} }()
	ctx.convFor(units, convDWUnits)
	// dW[k][i] = Σ_t partial_t[i][k], threads in order, in 16×16 blocks.
	perI, perK := (RSC+15)/16, (s.K+15)/16
	ctx.convFor(perI*perK, convDWSum)
	if db != nil {
		clear(db)
		for t := 0; t < T; t++ {
			if used[t] {
				convAddTo(db, ctx.conv.part[t][RSC*kp:RSC*kp+s.K])
			}
		}
	}
}

// convDWUnits accumulates the weight (and bias) gradient of units [lo, hi)
// (output rows or images over the batch) of the current backward-weights
// job into thread tid's partial.
func convDWUnits(ctx *Context, tid, lo, hi int) {
	j := &ctx.conv.dw
	s, set, P, Q, RSC, kp := j.s, j.set, j.P, j.Q, j.RSC, j.kp
	T := ctx.Threads()
	ctx.conv.used[tid] = true
	part := ctx.conv.part[tid][:RSC*kp]
	args := convArgs(ctx, T, tid, conv.DWParams)
	first := true
	for u := lo; u < hi; {
		n, nimg, p0, p1 := u, min(j.perBand, hi-u), 0, P
		if !j.imgMode {
			n, nimg, p0 = u/P, 1, u%P
			p1 = min(P, p0+j.band, p0+hi-u)
			u += p1 - p0
		} else {
			u += nimg
		}
		hFirst := p0*s.StrideH - s.PadH
		hLast := (p1-1)*s.StrideH - s.PadH + (s.R-1)*s.DilH
		src, rowStride, base0, imgX := convBandSource(ctx, tid, j.x, n, nimg, s.H, s.W, s.C, hFirst, hLast, j.colFirst, j.colLast)
		g, ldg := j.dy[(n*P+p0)*Q*s.K:((n+nimg-1)*P+p1)*Q*s.K], s.K
		if j.wideDY {
			npx := len(g) / s.K
			wide := convThreadBuf(&ctx.conv.dy, tid, npx*kp)
			for i := 0; i < npx; i++ {
				copy(wide[i*kp:i*kp+s.K], g[i*s.K:(i+1)*s.K])
				clear(wide[i*kp+s.K : (i+1)*kp])
			}
			g, ldg = wide, kp
		}
		args[conv.DWNPix], args[conv.DWPixX], args[conv.DWPixDY] = Q, s.StrideW*s.C, ldg
		args[conv.DWNRows], args[conv.DWRowX], args[conv.DWRowDY] = p1-p0, s.StrideH*rowStride, Q*ldg
		args[conv.DWNImg], args[conv.DWImgX], args[conv.DWImgDY] = nimg, imgX, P*Q*ldg
		args[conv.DWLdw] = kp
		args[conv.DWFlags] = conv.FlagAccumulate
		if first {
			args[conv.DWFlags] = 0
		}
		for r := 0; r < s.R; r++ {
			for c := 0; c < j.winCols; c++ {
				win := r*j.winCols + c
				xo := base0 + r*s.DilH*rowStride + c*s.DilW*s.C
				j0 := 0
				for _, sg := range j.jsegs {
					for t := 0; t < sg.n; t++ {
						for _, b := range j.blocks {
							set.DW[b.nv][sg.mr](src[xo+j0:], g[b.k0:], part[(win*j.winLen+j0)*kp+b.k0:], args)
						}
						j0 += sg.mr
					}
				}
			}
		}
		first = false
	}
	if j.bias {
		pdb := ctx.conv.part[tid][RSC*kp : RSC*kp+s.K]
		clear(pdb)
		px := Q
		if j.imgMode {
			px = P * Q
		}
		set.ColSums(pdb, j.dy[lo*px*s.K:hi*px*s.K], (hi-lo)*px, s.K)
	}
}

// convDWSum writes blocks [lo, hi) (16×16 each) of the current
// backward-weights job's dw from the threads' partials.
func convDWSum(ctx *Context, _, lo, hi int) {
	j := &ctx.conv.dw
	perI := (j.RSC + 15) / 16
	for blk := lo; blk < hi; blk++ {
		convSumTranspose16(j.dw, ctx.conv.part, ctx.conv.used, j.RSC, j.kp, (blk%perI)*16, (blk/perI)*16, j.s.K)
	}
}

// convSumTranspose16 sets the block of dst[k][i] (row length rsc) at rows
// [k0, k0+16) and columns [i0, i0+16), clipped to k rows and rsc columns, to
// Σ_t parts[t][i][k] (row length kp) over the threads t marked used, in
// thread order.
func convSumTranspose16(dst []float32, parts [][]float32, used []bool, rsc, kp, i0, k0, k int) {
	i1, k1 := min(rsc, i0+16), min(k, k0+16)
	var blk [16][16]float32
	first := true
	for t, part := range parts {
		if !used[t] {
			continue
		}
		for i := i0; i < i1; i++ {
			row := part[i*kp+k0 : i*kp+k1]
			for kk, v := range row {
				if first {
					blk[kk][i-i0] = v
				} else {
					blk[kk][i-i0] += v
				}
			}
		}
		first = false
	}
	for kk := k0; kk < k1; kk++ {
		copy(dst[kk*rsc+i0:kk*rsc+i1], blk[kk-k0][:i1-i0])
	}
}
