package ceiling

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// Options say what Measure measures and for how long. The zero value is a
// full measurement at 1 thread and at every physical core.
type Options struct {
	// Quick shortens every measurement (a few runs of milliseconds) and
	// sweeps only at the smallest and largest thread count: about 3 s on 2
	// cores instead of about 30 s.
	Quick bool
	// Threads are the thread counts to measure; nil means 1 and the number
	// of physical cores.
	Threads []int
	// Levels are the ISA levels whose peaks are measured; nil means every
	// usable level. Bandwidths are measured at the highest of them.
	Levels []cpu.Level
	// Progress, if not nil, gets one line per measurement as it finishes.
	Progress io.Writer
	// Context, if not nil, stops the measurement when it is done: Measure
	// checks it between timed runs (each tens of milliseconds at most) and
	// returns its error, so a Ctrl-C acts at once rather than after the
	// whole measurement.
	Context context.Context
}

// budget is how long one measurement runs: reps timed runs of about run each,
// after a calibration that doubles as the warm-up.
type budget struct {
	run  time.Duration
	reps int
}

// budgets for the peak, the DRAM STREAM and the sweep, quick and full. Short
// runs, many of them: on a shared machine a short run has a fair chance of
// running uninterrupted, and the best run is the one that counts.
func (o Options) budgets() (peak, stream, sweep budget) {
	if o.Quick {
		return budget{2 * time.Millisecond, 10}, budget{10 * time.Millisecond, 3}, budget{2 * time.Millisecond, 5}
	}
	return budget{20 * time.Millisecond, 25}, budget{50 * time.Millisecond, 10}, budget{10 * time.Millisecond, 10}
}

func (o Options) threads(info cpu.Info) []int {
	if o.Threads != nil {
		return o.Threads
	}
	if info.PhysicalCores > 1 {
		return []int{1, info.PhysicalCores}
	}
	return []int{1}
}

func (o Options) levels(info cpu.Info) []cpu.Level {
	if o.Levels != nil {
		return o.Levels
	}
	return info.Levels()
}

// Measure measures this machine's ceilings: the clock, the peak FLOP/s of
// every selected ISA level in f32 and f64 (and bf16 at avx512 on a CPU with
// AVX512_BF16), STREAM copy and triad on
// DRAM-sized arrays, and the triad working-set sweep from which the bandwidth
// of each cache level is read, each at every selected thread count. It fails
// if an ISA level or thread count is not usable here, and returns the
// error of opts.Context (wrapped) if that is done before it finishes.
func Measure(opts Options) (machine.Profile, error) {
	ctx := opts.Context
	if ctx == nil {
		ctx = context.Background()
	}
	info, err := cpu.Detect()
	if err != nil {
		return machine.Profile{}, err
	}
	levels := opts.levels(info)
	if len(levels) == 0 {
		return machine.Profile{}, fmt.Errorf("ceiling: no ISA levels to measure")
	}
	for _, l := range levels {
		if err := info.Check(l); err != nil {
			return machine.Profile{}, fmt.Errorf("ceiling: %w", err)
		}
	}
	threads := opts.threads(info)
	for _, t := range threads {
		if t < 1 || t > kernels.MaxThreads {
			return machine.Profile{}, fmt.Errorf("ceiling: thread count %d outside [1, %d]", t, kernels.MaxThreads)
		}
	}
	pb, sb, wb := opts.budgets()
	say := func(format string, args ...any) {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "ceiling: "+format+"\n", args...)
		}
	}
	p := FromInfo(info)
	p.Mode = "full"
	if opts.Quick {
		p.Mode = "quick"
	}

	ghz, err := measureClock(ctx, opts.Quick)
	if err != nil {
		return machine.Profile{}, err
	}
	if ghz > 0 {
		p.ClockGHz, p.ClockSource = round(ghz, 3), "add-chain"
		say("clock %.3f GHz (dependent add chain)", ghz)
	}
	for _, l := range levels {
		for _, loop := range Loops(info, l) {
			for _, t := range threads {
				g, err := measurePeak(ctx, l, loop.Prec, t, pb)
				if err != nil {
					return machine.Profile{}, err
				}
				p.Peaks = append(p.Peaks, machine.Peak{ISA: l.String(), Prec: loop.Prec, Threads: t, GFLOPS: round(g, 2)})
				say("peak %s %s threads=%d: %.1f GFLOP/s", l, loop.Prec, t, g)
			}
		}
	}
	if p.ClockGHz > 0 {
		for _, l := range levels {
			for _, loop := range Loops(info, l) {
				g := DatasheetGFLOPS(loop, info.PhysicalCores, p.ClockGHz)
				p.Datasheet = append(p.Datasheet, machine.Peak{ISA: l.String(), Prec: loop.Prec, Threads: info.PhysicalCores, GFLOPS: round(g, 2)})
			}
		}
	}

	top := slices.Max(levels)
	p.StreamArrayBytes = StreamArrayBytes(info)
	if err := stopped(ctx); err != nil {
		return machine.Profile{}, err
	}
	arena, err := allocArena(top, slices.Max(threads), p.StreamArrayBytes/8)
	if err != nil {
		return machine.Profile{}, err
	}
	for _, op := range machine.Ops() {
		for _, t := range threads {
			size := op.Arrays() * p.StreamArrayBytes
			g, got, err := measureStream(ctx, top, op, t, size, arena, sb)
			if err != nil {
				return machine.Profile{}, err
			}
			p.Streams = append(p.Streams, machine.Bandwidth{Op: op, Threads: t, Size: got, GBs: round(g, 2)})
			say("stream %s threads=%d size=%d: %.1f GB/s", op, t, got, g)
		}
	}
	sweepThreads := threads
	if opts.Quick && len(threads) > 2 {
		sweepThreads = []int{slices.Min(threads), slices.Max(threads)}
	}
	for _, t := range sweepThreads {
		for _, size := range SweepSizes(info) {
			g, got, err := measureStream(ctx, top, machine.Triad, t, size, arena, wb)
			if err != nil {
				return machine.Profile{}, err
			}
			p.Sweep = append(p.Sweep, machine.Bandwidth{Op: machine.Triad, Threads: t, Size: got, GBs: round(g, 2)})
		}
		say("sweep triad threads=%d: %d working sets", t, len(SweepSizes(info)))
	}
	p.Caches = CacheBandwidths(info, p.Sweep)
	for _, c := range p.Caches {
		say("cache %s threads=%d: %.1f GB/s", c.Level, c.Threads, c.GBs)
	}
	p.Sort()
	return p, nil
}

