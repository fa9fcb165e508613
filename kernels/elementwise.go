package kernels

// ReLU, its gradient and bias add: element-wise, memory-bound kernels (FLOP
// and byte formulas: ElementwiseOp). The definitions (the naive
// implementations are written exactly so):
//
//	ReLU:      y[i]  = x[i] if x[i] ≥ 0 or x[i] is NaN, else 0 (so −0 and NaN pass through)
//	ReLU bwd:  dx[i] = dy[i] if y[i] > 0, else 0
//	bias add:  y[r·len(b)+j] += b[j] for r < rows, j < len(b)
//
// The fast ("simd") implementations run the generated routines of package
// kernels/internal/vec for the Context's ISA level, split across its threads
// only for working sets beyond the caches (minBytesPerThread). Results are
// bitwise equal to the naive ones.

// ReLUFwdFunc computes y = ReLU(x); y may alias x.
type ReLUFwdFunc func(ctx *Context, x, y []float32)

// ReLUBwdFunc computes dx = dy where y > 0, else 0; dx may alias dy.
type ReLUBwdFunc func(ctx *Context, y, dy, dx []float32)

// BiasAddFunc adds b to each of the rows rows of y.
type BiasAddFunc func(ctx *Context, y, b []float32, rows int)

// The registries of the element-wise kernels: naive (the definition, plain
// Go) and simd (the generated routines).
var (
	ReLUFwdImpls = NewRegistry[ReLUFwdFunc]("relu-fwd")
	ReLUBwdImpls = NewRegistry[ReLUBwdFunc]("relu-bwd")
	BiasAddImpls = NewRegistry[BiasAddFunc]("bias-add")
)

func init() {
	ReLUFwdImpls.Register(Impl[ReLUFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: reluFwdNaive, Doc: "the definition, one loop split across threads"})
	ReLUFwdImpls.Register(Impl[ReLUFwdFunc]{Name: "simd", Mode: PerISA, Fn: reluFwdSIMDChecked, Doc: "generated max(x, 0) over vectors"})
	ReLUBwdImpls.Register(Impl[ReLUBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: reluBwdNaive, Doc: "the definition, one loop split across threads"})
	ReLUBwdImpls.Register(Impl[ReLUBwdFunc]{Name: "simd", Mode: PerISA, Fn: reluBwdSIMDChecked, Doc: "generated compare-and-mask over vectors"})
	BiasAddImpls.Register(Impl[BiasAddFunc]{Name: "naive", Mode: GenericOnly, Fn: biasAddNaive, Doc: "the definition, rows split across threads"})
	BiasAddImpls.Register(Impl[BiasAddFunc]{Name: "simd", Mode: PerISA, Fn: biasAddSIMDChecked, Doc: "generated row adds over vectors"})
}

// ReLUForward sets y = max(0, x) element-wise (NaN and −0 pass through); y
// may alias x. It panics if len(y) != len(x).
func (c *Context) ReLUForward(x, y []float32) {
	checkReLUFwd("ReLUForward", x, y)
	reluFwdSIMD(c, x, y)
}

// ReLUBackward sets dx = dy where y > 0 and 0 elsewhere; y is the ReLU's
// output (its input gives the same result). dx may alias dy. It panics unless
// the three lengths are equal.
func (c *Context) ReLUBackward(y, dy, dx []float32) {
	checkReLUBwd("ReLUBackward", y, dy, dx)
	reluBwdSIMD(c, y, dy, dx)
}

// BiasAdd adds b to each of the rows rows of y: y[r][j] += b[j]. It panics
// unless len(y) = rows·len(b).
func (c *Context) BiasAdd(y, b []float32, rows int) {
	checkBiasAdd("BiasAdd", y, b, rows)
	biasAddSIMD(c, y, b, rows, false)
}

func checkReLUFwd(call string, x, y []float32) { checkLen(call, "y", y, len(x), "len(x)") }

