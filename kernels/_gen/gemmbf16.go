package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The bfloat16 GEMM's routines (AVX512_BF16): micro-kernels of VDPBF16PS on
// float32 accumulators, the packing of B into pairs along k, and the
// conversions float32 <-> bf16. VDPBF16PS and the conversions are
// hand-encoded (evex.go).

// bf16MR and bf16NV are the bf16 register tile: 12 rows by 2 vectors (32
// float32 columns) in 24 accumulators, the count the peak loop needs in
// flight; B takes 2 registers and the broadcasts of A 2 more.
const (
	bf16MR = 12
	bf16NV = 2
	// bf16Panel is the width of a packed B panel, in columns: each k-pair
	// of a panel is bf16Panel pairs (uint32) of B's rows 2p and 2p+1.
	bf16Panel = 32
)

func genGemmBF16() {
	for _, nv := range []int{bf16NV, 1} {
		for mr := 1; mr <= bf16MR; mr++ {
			bf16Kernel(mr, nv)
		}
	}
	bf16PackPairs()
	bf16PackPairsFromBF16()
	bf16PairRows()
	bf16ToBF16()
	bf16FromBF16()
}

// bf16KernelName is the Go name of a bf16 micro-kernel.
func bf16KernelName(mr, nr int) string { return fmt.Sprintf("gemmBF16AVX512_%dx%d", mr, nr) }

