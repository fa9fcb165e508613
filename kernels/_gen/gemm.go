package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa describes a vector instruction set for the generators.
type isa struct {
	name  string // "avx2" or "avx512"
	title string // "AVX2" or "AVX512", for function names
	lanes int    // float32 lanes per vector
	vec   []VecPhysical
}

var (
	isaAVX2   = isa{"avx2", "AVX2", 8, []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}}
	isaAVX512 = isa{"avx512", "AVX512", 16, []VecPhysical{
		Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}}
)

// gemmTile is the register tile of each ISA level: MR rows by NV vectors.
var gemmTiles = []struct {
	s      isa
	mr, nv int
}{{isaAVX2, 6, 2}, {isaAVX512, 12, 2}}

func genGemm() {
	for _, t := range gemmTiles {
		// The packed kernel: the big-problem workhorse.
		microKernel(t.s, t.mr, t.nv, false)
		// The direct family: A read in place, every row count (so short
		// edge panels need no padding) and full or half width.
		for _, nv := range []int{t.nv, t.nv / 2} {
			for mr := 1; mr <= t.mr; mr++ {
				microKernel(t.s, mr, nv, true)
			}
		}
	}
}

// kernelName is the Go name of a micro-kernel.
func kernelName(s isa, mr, nr int, direct bool) string {
	n := fmt.Sprintf("sgemm%s_%dx%d", s.title, mr, nr)
	if direct {
		n += "Direct"
	}
	return n
}

// microKernel emits the register-tile kernel of mr rows and nv vectors per row
// (NR = nv·lanes columns): mr·nv accumulators, nv registers for a row of B,
// and two for broadcasts of A, so FMAs from alternate rows overlap.
//
// B is k rows of NR values with row stride ldb (elements): a packed panel
// (ldb = NR) or, for small problems where packing costs more than it saves,
// the matrix itself. A is a packed panel (k columns of mr values) or, with
// direct set, mr rows of a row-major matrix with row stride lda, read in
// place.
func microKernel(s isa, mr, nv int, direct bool) {
	nr := nv * s.lanes
	name := kernelName(s, mr, nr, direct)
	sig := "func(k int, a []float32, b []float32, ldb int, c []float32, ldc int, beta float32)"
	spec := fmt.Sprintf("microRef(%d, %d, ...)", mr, nr)
	twin := spec
	masked := direct && s.name == "avx512"
	if direct {
		sig = "func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32)"
		spec = fmt.Sprintf("microRefDirect(%d, %d, ...) with cols = %d", mr, nr, nr)
		twin = fmt.Sprintf("microRefDirect(%d, %d, ..., %d)", mr, nr, nr)
	}
	if masked {
		// AVX-512 opmasks let the last vector cover a partial column block:
		// B and C are touched only in the first cols columns.
		sig = "func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32, cols int)"
		spec = fmt.Sprintf("microRefDirect(%d, %d, ...) for %d < cols ≤ %d", mr, nr, nr-s.lanes, nr)
		twin = fmt.Sprintf("microRefDirect(%d, %d, ...)", mr, nr)
	}
	routine(name, sig, twin, fmt.Sprintf("%s is the %s micro-kernel for a %d×%d tile; %s is its specification.", name, s.name, mr, nr, spec))
	if mr*nv+nv+2 > len(s.vec) {
		panic(fmt.Sprintf("%s: %d accumulators + %d B + 2 broadcast registers exceed %d", name, mr*nv, nv, len(s.vec)))
	}
	acc := func(r, v int) VecPhysical { return s.vec[r*nv+v] }
	bv := s.vec[mr*nv : mr*nv+nv]
	bc := s.vec[mr*nv+nv : mr*nv+nv+2]
	vbytes := 4 * s.lanes

	k := Load(Param("k"), GP64())
	pa := Load(Param("a").Base(), GP64())
	// Direct A: row r is at rowBase[r/3] + (r%3)·lda bytes; the row bases
	// advance by 4 bytes a step, as pa does through a packed panel.
	var rowBase []Register
	var lda Register
	if direct {
		lda = Load(Param("lda"), GP64())
		SHLQ(U8(2), lda)
		rowBase = append(rowBase, pa)
		for r := 3; r < mr; r += 3 {
			p := GP64()
			LEAQ(Mem{Base: rowBase[len(rowBase)-1], Index: lda, Scale: 2}, p)
			ADDQ(lda, p)
			rowBase = append(rowBase, p)
		}
	}
	aAddr := func(r, step int) Mem {
		if !direct {
			return Mem{Base: pa, Disp: 4 * (step*mr + r)}
		}
		m := Mem{Base: rowBase[r/3], Disp: 4 * step}
		if r%3 > 0 {
			m.Index, m.Scale = lda, uint8(r%3)
		}
		return m
	}
	pb := Load(Param("b").Base(), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	pc := Load(Param("c").Base(), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	if masked {
		Comment("K1 selects the valid lanes of the last vector: cols - (nv-1)·lanes of them.")
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
	}
	lastMasked := func(v int) bool { return masked && v == nv-1 }

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

	// step emits one rank-1 update, the u-th of a group of steps whose A
	// pointer increments come after the group (advance); B advances by ldb
	// every step.
	step := func(u int) {
		for v := 0; v < nv; v++ {
			if lastMasked(v) {
				VMOVUPS_Z(Mem{Base: pb, Disp: v * vbytes}, K1, bv[v])
				continue
			}
			VMOVUPS(Mem{Base: pb, Disp: v * vbytes}, bv[v])
		}
		ADDQ(ldb, pb)
		for r := 0; r < mr; r++ {
			t := bc[r%2]
			VBROADCASTSS(aAddr(r, u), t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(bv[v], t, acc(r, v))
			}
		}
	}
	advance := func(steps int) {
		if direct {
			for _, p := range rowBase {
				ADDQ(U32(4*steps), p)
			}
		} else {
			ADDQ(U32(4*mr*steps), pa)
		}
	}
	const unroll = 4
	Comment(fmt.Sprintf("Main loop, unrolled %dx, then the remaining k %% %d steps.", unroll, unroll))
	n4 := GP64()
	MOVQ(k, n4)
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
	ANDQ(U8(unroll-1), k)
	JZ(LabelRef(name + "_store"))
	Label(name + "_loop1")
	step(0)
	advance(1)
	DECQ(k)
	JNZ(LabelRef(name + "_loop1"))

	Label(name + "_store")
	Comment("beta == ±0: store without reading C.")
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
			VMOVUPS(acc(r, v), K1, Mem{Base: pc, Disp: v * vbytes})
			return
		}
		VMOVUPS(acc(r, v), Mem{Base: pc, Disp: v * vbytes})
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
	Comment("C = acc + beta·C.")
	VBROADCASTSS(beta.Addr, bc[0])
	for r := 0; r < mr; r++ {
		for v := 0; v < nv; v++ {
			if lastMasked(v) {
				VMOVUPS_Z(Mem{Base: pc, Disp: v * vbytes}, K1, bc[1])
				VFMADD231PS(bc[1], bc[0], acc(r, v))
			} else {
				VFMADD231PS(Mem{Base: pc, Disp: v * vbytes}, bc[0], acc(r, v))
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
