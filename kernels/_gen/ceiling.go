package main

import (
	"fmt"
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The ceiling unit: the loops package ceiling times to find what the machine
// can do. Peak FMA loops keep many independent accumulator chains in
// registers (no memory traffic); the STREAM kernels use ordinary loads and
// stores, as the C STREAM does; the add chain is one dependent integer add per
// cycle, for the clock estimate.
func genCeiling() {
	for _, s := range []isa{isaAVX512, isaAVX2} {
		for _, p := range []prec{precF32, precF64} {
			peakFMA(s, p)
		}
	}
	peakDPBF16()
	for _, s := range []isa{isaAVX512, isaAVX2} {
		streamCopy(s)
		streamTriad(s)
	}
	addChain()
}

// prec is an element type for the generators.
type prec struct {
	name   string // "F32" or "F64", the suffix of routine names
	goType string // "float32" or "float64"
	size   int    // bytes per element
	bcast  func(...Op)
	movu   func(...Op)
	fma213 func(...Op)
}

var (
	precF32 = prec{"F32", "float32", 4, VBROADCASTSS, VMOVUPS, VFMADD213PS}
	precF64 = prec{"F64", "float64", 8, VBROADCASTSD, VMOVUPD, VFMADD213PD}
)

// peakAccumulators is the number of independent FMA chains of each ISA's peak
// loop: with a 4-cycle FMA latency and two FMA pipes at least 8 are needed;
// 12 (AVX2: 16 ymm registers, two hold the constants) and 16 (AVX-512) leave
// headroom for CPUs with longer latency.
var peakAccumulators = map[string]int{"avx2": 12, "avx512": 16}

// peakFMA emits peakFMA<ISA><P>(n, c, a, b): n iterations of c[i] = c[i]·a + b
// on every accumulator vector, accumulators loaded from and stored back to c.
func peakFMA(s isa, p prec) {
	k := peakAccumulators[s.name]
	lanes := s.lanes * 4 / p.size
	name := fmt.Sprintf("peakFMA%s%s", titleISA(s.name), p.name)
	routine(name, fmt.Sprintf("func(n int, c []%s, a, b %s)", p.goType, p.goType), "peakRef", fmt.Sprintf("%s runs n iterations of c[i] = c[i]·a + b (fused) on %d accumulator vectors of %d %s each; len(c) must be %d. peakRef is its specification.",
		name, k, lanes, p.goType, k*lanes))
	vbytes := s.lanes * 4
	acc := s.vec[:k]
	va, vb := s.vec[k], s.vec[k+1]
	n := Load(Param("n"), GP64())
	pc := Load(Param("c").Base(), GP64())
	aa, err := Param("a").Resolve()
	if err != nil {
		panic(err)
	}
	ba, err := Param("b").Resolve()
	if err != nil {
		panic(err)
	}
	p.bcast(aa.Addr, va)
	p.bcast(ba.Addr, vb)
	for i, r := range acc {
		p.movu(Mem{Base: pc, Disp: i * vbytes}, r)
	}
	TESTQ(n, n)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop")
	for _, r := range acc {
		p.fma213(vb, va, r) // r = va·r + vb
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_store")
	for i, r := range acc {
		p.movu(r, Mem{Base: pc, Disp: i * vbytes})
	}
	VZEROUPPER()
	RET()
}

// peakBF16Accumulators is the number of independent VDPBF16PS chains of the
// bf16 peak loop: Zen 5 needs more than 12 in flight to reach the
// instruction's throughput (the C anchor gets 1.84x the float32 peak with
// 12, 2.0x with 24), and 24 leave two registers for the operands.
const peakBF16Accumulators = 24

// peakDPBF16 emits peakDPBF16AVX512(n, c, a, b): n iterations of VDPBF16PS
// on every accumulator vector, with the bf16 pairs a and b broadcast to every
// lane (VDPBF16PS is hand-encoded: see evex.go).
func peakDPBF16() {
	const name = "peakDPBF16AVX512"
	k, lanes := peakBF16Accumulators, isaAVX512.lanes
	routine(name, "func(n int, c []float32, a, b uint32)", "peakBF16Ref", fmt.Sprintf("%s runs n iterations of c[i] += a.hi·b.hi + a.lo·b.lo (VDPBF16PS; a and b are pairs of bf16, low half first) on %d accumulator vectors of %d float32 each; len(c) must be %d. peakBF16Ref is its specification.",
		name, k, lanes, k*lanes))
	s := isaAVX512
	acc := s.vec[:k]
	va, vb := s.vec[k], s.vec[k+1]
	n := Load(Param("n"), GP64())
	pc := Load(Param("c").Base(), GP64())
	// Through general registers: vet's asmdecl takes a VPBROADCASTD from
	// memory for a wider read than the 4-byte parameter.
	VPBROADCASTD(Load(Param("a"), GP32()), va)
	VPBROADCASTD(Load(Param("b"), GP32()), vb)
	for i, r := range acc {
		VMOVUPS(Mem{Base: pc, Disp: i * 64}, r)
	}
	TESTQ(n, n)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop")
	for _, r := range acc {
		VDPBF16PS_Z(vb, va, r) // r += pairwise va·vb
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_store")
	for i, r := range acc {
		VMOVUPS(r, Mem{Base: pc, Disp: i * 64})
	}
	VZEROUPPER()
	RET()
}

// streamUnroll is how many vectors the STREAM loops move per iteration.
const streamUnroll = 4

// xmm names the 128-bit view of vector register i, for scalar tails.
var xmm = []VecPhysical{X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15}

// streamLoops emits the three loops of a STREAM kernel over n float64
// elements indexed by i: streamUnroll vectors at a time, one vector at a time,
// then one element at a time. body(v, scalar, i, off) moves the elements at
// index i+off: one vector in v, or one element in v's low lane when scalar.
func streamLoops(name string, s isa, n, i Register, body func(v VecPhysical, scalar bool, i Register, off int)) {
	lanes := s.lanes / 2 // float64 lanes
	block := streamUnroll * lanes
	end := GP64()
	MOVQ(n, end)
	SHRQ(U8(bits.TrailingZeros(uint(block))), end)
	SHLQ(U8(bits.TrailingZeros(uint(block))), end)
	XORQ(i, i)
	CMPQ(i, end)
	JAE(LabelRef(name + "_one"))
	Label(name + "_block")
	for u := 0; u < streamUnroll; u++ {
		body(s.vec[u], false, i, u*lanes)
	}
	ADDQ(U32(block), i)
	CMPQ(i, end)
	JB(LabelRef(name + "_block"))

	Label(name + "_one")
	MOVQ(n, end)
	SUBQ(U32(lanes-1), end) // i + lanes <= n  <=>  i < n - (lanes-1)
	JBE(LabelRef(name + "_scalar"))
	CMPQ(i, end)
	JAE(LabelRef(name + "_scalar"))
	Label(name + "_oneloop")
	body(s.vec[0], false, i, 0)
	ADDQ(U32(lanes), i)
	CMPQ(i, end)
	JB(LabelRef(name + "_oneloop"))

	Label(name + "_scalar")
	CMPQ(i, n)
	JAE(LabelRef(name + "_done"))
	Label(name + "_scalarloop")
	body(xmm[0], true, i, 0)
	INCQ(i)
	CMPQ(i, n)
	JB(LabelRef(name + "_scalarloop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// elem addresses element i+off of the float64 array at base.
func elem(base, i Register, off int) Mem {
	return Mem{Base: base, Index: i, Scale: 8, Disp: 8 * off}
}

// streamCopy emits copy<ISA>(dst, src): dst[i] = src[i] with ordinary
// (temporal) vector loads and stores.
func streamCopy(s isa) {
	name := "copy" + titleISA(s.name)
	routine(name, "func(dst, src []float64)", "copyRef", fmt.Sprintf("%s sets dst[i] = src[i] for i < len(dst) with ordinary %s loads and stores; len(src) must be at least len(dst). copyRef is its specification.", name, s.name))
	pd := Load(Param("dst").Base(), GP64())
	n := Load(Param("dst").Len(), GP64())
	ps := Load(Param("src").Base(), GP64())
	i := GP64()
	streamLoops(name, s, n, i, func(v VecPhysical, scalar bool, i Register, off int) {
		if scalar {
			VMOVSD(elem(ps, i, off), v)
			VMOVSD(v, elem(pd, i, off))
			return
		}
		VMOVUPD(elem(ps, i, off), v)
		VMOVUPD(v, elem(pd, i, off))
	})
}

// streamTriad emits triad<ISA>(a, b, c, s): a[i] = b[i] + s·c[i], fused, with
// ordinary loads and stores.
func streamTriad(s isa) {
	name := "triad" + titleISA(s.name)
	routine(name, "func(a, b, c []float64, s float64)", "triadRef", fmt.Sprintf("%s sets a[i] = b[i] + s·c[i] (one rounding) for i < len(a) with ordinary %s loads and stores; b and c must be at least as long as a. triadRef is its specification.", name, s.name))
	pa := Load(Param("a").Base(), GP64())
	n := Load(Param("a").Len(), GP64())
	pb := Load(Param("b").Base(), GP64())
	pcc := Load(Param("c").Base(), GP64())
	sa, err := Param("s").Resolve()
	if err != nil {
		panic(err)
	}
	const sreg = 15 // the broadcast scalar; the loops use registers 0..streamUnroll-1
	VBROADCASTSD(sa.Addr, s.vec[sreg])
	i := GP64()
	streamLoops(name, s, n, i, func(v VecPhysical, scalar bool, i Register, off int) {
		if scalar {
			VMOVSD(elem(pcc, i, off), v)
			VFMADD213SD(elem(pb, i, off), xmm[sreg], v) // v = s·v + b
			VMOVSD(v, elem(pa, i, off))
			return
		}
		VMOVUPD(elem(pcc, i, off), v)
		VFMADD213PD(elem(pb, i, off), s.vec[sreg], v)
		VMOVUPD(v, elem(pa, i, off))
	})
}

// addChainLen is the number of dependent adds per iteration of addChain.
const addChainLen = 100

// addChain emits addChain(n) int: n iterations of addChainLen dependent
// integer adds of 1 (one cycle each on every x86 core), returning the sum.
func addChain() {
	routine("addChain", "func(n int) int", "addChainRef", fmt.Sprintf("addChain runs n iterations of %d dependent one-cycle integer adds and returns their sum, %d·n; addChainRef is its specification.", addChainLen, addChainLen))
	n := Load(Param("n"), GP64())
	x, one := GP64(), GP64()
	XORQ(x, x)
	MOVQ(U32(1), one)
	TESTQ(n, n)
	JZ(LabelRef("addChain_done"))
	Label("addChain_loop")
	for j := 0; j < addChainLen; j++ {
		ADDQ(one, x)
	}
	DECQ(n)
	JNZ(LabelRef("addChain_loop"))
	Label("addChain_done")
	Store(x, ReturnIndex(0))
	RET()
}

// titleISA spells an ISA level name as it appears in routine names.
func titleISA(s string) string {
	switch s {
	case "avx2":
		return "AVX2"
	case "avx512":
		return "AVX512"
	}
	return s
}
