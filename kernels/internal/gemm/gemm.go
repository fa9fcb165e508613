// Package gemm is the machinery behind kernels.Sgemm's blocked implementation:
// the Goto/BLIS loop nest, operand packing, and the register-tile
// micro-kernels (pure Go, and generated AVX2 and AVX-512 assembly).
//
// The loop nest for C = op(A)·op(B)·alpha + beta·C, C row-major m×n:
//
//	for jc in steps of NC over n:              B panel KC×NC, packed, lives in L3
//	  for pc in steps of KC over k:
//	    pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide micro-panels
//	    for ic in steps of MC over m:          A block MC×KC, packed, lives in L2
//	      pack alpha·op(A)[ic:ic+MC, pc:pc+KC] into MR-high micro-panels
//	      for jr in steps of NR:               one B micro-panel stays in L1
//	        for ir in steps of MR:
//	          micro-kernel: C[MR×NR] = Apanel·Bpanel + beta'·C
//
// beta' is the caller's beta for the first KC block and 1 afterwards. Packing
// pads short panels with zeros, so micro-kernels always run full tiles; a tile
// that overhangs C is computed into a scratch tile and copied in, so nothing
// outside C is read or written.
package gemm

import "fmt"

// MicroFn is a micro-kernel on a packed A panel: C[MR×NR] = A·B + beta·C
// where A is a packed MR-high micro-panel (k columns of MR values), B is k
// rows of NR values with row stride ldb (a packed panel when ldb = NR) and C
// has row stride ldc. If beta == 0, C is not read. k ≥ 0.
type MicroFn func(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32)

// DirectFn is a micro-kernel that reads A in place: rows of a row-major
// matrix with row stride lda; otherwise as MicroFn, except that it writes only
// the first cols columns of its tile (1 ≤ cols ≤ width). Each DirectFn has a
// fixed row count and width (see Kernel.Direct).
type DirectFn func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32, cols int)

// FullWidthFn is a direct kernel without column masking: it reads and writes
// its whole width.
type FullWidthFn func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32)

// Kernel is a register-tile micro-kernel family and its tile size.
type Kernel struct {
	Name string // e.g. "avx512-12x32"
	MR   int    // rows of the C tile (A micro-panel height)
	NR   int    // columns of the C tile (B micro-panel width)
	Fn   MicroFn
	// Direct[r] and DirectHalf[r] are the kernels reading A in place for r
	// rows (1 ≤ r ≤ MR), NR and NR/2 columns wide; nil when the family has
	// none. Gemm uses them when packing costs more than it saves.
	Direct, DirectHalf []DirectFn
	// FullDirect and FullDirectHalf are direct kernels without column masks
	// (AVX2), used when Direct is nil: partial column blocks go through a
	// scratch tile, and a narrow last column block of B is packed,
	// zero-padded, lest they read past the end of a row of B.
	FullDirect, FullDirectHalf []FullWidthFn
	// SIMDPack says packing may use the AVX transpose routines (the
	// family itself needs AVX); the pure-Go family packs in pure Go.
	SIMDPack bool
}

// masked reports whether the kernel's direct kernels mask columns.
func (k Kernel) masked() bool { return k.Direct != nil }

// Blocking holds the cache-blocking sizes of the loop nest.
type Blocking struct {
	MC, KC, NC int
}

// Caches are the cache sizes blocking is derived from, in bytes; zero means
// unknown. L1 is not among them: no rule reads it, since KC is sized to L2
// (see BlockingFor).
type Caches struct {
	L2, L3 int
}

