package kernels

// Dense (fully connected) kernels: forward (optionally fused with ReLU),
// backward-data and backward-weights with the bias gradient, for
// DenseShape's layouts (x [Batch][In], w [Out][In], b [Out], y [Batch][Out];
// FLOP and byte formulas: DenseShape). The definitions (the naive
// implementations are written exactly so):
//
//	y[i][o]  = b[o] + Σ_k x[i][k]·w[o][k]       (y = x·wᵀ + b)
//	dx[i][k] = Σ_o dy[i][o]·w[o][k]             (dx = dy·w)
//	dw[o][k] = Σ_i dy[i][o]·x[i][k]             (dw = dyᵀ·x)
//	db[o]    = Σ_i dy[i][o]                     (column sums of dy)
//
// Outputs are overwritten, never accumulated into, and their old contents
// are not read. b (forward) and db (backward-weights) may be nil. The fast
// ("gemm") implementations are one Sgemm call each, then the bias (and ReLU)
// in one pass over y, or the bias gradient as generated column sums.

// DenseFwdFunc computes y = x·wᵀ + b for shape s; b may be nil.
type DenseFwdFunc func(ctx *Context, s DenseShape, x, w, b, y []float32)

// DenseBwdDataFunc computes dx = dy·w.
type DenseBwdDataFunc func(ctx *Context, s DenseShape, dy, w, dx []float32)

// DenseBwdWeightsFunc computes dw = dyᵀ·x and, if db is not nil, db =
// column sums of dy.
type DenseBwdWeightsFunc func(ctx *Context, s DenseShape, x, dy, dw, db []float32)

// The Dense registries: naive (the definition) and gemm (Sgemm plus the
// generated bias and column-sum routines).
var (
	DenseFwdImpls        = NewRegistry[DenseFwdFunc]("dense-fwd")
	DenseBwdDataImpls    = NewRegistry[DenseBwdDataFunc]("dense-bwd-data")
	DenseBwdWeightsImpls = NewRegistry[DenseBwdWeightsFunc]("dense-bwd-weights")
)

func init() {
	DenseFwdImpls.Register(Impl[DenseFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: denseFwdNaive, Doc: "the triple loop, batch rows split across threads"})
	DenseFwdImpls.Register(Impl[DenseFwdFunc]{Name: "gemm", Mode: PerISA, Fn: denseFwdGemmChecked, Doc: "Sgemm x·wᵀ, then the bias in one pass"})
	DenseBwdDataImpls.Register(Impl[DenseBwdDataFunc]{Name: "naive", Mode: GenericOnly, Fn: denseBwdDataNaive, Doc: "the triple loop, batch rows split across threads"})
	DenseBwdDataImpls.Register(Impl[DenseBwdDataFunc]{Name: "gemm", Mode: PerISA, Fn: denseBwdDataGemmChecked, Doc: "Sgemm dy·w"})
	DenseBwdWeightsImpls.Register(Impl[DenseBwdWeightsFunc]{Name: "naive", Mode: GenericOnly, Fn: denseBwdWeightsNaive, Doc: "the triple loop, output units split across threads"})
	DenseBwdWeightsImpls.Register(Impl[DenseBwdWeightsFunc]{Name: "gemm", Mode: PerISA, Fn: denseBwdWeightsGemmChecked, Doc: "Sgemm dyᵀ·x, generated column sums for db"})
}

// DenseForward computes y = x·wᵀ + b (b may be nil).
func (c *Context) DenseForward(s DenseShape, x, w, b, y []float32) {
	checkDenseFwd("DenseForward", s, x, w, b, y)
	denseFwdGemm(c, s, x, w, b, y, false)
}

// DenseForwardReLU computes y = max(0, x·wᵀ + b) (b may be nil), the dense
// layer and its ReLU in one call; y then serves as the ReLU output for
// ReLUBackward.
func (c *Context) DenseForwardReLU(s DenseShape, x, w, b, y []float32) {
	checkDenseFwd("DenseForwardReLU", s, x, w, b, y)
	denseFwdGemm(c, s, x, w, b, y, true)
}

// DenseBackwardData computes dx = dy·w.
func (c *Context) DenseBackwardData(s DenseShape, dy, w, dx []float32) {
	checkDenseBwdData("DenseBackwardData", s, dy, w, dx)
	denseBwdDataGemm(c, s, dy, w, dx)
}

// DenseBackwardWeights computes dw = dyᵀ·x and, if db is not nil, db =
// column sums of dy; both are overwritten.
func (c *Context) DenseBackwardWeights(s DenseShape, x, dy, dw, db []float32) {
	checkDenseBwdWeights("DenseBackwardWeights", s, x, dy, dw, db)
	denseBwdWeightsGemm(c, s, x, dy, dw, db)
}

func checkDenseFwd(call string, s DenseShape, x, w, b, y []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.Batch*s.In, "Batch·In")
	checkShapeLen(call, s, "w", w, s.Out*s.In, "Out·In")
	if b != nil {
		checkShapeLen(call, s, "b", b, s.Out, "Out")
	}
	checkShapeLen(call, s, "y", y, s.Batch*s.Out, "Batch·Out")
}

