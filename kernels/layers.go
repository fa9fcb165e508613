package kernels

import "github.com/trainbench/trainbench/kernels/internal/vec"

// The layer kernels (dense, max-pool, ReLU, bias add, softmax cross-entropy
// and the optimizer updates) share this file's machinery: a per-Context job
// that their parallel loops run through without allocating.
//
// Every Context method of these kernels panics, naming the call, the shape
// and the argument, if the shape does not Validate or a slice's length
// differs from what the shape implies (checks.go): like an out-of-range slice
// index, that is a programming error.

// minBytesPerThread is the least data a thread of a memory-bound layer
// kernel (element-wise, max-pool, optimizers) gets: starting a parallel
// region costs about 1.3 µs, the time one core streams ~50 KB. Splitting
// even cache-resident data pays in a training step, where the data comes
// from the previous kernel, which already ran on every thread
// (docs/perf-notes-kernels.md). (Variables so that tests can force
// splitting.)
var minBytesPerThread = 64 << 10

// minExpsPerThread is the least number of exponentials a thread of the
// softmax cross-entropy gets (some 40 µs of work).
var minExpsPerThread = 4096

// layerJob is the per-call state of the layer kernels' parallel loops (the
// Context field layer): the arguments and the loop body (a package-level
// function, never a closure, so a call does not allocate), run on each range
// by layerRange through Context.forRanges.
type layerJob struct {
	body       func(j *layerJob, tid, lo, hi int)
	ctx        *Context // the Context whose field this is
	k          *vec.Kernels
	a, b, c, d []float32
	arg        []int32
	labels     []int32
	pool       PoolShape
	rows, cols int
	f          [4]float32
	part       []float64 // per-chunk partial sums
	scratch    []float32 // per-thread buffers (softmax cross-entropy without dlogits)
}

// layerFor splits [0, n) into contiguous chunks for at most n/minPer threads
// (at least one), each chunk at least 2·minPer items (a claim costs far
// less than starting a parallel region, but not nothing), and runs body on
// each, with the arguments already stored in c.layer. It does not allocate
// (see Context.forRanges).
func (c *Context) layerFor(n, minPer int, body func(j *layerJob, tid, lo, hi int)) {
	j := &c.layer
	j.body, j.ctx = body, c
	minPer = max(1, minPer)
	c.forRanges(n, loopChunks(n, min(c.Threads(), n/minPer), 2*minPer), layerRange)
	// Drop the references to the caller's slices.
	j.a, j.b, j.c, j.d, j.arg, j.body = nil, nil, nil, nil, nil, nil
}

// layerRange runs the current layer job's body on one range.
func layerRange(ctx *Context, tid, lo, hi int) {
	j := &ctx.layer
	j.body(j, tid, lo, hi)
}

// vec returns the element-wise kernels of the Context's ISA level.
func (c *Context) vec() *vec.Kernels { return vec.For(c.isa) }

// elemPerThread is the least number of float32 elements a thread gets.
func elemPerThread(bytesPerElem int) int { return minBytesPerThread / bytesPerElem }
