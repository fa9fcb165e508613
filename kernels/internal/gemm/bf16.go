package gemm

import (
	"fmt"
	"math"
)

// The bfloat16 GEMM: C = alpha·op(A)·op(B) + beta·C with the operands
// rounded to bfloat16 and the products summed in float32, as AVX512_BF16's
// VDPBF16PS does. Its loop nest is Gemm's (blocks of NC columns, KC depth,
// MC rows, NR-wide panels of B), with two differences that follow from
// VDPBF16PS taking pairs along k:
//
//   - B is packed in pairs: each k-pair p of a panel holds, for each of its
//     NR columns j, B[2p][j] in the low half of a uint32 and B[2p+1][j] in
//     the high half (a zero past k), converted from float32 while packing.
//   - A is converted to bf16 once per call, op(A) as a row-major m×2⌈k/2⌉
//     matrix (a zero after an odd k), and the micro-kernels read it in place,
//     broadcasting one pair of a row per k-pair: a pair is two adjacent
//     bf16 of a row, so no further packing is needed. A bf16 A, not
//     transposed, with even k is read where it lies.
//
// alpha is applied to each KC block's sum in float32 (C = alpha·acc + C), not
// folded into A, which would round alpha·a to bf16.

// BF16Fn is a bf16 micro-kernel: for i < MR and j < cols,
// C[i][j] = alpha·Σ_p (A[i][2p+1]·B[2p+1][j] + A[i][2p]·B[2p][j]) + beta·C[i][j]
// over kp k-pairs, A read in place (bf16 rows, stride lda elements), B a
// packed panel (BF16Panel pairs per k-pair). C is not read when beta == 0.
type BF16Fn func(kp int, a []uint16, lda int, b []uint32, c []float32, ldc int, alpha, beta float32, cols int)

// BF16Panel is the width of a packed B panel in columns (pairs per k-pair),
// whatever the kernel's width.
const BF16Panel = 32

// BF16Kernel is a bf16 micro-kernel family: kernels for 1..MR rows, NR and
// NR/2 wide.
type BF16Kernel struct {
	Name       string
	MR, NR     int
	Full, Half []BF16Fn // by row count; Half serves column blocks of at most NR/2
	SIMD       bool     // packing and conversion may use AVX512_BF16
}

// AVX512BF16Kernel is the generated family: a 12×32 tile in 24 ZMM
// accumulators of VDPBF16PS. Only for CPUs with AVX512_BF16.
var AVX512BF16Kernel = BF16Kernel{Name: "avx512bf16-12x32", MR: 12, NR: 32,
	Full: bf16AVX512_32[:], Half: bf16AVX512_16[:], SIMD: true}

// GoBF16Kernel is the pure-Go family (the kernels' specification), for
// CPUs without AVX512_BF16: correct, and slow.
var GoBF16Kernel = BF16Kernel{Name: "go-bf16-12x32", MR: 12, NR: 32, Full: goBF16Table(32), Half: goBF16Table(16)}

func goBF16Table(nr int) []BF16Fn {
	t := make([]BF16Fn, 13)
	for mr := 1; mr <= 12; mr++ {
		t[mr] = func(kp int, a []uint16, lda int, b []uint32, c []float32, ldc int, alpha, beta float32, cols int) {
			microBF16Ref(mr, nr, kp, a, lda, b, c, ldc, alpha, beta, cols)
		}
	}
	return t
}

// BF16BlockingFor is the blocking of the bf16 GEMM: BlockingFor's rules for
// its tile, with KC even (a whole number of k-pairs per block) and doubled,
// since a bf16 element takes half the bytes of a float32.
func BF16BlockingFor(k BF16Kernel, c Caches) Blocking {
	bl := BlockingFor(Kernel{MR: k.MR, NR: k.NR}, c)
	bl.KC = min(2*bl.KC, 2048) / 16 * 16
	return bl
}

