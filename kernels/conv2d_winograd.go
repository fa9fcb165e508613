package kernels

import (
	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/kernels/internal/wino"
	"github.com/trainbench/trainbench/shape"
)

// The winograd implementations run 3×3 stride-1 convolutions by Winograd's
// F(4×4, 3×3) (Lavin and Gray, 2016; transforms in package wino): each 4×4
// tile of output pixels is Aᵀ·[Σ_c U_kc ⊙ V_c]·A, U_kc = G·g_kc·Gᵀ the 6×6
// transform of filter (k, c) and V_c = Bᵀ·d_c·B that of the tile's 6×6
// input patch, channel c. At each of the 36 positions ξ the sum over
// channels is a matrix product, (tiles × C)·(C × K), run on the SGEMM:
// 36 products where the direct form does 144 per tile, so a pass does a
// quarter of the direct form's multiply-adds plus the transforms. Its error
// is larger than the direct form's (WinogradError).
//
// Backward-data is the same algorithm on dY with the filter rotated by 180°
// and its channel axes exchanged (a stride-1 transposed convolution is a
// convolution with padding 2 − pad), which the filter transform reads in
// place. Backward-weights is F(3×3, 4×4): the weight gradient of a tile is
// the 3×3 correlation of its 6×6 input patch with its 4×4 of dY, A′ᵀ·[Σ
// over tiles (G′·dy·G′ᵀ) ⊙ (Bᵀ·d·B)]·A′, the sum over tiles at each
// position a product (K × tiles)·(tiles × C), summed group by group in
// group order. The tiles are taken a group at a time (winoGroup), so that a
// group's transformed tiles and products stay in the last-level cache; on
// several threads with tiles enough, forward and backward-data run a whole
// group on each thread (winoThreadGroups), so that no thread reads what
// another transformed. A pass whose tiles make one group but whose
// transformed filters would not stay there runs blocked by output channels
// (winoBlockWidth): each block's filters transformed and used by one thread
// while they are in its caches. Other shapes run the direct kernels, so
// that the implementation is complete.

// winoGroupBytes bounds the transformed input and product tiles of one group
// of tiles, unless the group needs more for winoGroupTiles.
var winoGroupBytes = 4 << 20

// winoGroupTiles is the fewest tiles a group takes where there are as many:
// the rows of its 36 products, fewer of which leave the SGEMM repacking a
// large filter panel for little work.
const winoGroupTiles = 128

// winoGroup returns the tiles a group takes, of total tiles of cin and
// cout channels.
func winoGroup(total, cin, cout int) int {
	return max(1, min(total, max(winoGroupBytes/(36*(cin+cout)*4), winoGroupTiles)))
}

// winograd3x3 reports whether s is a convolution the winograd path runs:
// 3×3, stride 1, no dilation, padding at most 2 (backward-data's padding
// 2 − pad must not be negative).
func winograd3x3(s Conv2DShape) bool {
	return s.R == 3 && s.S == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilH == 1 && s.DilW == 1 &&
		s.PadH <= 2 && s.PadW <= 2
}

// winoJob is the winograd pass in progress (what the parallel loops' bodies
// read) and its reusable buffers.
type winoJob struct {
	// The convolution being run: n images of h×w×cin, padded by padH and
	// padW, into p×q×cout; th×tw tiles an image.
	n, h, w, cin, cout, padH, padW, p, q, th, tw int
	x, y, wt                                     []float32
	bwd                                          bool      // backward-data: wt rotated, its axes exchanged
	dy                                           []float32 // backward-weights: the output gradient
	beta                                         float32   // backward-weights: 0 for the first group, then 1
	epi                                          wino.Epilogue
	t0, tg                                       int // the group's first tile and its tile count
	xf                                           *wino.Kernels
	u, v, m                                      []float32 // 36 transformed filters, a group's tiles, its products
	// The blocked pass (winoRunBlocked): output channels per block, and each
	// thread's transposed weights (forward) and transformed filters of a block.
	kb        int
	wtT, ublk [][]float32
	// A pass run a group per thread (winoRunGroups): the tiles of a group,
	// and each thread's transformed tiles and products.
	gper   int
	pv, pm [][]float32
	simd   bool // the SIMD transposes may run (gemm.Kernel.SIMDPack)
	kids   []*Context
}

