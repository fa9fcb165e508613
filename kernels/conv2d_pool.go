package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// The backward pass of a convolution whose output is max-pooled by windows
// that tile it, when the convolution's input needs no gradient (a network's
// first layer): the weight gradient straight from the pool's output
// gradient. Unfused, the pool's backward writes the convolution's whole
// output gradient (the seed CNN's first layer: 2.8 MB a step, four times its
// pooled gradient) into memory whose lines went cold since the last step,
// and the weight-gradient kernel reads it back; here a few images at a time
// are unpooled into a buffer that stays in L2 and their weight gradient
// summed into a partial at once (docs/perf-notes-kernels.md).

// convPoolChunkBytes bounds the unpooled output gradient of one chunk of
// images (the chunk is at least one image).
var convPoolChunkBytes = 256 << 10

// convPoolJob is the fused pass in progress, and its reusable buffers.
type convPoolJob struct {
	s       Conv2DShape
	p       PoolShape
	x, dy   []float32 // the convolution's input, the pool's output gradient
	arg     []int32
	bias    bool
	per     int              // images a chunk
	kids    []*Context       // one one-thread Context per thread, made once
	scratch [][]float32      // per thread: a chunk's unpooled gradient
	part    [][]float32      // per chunk: its weight gradient, then its bias gradient
	run     func(tid, c int) // ctx.convPoolChunk, made once
}

// Conv2DBackwardWeightsMaxPool computes the weight gradient dw (and the bias
// gradient db, unless nil) of convolution s whose output is the input of
// max-pool p, from the pool's output gradient dy and the arg of its forward
// pass (MaxPoolForward on the same shape): what MaxPoolBackward followed by
// Conv2DBackwardWeights computes, without materialising the convolution's
// output gradient. The pool's windows must tile its input (Stride = Window,
// no padding) and its input must be the convolution's output (N, OutH,
// OutW, K). Chunks of whole images, their number set by the shape alone,
// are summed in order, so the result is the same for every thread count
// and whichever thread ran a chunk (not bit for bit the unfused pair's,
// whose weight kernel groups the images by thread count). It panics on
// shapes or lengths that do not fit.
func (c *Context) Conv2DBackwardWeightsMaxPool(s Conv2DShape, p PoolShape, x, dy []float32, arg []int32, dw, db []float32) {
	const call = "Conv2DBackwardWeightsMaxPool"
	checkValid(call, s.Validate())
	checkValid(call, p.Validate())
	if p.N != s.N || p.H != s.OutH() || p.W != s.OutW() || p.C != s.K {
		panic(fmt.Sprintf("kernels: %s: pool %v does not take the output of convolution %v", call, p, s))
	}
	if p.Stride != p.Window || p.Pad != 0 {
		panic(fmt.Sprintf("kernels: %s: pool %v: its windows must tile its input (stride = window, no padding)", call, p))
	}
	checkShapeLen(call, s, "x", x, s.InputLen(), "N·H·W·C")
	checkShapeLen(call, p, "dy", dy, p.OutputLen(), "N·P·Q·C")
	checkShapeLen(call, p, "arg", arg, p.OutputLen(), "N·P·Q·C")
	checkShapeLen(call, s, "dw", dw, s.WeightLen(), "K·R·S·C")
	if db != nil {
		checkShapeLen(call, s, "db", db, s.K, "K")
	}
	img := p.InputLen() / p.N
	per := max(1, min(s.N, convPoolChunkBytes/(4*img)))
	chunks := (s.N + per - 1) / per
	j := &c.convPool
	for len(j.kids) < c.Threads() {
		j.kids = append(j.kids, c.child())
		j.scratch = append(j.scratch, nil)
	}
	for t := range j.scratch {
		if len(j.scratch[t]) < per*img {
			j.scratch[t] = make([]float32, per*img)
		}
	}
	nw := s.WeightLen()
	for len(j.part) < chunks {
		j.part = append(j.part, nil)
	}
	for k := range chunks {
		if len(j.part[k]) < nw+s.K {
			j.part[k] = make([]float32, nw+s.K)
		}
	}
	if j.run == nil {
		j.run = c.convPoolChunk
	}
	j.s, j.p, j.x, j.dy, j.arg, j.bias, j.per = s, p, x, dy, arg, db != nil, per
	c.pool.For(chunks, nil, j.run)
	j.x, j.dy, j.arg = nil, nil, nil // drop the caller's slices
	copy(dw, j.part[0][:nw])
	if db != nil {
		copy(db, j.part[0][nw:nw+s.K])
	}
	vk := c.vec()
	for k := 1; k < chunks; k++ {
		vk.BiasAdd(dw, j.part[k][:nw], 1, false)
		if db != nil {
			vk.BiasAdd(db, j.part[k][nw:nw+s.K], 1, false)
		}
	}
}

// convPoolChunk unpools chunk k's images into thread tid's buffer and sums
// their weight gradient into the chunk's partial, on the thread's own
// one-thread Context.
func (c *Context) convPoolChunk(tid, k int) {
	j := &c.convPool
	s, p := j.s, j.p
	n0 := k * j.per
	n1 := min(s.N, n0+j.per)
	in := p.InputLen() / p.N
	g := j.scratch[tid][:(n1-n0)*in]
	kid := j.kids[tid]
	unpool(kid, p, j.dy, j.arg, n0, n1, g)
	sc := s
	sc.N = n1 - n0
	xi := s.InputLen() / s.N
	nw := s.WeightLen()
	var db []float32
	if j.bias {
		db = j.part[k][nw : nw+s.K]
	}
	kid.Conv2DBackwardWeights(sc, j.x[n0*xi:n1*xi], g, j.part[k][:nw], db)
}

// unpool writes into g the input gradient of pool p (windows tiling its
// input) for images [n0, n1), g holding those images only: each window's dy
// at the element its arg names, zero elsewhere.
func unpool(ctx *Context, p PoolShape, dy []float32, arg []int32, n0, n1 int, g []float32) {
	off := n0 * (p.InputLen() / p.N)
	if ctx.isa == cpu.Generic {
		// As MaxPoolBackward at this level: zero and scatter.
		maxPoolBwdScatter("Conv2DBackwardWeightsMaxPool", p, dy, arg, n0, n1, g, off)
		return
	}
	maxPoolBwdSetRows(ctx.vec(), p, dy, arg, n0*p.OutH(), n1*p.OutH(), g, off)
}

// child returns a one-thread Context of c's level, caches and blocking, for
// running whole kernels on one of c's threads.
func (c *Context) child() *Context {
	k := newContext(c.isa, c.bf16, c.caches, 1)
	k.blocking = c.blocking
	return k
}