// ToBF16 rounds f to bfloat16 as VCVTNEPS2BF16 does: to nearest, ties to
// even; a NaN stays a NaN, made quiet (its top 16 bits with the quiet bit
// set); ±Inf stay; denormals (inputs below 2⁻¹²⁶ in magnitude) become zero
// of the same sign, since the instruction treats them as zero.
func ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	switch e := b & 0x7f80_0000; {
	case e == 0:
		return uint16(b>>16) & 0x8000
	case e == 0x7f80_0000:
		if b&0x7f_ffff != 0 {
			return uint16(b>>16) | 0x40
		}
		return uint16(b >> 16)
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// FromBF16 widens a bfloat16 to float32, exactly.
func FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// toBF16Blocks is the specification of toBF16AVX512: ToBF16 over the
// first len(src)/16·16 elements.
func toBF16Blocks(dst []uint16, src []float32) {
	n := len(src) / 16 * 16
	for i, v := range src[:n] {
		dst[i] = ToBF16(v)
	}
}

// fromBF16Blocks is the specification of fromBF16AVX512: FromBF16 over the
// first len(src)/16·16 elements.
func fromBF16Blocks(dst []float32, src []uint16) {
	n := len(src) / 16 * 16
	for i, h := range src[:n] {
		dst[i] = FromBF16(h)
	}
}

// ConvertToBF16 sets dst[i] = ToBF16(src[i]) for i < len(src), with
// VCVTNEPS2BF16 when simd (the CPU has AVX512_BF16). len(dst) ≥ len(src).
func ConvertToBF16(dst []uint16, src []float32, simd bool) {
	dst = dst[:len(src)]
	n := 0
	if simd {
		toBF16AVX512(dst, src)
		n = len(src) / 16 * 16
	}
	for i := n; i < len(src); i++ {
		dst[i] = ToBF16(src[i])
	}
}

// ConvertFromBF16 sets dst[i] = FromBF16(src[i]) for i < len(src), with
// AVX-512 when simd. len(dst) ≥ len(src).
func ConvertFromBF16(dst []float32, src []uint16, simd bool) {
	dst = dst[:len(src)]
	n := 0
	if simd {
		fromBF16AVX512(dst, src)
		n = len(src) / 16 * 16
	}
	for i := n; i < len(src); i++ {
		dst[i] = FromBF16(src[i])
	}
}

// packPairsRef is the specification of packPairsBF16AVX512.
func packPairsRef(kp int, b []float32, ldb int, dst []uint32) {
	for p := 0; p < kp; p++ {
		for j := 0; j < BF16Panel; j++ {
			lo, hi := ToBF16(b[2*p*ldb+j]), ToBF16(b[(2*p+1)*ldb+j])
			dst[p*BF16Panel+j] = uint32(lo) | uint32(hi)<<16
		}
	}
}

// microBF16Ref is the specification of the bf16 micro-kernels (BF16Fn) for
// an mr×nr tile: each k-pair adds the high product, then the low one, to a
// float32 accumulator, rounding to nearest each time, as VDPBF16PS's
// definition has it (the products of two bf16 are exact in float32).
// VDPBF16PS also treats denormal inputs as zero and flushes denormal sums;
// microBF16Ref does neither, so the two agree bit for bit away from
// denormals.
func microBF16Ref(mr, nr, kp int, a []uint16, lda int, b []uint32, c []float32, ldc int, alpha, beta float32, cols int) {
	if cols < 1 || cols > nr {
		panic(fmt.Sprintf("gemm: microBF16Ref: cols = %d outside [1, %d]", cols, nr))
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < cols; j++ {
			var acc float32
			for p := 0; p < kp; p++ {
				pb := b[p*BF16Panel+j]
				acc += FromBF16(a[i*lda+2*p+1]) * FromBF16(uint16(pb>>16))
				acc += FromBF16(a[i*lda+2*p]) * FromBF16(uint16(pb))
			}
			acc *= alpha
			if beta == 0 {
				c[i*ldc+j] = acc
			} else {
				c[i*ldc+j] = acc + beta*c[i*ldc+j]
			}
		}
	}
}

// BF16Matrix is an operand of GemmBF16: float32 (F32, rounded to bf16 as it
// is packed) or bf16 (BF16); element (i, j) of op(M) at index i·Stride+j, or
// j·Stride+i when Trans.
//
// A B operand may instead come packed (Packed, from PackBF16Panels): op(B)
// rounded and laid out once as the panels GemmBF16 would pack, for all of
// k, so that a product with fixed weights skips the packing.
type BF16Matrix struct {
	F32    []float32
	BF16   []uint16
	Packed []uint32
	Stride int
	Trans  bool
}

// PackedBF16Len is the length of PackBF16Panels's output for op(B) of
// k×n: ⌈n/BF16Panel⌉ panels of ⌈k/2⌉ k-pairs.
func PackedBF16Len(k, n int) int { return (n + BF16Panel - 1) / BF16Panel * ((k + 1) / 2) * BF16Panel }

// PackBF16Panels packs panels [q0, q1) of op(B) (k×n, B as F32 or BF16)
// into dst (PackedBF16Len(k, n) long): panel q holds columns
// [q·BF16Panel, (q+1)·BF16Panel) as ⌈k/2⌉ k-pairs, zero past k and n, at
// dst[q·⌈k/2⌉·BF16Panel:].
func PackBF16Panels(dst []uint32, b BF16Matrix, k, n, q0, q1 int, simd bool) {
	kp := (k + 1) / 2
	// In blocks of packChunk values of k, so that the panel rows being
	// written stay in L1 (a whole panel of a long k does not).
	const packChunk = 256
	for q := q0; q < q1; q++ {
		panel := dst[q*kp*BF16Panel : (q+1)*kp*BF16Panel]
		for pc := 0; pc < k; pc += packChunk {
			kc := min(packChunk, k-pc)
			packPairs(panel[pc/2*BF16Panel:(pc+kc+1)/2*BF16Panel], b, pc, q*BF16Panel, kc, min(BF16Panel, n-q*BF16Panel), simd)
		}
	}
}

// at returns element (r, c) of the matrix as stored, as bf16.
func (m BF16Matrix) at(r, c int) uint16 {
	if m.BF16 != nil {
		return m.BF16[r*m.Stride+c]
	}
	return ToBF16(m.F32[r*m.Stride+c])
}

// bf16Workspace holds one thread's buffers of the bf16 GEMM.
type bf16Workspace struct {
	a   []uint16 // op(A) in bf16, row-major, k rounded up to even
	row []uint16 // one converted row of a transposed A
	b   []uint32 // the packed panels of B
}

// GemmBF16 computes C = alpha·op(A)·op(B) + beta·C in bfloat16 products and
// float32 sums for C of m×n (row stride ldc) and inner dimension k, with
// kernel kern and blocking bl (KC even), on the calling goroutine, using
// ws's buffers. Arguments are assumed valid; k == 0 or alpha == 0 must be
// handled by the caller.
func GemmBF16(ws *Workspace, kern BF16Kernel, bl Blocking, m, n, k int, alpha float32, a, b BF16Matrix, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 || bl.KC%2 != 0 {
		panic(fmt.Sprintf("gemm: GemmBF16 called with k=%d alpha=%v KC=%d", k, alpha, bl.KC))
	}
	w := &ws.bf16
	ad, lda := prepareA(w, a, m, k, kern.SIMD)
	nr := kern.NR
	kpAll := (k + 1) / 2
	if b.Packed != nil && (bl.NC%BF16Panel != 0 || nr%BF16Panel != 0) {
		panic(fmt.Sprintf("gemm: GemmBF16 with packed B needs NC (%d) and NR (%d) multiples of %d", bl.NC, nr, BF16Panel))
	}
	for jc := 0; jc < n; jc += bl.NC {
		nc := min(bl.NC, n-jc)
		for pc := 0; pc < k; pc += bl.KC {
			kc := min(bl.KC, k-pc)
			kp := (kc + 1) / 2
			panels := (nc + BF16Panel - 1) / BF16Panel
			if b.Packed == nil {
				if need := panels * kp * BF16Panel; len(w.b) < need {
					w.b = make([]uint32, need)
				}
				for q := 0; q < panels; q++ {
					packPairs(w.b[q*kp*BF16Panel:(q+1)*kp*BF16Panel], b, pc, jc+q*BF16Panel, kc, min(BF16Panel, nc-q*BF16Panel), kern.SIMD)
				}
			}
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += bl.MC {
				mc := min(bl.MC, m-ic)
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					table := kern.Full
					if cols <= nr/2 {
						table = kern.Half
					}
					var bp []uint32
					if b.Packed != nil {
						bp = b.Packed[((jc+jr)/BF16Panel*kpAll+pc/2)*BF16Panel:]
					} else {
						bp = w.b[jr/BF16Panel*kp*BF16Panel:]
					}
					for ir := 0; ir < mc; ir += kern.MR {
						rows := min(kern.MR, mc-ir)
						table[rows](kp, ad[(ic+ir)*lda+pc:], lda, bp, c[(ic+ir)*ldc+jc+jr:], ldc, alpha, bet, cols)
					}
				}
			}
		}
	}
}

