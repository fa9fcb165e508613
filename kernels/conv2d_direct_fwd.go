package kernels

import "github.com/trainbench/trainbench/kernels/internal/conv"

// The direct forward pass, and the forward-style job that backward-data runs
// too (conv2d_direct_bwddata.go). The kernels' work is described in
// conv2d_direct.go.

// convBandBytes bounds the input band a thread works on (padded copy or
// not): about a quarter of a 1 MiB L2, so the band and a weight block stay in
// L2 while the kernels sweep them.
const convBandBytes = 256 << 10

// convChunkBytes bounds the weights of one chunk of the forward kernels'
// reduction (a variable so tests can force chunking on small shapes).
var convChunkBytes = 256 << 10

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
	// acc adds the result to y's old contents instead of storing it (every
	// kernel call accumulates; backward-data into a gradient another reader
	// has started).
	acc bool
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

// rows computes output rows [lo, hi) (over the batch) on thread tid, one
// band of rows at a time: each band's source and tap offsets (setBand), then
// each channel block over the band (block).
func (j *convFwdJob) rows(ctx *Context, tid, lo, hi int) {
	var r convFwdRows
	r.init(j, ctx, tid)
	for row := lo; row < hi; {
		n, p0 := row/j.P, row%j.P
		p1 := min(j.P, p0+r.band, p0+hi-row)
		r.setBand(n, p0, p1)
		for i := range j.blocks {
			r.block(&j.blocks[i])
		}
		row += p1 - p0
	}
}

// convFwdRows is one thread's share of a forward job in progress
// (convFwdJob.rows): the geometry every band shares, the thread's kernel
// parameter block, and the current band.
type convFwdRows struct {
	j    *convFwdJob
	ctx  *Context
	tid  int
	args []int // the thread's kernel parameter block
	taps []int // every tap's offset in the band's source; args holds a chunk's

	// The geometry every band shares.
	nTaps             int
	merge             bool // the column taps are contiguous: each tap row is one run of len(tapC)·C values
	minR, maxR, minC  int  // the first and last tap row, the first tap column
	colFirst, colLast int  // the source columns the output row reads, padding included
	band              int  // output rows a band
	maxNV             int  // the widest channel block, in vectors
	qlo, qhi          int  // interior output columns: every column tap inside the source
	colSplit          bool // enough border columns to compute them apart from the interior

	// The current band: output rows [p0, p1) of image n, read from src.
	n, p0, p1        int
	src              []float32
	rowStride, base0 int // src's row length, and the offset of the band's first tap
	nt, nc           int // taps and channels a tap of the reduction (merged: tap rows and their windows)
	perRow           int // taps a tap row
}

// init sets the geometry of job j for thread tid and its parameter block.
func (r *convFwdRows) init(j *convFwdJob, ctx *Context, tid int) {
	r.j, r.ctx, r.tid = j, ctx, tid
	r.nTaps = len(j.tapR) * len(j.tapC)
	r.merge = len(j.tapC) > 1
	for i := 1; i < len(j.tapC); i++ {
		r.merge = r.merge && j.tapC[i] == j.tapC[i-1]+1
	}
	r.minR, r.maxR = j.tapR[0], j.tapR[len(j.tapR)-1]
	minC, maxC := j.tapC[0], j.tapC[len(j.tapC)-1]
	r.minC = minC
	r.colFirst = -j.PW + minC
	r.colLast = (j.Q-1)*j.SW - j.PW + maxC
	wb := r.colLast - r.colFirst + 1 // width of a padded band row
	rowsPerOut := max(1, convBandBytes/(4*max(wb, j.W)*j.C))
	r.band = max(1, (rowsPerOut-(r.maxR-r.minR))/max(1, j.SH))
	for _, b := range j.blocks {
		r.maxNV = max(r.maxNV, b.nv)
	}
	r.qlo, r.qhi = 0, j.Q
	for r.qlo < j.Q && r.qlo*j.SW-j.PW+minC < 0 {
		r.qlo++
	}
	for r.qhi > r.qlo && (r.qhi-1)*j.SW-j.PW+maxC >= j.W {
		r.qhi--
	}
	r.colSplit = r.merge && r.qhi > r.qlo && 8*(j.Q-(r.qhi-r.qlo)) >= j.Q
	r.args = convArgs(ctx, ctx.Threads(), tid, conv.FwdTaps+2*r.nTaps)
	r.taps = r.args[conv.FwdTaps+r.nTaps:]
}

