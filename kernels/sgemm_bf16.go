package kernels

import (
	"fmt"
	"unsafe"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// BF16 is a bfloat16 number: the sign, the 8 exponent bits and the top 7
// fraction bits of a float32 (the float32's top 16 bits). It has float32's
// range with 8 bits of precision, the format training runs in on
// accelerators and on CPUs with AVX512_BF16.
type BF16 uint16

// ToBF16 rounds f to bfloat16 as VCVTNEPS2BF16 does, so that every path
// agrees bit for bit: to nearest, ties to even; NaN stays NaN, made quiet;
// ±Inf stay; denormal inputs (|f| < 2⁻¹²⁶) become zero of their sign, as the
// instruction treats them.
func ToBF16(f float32) BF16 { return BF16(gemm.ToBF16(f)) }

// Float32 returns h as a float32, exactly.
func (h BF16) Float32() float32 { return gemm.FromBF16(uint16(h)) }

// ToBF16Func sets dst[i] = ToBF16(src[i]); len(dst) must equal len(src).
type ToBF16Func func(ctx *Context, dst []BF16, src []float32)

// FromBF16Func sets dst[i] = src[i].Float32(); len(dst) must equal len(src).
type FromBF16Func func(ctx *Context, dst []float32, src []BF16)

// The conversion registries: naive (ToBF16 or Float32 element by element)
// and simd (VCVTNEPS2BF16, and a widening shift, at avx512 on CPUs with
// AVX512_BF16; the naive loop elsewhere).
var (
	ToBF16Impls   = NewRegistry[ToBF16Func]("to-bf16")
	FromBF16Impls = NewRegistry[FromBF16Func]("from-bf16")
)

func init() {
	ToBF16Impls.Register(Impl[ToBF16Func]{Name: "naive", Mode: GenericOnly, Fn: toBF16Naive, Doc: "ToBF16 element by element"})
	ToBF16Impls.Register(Impl[ToBF16Func]{Name: "simd", Mode: PerISA, Fn: toBF16SIMD, Doc: "VCVTNEPS2BF16 (avx512 with AVX512_BF16)"})
	FromBF16Impls.Register(Impl[FromBF16Func]{Name: "naive", Mode: GenericOnly, Fn: fromBF16Naive, Doc: "Float32 element by element"})
	FromBF16Impls.Register(Impl[FromBF16Func]{Name: "simd", Mode: PerISA, Fn: fromBF16SIMD, Doc: "zero-extend and shift (avx512 with AVX512_BF16)"})
}

// HasBF16 reports whether the Context runs the AVX512_BF16 code paths: its
// level is avx512 and the CPU's BF16 capability is usable (cpu.Info.BF16).
// Elsewhere the bfloat16 kernels run their pure-Go forms, which give the
// same results, slowly.
func (c *Context) HasBF16() bool { return c.bf16 }

// ConvertToBF16 sets dst[i] = ToBF16(src[i]). It panics unless len(dst) ==
// len(src).
func (c *Context) ConvertToBF16(dst []BF16, src []float32) { toBF16SIMD(c, dst, src) }

// ConvertFromBF16 sets dst[i] = src[i].Float32(). It panics unless
// len(dst) == len(src).
func (c *Context) ConvertFromBF16(dst []float32, src []BF16) { fromBF16SIMD(c, dst, src) }

// bf16ConvertPerThread is the least number of elements worth a thread.
const bf16ConvertPerThread = 1 << 15

func toBF16Naive(ctx *Context, dst []BF16, src []float32) {
	checkLen("to-bf16 naive", "dst", dst, len(src), "len(src)")
	for i, v := range src {
		dst[i] = ToBF16(v)
	}
}

func fromBF16Naive(ctx *Context, dst []float32, src []BF16) {
	checkLen("from-bf16 naive", "dst", dst, len(src), "len(src)")
	for i, h := range src {
		dst[i] = h.Float32()
	}
}

func toBF16SIMD(ctx *Context, dst []BF16, src []float32) {
	checkLen("to-bf16 simd", "dst", dst, len(src), "len(src)")
	d := bf16Bits(dst)
	if len(src) < 2*bf16ConvertPerThread || ctx.Threads() == 1 {
		gemm.ConvertToBF16(d, src, ctx.bf16)
		return
	}
	ctx.ParallelFor(len(src), func(_, lo, hi int) { gemm.ConvertToBF16(d[lo:hi], src[lo:hi], ctx.bf16) })
}

func fromBF16SIMD(ctx *Context, dst []float32, src []BF16) {
	checkLen("from-bf16 simd", "dst", dst, len(src), "len(src)")
	s := bf16Bits(src)
	if len(src) < 2*bf16ConvertPerThread || ctx.Threads() == 1 {
		gemm.ConvertFromBF16(dst, s, ctx.bf16)
		return
	}
	ctx.ParallelFor(len(src), func(_, lo, hi int) { gemm.ConvertFromBF16(dst[lo:hi], s[lo:hi], ctx.bf16) })
}

// bf16Bits views a []BF16 as the []uint16 the internal packages take.
func bf16Bits(s []BF16) []uint16 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint16)(unsafe.Pointer(&s[0])), len(s))
}

