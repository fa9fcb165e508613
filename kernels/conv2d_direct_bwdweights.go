package kernels

import "github.com/trainbench/trainbench/kernels/internal/conv"

// The direct backward-weights pass: register tiles of receptive-field window
// values × output channels summed over bands of output pixels into
// per-chunk partial gradients, added in chunk order whichever thread ran each
// chunk (see conv2d_direct.go).

// convDWBandBytes bounds the input rows of one band of the backward-weights
// pass (they stay in L2 while every channel block sweeps them), and
// convDWPanelBytes its packed output-gradient panel of one channel block
// (it stays in L1 while every window tile sweeps it).
var (
	convDWBandBytes  = 256 << 10
	convDWPanelBytes = 24 << 10
)

// convDWGatherPad is the padding, in floats, after each pixel of a gathered
// input band (see convDWGather): one cache line, so that the pixels' rows do
// not fall a power of two bytes apart.
const convDWGatherPad = 16

// convDWGather reports whether the backward-weights pass of s copies each
// band's input pixels into a contiguous, padded buffer before the kernels
// sweep it: for strided 1×1 filters whose pixels lie a multiple of 4 KiB
// apart in x (StrideW·C floats; ResNet-50's c512 stride-2 projection), so
// that every pixel's line would fall in the same L1 set and the window
// tiles, which re-read the band once per tile, would miss on set conflicts.
// At 2 KiB (the c256 projection) the copy measured no faster.
func convDWGather(s Conv2DShape) bool {
	return s.R == 1 && s.S == 1 && s.StrideW > 1 && s.StrideW*s.C%1024 == 0
}

// convDWNoPack reports whether the backward-weights pass of s (windows of
// winLen values, several channel blocks) reads the output gradient in place,
// window tile outer and channel blocks inner, rather than packed per channel
// block: when a pixel's output gradient is at least four times its window
// values (ResNet-50's 1×1 expansions), keeping the tile's input values in L1
// while the blocks stream the gradient from L2 measured faster, and when it
// is at most four cache lines (K ≤ 64: the seed CNN's conv2 at avx2, whose
// packing measured 5% slower).
func convDWNoPack(s Conv2DShape, winLen int) bool {
	return s.K >= 4*winLen || s.K <= 64
}

// conv2DBwdWeightsDirectChecked is the backward-weights pass with the direct
// kernels.
func conv2DBwdWeightsDirectChecked(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights direct", s, x, dy, dw, db)
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
	pack              bool // dY is packed per channel block
	gather            bool // x is gathered per band (convDWGather)
	colFirst, colLast int
	imgMode           bool // units are whole images, perBand at a time
	byImage           bool // the loop's items are images, else units
	band, perBand     int  // output rows (or images) a band
}

func conv2DBwdWeightsDirect(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	conv2DBwdWeightsDirectWith(ctx, s, conv.For(ctx.isa), x, dy, dw, db)
}

