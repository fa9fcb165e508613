package kernels

import (
	"fmt"
	"time"

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
	isa       cpu.Level
	pool      *parallel.Pool
	caches    gemm.Caches
	gemmWS    []gemm.Workspace // one per thread
	gemmJob   gemmJob          // the SGEMM in progress
	gemmRun   func(tid int)    // ctx.runGemmJob, timed, made once
	gemmSplit gemmSplit        // how the threads share a product (sgemm_split.go)
	blocking  *gemm.Blocking   // replaces the cache-derived SGEMM blocking; set only by tests and BenchmarkSgemmBlocking
	conv      convBuffers      // reusable buffers of the conv2d kernels (conv2d_state.go)
	layer     layerJob         // the layer kernels' current job (layers.go)
	ranges    rangeLoop        // the parallel loop in progress (Context.forRanges)
	bn        bnJob            // the batch-norm kernels' job and buffers (batchnorm.go)
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
	c := &Context{
		isa:    isa,
		pool:   parallel.New(threads),
		caches: gemm.Caches{L2: info.L2, L3: info.L3},
		gemmWS: make([]gemm.Workspace, threads),
	}
	c.gemmSplit = newGemmSplit(threads)
	c.gemmRun = func(tid int) {
		start := time.Now()
		c.runGemmJob(tid)
		c.gemmSplit.busy[tid] = time.Since(start)
	}
	return c, nil
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
// fn(tid, lo, hi) for each non-empty range concurrently.
func (c *Context) ParallelFor(n int, fn func(tid, lo, hi int)) { c.pool.RunN(n, fn) }

// rangeLoop is a parallel loop in progress: its body, which is a
// package-level function reading its arguments from the Context (never a
// closure, so that a call does not allocate), the range and thread count,
// and the function handed to the worker pool, made once per Context.
type rangeLoop struct {
	body func(ctx *Context, tid, lo, hi int)
	n, t int
	run  func(tid int)
}

// forRanges splits [0, n) into t contiguous, nearly equal ranges and runs
// body(ctx, tid, lo, hi) for each non-empty one concurrently, on the calling
// goroutine alone when t ≤ 1. It does not allocate. The conv and layer
// kernels split their loops with it.
func (c *Context) forRanges(n, t int, body func(ctx *Context, tid, lo, hi int)) {
	if t <= 1 {
		if n > 0 {
			body(c, 0, 0, n)
		}
		return
	}
	l := &c.ranges
	l.body, l.n, l.t = body, n, t
	if l.run == nil {
		l.run = c.runRange
	}
	c.pool.Run(l.run)
	l.body = nil
}

// runRange is thread tid's range of the loop in progress.
func (c *Context) runRange(tid int) {
	l := &c.ranges
	if tid < l.t {
		if lo, hi := parallel.Split(l.n, l.t, tid); lo < hi {
			l.body(c, tid, lo, hi)
		}
	}
}
