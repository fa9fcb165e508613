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
//	Peak/isa=<level>/prec=<f32|f64|bf16>/threads=<t>         GFLOP/s (bf16 at avx512 only)
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
		Build:       peakCases,
	})
	Register(Family{
		Name:        benchname.Stream,
		Doc:         "STREAM copy and triad bandwidth on DRAM-sized arrays (set dram) and over working sets from L1 to DRAM (set sweep) (GB/s)",
		Sets:        []string{benchname.SetDRAM, benchname.SetSweep},
		DefaultSets: []string{benchname.SetDRAM},
		Build:       streamCases,
	})
}

// peakIters is the number of peak-loop iterations per op: about 10 ms at
// every level. An interruption of either thread stalls the whole parallel
// region, so many short regions add up the losses of both; ops this long
// keep that loss small (measurements: docs/perf-notes.md#bench-peak-op-length).
const peakIters = 1 << 22

// peakCases returns Peak/isa=<level>/prec=<prec>/threads=<t> for every
// selected level, f32 and f64 (and bf16 at avx512) and every thread count.
func peakCases(opt Options) []Case {
	if !opt.wantSet(benchname.SetPeak) {
		return nil
	}
	var cases []Case
	for _, l := range opt.levels() {
		for _, prec := range machine.Precisions() {
			if prec == benchname.BF16 && l != cpu.AVX512 {
				continue // bf16 is an avx512 loop; on a CPU without AVX512_BF16 its case skips saying so
			}
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

// streamCases returns Stream/op=<op>/threads=<t>/size=<bytes> for both ops,
// every thread count and the working sets of the selected sets.
func streamCases(opt Options) []Case {
	info, _ := cpu.Detect()
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
			if opt.wantSet(benchname.SetDRAM) {
				add(streamCase(top, op, t, op.Arrays()*ceiling.StreamArrayBytes(info), benchname.SetDRAM))
			}
			if opt.wantSet(benchname.SetSweep) {
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

// roofs holds the ceilings %peak and %bw are computed against: from the
// profile given to UseProfile, else measured once per process on first use.
var roofs struct {
	sync.Mutex
	profile  *machine.Profile
	peaks    map[roofKey]float64
	measured *machine.Profile // the bandwidths measured without a profile
}

type roofKey struct {
	level   cpu.Level
	prec    benchname.Precision
	threads int
}

// UseProfile makes %peak and %bw use the f32 peaks and the cache
// bandwidths of p (measured once per run by benchrun) instead of measuring
// them; a peak p lacks is still measured.
func UseProfile(p machine.Profile) {
	roofs.Lock()
	defer roofs.Unlock()
	roofs.profile = &p
	roofs.peaks = nil
}

// MemoryGBs returns the memory level a working set of bytes on threads
// threads fits in (machine.LevelL1 ... LevelDRAM) and its measured
// bandwidth, all threads together, that %bw divides by: from UseProfile's
// profile when it has a cache sweep, else measured once per process with
// ceiling.Measure in its quick mode (a few seconds). gbs is 0 when nothing
// is known.
//
// The working set is taken as the case's compulsory bytes, as the report's
// roofline takes it: an array read and written counts twice, so the level
// is never a faster one than the data really fit. L1 and L2 are per core:
// the set is split over the threads. When the level's bandwidth was not
// measured, the next faster level's is used, and when L3's size is unknown a
// set past L2 is held against L2: a roof too high rather than too low, so
// that a share above 100 means the ceiling, not the rule, is wrong.
func MemoryGBs(bytes float64, threads int) (level string, gbs float64) {
	p := bandwidthProfile()
	if p == nil || len(p.Caches) == 0 {
		return "", 0
	}
	return cacheRoof(*p, bytes, threads)
}

// bandwidthProfile returns the profile whose cache bandwidths %bw uses.
func bandwidthProfile() *machine.Profile {
	roofs.Lock()
	defer roofs.Unlock()
	if roofs.profile != nil && len(roofs.profile.Caches) > 0 {
		return roofs.profile
	}
	if roofs.measured == nil {
		info, _ := cpu.Detect()
		p, err := ceiling.Measure(ceiling.Options{Quick: true, Levels: []cpu.Level{info.Max()}})
		if err != nil {
			p = machine.Profile{}
		}
		roofs.measured = &p
	}
	return roofs.measured
}

// cacheRoof is MemoryGBs on profile p.
func cacheRoof(p machine.Profile, bytes float64, threads int) (string, float64) {
	levels := machine.CacheLevels()
	fit := len(levels) - 1
	perThread := bytes / float64(max(threads, 1))
	switch {
	case p.L1D > 0 && perThread <= float64(p.L1D):
		fit = 0
	case p.L2 > 0 && perThread <= float64(p.L2):
		fit = 1
	case p.L3 > 0 && bytes <= float64(p.L3):
		fit = 2
	case p.L3 == 0 && p.L2 > 0:
		fit = 1 // L3 or DRAM: no faster than L2
	}
	for i := fit; i >= 0; i-- {
		if g := levelGBs(p, levels[i], threads); g > 0 {
			return levels[i], g
		}
	}
	return "", 0
}

// levelGBs is the bandwidth of level on threads threads: as measured at
// that thread count, else for the per-core levels (L1, L2) the per-thread
// rate at the fewest threads measured times threads, and for the shared
// ones (L3, DRAM) the rate at the nearest thread count above, or the
// highest measured.
func levelGBs(p machine.Profile, level string, threads int) float64 {
	if g, ok := p.Cache(level, threads); ok {
		return g
	}
	var at []machine.Bandwidth
	for _, b := range p.Caches {
		if b.Level == level {
			at = append(at, b)
		}
	}
	if len(at) == 0 {
		return 0
	}
	fewest, above, most := at[0], machine.Bandwidth{}, at[0]
	for _, b := range at {
		if b.Threads < fewest.Threads {
			fewest = b
		}
		if b.Threads > threads && (above.Threads == 0 || b.Threads < above.Threads) {
			above = b
		}
		if b.Threads > most.Threads {
			most = b
		}
	}
	if level == machine.LevelL1 || level == machine.LevelL2 {
		return fewest.GBs / float64(fewest.Threads) * float64(threads)
	}
	if above.Threads > 0 {
		return above.GBs
	}
	return most.GBs
}

// PeakGFLOPS returns the f32 peak of ISA level l on threads threads that
// %peak divides by: from UseProfile's profile, else measured once per process
// with ceiling.MeasurePeak in its quick mode (about 60 ms). It returns 0 if
// the level cannot run here.
func PeakGFLOPS(l cpu.Level, threads int) float64 { return PrecPeakGFLOPS(l, benchname.F32, threads) }

// PrecPeakGFLOPS is PeakGFLOPS for the peak loop of precision prec: the
// roof of a prec=bf16 case is the bf16 peak (0 where the CPU lacks
// AVX512_BF16).
func PrecPeakGFLOPS(l cpu.Level, prec benchname.Precision, threads int) float64 {
	roofs.Lock()
	defer roofs.Unlock()
	k := roofKey{l, prec, threads}
	if g, ok := roofs.peaks[k]; ok {
		return g
	}
	g, ok := 0.0, false
	if roofs.profile != nil {
		g, ok = roofs.profile.Peak(l.String(), prec, threads)
	}
	if !ok {
		g, _ = ceiling.MeasurePeak(l, prec, threads, true)
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