func conv2DFwdWinogradChecked(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd winograd", s, x, w, bias, y)
	conv2DFwdWinograd(ctx, s, x, w, bias, y, false)
}

func conv2DBwdDataWinogradChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data winograd", s, dy, w, dx)
	conv2DBwdDataWinograd(ctx, s, dy, w, dx, false)
}

func conv2DBwdWeightsWinogradChecked(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights winograd", s, x, dy, dw, db)
	conv2DBwdWeightsWinograd(ctx, s, x, dy, dw, db)
}

func conv2DBwdDataAddWinogradChecked(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data-add winograd", s, dy, w, dx)
	conv2DBwdDataWinograd(ctx, s, dy, w, dx, true)
}

// conv2DFwdWinograd is the forward pass (with the ReLU if relu).
func conv2DFwdWinograd(ctx *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	if !winograd3x3(s) {
		conv2DFwdDirect(ctx, s, x, w, bias, y, relu)
		return
	}
	ctx.winoRun(s.N, s.H, s.W, s.C, s.K, s.PadH, s.PadW, x, w, false, y, wino.Epilogue{Bias: bias, ReLU: relu})
}

// conv2DBwdDataWinograd is the backward-data pass, added into dx if add.
func conv2DBwdDataWinograd(ctx *Context, s Conv2DShape, dy, w, dx []float32, add bool) {
	if !winograd3x3(s) {
		if add {
			conv2DBwdDataAddDirect(ctx, s, dy, w, dx)
		} else {
			conv2DBwdDataDirect(ctx, s, dy, w, dx)
		}
		return
	}
	ctx.winoRun(s.N, s.OutH(), s.OutW(), s.K, s.C, 2-s.PadH, 2-s.PadW, dy, w, true, dx, wino.Epilogue{Acc: add})
}

// winoSetup starts a winograd pass over n images of h×w×cin padded by
// padH and padW into p×q×cout, sizes the buffers (u: 36·cin·cout; v and m:
// a group's transformed tiles of cin and cout channels) and returns the
// tiles a group takes.
func (c *Context) winoSetup(n, h, w, cin, cout, padH, padW int) int {
	j := &c.wino
	p, q := h+2*padH-2, w+2*padW-2
	*j = winoJob{n: n, h: h, w: w, cin: cin, cout: cout, padH: padH, padW: padW, p: p, q: q,
		th: (p + 3) / 4, tw: (q + 3) / 4, xf: wino.For(c.isa), u: j.u, v: j.v, m: j.m, kids: j.kids,
		wtT: j.wtT, ublk: j.ublk, pv: j.pv, pm: j.pm, simd: gemm.KernelFor(c.isa).SIMDPack}
	for len(j.kids) < c.Threads() {
		k := c.child()
		// The products go to whichever thread is free: each child's GEMM
		// workspace is grown now, so that none allocates in a later call.
		kern := gemm.KernelFor(k.isa)
		bl := gemm.BlockingFor(kern, k.caches)
		if k.blocking != nil {
			bl = *k.blocking
		}
		k.gemmWS[0].Reserve(kern, bl)
		j.kids = append(j.kids, k)
	}
	per := winoGroup(n*j.th*j.tw, cin, cout)
	j.u = convGrow(&j.u, 36*cin*cout)
	j.v = convGrow(&j.v, 36*per*cin)
	j.m = convGrow(&j.m, 36*per*cout)
	return per
}

// winoDone drops the pass's references to the caller's slices.
func (c *Context) winoDone() {
	j := &c.wino
	j.x, j.y, j.wt, j.dy, j.epi = nil, nil, nil, nil, wino.Epilogue{}
}

