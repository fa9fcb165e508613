package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// genTranspose emits transpose8x8 and transpose4x8, the packing routines
// behind gemm's packA (interleaving rows of A) and packB of a transposed B:
// both turn rows of a row-major matrix into columns of a panel.
func genTranspose() {
	transpose(8)
	transpose(4)
}

// transpose emits transpose<rows>x8: for l in [0, 8·blocks) and r < rows,
// dst[l*dstStride + r] = src[r*ld + l]. Each block of 8 columns is loaded as
// rows YMM registers and transposed in registers (unpack, shuffle, permute),
// then stored as 8 vectors of rows floats.
func transpose(rows int) {
	name := "transpose8x8"
	if rows == 4 {
		name = "transpose4x8"
	}
	routine(name, "func(blocks int, src []float32, ld int, dst []float32, dstStride int)",
		"transposeRef("+itoa(rows)+", 8*blocks, src, ld, dst, dstStride)",
		name+" transposes blocks 8-column blocks of a "+itoa(rows)+"-row matrix; transposeRef is its specification.")
	n := Load(Param("blocks"), GP64())
	ps := Load(Param("src").Base(), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	pd := Load(Param("dst").Base(), GP64())
	ds := Load(Param("dstStride"), GP64())
	SHLQ(U8(2), ds)
	// Row r of the source is at ps + r·ld: bases for rows 0 and 4 (3ld
	// cannot be a scale, so rows 3 and 7 get their own).
	p3, p4, p7 := GP64(), GP64(), GP64()
	ds3 := GP64()
	LEAQ(Mem{Base: ld, Index: ld, Scale: 2}, p3) // 3·ld
	LEAQ(Mem{Base: ds, Index: ds, Scale: 2}, ds3)
	ADDQ(ps, p3)
	LEAQ(Mem{Base: ps, Index: ld, Scale: 4}, p4)
	LEAQ(Mem{Base: p3, Index: ld, Scale: 4}, p7)
	row := func(r int) Mem {
		switch r {
		case 0:
			return Mem{Base: ps}
		case 1:
			return Mem{Base: ps, Index: ld, Scale: 1}
		case 2:
			return Mem{Base: ps, Index: ld, Scale: 2}
		case 3:
			return Mem{Base: p3}
		case 4:
			return Mem{Base: p4}
		case 5:
			return Mem{Base: p4, Index: ld, Scale: 1}
		case 6:
			return Mem{Base: p4, Index: ld, Scale: 2}
		}
		return Mem{Base: p7}
	}
	// dst row l (l < 8) of the block is at pd + l·ds.
	pd4 := GP64()
	out := func(l int) Mem {
		switch l {
		case 0:
			return Mem{Base: pd}
		case 1:
			return Mem{Base: pd, Index: ds, Scale: 1}
		case 2:
			return Mem{Base: pd, Index: ds, Scale: 2}
		case 3:
			return Mem{Base: pd, Index: ds3, Scale: 1}
		case 4:
			return Mem{Base: pd4}
		case 5:
			return Mem{Base: pd4, Index: ds, Scale: 1}
		case 6:
			return Mem{Base: pd4, Index: ds, Scale: 2}
		}
		return Mem{Base: pd4, Index: ds3, Scale: 1}
	}
	r := []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7}
	t := []VecPhysical{Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	LEAQ(Mem{Base: pd, Index: ds, Scale: 4}, pd4)
	if rows == 8 {
		for i := 0; i < 8; i++ {
			VMOVUPS(row(i), r[i])
		}
		// r_i = (x_i0 .. x_i7). Interleave pairs of rows.
		for i := 0; i < 8; i += 2 {
			VUNPCKLPS(r[i+1], r[i], t[i])   // x_i0 x_j0 x_i1 x_j1 | x_i4 x_j4 x_i5 x_j5
			VUNPCKHPS(r[i+1], r[i], t[i+1]) // x_i2 x_j2 x_i3 x_j3 | x_i6 ...
		}
		// Combine pairs of pairs: 4 rows per 128-bit lane.
		for i := 0; i < 8; i += 4 {
			VSHUFPS(U8(0x44), t[i+2], t[i], r[i])     // col 0 | col 4 of rows i..i+3
			VSHUFPS(U8(0xEE), t[i+2], t[i], r[i+1])   // col 1 | col 5
			VSHUFPS(U8(0x44), t[i+3], t[i+1], r[i+2]) // col 2 | col 6
			VSHUFPS(U8(0xEE), t[i+3], t[i+1], r[i+3]) // col 3 | col 7
		}
		// Swap 128-bit halves between rows 0-3 and 4-7.
		for c := 0; c < 4; c++ {
			VPERM2F128(U8(0x20), r[4+c], r[c], t[c])   // col c of rows 0..7
			VPERM2F128(U8(0x31), r[4+c], r[c], t[4+c]) // col c+4
		}
		for l := 0; l < 8; l++ {
			VMOVUPS(t[l], out(l))
		}
	} else {
		for i := 0; i < 4; i++ {
			VMOVUPS(row(i), r[i])
		}
		for i := 0; i < 4; i += 2 {
			VUNPCKLPS(r[i+1], r[i], t[i])
			VUNPCKHPS(r[i+1], r[i], t[i+1])
		}
		VSHUFPS(U8(0x44), t[2], t[0], r[0]) // col 0 | col 4 of rows 0..3
		VSHUFPS(U8(0xEE), t[2], t[0], r[1]) // col 1 | col 5
		VSHUFPS(U8(0x44), t[3], t[1], r[2]) // col 2 | col 6
		VSHUFPS(U8(0xEE), t[3], t[1], r[3]) // col 3 | col 7
		for c := 0; c < 4; c++ {
			VMOVUPS(r[c].AsX(), out(c))
			VEXTRACTF128(U8(1), r[c], out(4+c))
		}
	}
	for _, p := range []Register{ps, p3, p4, p7} {
		ADDQ(U8(32), p)
	}
	LEAQ(Mem{Base: pd4, Index: ds, Scale: 4}, pd)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func itoa(v int) string {
	if v == 8 {
		return "8"
	}
	return "4"
}
