package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWorkersKeepOffTheCallerWhileBackingOff: in the parallel Fors after a
// spell, a worker that joins runs on a thread whose CPUs leave out the
// caller's; once the pool is out of the backing off, it may run anywhere
// again.
func TestWorkersKeepOffTheCallerWhileBackingOff(t *testing.T) {
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil || all.Count() < 2 || runtime.NumCPU() < 2 {
		t.Skip("needs two CPUs and sched_getaffinity")
	}
	p := New(2)
	defer p.Close()
	// mask runs Fors until the worker runs a chunk and returns its
	// thread's CPUs then.
	mask := func() unix.CPUSet {
		t.Helper()
		var got unix.CPUSet
		var seen atomic.Bool
		for i := 0; i < 2000 && !seen.Load(); i++ {
			p.For(8, nil, func(tid, chunk int) {
				if tid == 1 && !seen.Load() {
					if err := unix.SchedGetaffinity(0, &got); err != nil {
						t.Error(err)
					}
					seen.Store(true)
				}
				for t0 := time.Now(); time.Since(t0) < 20*time.Microsecond; {
				}
			})
		}
		if !seen.Load() {
			t.Fatal("the worker ran no chunk in 2000 Fors")
		}
		return got
	}
	p.SetSpell(time.Nanosecond) // a spell that is over at once: the pool backs off
	time.Sleep(time.Millisecond)
	got := mask()
	avoid := int(p.avoid.Load())
	if avoid < 0 {
		t.Fatal("backing off after a spell, but the workers keep off no CPU")
	}
	if got.IsSet(avoid) || got.Count() != all.Count()-1 {
		t.Errorf("backing off: the worker may run on %d CPUs, the caller's (%d) among them: %v", got.Count(), avoid, got.IsSet(avoid))
	}
	p.SetSpell(0) // out of the backing off
	if got := mask(); got.Count() != all.Count() {
		t.Errorf("out of the backing off: the worker may run on %d of %d CPUs", got.Count(), all.Count())
	}
}

// TestCloseDuringAMove: a pool closed while a worker moves off the caller's
// CPU (slow on an idle VM) closes; the worker must not take Close's
// generation for a run and wait for another.
func TestCloseDuringAMove(t *testing.T) {
	defer func(f func()) { afterMove = f }(afterMove)
	moving := make(chan struct{}, 1)
	afterMove = func() {
		select {
		case moving <- struct{}{}:
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	for i := range 20 {
		p := New(2)
		p.SetSpell(time.Nanosecond) // backing off from the first For
		time.Sleep(time.Millisecond)
		// The worker moves off the caller's CPU; the caller takes every chunk.
		for moved := false; !moved; {
			p.For(4, nil, func(tid, chunk int) {})
			select {
			case <-moving:
				moved = true
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