// conv2DBwdWeightsDirectWith is the backward-weights pass with the kernels
// of set.
func conv2DBwdWeightsDirectWith(ctx *Context, s Conv2DShape, set *conv.Set, x, dy, dw, db []float32) {
	convPerThread(ctx)
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
	// Pack the output gradient per channel block unless it is read in place
	// (kp = K) and narrower than the window values a pixel reads.
	pack := kp != s.K || (len(blocks) > 1 && !convDWNoPack(s, winLen))
	xRow, gRow := 4*max(wb, s.W)*s.C, 4*Q*kp
	var band int
	if pack {
		// A band's input rows fill about convDWBandBytes and its packed
		// panel of one channel block's output gradient about
		// convDWPanelBytes.
		gRow = 4 * Q * nv * lanes
		band = max(1, min((convDWBandBytes-(s.R-1)*s.DilH*xRow)/(s.StrideH*xRow), convDWPanelBytes/gRow))
	} else {
		// A band's input rows and output-gradient rows together fill about
		// convDWBandBytes, and it has at least ~128 pixels: every band
		// reads and writes each tile of the partial gradient once.
		band = max(1, (convDWBandBytes-(s.R-1)*s.DilH*xRow)/(s.StrideH*xRow+gRow))
		band = max(band, (128+Q-1)/Q)
	}
	used := ctx.conv.used // whether chunk c's partial holds anything
	clear(used)
	for c := range ctx.conv.part {
		convThreadBuf(&ctx.conv.part, c, RSC*kp+kp)
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
		jsegs: convSplitRow(winLen, set.MaxMR[nv]), pack: pack, gather: convDWGather(s), colFirst: colFirst, colLast: colLast,
		imgMode: imgMode, band: band, perBand: perBand}
	defer func() { *j = convDWJob{} }()
	// The chunks, whose partials are added in order, are whole images
	// when there are enough of them, else output rows: they depend on the
	// shape and thread count only, not on the ISA level's band sizes, so
	// every level sums the same groups.
	items := units
	if j.byImage = s.N >= ctx.Threads(); j.byImage {
		items = s.N
	}
	ctx.convFor(items, convDWUnits)
	// dW[k][i] = Σ_c partial_c[i][k], chunks in order, 16 values of i at a
	// time.
	ctx.convFor((RSC+15)/16, convDWSum)
	if db != nil {
		clear(db)
		for c := range used {
			if used[c] {
				convAddTo(db, ctx.conv.part[c][RSC*kp:RSC*kp+s.K])
			}
		}
	}
}

// convDWUnits accumulates the weight (and bias) gradient of units [lo, hi)
// (output rows or images over the batch) of the current backward-weights
// job into the partial of their chunk, on thread tid.
//
// Per band, unless the job reads dY in place (see convDWNoPack), channel
// block by channel block: the block's output-gradient columns are packed into a contiguous [pixels][nv·lanes] panel (the kernels'
// vector operand, small enough to stay in L1 while every window tile sweeps
// it), and then every tile of window values runs over the band, reading its
// broadcast operand from x in place (or from the band's gathered copy, see
// convDWGather). Each partial value still sums the
// band's pixels in order, so the bits depend on the band, not on the loop
// order.
func convDWUnits(ctx *Context, tid, lo, hi int) {
	j := &ctx.conv.dw
	s, set, P, Q, RSC, kp := j.s, j.set, j.P, j.Q, j.RSC, j.kp
	lanes := set.Lanes
	T := ctx.Threads()
	chunk := ctx.rangeChunk(lo)
	if j.byImage && !j.imgMode {
		lo, hi = lo*P, hi*P
	}
	ctx.conv.used[chunk] = true
	part := ctx.conv.part[chunk][:RSC*kp]
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
		g := j.dy[(n*P+p0)*Q*s.K : ((n+nimg-1)*P+p1)*Q*s.K]
		npx := len(g) / s.K
		args[conv.DWNPix], args[conv.DWPixX] = Q, s.StrideW*s.C
		args[conv.DWNRows], args[conv.DWRowX] = p1-p0, s.StrideH*rowStride
		args[conv.DWNImg], args[conv.DWImgX] = nimg, imgX
		if j.gather {
			ps := s.C + convDWGatherPad
			xp := convThreadBuf(&ctx.conv.xp, tid, npx*ps)
			convGatherPixels(xp, src, base0, nimg, imgX, p1-p0, s.StrideH*rowStride, Q, s.StrideW*s.C, s.C, ps)
			src, base0, rowStride = xp, 0, Q*ps
			args[conv.DWPixX], args[conv.DWRowX], args[conv.DWImgX] = ps, Q*ps, (p1-p0)*Q*ps
		}
		args[conv.DWLdw] = kp
		args[conv.DWFlags] = conv.FlagAccumulate
		if first {
			args[conv.DWFlags] = 0
		}
		if !j.pack {
			convDWBandInPlace(j, src, g, part, base0, rowStride, args)
			first = false
			continue
		}
		for _, b := range j.blocks {
			nb := b.nv * lanes
			gb := convThreadBuf(&ctx.conv.dy, tid, npx*nb)
			convPackCols(gb, g, npx, s.K, b.k0, nb)
			args[conv.DWPixDY], args[conv.DWRowDY], args[conv.DWImgDY] = nb, Q*nb, P*Q*nb
			kern := set.DW[b.nv]
			for r := 0; r < s.R; r++ {
				for c := 0; c < j.winCols; c++ {
					win := r*j.winCols + c
					xo := base0 + r*s.DilH*rowStride + c*s.DilW*s.C
					j0 := 0
					for _, sg := range j.jsegs {
						for t := 0; t < sg.n; t++ {
							kern[sg.mr](src[xo+j0:], gb, part[(win*j.winLen+j0)*kp+b.k0:], args)
							j0 += sg.mr
						}
					}
				}
			}
		}
		first = false
	}
	if j.bias {
		pdb := ctx.conv.part[chunk][RSC*kp : RSC*kp+s.K]
		clear(pdb)
		px := Q
		if j.imgMode {
			px = P * Q
		}
		set.ColSums(pdb, j.dy[lo*px*s.K:hi*px*s.K], (hi-lo)*px, s.K)
	}
}