// winoRun convolves x (n×h×w×cin) with the 3×3 filters wt into y
// (n×p×q×cout): wt is K×3×3×C with K = cout, or, for backward-data (bwd),
// with K = cin and the filter used rotated.
func (c *Context) winoRun(n, h, w, cin, cout, padH, padW int, x, wt []float32, bwd bool, y []float32, epi wino.Epilogue) {
	per := c.winoSetup(n, h, w, cin, cout, padH, padW)
	defer c.winoDone()
	j := &c.wino
	j.x, j.y, j.wt, j.bwd, j.epi = x, y, wt, bwd, epi
	tiles := j.th * j.tw
	if kb := winoBlockWidth(n*tiles, per, cin, cout, c.Threads()); kb > 0 {
		c.winoRunBlocked(kb)
		return
	}
	wk := cout // the weights' K
	if bwd {
		wk = cin
	}
	c.forRanges(wk, loopChunks(wk, c.Threads(), 8), winoFilterBody)
	if g := winoThreadGroups(n*tiles, per, c.Threads()); g > 0 {
		c.winoRunGroups(g)
		return
	}
	for t0 := 0; t0 < n*tiles; t0 += per {
		j.t0 = t0
		j.tg = min(per, n*tiles-t0)
		c.forRanges(j.tg, loopChunks(j.tg, c.Threads(), 4), winoInputBody)
		c.pool.For(36, nil, c.winoGemmFn())
		c.forRanges(j.tg, loopChunks(j.tg, c.Threads(), 4), winoOutputBody)
	}
}

// conv2DBwdWeightsWinograd is the backward-weights pass.
func conv2DBwdWeightsWinograd(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	if !winograd3x3(s) {
		conv2DBwdWeightsDirect(ctx, s, x, dy, dw, db)
		return
	}
	if db != nil {
		c := &ctx.conv.call
		*c = convCall{s: s, dy: dy}
		convBiasGrad(ctx, db)
		*c = convCall{}
	}
	per := ctx.winoSetup(s.N, s.H, s.W, s.C, s.K, s.PadH, s.PadW)
	defer ctx.winoDone()
	j := &ctx.wino
	j.x, j.dy = x, dy
	tiles := j.th * j.tw
	if kb := winoBlockWidth(s.N*tiles, per, s.C, s.K, ctx.Threads()); kb > 0 {
		// One group: the products' sums are the weight gradient's
		// transform, made and inverted a block of filters at a time.
		ctx.winoPrepareBlocks(kb, false)
		j.y = dw
		ctx.forRanges(j.tg, loopChunks(j.tg, ctx.Threads(), 4), winoInputBody)
		ctx.forRanges(j.tg, loopChunks(j.tg, ctx.Threads(), 4), winoGradBody)
		if ctx.winoDWBlk == nil {
			ctx.winoDWBlk = ctx.winoWeightBlock
		}
		ctx.pool.For((s.K+kb-1)/kb, nil, ctx.winoDWBlk)
		return
	}
	if ctx.winoDW == nil {
		ctx.winoDW = ctx.winoWeightProduct
	}
	for t0 := 0; t0 < s.N*tiles; t0 += per {
		j.t0 = t0
		j.tg = min(per, s.N*tiles-t0)
		j.beta = 0
		if t0 > 0 {
			j.beta = 1
		}
		ctx.forRanges(j.tg, loopChunks(j.tg, ctx.Threads(), 4), winoInputBody)
		ctx.forRanges(j.tg, loopChunks(j.tg, ctx.Threads(), 4), winoGradBody)
		ctx.pool.For(36, nil, ctx.winoDW)
	}
	j.y = dw
	ctx.forRanges(s.K, loopChunks(s.K, ctx.Threads(), 8), winoWeightOutBody)
}

// winoGradBody transforms the group's 4×4 tiles [lo, hi) of dy into m
// (36 × tg × cout), the rows and columns past the output read as zero.
func winoGradBody(c *Context, _, lo, hi int) {
	j := &c.wino
	for t := lo; t < hi; t++ {
		img, p0, q0 := j.tile(t)
		off := ((img*j.p+p0)*j.q + q0) * j.cout
		j.xf.GradTile(j.m, t*j.cout, j.tg*j.cout, j.dy, off, j.q*j.cout, j.cout, 0, j.p-p0, 0, j.q-q0, j.cout)
	}
}

// winoWeightProduct adds the group's product at position xi, on thread
// tid's one-thread Context: u[ξ] (cout × cin) += m[ξ]ᵀ · v[ξ] (beta 0 for
// the first group).
func (c *Context) winoWeightProduct(tid, xi int) {
	j := &c.wino
	vs, us, ms := j.tg*j.cin, j.cin*j.cout, j.tg*j.cout
	v, u, m := j.v[xi*vs:(xi+1)*vs], j.u[xi*us:(xi+1)*us], j.m[xi*ms:(xi+1)*ms]
	j.kids[tid].Sgemm(Trans, NoTrans, j.cout, j.cin, j.tg, 1, m, j.cout, v, j.cin, j.beta, u, j.cin)
}

