package parallel

import (
	"runtime"
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
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want boom", r)
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
