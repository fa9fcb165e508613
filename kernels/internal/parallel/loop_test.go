package parallel

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// forCounts runs a For over n chunks and returns how often each chunk ran
// and which thread ran it.
func forCounts(p *Pool, n int, homes []int) (counts []int32, by []int32) {
	counts, by = make([]int32, n), make([]int32, n)
	p.For(n, homes, func(tid, c int) {
		atomic.AddInt32(&counts[c], 1)
		atomic.StoreInt32(&by[c], int32(tid))
	})
	return counts, by
}

// TestForClaimsEveryChunkOnce is a property test: for random chunk counts,
// home ranges (even, skewed, empty) and thread counts, with threads stalled
// at random before their claims, every chunk runs exactly once.
func TestForClaimsEveryChunkOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, threads := range []int{1, 2, 3, 5} {
		p := New(threads)
		for round := 0; round < 60; round++ {
			n := 1 + rng.IntN(200)
			var homes []int
			if round%3 != 0 {
				homes = make([]int, threads+1)
				for i := 1; i < threads; i++ {
					homes[i] = homes[i-1] + rng.IntN(n-homes[i-1]+1)
				}
				homes[threads] = n
			}
			stalled := rng.IntN(threads)
			if round%2 == 1 {
				p.SetClaimHook(func(tid int) {
					if tid == stalled && rng.IntN(4) == 0 {
						time.Sleep(50 * time.Microsecond)
					}
				})
			}
			counts, _ := forCounts(p, n, homes)
			p.SetClaimHook(nil)
			for c, k := range counts {
				if k != 1 {
					t.Fatalf("threads=%d n=%d homes=%v: chunk %d ran %d times", threads, n, homes, c, k)
				}
			}
		}
		p.Close()
	}
}

// TestForTakesAStalledThreadsChunks stalls worker 1 before every claim: the
// other threads run most of its home chunks, and each chunk still runs once.
func TestForTakesAStalledThreadsChunks(t *testing.T) {
	p := New(2)
	defer p.Close()
	p.SetClaimHook(func(tid int) {
		if tid == 1 {
			time.Sleep(20 * time.Millisecond)
		}
	})
	counts, by := forCounts(p, 40, nil)
	ranOn1 := 0
	for c := range counts {
		if counts[c] != 1 {
			t.Fatalf("chunk %d ran %d times", c, counts[c])
		}
		if by[c] == 1 {
			ranOn1++
		}
	}
	if ranOn1 > 2 {
		t.Errorf("the stalled thread ran %d of its 20 home chunks; the caller should have taken nearly all", ranOn1)
	}
}

// TestForWithWorkersThatNeverRun runs For on 3 threads with one P: the
// caller claims every chunk itself and returns without waiting for workers
// that never got to run.
func TestForWithWorkersThatNeverRun(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	p := New(3)
	defer p.Close()
	within(t, "GOMAXPROCS=1, threads=3", func() {
		for round := 0; round < 50; round++ {
			counts, _ := forCounts(p, 17, nil)
			for c, k := range counts {
				if k != 1 {
					t.Fatalf("round %d: chunk %d ran %d times", round, c, k)
				}
			}
		}
	})
}

// TestForSurvivesPanics makes one chunk panic on a chosen thread: the panic
// reaches the caller once (a worker's as a *WorkerPanic), and the next For
// and Run work.
func TestForSurvivesPanics(t *testing.T) {
	p := New(3)
	defer p.Close()
	within(t, "For panics", func() {
		for round := 0; round < 12; round++ {
			bad := round % 3
			r := func() (r any) {
				defer func() { r = recover() }()
				p.For(30, nil, func(tid, c int) {
					if tid == bad && c%2 == 0 {
						panic(fmt.Sprintf("boom %d", tid))
					}
				})
				return nil
			}()
			switch v := r.(type) {
			case nil:
				// The bad thread may have claimed no even chunk (it started
				// late); nothing to check.
			case string:
				if bad != 0 || v != "boom 0" {
					t.Errorf("round %d: recovered %q, thread %d panics", round, v, bad)
				}
			case *WorkerPanic:
				if v.Thread != bad || v.Value != fmt.Sprintf("boom %d", bad) {
					t.Errorf("round %d: recovered %v from thread %d, thread %d panics", round, v.Value, v.Thread, bad)
				}
			default:
				t.Errorf("round %d: recovered %T %v", round, r, r)
			}
			counts, _ := forCounts(p, 25, nil)
			for c, k := range counts {
				if k != 1 {
					t.Fatalf("round %d: after a panic, chunk %d ran %d times", round, c, k)
				}
			}
			var hits [3]atomic.Int32
			p.Run(func(tid int) { hits[tid].Add(1) })
			for tid := range hits {
				if hits[tid].Load() != 1 {
					t.Fatalf("round %d: after a panic, Run called thread %d %d times", round, tid, hits[tid].Load())
				}
			}
		}
	})
}