// setBand makes output rows [p0, p1) of image n the current band: where it
// reads its source (the input in place, or a zero-padded copy) and the
// offsets of the taps there, relative to the first tap of each output pixel.
func (r *convFwdRows) setBand(n, p0, p1 int) {
	j := r.j
	r.n, r.p0, r.p1 = n, p0, p1
	hFirst := p0*j.SH - j.PH + r.minR
	hLast := (p1-1)*j.SH - j.PH + r.maxR
	r.src, r.rowStride, r.base0, _ = convBandSource(r.ctx, r.tid, j.src, n, 1, j.H, j.W, j.C, hFirst, hLast, r.colFirst, r.colLast)
	r.nt, r.nc = r.nTaps, j.C
	if r.merge {
		for i, tr := range j.tapR {
			r.taps[i] = (tr - r.minR) * r.rowStride
		}
		r.nt, r.nc = len(j.tapR), len(j.tapC)*j.C
	} else {
		for i, tr := range j.tapR {
			for k, tc := range j.tapC {
				r.taps[i*len(j.tapC)+k] = (tr-r.minR)*r.rowStride + (tc-r.minC)*j.C
			}
		}
	}
	r.args[conv.FwdPixX], r.args[conv.FwdNC] = j.SW*j.C, r.nc
	r.perRow = r.nt / len(j.tapR)
}

// convRowRun is what the kernels are called on: a run of output rows
// [p, pe) of the band that read the same tap rows [rlo, rhi), for taps
// [ea, eb) and channels [ca, cb) of the reduction, in channel block b.
type convRowRun struct {
	b       *convKBlock
	width   int       // b's channels, whole vectors
	partial bool      // b reaches past K: the run writes tile, copied into y after the band
	tile    []float32 // the band's output for a partial block, width channels a pixel

	p, pe, rlo, rhi int
	ea, eb, ca, cb  int
	flags           int  // conv.FlagAccumulate, and the job's flags on the reduction's last chunk
	first           bool // the chunk starts the reduction: y's old contents are not part of the sum (unless accAll)
	accAll          bool // the job accumulates into y and the run writes y itself (not a tile)

	xs, ys    []float32 // the source and output at column 0 of row p
	ldy, rowY int       // the output's pixel and row strides
}

