package kernels

import "github.com/trainbench/trainbench/kernels/internal/parallel"

// The state every conv path shares: the Context's reusable conv buffers, the
// call in progress that the bodies of the parallel loops read, and the
// helpers that size the buffers and run those loops.

// convBuffers holds the conv kernels' reusable buffers (a Context field), so
// that steady-state calls do not allocate.
type convBuffers struct {
	col  []float32   // one im2col chunk, shared by all threads
	wt   []float32   // repacked weights
	part [][]float32 // per-chunk partial sums
	band [][]float32 // per-thread zero-padded input bands
	dy   [][]float32 // per-thread output-gradient bands widened to whole vectors
	xp   [][]float32 // per-thread packed input bands (backward-weights)
	tile [][]float32 // per-thread output tiles
	args [][]int     // per-thread micro-kernel argument blocks
	// The per-call state, which the bodies of the parallel loops read (see
	// convFor): the call's arguments, the direct kernels' current jobs,
	// channel blocks and tap lists, which threads hold partial sums.
	call             convCall
	job              convFwdJob
	dw               convDWJob
	blocks           []convKBlock
	ints             []int
	rowTaps, colTaps []int  // backward-data: the filter taps of the current phase
	rowOffs, colOffs []int  // and their offsets in dY
	used             []bool // which chunks' partials hold sums
}

// convCall holds the arguments of the conv call in progress (the fields its
// pass uses) and the output pixels [m0, m1) of its current im2col chunk
// col. The call clears it when it returns, dropping the references to the
// caller's slices.
type convCall struct {
	s                     Conv2DShape
	x, w, bias, y, dy, dx []float32
	col                   []float32
	m0, m1                int
}

// convFor splits [0, n) into contiguous chunks, a few per thread (see
// Context.forRanges), and runs body(ctx, tid, lo, hi) for each chunk
// concurrently; body is a package-level function that reads its arguments
// from ctx.conv. It does not allocate.
func (ctx *Context) convFor(n int, body func(ctx *Context, tid, lo, hi int)) {
	ctx.forRanges(n, loopChunks(n, min(ctx.Threads(), n), 1), body)
	b := &ctx.conv
	convEven(b.band)
	convEven(b.dy)
	convEven(b.tile)
	convEven(b.xp)
	convEven(b.args)
}

// convEven grows every thread's buffer in list to the largest any has,
// after a parallel loop: which thread takes which chunk changes from call
// to call, and a thread meeting a larger chunk than it has seen would
// otherwise allocate in a later call, which a training step must not.
func convEven[T any](list [][]T) {
	n := 0
	for _, s := range list {
		n = max(n, cap(s))
	}
	for i := range list {
		if cap(list[i]) < n {
			list[i] = make([]T, n)
		}
	}
}

// convGrow returns (*buf)[:n], reallocating if it is too short.
func convGrow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

// convThreadBuf returns thread tid's buffer from list, with n elements (or
// chunk tid's, for the per-chunk lists). The lists have one entry per thread
// or chunk from the start (see convPerThread), so threads only ever touch
// their own entry.
func convThreadBuf(list *[][]float32, tid, n int) []float32 {
	return convGrow(&(*list)[tid], n)
}

// convPerThread sizes the per-thread buffer lists for the Context's thread
// count, and the per-chunk ones for the most chunks a loop has; it runs
// before any parallel region of a conv call.
func convPerThread(ctx *Context) {
	t := ctx.Threads()
	if len(ctx.conv.args) == t {
		return
	}
	b := &ctx.conv
	chunks := parallel.ChunksPerThread * t
	b.band, b.dy, b.tile, b.xp = make([][]float32, t), make([][]float32, t), make([][]float32, t), make([][]float32, t)
	b.args = make([][]int, t)
	b.part, b.used = make([][]float32, chunks), make([]bool, chunks)
}

// convAddTo sets d += v element-wise.
func convAddTo(d, v []float32) {
	v = v[:len(d)]
	for i := range d {
		d[i] += v[i]
	}
}