func TestChunksAndSplitIndex(t *testing.T) {
	for _, tc := range []struct{ n, t, min, want int }{
		{1000, 2, 1, 8}, {1000, 2, 200, 5}, {1000, 2, 600, 2}, {3, 4, 1, 3}, {0, 2, 1, 1}, {5, 1, 1, 4},
	} {
		if got := Chunks(tc.n, tc.t, tc.min); got != tc.want {
			t.Errorf("Chunks(%d, %d, %d) = %d, want %d", tc.n, tc.t, tc.min, got, tc.want)
		}
	}
	for n := 1; n < 40; n++ {
		for parts := 1; parts <= n; parts++ {
			for i := 0; i < parts; i++ {
				if lo, _ := Split(n, parts, i); SplitIndex(n, parts, lo) != i {
					t.Fatalf("SplitIndex(%d, %d, %d) = %d, want %d", n, parts, lo, SplitIndex(n, parts, lo), i)
				}
			}
		}
	}
}

// TestSpinnerParksWhenDescheduled feeds the spinner a gap between two looks
// at the clock longer than descheduled: it parks at once, well before its
// limit.
func TestSpinnerParksWhenDescheduled(t *testing.T) {
	sp := spinner{limit: time.Hour}
	for i := 0; i < 2*yieldEvery; i++ {
		sp.spin() // may park if this test is descheduled; the gap below must
	}
	time.Sleep(2 * descheduled)
	parked := false
	for i := 0; i < yieldEvery && !parked; i++ {
		parked = sp.spin()
	}
	if !parked {
		t.Error("did not park after a gap longer than descheduled")
	}
}

// TestForGoesSoloAfterALateWorker: a worker that stalls mid-chunk (as one
// taken off its CPU does) makes the caller wait longer than it worked; the
// Fors right after run on the caller alone, every chunk still once, and once
// the workers are on time again the pool uses them again.
func TestForGoesSoloAfterALateWorker(t *testing.T) {
	// A spell long enough to outlast this test's own scheduling delays on a
	// loaded machine (CI runs it under the race detector beside other tests).
	defer func(d time.Duration) { soloMin = d }(soloMin)
	soloMin = 250 * time.Millisecond
	p := New(2)
	defer p.Close()
	var stall atomic.Bool
	stall.Store(true)
	body := func(tid, chunk int) {
		if tid == 1 && stall.Load() {
			time.Sleep(5 * time.Millisecond)
			return
		}
		// Work long enough (50 µs a chunk) that the worker joins.
		for t0 := time.Now(); time.Since(t0) < 50*time.Microsecond; {
		}
	}
	// Run until a spell starts: two signs of a busy machine (worker 1 late,
	// or the process short of CPU while it sleeps), the first of which
	// alone starts none.
	for i := 0; i < 200; i++ {
		if p.Stats().Solo > 0 {
			break
		}
		p.For(8, nil, body)
	}
	st := p.Stats()
	solo, late, busy := st.Solo, st.Late, st.BusyWindows
	if solo == 0 || late+busy < 2 {
		t.Fatalf("a worker sleeping 5 ms in its chunks: %d solo Fors, %d late, %d short windows; want a spell after two signs", solo, late, busy)
	}
	solo0 := p.Stats().Solo
	counts, by := forCounts(p, 40, nil)
	solo1 := p.Stats().Solo
	if solo1 != solo0+1 {
		t.Errorf("the For right after a late worker ran solo %d times, want once", solo1-solo0)
	}
	for c, k := range counts {
		if k != 1 || by[c] != 0 {
			t.Fatalf("solo For: chunk %d ran %d times, last on thread %d; want once, on the caller", c, k, by[c])
		}
	}
	// Workers on time again: after the spell (at most soloMax) a probe
	// finds them so and the pool stops going solo.
	stall.Store(false)
	// From here the process gets all the CPU its two threads could use,
	// whatever else this machine runs while the test does.
	t0 := time.Now()
	defer func(c func() (time.Duration, bool)) { cpuClock = c }(cpuClock)
	cpuClock = func() (time.Duration, bool) { return 2 * time.Since(t0), true }
	time.Sleep(soloMax + 10*time.Millisecond)
	// A busy machine may still deschedule a worker now and then (a late For
	// starts another spell); a pool stuck in solo mode would never run a For
	// in parallel again.
	st0 := p.Stats()
	parallelFors := func() int { st := p.Stats(); return (st.Fors - st0.Fors) - (st.Solo - st0.Solo) }
	for deadline := time.Now().Add(4 * soloMax); parallelFors() < 10 && time.Now().Before(deadline); {
		p.For(8, nil, body)
	}
	if n := parallelFors(); n < 10 {
		t.Errorf("workers on time, but %d Fors in %v ran in parallel, want 10", n, 4*soloMax)
	}
}