// bf16Kernel emits the bf16 micro-kernel for an mr×(nv·16) tile:
// C = alpha·A·B + beta·C over the first cols columns, A mr rows of bf16 read
// in place (row stride lda elements; kp pairs a row), B a packed panel of kp
// k-pairs of bf16Panel pairs each.
func bf16Kernel(mr, nv int) {
	s := isaAVX512
	nr := nv * s.lanes
	name := bf16KernelName(mr, nr)
	routine(name, "func(kp int, a []uint16, lda int, b []uint32, c []float32, ldc int, alpha, beta float32, cols int)",
		fmt.Sprintf("microBF16Ref(%d, %d, ...)", mr, nr),
		fmt.Sprintf("%s is the avx512-bf16 micro-kernel for a %d×%d tile (VDPBF16PS); microBF16Ref(%d, %d, ...) for %d < cols ≤ %d is its specification.", name, mr, nr, mr, nr, nr-s.lanes, nr))
	acc := func(r, v int) VecPhysical { return s.vec[r*nv+v] }
	bv := s.vec[24:26]
	bc := s.vec[26:28]

	kp := Load(Param("kp"), GP64())
	pa := Load(Param("a").Base(), GP64())
	lda := Load(Param("lda"), GP64())
	SHLQ(U8(1), lda) // bytes
	rowBase := []Register{pa}
	for r := 3; r < mr; r += 3 {
		p := GP64()
		LEAQ(Mem{Base: rowBase[len(rowBase)-1], Index: lda, Scale: 2}, p)
		ADDQ(lda, p)
		rowBase = append(rowBase, p)
	}
	aAddr := func(r, step int) Mem {
		m := Mem{Base: rowBase[r/3], Disp: 4 * step}
		if r%3 > 0 {
			m.Index, m.Scale = lda, uint8(r%3)
		}
		return m
	}
	pb := Load(Param("b").Base(), GP64())
	pc := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)

	Comment("K1 selects the valid lanes of the last vector: cols - (nv-1)·16 of them.")
	cols, err := Param("cols").Resolve()
	if err != nil {
		panic(err)
	}
	lv := GP64()
	MOVQ(cols.Addr, lv)
	SUBQ(U32((nv-1)*s.lanes), lv)
	ones, m := GP32(), GP32()
	MOVL(U32(0xffffffff), ones)
	BZHIL(lv.As32(), ones, m)
	KMOVW(m, K1)
	lastMasked := func(v int) bool { return v == nv-1 }

	Comment("Prefetch the C tile; zero the accumulators.")
	row := GP64()
	MOVQ(pc, row)
	for r := 0; r < mr; r++ {
		for off := 0; off < 4*nr; off += 64 {
			PREFETCHT0(Mem{Base: row, Disp: off})
		}
		if r < mr-1 {
			ADDQ(ldc, row)
		}
	}
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			VXORPS(acc(r, v), acc(r, v), acc(r, v))
		}
	}

	// step emits one k-pair: nv vectors of B pairs, and for each row the
	// broadcast A pair dotted into the row's accumulators.
	step := func(u int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: pb, Disp: 4*bf16Panel*u + 64*v}, bv[v])
		}
		for r := 0; r < mr; r++ {
			t := bc[r%2]
			VPBROADCASTD(aAddr(r, u), t)
			for v := 0; v < nv; v++ {
				VDPBF16PS_Z(bv[v], t, acc(r, v))
			}
		}
	}
	advance := func(steps int) {
		for _, p := range rowBase {
			ADDQ(U32(4*steps), p)
		}
		ADDQ(U32(4*bf16Panel*steps), pb)
	}
	const unroll = 4
	Comment(fmt.Sprintf("Main loop over k-pairs, unrolled %dx, then the remaining kp %% %d.", unroll, unroll))
	n4 := GP64()
	MOVQ(kp, n4)
	SHRQ(U8(2), n4)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop4")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	advance(unroll)
	DECQ(n4)
	JNZ(LabelRef(name + "_loop4"))
	Label(name + "_tail")
	ANDQ(U8(unroll-1), kp)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop1")
	step(0)
	advance(1)
	DECQ(kp)
	JNZ(LabelRef(name + "_loop1"))

	Label(name + "_store")
	Comment("acc ·= alpha; then C = acc, or C = acc + beta·C when beta ≠ ±0.")
	alpha, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(alpha.Addr, bc[0])
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			VMULPS(bc[0], acc(r, v), acc(r, v))
		}
	}
	beta, err := Param("beta").Resolve()
	if err != nil {
		panic(err)
	}
	bits := GP32()
	MOVL(beta.Addr, bits)
	ANDL(U32(0x7fffffff), bits)
	JNZ(LabelRef(name + "_beta"))
	store := func(r, v int) {
		if lastMasked(v) {
			VMOVUPS(acc(r, v), K1, Mem{Base: pc, Disp: v * 64})
			return
		}
		VMOVUPS(acc(r, v), Mem{Base: pc, Disp: v * 64})
	}
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			store(r, v)
		}
		if r < mr-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()

	Label(name + "_beta")
	VBROADCASTSS(beta.Addr, bc[0])
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			if lastMasked(v) {
				VMOVUPS_Z(Mem{Base: pc, Disp: v * 64}, K1, bc[1])
				VFMADD231PS(bc[1], bc[0], acc(r, v))
			} else {
				VFMADD231PS(Mem{Base: pc, Disp: v * 64}, bc[0], acc(r, v))
			}
			store(r, v)
		}
		if r < mr-1 {
			ADDQ(ldc, pc)
		}
	}
	VZEROUPPER()
	RET()
}

