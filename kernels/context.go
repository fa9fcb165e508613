package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/kernels/internal/parallel"
)

// MaxThreads bounds the thread count of a Context.
const MaxThreads = 1024

// Context runs kernels at one ISA level on a fixed number of threads. It owns
// worker goroutines and the kernels' buffers, reused across calls. A
// Context is not safe for concurrent use; use one per goroutine. Close
// releases its workers.
type Context struct {
	isa         cpu.Level
	bf16        bool // the AVX512_BF16 paths run (HasBF16)
	pool        *parallel.Pool
	caches      gemm.Caches
	gemmWS      []gemm.Workspace  // one per thread
	gemmJob     gemmJob           // the SGEMM in progress
	gemmChunkFn func(tid, c int)  // ctx.runGemmChunk, made once
	gemmSplit   gemmSplit         // how the threads share a product (sgemm_split.go)
	blocking    *gemm.Blocking    // replaces the cache-derived SGEMM blocking; set only by tests and BenchmarkSgemmBlocking
	conv        convBuffers       // reusable buffers of the conv2d kernels (conv2d_state.go)
	convBF16    convBF16Buffers   // reusable buffers of the bf16 conv2d kernels (conv2d_bf16.go)
	layer       layerJob          // the layer kernels' current job (layers.go)
	ranges      rangeLoop         // the parallel loop in progress (Context.forRanges)
	bn          bnJob             // the batch-norm kernels' job and buffers (batchnorm.go)
	tf          tfJob             // the transformer kernels' job and buffers (transformer.go)
	convPool    convPoolJob       // Conv2DBackwardWeightsMaxPool in progress, and its buffers (conv2d_pool.go)
	wino        winoJob           // the winograd conv pass in progress, and its buffers (conv2d_winograd.go)
	winoGemm    func(tid, xi int) // ctx.winoProduct, made once
	winoDW      func(tid, xi int) // ctx.winoWeightProduct, made once
	winoBlk     func(tid, b int)  // ctx.winoBlock, made once
	winoDWBlk   func(tid, b int)  // ctx.winoWeightBlock, made once
	winoGrp     func(tid, g int)  // ctx.winoGroupTask, made once
}

// NewContext returns a Context for ISA level isa and the given thread count.
// It fails if the level is not usable here (see cpu.Info.Check) or threads is
// outside [1, MaxThreads].
func NewContext(isa cpu.Level, threads int) (*Context, error) {
	info, err := cpu.Detect()
	if err != nil {
		return nil, err
	}
	if err := info.Check(isa); err != nil {
		return nil, err
	}
	if threads < 1 || threads > MaxThreads {
		return nil, fmt.Errorf("kernels: thread count %d outside [1, %d]", threads, MaxThreads)
	}
	return newContext(isa, bf16Usable(info, isa), gemm.Caches{L2: info.L2, L3: info.L3}, threads), nil
}

// newContext makes a Context of the given level, bf16 use, caches and
// thread count.
func newContext(isa cpu.Level, bf16 bool, caches gemm.Caches, threads int) *Context {
	c := &Context{
		isa:    isa,
		bf16:   bf16,
		pool:   parallel.New(threads),
		caches: caches,
		gemmWS: make([]gemm.Workspace, threads),
	}
	c.gemmSplit = newGemmSplit(threads)
	c.gemmChunkFn = c.runGemmChunk
	return c
}

// NewDefaultContext returns a Context at the highest usable ISA level.
func NewDefaultContext(threads int) (*Context, error) {
	info, err := cpu.Detect()
	if err != nil {
		return nil, err
	}
	return NewContext(info.Max(), threads)
}

// ISA returns the Context's ISA level.
func (c *Context) ISA() cpu.Level { return c.isa }

// Threads returns the Context's thread count.
func (c *Context) Threads() int { return c.pool.Threads() }