// prepareA returns op(A) as bf16 rows of at least 2⌈k/2⌉ elements (a zero
// after an odd k) and their stride: A itself when it is bf16, not
// transposed and k even, else a conversion into w.a.
func prepareA(w *bf16Workspace, a BF16Matrix, m, k int, simd bool) ([]uint16, int) {
	if a.BF16 != nil && !a.Trans && k%2 == 0 {
		return a.BF16, a.Stride
	}
	kk := k + k%2
	if len(w.a) < m*kk {
		w.a = make([]uint16, m*kk)
	}
	d := w.a[:m*kk]
	switch {
	case !a.Trans:
		for i := 0; i < m; i++ {
			row := d[i*kk : i*kk+k]
			if a.BF16 != nil {
				copy(row, a.BF16[i*a.Stride:i*a.Stride+k])
			} else {
				ConvertToBF16(row, a.F32[i*a.Stride:i*a.Stride+k], simd)
			}
		}
	default:
		// op(A)[i][p] = A[p][i]: row p of A as stored is column p of op(A).
		if len(w.row) < m {
			w.row = make([]uint16, m)
		}
		for p := 0; p < k; p++ {
			src := w.row[:m]
			if a.BF16 != nil {
				src = a.BF16[p*a.Stride : p*a.Stride+m]
			} else {
				ConvertToBF16(src, a.F32[p*a.Stride:p*a.Stride+m], simd)
			}
			for i, v := range src {
				d[i*kk+p] = v
			}
		}
	}
	if kk != k {
		for i := 0; i < m; i++ {
			d[i*kk+k] = 0
		}
	}
	return d, kk
}

