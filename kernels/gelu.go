package kernels

import "math"

// GELU, the tanh approximation GPT-2 uses (FLOP and byte formulas:
// shape.OpGELU, OpGELUBwd). With k0 = √(2/π) and k1 = 0.044715, the
// definitions (the naive implementations compute them in float64 with
// math.Tanh and round once):
//
//	u  = k0·(x + k1·x³)
//	y  = 0.5·x·(1 + tanh u)
//	dx = dy·(0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·k0·(1 + 3·k1·x²))
//
// The fast ("simd") implementations use 1 + tanh u = 2·σ(2u), σ(z) =
// 1/(1 + e⁻ᶻ), so that nothing cancels where tanh u is near −1:
//
//	s = 1/(1 + exp32(−2u)),  y = x·s,  dx = dy·(s + 2·x·s·(1 − s)·k0·(1 + 3·k1·x²))
//
// in float32 with exp32 (within 2 ulp of eˣ), x clamped to [−10, ∞) forward
// and [−10, 10] backward (beyond, GELU is below 10⁻³⁶ or GELU′ is 0 or 1
// within float32, and x³ must not overflow). They run tfvec's generated
// routines (avx2, avx512; its pure-Go twins at generic), element-wise,
// split across the threads. Their error is bounded absolutely, as GELU's
// output is not small relative to x only where x is far from 0:
// |y − y*| ≤ 8·u·|x| + 10⁻³⁶ and |dx − dx*| ≤ 32·u·|dy|·(1 + |x|) (u = 2⁻²⁴;
// checked in the conformance suite on x ∈ [−12, 12] and the saturated
// ends).

// GELU's constants k0 = √(2/π) and k1.
const (
	geluK0 = 0.7978845608028654
	geluK1 = 0.044715
)

// GELUFwdFunc sets y = GELU(x); y may alias x.
type GELUFwdFunc func(ctx *Context, x, y []float32)

// GELUBwdFunc sets dx = dy·GELU'(x); dx may alias dy.
type GELUBwdFunc func(ctx *Context, x, dy, dx []float32)

// The GELU registries: naive (the definition in float64) and simd.
var (
	GELUFwdImpls = NewRegistry[GELUFwdFunc]("gelu-fwd")
	GELUBwdImpls = NewRegistry[GELUBwdFunc]("gelu-bwd")
)

func init() {
	GELUFwdImpls.Register(Impl[GELUFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: geluFwdNaive, Doc: "the definition in float64 with math.Tanh, split across threads"})
	GELUFwdImpls.Register(Impl[GELUFwdFunc]{Name: "simd", Mode: PerISA, Fn: geluFwdSIMDChecked, Doc: "x·σ(2u) in float32, generated avx2/avx512 routines with an inline exp"})
	GELUBwdImpls.Register(Impl[GELUBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: geluBwdNaive, Doc: "the definition in float64 with math.Tanh, split across threads"})
	GELUBwdImpls.Register(Impl[GELUBwdFunc]{Name: "simd", Mode: PerISA, Fn: geluBwdSIMDChecked, Doc: "σ(2u) form in float32, generated avx2/avx512 routines with an inline exp"})
}

// GELUForward sets y = GELU(x) (tanh approximation) element-wise; y may
// alias x. It panics unless len(y) = len(x).
func (c *Context) GELUForward(x, y []float32) {
	checkLen("GELUForward", "y", y, len(x), "len(x)")
	geluFwdSIMD(c, x, y)
}

// GELUBackward sets dx = dy·GELU'(x), x the forward's input; dx may alias
// dy. It panics unless the three lengths are equal.
func (c *Context) GELUBackward(x, dy, dx []float32) {
	checkGELUBwd("GELUBackward", x, dy, dx)
	geluBwdSIMD(c, x, dy, dx)
}

func checkGELUBwd(call string, x, dy, dx []float32) {
	checkLen(call, "dy", dy, len(x), "len(x)")
	checkLen(call, "dx", dx, len(x), "len(x)")
}

func geluFwdNaive(ctx *Context, x, y []float32) {
	checkLen("gelu-fwd naive", "y", y, len(x), "len(x)")
	ctx.ParallelFor(len(x), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			y[i] = float32(0.5 * v * (1 + math.Tanh(geluK0*(v+geluK1*v*v*v))))
		}
	})
}

func geluBwdNaive(ctx *Context, x, dy, dx []float32) {
	checkGELUBwd("gelu-bwd naive", x, dy, dx)
	ctx.ParallelFor(len(x), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			v := float64(x[i])
			t := math.Tanh(geluK0 * (v + geluK1*v*v*v))
			dx[i] = float32(float64(dy[i]) * (0.5*(1+t) + 0.5*v*(1-t*t)*geluK0*(1+3*geluK1*v*v)))
		}
	})
}

func geluFwdSIMDChecked(ctx *Context, x, y []float32) {
	checkLen("gelu-fwd simd", "y", y, len(x), "len(x)")
	geluFwdSIMD(ctx, x, y)
}

func geluFwdSIMD(ctx *Context, x, y []float32) {
	j := &ctx.layer
	j.a, j.b = x, y
	ctx.layerFor(len(x), elemPerThread(8), geluFwdBody)
}

func geluFwdBody(j *layerJob, _, lo, hi int) {
	j.ctx.tfv().GELU(j.b[lo:hi], j.a[lo:hi])
}

func geluBwdSIMDChecked(ctx *Context, x, dy, dx []float32) {
	checkGELUBwd("gelu-bwd simd", x, dy, dx)
	geluBwdSIMD(ctx, x, dy, dx)
}

func geluBwdSIMD(ctx *Context, x, dy, dx []float32) {
	j := &ctx.layer
	j.a, j.b, j.c = x, dy, dx
	ctx.layerFor(len(x), elemPerThread(12), geluBwdBody)
}

func geluBwdBody(j *layerJob, _, lo, hi int) {
	j.ctx.tfv().GELUBackward(j.a[lo:hi], j.b[lo:hi], j.c[lo:hi])
}
