package nn

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// The planner turns the layer graph (workload.Resolved.Inputs) into a list
// of ops, each one or a few fused layers, in an order where every op runs
// after the ops it reads; the backward pass runs them in reverse, so that
// every reader of a tensor has handed its gradient back before the
// tensor's producer reads it. Buffers are planned with the time (op
// index) of their first and last use and placed in one arena so that
// buffers whose lifetimes do not overlap share memory.

// role is what a planned buffer holds, for the memory report.
type role int

const (
	roleAct     role = iota // an activation
	roleGrad                // an activation's gradient
	roleScratch             // a transient: a gradient summed into another, or one nobody reads
)

// fbuf is a float32 buffer of the plan: n elements at the full batch, used
// from time first to time last (inclusive), placed at off in the arena.
type fbuf struct {
	n           int
	first, last int
	off         int
	role        role
	data        []float32 // set when the model is allocated
}

func newBuf(n int, r role) *fbuf { return &fbuf{n: n, first: -1, last: -1, role: r} }

// use records a use at time t.
func (b *fbuf) use(t int) {
	if b.first < 0 || t < b.first {
		b.first = t
	}
	b.last = max(b.last, t)
}

// tensor is a materialised activation (one or more layers' output: a fused
// ReLU or a flatten shares its producer's) and its gradient.
type tensor struct {
	per     int   // elements per sample
	act     *fbuf // the activation (the model's input buffer for the network input)
	grad    *fbuf // its gradient, nil when training needs none
	started bool  // planning: a backward contribution to grad is planned
}

// op is one kernel group: a layer and the layers fused into it.
type op struct {
	layer int // the main layer (conv2d, dense, batchnorm, relu, maxpool, global-avgpool, add, softmax-ce)
	relu  int // a ReLU fused into it, or -1
	add   int // batchnorm: an add fused into it, or -1
	fold  int // maxpool: the fused ReLU whose gradient mask this pool's backward applies, or -1
	pos   int // the index of its last layer: ops run in this order
	in    []*tensor
	out   *tensor
}

// bnLayer is a batch-norm layer's kernel state, filled in when the model is
// allocated.
type bnLayer struct {
	st       kernels.BatchNormState
	paramOff int // γ at paramOff, β after it (and the same in the gradients)
	c        int
}

