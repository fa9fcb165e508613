// Package bench is trainbench's one table of benchmark cases: every kernel
// crossed with its implementations, ISA levels, thread counts and shapes from
// real models. The same cases run under `go test -bench` (the _test.go files
// here iterate the table) and under cmd/benchrun (which calls Case.Run through
// testing.Benchmark), so the two can never disagree about what a name means.
// Only tuning sweeps that need a package's unexported internals live
// elsewhere, beside that package (the README lists them).
//
// Case names follow Benchmark<Family>/<key>=<value>/... with keys in the
// fixed order of package benchname (pass, impl, isa, threads, then the
// shape), so benchstat can slice results by any key (-col /impl, -row
// /shape). Each case reports GFLOP/s and GB/s from the kernel's own FLOP
// and byte formulas, and sets them against the ceiling of the resource that
// bounds it (package ceiling, Case.Metrics): %peak of the measured FLOP peak
// of its ISA level and thread count, or %bw of the measured bandwidth of the
// memory level its working set fits in, and its arithmetic intensity in
// FLOP/byte. The ceilings themselves are the Peak and Stream families.
package bench

import (
	"runtime"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// Case is one benchmark: one kernel, implementation, ISA level, thread count
// and shape.
type Case struct {
	// CaseName is the case's name, typed: family ("Sgemm", Benchmark<Family>
	// in go test), pass, impl, isa, threads (Run sets GOMAXPROCS to it),
	// shape... (package benchname's schema).
	benchname.CaseName
	Set   string  // the shape set the shape belongs to (benchname.SetSquare, ...)
	FLOPs float64 // floating-point operations per op
	// ExecFLOPs, if not 0, are the operations the implementation does where
	// an algorithm does fewer than FLOPs count (winograd): GFLOP/s counts
	// FLOPs, so that implementations of a pass compare; %peak counts these,
	// so that it stays a share of what the machine can do.
	ExecFLOPs float64
	Bytes     float64 // compulsory bytes moved per op (0 if not meaningful)
	// Ceiling marks the cases that measure a machine ceiling themselves
	// (Peak, Stream): Run reports no %peak and no FLOP/byte for them.
	Ceiling bool
	// MaxRuns, if not 0, is how many of a run's interleaved rounds measure
	// the case at most (package runner): a whole training step of a large
	// network takes seconds to set up and to run, and a few runs price it.
	MaxRuns int
	// Prepare allocates the inputs and returns the op to time and a cleanup
	// function. It is called once per Run, outside the timed region.
	Prepare func() (op func(), cleanup func(), err error)
}

// Name is the full benchmark name without the "Benchmark" prefix:
// "Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64".
func (c Case) Name() string { return c.Format() }

// Run times the case with b.Loop and reports its Metrics. GOMAXPROCS is set
// to the case's thread count for the run, so libraries that size themselves
// by GOMAXPROCS (gonum) get the same parallelism as our kernels.
//
// The op runs once untimed before the loop: the first call pays one-time
// costs that a training run pays once, not per step (a Context's workspaces
// grow, fresh output pages fault in, worker threads start). Timed, it would
// weigh on every large case, which b.Loop runs only a few times at short
// benchtimes (measurements: docs/perf-notes.md#bench-untimed-first-call).
func (c Case) Run(b *testing.B) {
	if c.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.Threads))
	}
	op, cleanup, err := c.Prepare()
	if err != nil {
		b.Skipf("%s: %v", c.Name(), err)
		return
	}
	defer cleanup()
	op()
	for b.Loop() {
		op()
	}
	for _, m := range c.Metrics(b.N, b.Elapsed(), c.roof()) {
		b.ReportMetric(m.Value, m.Unit)
	}
}

// The units of a case's share of its ceiling (Case.Metrics).
const (
	UnitPeak = "%peak" // of the FLOP peak of the ISA level it ran
	UnitBW   = "%bw"   // of the bandwidth of the memory level its working set fits
)

// Roof is what a case is held against: the FLOP peak of the ISA level it
// ran at on its thread count, the peak of the highest level usable here,
// and the bandwidth of the memory level its working set fits in on that
// many threads. A zero field is unknown.
type Roof struct {
	PeakGFLOPS float64
	BestGFLOPS float64
	GBs        float64
}

