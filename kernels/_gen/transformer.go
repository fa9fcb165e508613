package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The tfvec unit: the vector routines of the transformer kernels (package
// kernels/internal/tfvec) at avx2 and avx512: a float32 exponential, the
// attention's softmax row passes, GELU forward and backward, the layer-norm
// row sums and passes, AdamW and the gradient norm's sum of squares. Each
// routine's pure-Go twin in that package (named in its doc comment) is its
// specification, bit for bit.
//
// The exponential and GELU use fused multiply-adds (they are bound by
// arithmetic, and FMA saves a third of the exponential's instructions); the
// twins spell each as fma32, an exact float32 FMA built on float64. The
// other routines, bound by memory, round every product as the twins write
// it.
//
// Reductions have a fixed shape that does not depend on the ISA level, so
// avx2, avx512 and the twins agree: float32 sums and maxima keep 16 partials
// (element i goes to partial i mod 16, a masked tail block included) that a
// halving tree combines (partial i += partial i+w for w = 8, 4, 2, 1);
// float64 sums keep 16 partials of the whole blocks of 16 elements, combined
// the same way, plus the n mod 16 tail elements summed one by one into a
// separate partial, added last.
func genTFVec() {
	tabs := vecTables()
	tab := tfTable()
	for _, s := range []isa{isaAVX2, isaAVX512} {
		g := &tfGen{vecGen: &vecGen{isa: s, tabs: tabs}, tab: tab}
		g.exp()
		g.rowMax()
		g.expSum()
		g.expSub()
		g.softmaxBwd()
		g.gelu()
		g.geluBwd()
		g.sum64(false)
		g.sum64(true)
		g.sqDev64()
		g.dot64()
		g.lnAffine()
		g.lnBwdSums()
		g.lnBwdDx()
		g.adamw()
		g.scale()
	}
}

// cmpNLTUQ is VCMPPS's "not less than, or unordered" predicate.
const cmpNLTUQ = 0x05

// tfConsts are the routines' constants, each stored 16 times in the table
// tfConst (a whole vector at either level). The values are the twins'
// constants (tfvec's consts.go), spelled with the same literals.
var tfConsts = []struct {
	name string
	bits uint32
}{
	{"expLo", math.Float32bits(-87.33)},
	{"expHi", math.Float32bits(88.37)},
	{"log2e", math.Float32bits(1.44269504088896341)},
	{"magic", math.Float32bits(12582912)},
	{"expBias", math.Float32bits(12582912) - 127},
	{"ln2Hi", math.Float32bits(0.693359375)},
	{"ln2Lo", math.Float32bits(-2.12194440e-4)},
	{"p0", math.Float32bits(1.9875691500e-4)},
	{"p1", math.Float32bits(1.3981999507e-3)},
	{"p2", math.Float32bits(8.3334519073e-3)},
	{"p3", math.Float32bits(4.1665795894e-2)},
	{"p4", math.Float32bits(1.6666665459e-1)},
	{"p5", math.Float32bits(5.0000001201e-1)},
	{"one", math.Float32bits(1)},
	{"minusTwo", math.Float32bits(-2)},
	{"negInf", math.Float32bits(float32(math.Inf(-1)))},
	{"geluLo", math.Float32bits(-10)},
	{"geluHi", math.Float32bits(10)},
	{"geluK0", math.Float32bits(0.7978845608028654)},
	{"geluK1", math.Float32bits(0.044715)},
	{"geluK13", math.Float32bits(3 * 0.044715)},
}

func tfTable() Mem {
	m := GLOBL("tfConst", RODATA|NOPTR)
	for i, c := range tfConsts {
		for l := 0; l < 16; l++ {
			DATA(64*i+4*l, U32(c.bits))
		}
	}
	return m
}

type tfGen struct {
	*vecGen
	tab  Mem
	regs map[string]VecVirtual // constants held in registers (avx512)
}

// consts starts a routine's use of the named constants: at avx512 (32
// registers) each is loaded into a register once, at avx2 they stay
// memory operands.
func (g *tfGen) consts(names ...string) {
	g.regs = map[string]VecVirtual{}
	if !g.avx512() {
		return
	}
	for _, n := range names {
		r := g.vreg()
		VMOVUPS(g.cmem(n), r)
		g.regs[n] = r
	}
}

func (g *tfGen) cmem(name string) Mem {
	for i, c := range tfConsts {
		if c.name == name {
			return g.tab.Offset(64 * i)
		}
	}
	panic("tfvec: no constant " + name)
}

// c is the constant as a source operand: its register or its memory.
func (g *tfGen) c(name string) Op {
	if r, ok := g.regs[name]; ok {
		return r
	}
	return g.cmem(name)
}

// creg is the constant in a register (loaded here at avx2), for the
// operands that must be registers.
func (g *tfGen) creg(name string) VecVirtual {
	if r, ok := g.regs[name]; ok {
		return r
	}
	r := g.vreg()
	VMOVUPS(g.cmem(name), r)
	return r
}

// movc copies the constant into dst.
func (g *tfGen) movc(name string, dst VecVirtual) {
	if r, ok := g.regs[name]; ok {
		VMOVAPS(r, dst)
		return
	}
	VMOVUPS(g.cmem(name), dst)
}

var expConsts = []string{"expLo", "expHi", "log2e", "magic", "expBias", "ln2Hi", "ln2Lo", "p0", "p1", "p2", "p3", "p4", "p5", "one"}

// expv returns a register holding exp1 of each lane of x (see tfvec's
// exp1), clobbering x: Cephes' expf without branches.
func (g *tfGen) expv(x VecVirtual) VecVirtual { return g.expvc(x, nil) }

// expvc is expv with, if corr is not nil, the result y of the lanes that
// keep it corrected to y·corr + y (one fused rounding) before the lanes
// below the range are zeroed: exp(x + corr) for a small corr (tfvec's
// expSubGo).
func (g *tfGen) expvc(x, corr VecVirtual) VecVirtual {
	var keepK OpmaskVirtual
	var keepV VecVirtual
	// keep = !(x < lo): false below the range (the result is then 0),
	// true for NaN.
	if g.avx512() {
		keepK = K()
		VCMPPS(U8(cmpNLTUQ), g.c("expLo"), x, keepK)
	} else {
		keepV = g.vreg()
		VCMPPS(U8(cmpNLTUQ), g.c("expLo"), x, keepV)
	}
	// x = lo > x ? lo : x, then hi < x ? hi : x (NaN passes).
	VMAXPS(x, g.creg("expLo"), x)
	VMINPS(x, g.creg("expHi"), x)
	// t = x·log2e + magic (one rounding): the nearest integer n in its low
	// bits; f = n.
	t, f, u := g.vreg(), g.vreg(), g.vreg()
	g.movc("magic", t)
	VFMADD231PS(g.c("log2e"), x, t)
	VSUBPS(g.c("magic"), t, f)
	// 2ⁿ: (bits(t) − (bits(magic) − 127)) << 23.
	VPSUBD(g.c("expBias"), t, t)
	VPSLLD(U8(23), t, t)
	// r = x − n·ln2 in two parts, each with one rounding.
	VFNMADD231PS(g.c("ln2Hi"), f, x)
	VFNMADD231PS(g.c("ln2Lo"), f, x)
	// eʳ ≈ 1 + (r + r²·P(r)), P by Horner's rule in multiply-adds; r²·P
	// is rounded before r is added (fused, the worst error passes 1 ulp).
	VMULPS(x, x, f)
	g.movc("p0", u)
	for _, p := range []string{"p1", "p2", "p3", "p4", "p5"} {
		VFMADD213PS(g.c(p), x, u)
	}
	VMULPS(f, u, u)
	VADDPS(x, u, u)
	VADDPS(g.c("one"), u, u)
	VMULPS(t, u, u)
	if corr != nil {
		VFMADD231PS(corr, u, u)
	}
	if g.avx512() {
		VMOVUPS_Z(u, keepK, u)
	} else {
		VANDPS(keepV, u, u)
	}
	return u
}

func (g *tfGen) exp() {
	name := g.begin("exp", "func(dst, src []float32)", "expGo", "sets dst[i] = exp1(src[i])")
	n := asGP(Load(Param("src").Len(), GP64()))
	dst := asGP(Load(Param("dst").Base(), GP64()))
	src := asGP(Load(Param("src").Base(), GP64()))
	g.consts(expConsts...)
	g.stream(name, n, 2, func(t tail, at func(GPVirtual, int) Mem) {
		x := g.vreg()
		t.load(at(src, 0), x)
		t.store(g.expv(x), at(dst, 0))
	})
}

// blocks16 emits the loop of a float32 reduction over n elements: blocks of
// 16 (16/lanes vectors, body(sub, t, at) for vector sub), then one masked
// block of the n mod 16 left. at(base) is the address of the vector in a
// slice. It leaves the epilogue (combining the partials, RET) to the caller.
func (g *tfGen) blocks16(name string, n GPVirtual, body func(sub int, t tail, at func(base GPVirtual) Mem)) {
	nsub := 16 / g.lanes
	idx := GP64()
	XORQ(idx, idx)
	mk := func(sub int) func(GPVirtual) Mem {
		return func(b GPVirtual) Mem { return Mem{Base: b, Index: idx, Scale: 1, Disp: sub * g.vb()} }
	}
	cnt := GP64()
	MOVQ(n, cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	for s := 0; s < nsub; s++ {
		body(s, tail{g: g.vecGen}, mk(s))
	}
	ADDQ(U32(64), idx)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	ANDQ(U32(15), n)
	JZ(LabelRef(name + "_done"))
	if g.avx512() {
		body(0, g.newTail(n), mk(0))
	} else {
		r0 := GP64()
		MOVQ(U32(8), r0)
		CMPQ(n, r0)
		CMOVQLT(n, r0)
		SUBQ(r0, n)
		t0 := g.newTail(r0)
		t1 := g.newTail(n)
		body(0, t0, mk(0))
		body(1, t1, mk(1))
	}
	Label(name + "_done")
}

// loadFill reads a vector like load, with fill in the lanes a tail leaves
// out.
func (g *tfGen) loadFill(t tail, m Mem, dst, fill VecVirtual) {
	switch {
	case !t.on:
		VMOVUPS(m, dst)
	case g.avx512():
		VMOVAPS(fill, dst)
		VMOVUPS(m, t.k, dst)
	default:
		VMASKMOVPS(m, t.mask, dst)
		VBLENDVPS(t.mask, dst, fill, dst)
	}
}

// tree32 combines 16 float32 partials (acc: 16/lanes vectors) with op (a
// VADDPS or VMAXPS form: op(b, a, a) sets a = a op b) and returns an XMM
// register whose lane 0 is the result.
func (g *tfGen) tree32(acc []VecVirtual, op func(b, a, dst Op)) VecVirtual {
	a := acc[0]
	var y VecVirtual
	if g.avx512() {
		y = YMM()
		VEXTRACTF64X4(U8(1), a, y)
		op(y, a.AsY(), y)
	} else {
		op(acc[1], a, a)
		y = a
	}
	x := XMM()
	VEXTRACTF128(U8(1), y, x)
	op(x, y.AsX(), x)
	t := XMM()
	VMOVHLPS(x, x, t)
	op(t, x, x)
	VMOVSHDUP(x, t)
	op(t, x, x)
	return x
}

func (g *tfGen) rowMax() {
	name := g.begin("rowMax", "func(x []float32) float32", "rowMaxGo", "returns the maximum of x")
	n := asGP(Load(Param("x").Len(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	g.consts()
	fill := g.creg("negInf")
	acc := make([]VecVirtual, 16/g.lanes)
	for i := range acc {
		acc[i] = g.vreg()
		VMOVAPS(fill, acc[i])
	}
	g.blocks16(name, n, func(sub int, t tail, at func(GPVirtual) Mem) {
		v := g.vreg()
		g.loadFill(t, at(xp), v, fill)
		VMAXPS(v, acc[sub], acc[sub])
	})
	r := g.tree32(acc, func(b, a, dst Op) { VMAXPS(b, a, dst) })
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func (g *tfGen) expSum() {
	name := g.begin("expSum", "func(x []float32, shift float32) float32", "expSumGo", "sets x[i] = exp1(x[i] − shift) and returns their sum")
	n := asGP(Load(Param("x").Len(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	g.consts(append(expConsts, "negInf")...)
	shift := g.broadcast(paramAddr("shift"))
	fill := g.creg("negInf")
	acc := make([]VecVirtual, 16/g.lanes)
	for i := range acc {
		acc[i] = g.zero()
	}
	g.blocks16(name, n, func(sub int, t tail, at func(GPVirtual) Mem) {
		v := g.vreg()
		g.loadFill(t, at(xp), v, fill)
		VSUBPS(shift, v, v)
		e := g.expv(v)
		t.store(e, at(xp))
		VADDPS(e, acc[sub], acc[sub])
	})
	r := g.tree32(acc, func(b, a, dst Op) { VADDPS(b, a, dst) })
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// expSub emits dst[i] = exp(src[i] − shift) with the subtraction's
// rounding error carried into the exponential (expSubGo): x = src − shift,
// its exact error err by Knuth's TwoSum, then exp1(x)·err + exp1(x).
func (g *tfGen) expSub() {
	name := g.begin("expSub", "func(dst, src []float32, shift float32)", "expSubGo", "sets dst[i] = exp(src[i] − shift), the subtraction's error compensated")
	n := asGP(Load(Param("src").Len(), GP64()))
	dst := asGP(Load(Param("dst").Base(), GP64()))
	src := asGP(Load(Param("src").Base(), GP64()))
	g.consts(expConsts...)
	shift := g.broadcast(paramAddr("shift"))
	unroll := 2
	if !g.avx512() {
		unroll = 1
	}
	g.stream(name, n, unroll, func(t tail, at func(GPVirtual, int) Mem) {
		a, x, bv, e := g.vreg(), g.vreg(), g.vreg(), g.vreg()
		t.load(at(src, 0), a)
		VSUBPS(shift, a, x)   // x = a − shift
		VSUBPS(a, x, bv)      // bv = x − a
		VSUBPS(bv, x, e)      // e = x − bv
		VSUBPS(e, a, e)       // e = a − (x − bv)
		VADDPS(shift, bv, bv) // bv = shift + bv
		VSUBPS(bv, e, e)      // err = (a − (x − bv)) − (shift + bv)
		t.store(g.expvc(x, e), at(dst, 0))
	})
}

func (g *tfGen) softmaxBwd() {
	name := g.begin("softmaxBwd", "func(p, dp []float32, lse, d float32)", "softmaxBwdGo", "sets p[i] = exp1(p[i] − lse) and dp[i] = p[i]·(dp[i] − d)")
	n := asGP(Load(Param("p").Len(), GP64()))
	pp := asGP(Load(Param("p").Base(), GP64()))
	dpp := asGP(Load(Param("dp").Base(), GP64()))
	g.consts(expConsts...)
	lse := g.broadcast(paramAddr("lse"))
	d := g.broadcast(paramAddr("d"))
	g.stream(name, n, 2, func(t tail, at func(GPVirtual, int) Mem) {
		x := g.vreg()
		t.load(at(pp, 0), x)
		VSUBPS(lse, x, x)
		e := g.expv(x)
		t.store(e, at(pp, 0))
		v := g.vreg()
		t.load(at(dpp, 0), v)
		VSUBPS(d, v, v)
		VMULPS(v, e, v)
		t.store(v, at(dpp, 0))
	})
}

func (g *tfGen) gelu() {
	name := g.begin("gelu", "func(dst, src []float32)", "geluGo", "sets dst[i] = GELU(src[i]) (tanh form, through exp1)")
	n := asGP(Load(Param("src").Len(), GP64()))
	dst := asGP(Load(Param("dst").Base(), GP64()))
	src := asGP(Load(Param("src").Base(), GP64()))
	g.consts(append(expConsts, "geluLo", "geluK0", "geluK1", "minusTwo")...)
	g.stream(name, n, 2, func(t tail, at func(GPVirtual, int) Mem) {
		v := g.vreg()
		t.load(at(src, 0), v)
		VMAXPS(v, g.creg("geluLo"), v)
		w, u := g.vreg(), g.vreg()
		VMULPS(g.c("geluK1"), v, w)
		VFMADD213PS(g.c("one"), v, w) // w = (k1·v)·v + 1
		VMULPS(g.c("geluK0"), v, u)
		VMULPS(w, u, u)
		VMULPS(g.c("minusTwo"), u, u)
		e := g.expv(u)
		VADDPS(g.c("one"), e, e)
		VDIVPS(e, v, v)
		t.store(v, at(dst, 0))
	})
}

func (g *tfGen) geluBwd() {
	name := g.begin("geluBwd", "func(x, dy, dx []float32)", "geluBwdGo", "sets dx[i] = dy[i]·GELU′(x[i]) (tanh form, through exp1)")
	n := asGP(Load(Param("x").Len(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	dxp := asGP(Load(Param("dx").Base(), GP64()))
	g.consts(append(expConsts, "geluLo", "geluHi", "geluK0", "geluK1", "geluK13", "minusTwo")...)
	unroll := 2
	if !g.avx512() {
		unroll = 1
	}
	g.stream(name, n, unroll, func(t tail, at func(GPVirtual, int) Mem) {
		v := g.vreg()
		t.load(at(xp, 0), v)
		VMAXPS(v, g.creg("geluLo"), v)
		VMINPS(v, g.creg("geluHi"), v)
		v2, w, u := g.vreg(), g.vreg(), g.vreg()
		VMULPS(v, v, v2)
		g.movc("one", w)
		VFMADD231PS(g.c("geluK1"), v2, w) // w = k1·v² + 1
		VMULPS(g.c("geluK0"), v, u)
		VMULPS(w, u, u)
		VMULPS(g.c("minusTwo"), u, u)
		e := g.expv(u)
		VADDPS(g.c("one"), e, e)
		s := g.vreg()
		VDIVPS(e, g.creg("one"), s) // s = 1/(1 + e)
		// q = 3·k1·v² + 1; r = ((2v·s)·(1 − s))·k0·q + s
		VFMADD213PS(g.c("one"), g.creg("geluK13"), v2)
		VADDPS(v, v, v)
		VMULPS(s, v, v)
		om := g.vreg()
		VSUBPS(s, g.creg("one"), om)
		VMULPS(om, v, v)
		VMULPS(g.c("geluK0"), v, v)
		VFMADD213PS(s, v2, v) // v·q + s
		d := g.vreg()
		t.load(at(dyp, 0), d)
		VMULPS(v, d, d)
		t.store(d, at(dxp, 0))
	})
}

// The float64 reductions (sum64, sqDev64, lnBwdSums) run blocks of 16
// elements as float32 half vectors (YMM at avx512, XMM at avx2: 16/(lanes/2)
// of them) converted to float64 vectors (ZMM, YMM), one accumulator each,
// then the tail one element at a time in the low lanes of XMM registers (the
// same instructions at 128 bits) into its own accumulator.

// w64 is the width a float64 reduction's body works at.
type w64 struct {
	g      *tfGen
	scalar bool
}

// f32 views a float32 register (a full vector) at this width.
func (w w64) f32(r VecVirtual) VecVirtual {
	if !w.scalar && w.g.avx512() {
		return r.AsY().(VecVirtual)
	}
	return r.AsX().(VecVirtual)
}

// f64 views a float64 register (a full vector) at this width.
func (w w64) f64(r VecVirtual) VecVirtual {
	if w.scalar {
		return r.AsX().(VecVirtual)
	}
	return r
}

func (w w64) new32() VecVirtual { return w.f32(w.g.vreg()) }
func (w w64) new64() VecVirtual { return w.f64(w.g.vreg()) }

func (w w64) ld32(m Mem) VecVirtual {
	r := w.new32()
	if w.scalar {
		VMOVSS(m, r)
	} else {
		VMOVUPS(m, r)
	}
	return r
}

func (w w64) ld64(m Mem) VecVirtual {
	r := w.new64()
	if w.scalar {
		VMOVSD(m, r)
	} else {
		VMOVUPD(m, r)
	}
	return r
}

func (w w64) st64(r VecVirtual, m Mem) {
	if w.scalar {
		VMOVSD(r, m)
	} else {
		VMOVUPD(r, m)
	}
}

// cvt converts a float32 register of this width to float64.
func (w w64) cvt(r VecVirtual) VecVirtual {
	d := w.new64()
	VCVTPS2PD(r, d)
	return d
}

// acc64 is one float64 reduction's accumulators: the vector partials and
// the tail's.
type acc64 struct {
	v []VecVirtual
	t VecVirtual
}

func (g *tfGen) newAcc64() acc64 {
	a := acc64{v: make([]VecVirtual, 32/g.lanes), t: XMM()}
	for i := range a.v {
		a.v[i] = g.zero()
	}
	VXORPS(a.t, a.t, a.t)
	return a
}

// at is the accumulator of half vector h at width w.
func (a acc64) at(w w64, h int) VecVirtual {
	if w.scalar {
		return a.t
	}
	return a.v[h]
}

// result combines the partials (the halving tree, then the tail's) into
// lane 0 of an XMM register.
func (g *tfGen) result(a acc64) VecVirtual {
	v := a.v
	if g.avx512() {
		VADDPD(v[1], v[0], v[0])
		y := YMM()
		VEXTRACTF64X4(U8(1), v[0], y)
		VADDPD(y, v[0].AsY(), y)
		v = []VecVirtual{y}
	} else {
		VADDPD(v[2], v[0], v[0])
		VADDPD(v[3], v[1], v[1])
		VADDPD(v[1], v[0], v[0])
	}
	x := XMM()
	VEXTRACTF128(U8(1), v[0], x)
	VADDPD(x, v[0].AsX(), x)
	t := XMM()
	VUNPCKHPD(x, x, t)
	VADDSD(t, x, x)
	VADDSD(a.t, x, x)
	return x
}

// blocks64 emits a float64 reduction's loops over n elements: body(w, h,
// at) for half vector h of each block of 16, then for each tail element
// (h = 0); at(base, size) addresses the element(s) in a slice of size-byte
// elements.
func (g *tfGen) blocks64(name string, n GPVirtual, body func(w w64, h int, at func(base GPVirtual, size int) Mem)) {
	half := g.lanes / 2
	idx := GP64()
	XORQ(idx, idx)
	mk := func(h int) func(GPVirtual, int) Mem {
		return func(b GPVirtual, size int) Mem {
			return Mem{Base: b, Index: idx, Scale: uint8(size), Disp: h * half * size}
		}
	}
	cnt := GP64()
	MOVQ(n, cnt)
	SHRQ(U8(4), cnt)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	for h := 0; h < 16/half; h++ {
		body(w64{g: g}, h, mk(h))
	}
	ADDQ(U32(16), idx)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	ANDQ(U32(15), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_one")
	body(w64{g: g, scalar: true}, 0, mk(0))
	INCQ(idx)
	DECQ(n)
	JNZ(LabelRef(name + "_one"))
	Label(name + "_done")
}

// sum64 emits Σ float64(x[i]) (sum64Go) or, with squares, Σ float64(x[i])²
// (sumSq64Go).
func (g *tfGen) sum64(squares bool) {
	base, twin, what := "sum64", "sum64Go", "returns Σ x[i] in float64"
	if squares {
		base, twin, what = "sumSq64", "sumSq64Go", "returns Σ x[i]² in float64"
	}
	name := g.begin(base, "func(x []float32) float64", twin, what)
	n := asGP(Load(Param("x").Len(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	g.reduce64(name, n, func(w w64, at func(GPVirtual, int) Mem) VecVirtual {
		d := w.cvt(w.ld32(at(xp, 4)))
		if squares {
			VMULPD(d, d, d)
		}
		return d
	})
}

func (g *tfGen) sqDev64() {
	name := g.begin("sqDev64", "func(x []float32, mu float64) float64", "sqDev64Go", "returns Σ (x[i] − mu)² in float64")
	n := asGP(Load(Param("x").Len(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	mu := g.vreg()
	VBROADCASTSD(paramAddr("mu"), mu)
	g.reduce64(name, n, func(w w64, at func(GPVirtual, int) Mem) VecVirtual {
		d := w.cvt(w.ld32(at(xp, 4)))
		VSUBPD(w.f64(mu), d, d)
		VMULPD(d, d, d)
		return d
	})
}

func (g *tfGen) dot64() {
	name := g.begin("dot64", "func(a, b []float32) float64", "dot64Go", "returns Σ a[i]·b[i] in float64")
	n := asGP(Load(Param("a").Len(), GP64()))
	ap := asGP(Load(Param("a").Base(), GP64()))
	bp := asGP(Load(Param("b").Base(), GP64()))
	g.reduce64(name, n, func(w w64, at func(GPVirtual, int) Mem) VecVirtual {
		x := w.cvt(w.ld32(at(ap, 4)))
		y := w.cvt(w.ld32(at(bp, 4)))
		VMULPD(y, x, x)
		return x
	})
}

// reduce64 emits the body of a float64 reduction over n elements: term
// gives each block's float64 terms, which are summed into the accumulators
// and returned as the function's result.
func (g *tfGen) reduce64(name string, n GPVirtual, term func(w w64, at func(GPVirtual, int) Mem) VecVirtual) {
	acc := g.newAcc64()
	g.blocks64(name, n, func(w w64, h int, at func(GPVirtual, int) Mem) {
		d := term(w, at)
		a := acc.at(w, h)
		VADDPD(d, a, a)
	})
	Store(g.result(acc), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

func (g *tfGen) lnAffine() {
	name := g.begin("lnAffine", "func(y, x, gamma, beta []float32, m, r float32)", "lnAffineGo", "sets y[i] = (x[i] − m)·(r·gamma[i]) + beta[i]")
	n := asGP(Load(Param("x").Len(), GP64()))
	yp := asGP(Load(Param("y").Base(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	gp := asGP(Load(Param("gamma").Base(), GP64()))
	bp := asGP(Load(Param("beta").Base(), GP64()))
	m := g.broadcast(paramAddr("m"))
	r := g.broadcast(paramAddr("r"))
	g.stream(name, n, 4, func(t tail, at func(GPVirtual, int) Mem) {
		x, s, b := g.vreg(), g.vreg(), g.vreg()
		t.load(at(gp, 0), s)
		VMULPS(s, r, s)
		t.load(at(xp, 0), x)
		VSUBPS(m, x, x)
		VMULPS(s, x, x)
		t.load(at(bp, 0), b)
		VADDPS(b, x, x)
		t.store(x, at(yp, 0))
	})
}

func (g *tfGen) lnBwdSums() {
	name := g.begin("lnBwdSums", "func(dy, x, gamma []float32, pb, pg []float64, mu, inv float32) (sg, sgx float64)", "lnBwdSumsGo",
		"adds one row's dy and dy·x̂ into pb and pg and returns its Σ dy·gamma and Σ dy·gamma·x̂ in float64")
	n := asGP(Load(Param("dy").Len(), GP64()))
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	gp := asGP(Load(Param("gamma").Base(), GP64()))
	pbp := asGP(Load(Param("pb").Base(), GP64()))
	pgp := asGP(Load(Param("pg").Base(), GP64()))
	mu := g.broadcast(paramAddr("mu"))
	inv := g.broadcast(paramAddr("inv"))
	sg, sgx := g.newAcc64(), g.newAcc64()
	g.blocks64(name, n, func(w w64, h int, at func(GPVirtual, int) Mem) {
		// x̂ = (x − mu)·inv in float32
		xh := w.ld32(at(xp, 4))
		VSUBPS(w.f32(mu), xh, xh)
		VMULPS(w.f32(inv), xh, xh)
		dy := w.ld32(at(dyp, 4))
		gv := w.ld32(at(gp, 4))
		VMULPS(dy, gv, gv) // g = dy·gamma in float32
		d := w.cvt(dy)
		xd := w.cvt(xh)
		// pb += dy; pg += dy·x̂
		b := w.ld64(at(pbp, 8))
		VADDPD(d, b, b)
		w.st64(b, at(pbp, 8))
		VMULPD(xd, d, d)
		p := w.ld64(at(pgp, 8))
		VADDPD(d, p, p)
		w.st64(p, at(pgp, 8))
		// the row sums
		gd := w.cvt(gv)
		a := sg.at(w, h)
		VADDPD(gd, a, a)
		VMULPD(xd, gd, gd)
		a = sgx.at(w, h)
		VADDPD(gd, a, a)
	})
	Store(g.result(sg), ReturnIndex(0))
	Store(g.result(sgx), ReturnIndex(1))
	VZEROUPPER()
	RET()
}

func (g *tfGen) lnBwdDx() {
	name := g.begin("lnBwdDx", "func(dx, dy, x, gamma []float32, mu, inv, a, b float32)", "lnBwdDxGo",
		"sets dx[i] = inv·((dy[i]·gamma[i] − a) − x̂·b), x̂ = (x[i] − mu)·inv")
	n := asGP(Load(Param("x").Len(), GP64()))
	dxp := asGP(Load(Param("dx").Base(), GP64()))
	dyp := asGP(Load(Param("dy").Base(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	gp := asGP(Load(Param("gamma").Base(), GP64()))
	mu := g.broadcast(paramAddr("mu"))
	inv := g.broadcast(paramAddr("inv"))
	a := g.broadcast(paramAddr("a"))
	b := g.broadcast(paramAddr("b"))
	g.stream(name, n, 2, func(t tail, at func(GPVirtual, int) Mem) {
		x, d, gv := g.vreg(), g.vreg(), g.vreg()
		t.load(at(xp, 0), x)
		VSUBPS(mu, x, x)
		VMULPS(inv, x, x)
		VMULPS(b, x, x)
		t.load(at(dyp, 0), d)
		t.load(at(gp, 0), gv)
		VMULPS(gv, d, d)
		VSUBPS(a, d, d)
		VSUBPS(x, d, d)
		VMULPS(inv, d, d)
		t.store(d, at(dxp, 0))
	})
}

func (g *tfGen) adamw() {
	name := g.begin("adamw", "func(p, grad, m, v []float32, a, c1, c2, eps, r, dec float32)", "adamwGo", "applies one AdamW step")
	n := asGP(Load(Param("p").Len(), GP64()))
	pp := asGP(Load(Param("p").Base(), GP64()))
	gp := asGP(Load(Param("grad").Base(), GP64()))
	mp := asGP(Load(Param("m").Base(), GP64()))
	vp := asGP(Load(Param("v").Base(), GP64()))
	a := g.broadcast(paramAddr("a"))
	c1 := g.broadcast(paramAddr("c1"))
	c2 := g.broadcast(paramAddr("c2"))
	eps := g.broadcast(paramAddr("eps"))
	r := g.broadcast(paramAddr("r"))
	dec := g.broadcast(paramAddr("dec"))
	g.stream(name, n, 2, func(t tail, at func(GPVirtual, int) Mem) {
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
		// p = p·dec − (a·m)/(√v·r + eps)
		VSQRTPS(vv, vv)
		VMULPS(r, vv, vv)
		VADDPS(eps, vv, vv)
		VMULPS(a, mv, mv)
		VDIVPS(vv, mv, mv)
		t.load(at(pp, 0), t1)
		VMULPS(dec, t1, t1)
		VSUBPS(mv, t1, t1)
		t.store(t1, at(pp, 0))
	})
}

func (g *tfGen) scale() {
	name := g.begin("scale", "func(x []float32, s float32)", "scaleGo", "sets x[i] = x[i]·s")
	n := asGP(Load(Param("x").Len(), GP64()))
	xp := asGP(Load(Param("x").Base(), GP64()))
	s := g.broadcast(paramAddr("s"))
	g.stream(name, n, 4, func(t tail, at func(GPVirtual, int) Mem) {
		v := g.vreg()
		t.load(at(xp, 0), v)
		VMULPS(s, v, v)
		t.store(v, at(xp, 0))
	})
}
