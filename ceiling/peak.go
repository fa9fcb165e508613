package ceiling

import (
	"fmt"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// PeakLoop describes the peak-FMA loop of one ISA level and precision: Acc
// independent accumulator chains c = c·a + b of Lanes elements each, kept in
// registers, so nothing but the FMA pipes limits it. At avx2 and avx512 the
// loop is generated assembly (one vfmadd per accumulator vector); at generic
// it is plain Go on scalars, which the Go compiler turns into a multiply and
// an add (or a scalar FMA with GOAMD64=v3): the best pure-Go kernels can do.
//
// Precision bf16 exists at avx512 only, on CPUs with AVX512_BF16: chains
// c += a.hi·b.hi + a.lo·b.lo of VDPBF16PS, float32 accumulators and bf16
// pairs as operands, as the bf16 GEMM's inner loop runs. Its Lanes are the
// 32 bf16 products of a vector and each counts a multiply and an add, so a
// VDPBF16PS is 64 FLOP, as oneDNN and the vendors count it.
type PeakLoop struct {
	ISA  cpu.Level
	Prec benchname.Precision
}

// genericAccumulators is the number of scalar chains of the generic loop: 12
// accumulators and the two constants fit the 15 float registers Go uses on
// amd64, and cover a 5-cycle multiply+add latency on two pipes.
const genericAccumulators = 12

// Lanes is the number of elements per accumulator: the vector width divided
// by the element size (1 at generic).
func (l PeakLoop) Lanes() int {
	switch l.ISA {
	case cpu.AVX512:
		return 64 / l.Prec.Size()
	case cpu.AVX2:
		return 32 / l.Prec.Size()
	}
	return 1
}

// Accumulators is the number of independent chains: 16 at avx512, 12 at avx2
// and generic (enough for two FMA pipes with up to 6 (8) cycles of latency),
// and 24 for bf16 (Zen 5 needs more than 12 VDPBF16PS in flight).
func (l PeakLoop) Accumulators() int {
	if l.Prec == benchname.BF16 {
		return 24
	}
	if l.ISA == cpu.AVX512 {
		return 16
	}
	if l.ISA == cpu.AVX2 {
		return 12
	}
	return genericAccumulators
}

// FLOPsPerIter is the work of one iteration: a multiply and an add for every
// lane of every accumulator.
func (l PeakLoop) FLOPsPerIter() float64 { return 2 * float64(l.Lanes()*l.Accumulators()) }

// String is "avx512-f32" and the like.
func (l PeakLoop) String() string { return l.ISA.String() + "-" + string(l.Prec) }

// Check returns nil if the loop can run on the CPU info describes (its ISA
// level checked separately, by kernels.NewContext) and otherwise why not:
// f32 and f64 run at every level, bf16 at avx512 with AVX512_BF16 only.
func (l PeakLoop) Check(info cpu.Info) error {
	if l.Prec != benchname.BF16 {
		return nil
	}
	if l.ISA != cpu.AVX512 {
		return fmt.Errorf("ceiling: no bf16 peak loop at ISA level %s (avx512 only)", l.ISA)
	}
	if err := info.CheckBF16(); err != nil {
		return fmt.Errorf("ceiling: peak %v: %w", l, err)
	}
	return nil
}

// Loops returns the peak loops of level l this CPU can run: f32 and f64,
// and bf16 where Check allows it.
func Loops(info cpu.Info, l cpu.Level) []PeakLoop {
	var ls []PeakLoop
	for _, p := range machine.Precisions() {
		if loop := (PeakLoop{l, p}); loop.Check(info) == nil {
			ls = append(ls, loop)
		}
	}
	return ls
}

// run32 and run64 return the routine of the loop for the precision.
func (l PeakLoop) run32() func(n int, c []float32, a, b float32) { return kernelsFor(l.ISA).peak32 }

func (l PeakLoop) run64() func(n int, c []float64, a, b float64) { return kernelsFor(l.ISA).peak64 }

func (l PeakLoop) runBF16() func(n int, c []float32, a, b uint32) { return kernelsFor(l.ISA).bf16 }

// peakGeneric is the generic level's peak loop: n iterations of
// c[i] = c[i]·a + b on the first 12 elements of c, in registers. The Go
// compiler may fuse the multiply and add (GOAMD64=v3); with a power-of-two a
// both forms give the same bits as peakRef.
func peakGeneric[F float32 | float64](n int, c []F, a, b F) {
	c = c[:genericAccumulators]
	c0, c1, c2, c3, c4, c5 := c[0], c[1], c[2], c[3], c[4], c[5]
	c6, c7, c8, c9, c10, c11 := c[6], c[7], c[8], c[9], c[10], c[11]
	for ; n > 0; n-- {
		c0 = c0*a + b
		c1 = c1*a + b
		c2 = c2*a + b
		c3 = c3*a + b
		c4 = c4*a + b
		c5 = c5*a + b
		c6 = c6*a + b
		c7 = c7*a + b
		c8 = c8*a + b
		c9 = c9*a + b
		c10 = c10*a + b
		c11 = c11*a + b
	}
	c[0], c[1], c[2], c[3], c[4], c[5] = c0, c1, c2, c3, c4, c5
	c[6], c[7], c[8], c[9], c[10], c[11] = c6, c7, c8, c9, c10, c11
}

// peakChunk is the number of iterations per call into a peak routine: a few
// tens of microseconds, so a goroutine in assembly never holds up the
// garbage collector for long.
const peakChunk = 1 << 13

// The loop constants: c = c·a + b converges to b/(1-a) = 1 from the starting
// values 0.01·(i+1), so values stay near 1 (no overflow, no denormals).
const (
	peakA = 0.9999999
	peakB = 1e-7
)

// The bf16 loop's operands: a = (1, 1) and b = (2⁻²⁰, 0) as bf16 pairs, so
// c grows by 2⁻²⁰ an iteration, exactly (c stays below 2¹² for 2³² iterations
// from its start near 0.1), and with one product zero the order and fusion
// of VDPBF16PS's two additions cannot change a bit.
const (
	peakBF16A = 0x3f80_3f80 // bf16 1.0 in both halves
	peakBF16B = 0x0000_3580 // bf16 2⁻²⁰ in the low half, 0 in the high
)

// PeakRunner runs a peak loop on every thread of a Context at the Context's
// ISA level: Run does Iters iterations on each thread at once.
type PeakRunner struct {
	Iters int // iterations per thread per Run
	ctx   *kernels.Context
	loop  PeakLoop
	c32   [][]float32 // per thread accumulators
	c64   [][]float64
}

// NewPeakRunner prepares the peak loop of ctx's ISA level in precision prec
// on ctx's threads, with Iters set to iters.
func NewPeakRunner(ctx *kernels.Context, prec benchname.Precision, iters int) (*PeakRunner, error) {
	if _, err := machine.ParsePrecision(string(prec)); err != nil {
		return nil, err
	}
	r := &PeakRunner{Iters: iters, ctx: ctx, loop: PeakLoop{ctx.ISA(), prec}}
	info, _ := cpu.Detect()
	if err := r.loop.Check(info); err != nil {
		return nil, err
	}
	n := r.loop.Lanes() * r.loop.Accumulators()
	if prec == benchname.BF16 {
		n = r.loop.Accumulators() * 16 // float32 accumulators
	}
	for tid := 0; tid < ctx.Threads(); tid++ {
		if prec == benchname.F32 || prec == benchname.BF16 {
			r.c32 = append(r.c32, peakStart[float32](n))
		} else {
			r.c64 = append(r.c64, peakStart[float64](n))
		}
	}
	return r, nil
}

// peakStart returns n accumulators with the starting values 0.01·(i+1).
func peakStart[F float32 | float64](n int) []F {
	c := make([]F, n)
	for i := range c {
		c[i] = F(0.01 * float64(i%16+1))
	}
	return c
}

// Loop returns the loop the runner times.
func (r *PeakRunner) Loop() PeakLoop { return r.loop }

// FLOPs is the work of one Run over all threads.
func (r *PeakRunner) FLOPs() float64 {
	return float64(r.ctx.Threads()) * float64(r.Iters) * r.loop.FLOPsPerIter()
}

// Run does Iters iterations of the loop on every thread concurrently.
func (r *PeakRunner) Run() { r.ctx.Parallel(r.runThread) }

// RunOne does Iters iterations of thread 0's loop on the calling goroutine
// alone. A thread's loop takes as long whether or not the others run beside
// it, so RunOne sizes Iters for Run without timing the wait for threads the
// machine has not given a CPU: on a busy machine a Run of a few iterations
// is all waiting, and Iters sized from it would time the waiting.
func (r *PeakRunner) RunOne() { r.runThread(0) }

// runThread does Iters iterations of thread tid's loop.
func (r *PeakRunner) runThread(tid int) {
	iters := r.Iters
	switch r.loop.Prec {
	case benchname.BF16:
		fn := r.loop.runBF16()
		chunked(iters, func(n int) { fn(n, r.c32[tid], peakBF16A, peakBF16B) })
	case benchname.F32:
		fn := r.loop.run32()
		chunked(iters, func(n int) { fn(n, r.c32[tid], peakA, peakB) })
	default:
		fn := r.loop.run64()
		chunked(iters, func(n int) { fn(n, r.c64[tid], peakA, peakB) })
	}
}

// chunked calls fn(n) with n ≤ peakChunk until total iterations are done.
func chunked(total int, fn func(n int)) {
	for total > 0 {
		n := min(total, peakChunk)
		fn(n)
		total -= n
	}
}

// Sum returns the sum of every thread's accumulators, a check that the loop
// ran (each accumulator approaches 1).
func (r *PeakRunner) Sum() float64 {
	s := 0.0
	for _, c := range r.c32 {
		for _, v := range c {
			s += float64(v)
		}
	}
	for _, c := range r.c64 {
		for _, v := range c {
			s += v
		}
	}
	return s
}