// roof measures or looks up c's Roof (none for a ceiling case).
func (c Case) roof() Roof {
	if c.Ceiling {
		return Roof{}
	}
	var r Roof
	threads := max(c.Threads, 1)
	if l, ok := roofLevel(c); ok && c.FLOPs > 0 {
		info, _ := cpu.Detect()
		if c.Prec == benchname.BF16 { // held against the bf16 peak, the best a bf16 kernel can do
			r.PeakGFLOPS = PrecPeakGFLOPS(l, benchname.BF16, threads)
			r.BestGFLOPS = r.PeakGFLOPS
		} else {
			r.PeakGFLOPS = PeakGFLOPS(l, threads)
			r.BestGFLOPS = PeakGFLOPS(info.Max(), threads)
		}
	}
	if c.Bytes > 0 {
		_, r.GBs = MemoryGBs(c.Bytes, threads)
	}
	return r
}

// MemoryBound reports whether a kernel of intensity flops/bytes is bound by
// memory on this machine, as the roofline has it: the bandwidth times the
// intensity is below the best FLOP peak (BestGFLOPS, else PeakGFLOPS). The
// best level's peak, not the case's own, decides, so that a kernel is bound
// by the same resource at every ISA level: a scalar ReLU is slow memory
// traffic, not fast arithmetic. A case that counts no FLOPs is memory
// bound; one that counts no bytes, or whose bandwidth is unknown, is not.
func (r Roof) MemoryBound(flops, bytes float64) bool {
	peak := r.BestGFLOPS
	if peak <= 0 {
		peak = r.PeakGFLOPS
	}
	switch {
	case bytes <= 0 || r.GBs <= 0:
		return false
	case flops <= 0 || peak <= 0:
		return true
	}
	return r.GBs*flops/bytes < peak
}

// Metric is one reported benchmark metric.
type Metric struct {
	Value float64
	Unit  string
}

// Metrics are what Run reports after n ops in elapsed time:
//
//	GFLOP/s    FLOPs per second, when the case counts FLOPs
//	GB/s       compulsory bytes per second, when it counts bytes
//	%peak      100 · GFLOP/s / roof.PeakGFLOPS, for a compute-bound case
//	           (of ExecFLOPs where the case sets them)
//	%bw        100 · GB/s / roof.GBs, for a memory-bound one (MemoryBound)
//	FLOP/byte  arithmetic intensity FLOPs/Bytes, when it counts both
//
// Each case gets one share, of the ceiling of the resource that bounds it,
// so that the number means how close it comes to what this machine allows.
// Run passes as roof the measured f32 peak (the bf16 peak for a prec=bf16
// case) of the case's ISA level and thread count (PeakGFLOPS: isa=generic against
// the scalar pure-Go peak, isa=native, a library that picks its own
// instructions, against the highest level usable here), and the bandwidth
// of the memory level its compulsory bytes fit in (MemoryGBs). A share
// above 100 is not a result: the ceiling was measured low (a busy machine)
// or the data sat in a faster level than its size suggests; readers flag
// it. Ceiling cases get neither share nor FLOP/byte.
func (c Case) Metrics(n int, elapsed time.Duration, roof Roof) []Metric {
	s := elapsed.Seconds()
	if s <= 0 || n <= 0 {
		return nil
	}
	var ms []Metric
	gflops := c.FLOPs * float64(n) / s / 1e9
	gbs := c.Bytes * float64(n) / s / 1e9
	if c.FLOPs > 0 {
		ms = append(ms, Metric{gflops, "GFLOP/s"})
	}
	if c.Bytes > 0 {
		ms = append(ms, Metric{gbs, "GB/s"})
	}
	if !c.Ceiling {
		exec, execGFLOPs := c.FLOPs, gflops
		if c.ExecFLOPs > 0 {
			exec, execGFLOPs = c.ExecFLOPs, c.ExecFLOPs*float64(n)/s/1e9
		}
		switch {
		case roof.MemoryBound(exec, c.Bytes):
			ms = append(ms, Metric{100 * gbs / roof.GBs, UnitBW})
		case exec > 0 && roof.PeakGFLOPS > 0:
			ms = append(ms, Metric{100 * execGFLOPs / roof.PeakGFLOPS, UnitPeak})
		}
	}
	if c.FLOPs > 0 && c.Bytes > 0 && !c.Ceiling {
		ms = append(ms, Metric{c.FLOPs / c.Bytes, "FLOP/byte"})
	}
	return ms
}

// OverCeiling reports whether a share of a ceiling (%peak, %bw) is above
// 100: not a result, but a sign the ceiling or the case's roof is wrong.
func OverCeiling(share float64) bool { return share > 100 }

// RunAll runs each case as a sub-benchmark of b, named by SubName.
func RunAll(b *testing.B, cases []Case) {
	for _, c := range cases {
		b.Run(c.SubName(), c.Run)
	}
}

// Filter keeps the cases for which keep returns true.
func Filter(cases []Case, keep func(Case) bool) []Case {
	var out []Case
	for _, c := range cases {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}
