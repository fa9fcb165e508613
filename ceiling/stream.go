package ceiling

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// triadScalar is STREAM's s.
const triadScalar = 3.0

// copyAt and triadAt run the STREAM kernels at ISA level l: generated
// assembly at avx2 and avx512, the pure-Go twins at generic.
func copyAt(l cpu.Level, dst, src []float64) {
	if len(src) != len(dst) {
		panic(fmt.Sprintf("ceiling: copy of %d elements into %d", len(src), len(dst)))
	}
	kernelsFor(l).copy(dst, src)
}

func triadAt(l cpu.Level, a, b, c []float64, s float64) {
	if len(b) != len(a) || len(c) != len(a) {
		panic(fmt.Sprintf("ceiling: triad with len(a)=%d len(b)=%d len(c)=%d", len(a), len(b), len(c)))
	}
	kernelsFor(l).triad(a, b, c, s)
}

// StreamRunner runs a STREAM kernel on every thread of a Context at the
// Context's ISA level. Each thread owns its share of the arrays, allocated
// and first written by that thread; Run makes Passes passes over them.
type StreamRunner struct {
	Passes int // passes over the arrays per Run
	ctx    *kernels.Context
	op     machine.Op
	arrays [][3][]float64 // per thread x, y, z
	elems  int            // elements per array over all threads
}

// NewStreamRunner allocates the arrays of op for a working set of about size
// bytes (all arrays of all threads together; rounded down to whole elements)
// and splits them evenly over ctx's threads, with Passes set to 1.
func NewStreamRunner(ctx *kernels.Context, op machine.Op, size int) (*StreamRunner, error) {
	return newStreamRunner(ctx, op, size, nil)
}

// streamArena is three float64 arrays that stream runners share, so a sweep
// over working sets faults its memory in once.
type streamArena [3][]float64

// newStreamArena allocates three arrays of n elements and writes them on
// every thread of ctx, each its share (the first touch places the pages).
func newStreamArena(ctx *kernels.Context, n int) *streamArena {
	var a streamArena
	for j := range a {
		a[j] = make([]float64, n)
	}
	ctx.ParallelFor(n, func(_, lo, hi int) { fillStream(a[0][lo:hi], a[1][lo:hi], a[2][lo:hi]) })
	return &a
}

// fillStream sets the starting values x = 1, y = 2, z = 0.5 (z may be nil).
func fillStream(x, y, z []float64) {
	for i := range x {
		x[i], y[i] = 1, 2
	}
	for i := range z {
		z[i] = 0.5
	}
}

// newStreamRunner is NewStreamRunner on the arena's arrays when arena is not
// nil: thread tid works on its contiguous share of the first elements,
// shares starting on 64-byte boundaries.
func newStreamRunner(ctx *kernels.Context, op machine.Op, size int, arena *streamArena) (*StreamRunner, error) {
	if _, err := machine.ParseOp(string(op)); err != nil {
		return nil, err
	}
	t := ctx.Threads()
	elems := size / op.BytesPerElem()
	if elems < t {
		return nil, fmt.Errorf("ceiling: %s working set of %d bytes is less than one element per array for each of %d threads", op, size, t)
	}
	r := &StreamRunner{Passes: 1, ctx: ctx, op: op, arrays: make([][3][]float64, t), elems: elems}
	if arena != nil {
		if len(arena[0]) < elems {
			return nil, fmt.Errorf("ceiling: %s working set of %d bytes does not fit the %d-element arrays", op, size, len(arena[0]))
		}
		bound := func(tid int) int { return elems * tid / t / 8 * 8 }
		for tid := range r.arrays {
			lo, hi := bound(tid), bound(tid+1)
			if tid == t-1 {
				hi = elems
			}
			for j := 0; j < op.Arrays(); j++ {
				r.arrays[tid][j] = arena[j][lo:hi]
			}
		}
		return r, nil
	}
	ctx.ParallelFor(elems, func(tid, lo, hi int) {
		var arr [3][]float64
		for j := 0; j < op.Arrays(); j++ {
			arr[j] = make([]float64, hi-lo)
		}
		fillStream(arr[0], arr[1], arr[2]) // first touch by the owning thread
		r.arrays[tid] = arr
	})
	return r, nil
}

// Op returns the runner's kernel.
func (r *StreamRunner) Op() machine.Op { return r.op }

// Size is the working set in bytes: all arrays of all threads.
func (r *StreamRunner) Size() int { return r.elems * r.op.BytesPerElem() }

// Bytes is the traffic of one Run as STREAM counts it.
func (r *StreamRunner) Bytes() float64 { return float64(r.Passes) * float64(r.Size()) }

// FLOPs is the arithmetic of one Run (0 for copy).
func (r *StreamRunner) FLOPs() float64 {
	return float64(r.Passes) * float64(r.elems) * r.op.FLOPsPerElem()
}

// Run makes Passes passes of the kernel over every thread's arrays, all
// threads at once.
func (r *StreamRunner) Run() {
	l, passes := r.ctx.ISA(), r.Passes
	r.ctx.Parallel(func(tid int) {
		x, y, z := r.arrays[tid][0], r.arrays[tid][1], r.arrays[tid][2]
		for p := 0; p < passes; p++ {
			if r.op == machine.Copy {
				copyAt(l, y, x)
			} else {
				triadAt(l, x, y, z, triadScalar)
			}
		}
	})
}
