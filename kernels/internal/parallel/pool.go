// Package parallel runs a kernel's work on a fixed set of long-lived workers.
//
// A Pool with T threads owns T-1 goroutines started once. Run hands the same
// function to every worker and to the calling goroutine, each with its own
// thread index, and returns when all have finished. For runs a loop of
// chunks: each thread starts on its own home range of chunk indices and, once
// that is empty, takes chunks from the back of the others' ranges, so a
// thread the operating system deschedules does not hold the rest at the
// barrier, and a worker that has not started by the time every chunk is
// claimed is not waited for at all. Chunk boundaries are the caller's and
// never depend on which thread runs a chunk, so a kernel that sums each chunk
// into its own partial and adds the partials in chunk order gets
// bit-identical results for a given chunk count.
//
// Waiting threads spin briefly before parking, because training steps call
// many small kernels back to back and waking a parked goroutine costs
// microseconds; they park early once the machine is clearly oversubscribed
// (see spinner), because then their spinning takes the CPU a descheduled peer
// needs.
package parallel

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// spinTime is how long a waiting thread polls at most before it parks: a
// worker waiting for the next Run, and the caller waiting for the workers to
// finish one. yieldEvery is how often a spinning goroutine yields its P (and
// looks at the clock), so that spinning never starves the goroutine it waits
// for when GOMAXPROCS < threads.
//
// Parking is expensive here: the parked thread's CPU goes idle (in a VM the
// vCPU halts), and waking it costs tens of microseconds. spinTime is long
// enough to bridge both the idle gaps between the kernels of a training step
// and the fraction of a millisecond by which the threads of one product
// finish apart on a shared machine (measurements:
// docs/perf-notes.md#parallel-spin-time).
//
// descheduled is the gap between two looks at the clock that means the
// spinning thread itself was taken off its CPU: another process wants the
// CPU, and spinning on only delays whoever holds the work. Interrupts and
// the Go scheduler's own pauses last microseconds; a time slice lost to
// another process lasts milliseconds.
//
// minWait is the least a thread waiting for the last chunks of a For polls
// before it parks, whatever the chunks' measured length.
const (
	spinTime    = 5 * time.Millisecond
	yieldEvery  = 256
	descheduled = 200 * time.Microsecond
	minWait     = 50 * time.Microsecond
)

// spinner tells a polling loop when to yield and when to park.
type spinner struct {
	i           int
	start, last time.Time
	limit       time.Duration // spinTime when zero
}

// spin is called once per poll; it yields the P every yieldEvery polls and
// reports whether the caller should stop polling and park: after limit, or
// as soon as the thread finds it was descheduled between two looks.
func (s *spinner) spin() (park bool) {
	s.i++
	if s.i%yieldEvery != 0 {
		return false
	}
	now := time.Now()
	if s.i == yieldEvery {
		s.start = now
		if s.limit == 0 {
			s.limit = spinTime
		}
	} else if now.Sub(s.start) > s.limit || now.Sub(s.last) > descheduled {
		return true
	}
	runtime.Gosched() // let the awaited goroutine run when GOMAXPROCS < threads
	s.last = time.Now()
	return false
}

// The run word (Pool.state): the generation in the high 32 bits, whether
// the run is closed to late workers, and how many workers joined it.
const (
	genShift   = 32
	closedBit  = 1 << 31
	joinedMask = closedBit - 1
)

// Pool is a fixed group of threads that run work together. A Pool is not safe
// for concurrent Run or For calls; Close releases its goroutines.
type Pool struct {
	threads  int
	fn       func(tid int)
	state    atomic.Uint64 // the run word: generation, closed, joined
	finished atomic.Int64  // workers that joined the current run and returned
	wake     []chan struct{}
	parked   []atomic.Bool
	waiting  atomic.Bool // the caller is blocked on done
	done     chan struct{}
	closed   atomic.Bool
	wg       sync.WaitGroup
	// panicked is the first worker panic of the run in progress, taken and
	// cleared by the caller itself so that it never outlives that run.
	panicked atomic.Pointer[WorkerPanic]
	loop     loop          // the For in progress
	loopFn   func(tid int) // p.runLoop, made once
	hook     func(tid int) // SetClaimHook
	solo     soloState     // late workers: run Fors on the caller alone for a while
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
	p.loop.ranges = make([]homeRange, threads)
	p.loopFn = p.runLoop
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
	p.loop.waitLimit = 0
	p.run(fn, false)
}