// convDWBandInPlace runs one band of the current backward-weights job with
// the output gradient read in place (k = kp, one block or more): for each
// window tile, every channel block, so that the tile's input values stay in
// L1 while the blocks sweep the output gradient.
func convDWBandInPlace(j *convDWJob, src, g, part []float32, base0, rowStride int, args []int) {
	s, set, P, Q, kp := j.s, j.set, j.P, j.Q, j.kp
	args[conv.DWPixDY], args[conv.DWRowDY], args[conv.DWImgDY] = s.K, Q*s.K, P*Q*s.K
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
}

// convGatherPixels copies the c values of pixels (img, row, q) at
// src[base + img·imgX + row·rowX + q·pixX], for img < nimg, row < rows and
// q < cols, into dst in that order, ps floats apart (ps ≥ c; the padding is
// left as it was: no kernel reads it).
func convGatherPixels(dst, src []float32, base, nimg, imgX, rows, rowX, cols, pixX, c, ps int) {
	i := 0
	for img := 0; img < nimg; img++ {
		for row := 0; row < rows; row++ {
			o := base + img*imgX + row*rowX
			for q := 0; q < cols; q++ {
				copy(dst[i:i+c], src[o+q*pixX:o+q*pixX+c])
				i += ps
			}
		}
	}
}

// convPackCols copies columns [k0, k0+nb) of the npx rows of g (row length
// k) into dst as npx rows of nb, zero beyond column k.
func convPackCols(dst, g []float32, npx, k, k0, nb int) {
	w := min(nb, k-k0)
	for i := 0; i < npx; i++ {
		d := dst[i*nb : (i+1)*nb]
		copy(d[:w], g[i*k+k0:i*k+k0+w])
		clear(d[w:])
	}
}

// convDWSum writes the rows i of dw[k][i] in blocks [lo, hi) (16 values of
// i each) of the current backward-weights job from the chunks' partials: it
// adds the partials' rows in chunk order into the first used chunk's, with
// the vector kernels, then transposes them into dw.
func convDWSum(ctx *Context, _, lo, hi int) {
	j := &ctx.conv.dw
	vk := ctx.vec()
	for blk := lo; blk < hi; blk++ {
		i0, i1 := blk*16, min(j.RSC, blk*16+16)
		var acc []float32
		for c, part := range ctx.conv.part {
			if !ctx.conv.used[c] {
				continue
			}
			rows := part[i0*j.kp : i1*j.kp]
			if acc == nil {
				acc = rows
			} else {
				vk.BiasAdd(acc, rows, 1, false)
			}
		}
		for k := 0; k < j.s.K; k++ {
			dst := j.dw[k*j.RSC+i0 : k*j.RSC+i1]
			if acc == nil {
				clear(dst)
				continue
			}
			for i := range dst {
				dst[i] = acc[i*j.kp+k]
			}
		}
	}
}