// plan builds m's ops and tasks on the layers m.layers without allocating
// any buffer; allocate then gives the buffers memory.
func (m *Model) plan() error {
	rs := m.layers
	consumers := make([][]int, len(rs))
	for i, r := range rs {
		for _, j := range r.Inputs {
			if j >= 0 {
				consumers[j] = append(consumers[j], i)
			}
		}
	}
	absorbed := make([]bool, len(rs))
	only := func(i int, k workload.Kind) int { // the single consumer of i if it is of kind k and in no op yet, else -1
		if len(consumers[i]) == 1 && rs[consumers[i][0]].Kind == k && !absorbed[consumers[i][0]] {
			return consumers[i][0]
		}
		return -1
	}
	var ops []*op
	for i, r := range rs {
		if absorbed[i] || r.Kind == workload.Flatten {
			continue
		}
		o := &op{layer: i, relu: -1, add: -1, fold: -1, pos: i}
		switch r.Kind {
		case workload.Conv2D, workload.Dense:
			if c := only(i, workload.ReLU); c >= 0 {
				o.relu, o.pos, absorbed[c] = c, c, true
			}
		case workload.BatchNorm:
			if c := only(i, workload.ReLU); c >= 0 {
				o.relu, o.pos, absorbed[c] = c, c, true
			} else if a := only(i, workload.Add); a >= 0 && rs[a].Inputs[0] != rs[a].Inputs[1] {
				o.add, o.pos, absorbed[a] = a, a, true
				if c := only(a, workload.ReLU); c >= 0 {
					o.relu, o.pos, absorbed[c] = c, c, true
				}
			}
		case workload.MaxPool:
			// A ReLU fused into the conv2d or dense layer before the pool
			// has its gradient taken here, on the pooled tensor: pooling
			// commutes with ReLU and routes each gradient to its window's
			// maximum, which is positive exactly when the pooled output is.
			if j := r.Inputs[0]; j >= 0 && rs[j].Kind == workload.ReLU && absorbed[j] && len(consumers[j]) == 1 {
				if p := rs[j].Inputs[0]; p >= 0 && (rs[p].Kind == workload.Conv2D || rs[p].Kind == workload.Dense) {
					o.fold = j
				}
			}
		}
		ops = append(ops, o)
	}
	slices.SortStableFunc(ops, func(a, b *op) int { return cmp.Compare(a.pos, b.pos) })

	// Tensors, in op order: each op's output; flatten shares its input's.
	m.input = &tensor{per: m.sample, act: &fbuf{n: m.batch * m.sample, first: -1, last: -1}}
	tensorOf := make([]*tensor, len(rs))
	byLayer := make([]*op, len(rs))
	for _, o := range ops {
		byLayer[o.layer] = o
	}
	get := func(j int) *tensor {
		if j < 0 {
			return m.input
		}
		return tensorOf[j]
	}
	for i, r := range rs {
		switch {
		case r.Kind == workload.Flatten:
			tensorOf[i] = get(r.Inputs[0])
		case byLayer[i] != nil:
			o := byLayer[i]
			last := rs[o.pos]
			t := &tensor{per: last.Out.Len(), act: newBuf(m.batch*last.Out.Len(), roleAct)}
			if last.InputGrad || last.Params > 0 {
				t.grad = newBuf(t.act.n, roleGrad)
			}
			o.out = t
			for _, l := range []int{i, o.relu, o.add} {
				if l >= 0 {
					tensorOf[l] = t
				}
			}
			m.bufs = append(m.bufs, t.act)
			if t.grad != nil {
				m.bufs = append(m.bufs, t.grad)
			}
		}
	}
	// Every tensor exists now (a fused op's residual may come from a layer
	// after the op's first one): connect the ops' inputs.
	for _, o := range ops {
		r := rs[o.layer]
		for _, j := range r.Inputs {
			o.in = append(o.in, get(j))
		}
		if o.add >= 0 { // the residual: the add's other operand
			a := rs[o.add]
			other := a.Inputs[0]
			if other == o.layer {
				other = a.Inputs[1]
			}
			o.in = append(o.in, get(other))
		}
		if o.fold >= 0 {
			m.folded[o.fold] = true
		}
		if r.Kind == workload.BatchNorm {
			m.bnShape[o.layer] = shape.BatchNorm{N: m.batch, H: r.In.H, W: r.In.W, C: r.In.C, Residual: o.add >= 0, ReLU: o.relu >= 0}
			m.bn[o.layer] = &bnLayer{paramOff: m.paramOff[o.layer], c: r.In.C}
		}
		m.planTransformerLayer(o)
	}
	m.ops = ops
	F := len(ops)
	for k, o := range ops {
		m.planForward(o, k)
	}
	bwd := make([][]task, F)
	for k := F - 1; k >= 0; k-- {
		bwd[k] = m.planBackward(ops[k], 2*F-1-k)
	}
	for k := F - 1; k >= 0; k-- {
		m.bwd = append(m.bwd, bwd[k]...)
	}
	// A gradient no task touches (a conv output whose backward ran inside
	// its max-pool, see planConvPool) takes no memory.
	m.bufs = slices.DeleteFunc(m.bufs, func(b *fbuf) bool { return b.role == roleGrad && b.first < 0 })
	return nil
}

// sl is the first n samples of b, per elements each.
func sl(b *fbuf, n, per int) []float32 { return b.data[:n*per] }

// gradTarget returns where the backward pass of an op at time t writes the
// gradient of its input x: x's gradient buffer if this is the first
// contribution to it, else a scratch buffer whose contents the op then adds
// to x's gradient (acc). A tensor that needs no gradient gets nil.
func (m *Model) gradTarget(x *tensor, t int) (dst *fbuf, acc bool) {
	if x.grad == nil {
		return nil, false
	}
	x.grad.use(t)
	if !x.started {
		x.started = true
		return x.grad, false
	}
	s := newBuf(x.grad.n, roleScratch)
	s.use(t)
	m.bufs = append(m.bufs, s)
	return s, true
}

