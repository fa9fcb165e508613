package kernels

import (
	"fmt"
	"math"
)

// Optimizer updates, element-wise over a parameter slice p and its gradient g
// (FLOP and byte formulas: OpAdam, OpSGDMomentum). The definitions:
//
// Adam (step t ≥ 1, as Keras/TF apply it):
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − lr_t·m / (√v + ε)     with lr_t = lr·√(1−β2^t) / (1−β1^t)
//
// SGD with momentum (Keras's convention; PyTorch's differs by where lr
// applies, identical for a constant lr):
//
//	vel ← momentum·vel − lr·g
//	p   ← p + vel
//
// The naive implementations compute each element in float64 and round once;
// the simd ones run the generated routines of package kernels/internal/vec
// (float32, in Keras's operation order: m += (g−m)·(1−β1), ...), split across
// the Context's threads.

// AdamParams are Adam's hyperparameters.
type AdamParams struct{ LR, Beta1, Beta2, Eps float32 }

// DefaultAdam returns Keras's defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-7.
func DefaultAdam() AdamParams { return AdamParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-7} }

// alpha returns lr_t for step t, computed in float64.
func (h AdamParams) alpha(t int) float64 {
	b1, b2 := float64(h.Beta1), float64(h.Beta2)
	return float64(h.LR) * math.Sqrt(1-math.Pow(b2, float64(t))) / (1 - math.Pow(b1, float64(t)))
}

// AdamFunc applies Adam step t to p with gradient g and moments m and v.
type AdamFunc func(ctx *Context, p, g, m, v []float32, h AdamParams, t int)

// SGDMomentumFunc applies one SGD-with-momentum step to p with gradient g and
// velocity vel.
type SGDMomentumFunc func(ctx *Context, p, g, vel []float32, lr, momentum float32)

// The optimizer registries: naive (float64 per element) and simd.
var (
	AdamImpls        = NewRegistry[AdamFunc]("adam")
	SGDMomentumImpls = NewRegistry[SGDMomentumFunc]("sgd-momentum")
)

func init() {
	AdamImpls.Register(Impl[AdamFunc]{Name: "naive", Mode: GenericOnly, Fn: adamNaive, Doc: "the definition in float64, split across threads"})
	AdamImpls.Register(Impl[AdamFunc]{Name: "simd", Mode: PerISA, Fn: adamSIMDChecked, Doc: "generated float32 update in Keras's order"})
	SGDMomentumImpls.Register(Impl[SGDMomentumFunc]{Name: "naive", Mode: GenericOnly, Fn: sgdMomentumNaive, Doc: "the definition in float64, split across threads"})
	SGDMomentumImpls.Register(Impl[SGDMomentumFunc]{Name: "simd", Mode: PerISA, Fn: sgdMomentumSIMDChecked, Doc: "generated float32 update"})
}

// Adam applies Adam step t (counting from 1) to p, updating the moments m and
// v in place. It panics if t < 1 or g, m or v is not as long as p.
func (c *Context) Adam(p, g, m, v []float32, h AdamParams, t int) {
	checkAdam("Adam", p, g, m, v, t)
	adamSIMD(c, p, g, m, v, h, t)
}

// SGDMomentum applies vel = momentum·vel − lr·g, then p += vel. It panics if
// g or vel is not as long as p.
func (c *Context) SGDMomentum(p, g, vel []float32, lr, momentum float32) {
	checkSGD("SGDMomentum", p, g, vel)
	sgdMomentumSIMD(c, p, g, vel, lr, momentum)
}

func checkAdam(call string, p, g, m, v []float32, t int) {
	if t < 1 {
		panic(fmt.Sprintf("kernels: %s: step t = %d, must be ≥ 1", call, t))
	}
	checkLen(call, "g", g, len(p), "len(p)")
	checkLen(call, "m", m, len(p), "len(p)")
	checkLen(call, "v", v, len(p), "len(p)")
}

func checkSGD(call string, p, g, vel []float32) {
	checkLen(call, "g", g, len(p), "len(p)")
	checkLen(call, "vel", vel, len(p), "len(p)")
}

// adamNaive is the definition, each element in float64.
func adamNaive(ctx *Context, p, g, m, v []float32, h AdamParams, t int) {
	checkAdam("adam naive", p, g, m, v, t)
	alpha := h.alpha(t)
	b1, b2, eps := float64(h.Beta1), float64(h.Beta2), float64(h.Eps)
	ctx.ParallelFor(len(p), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := float64(g[i])
			mi := b1*float64(m[i]) + (1-b1)*gi
			vi := b2*float64(v[i]) + (1-b2)*gi*gi
			p[i] = float32(float64(p[i]) - alpha*mi/(math.Sqrt(vi)+eps))
			m[i], v[i] = float32(mi), float32(vi)
		}
	})
}

// sgdMomentumNaive is the definition, each element in float64.
func sgdMomentumNaive(ctx *Context, p, g, vel []float32, lr, momentum float32) {
	checkSGD("sgd-momentum naive", p, g, vel)
	ctx.ParallelFor(len(p), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			vi := float64(momentum)*float64(vel[i]) - float64(lr)*float64(g[i])
			p[i] = float32(float64(p[i]) + vi)
			vel[i] = float32(vi)
		}
	})
}

// adamSIMDChecked runs the generated Adam step across the Context's threads.
func adamSIMDChecked(ctx *Context, p, g, m, v []float32, h AdamParams, t int) {
	checkAdam("adam simd", p, g, m, v, t)
	adamSIMD(ctx, p, g, m, v, h, t)
}

func adamSIMD(ctx *Context, p, g, m, v []float32, h AdamParams, t int) {
	j := &ctx.layer
	j.k, j.a, j.b, j.c, j.d = ctx.vec(), p, g, m, v
	j.f = [4]float32{float32(h.alpha(t)), 1 - h.Beta1, 1 - h.Beta2, h.Eps}
	ctx.layerFor(len(p), elemPerThread(28), adamBody)
}

func adamBody(j *layerJob, _, lo, hi int) {
	j.k.Adam(j.a[lo:hi], j.b[lo:hi], j.c[lo:hi], j.d[lo:hi], j.f[0], j.f[1], j.f[2], j.f[3])
}

// sgdMomentumSIMDChecked runs the generated SGD-with-momentum step across the
// Context's threads.
func sgdMomentumSIMDChecked(ctx *Context, p, g, vel []float32, lr, momentum float32) {
	checkSGD("sgd-momentum simd", p, g, vel)
	sgdMomentumSIMD(ctx, p, g, vel, lr, momentum)
}

func sgdMomentumSIMD(ctx *Context, p, g, vel []float32, lr, momentum float32) {
	j := &ctx.layer
	j.k, j.a, j.b, j.c = ctx.vec(), p, g, vel
	j.f = [4]float32{lr, momentum}
	ctx.layerFor(len(p), elemPerThread(20), sgdMomentumBody)
}

func sgdMomentumBody(j *layerJob, _, lo, hi int) {
	j.k.SGDMomentum(j.a[lo:hi], j.b[lo:hi], j.c[lo:hi], j.f[0], j.f[1])
}
