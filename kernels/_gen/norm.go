package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The norm unit: batch normalisation's passes over NHWC rows for package
// kernels/internal/norm, at avx2 and avx512. Each routine's pure-Go twin in
// that package (named in its doc comment) is its specification; the tests
// there check them bit for bit.
//
//   - the per-channel sums (forward: Σ(x − shift) and Σ(x − shift)²;
//     backward: Σdz and Σdz·(x − μ), dz being dy masked by y > 0 with the
//     ReLU, and optionally written out for the residual branch) accumulate in
//     float64, in row order, a block of channels at a time with the sums in
//     registers while the rows stream past. They take whole double vectors
//     of channels (8 at avx512, 4 at avx2); the package's wrapper runs the
//     twin on the rest. The float64 sums use FMA (VFMADD231PD), which the
//     twins write as math.FMA, so both round once.
//   - the element-wise passes (forward: y = x·a + b, then + res, then ReLU;
//     backward: dx = a·dz + k·(x − μ) + d) run along each row in float32 with
//     masked tails, without FMA, in the twins' order of operations.
func genNorm() {
	tabs := tailTables("norm")
	for _, s := range []isa{isaAVX2, isaAVX512} {
		g := &normGen{vecGen{isa: s, tabs: tabs}}
		g.fwdSums()
		for _, v := range []struct{ mask, res bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
			g.bwdSums(v.mask, v.res)
		}
		for _, v := range []struct{ res, relu bool }{{false, false}, {false, true}, {true, false}, {true, true}} {
			g.apply(v.res, v.relu)
		}
		g.bwdDX(false)
		g.bwdDX(true)
	}
}