// scratch returns a buffer of n elements used only at time t.
func (m *Model) scratch(n, t int) *fbuf {
	s := newBuf(n, roleScratch)
	s.use(t)
	m.bufs = append(m.bufs, s)
	return s
}

// accumulate adds the scratch gradient src into x's gradient, if acc.
func (m *Model) accumulate(acc bool, src *fbuf, x *tensor, n int) {
	if acc {
		m.ctx.AddForward(sl(x.grad, n, x.per), sl(src, n, x.per), sl(x.grad, n, x.per))
	}
}

// paramsOf returns the offset of layer i's parameters in the flat vector
// and its weight count (the rest, if any, is the bias or β).
func (m *Model) paramsOf(i int) (off, nw int) {
	return m.paramOff[i], m.weights[i]
}

// planForward appends op o's forward (and inference) tasks at time t.
func (m *Model) planForward(o *op, t int) {
	ctx := m.ctx
	r := m.layers[o.layer]
	i := o.layer
	y := o.out.act
	y.use(t)
	for _, x := range o.in {
		x.act.use(t)
	}
	x := o.in[0]
	inLen, outLen := x.per, o.out.per
	add := func(run func(n int)) {
		tk := task{i, fwdPass, run}
		m.fwd = append(m.fwd, tk)
		m.infer = append(m.infer, tk)
	}
	switch r.Kind {
	case workload.Conv2D:
		s := *r.Conv
		fwd := m.kernels().convFwd
		if o.relu >= 0 {
			fwd = m.kernels().convFwdReLU
		}
		off, nw := m.paramsOf(i)
		nb := r.Params - nw
		add(func(n int) {
			sn := s
			sn.N = n
			fwd(sn, sl(x.act, n, inLen), m.params[off:off+nw], biasOf(m.params, off+nw, nb), sl(y, n, outLen))
		})
	case workload.Dense:
		s := *r.Dense
		fwd := m.kernels().denseFwd
		if o.relu >= 0 {
			fwd = m.kernels().denseFwdReLU
		}
		off, nw := m.paramsOf(i)
		nb := r.Params - nw
		add(func(n int) {
			sn := s
			sn.Batch = n
			fwd(sn, sl(x.act, n, inLen), m.params[off:off+nw], biasOf(m.params, off+nw, nb), sl(y, n, outLen))
		})
	case workload.BatchNorm:
		bn := m.bn[i]
		s := m.bnShape[i]
		var res *tensor
		if o.add >= 0 {
			res = o.in[len(o.in)-1]
		}
		run := func(f func(kernels.BatchNormShape, []float32, []float32, []float32, *kernels.BatchNormState)) func(n int) {
			return func(n int) {
				sn := s
				sn.N = n
				var rv []float32
				if res != nil {
					rv = sl(res.act, n, inLen)
				}
				f(sn, sl(x.act, n, inLen), rv, sl(y, n, outLen), &bn.st)
			}
		}
		m.fwd = append(m.fwd, task{i, fwdPass, run(ctx.BatchNormForward)})
		m.infer = append(m.infer, task{i, fwdPass, run(ctx.BatchNormInference)})
	case workload.ReLU:
		add(func(n int) { ctx.ReLUForward(sl(x.act, n, inLen), sl(y, n, outLen)) })
	case workload.MaxPool:
		s := m.poolShape(r)
		arg := &m.args[i]
		m.argLen[i] = m.batch * outLen
		add(func(n int) {
			sn := s
			sn.N = n
			ctx.MaxPoolForward(sn, sl(x.act, n, inLen), sl(y, n, outLen), (*arg)[:n*outLen])
		})
	case workload.GlobalAvgPool:
		s := shape.GlobalAvgPool{H: r.In.H, W: r.In.W, C: r.In.C}
		add(func(n int) {
			sn := s
			sn.N = n
			ctx.GlobalAvgPoolForward(sn, sl(x.act, n, inLen), sl(y, n, outLen))
		})
	case workload.Add:
		b := o.in[1]
		add(func(n int) { ctx.AddForward(sl(x.act, n, inLen), sl(b.act, n, inLen), sl(y, n, outLen)) })
	case workload.SoftmaxCE:
		// Rows: one per sample, or one per position of a sequence (the
		// loss is the mean over every predicted token).
		classes, rows := m.classes, m.rows
		dl, _ := m.gradTarget(x, t)
		if dl == nil {
			dl = m.scratch(m.batch*inLen, t)
		}
		m.logitsBuf = x.act
		m.lossTask = task{i, fwdPass, func(n int) {
			m.loss = ctx.SoftmaxCrossEntropy(n*rows, classes, sl(x.act, n, inLen), m.labels[:n*rows], sl(dl, n, inLen))
		}}
	default:
		if !m.planTransformerForward(o, add) {
			panic(fmt.Sprintf("nn: internal error: no forward plan for %s", r.Kind))
		}
	}
}