// run starts a run of fn, runs fn(0) and waits. A run that may close (a
// For) stops admitting workers once fn(0) has returned and waits only for
// those that joined; otherwise every worker runs fn once.
func (p *Pool) run(fn func(tid int), mayClose bool) {
	if p.closed.Load() {
		panic("parallel: Run on a closed Pool")
	}
	p.fn = fn
	p.finished.Store(0)
	gen := p.state.Load()>>genShift + 1
	p.state.Store(gen << genShift)
	for tid := 1; tid < p.threads; tid++ {
		if p.parked[tid].Load() {
			select {
			case p.wake[tid] <- struct{}{}:
			default:
			}
		}
	}
	p.callerRun(fn, mayClose)
	if wp := p.panicked.Swap(nil); wp != nil {
		panic(wp)
	}
}

// callerRun runs fn(0) and then waits for the workers, also when fn(0)
// panics: the wait is deferred, so the panic continues only once no worker
// still runs this fn, and the runtime reports it with fn(0)'s own stack. A
// worker's panic of the same run is then dropped in favour of the caller's.
func (p *Pool) callerRun(fn func(int), mayClose bool) {
	returned := false
	defer func() {
		if !returned {
			p.loop.abort.Store(true)
		}
		want := int64(p.threads - 1)
		if mayClose {
			want = int64(p.closeRun())
		}
		// Wait: spin first, then block on done. done may hold a stale
		// token from an earlier run, so the count is re-checked after each.
		sp := spinner{limit: p.loop.waitLimit}
		for p.finished.Load() != want {
			if !sp.spin() {
				continue
			}
			p.waiting.Store(true)
			if p.finished.Load() != want {
				<-p.done
			}
			p.waiting.Store(false)
		}
		p.fn = nil
		if !returned {
			p.panicked.Store(nil)
		}
	}()
	fn(0)
	returned = true
}

// closeRun closes the run in progress to workers that have not joined it
// yet and returns how many joined.
func (p *Pool) closeRun() int {
	for {
		s := p.state.Load()
		if p.state.CompareAndSwap(s, s|closedBit) {
			return int(s & joinedMask)
		}
	}
}

// call runs a worker's fn(tid) and keeps its panic, if any, for the caller
// to re-raise; only the first of a run is kept.
func (p *Pool) call(fn func(int), tid int) {
	defer func() {
		if r := recover(); r != nil {
			p.loop.abort.Store(true)
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
		s := p.state.Load()
		for s>>genShift == seen {
			if sp.spin() || p.solo.parkNow.Load() {
				p.parked[tid].Store(true)
				if p.state.Load()>>genShift == seen { // re-check after announcing the park
					<-p.wake[tid]
				}
				p.parked[tid].Store(false)
				sp = spinner{}
			}
			s = p.state.Load()
		}
		if p.closed.Load() {
			return
		}
		beforeJoin()
		// Join the run unless it closed first (a For whose chunks are all
		// claimed needs no late worker).
		for s&closedBit == 0 && !p.state.CompareAndSwap(s, s+1) {
			s = p.state.Load()
		}
		seen = s >> genShift
		if p.closed.Load() {
			return // s may hold Close's generation (Close sets closed first), not a run's
		}
		if s&closedBit != 0 {
			continue
		}
		p.call(p.fn, tid)
		p.finished.Add(1)
		if p.waiting.Load() {
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
	p.state.Add(1 << genShift)
	for tid := 1; tid < p.threads; tid++ {
		select {
		case p.wake[tid] <- struct{}{}:
		default:
		}
	}
	p.wg.Wait()
}

// beforeJoin runs on a worker between its check for Close and its join of
// a run: a variable so that a test can hold a worker there while the run
// ends and the pool closes.
var beforeJoin = func() {}