// TestSoloWindows drives the window logic with a stand-in clock: a process
// that gets all the CPU its two threads could use never goes solo; one
// that gets one CPU's worth goes solo at the second short window, for
// soloMin, then twice as long after each probe that finds it short again,
// and back to parallel after a good window.
func TestSoloWindows(t *testing.T) {
	defer func(c func() (time.Duration, bool)) { cpuClock = c }(cpuClock)
	var cpu time.Duration
	cpuClock = func() (time.Duration, bool) { return cpu, true }
	now := time.Unix(1e9, 0)
	var s soloState
	// step advances the clock by d with the process using share CPUs,
	// then asks whether the next For runs solo.
	step := func(d time.Duration, share float64) bool {
		now = now.Add(d)
		cpu += time.Duration(share * float64(d))
		return s.active(now, 2)
	}
	for i := range 100 {
		if step(time.Millisecond, 2) {
			t.Fatalf("quiet: For %d ran solo", i)
		}
	}
	solo := 0
	for range 25 { // 25 ms at one CPU: windows at 10 and 20 ms
		if step(time.Millisecond, 1) {
			solo++
		}
	}
	if s.busy != 2 || s.span != soloMin || solo == 0 {
		t.Fatalf("one CPU of two: %d short windows, span %v, %d solo Fors; want 2, %v, some", s.busy, s.span, solo, soloMin)
	}
	if !s.parkNow.Load() {
		t.Error("workers not told to park during a spell")
	}
	// Past the spell, a probe window at one CPU doubles the spell.
	now = s.until
	for range 12 {
		step(time.Millisecond, 1)
	}
	if s.span != 2*soloMin {
		t.Errorf("after a short probe window: span %v, want %v", s.span, 2*soloMin)
	}
	// A good probe window ends the backing off.
	now = s.until
	for range 12 {
		step(time.Millisecond, 2)
	}
	if s.span != 0 || s.strikes != 0 || step(time.Millisecond, 2) {
		t.Errorf("after a good window: span %v, strikes %d; want parallel again", s.span, s.strikes)
	}
	// A window spanning a long pause (the caller elsewhere) is no sign.
	busy := s.busy
	step(time.Second, 0)
	step(time.Millisecond, 2)
	if s.busy != busy {
		t.Error("a pause between loops counted as a short window")
	}
}

func TestStatsCountsFors(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		p := New(threads)
		for range 10 {
			p.For(4, nil, func(tid, chunk int) {})
		}
		p.For(0, nil, func(tid, chunk int) {}) // no chunks: not a For that ran
		want := 10
		if threads == 1 {
			want = 0
		}
		if got := p.Stats().Fors; got != want {
			t.Errorf("threads=%d: Stats().Fors = %d after 10 Fors, want %d", threads, got, want)
		}
		p.Close()
	}
}