// biasOf is the bias slice of nb elements at off, or nil without bias.
func biasOf(p []float32, off, nb int) []float32 {
	if nb == 0 {
		return nil
	}
	return p[off : off+nb]
}

// planBackward returns op o's backward tasks, run at time t, in order.
func (m *Model) planBackward(o *op, t int) []task {
	ctx := m.ctx
	r := m.layers[o.layer]
	i := o.layer
	if r.Kind == workload.SoftmaxCE {
		return nil // the loss wrote its gradient in the forward pass
	}
	var ts []task
	x := o.in[0]
	y, dy := o.out.act, o.out.grad
	inLen, outLen := x.per, o.out.per
	if dy == nil || m.fusedPool[i] >= 0 {
		return nil // nothing before the op has weights, and it has none; or the max-pool after it ran its backward
	}
	dy.use(t)
	// A ReLU fused into a conv2d or dense layer (whose output then serves
	// as the ReLU's) has its gradient masked in place, unless a max-pool
	// after it does that on the pooled tensor.
	if o.relu >= 0 && (r.Kind == workload.Conv2D || r.Kind == workload.Dense) && !m.folded[o.relu] {
		y.use(t)
		ts = append(ts, task{o.relu, dataPass, func(n int) {
			ctx.ReLUBackward(sl(y, n, outLen), sl(dy, n, outLen), sl(dy, n, outLen))
		}})
	}
	switch r.Kind {
	case workload.Conv2D:
		s := *r.Conv
		ts = append(ts, planWeighted(m, o, t, func(n int) shape.Conv2D { sn := s; sn.N = n; return sn },
			m.kernels().convBwdWeights, m.kernels().convBwdData, m.kernels().convBwdDataAdd)...)
	case workload.Dense:
		s := *r.Dense
		ts = append(ts, planWeighted(m, o, t, func(n int) shape.Dense { sn := s; sn.Batch = n; return sn },
			m.kernels().denseBwdWeights, m.kernels().denseBwdData, nil)...)
	case workload.BatchNorm:
		bn := m.bn[i]
		s := m.bnShape[i]
		x.act.use(t)
		var yb *fbuf
		if s.ReLU {
			yb = y
			y.use(t)
		}
		dx, accX := m.gradTarget(x, t)
		if dx == nil {
			dx = m.scratch(m.batch*inLen, t)
		}
		var res *tensor
		var dres *fbuf
		accRes := false
		if o.add >= 0 {
			res = o.in[len(o.in)-1]
			dres, accRes = m.gradTarget(res, t)
			if dres == nil {
				dres = m.scratch(m.batch*inLen, t)
			}
		}
		ts = append(ts, task{i, dataPass, func(n int) {
			sn := s
			sn.N = n
			g := kernels.BatchNormGrads{DY: sl(dy, n, outLen), DX: sl(dx, n, inLen)}
			if yb != nil {
				g.Y = sl(yb, n, outLen)
			}
			if dres != nil {
				g.DRes = sl(dres, n, inLen)
			}
			ctx.BatchNormBackward(sn, sl(x.act, n, inLen), g, &bn.st)
			m.accumulate(accX, dx, x, n)
			if res != nil {
				m.accumulate(accRes, dres, res, n)
			}
		}})
	case workload.ReLU:
		if dx, acc := m.gradTarget(x, t); dx != nil {
			y.use(t)
			ts = append(ts, task{i, dataPass, func(n int) {
				ctx.ReLUBackward(sl(y, n, outLen), sl(dy, n, outLen), sl(dx, n, inLen))
				m.accumulate(acc, dx, x, n)
			}})
		}
	case workload.MaxPool:
		src := m.convPoolFusable(o)
		var dx *fbuf
		acc := false
		if src == nil {
			if dx, acc = m.gradTarget(x, t); dx == nil {
				break
			}
		}
		if o.fold >= 0 {
			y.use(t)
			ts = append(ts, task{o.fold, dataPass, func(n int) {
				ctx.ReLUBackward(sl(y, n, outLen), sl(dy, n, outLen), sl(dy, n, outLen))
			}})
		}
		s := m.poolShape(r)
		arg := &m.args[i]
		if src != nil {
			ts = append(ts, m.planConvPool(src, i, s, arg, dy, outLen, t))
			break
		}
		ts = append(ts, task{i, dataPass, func(n int) {
			sn := s
			sn.N = n
			ctx.MaxPoolBackward(sn, sl(dy, n, outLen), (*arg)[:n*outLen], sl(dx, n, inLen))
			m.accumulate(acc, dx, x, n)
		}})
	case workload.GlobalAvgPool:
		dx, acc := m.gradTarget(x, t)
		if dx == nil {
			break
		}
		s := shape.GlobalAvgPool{H: r.In.H, W: r.In.W, C: r.In.C}
		ts = append(ts, task{i, dataPass, func(n int) {
			sn := s
			sn.N = n
			ctx.GlobalAvgPoolBackward(sn, sl(dy, n, outLen), sl(dx, n, inLen))
			m.accumulate(acc, dx, x, n)
		}})
	case workload.Add:
		// The add hands dy to each operand's gradient: copying into a
		// gradient it starts, adding into one another reader started.
		a, b := o.in[0], o.in[1]
		accA, accB := a.started, b.started
		var da, db *fbuf
		if a.grad != nil {
			da, a.started = a.grad, true
			da.use(t)
		}
		if b.grad != nil {
			db, b.started = b.grad, true
			db.use(t)
		}
		ts = append(ts, task{i, dataPass, func(n int) {
			d := sl(dy, n, outLen)
			switch {
			case da != nil && db != nil && accA == accB:
				ctx.AddBackward(d, sl(da, n, inLen), sl(db, n, inLen), accA)
			default:
				for _, g := range [2]struct {
					buf *fbuf
					acc bool
				}{{da, accA}, {db, accB}} {
					switch {
					case g.buf == nil:
					case g.acc:
						ctx.AddForward(sl(g.buf, n, inLen), d, sl(g.buf, n, inLen))
					default:
						copy(sl(g.buf, n, inLen), d)
					}
				}
			}
		}})
	default:
		ts = append(ts, m.planTransformerBackward(o, t)...)
	}
	return ts
}

