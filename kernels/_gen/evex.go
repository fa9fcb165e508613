package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// avo v0.6.0 and the Go assembler (Go 1.26) know no AVX512_BF16
// instructions, so the generator encodes them itself and emits their bytes
// with the assembler's LONG and WORD directives, each instruction under a comment that
// spells it in Go's operand order. Only the register-to-register forms are
// needed: operands come from memory through ordinary loads and broadcasts,
// which avo knows. evex_test.go checks the encodings against GNU as.

// evexOp is one EVEX-encoded instruction form: its mandatory prefix (pp: 0
// none, 1 66, 2 F3, 3 F2), opcode map (mm: 1 0F, 2 0F38, 3 0F3A) and opcode
// byte.
type evexOp struct {
	name       string
	pp, mm, op byte
}

// The AVX512_BF16 instructions (Intel SDM vol. 2; AMD APM vol. 4).
var (
	// VDPBF16PS zmm1, zmm2, zmm3: zmm1.f32[i] += zmm2.bf16[2i]·zmm3.bf16[2i] +
	// zmm2.bf16[2i+1]·zmm3.bf16[2i+1], with no intermediate rounding of the
	// products and DAZ/FTZ (EVEX.512.F3.0F38.W0 52 /r).
	opVDPBF16PS = evexOp{"VDPBF16PS", 2, 2, 0x52}
	// VCVTNE2PS2BF16 zmm1, zmm2, zmm3: the 16 float32 of zmm3 to bf16 in the
	// low half of zmm1, those of zmm2 in the high half, round to nearest
	// even (EVEX.512.F2.0F38.W0 72 /r).
	opVCVTNE2PS2BF16 = evexOp{"VCVTNE2PS2BF16", 3, 2, 0x72}
	// VCVTNEPS2BF16 ymm1, zmm2: 16 float32 to bf16 (EVEX.512.F3.0F38.W0 72
	// /r; vvvv unused).
	opVCVTNEPS2BF16 = evexOp{"VCVTNEPS2BF16", 2, 2, 0x72}
)

// evex512 returns the bytes of the 512-bit, unmasked, register-only form of
// op with ModRM.reg = dst, EVEX.vvvv = src1 and ModRM.rm = src2 (Intel
// order: op dst, src1, src2). Registers are numbered 0-31.
func evex512(op evexOp, dst, src1, src2 int) []byte {
	for _, r := range []int{dst, src1, src2} {
		if r < 0 || r > 31 {
			panic(fmt.Sprintf("%s: register %d out of range", op.name, r))
		}
	}
	inv := func(r, bit int) byte { return byte(^(r >> bit) & 1) }
	p0 := inv(dst, 3)<<7 | inv(src2, 4)<<6 | inv(src2, 3)<<5 | inv(dst, 4)<<4 | op.mm
	p1 := byte(0)<<7 | byte(^src1&15)<<3 | 1<<2 | op.pp // W0
	p2 := byte(0)<<7 | 2<<5 | 0<<4 | inv(src1, 4)<<3    // z=0, L'L=512, b=0, aaa=0
	modrm := 0xc0 | byte(dst&7)<<3 | byte(src2&7)
	return []byte{0x62, p0, p1, p2, op.op, modrm}
}

// emitEVEX emits op in Go operand order (src2, src1, dst, as the Go
// assembler would spell it) as LONG and WORD directives under a comment.
func emitEVEX(op evexOp, src2, src1, dst VecPhysical) {
	Comment(fmt.Sprintf("%s %s, %s, %s", op.name, src2.Asm(), src1.Asm(), dst.Asm()))
	emitBytes(evex512(op, int(dst.PhysicalIndex()), int(src1.PhysicalIndex()), int(src2.PhysicalIndex())))
}

// VDPBF16PS_Z emits VDPBF16PS in Go operand order: acc += pairwise dot of
// the bf16 pairs of a and b.
func VDPBF16PS_Z(b, a, acc VecPhysical) { emitEVEX(opVDPBF16PS, b, a, acc) }

// VCVTNE2PS2BF16_Z emits VCVTNE2PS2BF16 in Go operand order: the float32 of
// lo to the low 16 bf16 of dst, those of hi to the high 16.
func VCVTNE2PS2BF16_Z(lo, hi, dst VecPhysical) { emitEVEX(opVCVTNE2PS2BF16, lo, hi, dst) }

// VCVTNEPS2BF16_Z emits VCVTNEPS2BF16 in Go operand order: the 16 float32
// of src to the 16 bf16 of dst (a ymm; pass its register as Y or Z).
func VCVTNEPS2BF16_Z(src, dst VecPhysical) {
	Comment(fmt.Sprintf("VCVTNEPS2BF16 %s, %s", src.Asm(), dst.Asm()))
	emitBytes(evex512(opVCVTNEPS2BF16, int(dst.PhysicalIndex()), 0, int(src.PhysicalIndex())))
}

// emitBytes emits the six bytes of an instruction as a LONG and a WORD
// directive (little-endian), the shortest the assembler allows.
func emitBytes(bs []byte) {
	if len(bs) != 6 {
		panic(fmt.Sprintf("emitBytes: %d bytes, want 6", len(bs)))
	}
	long := uint32(bs[0]) | uint32(bs[1])<<8 | uint32(bs[2])<<16 | uint32(bs[3])<<24
	Instruction(&ir.Instruction{Opcode: "LONG", Operands: []Op{U32(long)}})
	Instruction(&ir.Instruction{Opcode: "WORD", Operands: []Op{U16(uint16(bs[4]) | uint16(bs[5])<<8)}})
}