// GemmBF16Func is the signature of the GEMM with bfloat16 operands and a
// float32 result:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// with A and B bfloat16 and C float32, everything else (shapes, strides,
// transposes, the edges, the panics) as SgemmFunc. The products are exact
// and summed in float32 (blocked; the naive implementation, the
// specification, sums in float64).
type GemmBF16Func func(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []BF16, lda int, b []BF16, ldb int, beta float32, c []float32, ldc int)

// SgemmBF16Impls lists the implementations of SgemmFunc's product in
// bfloat16: float32 operands rounded to bfloat16 (ToBF16), the products
// summed in float32 and the result float32, as mixed-precision training
// runs its matrix products. naive rounds the operands and sums in float64,
// the specification; blocked is the Goto/BLIS loop nest with VDPBF16PS
// micro-kernels (at avx512 with AVX512_BF16; pure Go elsewhere).
var SgemmBF16Impls = NewRegistry[SgemmFunc]("sgemm-bf16")

// GemmBF16Impls lists the implementations of GemmBF16Func: naive and blocked,
// as SgemmBF16Impls.
var GemmBF16Impls = NewRegistry[GemmBF16Func]("gemm-bf16")

func init() {
	SgemmBF16Impls.Register(Impl[SgemmFunc]{Name: "naive", Mode: GenericOnly, Fn: sgemmBF16Naive,
		Doc: "operands rounded to bf16, the triple loop summing in float64: the specification"})
	SgemmBF16Impls.Register(Impl[SgemmFunc]{Name: "blocked", Mode: PerISA, Fn: sgemmBF16Blocked,
		Doc: "Goto/BLIS blocking, B packed in bf16 k-pairs while converting, VDPBF16PS micro-kernel (avx512 with AVX512_BF16)"})
	GemmBF16Impls.Register(Impl[GemmBF16Func]{Name: "naive", Mode: GenericOnly, Fn: gemmBF16Naive,
		Doc: "the triple loop summing in float64: the specification"})
	GemmBF16Impls.Register(Impl[GemmBF16Func]{Name: "blocked", Mode: PerISA, Fn: gemmBF16Blocked,
		Doc: "Goto/BLIS blocking, B packed in bf16 k-pairs, VDPBF16PS micro-kernel (avx512 with AVX512_BF16)"})
}

