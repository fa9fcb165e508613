package kernels

import "github.com/trainbench/trainbench/kernels/internal/conv"

// The direct backward-weights pass: register tiles of receptive-field window
// values × output channels summed over bands of output pixels into
// per-chunk partial gradients, added in chunk order whichever thread ran each
// chunk (see conv2d_direct.go).

// convDWBandBytes bounds the input and output-gradient rows of one band of
// the backward-weights pass.
var convDWBandBytes = 256 << 10

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
	wideDY            bool // dY rows are widened to kp channels
	colFirst, colLast int
	imgMode           bool // units are whole images, perBand at a time
	byImage           bool // the loop's items are images, else units
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
		jsegs: convSplitRow(winLen, set.MaxMR[nv]), wideDY: kp != s.K, colFirst: colFirst, colLast: colLast,
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
func convDWUnits(ctx *Context, tid, lo, hi int) {
	j := &ctx.conv.dw
	s, set, P, Q, RSC, kp := j.s, j.set, j.P, j.Q, j.RSC, j.kp
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
		pdb := ctx.conv.part[chunk][RSC*kp : RSC*kp+s.K]
		clear(pdb)
		px := Q
		if j.imgMode {
			px = P * Q
		}
		set.ColSums(pdb, j.dy[lo*px*s.K:hi*px*s.K], (hi-lo)*px, s.K)
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
