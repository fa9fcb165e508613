package parallel

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCallsEveryThreadOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		p := New(threads)
		for round := 0; round < 200; round++ {
			var hits = make([]atomic.Int32, threads)
			p.Run(func(tid int) { hits[tid].Add(1) })
			for tid := range hits {
				if n := hits[tid].Load(); n != 1 {
					t.Fatalf("threads=%d round %d: tid %d ran %d times", threads, round, tid, n)
				}
			}
		}
		p.Close()
	}
}

func TestRunWithFewerProcsThanThreads(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := New(4)
	defer p.Close()
	var sum atomic.Int64
	for round := 0; round < 50; round++ {
		p.Run(func(tid int) { sum.Add(int64(tid)) })
	}
	if got := sum.Load(); got != 50*(0+1+2+3) {
		t.Fatalf("sum = %d", got)
	}
}

func TestRunNCoversRangeExactly(t *testing.T) {
	p := New(3)
	defer p.Close()
	for _, n := range []int{0, 1, 2, 3, 4, 7, 100} {
		seen := make([]int32, n)
		p.RunN(n, func(tid, lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: item %d covered %d times", n, i, c)
			}
		}
	}
}

func TestSplit(t *testing.T) {
	for n := 0; n < 20; n++ {
		for parts := 1; parts < 6; parts++ {
			next := 0
			for i := 0; i < parts; i++ {
				lo, hi := Split(n, parts, i)
				if lo != next || hi < lo || hi-lo > n/parts+1 {
					t.Fatalf("Split(%d,%d,%d) = [%d,%d), expected start %d", n, parts, i, lo, hi, next)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("Split(%d,%d,*) ends at %d", n, parts, next)
			}
		}
	}
}

func TestPanicReachesCaller(t *testing.T) {
	p := New(2)
	defer p.Close()
	defer func() {
		if r, _ := recover().(*WorkerPanic); r == nil || r.Value != "boom" || r.Thread != 1 {
			t.Fatalf("recovered %v, want boom from thread 1", r)
		}
	}()
	p.Run(func(tid int) {
		if tid == 1 {
			panic("boom")
		}
	})
	t.Fatal("Run returned without re-raising the worker's panic")
}

// BenchmarkRunOverhead times one Run of an empty job on two threads: the
// fork-join cost every parallel kernel pays per call, which bench's cases
// see only mixed with the kernel's work.
func BenchmarkRunOverhead(b *testing.B) {
	p := New(2)
	defer p.Close()
	var x atomic.Int64
	for b.Loop() {
		p.Run(func(tid int) { x.Add(1) })
	}
}

// TestParkAndWake lets the workers poll past spinTime so that they park,
// checks that they did, and that the next Run wakes every one of them; then
// holds one worker longer than spinTime inside a Run, so that the caller
// stops polling and blocks until the worker is done.
func TestParkAndWake(t *testing.T) {
	const threads = 3
	p := New(threads)
	defer p.Close()
	var calls [threads]atomic.Int32
	p.Run(func(tid int) { calls[tid].Add(1) })
	deadline := time.Now().Add(20 * spinTime)
	for tid := 1; tid < threads; tid++ {
		for !p.parked[tid].Load() {
			if time.Now().After(deadline) {
				t.Fatalf("worker %d still polling %v after a Run", tid, 20*spinTime)
			}
			time.Sleep(spinTime / 5)
		}
	}
	var late atomic.Bool
	p.Run(func(tid int) {
		calls[tid].Add(1)
		if tid == threads-1 {
			time.Sleep(3 * spinTime)
			late.Store(true)
		}
	})
	if !late.Load() {
		t.Error("Run returned before its slowest worker finished")
	}
	for tid := range calls {
		if n := calls[tid].Load(); n != 2 {
			t.Errorf("thread %d called %d times in 2 Runs", tid, n)
		}
	}
}

// within runs f on its own goroutine and fails the test if f has not
// returned after a generous timeout, so that a deadlocked pool fails the test
// instead of hanging it. It returns what f recovered, if anything.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: no return after 20 s (deadlock)", what)
	}
}

// runRecover runs fn on the pool and returns the value it panicked with, nil
// if Run returned normally.
func runRecover(p *Pool, fn func(tid int)) (r any) {
	defer func() { r = recover() }()
	p.Run(fn)
	return nil
}

// TestPoolSurvivesPanics makes one thread (the caller, a worker, or every
// thread) panic in a Run, checks the panic reaches the caller exactly once,
// and then that later Runs work: every thread runs once, nothing re-raises an
// old panic, nothing deadlocks. Before the fix, leftover panics of one Run
// were re-raised by later valid Runs and a full panic channel deadlocked.
func TestPoolSurvivesPanics(t *testing.T) {
	for threads := 1; threads <= 3; threads++ {
		p := New(threads)
		within(t, fmt.Sprintf("threads=%d", threads), func() {
			for round := 0; round < 4*threads+4; round++ {
				bad := round % (threads + 1) // threads means every thread panics
				r := runRecover(p, func(tid int) {
					if tid == bad || bad == threads {
						panic(fmt.Sprintf("boom %d", tid))
					}
				})
				switch v := r.(type) {
				case nil:
					t.Errorf("threads=%d round %d: Run returned without re-raising the panic of thread %d", threads, round, bad)
				case string: // the caller's own panic, re-raised as is
					if bad != 0 && bad != threads || v != "boom 0" {
						t.Errorf("threads=%d round %d: recovered %q, want thread %d's panic", threads, round, v, bad)
					}
				case *WorkerPanic:
					if bad == 0 || bad == threads || v.Value != fmt.Sprintf("boom %d", bad) || v.Thread != bad || !strings.Contains(string(v.Stack), "pool_test.go") {
						t.Errorf("threads=%d round %d: recovered %v from thread %d, want thread %d's panic", threads, round, v.Value, v.Thread, bad)
					}
				default:
					t.Errorf("threads=%d round %d: recovered %T %v", threads, round, r, r)
				}
				for valid := 0; valid < 3; valid++ {
					hits := make([]atomic.Int32, threads)
					if r := runRecover(p, func(tid int) { hits[tid].Add(1) }); r != nil {
						t.Fatalf("threads=%d round %d: a valid Run panicked with %v", threads, round, r)
					}
					for tid := range hits {
						if n := hits[tid].Load(); n != 1 {
							t.Fatalf("threads=%d round %d: after a panic, tid %d ran %d times", threads, round, tid, n)
						}
					}
				}
			}
			p.Close()
		})
	}
}

// TestCloseWhileAWorkerJoins: a worker held between its check for Close
// and its join while the run ends and the pool closes must not take
// Close's generation for a run and wait for another: Close returns.
func TestCloseWhileAWorkerJoins(t *testing.T) {
	defer func(f func()) { beforeJoin = f }(beforeJoin)
	joining := make(chan struct{}, 1)
	beforeJoin = func() {
		select {
		case joining <- struct{}{}:
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range 20 {
		p := New(2)
		// Run Fors until the worker is held before a join; the caller
		// takes every chunk of that For and closes its run meanwhile.
		for held := false; !held; {
			p.For(4, nil, func(tid, chunk int) {})
			select {
			case <-joining:
				held = true
			case <-time.After(time.Millisecond):
			}
		}
		closed := make(chan struct{})
		go func() { p.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: Close still waits for a worker after 10 s", i)
		}
	}
}
