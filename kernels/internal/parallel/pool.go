// Package parallel runs a kernel's work on a fixed set of long-lived workers.
//
// A Pool with T threads owns T-1 goroutines started once; Run hands the same
// function to every worker and to the calling goroutine, each with its own
// thread index, and returns when all have finished. Kernels split their output
// by thread index (SGEMM sizes the shares by the threads' measured speeds), and
// every element is computed by one thread in an order that does not depend on
// the split, so a given thread count always gives bit-identical results.
//
// Workers spin briefly before parking, because training steps call many small
// kernels back to back and waking a parked goroutine costs microseconds.
package parallel

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// spinTime is how long a waiting thread polls before it parks: a worker
// waiting for the next Run, and the caller waiting for the workers to finish
// one. yieldEvery is how often a spinning goroutine yields its P (and looks at
// the clock), so that spinning never starves the goroutine it waits for when
// GOMAXPROCS < threads.
//
// Parking is expensive here: the parked thread's CPU goes idle (in a VM the
// vCPU halts), and waking it costs tens of microseconds. spinTime is long
// enough to bridge both the idle gaps between the kernels of a training step
// and the fraction of a millisecond by which the threads of one product
// finish apart on a shared machine (measurements:
// docs/perf-notes.md#parallel-spin-time).
const (
	spinTime   = 5 * time.Millisecond
	yieldEvery = 256
)

// spinner tells a polling loop when to yield and when to park.
type spinner struct {
	i     int
	start time.Time
}

// spin is called once per poll; it yields the P every yieldEvery polls and
// reports whether the caller should stop polling and park.
func (s *spinner) spin() (park bool) {
	s.i++
	if s.i%yieldEvery != 0 {
		return false
	}
	now := time.Now()
	if s.i == yieldEvery {
		s.start = now
	} else if now.Sub(s.start) > spinTime {
		return true
	}
	runtime.Gosched() // let the awaited goroutine run when GOMAXPROCS < threads
	return false
}

// Pool is a fixed group of threads that run work together. A Pool is not safe
// for concurrent Run calls; Close releases its goroutines.
type Pool struct {
	threads int
	fn      func(tid int)
	gen     atomic.Uint64 // incremented for each Run: the signal to start
	pending atomic.Int64  // workers still running the current fn
	wake    []chan struct{}
	parked  []atomic.Bool
	done    chan struct{}
	closed  atomic.Bool
	wg      sync.WaitGroup
	// panicked is the first worker panic of the Run in progress, taken and
	// cleared by Run itself so that it never outlives that Run.
	panicked atomic.Pointer[WorkerPanic]
}

// New starts a pool of the given number of threads (the caller counts as one).
// threads must be at least 1.
func New(threads int) *Pool {
	if threads < 1 {
		panic(fmt.Sprintf("parallel: thread count %d < 1", threads))
	}
	p := &Pool{
		threads: threads,
		wake:    make([]chan struct{}, threads),
		parked:  make([]atomic.Bool, threads),
		done:    make(chan struct{}, 1),
	}
	for tid := 1; tid < threads; tid++ {
		p.wake[tid] = make(chan struct{}, 1)
		p.wg.Add(1)
		go p.worker(tid)
	}
	return p
}

// Threads returns the number of threads, including the caller.
func (p *Pool) Threads() int { return p.threads }

// Run calls fn(tid) for tid in [0, Threads()) concurrently, tid 0 on the
// calling goroutine, and returns when all calls have returned. A panic reaches
// the caller once, after every call has returned, and leaves the pool usable:
// fn(0)'s panic goes on unwinding as is (its stack intact); otherwise the
// first worker's is re-raised as a *WorkerPanic, and any others are dropped.
func (p *Pool) Run(fn func(tid int)) {
	if p.threads == 1 {
		fn(0)
		return
	}
	if p.closed.Load() {
		panic("parallel: Run on a closed Pool")
	}
	p.fn = fn
	p.pending.Store(int64(p.threads - 1))
	p.gen.Add(1)
	for tid := 1; tid < p.threads; tid++ {
		if p.parked[tid].Load() {
			select {
			case p.wake[tid] <- struct{}{}:
			default:
			}
		}
	}
	p.callerRun(fn)
	if wp := p.panicked.Swap(nil); wp != nil {
		panic(wp)
	}
}