func checkReLUBwd(call string, y, dy, dx []float32) {
	checkLen(call, "dy", dy, len(y), "len(y)")
	checkLen(call, "dx", dx, len(y), "len(y)")
}

func checkBiasAdd(call string, y, b []float32, rows int) {
	if rows < 0 {
		panic("kernels: " + call + ": negative rows")
	}
	checkLen(call, "y", y, checkedLen(call, "rows·len(b)", rows, len(b)), "rows·len(b)")
}

// reluFwdNaive is the definition of ReLU.
func reluFwdNaive(ctx *Context, x, y []float32) {
	checkReLUFwd("relu-fwd naive", x, y)
	ctx.ParallelFor(len(x), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			v := x[i]
			if v < 0 {
				v = 0
			}
			y[i] = v
		}
	})
}

// reluBwdNaive is the definition of ReLU's gradient.
func reluBwdNaive(ctx *Context, y, dy, dx []float32) {
	checkReLUBwd("relu-bwd naive", y, dy, dx)
	ctx.ParallelFor(len(y), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if y[i] > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	})
}

// biasAddNaive is the definition of bias add.
func biasAddNaive(ctx *Context, y, b []float32, rows int) {
	checkBiasAdd("bias-add naive", y, b, rows)
	cols := len(b)
	ctx.ParallelFor(rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			for j, bv := range b {
				y[r*cols+j] += bv
			}
		}
	})
}

// reluFwdSIMDChecked runs the generated ReLU across the Context's threads.
func reluFwdSIMDChecked(ctx *Context, x, y []float32) {
	checkReLUFwd("relu-fwd simd", x, y)
	reluFwdSIMD(ctx, x, y)
}

func reluFwdSIMD(ctx *Context, x, y []float32) {
	j := &ctx.layer
	j.k, j.a, j.b = ctx.vec(), x, y
	ctx.layerFor(len(x), elemPerThread(8), reluFwdBody)
}

func reluFwdBody(j *layerJob, _, lo, hi int) { j.k.ReLU(j.b[lo:hi], j.a[lo:hi]) }

// reluBwdSIMDChecked runs the generated ReLU gradient across the Context's
// threads.
func reluBwdSIMDChecked(ctx *Context, y, dy, dx []float32) {
	checkReLUBwd("relu-bwd simd", y, dy, dx)
	reluBwdSIMD(ctx, y, dy, dx)
}

func reluBwdSIMD(ctx *Context, y, dy, dx []float32) {
	j := &ctx.layer
	j.k, j.a, j.b, j.c = ctx.vec(), y, dy, dx
	ctx.layerFor(len(y), elemPerThread(12), reluBwdBody)
}

func reluBwdBody(j *layerJob, _, lo, hi int) { j.k.ReLUBackward(j.c[lo:hi], j.b[lo:hi], j.a[lo:hi]) }

// biasAddSIMDChecked runs the generated bias add across the Context's threads, in
// ranges of whole rows.
func biasAddSIMDChecked(ctx *Context, y, b []float32, rows int) {
	checkBiasAdd("bias-add simd", y, b, rows)
	biasAddSIMD(ctx, y, b, rows, false)
}

// biasAddSIMD adds b to the rows of y, then with relu applies ReLU.
func biasAddSIMD(ctx *Context, y, b []float32, rows int, relu bool) {
	if len(b) == 0 {
		return
	}
	j := &ctx.layer
	j.k, j.a, j.b, j.cols = ctx.vec(), y, b, len(b)
	body := biasAddBody
	if relu {
		body = biasReLUBody
	}
	ctx.layerFor(rows, max(1, elemPerThread(8)/len(b)), body)
}

func biasAddBody(j *layerJob, _, lo, hi int) {
	j.k.BiasAdd(j.a[lo*j.cols:hi*j.cols], j.b, hi-lo, false)
}

func biasReLUBody(j *layerJob, _, lo, hi int) {
	j.k.BiasAdd(j.a[lo*j.cols:hi*j.cols], j.b, hi-lo, true)
}