// packPairsFromBF16Ref is the specification of packPairsFromBF16AVX512:
// for p < kp and j < BF16Panel, dst[p·BF16Panel+j] = b[2p·ldb+j] |
// b[(2p+1)·ldb+j]<<16.
func packPairsFromBF16Ref(kp int, b []uint16, ldb int, dst []uint32) {
	for p := 0; p < kp; p++ {
		for j := 0; j < BF16Panel; j++ {
			dst[p*BF16Panel+j] = uint32(b[2*p*ldb+j]) | uint32(b[(2*p+1)*ldb+j])<<16
		}
	}
}

// packPairs packs op(B)[pc:pc+kc, j0:j0+cols] (cols ≤ BF16Panel) into one
// panel of ⌈kc/2⌉ k-pairs, zero past kc and past cols.
func packPairs(dst []uint32, b BF16Matrix, pc, j0, kc, cols int, simd bool) {
	kp := (kc + 1) / 2
	if simd && !b.Trans && cols == BF16Panel && kc/2 > 0 && (b.F32 != nil || b.BF16 != nil) {
		if b.F32 != nil {
			packPairsBF16AVX512(kc/2, b.F32[pc*b.Stride+j0:], b.Stride, dst)
		} else {
			packPairsFromBF16AVX512(kc/2, b.BF16[pc*b.Stride+j0:], b.Stride, dst)
		}
		if kc%2 == 0 {
			return
		}
		p := kc / 2
		row := dst[p*BF16Panel : (p+1)*BF16Panel]
		for j := range row {
			row[j] = uint32(b.at(pc+kc-1, j0+j))
		}
		return
	}
	if b.BF16 != nil {
		packPairsFromBF16(dst, b, pc, j0, kc, cols)
		return
	}
	// op(B)[l][j] is B[l][j] as stored, or B[j][l] when transposed.
	get := func(l, j int) uint32 {
		if b.Trans {
			return uint32(b.at(j, l))
		}
		return uint32(b.at(l, j))
	}
	for p := 0; p < kp; p++ {
		row := dst[p*BF16Panel : (p+1)*BF16Panel]
		l := pc + 2*p
		for j := 0; j < cols; j++ {
			v := get(l, j0+j)
			if 2*p+1 < kc {
				v |= get(l+1, j0+j) << 16
			}
			row[j] = v
		}
		clear(row[cols:])
	}
}

