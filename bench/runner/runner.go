// Package runner runs cases of bench's case table outside go test, the way
// `go test -bench` runs them: testing.Benchmark around bench.Case.Run, so
// both report the same metrics (ns/op, GFLOP/s, GB/s, %peak, FLOP/byte) under
// the same names, and results of either are interchangeable.
//
// Select picks the cases of a run from the registered families by filters
// (kernel, implementation, ISA level, threads, shape set) and a Preset;
// Runner.Run runs them, repeating the whole list Count times (interleaved:
// every case once, then again, so slow drifts of a shared machine spread over
// all cases), reports progress through events and stops between two cases
// when its context is cancelled, returning the results completed so far.
package runner

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/results"
)

// EventKind says what happened to a case.
type EventKind int

// The events of a run, in order for each case: Start, then Done or Skipped.
const (
	Start   EventKind = iota // the run of a case begins
	Done                     // it finished; Event.Result holds the result
	Skipped                  // it could not run (Event.Err says why)
)

// Event is one step of a run.
type Event struct {
	Kind   EventKind
	Index  int // runs finished before this one (0-based run number)
	Total  int // runs in all: each case's CaseRuns
	Case   bench.Case
	Result results.Result // Done: the result
	Err    error          // Skipped: why
	// Elapsed is the wall time of the run since the start of Run.
	Elapsed time.Duration
}

// Runner runs benchmark cases. The zero value runs each case once at go
// test's default -benchtime (1s).
type Runner struct {
	// Benchtime is -benchtime in go test's syntax: a duration ("200ms") or
	// an iteration count ("10x"). "" keeps the current setting.
	Benchtime string
	// Count is the number of runs of each case (0 means 1).
	Count int
	// Config is the file configuration every result carries.
	Config []results.KeyValue
	// Procs is the -P suffix of result names, GOMAXPROCS as go test names it;
	// 0 means runtime.GOMAXPROCS(0) when Run starts. Cases set their own
	// GOMAXPROCS while they run (their threads= value).
	Procs int
	// Events, if set, is called at every step of the run, from the
	// goroutine that called Run.
	Events func(Event)
}

// benchMu serialises runs: -benchtime is process-wide state of package
// testing.
var benchMu sync.Mutex

// CheckBenchtime returns an error unless s is a valid -benchtime: a positive
// duration or a positive iteration count "Nx".
func CheckBenchtime(s string) error {
	if n, ok := strings.CutSuffix(s, "x"); ok {
		if v, err := strconv.Atoi(n); err != nil || v < 1 {
			return fmt.Errorf("bad benchtime %q: want a positive duration or iteration count, e.g. 200ms or 10x", s)
		}
		return nil
	}
	if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		return fmt.Errorf("bad benchtime %q: want a positive duration or iteration count, e.g. 200ms or 10x", s)
	}
	return nil
}

// Run runs every case Count times, the whole list once per round, and
// returns the results in the order they finished. Cases that cannot run here
// (their Prepare fails) are reported as Skipped events and have no result.
// When ctx is cancelled, Run finishes the case in progress, then returns the
// results so far together with ctx's error.
func (r *Runner) Run(ctx context.Context, cases []bench.Case) ([]results.Result, error) {
	if r.Benchtime != "" {
		if err := CheckBenchtime(r.Benchtime); err != nil {
			return nil, err
		}
	}
	benchMu.Lock()
	defer benchMu.Unlock()
	testing.Init()
	if r.Benchtime != "" {
		f := flag.Lookup("test.benchtime")
		old := f.Value.String()
		if err := f.Value.Set(r.Benchtime); err != nil {
			return nil, err
		}
		defer f.Value.Set(old)
	}
	procs := r.Procs
	if procs == 0 {
		procs = runtime.GOMAXPROCS(0)
	}
	count := max(r.Count, 1)
	total := Runs(cases, count)
	start := time.Now()
	emit := func(e Event) {
		if r.Events != nil {
			e.Total, e.Elapsed = total, time.Since(start)
			r.Events(e)
		}
	}
	var out []results.Result
	idx := -1
	for round := range count {
		for _, c := range cases {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			if round >= CaseRuns(c, count) {
				continue
			}
			idx++
			emit(Event{Kind: Start, Index: idx, Case: c})
			res, err := runOne(c, procs, r.Config)
			if err != nil {
				emit(Event{Kind: Skipped, Index: idx, Case: c, Err: err})
				continue
			}
			out = append(out, res)
			emit(Event{Kind: Done, Index: idx, Case: c, Result: res})
		}
	}
	return out, nil
}

// runOne runs c once through testing.Benchmark.
func runOne(c bench.Case, procs int, config []results.KeyValue) (results.Result, error) {
	var prepErr error
	prepare := c.Prepare
	c.Prepare = func() (func(), func(), error) {
		op, cleanup, err := prepare()
		prepErr = err
		return op, cleanup, err
	}
	br := testing.Benchmark(c.Run)
	if prepErr != nil {
		return results.Result{}, prepErr
	}
	if br.N < 1 {
		return results.Result{}, fmt.Errorf("%s: the benchmark did not run", c.Name())
	}
	return results.FromBenchmark(c.Name(), procs, br, config), nil
}
