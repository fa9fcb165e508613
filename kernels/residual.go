package kernels

// The residual add and its backward fan-out: element-wise, memory-bound
// kernels (FLOP and byte formulas: OpAdd, OpAddBwd, OpAddBwdAcc). The
// definitions (the naive implementations are written exactly so):
//
//	add:      y[i] = a[i] + b[i]
//	add bwd:  da[i] = dy[i], db[i] = dy[i]         (copying)
//	          da[i] += dy[i], db[i] += dy[i]       (accumulating)
//
// The backward pass copies where an input's gradient starts with this add,
// and accumulates where the input also feeds another layer (the fork a
// residual block opens): its gradient is the sum over its readers. The fast
// ("simd") implementations are the same loops split across the Context's
// threads in ranges of at least minBytesPerThread; for now they are plain Go
// at every ISA level. Results are bitwise equal to the naive ones.

// AddFwdFunc computes y = a + b; y may alias a or b.
type AddFwdFunc func(ctx *Context, a, b, y []float32)

// AddBwdFunc hands dy to both inputs' gradients, copying or (with acc)
// adding; da and db must not overlap dy or each other.
type AddBwdFunc func(ctx *Context, dy, da, db []float32, acc bool)

// The residual-add registries: naive (the definition) and simd (the loops
// split for the caches).
var (
	AddFwdImpls = NewRegistry[AddFwdFunc]("add-fwd")
	AddBwdImpls = NewRegistry[AddBwdFunc]("add-bwd")
)

func init() {
	AddFwdImpls.Register(Impl[AddFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: addFwdNaive, Doc: "the definition, one loop split across threads"})
	AddFwdImpls.Register(Impl[AddFwdFunc]{Name: "simd", Mode: PerISA, Fn: addFwdSIMDChecked, Doc: "the loop in ranges sized for the caches"})
	AddBwdImpls.Register(Impl[AddBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: addBwdNaive, Doc: "the definition, one loop split across threads"})
	AddBwdImpls.Register(Impl[AddBwdFunc]{Name: "simd", Mode: PerISA, Fn: addBwdSIMDChecked, Doc: "copy or add in ranges sized for the caches"})
}

// AddForward sets y = a + b element-wise; y may alias a or b. It panics
// unless the three lengths are equal.
func (c *Context) AddForward(a, b, y []float32) {
	checkAddFwd("AddForward", a, b, y)
	addFwdSIMD(c, a, b, y)
}

// AddBackward hands the gradient dy of an add's output to its inputs'
// gradients da and db: copies it, or with acc adds it to what they hold.
// da and db must not overlap dy or each other. It panics unless the three
// lengths are equal.
func (c *Context) AddBackward(dy, da, db []float32, acc bool) {
	checkAddBwd("AddBackward", dy, da, db)
	addBwdSIMD(c, dy, da, db, acc)
}

func checkAddFwd(call string, a, b, y []float32) {
	checkLen(call, "b", b, len(a), "len(a)")
	checkLen(call, "y", y, len(a), "len(a)")
}

func checkAddBwd(call string, dy, da, db []float32) {
	checkLen(call, "da", da, len(dy), "len(dy)")
	checkLen(call, "db", db, len(dy), "len(dy)")
}

// addFwdNaive is the definition of the add.
func addFwdNaive(ctx *Context, a, b, y []float32) {
	checkAddFwd("add-fwd naive", a, b, y)
	ctx.ParallelFor(len(a), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = a[i] + b[i]
		}
	})
}

// addBwdNaive is the definition of the fan-out.
func addBwdNaive(ctx *Context, dy, da, db []float32, acc bool) {
	checkAddBwd("add-bwd naive", dy, da, db)
	ctx.ParallelFor(len(dy), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			if acc {
				da[i] += dy[i]
				db[i] += dy[i]
			} else {
				da[i] = dy[i]
				db[i] = dy[i]
			}
		}
	})
}

// addFwdSIMDChecked is the fast add, checked.
func addFwdSIMDChecked(ctx *Context, a, b, y []float32) {
	checkAddFwd("add-fwd simd", a, b, y)
	addFwdSIMD(ctx, a, b, y)
}

func addFwdSIMD(ctx *Context, a, b, y []float32) {
	j := &ctx.layer
	j.a, j.b, j.c = a, b, y
	ctx.layerFor(len(a), elemPerThread(12), addFwdBody)
}

func addFwdBody(j *layerJob, _, lo, hi int) {
	a, b, y := j.a[lo:hi], j.b[lo:hi], j.c[lo:hi]
	b, y = b[:len(a)], y[:len(a)]
	for i, v := range a {
		y[i] = v + b[i]
	}
}

// addBwdSIMDChecked is the fast fan-out, checked.
func addBwdSIMDChecked(ctx *Context, dy, da, db []float32, acc bool) {
	checkAddBwd("add-bwd simd", dy, da, db)
	addBwdSIMD(ctx, dy, da, db, acc)
}

func addBwdSIMD(ctx *Context, dy, da, db []float32, acc bool) {
	j := &ctx.layer
	j.a, j.b, j.c = dy, da, db
	if acc {
		ctx.layerFor(len(dy), elemPerThread(20), addBwdAccBody)
		return
	}
	ctx.layerFor(len(dy), elemPerThread(12), addBwdCopyBody)
}

func addBwdCopyBody(j *layerJob, _, lo, hi int) {
	copy(j.b[lo:hi], j.a[lo:hi])
	copy(j.c[lo:hi], j.a[lo:hi])
}

func addBwdAccBody(j *layerJob, _, lo, hi int) {
	dy, da, db := j.a[lo:hi], j.b[lo:hi], j.c[lo:hi]
	da, db = da[:len(dy)], db[:len(dy)]
	for i, v := range dy {
		da[i] += v
		db[i] += v
	}
}