// winoWeightOutBody writes the weight gradients of output channels [lo, hi)
// (j.y is dw, K×3×3×C) from their summed products u.
func winoWeightOutBody(c *Context, _, lo, hi int) {
	j := &c.wino
	for k := lo; k < hi; k++ {
		j.xf.WeightOut(j.y, k*9*j.cin, 3*j.cin, j.cin, j.u, k*j.cin, j.cout*j.cin, j.cin)
	}
}

// winoGemmFn returns the products' loop body, made once per Context.
func (c *Context) winoGemmFn() func(tid, xi int) {
	if c.winoGemm == nil {
		c.winoGemm = c.winoProduct
	}
	return c.winoGemm
}

// winoFilterBody transforms the filters [lo, hi) of the weights' K axis
// into u: u[ξ] is K×C of the weights (K = cout forward, cin backward).
func winoFilterBody(c *Context, _, lo, hi int) {
	j := &c.wino
	kk, cc := j.cout, j.cin
	if j.bwd {
		kk, cc = j.cin, j.cout
	}
	for k := lo; k < hi; k++ {
		if j.bwd {
			// Tap (r, s) of the rotated filter is (2 − r, 2 − s).
			j.xf.Filter(j.u, k*cc, kk*cc, j.wt, k*9*cc+8*cc, -3*cc, -cc, cc)
		} else {
			j.xf.Filter(j.u, k*cc, kk*cc, j.wt, k*9*cc, 3*cc, cc, cc)
		}
	}
}

// tile returns the image of the group's tile t and the output pixel its
// 4×4 tile starts at.
func (j *winoJob) tile(t int) (img, p0, q0 int) { return j.tileAt(j.t0 + t) }

// tileAt returns the image of the pass's tile t and the output pixel its
// 4×4 tile starts at.
func (j *winoJob) tileAt(t int) (img, p0, q0 int) {
	per := j.th * j.tw
	img, r := t/per, t%per
	return img, 4 * (r / j.tw), 4 * (r % j.tw)
}

// winoInputBody transforms the group's tiles [lo, hi) into v (36 × tg × cin).
func winoInputBody(c *Context, _, lo, hi int) {
	j := &c.wino
	j.inputTiles(j.v, j.t0, j.tg, lo, hi)
}

// inputTiles transforms tiles [lo, hi) of the group of tg tiles from tile t0
// into v (36 × tg × cin).
func (j *winoJob) inputTiles(v []float32, t0, tg, lo, hi int) {
	for t := lo; t < hi; t++ {
		img, p0, q0 := j.tileAt(t0 + t)
		h0, w0 := p0-j.padH, q0-j.padW
		off := ((img*j.h+h0)*j.w + w0) * j.cin
		j.xf.Input(v, t*j.cin, tg*j.cin, j.x, off, j.w*j.cin, j.cin, -h0, j.h-h0, -w0, j.w-w0, j.cin)
	}
}

// winoProduct runs the group's product at position xi on thread tid's
// one-thread Context.
func (c *Context) winoProduct(tid, xi int) {
	j := &c.wino
	j.product(j.kids[tid], j.v, j.m, j.tg, xi)
}

// product runs the product at position xi of a group of tg tiles on the
// one-thread Context k: m[ξ] (tg × cout) = v[ξ] (tg × cin) · u[ξ] (forward:
// u[ξ] is cout × cin, transposed; backward: cin × cout).
func (j *winoJob) product(k *Context, v, m []float32, tg, xi int) {
	vs, us, ms := tg*j.cin, j.cin*j.cout, tg*j.cout
	v, u, m := v[xi*vs:(xi+1)*vs], j.u[xi*us:(xi+1)*us], m[xi*ms:(xi+1)*ms]
	if j.bwd {
		k.Sgemm(NoTrans, NoTrans, tg, j.cout, j.cin, 1, v, j.cin, u, j.cout, 0, m, j.cout)
	} else {
		k.Sgemm(NoTrans, Trans, tg, j.cout, j.cin, 1, v, j.cin, u, j.cin, 0, m, j.cout)
	}
}