// SgemmBF16 computes C = alpha·op(A)·op(B) + beta·C as Sgemm does, but with
// A and B rounded to bfloat16 (ToBF16) and the products summed in float32:
// twice the arithmetic rate of Sgemm on CPUs with AVX512_BF16, at the
// precision mixed-precision training accepts. See SgemmFunc for the
// contract.
func (c *Context) SgemmBF16(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	sgemmBF16Blocked(c, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// GemmBF16 computes C = alpha·op(A)·op(B) + beta·C for bfloat16 A and B and
// float32 C (GemmBF16Func), for operands kept in bfloat16.
func (c *Context) GemmBF16(tA, tB Transpose, m, n, k int, alpha float32, a []BF16, lda int, b []BF16, ldb int, beta float32, cm []float32, ldc int) {
	gemmBF16Blocked(c, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// gemmNaive64 is the specification of both bf16 products: C = alpha·Σ
// opA·opB + beta·C with the sum in float64, rows split across threads; the
// operands come as float64 through opA and opB.
func gemmNaive64(ctx *Context, m, n, k int, alpha float32, opA, opB func(i, j int) float64, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ctx.ParallelFor(m, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				sum := 0.0
				if alpha != 0 {
					for p := 0; p < k; p++ {
						sum += opA(i, p) * opB(p, j)
					}
				}
				v := float64(alpha) * sum
				if beta != 0 {
					v += float64(beta) * float64(row[j])
				}
				row[j] = float32(v)
			}
		}
	})
}

// opFunc returns element (i, j) of op(M) for row-major M with stride ld.
func opFunc[T any](t Transpose, m []T, ld int, conv func(T) float64) func(i, j int) float64 {
	if t == NoTrans {
		return func(i, j int) float64 { return conv(m[i*ld+j]) }
	}
	return func(i, j int) float64 { return conv(m[j*ld+i]) }
}

func sgemmBF16Naive(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	round := func(v float32) float64 { return float64(ToBF16(v).Float32()) }
	gemmNaive64(ctx, m, n, k, alpha, opFunc(tA, a, lda, round), opFunc(tB, b, ldb, round), beta, c, ldc)
}

func gemmBF16Naive(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []BF16, lda int, b []BF16, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	widen := func(h BF16) float64 { return float64(h.Float32()) }
	gemmNaive64(ctx, m, n, k, alpha, opFunc(tA, a, lda, widen), opFunc(tB, b, ldb, widen), beta, c, ldc)
}

func sgemmBF16Blocked(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	ctx.runBF16(tA, tB, m, n, k, alpha, gemm.BF16Matrix{F32: a, Stride: lda}, gemm.BF16Matrix{F32: b, Stride: ldb}, beta, c, ldc)
}

func gemmBF16Blocked(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []BF16, lda int, b []BF16, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	ctx.runBF16(tA, tB, m, n, k, alpha, gemm.BF16Matrix{BF16: bf16Bits(a), Stride: lda}, gemm.BF16Matrix{BF16: bf16Bits(b), Stride: ldb}, beta, c, ldc)
}

// bf16Kernel returns the bf16 micro-kernel family of the Context: VDPBF16PS
// when HasBF16, pure Go otherwise.
func (c *Context) bf16Kernel() gemm.BF16Kernel {
	if c.bf16 {
		return gemm.AVX512BF16Kernel
	}
	return gemm.GoBF16Kernel
}

// runBF16 runs a checked bf16 product the way sgemmBlocked runs an SGEMM:
// home rectangles of C per thread, cut into chunks (sgemm_split.go).
func (ctx *Context) runBF16(tA, tB Transpose, m, n, k int, alpha float32, a, b gemm.BF16Matrix, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	bk := ctx.bf16Kernel()
	bl := gemm.BF16BlockingFor(bk, ctx.caches)
	a.Trans, b.Trans = tA == Trans, tB == Trans
	threads := int(min(float64(ctx.Threads()), max(1, SgemmFLOPs(m, n, k)/max(minFLOPsPerThread, 1))))
	j := &ctx.gemmJob
	*j = gemmJob{kern: gemm.Kernel{Name: bk.Name, MR: bk.MR, NR: bk.NR}, bl: bl, tm: 1, tn: 1,
		tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc,
		bf16: true, bkern: bk, a16: a, b16: b, lda: a.Stride, ldb: b.Stride}
	if threads == 1 {
		ctx.runGemmJob(0)
	} else {
		j.tm, j.tn = splitGrid(threads, m, n, k, bk.MR, bk.NR)
		ctx.runGemmChunks(j)
	}
	*j = gemmJob{}
}

// gemmRectBF16 computes rows [m0, m1), columns [n0, n1) of the C of the bf16
// product in ctx.gemmJob on thread tid.
func (ctx *Context) gemmRectBF16(tid, m0, m1, n0, n1 int) {
	j := &ctx.gemmJob
	a, b := j.a16, j.b16
	aOff, bOff := m0*j.lda, n0
	if j.tA == Trans {
		aOff = m0
	}
	if j.tB == Trans {
		bOff = n0 * j.ldb
	}
	a.F32, a.BF16 = sliceFrom(a.F32, aOff), sliceFrom(a.BF16, aOff)
	b.F32, b.BF16 = sliceFrom(b.F32, bOff), sliceFrom(b.BF16, bOff)
	if b.Packed != nil {
		if n0%gemm.BF16Panel != 0 {
			panic(fmt.Sprintf("kernels: bf16 product with packed B split at column %d, not a panel boundary", n0))
		}
		b.Packed = b.Packed[n0/gemm.BF16Panel*((j.k+1)/2)*gemm.BF16Panel:]
	}
	gemm.GemmBF16(&ctx.gemmWS[tid], j.bkern, j.bl, m1-m0, n1-n0, j.k, j.alpha, a, b, j.beta, j.c[m0*j.ldc+n0:], j.ldc)
}

// sliceFrom is s[off:], or nil for a nil s.
func sliceFrom[T any](s []T, off int) []T {
	if s == nil {
		return nil
	}
	return s[off:]
}

// bf16Usable reports whether level l on a CPU described by info runs the
// AVX512_BF16 paths.
func bf16Usable(info cpu.Info, l cpu.Level) bool { return l == cpu.AVX512 && info.BF16() }
