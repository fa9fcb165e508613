package bench

import (
	"sync"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// The machine ceilings (package ceiling) as benchmark families:
//
//	Peak/isa=<level>/prec=<f32|f64>/threads=<t>              GFLOP/s
//	Stream/op=<copy|triad>/threads=<t>/size=<bytes>          GB/s
//
// Stream's size is the working set: all arrays of all threads. Set "dram" is
// STREAM's arrays (2 for copy, 3 for triad) of 128 MiB each, or 4 × L3 if
// that is larger (ceiling.StreamArrayBytes); set "sweep" is
// the working-set sweep from L1-sized to DRAM-sized in steps of about 1.5
// (ceiling.SweepSizes). Stream runs at the highest selected ISA level.
func init() {
	Register(Family{
		Name:        benchname.Peak,
		Doc:         "peak FMA throughput: independent FMA chains in registers, per ISA level and precision (GFLOP/s)",
		Sets:        []string{benchname.SetPeak},
		DefaultSets: []string{benchname.SetPeak},
		Cases:       PeakCases,
	})
	Register(Family{
		Name:        benchname.Stream,
		Doc:         "STREAM copy and triad bandwidth on DRAM-sized arrays (set dram) and over working sets from L1 to DRAM (set sweep) (GB/s)",
		Sets:        []string{benchname.SetDRAM, benchname.SetSweep},
		DefaultSets: []string{benchname.SetDRAM},
		Cases:       StreamCases,
	})
}

// peakIters is the number of peak-loop iterations per op: about 10 ms at
// every level. An interruption of either thread stalls the whole parallel
// region, so many short regions add up the losses of both; ops this long
// keep that loss small (measurements: docs/perf-notes.md#bench-peak-op-length).
const peakIters = 1 << 22

// PeakCases returns Peak/isa=<level>/prec=<prec>/threads=<t> for every
// selected level, both precisions and every thread count.
func PeakCases(opt Options) []Case {
	if !opt.wantSet(benchname.SetPeak, []string{benchname.SetPeak}) {
		return nil
	}
	var cases []Case
	for _, l := range opt.levels() {
		for _, prec := range machine.Precisions() {
			for _, t := range opt.threads() {
				cases = append(cases, peakCase(l, prec, t))
			}
		}
	}
	return cases
}

func peakCase(l cpu.Level, prec benchname.Precision, threads int) Case {
	loop := ceiling.PeakLoop{ISA: l, Prec: prec}
	return Case{
		CaseName: benchname.CaseName{Family: benchname.Peak, ISA: l.String(), Prec: prec, Threads: threads},
		Set:      benchname.SetPeak,
		FLOPs:    float64(threads) * peakIters * loop.FLOPsPerIter(),
		Ceiling:  true,
		Prepare: onContext(l, threads, func(ctx *kernels.Context) (func(), error) {
			r, err := ceiling.NewPeakRunner(ctx, prec, peakIters)
			if err != nil {
				return nil, err
			}
			return r.Run, nil
		}),
	}
}

// streamMinBytes is the least traffic of one Stream op: small working sets
// make several passes per op, so the parallel region's start-up is noise.
const streamMinBytes = 64 << 20

// StreamCases returns Stream/op=<op>/threads=<t>/size=<bytes> for both ops,
// every thread count and the working sets of the selected sets.
func StreamCases(opt Options) []Case {
	info, _ := cpu.Detect()
	defaults := []string{benchname.SetDRAM}
	levels := opt.levels()
	if len(levels) == 0 {
		return nil
	}
	top := levels[0]
	for _, l := range levels {
		top = max(top, l)
	}
	var cases []Case
	seen := map[string]bool{} // the sweep ends at triad's DRAM working set
	add := func(c Case) {
		if !seen[c.Name()] {
			seen[c.Name()] = true
			cases = append(cases, c)
		}
	}
	for _, op := range machine.Ops() {
		for _, t := range opt.threads() {
			if opt.wantSet(benchname.SetDRAM, defaults) {
				add(streamCase(top, op, t, op.Arrays()*ceiling.StreamArrayBytes(info), benchname.SetDRAM))
			}
			if opt.wantSet(benchname.SetSweep, defaults) {
				for _, size := range ceiling.SweepSizes(info) {
					add(streamCase(top, op, t, size, benchname.SetSweep))
				}
			}
		}
	}
	return cases
}

func streamCase(l cpu.Level, op machine.Op, threads, size int, set string) Case {
	size = size / op.BytesPerElem() * op.BytesPerElem()
	passes := max(1, (streamMinBytes+size-1)/size)
	return Case{
		CaseName: benchname.CaseName{Family: benchname.Stream, Op: string(op), Threads: threads, Size: size},
		Set:      set,
		Bytes:    float64(passes) * float64(size),
		Ceiling:  true,
		Prepare: onContext(l, threads, func(ctx *kernels.Context) (func(), error) {
			r, err := ceiling.NewStreamRunner(ctx, op, size)
			if err != nil {
				return nil, err
			}
			r.Passes = passes
			return r.Run, nil
		}),
	}
}

// onContext is a Case.Prepare that opens a Context at level l with threads
// threads, builds the op on it, and closes the Context in the cleanup.
func onContext(l cpu.Level, threads int, build func(ctx *kernels.Context) (func(), error)) func() (func(), func(), error) {
	return func() (func(), func(), error) {
		ctx, err := kernels.NewContext(l, threads)
		if err != nil {
			return nil, nil, err
		}
		op, err := build(ctx)
		if err != nil {
			ctx.Close()
			return nil, nil, err
		}
		return op, ctx.Close, nil
	}
}

// roofs holds the peaks %peak is computed against: from the profile given to
// UseProfile, else measured once per process on first use.
var roofs struct {
	sync.Mutex
	profile *machine.Profile
	peaks   map[roofKey]float64
}

type roofKey struct {
	level   cpu.Level
	threads int
}

// UseProfile makes %peak use the f32 peaks of p (measured once per run by
// benchrun) instead of measuring them; a peak p lacks is still measured.
func UseProfile(p machine.Profile) {
	roofs.Lock()
	defer roofs.Unlock()
	roofs.profile = &p
	roofs.peaks = nil
}

// PeakGFLOPS returns the f32 peak of ISA level l on threads threads that
// %peak divides by: from UseProfile's profile, else measured once per process
// with ceiling.MeasurePeak in its quick mode (about 60 ms). It returns 0 if
// the level cannot run here.
func PeakGFLOPS(l cpu.Level, threads int) float64 {
	roofs.Lock()
	defer roofs.Unlock()
	k := roofKey{l, threads}
	if g, ok := roofs.peaks[k]; ok {
		return g
	}
	g, ok := 0.0, false
	if roofs.profile != nil {
		g, ok = roofs.profile.Peak(l.String(), benchname.F32, threads)
	}
	if !ok {
		g, _ = ceiling.MeasurePeak(l, benchname.F32, threads, true)
	}
	if roofs.peaks == nil {
		roofs.peaks = map[roofKey]float64{}
	}
	roofs.peaks[k] = g
	return g
}

// roofLevel is the ISA level whose peak bounds a case: its isa= value, and
// for isa=native (a library that picks its own instructions) the highest
// level usable here, the best the hardware offers. ok is false for cases
// without a usable isa= value.
func roofLevel(c Case) (cpu.Level, bool) {
	v := c.ISA
	if v == benchname.ISANative {
		info, _ := cpu.Detect()
		return info.Max(), true
	}
	l, err := cpu.ParseLevel(v)
	return l, err == nil && v != ""
}
