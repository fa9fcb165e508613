package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The vec unit: the memory-bound kernels of a training step (ReLU, bias,
// bias gradient, max-pool forward and backward, optimizer updates) for
// package kernels/internal/vec, at avx2 and avx512. Each routine's pure-Go
// twin in that package (the function named in its doc comment) is its
// specification; the tests there check them bit for bit.
//
// None of these routines uses FMA: a fused multiply-add rounds once where the
// twins round twice, and memory, not arithmetic, bounds them anyway.
func genVec() {
	tabs := vecTables()
	for _, s := range []isa{isaAVX2, isaAVX512} {
		v := &vecGen{isa: s, tabs: tabs}
		v.reluFwd()
		v.reluBwd()
		v.bias(false)
		v.bias(true)
		v.colSum()
		v.poolFwd(false)
		v.poolFwd(true)
		v.poolBwd(false)
		v.poolBwd(true)
		v.pool2Fwd()
		v.pool2BwdSet()
		v.adam()
		v.sgd(false)
		v.sgd(true)
	}
}

// Comparison predicates of VCMPPS.
const (
	cmpUnordQ = 0x03 // either operand NaN
	cmpGTOQ   = 0x1e // a > b, false on NaN
)

// vecTabs are the read-only tables the routines share.
type vecTabs struct {
	mask16 Mem // uint16 (1<<r)-1 for r in [0, 16]: AVX-512 tail masks
	mask8  Mem // int32 eight −1 then eight 0: 32 bytes from 4·(8−r) is the AVX2 mask of r lanes
	iota   Mem // int32 0, 1, ..., 15
}

func vecTables() vecTabs {
	var t vecTabs
	t.mask16 = GLOBL("vecMask16", RODATA|NOPTR)
	for r := 0; r <= 16; r++ {
		DATA(2*r, U16((1<<r)-1))
	}
	t.mask8 = GLOBL("vecMask8", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	t.iota = GLOBL("vecIota", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(uint32(i)))
	}
	return t
}

type vecGen struct {
	isa
	tabs vecTabs
}

func (g *vecGen) avx512() bool { return g.lanes == 16 }

// vb is the size of one vector in bytes.
func (g *vecGen) vb() int { return 4 * g.lanes }

func (g *vecGen) vreg() VecVirtual {
	if g.avx512() {
		return ZMM()
	}
	return YMM()
}

// begin starts a routine and documents it as the twin's assembly.
func (g *vecGen) begin(base, sig, twin, what string) string {
	name := base + titleISA(g.name)
	routine(name, sig, twin, fmt.Sprintf("%s %s with %s instructions; %s is its specification.", name, what, g.name, twin))
	return name
}

// tail is how a routine reads and writes a partial vector of r < lanes
// elements: an opmask (avx512) or a lane mask for VMASKMOVPS (avx2). The zero
// value reads and writes whole vectors.
type tail struct {
	g    *vecGen
	on   bool
	k    OpmaskVirtual
	mask VecVirtual
}

// newTail loads the mask for r lanes (r in [0, lanes], a register).
func (g *vecGen) newTail(r GPVirtual) tail {
	t := tail{g: g, on: true}
	if g.avx512() {
		t.k = K()
		p := GP64()
		LEAQ(g.tabs.mask16, p)
		KMOVW(Mem{Base: p, Index: r, Scale: 2}, t.k)
		return t
	}
	t.mask = YMM()
	p := GP64()
	LEAQ(g.tabs.mask8.Offset(32), p)
	off := GP64()
	MOVQ(r, off)
	NEGQ(off)
	VMOVDQU(Mem{Base: p, Index: off, Scale: 4}, t.mask)
	return t
}

// load reads a vector of float32 (or int32) from m.
func (t tail) load(m Mem, dst VecVirtual) {
	switch {
	case !t.on:
		VMOVUPS(m, dst)
	case t.g.avx512():
		VMOVUPS_Z(m, t.k, dst)
	default:
		VMASKMOVPS(m, t.mask, dst)
	}
}

// store writes a vector of float32 to m.
func (t tail) store(src VecVirtual, m Mem) {
	switch {
	case !t.on:
		VMOVUPS(src, m)
	case t.g.avx512():
		VMOVUPS(src, t.k, m)
	default:
		VMASKMOVPS(src, t.mask, m)
	}
}

// storeInt writes a vector of int32 to m.
func (t tail) storeInt(src VecVirtual, m Mem) {
	switch {
	case !t.on:
		VMOVDQU32orU(t.g, src, m)
	case t.g.avx512():
		VMOVDQU32(src, t.k, m)
	default:
		VPMASKMOVD(src, t.mask, m)
	}
}

// loadInt reads a vector of int32 from m.
func (t tail) loadInt(m Mem, dst VecVirtual) {
	switch {
	case !t.on:
		VMOVDQU32orU(t.g, m, dst)
	case t.g.avx512():
		VMOVDQU32_Z(m, t.k, dst)
	default:
		VPMASKMOVD(m, t.mask, dst)
	}
}

// VMOVDQU32orU moves a whole integer vector.
func VMOVDQU32orU(g *vecGen, src, dst Op) {
	if g.avx512() {
		VMOVDQU32(src, dst)
	} else {
		VMOVDQU(src, dst)
	}
}

// broadcast fills a vector with the float32 at m.
func (g *vecGen) broadcast(m Mem) VecVirtual {
	v := g.vreg()
	VBROADCASTSS(m, v)
	return v
}

// broadcastInt fills a vector with the low 32 bits of a general register.
func (g *vecGen) broadcastInt(r GPVirtual) VecVirtual {
	v := g.vreg()
	if g.avx512() {
		VPBROADCASTD(r.As32(), v)
		return v
	}
	x := XMM()
	VMOVD(r.As32(), x)
	VPBROADCASTD(x, v)
	return v
}

func (g *vecGen) zero() VecVirtual {
	z := g.vreg()
	VXORPS(z, z, z)
	return z
}

func paramAddr(name string) Mem {
	a, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return a.Addr
}

// stream emits the loop of an element-wise routine over n = len(first
// slice) elements: unroll vectors per iteration, then single vectors, then
// one masked partial vector. body(t, at) processes the vector whose byte
// offset in every slice is at (use at(slice base)); it must use t for every
// load and store.
func (g *vecGen) stream(name string, n GPVirtual, unroll int, body func(t tail, at func(base GPVirtual, disp int) Mem)) {
	idx := GP64()
	XORQ(idx, idx)
	mk := func(d int) func(GPVirtual, int) Mem {
		return func(base GPVirtual, disp int) Mem {
			return Mem{Base: base, Index: idx, Scale: 1, Disp: d + disp}
		}
	}
	full := tail{g: g}
	cnt := GP64()
	MOVQ(n, cnt)
	SHRQ(U8(log2(g.lanes*unroll)), cnt)
	JZ(LabelRef(name + "_one"))
	Label(name + "_loopN")
	for u := 0; u < unroll; u++ {
		body(full, mk(u*g.vb()))
	}
	ADDQ(U32(unroll*g.vb()), idx)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loopN"))

	Label(name + "_one")
	MOVQ(n, cnt)
	ANDQ(U32(g.lanes*unroll-1), cnt)
	SHRQ(U8(log2(g.lanes)), cnt)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop1")
	body(full, mk(0))
	ADDQ(U32(g.vb()), idx)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop1"))

	Label(name + "_tail")
	ANDQ(U32(g.lanes-1), n)
	JZ(LabelRef(name + "_done"))
	body(g.newTail(n), mk(0))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func log2(v int) int {
	r := 0
	for 1<<r < v {
		r++
	}
	if 1<<r != v {
		panic(fmt.Sprintf("log2(%d): not a power of two", v))
	}
	return r
}

// unroll picks how many vectors an element-wise loop handles per iteration,
// given how many registers each needs.
func (g *vecGen) unroll(regsPer, fixed int) int {
	u := 4
	for u > 1 && u*regsPer+fixed > len(g.vec) {
		u /= 2
	}
	return u
}

func (g *vecGen) reluFwd() {
	name := g.begin("reluFwd", "func(dst, src []float32)", "reluGo", "sets dst[i] = src[i] < 0 ? 0 : src[i] (NaN and −0 pass through)")
	n := asGP(Load(Param("src").Len(), GP64()))
	dst := asGP(Load(Param("dst").Base(), GP64()))
	src := asGP(Load(Param("src").Base(), GP64()))
	z := g.zero()
	g.stream(name, n, g.unroll(1, 1), func(t tail, at func(GPVirtual, int) Mem) {
		v := g.vreg()
		t.load(at(src, 0), v)
		// VMAXPS returns its second source (here v) when either is NaN and
		// when both are zeros: max(0, v) as the twin computes it.
		VMAXPS(v, z, v)
		t.store(v, at(dst, 0))
	})
}

func (g *vecGen) reluBwd() {
	name := g.begin("reluBwd", "func(dx, dy, y []float32)", "reluBwdGo", "sets dx[i] = y[i] > 0 ? dy[i] : 0")
	n := asGP(Load(Param("y").Len(), GP64()))
	dx := asGP(Load(Param("dx").Base(), GP64()))
	dy := asGP(Load(Param("dy").Base(), GP64()))
	y := asGP(Load(Param("y").Base(), GP64()))
	z := g.zero()
	g.stream(name, n, g.unroll(2, 1), func(t tail, at func(GPVirtual, int) Mem) {
		yv, d := g.vreg(), g.vreg()
		t.load(at(y, 0), yv)
		t.load(at(dy, 0), d)
		if g.avx512() {
			k := K()
			VCMPPS(U8(cmpGTOQ), z, yv, k)
			VMOVUPS_Z(d, k, d)
		} else {
			VCMPPS(U8(cmpGTOQ), z, yv, yv)
			VANDPS(d, yv, d)
		}
		t.store(d, at(dx, 0))
	})
}

// bias emits y[r][c] = y[r][c] + b[c] (then ReLU'd if relu) in place, for
// rows rows of len(b) columns.
func (g *vecGen) bias(relu bool) {
	base, twin, what := "biasAdd", "biasAddGo", "adds b to each of the rows rows of y in place"
	if relu {
		base, twin, what = "biasReLU", "biasReLUGo", "adds b to each of the rows rows of y and applies ReLU, in place"
	}
	name := g.begin(base, "func(y, b []float32, rows int)", twin, what)
	c := asGP(Load(Param("b").Len(), GP64()))
	yp := asGP(Load(Param("y").Base(), GP64()))
	bp := asGP(Load(Param("b").Base(), GP64()))
	rows := asGP(Load(Param("rows"), GP64()))
	var z VecVirtual
	if relu {
		z = g.zero()
	}
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	TESTQ(c, c)
	JZ(LabelRef(name + "_done"))
	rem := GP64()
	MOVQ(c, rem)
	ANDQ(U32(g.lanes-1), rem)
	tl := g.newTail(rem)
	nv := GP64()
	MOVQ(c, nv)
	SHRQ(U8(log2(g.lanes)), nv)
	rowBytes := GP64()
	MOVQ(c, rowBytes)
	SHLQ(U8(2), rowBytes)

	one := func(t tail, ym, bm Mem) {
		v, bv := g.vreg(), g.vreg()
		t.load(ym, v)
		t.load(bm, bv)
		VADDPS(bv, v, v)
		if relu {
			VMAXPS(v, z, v)
		}
		t.store(v, ym)
	}
	Label(name + "_row")
	off := GP64()
	XORQ(off, off)
	cnt := GP64()
	MOVQ(nv, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef(name + "_rowtail"))
	Label(name + "_vec")
	one(tail{g: g}, Mem{Base: yp, Index: off, Scale: 1}, Mem{Base: bp, Index: off, Scale: 1})
	ADDQ(U32(g.vb()), off)
	DECQ(cnt)
	JNZ(LabelRef(name + "_vec"))
	Label(name + "_rowtail")
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_next"))
	one(tl, Mem{Base: yp, Index: off, Scale: 1}, Mem{Base: bp, Index: off, Scale: 1})
	Label(name + "_next")
	ADDQ(rowBytes, yp)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// colSum emits dst[c] = Σ_r src[r][c] over rows rows of len(dst) columns,
// summing each column in row order: groups of four vectors of columns, then
// single vectors, then a masked partial vector.
func (g *vecGen) colSum() {
	name := g.begin("colSum", "func(dst, src []float32, rows int)", "colSumGo", "sums the rows rows of src into dst, each column in row order")
	c := asGP(Load(Param("dst").Len(), GP64()))
	dp := asGP(Load(Param("dst").Base(), GP64()))
	sp := asGP(Load(Param("src").Base(), GP64()))
	rows := asGP(Load(Param("rows"), GP64()))
	rowBytes := GP64()
	MOVQ(c, rowBytes)
	SHLQ(U8(2), rowBytes)

	// columns emits the loop over rows for a group of w vectors at byte
	// offset col, leaving col unchanged.
	columns := func(label string, w int, t tail, col GPVirtual) {
		acc := make([]VecVirtual, w)
		for i := range acc {
			acc[i] = g.zero()
		}
		p := GP64()
		LEAQ(Mem{Base: sp, Index: col, Scale: 1}, p)
		r := GP64()
		MOVQ(rows, r)
		TESTQ(r, r)
		JZ(LabelRef(label + "_store"))
		Label(label + "_rows")
		for i := range acc {
			v := g.vreg()
			t.load(Mem{Base: p, Disp: i * g.vb()}, v)
			VADDPS(v, acc[i], acc[i])
		}
		ADDQ(rowBytes, p)
		DECQ(r)
		JNZ(LabelRef(label + "_rows"))
		Label(label + "_store")
		for i := range acc {
			t.store(acc[i], Mem{Base: dp, Index: col, Scale: 1, Disp: i * g.vb()})
		}
	}
	col := GP64()
	XORQ(col, col)
	left := GP64()
	MOVQ(c, left)

	const group = 4
	Label(name + "_g4")
	CMPQ(left, U32(group*g.lanes))
	JB(LabelRef(name + "_g1"))
	columns(name+"_in4", group, tail{g: g}, col)
	ADDQ(U32(group*g.vb()), col)
	SUBQ(U32(group*g.lanes), left)
	JMP(LabelRef(name + "_g4"))

	Label(name + "_g1")
	CMPQ(left, U32(g.lanes))
	JB(LabelRef(name + "_part"))
	columns(name+"_in1", 1, tail{g: g}, col)
	ADDQ(U32(g.vb()), col)
	SUBQ(U32(g.lanes), left)
	JMP(LabelRef(name + "_g1"))

	Label(name + "_part")
	TESTQ(left, left)
	JZ(LabelRef(name + "_done"))
	columns(name+"_inp", 1, g.newTail(left), col)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// poolWalk emits the loops shared by the max-pool routines: for each of nq
// outputs along a row and each vector of its c channels (whole vectors, then
// a masked partial one), perVec(t, xq, o, idx) with xq the address of the
// window's top-left element for these channels, o the byte offset of the
// outputs (in y, dy and arg alike) and idx the int32 vector of those
// elements' absolute indices base + offset in x. The window loops are the
// caller's (see window).
type poolWalk struct {
	g          *vecGen
	name       string
	x          GPVirtual // start of the current output's window
	nq         GPVirtual // outputs left
	cBytes     GPVirtual // bytes between horizontally adjacent window elements
	rowAdj     GPVirtual // bytes from past a window row's last element to the next row's first
	colBytes   GPVirtual // bytes between the windows of adjacent outputs
	vC, vRow   VecVirtual
	c, wh, ww  Mem // channels, window height and width (parameters)
	qIdx, vLan VecVirtual
}

func (g *vecGen) newPoolWalk(name, xParam string) *poolWalk {
	w := &poolWalk{g: g, name: name}
	w.x = asGP(Load(Param(xParam).Base(), GP64()))
	w.nq = asGP(Load(Param("nq"), GP64()))
	w.c, w.wh, w.ww = paramAddr("c"), paramAddr("wh"), paramAddr("ww")
	w.cBytes = asGP(Load(Param("c"), GP64()))
	w.vC = g.broadcastInt(w.cBytes)
	// rowAdj = rowStride − ww·c elements, as indices (vRow) and bytes.
	w.rowAdj = asGP(Load(Param("ww"), GP64()))
	IMULQ(w.cBytes, w.rowAdj)
	NEGQ(w.rowAdj)
	ADDQ(paramAddr("rowStride"), w.rowAdj)
	w.vRow = g.broadcastInt(w.rowAdj)
	SHLQ(U8(2), w.rowAdj)
	SHLQ(U8(2), w.cBytes)
	// qIdx = base + iota: the indices of the first window's first vector.
	w.qIdx = g.vreg()
	VPBROADCASTD(paramAddr("base"), w.qIdx)
	io := GP64()
	LEAQ(g.tabs.iota, io)
	VPADDD(Mem{Base: io}, w.qIdx, w.qIdx)
	lanes := GP64()
	MOVQ(U32(g.lanes), lanes)
	w.vLan = g.broadcastInt(lanes)
	return w
}

// run emits the q and channel loops.
func (w *poolWalk) run(perVec func(t tail, xq, o GPVirtual, idx VecVirtual)) {
	g, name := w.g, w.name
	TESTQ(w.nq, w.nq)
	JZ(LabelRef(name + "_done"))
	rem := GP64()
	MOVQ(w.c, rem)
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_done"))
	ANDQ(U32(g.lanes-1), rem)
	tl := g.newTail(rem)
	w.colBytes = asGP(Load(Param("colStep"), GP64()))
	colIdx := g.broadcastInt(w.colBytes)
	SHLQ(U8(2), w.colBytes)
	o := GP64()
	XORQ(o, o)

	Label(name + "_q")
	xq := GP64()
	MOVQ(w.x, xq)
	idx := g.vreg()
	VMOVDQA32orA(g, w.qIdx, idx)
	cnt := GP64()
	MOVQ(w.c, cnt)
	SHRQ(U8(log2(g.lanes)), cnt)
	JZ(LabelRef(name + "_qtail"))
	Label(name + "_vec")
	perVec(tail{g: g}, xq, o, idx)
	ADDQ(U32(g.vb()), xq)
	ADDQ(U32(g.vb()), o)
	VPADDD(w.vLan, idx, idx)
	DECQ(cnt)
	JNZ(LabelRef(name + "_vec"))
	Label(name + "_qtail")
	r := GP64()
	MOVQ(w.c, r)
	ANDQ(U32(g.lanes-1), r)
	JZ(LabelRef(name + "_qnext"))
	perVec(tl, xq, o, idx)
	r2 := GP64()
	MOVQ(w.c, r2)
	ANDQ(U32(g.lanes-1), r2)
	LEAQ(Mem{Base: o, Index: r2, Scale: 4}, o)
	Label(name + "_qnext")
	ADDQ(w.colBytes, w.x)
	VPADDD(colIdx, w.qIdx, w.qIdx)
	DECQ(w.nq)
	JNZ(LabelRef(name + "_q"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// VMOVDQA32orA copies a whole integer vector register.
func VMOVDQA32orA(g *vecGen, src, dst Op) {
	if g.avx512() {
		VMOVDQA32(src, dst)
	} else {
		VMOVDQA(src, dst)
	}
}

// window emits the wh×ww loop over a window starting at xq with element
// indices idx: elem(p, cur) for each element, p its address and cur its
// index vector.
func (w *poolWalk) window(label string, xq GPVirtual, idx VecVirtual, elem func(p GPVirtual, cur VecVirtual)) {
	g := w.g
	p := GP64()
	MOVQ(xq, p)
	cur := g.vreg()
	VMOVDQA32orA(g, idx, cur)
	i := GP64()
	MOVQ(w.wh, i)
	Label(label + "_i")
	j := GP64()
	MOVQ(w.ww, j)
	Label(label + "_j")
	elem(p, cur)
	ADDQ(w.cBytes, p)
	VPADDD(w.vC, cur, cur)
	DECQ(j)
	JNZ(LabelRef(label + "_j"))
	ADDQ(w.rowAdj, p)
	VPADDD(w.vRow, cur, cur)
	DECQ(i)
	JNZ(LabelRef(label + "_i"))
}

const poolSig = "func(x, y []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int)"

// poolFwd emits the max-pool forward row routine (see maxPoolFwdGo).
func (g *vecGen) poolFwd(relu bool) {
	base, twin, what := "maxPoolFwd", "maxPoolFwdGo", "max-pools one output row"
	if relu {
		base, twin, what = "maxPoolReLUFwd", "maxPoolReLUFwdGo", "max-pools one output row and applies ReLU"
	}
	name := g.begin(base, poolSig, twin, what)
	w := g.newPoolWalk(name, "x")
	yp := asGP(Load(Param("y").Base(), GP64()))
	ap := asGP(Load(Param("arg").Base(), GP64()))
	var z, neg1 VecVirtual
	if relu {
		z = g.zero()
		m1 := GP64()
		MOVQ(I32(-1), m1)
		neg1 = g.broadcastInt(m1)
	}
	n := 0
	w.run(func(t tail, xq, o GPVirtual, idx VecVirtual) {
		n++
		label := fmt.Sprintf("%s_w%d", name, n)
		m, a := g.vreg(), g.vreg()
		t.load(Mem{Base: xq}, m)
		VMOVDQA32orA(g, idx, a)
		w.window(label, xq, idx, func(p GPVirtual, cur VecVirtual) {
			v := g.vreg()
			t.load(Mem{Base: p}, v)
			// Take v if v > m or v is NaN: the first maximum wins, NaN
			// propagates (as PyTorch's max_pool2d).
			if g.avx512() {
				k1, k2 := K(), K()
				VCMPPS(U8(cmpGTOQ), m, v, k1)
				VCMPPS(U8(cmpUnordQ), v, v, k2)
				KORW(k1, k2, k1)
				VMOVAPS(v, k1, m)
				VMOVDQA32(cur, k1, a)
			} else {
				gt, nan := g.vreg(), g.vreg()
				VCMPPS(U8(cmpGTOQ), m, v, gt)
				VCMPPS(U8(cmpUnordQ), v, v, nan)
				VORPS(nan, gt, gt)
				VBLENDVPS(gt, v, m, m)
				VBLENDVPS(gt, cur, a, a)
			}
		})
		if relu {
			VMAXPS(m, z, m)
			if g.avx512() {
				k := K()
				VCMPPS(U8(cmpGTOQ), z, m, k)
				KNOTW(k, k)
				VMOVDQA32(neg1, k, a)
			} else {
				gt := g.vreg()
				VCMPPS(U8(cmpGTOQ), z, m, gt)
				VBLENDVPS(gt, a, neg1, a)
			}
		}
		t.store(m, Mem{Base: yp, Index: o, Scale: 1})
		t.storeInt(a, Mem{Base: ap, Index: o, Scale: 1})
	})
}

const poolBwdSig = "func(dx, dy []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int)"

// poolBwd emits the max-pool backward row routine (see maxPoolBwdSetGo and
// maxPoolBwdAddGo).
func (g *vecGen) poolBwd(add bool) {
	base, twin, what := "maxPoolBwdSet", "maxPoolBwdSetGo", "writes the input gradient of one row of non-overlapping windows"
	if add {
		base, twin, what = "maxPoolBwdAdd", "maxPoolBwdAddGo", "adds the input gradient of one row of windows"
	}
	name := g.begin(base, poolBwdSig, twin, what)
	w := g.newPoolWalk(name, "dx")
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	ap := asGP(Load(Param("arg").Base(), GP64()))
	n := 0
	w.run(func(t tail, xq, o GPVirtual, idx VecVirtual) {
		n++
		label := fmt.Sprintf("%s_w%d", name, n)
		d, a := g.vreg(), g.vreg()
		t.load(Mem{Base: dyp, Index: o, Scale: 1}, d)
		t.loadInt(Mem{Base: ap, Index: o, Scale: 1}, a)
		w.window(label, xq, idx, func(p GPVirtual, cur VecVirtual) {
			sel := g.vreg()
			if g.avx512() {
				k := K()
				VPCMPEQD(cur, a, k)
				VMOVUPS_Z(d, k, sel)
			} else {
				VPCMPEQD(cur, a, sel)
				VANDPS(d, sel, sel)
			}
			if add {
				old := g.vreg()
				t.load(Mem{Base: p}, old)
				VADDPS(sel, old, sel)
			}
			t.store(sel, Mem{Base: p})
		})
	})
}

const pool2Sig = "func(x, y []float32, arg []int32, base, nq, c, colStep, rowStride int)"

// pool2 is the walk of the straight-line 2×2 routines, with the offset of a
// window's second row in bytes and as indices.
type pool2 struct {
	w        *poolWalk
	rowBytes GPVirtual  // rowStride·4
	vRS      VecVirtual // rowStride as indices
}

func (g *vecGen) newPool2(name, xParam string) *pool2 {
	w := g.newPoolWalk2(name, xParam)
	p := &pool2{w: w}
	p.rowBytes = asGP(Load(Param("rowStride"), GP64()))
	p.vRS = g.broadcastInt(p.rowBytes)
	SHLQ(U8(2), p.rowBytes)
	return p
}

// newPoolWalk2 is newPoolWalk for the 2×2 routines, whose signature has no
// wh and ww.
func (g *vecGen) newPoolWalk2(name, xParam string) *poolWalk {
	w := &poolWalk{g: g, name: name}
	w.x = asGP(Load(Param(xParam).Base(), GP64()))
	w.nq = asGP(Load(Param("nq"), GP64()))
	w.c = paramAddr("c")
	w.cBytes = asGP(Load(Param("c"), GP64()))
	w.vC = g.broadcastInt(w.cBytes)
	SHLQ(U8(2), w.cBytes)
	w.qIdx = g.vreg()
	VPBROADCASTD(paramAddr("base"), w.qIdx)
	io := GP64()
	LEAQ(g.tabs.iota, io)
	VPADDD(Mem{Base: io}, w.qIdx, w.qIdx)
	lanes := GP64()
	MOVQ(U32(g.lanes), lanes)
	w.vLan = g.broadcastInt(lanes)
	return w
}

// maxStep keeps (m, a) or takes (v, vi) where v > m or v is NaN: one step of
// the first-maximum rule (see maxPoolFwdGo). Applied as a tree to the four
// elements of a 2×2 window it gives the same result as in row-major order: a
// NaN on the right is the later one, and a number on the right wins only if
// strictly greater.
func (g *vecGen) maxStep(m, a, v, vi VecVirtual) {
	if g.avx512() {
		k1, k2 := K(), K()
		VCMPPS(U8(cmpGTOQ), m, v, k1)
		VCMPPS(U8(cmpUnordQ), v, v, k2)
		KORW(k1, k2, k1)
		VMOVAPS(v, k1, m)
		VMOVDQA32(vi, k1, a)
		return
	}
	gt, nan := g.vreg(), g.vreg()
	VCMPPS(U8(cmpGTOQ), m, v, gt)
	VCMPPS(U8(cmpUnordQ), v, v, nan)
	VORPS(nan, gt, gt)
	VBLENDVPS(gt, v, m, m)
	VBLENDVPS(gt, vi, a, a)
}

// pool2Fwd emits the 2×2 max-pool forward row routine (maxPoolFwdGo with wh
// = ww = 2): straight-line code, the window reduced as a tree.
func (g *vecGen) pool2Fwd() {
	name := g.begin("maxPool2Fwd", pool2Sig, "maxPool2FwdGo", "max-pools one output row of 2×2 windows")
	p := g.newPool2(name, "x")
	w := p.w
	yp := asGP(Load(Param("y").Base(), GP64()))
	ap := asGP(Load(Param("arg").Base(), GP64()))
	w.run(func(t tail, xq, o GPVirtual, idx VecVirtual) {
		x2 := GP64()
		LEAQ(Mem{Base: xq, Index: p.rowBytes, Scale: 1}, x2)
		m, a, v, vi := g.vreg(), g.vreg(), g.vreg(), g.vreg()
		t.load(Mem{Base: xq}, m)
		VMOVDQA32orA(g, idx, a)
		t.load(Mem{Base: xq, Index: w.cBytes, Scale: 1}, v)
		VPADDD(w.vC, idx, vi)
		g.maxStep(m, a, v, vi)
		m2, a2, v2, vi2 := g.vreg(), g.vreg(), g.vreg(), g.vreg()
		t.load(Mem{Base: x2}, m2)
		VPADDD(p.vRS, idx, a2)
		t.load(Mem{Base: x2, Index: w.cBytes, Scale: 1}, v2)
		VPADDD(w.vC, a2, vi2)
		g.maxStep(m2, a2, v2, vi2)
		g.maxStep(m, a, m2, a2)
		t.store(m, Mem{Base: yp, Index: o, Scale: 1})
		t.storeInt(a, Mem{Base: ap, Index: o, Scale: 1})
	})
}

// pool2BwdSet emits the 2×2 backward row routine (maxPoolBwdSetGo with wh =
// ww = 2): straight-line code writing the four window elements in row-major
// order.
func (g *vecGen) pool2BwdSet() {
	name := g.begin("maxPool2BwdSet", "func(dx, dy []float32, arg []int32, base, nq, c, colStep, rowStride int)", "maxPool2BwdSetGo",
		"writes the input gradient of one row of non-overlapping 2×2 windows")
	p := g.newPool2(name, "dx")
	w := p.w
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	ap := asGP(Load(Param("arg").Base(), GP64()))
	w.run(func(t tail, xq, o GPVirtual, idx VecVirtual) {
		d, a := g.vreg(), g.vreg()
		t.load(Mem{Base: dyp, Index: o, Scale: 1}, d)
		t.loadInt(Mem{Base: ap, Index: o, Scale: 1}, a)
		x2 := GP64()
		LEAQ(Mem{Base: xq, Index: p.rowBytes, Scale: 1}, x2)
		put := func(cur VecVirtual, m Mem) {
			sel := g.vreg()
			if g.avx512() {
				k := K()
				VPCMPEQD(cur, a, k)
				VMOVUPS_Z(d, k, sel)
			} else {
				VPCMPEQD(cur, a, sel)
				VANDPS(d, sel, sel)
			}
			t.store(sel, m)
		}
		cur := g.vreg()
		put(idx, Mem{Base: xq})
		VPADDD(w.vC, idx, cur)
		put(cur, Mem{Base: xq, Index: w.cBytes, Scale: 1})
		VPADDD(p.vRS, idx, cur)
		put(cur, Mem{Base: x2})
		VPADDD(w.vC, cur, cur)
		put(cur, Mem{Base: x2, Index: w.cBytes, Scale: 1})
	})
}

// adam emits the Keras Adam update (see adamGo).
func (g *vecGen) adam() {
	name := g.begin("adam", "func(p, grad, m, v []float32, alpha, c1, c2, eps float32)", "adamGo", "applies one Adam step")
	n := asGP(Load(Param("p").Len(), GP64()))
	pp := asGP(Load(Param("p").Base(), GP64()))
	gp := asGP(Load(Param("grad").Base(), GP64()))
	mp := asGP(Load(Param("m").Base(), GP64()))
	vp := asGP(Load(Param("v").Base(), GP64()))
	alpha := g.broadcast(paramAddr("alpha"))
	c1 := g.broadcast(paramAddr("c1"))
	c2 := g.broadcast(paramAddr("c2"))
	eps := g.broadcast(paramAddr("eps"))
	g.stream(name, n, g.unroll(4, 4), func(t tail, at func(GPVirtual, int) Mem) {
		gv, mv, vv, t1 := g.vreg(), g.vreg(), g.vreg(), g.vreg()
		t.load(at(gp, 0), gv)
		t.load(at(mp, 0), mv)
		// m += (g − m)·c1
		VSUBPS(mv, gv, t1)
		VMULPS(c1, t1, t1)
		VADDPS(t1, mv, mv)
		t.store(mv, at(mp, 0))
		// v += (g² − v)·c2
		t.load(at(vp, 0), vv)
		VMULPS(gv, gv, gv)
		VSUBPS(vv, gv, gv)
		VMULPS(c2, gv, gv)
		VADDPS(gv, vv, vv)
		t.store(vv, at(vp, 0))
		// p −= (m·alpha) / (√v + eps)
		VSQRTPS(vv, vv)
		VADDPS(eps, vv, vv)
		VMULPS(alpha, mv, mv)
		VDIVPS(vv, mv, mv)
		t.load(at(pp, 0), t1)
		VSUBPS(mv, t1, t1)
		t.store(t1, at(pp, 0))
	})
}

// sgd emits plain SGD (see sgdGo) or SGD with momentum (see sgdMomentumGo).
func (g *vecGen) sgd(momentum bool) {
	if !momentum {
		name := g.begin("sgd", "func(p, grad []float32, lr float32)", "sgdGo", "applies one plain SGD step")
		n := asGP(Load(Param("p").Len(), GP64()))
		pp := asGP(Load(Param("p").Base(), GP64()))
		gp := asGP(Load(Param("grad").Base(), GP64()))
		lr := g.broadcast(paramAddr("lr"))
		g.stream(name, n, g.unroll(2, 1), func(t tail, at func(GPVirtual, int) Mem) {
			gv, pv := g.vreg(), g.vreg()
			t.load(at(gp, 0), gv)
			t.load(at(pp, 0), pv)
			VMULPS(lr, gv, gv)
			VSUBPS(gv, pv, pv)
			t.store(pv, at(pp, 0))
		})
		return
	}
	name := g.begin("sgdMomentum", "func(p, grad, m []float32, lr, mom float32)", "sgdMomentumGo", "applies one SGD step with momentum (Keras form)")
	n := asGP(Load(Param("p").Len(), GP64()))
	pp := asGP(Load(Param("p").Base(), GP64()))
	gp := asGP(Load(Param("grad").Base(), GP64()))
	mp := asGP(Load(Param("m").Base(), GP64()))
	lr := g.broadcast(paramAddr("lr"))
	mom := g.broadcast(paramAddr("mom"))
	g.stream(name, n, g.unroll(3, 2), func(t tail, at func(GPVirtual, int) Mem) {
		gv, mv, pv := g.vreg(), g.vreg(), g.vreg()
		t.load(at(gp, 0), gv)
		t.load(at(mp, 0), mv)
		// m = m·mom − g·lr; p += m
		VMULPS(mom, mv, mv)
		VMULPS(lr, gv, gv)
		VSUBPS(gv, mv, mv)
		t.store(mv, at(mp, 0))
		t.load(at(pp, 0), pv)
		VADDPS(mv, pv, pv)
		t.store(pv, at(pp, 0))
	})
}

// asGP is Load's result as the general-purpose register it is.
func asGP(r Register) GPVirtual { return r.(GPVirtual) }