// packPairsFromBF16 is packPairs for a B already in bfloat16, without the
// per-element conversion and transposition tests of the general loop (the
// bf16 convolutions hand their im2col matrices and weights so): row by row
// pairs of rows, or, transposed, each stored row's adjacent pairs.
func packPairsFromBF16(dst []uint32, b BF16Matrix, pc, j0, kc, cols int) {
	kp := (kc + 1) / 2
	if !b.Trans {
		for p := 0; p < kp; p++ {
			row := dst[p*BF16Panel : (p+1)*BF16Panel]
			l := pc + 2*p
			r0 := b.BF16[l*b.Stride+j0:][:cols]
			if 2*p+1 < kc {
				r1 := b.BF16[(l+1)*b.Stride+j0:][:cols]
				for j, v := range r0 {
					row[j] = uint32(v) | uint32(r1[j])<<16
				}
			} else {
				for j, v := range r0 {
					row[j] = uint32(v)
				}
			}
			clear(row[cols:])
		}
		return
	}
	// op(B)[l][j] = B[j][l]: a pair along k is two adjacent stored values.
	for j := 0; j < cols; j++ {
		src := b.BF16[(j0+j)*b.Stride+pc:][:kc]
		for p := 0; p < kc/2; p++ {
			dst[p*BF16Panel+j] = uint32(src[2*p]) | uint32(src[2*p+1])<<16
		}
		if kc%2 != 0 {
			dst[(kc/2)*BF16Panel+j] = uint32(src[kc-1])
		}
	}
	for p := 0; p < kp; p++ {
		clear(dst[p*BF16Panel+cols : (p+1)*BF16Panel])
	}
}

// pairRowsRef is the specification of pairRowsBF16AVX512: for r < rows
// and i < 16·n16, dst[r·ldd+i] = ToBF16(src[r·lds+i]) |
// ToBF16(src[r·lds+off+i])<<16.
func pairRowsRef(rows, n16 int, src []float32, lds, off int, dst []uint32, ldd int) {
	for r := 0; r < rows; r++ {
		for i := 0; i < 16*n16; i++ {
			dst[r*ldd+i] = uint32(ToBF16(src[r*lds+i])) | uint32(ToBF16(src[r*lds+off+i]))<<16
		}
	}
}

// PairRowsBF16 sets dst[r·ldd+i] = ToBF16(src[r·lds+i]) |
// ToBF16(src[r·lds+off+i])<<16 for r < rows and i < n: rows of pairs of
// bf16 taken from two float32 vectors off apart (with VCVTNE2PS2BF16 when
// simd). The caller guarantees the slices are long enough.
func PairRowsBF16(rows, n int, src []float32, lds, off int, dst []uint32, ldd int, simd bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	n0 := 0
	if simd && n >= 16 {
		pairRowsBF16AVX512(rows, n/16, src, lds, off, dst, ldd)
		n0 = n / 16 * 16
	}
	for r := 0; r < rows; r++ {
		for i := n0; i < n; i++ {
			dst[r*ldd+i] = uint32(ToBF16(src[r*lds+i])) | uint32(ToBF16(src[r*lds+off+i]))<<16
		}
	}
}
