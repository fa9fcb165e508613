package kernels

import (
	"math"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
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

// exp32 returns eˣ in float32, within expBound relative error of the exact
// value for x in [−87.33, 88.37]; 0 below (where eˣ < 1.2·10⁻³⁸, so the
// absolute error stays below that), e^88.37 above, NaN for NaN. It is
// Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts), a
// degree-6 polynomial for eʳ, then 2ⁿ put in the exponent bits; pure
// float32 arithmetic, so the attention's softmax needs no float64 exp.
func exp32(x float32) float32 {
	if !(x >= -87.33) {
		if x != x {
			return x
		}
		return 0
	}
	x = min(x, 88.37)
	fx := (x*1.44269504088896341 + 12582912) - 12582912 // round to nearest
	x -= fx * 0.693359375
	x -= fx * -2.12194440e-4
	z := x * x
	p := ((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x + 5.0000001201e-1
	p = p*z + x + 1
	return p * math.Float32frombits(uint32(int32(fx)+127)<<23)
}

// expBound is exp32's relative error bound (measured over every float32 in
// its range: about 1.3 u; see TestExp32).
const expBound = 4 * 0x1p-24

// ExpBound32 exports expBound for the conformance suite.
const ExpBound32 = expBound

// Exp32 exports exp32 for tests and other packages' float32 code.
func Exp32(x float32) float32 { return exp32(x) }
