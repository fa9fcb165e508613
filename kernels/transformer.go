package kernels

import (
	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/kernels/internal/tfvec"
)

// The transformer kernels (embedding.go, layernorm.go, gelu.go,
// attention.go, adamw.go) share this file's machinery: one per-Context job
// holding a call's arguments and reusable buffers, read by package-level
// loop bodies run through Context.forRanges, so that a call does not
// allocate once its buffers have grown.

// tfJob is the state of the transformer kernel in progress (the Context
// field tf).
type tfJob struct {
	// Arguments of the call in progress.
	emb                 EmbeddingShape
	ln                  LayerNormShape
	attn                AttentionShape
	tokens              []int32
	x, y, w, b          []float32 // meanings per kernel (see each)
	dx, dy, dw, db, lse []float32
	mean, rstd          []float32
	scale               float32
	chunks              int
	// gemm is the micro-kernel family and blocking the attention tiles run.
	kern gemm.Kernel
	bl   gemm.Blocking
	// Buffers, grown on demand and kept.
	part     []float64    // per-chunk partial sums
	attnBufs []attnBuf    // per thread: the attention tiles and row state
	offs     []int        // prefix sums of the optimizer's slice lengths
	slices   [][]float32  // the gradient norm's slices
	adamw    []AdamWSlice // the AdamW call's slices
	adamwH   adamwScalars // and its constants
}

// release drops the references to the caller's slices.
func (j *tfJob) release() {
	j.tokens, j.x, j.y, j.w, j.b = nil, nil, nil, nil, nil
	j.dx, j.dy, j.dw, j.db, j.lse, j.mean, j.rstd = nil, nil, nil, nil, nil, nil, nil
	clear(j.slices)
	j.slices = j.slices[:0]
	j.adamw = nil
}

// growPart returns j.part with at least n float64s, cleared.
func (j *tfJob) growPart(n int) []float64 {
	if cap(j.part) < n {
		j.part = make([]float64, n)
	}
	j.part = j.part[:n]
	clear(j.part)
	return j.part
}

// tileGemm runs C = alpha·op(A)·op(B) + beta·C on the calling thread alone
// (thread tid's packing buffers), with the Context's micro-kernel; m, n, k
// ≥ 1 and alpha ≠ 0. The attention kernels call it on tiles from inside
// their own parallel loops.
func (c *Context) tileGemm(tid int, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	j := &c.tf
	gemm.Gemm(&c.gemmWS[tid], j.kern, j.bl, m, n, k, alpha, gemm.Matrix{Data: a, Stride: lda, Trans: tA == Trans},
		gemm.Matrix{Data: b, Stride: ldb, Trans: tB == Trans}, beta, cm, ldc)
}

// tileGemmWS is tileGemm with workspace ws (the attention backward's
// workspaces that keep a packed B).
func (c *Context) tileGemmWS(ws *gemm.Workspace, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, cm []float32, ldc int) {
	j := &c.tf
	gemm.Gemm(ws, j.kern, j.bl, m, n, k, alpha, gemm.Matrix{Data: a, Stride: lda, Trans: tA == Trans},
		gemm.Matrix{Data: b, Stride: ldb, Trans: tB == Trans}, beta, cm, ldc)
}

// exp32 returns eˣ in float32: tfvec's exp1 (Cephes' expf without
// branches), within tfvec.ExpULP ulp where eˣ is a normal float32 and so
// within expBound relative error; 0 below −87.33 (where eˣ < 1.2·10⁻³⁸, so
// the absolute error stays below that), e^88.37 above, NaN for NaN. The
// vector routines compute exactly this in every lane.
func exp32(x float32) float32 { return tfvec.Exp(x) }

// expBound is exp32's relative error bound: ExpULP ulp are at most
// 2·ExpULP·u relative.
const expBound = 2 * tfvec.ExpULP * 0x1p-24

// ExpBound32 exports expBound for the conformance suite.
const ExpBound32 = expBound

// Exp32 exports exp32 for tests and other packages' float32 code.
func Exp32(x float32) float32 { return exp32(x) }

// tfv returns the transformer kernels' vector routines of the Context's ISA
// level.
func (c *Context) tfv() *tfvec.Kernels { return tfvec.For(c.isa) }