// BlockingFor derives the cache blocking for kernel k from cache sizes. The
// micro-panels stream from L2, as in BLIS's "L2" micro-kernels for AVX-512
// (its Zen 4 configuration pairs a 32×12 kernel with KC = 480):
//
//   - KC: a KC×NR micro-panel of B takes at most an eighth of L2 (at most
//     1024). The larger KC, the fewer passes over C: each KC block reads and
//     writes the whole of C once.
//   - MC: an MC×KC block of A takes at most half of L2.
//   - NC: a KC×NC panel of B takes at most half of L3. Virtual machines often
//     hide the L3; it is then taken to be 8 MiB (the per-core share of L3 on
//     the server parts such VMs run on is 2-4 MiB).
//
// KC is sized to L2 rather than to half of L1 (the rule of Low et al.,
// "Analytical modeling is enough for high-performance BLIS"), because the L1
// rule's small KC makes several passes over C per product, which the threads
// of a multi-threaded product then contend for (measurements:
// docs/perf-notes.md#gemm-cache-blocking).
func BlockingFor(k Kernel, c Caches) Blocking {
	l2 := orDefault(c.L2, 512<<10)
	l3 := orDefault(c.L3, 8<<20)
	kc := roundDown(l2/8/(4*k.NR), 16)
	kc = clamp(kc, 64, 1024)
	mc := roundDown(l2/2/(4*kc), k.MR)
	mc = clamp(mc, k.MR, 1024/k.MR*k.MR)
	nc := roundDown(l3/2/(4*kc), k.NR)
	nc = clamp(nc, k.NR, 8192/k.NR*k.NR)
	return Blocking{MC: mc, KC: kc, NC: nc}
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

func roundDown(v, m int) int { return v / m * m }

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// Workspace holds one thread's packing buffers. The zero value is ready to use;
// buffers grow on first use and are reused afterwards.
type Workspace struct {
	a, b, tile []float32
	keepB      bool          // KeepB: reuse the packed panel of B when it matches
	packed     packedB       // the panel of B that b holds, when keepB
	bf16       bf16Workspace // the bf16 GEMM's buffers (bf16.go)
}

// packedB names a packed panel of B: the operand (its first element, stride
// and transposition) and the panel's offsets and size.
type packedB struct {
	data           *float32
	stride         int
	trans          bool
	pc, jc, kc, nc int
}

// KeepB makes later Gemm calls on ws skip packing a panel of B when it is
// the panel ws packed last (the same slice of B, offsets and size), until
// DropB. Threads that run a product in chunks of C keep B for the product:
// their successive chunks share the columns of B, whose panel one packing
// then serves. The caller must not change B in between.
func (w *Workspace) KeepB() { w.keepB, w.packed = true, packedB{} }

// DropB ends KeepB and drops the reference to B.
func (w *Workspace) DropB() { w.keepB, w.packed = false, packedB{} }

// Reserve grows ws's buffers for kernel k and blocking bl now, so that
// Gemm calls on ws with them do not allocate: a caller whose threads take
// chunks dynamically reserves every thread's workspace, lest one that ran
// no chunk yet allocate in a later call.
func (w *Workspace) Reserve(k Kernel, bl Blocking) { w.grow(k, bl) }

func (w *Workspace) grow(k Kernel, bl Blocking) {
	na := roundUp(bl.MC, k.MR) * bl.KC
	nb := roundUp(bl.NC, k.NR) * bl.KC
	if len(w.a) < na {
		w.a = alignedFloats(na)
	}
	if len(w.b) < nb {
		w.b = alignedFloats(nb)
		w.packed = packedB{}
	}
	if len(w.tile) < k.MR*k.NR {
		w.tile = alignedFloats(k.MR * k.NR)
	}
}

func roundUp(v, m int) int { return (v + m - 1) / m * m }

// alignedFloats returns n float32s starting on a 64-byte boundary.
func alignedFloats(n int) []float32 {
	s := make([]float32, n+16)
	off := 0
	for uintptrOf(s[off:])%64 != 0 {
		off++
	}
	return s[off : off+n : off+n]
}

// Matrix is a row-major operand: element (i, j) of op(M) is Data[i*Stride+j],
// or Data[j*Stride+i] when Trans is set.
type Matrix struct {
	Data   []float32
	Stride int
	Trans  bool
}

// DirectMaxN is the widest C for which Gemm reads a non-transposed A in place
// instead of packing it (each element of A then feeds at most DirectMaxN/NR
// micro-kernel calls, too few to repay a copy), and DirectMaxM the tallest C
// for which it reads a non-transposed B in place.
var DirectMaxN, DirectMaxM = 128, 48

// usesPackedB reports whether Gemm packs B for an m-row problem: it reads a
// non-transposed B in place when C is short.
func usesPackedB(kern Kernel, m int, bTrans bool) bool {
	return !(kern.hasDirect() && !bTrans && m <= DirectMaxM)
}

func (k Kernel) hasDirect() bool { return k.Direct != nil || k.FullDirect != nil }

// Gemm computes C = alpha·op(A)·op(B) + beta·C for C of m×n (row stride ldc)
// and inner dimension k with kernel kern and blocking bl, on the calling
// goroutine alone, using ws's buffers. Arguments are assumed valid (the kernels
// package checks them); k == 0 or alpha == 0 must be handled by the caller.
// Threads share a product by each calling Gemm on its own rectangle of C.
func Gemm(ws *Workspace, kern Kernel, bl Blocking, m, n, k int, alpha float32, a, b Matrix, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		panic(fmt.Sprintf("gemm: Gemm called with k=%d alpha=%v; the caller scales C", k, alpha))
	}
	ws.grow(kern, bl)
	bbuf := ws.b
	directA := usesDirectA(kern, n, alpha, a.Trans)
	directB := !usesPackedB(kern, m, b.Trans)
	nr := kern.NR
	for jc := 0; jc < n; jc += bl.NC {
		nc := min(bl.NC, n-jc)
		for pc := 0; pc < k; pc += bl.KC {
			kc := min(bl.KC, k-pc)
			if !directB {
				key := packedB{&b.Data[0], b.Stride, b.Trans, pc, jc, kc, nc}
				if !ws.keepB || ws.packed != key {
					packB(bbuf, b, pc, jc, kc, nc, nr, kern.SIMDPack)
					if ws.keepB {
						ws.packed = key
					}
				}
			} else if tail := nc % nr; tail != 0 && !kern.masked() {
				// Kernels without column masks read whole tiles, so a short
				// last column block is packed (zero-padded) lest they read
				// past the end of a row of B.
				packB(bbuf, b, pc, jc+nc-tail, kc, tail, nr, kern.SIMDPack)
				ws.packed = packedB{}
			}
			bet := beta
			if pc > 0 {
				bet = 1
			}
			for ic := 0; ic < m; ic += bl.MC {
				mc := min(bl.MC, m-ic)
				if !directA {
					packA(ws.a, a, ic, pc, mc, kc, kern.MR, alpha, kern.SIMDPack)
				}
				for jr := 0; jr < nc; jr += nr {
					cols := min(nr, nc-jr)
					var bp []float32
					ldb := nr
					switch {
					case !directB:
						bp = bbuf[jr*kc : (jr+nr)*kc]
					case cols < nr && !kern.masked():
						bp = bbuf[:nr*kc]
					default:
						bp, ldb = b.Data[pc*b.Stride+jc+jr:], b.Stride
					}
					cblk := c[ic*ldc+jc+jr:]
					if directA {
						blockDirect(ws, kern, a, ic, pc, mc, kc, bp, ldb, cols, bet, cblk, ldc)
					} else {
						blockPacked(ws, kern, mc, kc, bp, ldb, cols, bet, cblk, ldc)
					}
				}
			}
		}
	}
}

