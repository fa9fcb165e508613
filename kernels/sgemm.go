package kernels

import (
	"fmt"
	"strings"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/shape"
)

// Transpose says whether a GEMM operand is used as stored or transposed.
type Transpose byte

// The two operand forms, spelled as in BLAS.
const (
	NoTrans Transpose = 'N'
	Trans   Transpose = 'T'
)

// String returns "N" or "T".
func (t Transpose) String() string { return string(rune(t)) }

// SgemmFunc is the signature every SGEMM implementation has. It computes
//
//	C = alpha·op(A)·op(B) + beta·C
//
// for row-major C of m×n (row stride ldc), op(A) of m×k and op(B) of k×n,
// where op(X) is X or its transpose as tA, tB say and lda, ldb are the row
// strides of A and B as stored. Exactly, for i in [0, m) and j in [0, n):
//
//	C[i·ldc+j] = alpha · Σ_{p<k} opA(i,p)·opB(p,j) + beta·C[i·ldc+j]
//
// with opA(i,p) = A[i·lda+p] (tA = NoTrans) or A[p·lda+i] (Trans), and
// opB(p,j) = B[p·ldb+j] (tB = NoTrans) or B[j·ldb+p] (Trans). The naive
// implementation is written exactly so.
//
// At the edges every implementation behaves alike, as reference BLAS
// specifies (A and B are not referenced when alpha is zero; C need not be set
// on input when beta is zero), so that a caller can rely on it whichever
// implementation runs:
//   - m, n and k may each be 0. With m = 0 or n = 0 nothing is read or
//     written. An operand with no elements (m×0, 0×n, ...) may be an empty
//     slice, whatever its stride.
//   - When k = 0 or alpha = 0, C = beta·C and A and B are not read: NaN or
//     Inf in them do not reach C.
//   - When beta = 0, C is not read: NaN or Inf in C do not reach the result.
//
// An implementation panics, naming the argument, when a transpose flag is
// neither NoTrans nor Trans, a dimension is negative, a stride is shorter
// than the row it strides over, a slice is shorter than its operand, or an
// operand's size overflows (more than shape.MaxElems elements, or a stride
// that takes its last row beyond an int): the check runs before any element
// is touched, since a wrapped size would pass the length checks.
type SgemmFunc func(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// SgemmImpls lists the SGEMM implementations: naive, blocked, gonum, and
// openblas when built with the cblas tag.
var SgemmImpls = NewRegistry[SgemmFunc]("sgemm")

func init() {
	SgemmImpls.Register(Impl[SgemmFunc]{Name: "naive", Mode: GenericOnly, Fn: sgemmNaive,
		Doc: "the triple loop (i-k-j order), the specification"})
	SgemmImpls.Register(Impl[SgemmFunc]{Name: "blocked", Mode: PerISA, Fn: sgemmBlocked,
		Doc: "Goto/BLIS blocking, packed panels, register-tile micro-kernel per ISA level"})
}

// Sgemm runs the fastest SGEMM implementation (blocked) on the Context; see
// SgemmFunc for the definition.
func (c *Context) Sgemm(tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	sgemmBlocked(c, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, cm, ldc)
}

// checkSgemm panics with a message naming the argument if the shapes, strides
// or slice lengths of an SGEMM call are inconsistent.
func checkSgemm[E float32 | BF16](tA, tB Transpose, m, n, k int, a []E, lda int, b []E, ldb int, c []float32, ldc int) {
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("kernels: Sgemm(%v%v, m=%d n=%d k=%d): ", tA, tB, m, n, k) + fmt.Sprintf(format, args...))
	}
	if tA != NoTrans && tA != Trans {
		fail("tA = %q is neither NoTrans nor Trans", byte(tA))
	}
	if tB != NoTrans && tB != Trans {
		fail("tB = %q is neither NoTrans nor Trans", byte(tB))
	}
	if m < 0 || n < 0 || k < 0 {
		fail("negative dimension")
	}
	if err := (shape.Gemm{M: m, N: n, K: k}).Validate(); err != nil {
		fail("%v", err)
	}
	// A is stored m×k (NoTrans) or k×m (Trans), likewise B k×n or n×k.
	ar, ac := m, k
	if tA == Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB == Trans {
		br, bc = n, k
	}
	if lda < max(1, ac) {
		fail("lda = %d < %d, the row length of A as stored (%d×%d)", lda, max(1, ac), ar, ac)
	}
	if ldb < max(1, bc) {
		fail("ldb = %d < %d, the row length of B as stored (%d×%d)", ldb, max(1, bc), br, bc)
	}
	if ldc < max(1, n) {
		fail("ldc = %d < n = %d", ldc, n)
	}
	for _, op := range [...]struct {
		name, ld        string
		rows, cols, ldv int
		len             int
	}{{"a", "lda", ar, ac, lda, len(a)}, {"b", "ldb", br, bc, ldb, len(b)}, {"c", "ldc", m, n, ldc, len(c)}} {
		need, ok := minLen(op.rows, op.cols, op.ldv)
		if !ok {
			fail("%s = %d takes the last of %d rows of %s beyond the largest int", op.ld, op.ldv, op.rows, strings.ToUpper(op.name))
		}
		if op.len < need {
			fail("len(%s) = %d < %d needed for %s (%d×%d, %s %d)", op.name, op.len, need, strings.ToUpper(op.name), op.rows, op.cols, op.ld, op.ldv)
		}
	}
}