// planWeighted plans the backward pass of conv2d or dense op o at time t,
// whose kernels share one signature pattern; shape gives its shape for n
// samples: the weights' gradient, then the input's if it needs one. When
// another reader has started the input's gradient, bwdDataAdd (if not nil)
// adds into it in place of a scratch tensor and a separate add.
func planWeighted[S any](m *Model, o *op, t int, shape func(n int) S,
	bwdWeights func(s S, x, dy, dw, db []float32), bwdData, bwdDataAdd func(s S, dy, w, dx []float32)) []task {
	i := o.layer
	r := m.layers[i]
	x, dy := o.in[0], o.out.grad
	inLen, outLen := x.per, o.out.per
	off, nw := m.paramsOf(i)
	nb := r.Params - nw
	x.act.use(t)
	ts := []task{{i, weightsPass, func(n int) {
		bwdWeights(shape(n), sl(x.act, n, inLen), sl(dy, n, outLen), m.grads[off:off+nw], biasOf(m.grads, off+nw, nb))
	}}}
	if x.grad != nil && x.started && bwdDataAdd != nil {
		x.grad.use(t)
		dx := x.grad
		return append(ts, task{i, dataPass, func(n int) {
			bwdDataAdd(shape(n), sl(dy, n, outLen), m.params[off:off+nw], sl(dx, n, inLen))
		}})
	}
	if dx, acc := m.gradTarget(x, t); dx != nil {
		ts = append(ts, task{i, dataPass, func(n int) {
			bwdData(shape(n), sl(dy, n, outLen), m.params[off:off+nw], sl(dx, n, inLen))
			m.accumulate(acc, dx, x, n)
		}})
	}
	return ts
}