// PoolStats counts how the Context's parallel loops fared: how many ran, and
// how many the pool ran on the calling thread alone because its peers were
// being descheduled (another process wanted the CPUs). A caller reports
// the latter so that a user knows a run met a busy machine.
type PoolStats = parallel.Stats

// PoolStats returns the counts since the Context was made. Only the
// goroutine that runs the Context's kernels may call it.
func (c *Context) PoolStats() PoolStats { return c.pool.Stats() }

// Close stops the Context's worker threads. The Context must not be used
// afterwards.
func (c *Context) Close() { c.pool.Close() }

// Parallel runs fn on every thread of the Context, tid in [0, Threads()), and
// returns when all have finished. It lets code outside this package run its
// own loops on the Context's threads (package ceiling measures with it). A
// panic in fn reaches the caller once, after every thread has returned (a
// worker's as a *WorkerPanic), and leaves the Context usable.
func (c *Context) Parallel(fn func(tid int)) { c.pool.Run(fn) }

// WorkerPanic is how a kernel's panic on a worker thread reaches the caller:
// its value, its thread and its stack, which the caller's trace lacks.
type WorkerPanic = parallel.WorkerPanic

// ParallelFor splits [0, n) into one contiguous range per thread and runs
// fn(tid, lo, hi) for each non-empty range concurrently. The split is
// static, so every thread waits for the slowest; the kernels' own loops
// use chunks that idle threads take over (Context.forRanges).
func (c *Context) ParallelFor(n int, fn func(tid, lo, hi int)) { c.pool.RunN(n, fn) }

// rangeLoop is a parallel loop in progress: its body, which is a
// package-level function reading its arguments from the Context (never a
// closure, so that a call does not allocate), the item and chunk counts,
// and the function handed to the worker pool, made once per Context.
type rangeLoop struct {
	body      func(ctx *Context, tid, lo, hi int)
	n, chunks int
	run       func(tid, chunk int)
}

// forRanges splits [0, n) into the given number of contiguous, nearly equal
// chunks and runs body(ctx, tid, lo, hi) for each non-empty one
// concurrently, tid the thread running it (see parallel.Pool.For), on the
// calling goroutine alone as one chunk when chunks ≤ 1. The chunks depend
// only on n and chunks, never on which thread runs one, so a body that sums
// into the partial of its chunk (rangeChunk) and a caller that adds the
// partials in chunk order get the same bits on every run. It does not
// allocate. The conv and layer kernels split their loops with it.
func (c *Context) forRanges(n, chunks int, body func(ctx *Context, tid, lo, hi int)) {
	if chunks <= 1 {
		if n > 0 {
			body(c, 0, 0, n)
		}
		return
	}
	l := &c.ranges
	l.body, l.n, l.chunks = body, n, min(chunks, n)
	if l.run == nil {
		l.run = c.runRange
	}
	defer func() { l.body = nil }() // also after a panic, for rangeChunk
	c.pool.For(l.chunks, nil, l.run)
}

// runRange runs the loop in progress on one chunk.
func (c *Context) runRange(tid, chunk int) {
	l := &c.ranges
	if lo, hi := parallel.Split(l.n, l.chunks, chunk); lo < hi {
		l.body(c, tid, lo, hi)
	}
}

// rangeChunk returns the index of the chunk starting at lo of the loop in
// progress: the slot of that chunk's partial sums.
func (c *Context) rangeChunk(lo int) int {
	l := &c.ranges
	if l.body == nil {
		return 0 // one chunk, run without the pool
	}
	return parallel.SplitIndex(l.n, l.chunks, lo)
}

// loopChunks returns the number of chunks forRanges makes of n items for at
// most t threads with at least minItems items each: a few per thread where
// the items allow (see parallel.Chunks), 1 when t ≤ 1.
func loopChunks(n, t, minItems int) int {
	if t <= 1 {
		return 1
	}
	return parallel.Chunks(n, t, minItems)
}