// usesDirectA reports whether Gemm reads A in place rather than packing it:
// a direct kernel exists, A is not transposed or scaled, and C is narrow.
func usesDirectA(kern Kernel, n int, alpha float32, aTrans bool) bool {
	return kern.hasDirect() && !aTrans && alpha == 1 && n <= DirectMaxN
}

// blockPacked runs the packed kernel down one column block (cols ≤ NR wide)
// of an mc-row block of C, A packed in ws.a. Tiles that overhang C go through
// the scratch tile.
func blockPacked(ws *Workspace, kern Kernel, mc, kc int, bp []float32, ldb, cols int, beta float32, c []float32, ldc int) {
	mr, nr := kern.MR, kern.NR
	for ir := 0; ir < mc; ir += mr {
		ap := ws.a[ir*kc : (ir+mr)*kc]
		rows := min(mr, mc-ir)
		if rows == mr && cols == nr {
			kern.Fn(kc, ap, bp, ldb, c[ir*ldc:], ldc, beta)
			continue
		}
		kern.Fn(kc, ap, bp, ldb, ws.tile[:mr*nr], nr, 0)
		mergeTile(ws.tile, nr, rows, cols, beta, c[ir*ldc:], ldc)
	}
}

// blockDirect runs the direct kernels down one column block of an mc-row
// block of C, reading A in place. The last panel uses the kernel for exactly
// its row count; a column block of at most NR/2 uses the half-width kernels.
func blockDirect(ws *Workspace, kern Kernel, a Matrix, ic, pc, mc, kc int, bp []float32, ldb, cols int, beta float32, c []float32, ldc int) {
	mr := kern.MR
	half := cols <= kern.NR/2
	if kern.masked() {
		table := kern.Direct
		if half {
			table = kern.DirectHalf
		}
		for ir := 0; ir < mc; ir += mr {
			rows := min(mr, mc-ir)
			table[rows](kc, a.Data[(ic+ir)*a.Stride+pc:], a.Stride, bp, ldb, c[ir*ldc:], ldc, beta, cols)
		}
		return
	}
	table, width := kern.FullDirect, kern.NR
	if half {
		table, width = kern.FullDirectHalf, kern.NR/2
	}
	for ir := 0; ir < mc; ir += mr {
		rows := min(mr, mc-ir)
		ap := a.Data[(ic+ir)*a.Stride+pc:]
		if cols == width {
			table[rows](kc, ap, a.Stride, bp, ldb, c[ir*ldc:], ldc, beta)
			continue
		}
		table[rows](kc, ap, a.Stride, bp, ldb, ws.tile[:rows*width], width, 0)
		mergeTile(ws.tile, width, rows, cols, beta, c[ir*ldc:], ldc)
	}
}