func checkDenseBwdData(call string, s DenseShape, dy, w, dx []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "dy", dy, s.Batch*s.Out, "Batch·Out")
	checkShapeLen(call, s, "w", w, s.Out*s.In, "Out·In")
	checkShapeLen(call, s, "dx", dx, s.Batch*s.In, "Batch·In")
}

func checkDenseBwdWeights(call string, s DenseShape, x, dy, dw, db []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.Batch*s.In, "Batch·In")
	checkShapeLen(call, s, "dy", dy, s.Batch*s.Out, "Batch·Out")
	checkShapeLen(call, s, "dw", dw, s.Out*s.In, "Out·In")
	if db != nil {
		checkShapeLen(call, s, "db", db, s.Out, "Out")
	}
}

// denseFwdNaive is the definition of the forward pass.
func denseFwdNaive(ctx *Context, s DenseShape, x, w, b, y []float32) {
	checkDenseFwd("dense-fwd naive", s, x, w, b, y)
	ctx.ParallelFor(s.Batch, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for o := 0; o < s.Out; o++ {
				var acc float32
				if b != nil {
					acc = b[o]
				}
				for k := 0; k < s.In; k++ {
					acc += x[i*s.In+k] * w[o*s.In+k]
				}
				y[i*s.Out+o] = acc
			}
		}
	})
}

// denseBwdDataNaive is the definition of the backward-data pass.
func denseBwdDataNaive(ctx *Context, s DenseShape, dy, w, dx []float32) {
	checkDenseBwdData("dense-bwd-data naive", s, dy, w, dx)
	ctx.ParallelFor(s.Batch, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			for k := 0; k < s.In; k++ {
				var acc float32
				for o := 0; o < s.Out; o++ {
					acc += dy[i*s.Out+o] * w[o*s.In+k]
				}
				dx[i*s.In+k] = acc
			}
		}
	})
}

// denseBwdWeightsNaive is the definition of the backward-weights pass.
func denseBwdWeightsNaive(ctx *Context, s DenseShape, x, dy, dw, db []float32) {
	checkDenseBwdWeights("dense-bwd-weights naive", s, x, dy, dw, db)
	ctx.ParallelFor(s.Out, func(_, lo, hi int) {
		for o := lo; o < hi; o++ {
			for k := 0; k < s.In; k++ {
				var acc float32
				for i := 0; i < s.Batch; i++ {
					acc += dy[i*s.Out+o] * x[i*s.In+k]
				}
				dw[o*s.In+k] = acc
			}
			if db != nil {
				var acc float32
				for i := 0; i < s.Batch; i++ {
					acc += dy[i*s.Out+o]
				}
				db[o] = acc
			}
		}
	})
}

// denseFwdGemmChecked computes the forward pass with one Sgemm and a bias pass.
func denseFwdGemmChecked(ctx *Context, s DenseShape, x, w, b, y []float32) {
	checkDenseFwd("dense-fwd gemm", s, x, w, b, y)
	denseFwdGemm(ctx, s, x, w, b, y, false)
}

// denseFwdGemm is y = x·wᵀ (Sgemm, beta 0: y is not read), then the bias
// and optional ReLU in one pass over y.
func denseFwdGemm(ctx *Context, s DenseShape, x, w, b, y []float32, relu bool) {
	ctx.Sgemm(NoTrans, Trans, s.Batch, s.Out, s.In, 1, x, s.In, w, s.In, 0, y, s.Out)
	switch {
	case b != nil:
		biasAddSIMD(ctx, y, b, s.Batch, relu)
	case relu:
		reluFwdSIMD(ctx, y, y)
	}
}

// denseBwdDataGemmChecked computes dx = dy·w with one Sgemm.
func denseBwdDataGemmChecked(ctx *Context, s DenseShape, dy, w, dx []float32) {
	checkDenseBwdData("dense-bwd-data gemm", s, dy, w, dx)
	denseBwdDataGemm(ctx, s, dy, w, dx)
}

func denseBwdDataGemm(ctx *Context, s DenseShape, dy, w, dx []float32) {
	ctx.Sgemm(NoTrans, NoTrans, s.Batch, s.In, s.Out, 1, dy, s.Out, w, s.In, 0, dx, s.In)
}

// denseBwdWeightsGemmChecked computes dw = dyᵀ·x with one Sgemm and db with
// the generated column sums (one thread: Batch·Out elements is little next
// to the GEMM).
func denseBwdWeightsGemmChecked(ctx *Context, s DenseShape, x, dy, dw, db []float32) {
	checkDenseBwdWeights("dense-bwd-weights gemm", s, x, dy, dw, db)
	denseBwdWeightsGemm(ctx, s, x, dy, dw, db)
}

func denseBwdWeightsGemm(ctx *Context, s DenseShape, x, dy, dw, db []float32) {
	ctx.Sgemm(Trans, NoTrans, s.Out, s.In, s.Batch, 1, dy, s.Out, x, s.In, 0, dw, s.In)
	if db != nil {
		ctx.vec().ColSum(db, dy, s.Batch)
	}
}