// convPoolFusable returns the conv2d op whose output max-pool op o reads
// when the conv's backward pass can run inside the pool's as one
// Conv2DBackwardWeightsMaxPool: float32 products, windows that tile the
// conv's output, no reader of that output but the pool, the conv's ReLU (if
// any) folded into the pool, and no gradient wanted for the conv's input
// (a network's first layer: its output gradient then feeds only the weight
// gradient). Otherwise nil.
func (m *Model) convPoolFusable(o *op) *op {
	r := m.layers[o.layer]
	if m.prec != F32 || r.Pool.Stride != r.Pool.Window || r.Padding != 0 {
		return nil
	}
	x := o.in[0]
	var src *op
	readers := 0
	for _, p := range m.ops {
		if p.out == x {
			src = p
		}
		for _, in := range p.in {
			if in == x {
				readers++
			}
		}
	}
	if src == nil || m.layers[src.layer].Kind != workload.Conv2D || readers != 1 || src.add >= 0 ||
		src.in[0].grad != nil || (src.relu >= 0 && src.relu != o.fold) {
		return nil
	}
	return src
}

// planConvPool plans conv2d op src's backward pass inside the max-pool
// after it (pool shape s, its forward's argmax arg, its output gradient dy
// of outLen values a sample) at time t: one Conv2DBackwardWeightsMaxPool,
// timed as the conv's backward-weights; the conv's output gradient is never
// materialised, and the conv plans no backward of its own.
func (m *Model) planConvPool(src *op, pool int, s shape.Pool, arg *[]int32, dy *fbuf, outLen, t int) task {
	i := src.layer
	r := m.layers[i]
	cs := *r.Conv
	x := src.in[0]
	x.act.use(t)
	off, nw := m.paramsOf(i)
	nb := r.Params - nw
	m.fusedPool[i] = pool
	ctx := m.ctx
	return task{i, weightsPass, func(n int) {
		sn, cn := s, cs
		sn.N, cn.N = n, n
		ctx.Conv2DBackwardWeightsMaxPool(cn, sn, sl(x.act, n, x.per), sl(dy, n, outLen), (*arg)[:n*outLen],
			m.grads[off:off+nw], biasOf(m.grads, off+nw, nb))
	}}
}

// poolShape is the kernel shape of max-pool layer r at its batch: the
// unpadded input with the padding in Pad (Resolved.Pool holds the padded
// size instead).
func (m *Model) poolShape(r workload.Resolved) shape.Pool {
	return shape.Pool{N: r.Batch, H: r.In.H, W: r.In.W, C: r.In.C, Window: r.Pool.Window, Stride: r.Pool.Stride, Pad: r.Padding}
}

// place assigns arena offsets to bufs so that buffers alive at the same
// time do not overlap, and returns the arena's length: greedy by size
// (largest first), each at the lowest offset that fits, offsets aligned to
// 16 elements (a cache line).
func place(bufs []*fbuf) int {
	const align = 16
	order := slices.Clone(bufs)
	slices.SortStableFunc(order, func(a, b *fbuf) int { return cmp.Compare(b.n, a.n) })
	var placed []*fbuf
	size := 0
	for _, b := range order {
		var clash []*fbuf
		for _, p := range placed {
			if p.first <= b.last && b.first <= p.last {
				clash = append(clash, p)
			}
		}
		slices.SortFunc(clash, func(x, y *fbuf) int { return cmp.Compare(x.off, y.off) })
		off := 0
		for _, p := range clash {
			if off+b.n <= p.off {
				break
			}
			off = max(off, (p.off+p.n+align-1)/align*align)
		}
		b.off = off
		size = max(size, off+b.n)
		placed = append(placed, b)
	}
	return size
}
