// Package bench is trainbench's one table of benchmark cases: every kernel
// crossed with its implementations, ISA levels, thread counts and shapes from
// real models. The same cases run under `go test -bench` (the _test.go files
// here iterate the table) and under cmd/benchrun (which calls Case.Run through
// testing.Benchmark), so the two can never disagree about what a name means.
//
// Case names follow Benchmark<Family>/<key>=<value>/... with keys in the
// fixed order of package benchname (pass, impl, isa, threads, then the
// shape), so benchstat can slice results by any key (-col /impl, -row
// /shape). Each case reports GFLOP/s
// and GB/s from the kernel's own FLOP and byte formulas, and sets them
// against the machine (package ceiling): %peak of the measured peak of its
// ISA level and thread count, and its arithmetic intensity in FLOP/byte
// (see Case.Metrics). The ceilings themselves are the Peak and Stream
// families.
package bench

import (
	"runtime"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
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
	Bytes float64 // compulsory bytes moved per op (0 if not meaningful)
	// Ceiling marks the cases that measure a machine ceiling themselves
	// (Peak, Stream): Run reports no %peak and no FLOP/byte for them.
	Ceiling bool
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
	peak := 0.0
	if l, ok := roofLevel(c); ok && c.FLOPs > 0 && !c.Ceiling {
		peak = PeakGFLOPS(l, max(c.Threads, 1))
	}
	for _, m := range c.Metrics(b.N, b.Elapsed(), peak) {
		b.ReportMetric(m.Value, m.Unit)
	}
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
//	%peak      100 · GFLOP/s / peakGFLOPS, when peakGFLOPS > 0
//	FLOP/byte  arithmetic intensity FLOPs/Bytes, when it counts both
//
// Run passes as peakGFLOPS the measured f32 peak (every kernel here is
// float32) of the case's ISA level and thread count, PeakGFLOPS(level,
// threads): isa=generic cases are held against the scalar pure-Go peak,
// the most Go code the compiler vectorises nothing of can reach (a library
// with its own assembly, like gonum's SSE loops, can pass 100%); isa=native
// cases (system libraries that pick their own instructions) against the
// highest level usable here, the best this hardware offers. Ceiling cases
// get neither %peak nor FLOP/byte.
func (c Case) Metrics(n int, elapsed time.Duration, peakGFLOPS float64) []Metric {
	s := elapsed.Seconds()
	if s <= 0 || n <= 0 {
		return nil
	}
	var ms []Metric
	gflops := c.FLOPs * float64(n) / s / 1e9
	if c.FLOPs > 0 {
		ms = append(ms, Metric{gflops, "GFLOP/s"})
	}
	if c.Bytes > 0 {
		ms = append(ms, Metric{c.Bytes * float64(n) / s / 1e9, "GB/s"})
	}
	if c.FLOPs > 0 && peakGFLOPS > 0 && !c.Ceiling {
		ms = append(ms, Metric{100 * gflops / peakGFLOPS, "%peak"})
	}
	if c.FLOPs > 0 && c.Bytes > 0 && !c.Ceiling {
		ms = append(ms, Metric{c.FLOPs / c.Bytes, "FLOP/byte"})
	}
	return ms
}

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