// MeasurePeak measures the peak GFLOP/s of ISA level l in precision prec on
// threads threads: the best of several runs of the peak loop (quick: 10 runs
// of 2 ms; otherwise 25 of 20 ms).
func MeasurePeak(l cpu.Level, prec benchname.Precision, threads int, quick bool) (float64, error) {
	pb, _, _ := Options{Quick: quick}.budgets()
	return measurePeak(context.Background(), l, prec, threads, pb)
}

func measurePeak(ctx context.Context, l cpu.Level, prec benchname.Precision, threads int, b budget) (float64, error) {
	if err := stopped(ctx); err != nil {
		return 0, err
	}
	kctx, err := kernels.NewContext(l, threads)
	if err != nil {
		return 0, fmt.Errorf("ceiling: peak %s %s threads=%d: %w", l, prec, threads, err)
	}
	defer kctx.Close()
	r, err := NewPeakRunner(kctx, prec, 1)
	if err != nil {
		return 0, err
	}
	if err := calibrate(ctx, func(n int) { r.Iters = n }, r.RunOne, b.run); err != nil {
		return 0, err
	}
	// Warm the pool up: its workers parked while the caller calibrated, and the
	// operating system may wake a parked thread on its waker's CPU
	// (docs/perf-notes.md#ceiling-sizing-the-peak-loop-beside-a-busy-cpu).
	for range 4 {
		r.Run()
	}
	rate, err := bestRate(ctx, r.Run, r.FLOPs(), b.reps)
	return rate / 1e9, err
}

// allocArena allocates the arrays every stream measurement of Measure works
// in, written first by threads threads: faulting in fresh memory on every
// measurement would cost more than the measurements.
func allocArena(l cpu.Level, threads, elems int) (*streamArena, error) {
	ctx, err := kernels.NewContext(l, threads)
	if err != nil {
		return nil, fmt.Errorf("ceiling: stream arrays: %w", err)
	}
	defer ctx.Close()
	return newStreamArena(ctx, elems), nil
}

// measureStream returns the best GB/s of op on a working set of about size
// bytes in the arena and the exact size.
func measureStream(ctx context.Context, l cpu.Level, op machine.Op, threads, size int, arena *streamArena, b budget) (float64, int, error) {
	if err := stopped(ctx); err != nil {
		return 0, 0, err
	}
	kctx, err := kernels.NewContext(l, threads)
	if err != nil {
		return 0, 0, fmt.Errorf("ceiling: stream %s threads=%d: %w", op, threads, err)
	}
	defer kctx.Close()
	r, err := newStreamRunner(kctx, op, size, arena)
	if err != nil {
		return 0, 0, err
	}
	if err := calibrate(ctx, func(n int) { r.Passes = n }, r.Run, b.run); err != nil {
		return 0, 0, err
	}
	rate, err := bestRate(ctx, r.Run, r.Bytes(), b.reps)
	return rate / 1e9, r.Size(), err
}

// stopped returns ctx's error, wrapped, once ctx is done.
func stopped(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("ceiling: measurement stopped: %w", err)
	}
	return nil
}

// calibrate sets the repeat count with set so that run takes about target:
// it grows the count from 1 until a run takes at least an eighth of target,
// then scales it. The runs double as the warm-up. Each run takes at most
// about target, and ctx is checked between them.
func calibrate(ctx context.Context, set func(n int), run func(), target time.Duration) error {
	n := 1
	for {
		if err := stopped(ctx); err != nil {
			return err
		}
		set(n)
		d := timeRun(run)
		if d >= target/8 || n >= 1<<40 {
			set(max(1, int(float64(n)*float64(target)/float64(max(d, 1)))))
			run()
			return nil
		}
		grow := 64
		if d > 0 {
			grow = min(64, max(2, int(float64(target)/float64(d)/2)))
		}
		n *= grow
	}
}

