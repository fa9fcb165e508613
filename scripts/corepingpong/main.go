// Command corepingpong measures what handing data from one core to another
// costs on this machine: the round trip of a cache line between two threads
// (each locked to its OS thread, so with two idle CPUs the scheduler puts
// them on different ones), and the time for one thread to read 512 KiB the
// other just wrote against reading what it wrote itself. A multi-threaded
// training step pays the first whenever a kernel reads what another thread's
// share of the previous kernel wrote (docs/perf-notes.md#two-cpus-that-share-no-cache).
//
//	go run ./scripts/corepingpong
package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

func main() {
	runtime.GOMAXPROCS(2)
	fmt.Printf("cache-line round trip between two threads: %.0f ns\n", roundTrip(1_000_000))
	remote, local := handOver(64<<10, 2000)
	fmt.Printf("512 KiB written by one thread, read by the other: %.1f µs; read by the writer: %.1f µs (%.2fx)\n",
		remote, local, remote/local)
}

// roundTrip returns the mean time, in ns, of n round trips of a counter
// between the calling thread and another.
func roundTrip(n int64) float64 {
	var flag atomic.Int64
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for i := int64(1); i < 2*n; i += 2 {
			for flag.Load() != i {
			}
			flag.Store(i + 1)
		}
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := time.Now()
	for i := int64(0); i < 2*n; i += 2 {
		for flag.Load() != i {
		}
		flag.Store(i + 1)
	}
	<-done
	return float64(time.Since(t0).Nanoseconds()) / float64(n)
}

// handOver returns the mean µs a round of writing words int64s on this
// thread and summing them on another takes, and the same with both on this
// thread.
func handOver(words int, rounds int64) (remote, local float64) {
	buf := make([]int64, words)
	var turn atomic.Int64
	var sink atomic.Int64
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		s := int64(0)
		for r := int64(0); r < rounds; r++ {
			for turn.Load() != 2*r+1 {
			}
			for _, v := range buf {
				s += v
			}
			turn.Store(2*r + 2)
		}
		sink.Add(s)
		close(done)
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := time.Now()
	for r := int64(0); r < rounds; r++ {
		for turn.Load() != 2*r {
		}
		for i := range buf {
			buf[i] = r
		}
		turn.Store(2*r + 1)
	}
	<-done
	remote = float64(time.Since(t0).Microseconds()) / float64(rounds)
	t0 = time.Now()
	s := int64(0)
	for r := int64(0); r < rounds; r++ {
		for i := range buf {
			buf[i] = r
		}
		for _, v := range buf {
			s += v
		}
	}
	sink.Add(s)
	local = float64(time.Since(t0).Microseconds()) / float64(rounds)
	return remote, local
}