// tailTables are the tail-mask tables of vecTables under the names of unit
// prefix (prefixMask16, prefixMask8), for units other than vec.
func tailTables(prefix string) vecTabs {
	var t vecTabs
	t.mask16 = GLOBL(prefix+"Mask16", RODATA|NOPTR)
	for r := 0; r <= 16; r++ {
		DATA(2*r, U16((1<<r)-1))
	}
	t.mask8 = GLOBL(prefix+"Mask8", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	return t
}

type normGen struct{ vecGen }

// dpl is the float64 lanes of a vector: the channels one double vector of
// sums holds.
func (g *normGen) dpl() int { return g.lanes / 2 }

// dvreg is a vector of dpl float64.
func (g *normGen) dvreg() VecVirtual { return g.vreg() }

// hvreg is a half vector: dpl float32.
func (g *normGen) hvreg() VecVirtual {
	if g.avx512() {
		return YMM()
	}
	return XMM()
}

// sumBlocks emits the channel-block loop of a sums routine over n channels
// (a multiple of dpl): blocks of up to maxG double vectors, each with its
// state loaded by load, the rows walked by row (given the address of the
// block's first channel in every float32 input, advanced a row at a time)
// and its state stored by store.
func (g *normGen) sumBlocks(name string, n GPVirtual, maxG int, rows, strideBytes GPVirtual,
	load func(ch GPVirtual, G int), row func(at func(in GPVirtual, i int) Mem, G int), store func(ch GPVirtual, G int)) {
	ch := GP64()
	XORQ(ch, ch)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	for G := maxG; G >= 1; G = nextG(G) {
		lbl := fmt.Sprintf("%s_g%d", name, G)
		next := fmt.Sprintf("%s_g%d", name, nextG(G))
		if G == 1 {
			next = name + "_done"
		}
		Label(lbl)
		left := GP64()
		MOVQ(n, left)
		SUBQ(ch, left)
		CMPQ(left, U32(G*g.dpl()))
		JB(LabelRef(next))
		load(ch, G)
		off := GP64()
		MOVQ(ch, off)
		SHLQ(U8(2), off)
		r := GP64()
		MOVQ(rows, r)
		Label(lbl + "_rows")
		row(func(in GPVirtual, i int) Mem { return Mem{Base: in, Index: off, Scale: 1, Disp: i * g.dpl() * 4} }, G)
		ADDQ(strideBytes, off)
		DECQ(r)
		JNZ(LabelRef(lbl + "_rows"))
		store(ch, G)
		ADDQ(U32(G*g.dpl()), ch)
		JMP(LabelRef(lbl))
	}
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// nextG is the next smaller block width: halves down to 1.
func nextG(G int) int {
	if G <= 1 {
		return 0
	}
	return G / 2
}

// f64 is the address of float64 element ch+i·dpl of the slice at base.
func (g *normGen) f64(base, ch GPVirtual, i int) Mem {
	return Mem{Base: base, Index: ch, Scale: 8, Disp: i * g.dpl() * 8}
}

func (g *normGen) loadDV(base, ch GPVirtual, G int) []VecVirtual {
	v := make([]VecVirtual, G)
	for i := range v {
		v[i] = g.dvreg()
		VMOVUPD(g.f64(base, ch, i), v[i])
	}
	return v
}

func (g *normGen) storeDV(v []VecVirtual, base, ch GPVirtual) {
	for i := range v {
		VMOVUPD(v[i], g.f64(base, ch, i))
	}
}

func (g *normGen) sumsPrologue() (n, rows, strideBytes GPVirtual) {
	n = asGP(Load(Param("s1").Len(), GP64()))
	rows = asGP(Load(Param("rows"), GP64()))
	strideBytes = asGP(Load(Param("stride"), GP64()))
	SHLQ(U8(2), strideBytes)
	return n, rows, strideBytes
}

// fwdSums emits s1[c] += x − shift[c], s2[c] += (x − shift[c])² over rows.
func (g *normGen) fwdSums() {
	name := g.begin("fwdSums", "func(x []float32, shift, s1, s2 []float64, rows, stride int)", "fwdSumsGo",
		"adds x[r·stride+c] − shift[c] and its square to s1[c] and s2[c] in float64 for each of the rows rows, c < len(s1) (a multiple of the double vector)")
	n, rows, sb := g.sumsPrologue()
	xp := asGP(Load(Param("x").Base(), GP64()))
	shp := asGP(Load(Param("shift").Base(), GP64()))
	s1p := asGP(Load(Param("s1").Base(), GP64()))
	s2p := asGP(Load(Param("s2").Base(), GP64()))
	maxG := 8
	if !g.avx512() {
		maxG = 4
	}
	var sh, a1, a2 []VecVirtual
	g.sumBlocks(name, n, maxG, rows, sb,
		func(ch GPVirtual, G int) {
			sh, a1, a2 = g.loadDV(shp, ch, G), g.loadDV(s1p, ch, G), g.loadDV(s2p, ch, G)
		},
		func(at func(GPVirtual, int) Mem, G int) {
			for i := 0; i < G; i++ {
				t := g.dvreg()
				VCVTPS2PD(at(xp, i), t)
				VSUBPD(sh[i], t, t)
				VADDPD(t, a1[i], a1[i])
				VFMADD231PD(t, t, a2[i])
			}
		},
		func(ch GPVirtual, G int) { g.storeDV(a1, s1p, ch); g.storeDV(a2, s2p, ch) })
}

// bwdSums emits s1[c] += dz, s2[c] += dz·(x − mu[c]) over rows, dz = dy or
// with mask dy where y > 0 and 0 elsewhere; with res it stores dz to dres.
func (g *normGen) bwdSums(mask, res bool) {
	base, twin := "bwdSums", fmt.Sprintf("bwdSumsGo(%v, %v, ...)", mask, res)
	what := "adds dz and dz·(x − mu[c]) to s1[c] and s2[c] in float64 for each of the rows rows, c < len(s1) (a multiple of the double vector), dz = dy"
	if mask {
		base += "Mask"
		what += " where y > 0, else 0"
	}
	if res {
		base += "Res"
		what += ", and stores dz to dres"
	}
	name := g.begin(base, "func(dy, y, x, dres []float32, mu, s1, s2 []float64, rows, stride int)", twin, what)
	n, rows, sb := g.sumsPrologue()
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	var yp, drp GPVirtual
	if mask {
		yp = asGP(Load(Param("y").Base(), GP64()))
	}
	if res {
		drp = asGP(Load(Param("dres").Base(), GP64()))
	}
	mup := asGP(Load(Param("mu").Base(), GP64()))
	s1p := asGP(Load(Param("s1").Base(), GP64()))
	s2p := asGP(Load(Param("s2").Base(), GP64()))
	maxG := 8
	if !g.avx512() {
		maxG = 3
	}
	var z VecVirtual
	if mask {
		z = g.hvreg()
		VXORPS(z, z, z)
	}
	var mu, a1, a2 []VecVirtual
	g.sumBlocks(name, n, maxG, rows, sb,
		func(ch GPVirtual, G int) {
			mu, a1, a2 = g.loadDV(mup, ch, G), g.loadDV(s1p, ch, G), g.loadDV(s2p, ch, G)
		},
		func(atRow func(GPVirtual, int) Mem, G int) {
			for i := 0; i < G; i++ {
				at := func(p GPVirtual) Mem { return atRow(p, i) }
				dz := g.hvreg()
				VMOVUPS(at(dyp), dz)
				if mask {
					yv := g.hvreg()
					VMOVUPS(at(yp), yv)
					if g.avx512() {
						k := K()
						VCMPPS(U8(cmpGTOQ), z, yv, k)
						VMOVUPS_Z(dz, k, dz)
					} else {
						VCMPPS(U8(cmpGTOQ), z, yv, yv)
						VANDPS(dz, yv, dz)
					}
				}
				if res {
					VMOVUPS(dz, at(drp))
				}
				d, xd := g.dvreg(), g.dvreg()
				VCVTPS2PD(dz, d)
				VCVTPS2PD(at(xp), xd)
				VSUBPD(mu[i], xd, xd)
				VADDPD(d, a1[i], a1[i])
				VFMADD231PD(xd, d, a2[i])
			}
		},
		func(ch GPVirtual, G int) { g.storeDV(a1, s1p, ch); g.storeDV(a2, s2p, ch) })
}

// rowsLoop emits a loop over rows rows of n = len(first param) channels:
// whole vectors, then a masked tail, calling one(t, off) with off the byte
// offset of the vector in the row (relative to each row pointer in ptrs,
// which advance by a row) and in the per-channel vectors.
func (g *normGen) rowsLoop(name string, n, rows GPVirtual, ptrs []GPVirtual, one func(t tail, row func(p GPVirtual) Mem, chm func(p GPVirtual) Mem)) {
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	rem := GP64()
	MOVQ(n, rem)
	ANDQ(U32(g.lanes-1), rem)
	tl := g.newTail(rem)
	nv := GP64()
	MOVQ(n, nv)
	SHRQ(U8(log2(g.lanes)), nv)
	rowBytes := GP64()
	MOVQ(n, rowBytes)
	SHLQ(U8(2), rowBytes)
	Label(name + "_row")
	off := GP64()
	XORQ(off, off)
	at := func(p GPVirtual) Mem { return Mem{Base: p, Index: off, Scale: 1} }
	cnt := GP64()
	MOVQ(nv, cnt)
	TESTQ(cnt, cnt)
	JZ(LabelRef(name + "_rowtail"))
	Label(name + "_vec")
	one(tail{g: &g.vecGen}, at, at)
	ADDQ(U32(g.vb()), off)
	DECQ(cnt)
	JNZ(LabelRef(name + "_vec"))
	Label(name + "_rowtail")
	TESTQ(rem, rem)
	JZ(LabelRef(name + "_next"))
	one(tl, at, at)
	Label(name + "_next")
	for _, p := range ptrs {
		ADDQ(rowBytes, p)
	}
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// apply emits y = x·a + b (+ res) (then ReLU) along rows rows of len(a)
// channels.
func (g *normGen) apply(res, relu bool) {
	base, what := "apply", "sets y = x·a[c] + b[c]"
	if res {
		base += "Res"
		what += " + res"
	}
	if relu {
		base += "ReLU"
		what += ", then max(·, 0) (NaN and −0 pass through),"
	}
	what += " for each of the rows rows of len(a) channels, rounding after every operation"
	name := g.begin(base, "func(y, x, res, a, b []float32, rows int)", fmt.Sprintf("applyGo(%v, %v, ...)", res, relu), what)
	n := asGP(Load(Param("a").Len(), GP64()))
	rows := asGP(Load(Param("rows"), GP64()))
	yp := asGP(Load(Param("y").Base(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	ap := asGP(Load(Param("a").Base(), GP64()))
	bp := asGP(Load(Param("b").Base(), GP64()))
	ptrs := []GPVirtual{yp, xp}
	var rp GPVirtual
	if res {
		rp = asGP(Load(Param("res").Base(), GP64()))
		ptrs = append(ptrs, rp)
	}
	var z VecVirtual
	if relu {
		z = g.zero()
	}
	g.rowsLoop(name, n, rows, ptrs, func(t tail, row, chm func(GPVirtual) Mem) {
		v, c := g.vreg(), g.vreg()
		t.load(row(xp), v)
		t.load(chm(ap), c)
		VMULPS(c, v, v)
		t.load(chm(bp), c)
		VADDPS(c, v, v)
		if res {
			t.load(row(rp), c)
			VADDPS(c, v, v)
		}
		if relu {
			VMAXPS(v, z, v)
		}
		t.store(v, row(yp))
	})
}

// bwdDX emits dx = a·dz + k·(x − mu) + d along rows rows of len(a)
// channels, dz = dy, or with mask dy where y > 0 and 0 elsewhere.
func (g *normGen) bwdDX(mask bool) {
	base, what := "bwdDX", "sets dx = a[c]·dz + k[c]·(x − mu[c]) + d[c] for each of the rows rows of len(a) channels, rounding after every operation, dz = dy"
	if mask {
		base += "Mask"
		what += " where y > 0, else 0"
	}
	name := g.begin(base, "func(dx, dy, y, x, a, k, d, mu []float32, rows int)", fmt.Sprintf("bwdDXGo(%v, ...)", mask), what)
	n := asGP(Load(Param("a").Len(), GP64()))
	rows := asGP(Load(Param("rows"), GP64()))
	dxp := asGP(Load(Param("dx").Base(), GP64()))
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	ap := asGP(Load(Param("a").Base(), GP64()))
	kp := asGP(Load(Param("k").Base(), GP64()))
	dp := asGP(Load(Param("d").Base(), GP64()))
	mp := asGP(Load(Param("mu").Base(), GP64()))
	ptrs := []GPVirtual{dxp, dyp, xp}
	var yp GPVirtual
	var z VecVirtual
	if mask {
		yp = asGP(Load(Param("y").Base(), GP64()))
		ptrs = append(ptrs, yp)
		z = g.zero()
	}
	g.rowsLoop(name, n, rows, ptrs, func(t tail, row, chm func(GPVirtual) Mem) {
		dz, u, c := g.vreg(), g.vreg(), g.vreg()
		t.load(row(dyp), dz)
		if mask {
			yv := g.vreg()
			t.load(row(yp), yv)
			if g.avx512() {
				km := K()
				VCMPPS(U8(cmpGTOQ), z, yv, km)
				VMOVUPS_Z(dz, km, dz)
			} else {
				VCMPPS(U8(cmpGTOQ), z, yv, yv)
				VANDPS(dz, yv, dz)
			}
		}
		t.load(chm(ap), c)
		VMULPS(c, dz, dz)
		t.load(row(xp), u)
		t.load(chm(mp), c)
		VSUBPS(c, u, u)
		t.load(chm(kp), c)
		VMULPS(c, u, u)
		VADDPS(u, dz, dz)
		t.load(chm(dp), c)
		VADDPS(c, dz, dz)
		t.store(dz, row(dxp))
	})
}