// bestRate runs run reps times and returns the best rate, work per second.
// A ceiling is the best the machine did: slower runs measured interference.
// ctx is checked between runs.
func bestRate(ctx context.Context, run func(), work float64, reps int) (float64, error) {
	best := 0.0
	for i := 0; i < max(reps, 1); i++ {
		if err := stopped(ctx); err != nil {
			return 0, err
		}
		if d := timeRun(run).Seconds(); d > 0 {
			best = max(best, work/d)
		}
	}
	return best, nil
}

func timeRun(run func()) time.Duration {
	start := time.Now()
	run()
	return time.Since(start)
}

// round rounds v to the given number of decimals, so profiles print and
// parse back exactly.
func round(v float64, decimals int) float64 {
	s := math.Pow(10, float64(decimals))
	return math.Round(v*s) / s
}

// FMAPipes is the number of full-width FMA pipes per core the datasheet peak
// assumes (see DatasheetGFLOPS).
const FMAPipes = 2

// DatasheetGFLOPS is the peak the spec sheet would give for loop's ISA level
// and precision on cores cores: cores × clock × FLOP per cycle, with FLOP per
// cycle = FMAPipes × 2 × Lanes. The assumptions, stated: the clock is the one
// given (Measure passes the measured running clock of one busy core, not the
// base clock on the box, and assumes every core holds it); every core has two
// FMA pipes of the full vector width, as Zen 5, Ice Lake-SP and Sapphire
// Rapids do (Zen 4 splits 512-bit operations into two 256-bit halves and some
// Xeons have one 512-bit FMA unit: there the measured peak is half of this);
// at generic, two scalar FMAs (or a multiply and an add) per cycle.
func DatasheetGFLOPS(loop PeakLoop, cores int, clockGHz float64) float64 {
	return float64(cores) * clockGHz * FMAPipes * 2 * float64(loop.Lanes())
}

// StreamArrayBytes is the size of each STREAM array: 2^24 float64 (128 MiB,
// the size of the C STREAM runs in docs/perf-notes.md#ceiling-c-reference),
// or four times the L3 if that is larger (the STREAM rule), so the kernels
// run from DRAM.
func StreamArrayBytes(info cpu.Info) int {
	return max(8<<24, 4*info.L3/8*8)
}

// sweepMin is the smallest working set of the sweep: well inside any L1.
const sweepMin = 12 << 10

// SweepSizes returns the working sets (bytes, all arrays of all threads) of
// the triad sweep: from 12 KiB, each about 1.5 times the last, to the DRAM
// STREAM triad working set. Every size is a multiple of 3 KiB, a whole number
// of elements for both ops' arrays.
func SweepSizes(info cpu.Info) []int {
	const unit = 3 << 10
	last := machine.Triad.Arrays() * StreamArrayBytes(info)
	var sizes []int
	for s := sweepMin; s < last; s = max(s+unit, int(math.Round(float64(s)*1.5/unit))*unit) {
		sizes = append(sizes, s)
	}
	return append(sizes, last)
}

// CacheBandwidths reads the bandwidth of each memory level from sweep points:
// for each thread count, the best rate among the working sets that sit well
// inside the level and well outside the one above it. With w the working set
// per thread and W the total:
//
//	l1    w ≤ L1D/2
//	l2    2·L1D ≤ w ≤ L2/2
//	l3    2·threads·L2 ≤ W ≤ L3/2           (only when L3 is known)
//	dram  W ≥ 4·L3, and at least 128 MiB and 8·threads·L2
//
// A level whose cache size is unknown (0) or that has no sweep point in its
// range is left out.
func CacheBandwidths(info cpu.Info, sweep []machine.Bandwidth) []machine.Bandwidth {
	var out []machine.Bandwidth
	var threads []int
	for _, b := range sweep {
		if !slices.Contains(threads, b.Threads) {
			threads = append(threads, b.Threads)
		}
	}
	for _, t := range threads {
		in := func(level string, b machine.Bandwidth) bool {
			w, W := b.Size/t, b.Size
			switch level {
			case machine.LevelL1:
				return info.L1D > 0 && w <= info.L1D/2
			case machine.LevelL2:
				return info.L1D > 0 && info.L2 > 0 && w >= 2*info.L1D && w <= info.L2/2
			case machine.LevelL3:
				return info.L2 > 0 && info.L3 > 0 && W >= 2*t*info.L2 && W <= info.L3/2
			}
			return W >= max(4*info.L3, 128<<20, 8*t*info.L2)
		}
		for _, level := range machine.CacheLevels() {
			best := machine.Bandwidth{}
			for _, b := range sweep {
				if b.Threads == t && in(level, b) && b.GBs > best.GBs {
					best = b
				}
			}
			if best.GBs > 0 {
				out = append(out, machine.Bandwidth{Op: best.Op, Level: level, Threads: t, GBs: best.GBs})
			}
		}
	}
	return out
}