// block computes channel block b of the current band, in chunks of the
// reduction (taps, or part of one tap's channels) whose weights fit
// convChunkBytes, so that a large weight block is fetched once per band, not
// once per tile; partial sums accumulate in y between chunks.
func (r *convFwdRows) block(b *convKBlock) {
	j := r.j
	run := convRowRun{b: b, width: b.nv * j.set.Lanes}
	width := run.width
	run.partial = b.k0+width > j.K
	run.accAll = j.acc && !run.partial
	if run.partial {
		run.tile = convThreadBuf(&r.ctx.conv.tile, r.tid, (r.p1-r.p0)*j.Q*r.maxNV*j.set.Lanes)
	}
	perTap := r.nc * width * 4
	tapsPer, cPer := max(1, convChunkBytes/perTap), r.nc
	if perTap > convChunkBytes {
		cPer = max(4, convChunkBytes/(width*4)/4*4)
	}
	for ta := 0; ta < r.nt; ta += tapsPer {
		tb := min(r.nt, ta+tapsPer)
		for ca := 0; ca < r.nc; ca += cPer {
			r.chunk(&run, ta, tb, ca, min(r.nc, ca+cPer))
		}
	}
	if run.partial {
		n0 := j.K - b.k0
		for p := r.p0; p < r.p1; p++ {
			yo := j.yOff(r.n, p) + b.k0
			tp := run.tile[(p-r.p0)*j.Q*width:]
			for q := 0; q < j.Q; q++ {
				dst, src := j.y[yo+q*j.yPix:yo+q*j.yPix+n0], tp[q*width:q*width+n0]
				if j.acc {
					for i, v := range src {
						dst[i] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

// chunk computes taps [ta, tb) and channels [ca, cb) of the reduction of the
// run's block over the band. It skips the tap rows that fall in the zero
// padding above or below the source; rows with the same valid tap rows go to
// the kernels together (runRows).
func (r *convFwdRows) chunk(run *convRowRun, ta, tb, ca, cb int) {
	j := r.j
	run.ca, run.cb = ca, cb
	for p := r.p0; p < r.p1; {
		rlo, rhi := j.validTapRows(p)
		pe := p + 1
		for pe < r.p1 {
			if l, h := j.validTapRows(pe); l != rlo || h != rhi {
				break
			}
			pe++
		}
		tlo, thi := rlo*r.perRow, rhi*r.perRow
		ea, eb := max(ta, tlo), min(tb, thi)
		var flags int
		first := true
		switch {
		case tlo == thi && ta == 0 && ca == 0:
			ea, eb, flags = 0, 0, j.flags // no tap reads the source: bias only
		case ea >= eb:
			p = pe
			continue
		default:
			if ea != tlo || ca != 0 {
				flags |= conv.FlagAccumulate
				first = false
			}
			if eb == thi && cb == r.nc {
				flags |= j.flags
			}
		}
		if run.accAll {
			flags |= conv.FlagAccumulate
		}
		run.first = first
		run.p, run.pe, run.rlo, run.rhi = p, pe, rlo, rhi
		run.ea, run.eb, run.flags = ea, eb, flags
		r.runRows(run)
		p = pe
	}
}

// runRows hands a run of rows to the kernels. With many border pixels
// (output columns whose taps partly read the zero padding), a run of rows
// that completes the reduction computes only the interior in row tiles, and
// each border column as tiles down the rows with just its valid taps
// (borderColumn); otherwise it computes whole rows.
func (r *convFwdRows) runRows(run *convRowRun) {
	j, args, b, width := r.j, r.args, run.b, run.width
	for i, t := range r.taps[run.ea:run.eb] {
		args[conv.FwdTaps+i] = t + run.ca
	}
	args[conv.FwdNTaps], args[conv.FwdNC] = run.eb-run.ea, run.cb-run.ca
	args[conv.FwdFlags] = run.flags
	args[conv.FwdNRows], args[conv.FwdRowX] = run.pe-run.p, j.SH*r.rowStride
	wc := b.w[(run.ea*r.nc+run.ca)*width:]
	xs := r.src[r.base0+(run.p-r.p0)*j.SH*r.rowStride:]
	ys, ldy := j.y[j.yOff(r.n, run.p)+b.k0:], j.yPix
	args[conv.FwdRowY] = j.yRow
	if run.partial {
		ys, ldy = run.tile[(run.p-r.p0)*j.Q*width:], width
		args[conv.FwdRowY] = j.Q * width
	}
	args[conv.FwdLdy] = ldy
	run.xs, run.ys, run.ldy, run.rowY = xs, ys, ldy, args[conv.FwdRowY]
	qa, qb := 0, j.Q
	if r.colSplit && run.pe-run.p >= 4 && run.first && run.eb == run.rhi*r.perRow && run.ea < run.eb && run.cb == r.nc {
		qa, qb = r.qlo, r.qhi
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
		r.borderColumn(run, q)
	}
}

// borderColumn computes output column q of a run of rows whose tap rows
// [rlo, rhi) are valid, as tiles down the rows (pixel stride: one row), one
// tap row at a time with only the column taps that read inside the source
// (merged taps: a shorter contiguous window).
func (r *convFwdRows) borderColumn(run *convRowRun, q int) {
	j, args, b, width := r.j, r.args, run.b, run.width
	w0 := q*j.SW - j.PW
	clo, chi := 0, len(j.tapC)
	for clo < chi && w0+j.tapC[clo] < 0 {
		clo++
	}
	for chi > clo && w0+j.tapC[chi-1] >= j.W {
		chi--
	}
	rowStride, rowY := r.rowStride, run.rowY
	args[conv.FwdNRows], args[conv.FwdRowX], args[conv.FwdRowY] = 1, 0, 0
	args[conv.FwdPixX], args[conv.FwdLdy] = j.SH*rowStride, rowY
	xq, yq := run.xs[q*j.SW*j.C:], run.ys[q*run.ldy:]
	lo, hi := run.rlo, run.rhi
	if clo == chi {
		lo, hi = 0, 1 // no valid tap: one pass with none, for the bias
	}
	for tr := lo; tr < hi; tr++ {
		flags := 0
		if tr > lo || run.accAll {
			flags |= conv.FlagAccumulate
		}
		if tr == hi-1 {
			flags |= j.flags
		}
		args[conv.FwdFlags] = flags
		args[conv.FwdNTaps], args[conv.FwdNC], args[conv.FwdTaps] = 1, (chi-clo)*j.C, r.taps[min(tr, len(r.taps)-1)]+clo*j.C
		if clo == chi {
			args[conv.FwdNTaps] = 0
		}
		wr := b.w[(tr*r.nc+clo*j.C)*width:]
		i := 0
		for _, sg := range convSplitRow(run.pe-run.p, j.set.MaxMR[b.nv]) {
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

// conv2DFwdDirectChecked is the forward pass with the direct kernels (see the
// package's Conv2D documentation for the definition).
func conv2DFwdDirectChecked(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd direct", s, x, w, bias, y)
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
	flags := convFwdEpilogue(blocks, bias, pbias, relu)
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

// convFwdEpilogue returns a forward job's epilogue flags, and with a bias
// copies it into pbias (zero past K, as wide as the padded blocks) and
// points every block at its channels there.
func convFwdEpilogue(blocks []convKBlock, bias, pbias []float32, relu bool) int {
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
	return flags
}