// bf16PackPairs emits packPairsBF16AVX512(kp, b, ldb, dst): for p < kp and
// j < bf16Panel, dst[p·bf16Panel+j] = bf16(b[2p·ldb+j]) | bf16(b[(2p+1)·ldb+j])<<16:
// two rows of float32 converted (VCVTNE2PS2BF16) and interleaved (VPERMW)
// into one row of a packed panel.
func bf16PackPairs() {
	const name = "packPairsBF16AVX512"
	routine(name, "func(kp int, b []float32, ldb int, dst []uint32)", "packPairsRef",
		fmt.Sprintf("%s packs kp k-pairs of %d columns of the row-major float32 matrix b (row stride ldb) into bf16 pairs: dst[p·%d+j] holds b[2p·ldb+j] in its low half and b[(2p+1)·ldb+j] in its high half, rounded to nearest even. packPairsRef is its specification.", name, bf16Panel, bf16Panel))
	idx := GLOBL("bf16Interleave", RODATA|NOPTR)
	for w := 0; w < 32; w++ {
		DATA(2*w, U16(w/2+16*(w%2)))
	}
	bf16InterleaveIdx = idx
	kp := Load(Param("kp"), GP64())
	pb := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	pd := Load(Param("dst").Base(), GP64())
	ix := Z31
	VMOVDQU16(idx, ix)
	TESTQ(kp, kp)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	for h := 0; h < bf16Panel/16; h++ {
		r0, r1, t, o := s16(4*h), s16(4*h+1), s16(4*h+2), s16(4*h+3)
		VMOVUPS(Mem{Base: pb, Disp: 64 * h}, r0)
		VMOVUPS(Mem{Base: pb, Index: ldb, Scale: 1, Disp: 64 * h}, r1)
		VCVTNE2PS2BF16_Z(r0, r1, t) // words 0-15 from row 2p, 16-31 from row 2p+1
		VPERMW(t, ix, o)
		VMOVDQU32(o, Mem{Base: pd, Disp: 64 * h})
	}
	LEAQ(Mem{Base: pb, Index: ldb, Scale: 2}, pb)
	ADDQ(U32(4*bf16Panel), pd)
	DECQ(kp)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// bf16PackPairsFromBF16 emits packPairsFromBF16AVX512(kp, b, ldb, dst):
// packPairsBF16AVX512 for a b already in bf16: for p < kp and j <
// bf16Panel, dst[p·bf16Panel+j] = b[2p·ldb+j] | b[(2p+1)·ldb+j]<<16, each
// half of a row zero-extended to 16 dwords (VPMOVZXWD), the odd row's
// shifted up and the two ORed.
func bf16PackPairsFromBF16() {
	const name = "packPairsFromBF16AVX512"
	routine(name, "func(kp int, b []uint16, ldb int, dst []uint32)", "packPairsFromBF16Ref",
		fmt.Sprintf("%s packs kp k-pairs of %d columns of the row-major bf16 matrix b (row stride ldb) into pairs: dst[p·%d+j] holds b[2p·ldb+j] in its low half and b[(2p+1)·ldb+j] in its high half. packPairsFromBF16Ref is its specification.", name, bf16Panel, bf16Panel))
	kp := Load(Param("kp"), GP64())
	pb := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(1), ldb)
	pd := Load(Param("dst").Base(), GP64())
	TESTQ(kp, kp)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	for h := 0; h < bf16Panel/16; h++ {
		lo, hi := s16(2*h), s16(2*h+1)
		VPMOVZXWD(Mem{Base: pb, Disp: 32 * h}, lo)
		VPMOVZXWD(Mem{Base: pb, Index: ldb, Scale: 1, Disp: 32 * h}, hi)
		VPSLLD(U8(16), hi, hi)
		VPORD(lo, hi, hi)
		VMOVDQU32(hi, Mem{Base: pd, Disp: 64 * h})
	}
	LEAQ(Mem{Base: pb, Index: ldb, Scale: 2}, pb)
	ADDQ(U32(4*bf16Panel), pd)
	DECQ(kp)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// bf16InterleaveIdx is the VPERMW index that interleaves the two halves of
// a VCVTNE2PS2BF16 result into pairs (set by bf16PackPairs, which defines it).
var bf16InterleaveIdx Mem

// bf16PairRows emits pairRowsBF16AVX512(rows, n16, src, lds, off, dst, ldd):
// for r < rows and i < 16·n16, dst[r·ldd+i] = bf16(src[r·lds+i]) |
// bf16(src[r·lds+off+i])<<16, the pairs the bf16 direct convolutions read
// (adjacent output pixels of dY, columns of X a stride apart), converted
// and interleaved as bf16PackPairs does.
func bf16PairRows() {
	const name = "pairRowsBF16AVX512"
	routine(name, "func(rows, n16 int, src []float32, lds, off int, dst []uint32, ldd int)", "pairRowsRef",
		fmt.Sprintf("%s sets dst[r·ldd+i] = bf16(src[r·lds+i]) | bf16(src[r·lds+off+i])<<16 for r < rows, i < 16·n16, rounded to nearest even. pairRowsRef is its specification.", name))
	rows := Load(Param("rows"), GP64())
	n16 := Load(Param("n16"), GP64())
	ps := Load(Param("src").Base(), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	off := Load(Param("off"), GP64())
	SHLQ(U8(2), off)
	pd := Load(Param("dst").Base(), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	ix := Z31
	VMOVDQU16(bf16InterleaveIdx, ix)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	TESTQ(n16, n16)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	sp, dp, cnt := GP64(), GP64(), GP64()
	MOVQ(ps, sp)
	MOVQ(pd, dp)
	MOVQ(n16, cnt)
	Label(name + "_loop")
	VMOVUPS(Mem{Base: sp}, Z0)
	VMOVUPS(Mem{Base: sp, Index: off, Scale: 1}, Z1)
	VCVTNE2PS2BF16_Z(Z0, Z1, Z2) // words 0-15 from src, 16-31 from src+off
	VPERMW(Z2, ix, Z3)
	VMOVDQU32(Z3, Mem{Base: dp})
	ADDQ(U8(64), sp)
	ADDQ(U8(64), dp)
	DECQ(cnt)
	JNZ(LabelRef(name + "_loop"))
	ADDQ(lds, ps)
	ADDQ(ldd, pd)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// s16 is ZMM register i.
func s16(i int) VecPhysical { return isaAVX512.vec[i] }

// bf16ToBF16 emits toBF16AVX512(dst, src): the first len(src)/16·16
// float32 of src to bf16 (VCVTNEPS2BF16), 16 at a time.
func bf16ToBF16() {
	const name = "toBF16AVX512"
	routine(name, "func(dst []uint16, src []float32)", "toBF16Blocks",
		fmt.Sprintf("%s sets dst[i] = bf16(src[i]), rounded to nearest even as VCVTNEPS2BF16 does, for i < len(src)/16·16; dst must be at least that long. toBF16Blocks is its specification.", name))
	pd := Load(Param("dst").Base(), GP64())
	ps := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	SHRQ(U8(4), n)
	Comment("Four vectors an iteration while at least four are left, then one.")
	n4 := GP64()
	MOVQ(n, n4)
	SHRQ(U8(2), n4)
	JZ(LabelRef(name + "_one"))
	Label(name + "_loop4")
	for u := 0; u < 4; u++ {
		VMOVUPS(Mem{Base: ps, Disp: 64 * u}, s16(2*u))
	}
	for u := 0; u < 4; u++ {
		VCVTNEPS2BF16_Z(s16(2*u), s16(2*u+1))
	}
	for u := 0; u < 4; u++ {
		VMOVDQU(isaAVX2.vec[2*u+1], Mem{Base: pd, Disp: 32 * u})
	}
	ADDQ(U32(256), ps)
	ADDQ(U32(128), pd)
	DECQ(n4)
	JNZ(LabelRef(name + "_loop4"))
	Label(name + "_one")
	ANDQ(U8(3), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	VMOVUPS(Mem{Base: ps}, Z0)
	VCVTNEPS2BF16_Z(Z0, Z1)
	VMOVDQU(Y1, Mem{Base: pd})
	ADDQ(U8(64), ps)
	ADDQ(U8(32), pd)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// bf16FromBF16 emits fromBF16AVX512(dst, src): the first len(src)/16·16
// bf16 of src widened to float32 (exact: a shift left by 16).
func bf16FromBF16() {
	const name = "fromBF16AVX512"
	routine(name, "func(dst []float32, src []uint16)", "fromBF16Blocks",
		fmt.Sprintf("%s sets dst[i] = float32(src[i]) (bf16 bits shifted left by 16, exact) for i < len(src)/16·16; dst must be at least that long. fromBF16Blocks is its specification.", name))
	pd := Load(Param("dst").Base(), GP64())
	ps := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	SHRQ(U8(4), n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	VPMOVZXWD(Mem{Base: ps}, Z0)
	VPSLLD(U8(16), Z0, Z0)
	VMOVUPS(Z0, Mem{Base: pd})
	ADDQ(U8(32), ps)
	ADDQ(U8(64), pd)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