// mergeTile writes the rows×cols corner of a scratch tile (row stride nr)
// into C: C = tile + beta·C, not reading C when beta == 0.
func mergeTile(tile []float32, nr, rows, cols int, beta float32, c []float32, ldc int) {
	for i := 0; i < rows; i++ {
		dst := c[i*ldc : i*ldc+cols]
		src := tile[i*nr : i*nr+cols]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for j := range dst {
			dst[j] = src[j] + beta*dst[j]
		}
	}
}

// packA copies alpha·op(A)[ic:ic+mc, pc:pc+kc] into MR-high micro-panels: panel
// p holds rows p·MR..p·MR+MR-1, stored column by column (MR values per k), with
// rows past mc set to zero.
func packA(dst []float32, a Matrix, ic, pc, mc, kc, mr int, alpha float32, simd bool) {
	for p := 0; p < mc; p += mr {
		panel := dst[p*kc : (p+mr)*kc]
		rows := min(mr, mc-p)
		if !a.Trans {
			// Element (i, l) at Data[(ic+p+i)*Stride + pc+l]: rows are contiguous.
			if rows == mr && alpha == 1 {
				if simd && mr%4 == 2 || simd && mr%4 == 0 {
					transposeRows(panel, a.Data[(ic+p)*a.Stride+pc:], a.Stride, rows, kc, mr)
					continue
				}
				if packRowsFast(panel, a.Data[(ic+p)*a.Stride+pc:], a.Stride, kc, mr) {
					continue
				}
			}
			for i := 0; i < rows; i++ {
				src := a.Data[(ic+p+i)*a.Stride+pc:]
				src = src[:kc]
				for l, v := range src {
					panel[l*mr+i] = alpha * v
				}
			}
		} else {
			// Element (i, l) at Data[(pc+l)*Stride + ic+p+i]: columns are contiguous.
			for l := 0; l < kc; l++ {
				src := a.Data[(pc+l)*a.Stride+ic+p:]
				src = src[:rows]
				dst := panel[l*mr : l*mr+rows]
				if alpha == 1 {
					copy(dst, src)
					continue
				}
				for i, v := range src {
					dst[i] = alpha * v
				}
			}
		}
		if rows < mr {
			for l := 0; l < kc; l++ {
				clear(panel[l*mr+rows : (l+1)*mr])
			}
		}
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into NR-wide micro-panels: panel q
// holds columns q·NR..q·NR+NR-1, stored row by row (NR values per k), with
// columns past nc set to zero.
func packB(dst []float32, b Matrix, pc, jc, kc, nc, nr int, simd bool) {
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		if !b.Trans {
			// Element (l, j) at Data[(pc+l)*Stride + jc+q+j]: rows are contiguous.
			for l := 0; l < kc; l++ {
				src := b.Data[(pc+l)*b.Stride+jc+q:]
				copy(panel[l*nr:l*nr+cols], src[:cols])
			}
		} else if simd {
			// Element (l, j) at Data[(jc+q+j)*Stride + pc+l]: a transpose.
			transposeRows(panel, b.Data[(jc+q)*b.Stride+pc:], b.Stride, cols, kc, nr)
		} else {
			// Element (l, j) at Data[(jc+q+j)*Stride + pc+l]: columns are contiguous.
			for j := 0; j < cols; j++ {
				src := b.Data[(jc+q+j)*b.Stride+pc:]
				src = src[:kc]
				for l, v := range src {
					panel[l*nr+j] = v
				}
			}
		}
		if cols < nr {
			for l := 0; l < kc; l++ {
				clear(panel[l*nr+cols : (l+1)*nr])
			}
		}
	}
}

// packRowsFast interleaves mr rows of length kc (row stride ld, starting at
// src) into dst, column by column, for the tile heights of the micro-kernels:
// the hot case of packing a non-transposed A with alpha = 1. It reports
// false for other heights.
func packRowsFast(dst, src []float32, ld, kc, mr int) bool {
	row := func(i int) []float32 { return src[i*ld : i*ld+kc : i*ld+kc] }
	switch mr {
	case 12:
		r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
		r6, r7, r8, r9, r10, r11 := row(6), row(7), row(8), row(9), row(10), row(11)
		dst = dst[:12*kc]
		for l := range r0 {
			d := dst[l*12 : l*12+12 : l*12+12]
			d[0], d[1], d[2], d[3] = r0[l], r1[l], r2[l], r3[l]
			d[4], d[5], d[6], d[7] = r4[l], r5[l], r6[l], r7[l]
			d[8], d[9], d[10], d[11] = r8[l], r9[l], r10[l], r11[l]
		}
	case 6:
		r0, r1, r2, r3, r4, r5 := row(0), row(1), row(2), row(3), row(4), row(5)
		dst = dst[:6*kc]
		for l := range r0 {
			d := dst[l*6 : l*6+6 : l*6+6]
			d[0], d[1], d[2], d[3], d[4], d[5] = r0[l], r1[l], r2[l], r3[l], r4[l], r5[l]
		}
	case 2:
		r0, r1 := row(0), row(1)
		dst = dst[:2*kc]
		for l := range r0 {
			d := dst[l*2 : l*2+2 : l*2+2]
			d[0], d[1] = r0[l], r1[l]
		}
	default:
		return false
	}
	return true
}

// Transpose writes dst[l*stride+r] = src[r*ld+l] for r < rows, l < cols:
// the rows of a row-major matrix become the columns of dst. With simd (the
// CPU has AVX2; see Kernel.SIMDPack) blocks of 8 go through the AVX transpose
// routines, else plain loops; the values are the same either way.
func Transpose(dst, src []float32, ld, rows, cols, stride int, simd bool) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if simd {
		transposeRows(dst, src, ld, rows, cols, stride)
		return
	}
	transposeRef(rows, cols, src, ld, dst, stride)
}

// transposeRows writes rows·cols values so that dst[l*stride+r] =
// src[r*ld+l] for r < rows, l < cols: rows of a matrix become the columns of
// a panel. Groups of 8 and 4 rows and blocks of 8 columns go through the AVX
// transpose routines, the rest through plain loops.
func transposeRows(dst, src []float32, ld, rows, cols, stride int) {
	blocks := cols / 8
	r := 0
	for ; r+8 <= rows; r += 8 {
		if blocks > 0 {
			transpose8x8(blocks, src[r*ld:], ld, dst[r:], stride)
		}
	}
	for ; r+4 <= rows; r += 4 {
		if blocks > 0 {
			transpose4x8(blocks, src[r*ld:], ld, dst[r:], stride)
		}
	}
	// Rows past the last group of 4, all columns.
	for ; r < rows; r++ {
		s := src[r*ld : r*ld+cols]
		for l, v := range s {
			dst[l*stride+r] = v
		}
	}
	// Columns past the last block of 8, for the rows done in groups.
	if tail := blocks * 8; tail < cols {
		for r := 0; r < rows/4*4; r++ {
			s := src[r*ld+tail : r*ld+cols]
			for l, v := range s {
				dst[(tail+l)*stride+r] = v
			}
		}
	}
}