// callerRun runs fn(0) and then waits for the workers, also when fn(0)
// panics: the wait is deferred, so the panic continues only once no worker
// still runs this fn, and the runtime reports it with fn(0)'s own stack. A
// worker's panic of the same Run is then dropped in favour of the caller's.
func (p *Pool) callerRun(fn func(int)) {
	returned := false
	defer func() {
		// Wait for the workers: spin first, then block on done. done may hold
		// a stale token from an earlier Run, so pending is re-checked after each.
		var sp spinner
		for p.pending.Load() != 0 {
			if sp.spin() {
				<-p.done
			}
		}
		p.fn = nil
		if !returned {
			p.panicked.Store(nil)
		}
	}()
	fn(0)
	returned = true
}

// RunN calls fn(tid, lo, hi) on every thread with [lo, hi) the thread's share of
// n items split into contiguous, nearly equal ranges (threads with no items
// are not called). It is the usual way to split a loop.
func (p *Pool) RunN(n int, fn func(tid, lo, hi int)) {
	t := min(p.threads, n)
	if t <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	p.Run(func(tid int) {
		if tid < t {
			lo, hi := Split(n, t, tid)
			fn(tid, lo, hi)
		}
	})
}

// Split returns the i-th of parts contiguous ranges that cover [0, n), the
// first n%parts ranges one longer than the rest.
func Split(n, parts, i int) (lo, hi int) {
	q, r := n/parts, n%parts
	lo = i*q + min(i, r)
	hi = lo + q
	if i < r {
		hi++
	}
	return lo, hi
}

// call runs a worker's fn(tid) and keeps its panic, if any, for Run to
// re-raise; only the first of a Run is kept.
func (p *Pool) call(fn func(int), tid int) {
	defer func() {
		if r := recover(); r != nil {
			p.panicked.CompareAndSwap(nil, &WorkerPanic{Value: r, Thread: tid, Stack: debug.Stack()})
		}
	}()
	fn(tid)
}

// WorkerPanic is a panic raised by a worker thread and re-raised by Run on
// the calling goroutine: the worker's panic value, its thread index and its
// stack, which the caller's own stack trace would not show.
type WorkerPanic struct {
	Value  any
	Thread int
	Stack  []byte
}

func (w *WorkerPanic) Error() string {
	return fmt.Sprintf("%v [panic on worker thread %d]\n\n%s", w.Value, w.Thread, w.Stack)
}

// Unwrap returns the panic value if it is an error (a runtime.Error, say).
func (w *WorkerPanic) Unwrap() error {
	err, _ := w.Value.(error)
	return err
}

func (p *Pool) worker(tid int) {
	defer p.wg.Done()
	seen := uint64(0)
	for {
		// Spin for the next generation, then park.
		var sp spinner
		for p.gen.Load() == seen {
			if !sp.spin() {
				continue
			}
			p.parked[tid].Store(true)
			if p.gen.Load() == seen { // re-check after announcing the park
				<-p.wake[tid]
			}
			p.parked[tid].Store(false)
			sp = spinner{}
		}
		if p.closed.Load() {
			return
		}
		seen = p.gen.Load()
		p.call(p.fn, tid)
		if p.pending.Add(-1) == 0 {
			select {
			case p.done <- struct{}{}:
			default:
			}
		}
	}
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() {
	if p.closed.Swap(true) {
		return
	}
	p.gen.Add(1)
	for tid := 1; tid < p.threads; tid++ {
		select {
		case p.wake[tid] <- struct{}{}:
		default:
		}
	}
	p.wg.Wait()
}