// winoOutputBody transforms the group's products [lo, hi) into y's tiles.
func winoOutputBody(c *Context, _, lo, hi int) {
	j := &c.wino
	j.outputTiles(j.m, j.t0, j.tg, lo, hi)
}

// outputTiles transforms the products [lo, hi) of the group of tg tiles from
// tile t0 (m: 36 × tg × cout) into y's tiles.
func (j *winoJob) outputTiles(m []float32, t0, tg, lo, hi int) {
	for t := lo; t < hi; t++ {
		img, p0, q0 := j.tileAt(t0 + t)
		off := ((img*j.p+p0)*j.q + q0) * j.cout
		j.xf.Output(j.y, off, j.q*j.cout, j.cout, j.p-p0, j.q-q0, m, t*j.cout, tg*j.cout, j.epi, j.cout)
	}
}

// winoThreadGroups returns how many groups a pass of total tiles runs as
// when it runs a group per thread (winoRunGroups), or 0 when it shares each
// group among the threads: on more than one thread, with tiles for at least
// winoGroupTiles a thread, cut into a multiple of the thread count of groups
// of at most per tiles. Shared, a group's tiles are transformed by tile and
// multiplied by position, and half of each thread's transformed tiles and
// products were written by the other thread; a group per thread keeps them
// in the caches of the core that made them, and the output in the same
// halves of the images as the input.
func winoThreadGroups(total, per, threads int) int {
	if threads < 2 || total < threads*winoGroupTiles || !winoGroupsPerThread {
		return 0
	}
	return roundUp(ceilDiv(total, per), threads)
}

// winoGroupsPerThread switches winoThreadGroups on (tests compare the two
// ways).
var winoGroupsPerThread = true

// winoRunGroups runs the pass set up in c.wino, its filters transformed, as
// groups of its tiles, each group one thread's task: its tiles transformed,
// its 36 products on the thread's one-thread Context and the products
// transformed into y, in the thread's own buffers. The products' rows are
// the group's tiles and no element's sum depends on them, so the results are
// those of the shared groups bit for bit.
func (c *Context) winoRunGroups(groups int) {
	j := &c.wino
	j.gper = ceilDiv(j.n*j.th*j.tw, groups)
	for len(j.pv) < c.Threads() {
		j.pv, j.pm = append(j.pv, nil), append(j.pm, nil)
	}
	for t := range c.Threads() {
		convGrow(&j.pv[t], 36*j.gper*j.cin)
		convGrow(&j.pm[t], 36*j.gper*j.cout)
	}
	if c.winoGrp == nil {
		c.winoGrp = c.winoGroupTask
	}
	c.pool.For(groups, nil, c.winoGrp)
}

// winoGroupTask runs group g of a pass run a group per thread on thread tid.
func (c *Context) winoGroupTask(tid, g int) {
	j := &c.wino
	t0 := g * j.gper
	tg := min(j.gper, j.n*j.th*j.tw-t0)
	if tg <= 0 {
		return
	}
	v, m := j.pv[tid], j.pm[tid]
	j.inputTiles(v, t0, tg, 0, tg)
	for xi := range 36 {
		j.product(j.kids[tid], v, m, tg, xi)
	}
	j.outputTiles(m, t0, tg, 0, tg)
}

// WinogradError bounds the winograd path's error beyond a reordered sum's,
// as a fraction of Σ|x·w| per output: F(4×4, 3×3)'s transforms scale by up
// to 8 and round 1/6 and 1/24 (wino.TestConvolution holds the transforms to
// this bound).
const WinogradError = 0x1p-15

// WinogradRuns reports whether the winograd implementation runs s by
// Winograd's algorithm (3×3, stride 1, no dilation, padding ≤ 2) rather
// than by the direct kernels.
func WinogradRuns(s Conv2DShape) bool {
	return winograd3x3(s)
}

// WinogradChosen reports whether the Context methods run s by winograd
// (convPreferWinograd). Benchmarks measure the winograd implementation on
// these shapes only, so that a cost model taking the fastest measured
// implementation of a pass prices what a trainer runs (below 64 channels
// winograd can win alone and lose in a training step).
func WinogradChosen(s Conv2DShape) bool {
	return convPreferWinograd(s)
}