// minLen is the length a row-major rows×cols matrix with row stride ld needs
// ((rows−1)·ld + cols, or 0 when it has no elements), and false if that
// overflows an int.
func minLen(rows, cols, ld int) (int, bool) {
	if rows == 0 || cols == 0 {
		return 0, true
	}
	span, ok := shape.Mul(rows-1, ld)
	if !ok {
		return 0, false
	}
	return shape.Add(span, cols)
}

// scaleRows sets C = beta·C over m×n (C = 0 when beta == 0, without reading C).
func scaleRows(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// sgemmNaive is the specification of SGEMM, SgemmFunc's definition as
// written. It loops i, then p, then j (so rows of B stream), with rows of C
// split across the Context's threads.
func sgemmNaive(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	ctx.ParallelFor(m, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := c[i*ldc : i*ldc+n]
			scaleRows(1, n, beta, row, n)
			if alpha == 0 {
				continue
			}
			for p := 0; p < k; p++ {
				var aip float32
				if tA == NoTrans {
					aip = a[i*lda+p]
				} else {
					aip = a[p*lda+i]
				}
				aip *= alpha
				if tB == NoTrans {
					brow := b[p*ldb : p*ldb+n]
					for j, bv := range brow {
						row[j] += aip * bv
					}
				} else {
					for j := range row {
						row[j] += aip * b[j*ldb+p]
					}
				}
			}
		}
	})
}

// minFLOPsPerThread is the least work worth handing to another thread: waking
// a worker costs about a microsecond, a few hundred thousand FLOPs.
var minFLOPsPerThread = float64(4 << 20)

// sgemmBlocked is the Goto/BLIS implementation: packed panels of A and B sized
// to the caches and a register-tile micro-kernel for the Context's ISA level
// (pure Go 2×3 at generic, generated assembly 6×16 at avx2 and 12×32 at
// avx512). C is split into one home rectangle per thread, sized by the
// threads' measured speeds, and each rectangle into chunks that a thread
// done with its own takes from the others (sgemm_split.go); each chunk packs
// its own panels, so no thread waits on another inside the product, and the
// results do not depend on the split.
//
// Private rectangles, rather than BLIS's thread teams sharing packed panels,
// because the teams lost at 2 threads on a machine whose cores share no fast
// cache level (docs/perf-notes-kernels.md).
func sgemmBlocked(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemmWithKernel(ctx, gemm.KernelFor(ctx.isa), tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmWithKernel is sgemmBlocked's loop nest and thread split with micro-kernel
// family kern, on checked arguments.
func sgemmWithKernel(ctx *Context, kern gemm.Kernel, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(m, n, beta, c, ldc)
		return
	}
	bl := gemm.BlockingFor(kern, ctx.caches)
	if ctx.blocking != nil {
		bl = *ctx.blocking
	}
	// In floating point: m·n·k may exceed an int.
	threads := int(min(float64(ctx.Threads()), max(1, SgemmFLOPs(m, n, k)/max(minFLOPsPerThread, 1))))
	j := &ctx.gemmJob
	*j = gemmJob{kern: kern, bl: bl, tm: 1, tn: 1,
		tA: tA, tB: tB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if threads == 1 {
		ctx.runGemmJob(0)
		return
	}
	for t := range threads { // whichever threads take chunks, none allocates later
		ctx.gemmWS[t].Reserve(kern, bl)
	}
	j.tm, j.tn = splitGrid(threads, m, n, k, kern.MR, kern.NR)
	ctx.runGemmChunks(j) // sgemm_split.go
	*j = gemmJob{}       // drop references to the caller's slices
}

// gemmJob holds the arguments of the SGEMM in progress, so that the function
// handed to the worker pool is made once per Context, not once per call.
type gemmJob struct {
	kern          gemm.Kernel
	bl            gemm.Blocking
	tm, tn        int // the grid of home rectangles of C, one per thread
	tA, tB        Transpose
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
	// A bf16 product (sgemm_bf16.go): its kernel and operands, and kern
	// holds only the tile size the split needs.
	bf16     bool
	bkern    gemm.BF16Kernel
	a16, b16 gemm.BF16Matrix
}

// runGemmJob runs the whole SGEMM in ctx.gemmJob on the calling thread.
func (ctx *Context) runGemmJob(tid int) { ctx.gemmRect(tid, 0, ctx.gemmJob.m, 0, ctx.gemmJob.n) }
