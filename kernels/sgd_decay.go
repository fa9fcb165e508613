package kernels

// SGD with momentum and L2 weight decay, the ResNet recipe's update (FLOP
// and byte formulas: OpSGDMomentumDecay). The definition (the naive
// implementation computes each element so, in float64, rounding once):
//
//	vel ← momentum·vel − lr·(g + decay·p)
//	p   ← p + vel
//
// This is SGDMomentum's Keras convention with the decay folded into the
// gradient, as PyTorch's SGD(weight_decay=...) does; with decay 0 it is
// SGDMomentum. The trainer applies it to the weights of convolutions and
// dense layers and SGDMomentum to biases and batch-norm scales and shifts,
// which the recipe leaves undecayed. The fast ("simd") implementation is the
// same loop in float32 (g + decay·p first, then the momentum update), split
// across the Context's threads; for now it is plain Go at every ISA level.

// SGDMomentumDecayFunc applies one step of SGD with momentum and weight
// decay to p with gradient g and velocity vel.
type SGDMomentumDecayFunc func(ctx *Context, p, g, vel []float32, lr, momentum, decay float32)

// SGDMomentumDecayImpls is the registry: naive (float64 per element) and
// simd (float32, split across threads).
var SGDMomentumDecayImpls = NewRegistry[SGDMomentumDecayFunc]("sgd-momentum-decay")

func init() {
	SGDMomentumDecayImpls.Register(Impl[SGDMomentumDecayFunc]{Name: "naive", Mode: GenericOnly, Fn: sgdDecayNaive, Doc: "the definition in float64, split across threads"})
	SGDMomentumDecayImpls.Register(Impl[SGDMomentumDecayFunc]{Name: "simd", Mode: PerISA, Fn: sgdDecaySIMDChecked, Doc: "float32 loop in ranges sized for the caches"})
}

// SGDMomentumDecay applies vel = momentum·vel − lr·(g + decay·p), then
// p += vel. It panics if g or vel is not as long as p.
func (c *Context) SGDMomentumDecay(p, g, vel []float32, lr, momentum, decay float32) {
	checkSGD("SGDMomentumDecay", p, g, vel)
	sgdDecaySIMD(c, p, g, vel, lr, momentum, decay)
}

// sgdDecayNaive is the definition, each element in float64.
func sgdDecayNaive(ctx *Context, p, g, vel []float32, lr, momentum, decay float32) {
	checkSGD("sgd-momentum-decay naive", p, g, vel)
	ctx.ParallelFor(len(p), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			pi := float64(p[i])
			vi := float64(momentum)*float64(vel[i]) - float64(lr)*(float64(g[i])+float64(decay)*pi)
			p[i] = float32(pi + vi)
			vel[i] = float32(vi)
		}
	})
}

// sgdDecaySIMDChecked runs the float32 update across the Context's threads.
func sgdDecaySIMDChecked(ctx *Context, p, g, vel []float32, lr, momentum, decay float32) {
	checkSGD("sgd-momentum-decay simd", p, g, vel)
	sgdDecaySIMD(ctx, p, g, vel, lr, momentum, decay)
}

func sgdDecaySIMD(ctx *Context, p, g, vel []float32, lr, momentum, decay float32) {
	j := &ctx.layer
	j.a, j.b, j.c = p, g, vel
	j.f = [4]float32{lr, momentum, decay}
	ctx.layerFor(len(p), elemPerThread(20), sgdDecayBody)
}

func sgdDecayBody(j *layerJob, _, lo, hi int) {
	p, g, vel := j.a[lo:hi], j.b[lo:hi], j.c[lo:hi]
	lr, mom, decay := j.f[0], j.f[1], j.f[2]
	g = g[:len(p)]
	vel = vel[:len(p)]
	for i := range p {
		v := mom*vel[i] - lr*(g[i]+decay*p[i])
		p[i] += v
		vel[i] = v
	}
}