// WinogradFLOPs returns the floating-point operations the winograd
// implementation does for pass of s (with the bias or its gradient), where
// it runs by Winograd's algorithm: the 36 products, 2·36·tiles·C·K, and the
// transforms (wino.Ops); elsewhere s.FLOPs(pass). A training step counts the
// direct form's FLOPs as its work; %peak counts these.
func WinogradFLOPs(s Conv2DShape, pass shape.Pass) float64 {
	if !WinogradRuns(s) {
		return s.FLOPs(pass)
	}
	if pass == shape.BackwardWeights {
		t := float64(s.N * ((s.OutH() + 3) / 4) * ((s.OutW() + 3) / 4))
		return 2*36*t*float64(s.C*s.K) + t*float64(s.C*wino.Ops(&wino.Input)) + t*float64(s.K*wino.Ops(&wino.GradTile)) +
			float64(s.C*s.K*wino.Ops(&wino.WeightOut)) + float64(s.N*s.OutH()*s.OutW()*s.K)
	}
	in, out := s.C, s.K
	p, q := s.OutH(), s.OutW()
	outKind := &wino.OutputBias
	if pass == shape.BackwardData {
		in, out = s.K, s.C
		p, q = s.H, s.W
		outKind = &wino.Output
	}
	t := float64(s.N * ((p + 3) / 4) * ((q + 3) / 4))
	return 2*36*t*float64(in*out) + t*float64(in*wino.Ops(&wino.Input)) +
		float64(s.C*s.K*wino.Ops(&wino.Filter)) + t*float64(out*wino.Ops(outKind))
}

// winoBlockBytes bounds the transformed filters of one block of a blocked
// pass (36·cin·kb floats), which should stay in the running thread's caches
// from their transform to their products.
var winoBlockBytes = 4 << 20

// winoBlockMin is the size of a pass's transformed filters (36·cin·cout
// floats) above which it runs blocked: more than the L3 keeps between the
// filter transform and the products. Smaller ones (stage 4's 9.4 MB) stay in
// the L3, and blocking would only narrow the products.
var winoBlockMin = 16 << 20

// winoBlockWidth returns the output channels a block takes when a pass over
// total tiles, groups of per, cin and cout channels runs blocked on threads
// threads (winoRunBlocked; backward-weights, winoWeightBlock, with cin = C
// and cout = K, blocks of filters), else 0. A pass runs
// blocked when its tiles make one group, so that each transformed filter
// serves one product, and its 36·cin·cout transformed filters exceed
// winoBlockMin: transformed in blocks of output channels, each block straight
// before its products, they never go to memory (ResNet-50's stage 5 at
// batch 8 has 37.7 MB of them and 32 tiles). The blocks change no result: a
// product's columns come out the same whatever its width.
func winoBlockWidth(total, per, cin, cout, threads int) int {
	if total > per || cout%16 != 0 || 36*cin*cout*4 <= winoBlockMin {
		return 0
	}
	// Blocks of at most the bytes' worth, whole panels of the SGEMM's
	// widest tile (32 columns), as many as a multiple of the threads, as
	// even as vectors allow.
	most := max(32, winoBlockBytes/(36*cin*4)/32*32)
	blocks := (cout + most - 1) / most
	blocks = (blocks + threads - 1) / threads * threads
	kb := ((cout+blocks-1)/blocks + 15) / 16 * 16
	if kb >= cout {
		return 0
	}
	return kb
}

// winoRunBlocked runs the pass set up in c.wino as one group of tiles in
// blocks of kb output channels: the input transform, then each block's
// filter transform and 36 products on one thread (winoBlock), then the
// output transform. A block is one thread's whole work, on its one-thread
// Context, so results do not depend on the thread count.
func (c *Context) winoRunBlocked(kb int) {
	c.winoPrepareBlocks(kb, !c.wino.bwd)
	j := &c.wino
	c.forRanges(j.tg, loopChunks(j.tg, c.Threads(), 4), winoInputBody)
	if c.winoBlk == nil {
		c.winoBlk = c.winoBlock
	}
	c.pool.For((j.cout+kb-1)/kb, nil, c.winoBlk)
	c.forRanges(j.tg, loopChunks(j.tg, c.Threads(), 4), winoOutputBody)
}

// winoBlock transforms the filters of output channels [b·kb, b·kb + w) into
// thread tid's buffer, u[ξ] a cin × w matrix, and adds their 36 products
// into m's columns of those channels: m[ξ] (tg × cout) = v[ξ] · u[ξ]. The
// forward's weights (K×3×3×C, K = cout) give a block's channels as rows, so
// each tap's w × cin block is first transposed into cin × w (wtT);
// backward-data's (K×3×3×C, C = cout) give them as a range of each row.
func (c *Context) winoBlock(tid, b int) {
	j := &c.wino
	cin, cout := j.cin, j.cout
	k0 := b * j.kb
	w := min(j.kb, cout-k0)
	us := winoStride(cin * w) // the position stride of u, the tap stride of wt
	u := j.ublk[tid][:36*us]
	if j.bwd {
		// Tap (r, s) of the rotated filter is (2 − r, 2 − s).
		for k := 0; k < cin; k++ {
			j.xf.Filter(u, k*w, us, j.wt, k*9*cout+8*cout+k0, -3*cout, -cout, w)
		}
	} else {
		wt := j.wtT[tid][:9*us]
		for t := range 9 {
			gemm.Transpose(wt[t*us:], j.wt[k0*9*cin+t*cin:], 9*cin, w, cin, w, j.simd)
		}
		for ch := 0; ch < cin; ch++ {
			j.xf.Filter(u, ch*w, us, wt, ch*w, 3*us, us, w)
		}
	}
	vs, ms := j.tg*cin, j.tg*cout
	for xi := range 36 {
		j.kids[tid].Sgemm(NoTrans, NoTrans, j.tg, w, cin, 1, j.v[xi*vs:(xi+1)*vs], cin, u[xi*us:xi*us+cin*w], w, 0, j.m[xi*ms+k0:], cout)
	}
}

// winoStride is the distance between the 36 positions' matrices of n floats
// in a block's buffer (and between the 9 taps' in wtT): n rounded up to
// 4 KiB, plus one cache line. The filter transform writes all 36 at once, a
// vector each; at a distance of a multiple of 4 KiB (every block of
// ResNet-50's) those 36 vectors would fall in one set of the L1 and L2
// caches, more than a set's ways, and evict each other before the next
// vector filled their lines.
func winoStride(n int) int { return (n+1023)/1024*1024 + 16 }

// winoPrepareBlocks sets the pass in c.wino to run as one group of tiles in
// blocks of kb output channels and sizes each thread's block buffers (with
// transposed, the forward's transposed weights too).
func (c *Context) winoPrepareBlocks(kb int, transposed bool) {
	j := &c.wino
	j.t0, j.tg, j.kb = 0, j.n*j.th*j.tw, kb
	for len(j.ublk) < c.Threads() {
		j.ublk = append(j.ublk, nil)
		j.wtT = append(j.wtT, nil)
	}
	for t := range c.Threads() {
		convGrow(&j.ublk[t], 36*winoStride(j.cin*kb))
		if transposed {
			convGrow(&j.wtT[t], 9*winoStride(j.cin*kb))
		}
	}
}

// winoWeightBlock computes the weight gradient of filters [b·kb, b·kb + w)
// (j.y is dw, K×3×3×C) on thread tid: the block's rows of the 36 products,
// u[ξ] (w × cin) = m[ξ]ᵀ · v[ξ] over the one group's tiles, into the thread's
// buffer, then their inverse transforms.
func (c *Context) winoWeightBlock(tid, b int) {
	j := &c.wino
	cin, cout := j.cin, j.cout
	k0 := b * j.kb
	w := min(j.kb, cout-k0)
	us := winoStride(cin * w)
	u := j.ublk[tid][:36*us]
	vs, ms := j.tg*cin, j.tg*cout
	for xi := range 36 {
		j.kids[tid].Sgemm(Trans, NoTrans, w, cin, j.tg, 1, j.m[xi*ms+k0:(xi+1)*ms], cout, j.v[xi*vs:(xi+1)*vs], cin, 0, u[xi*us:xi*us+w*cin], cin)
	}
	for k := range w {
		j.xf.WeightOut(j.y, (k0+k)*9*cin, 3*cin, cin, u, k*cin, us, cin)
	}
}
