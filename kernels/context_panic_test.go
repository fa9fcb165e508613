package kernels_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestContextSurvivesPanic makes a parallel job panic on one thread (a
// worker, then the caller), and checks that the panic reaches the caller
// once and that the Context stays usable: several valid SGEMMs and parallel
// loops give the right results afterwards, and nothing deadlocks (a timeout
// fails the test instead of hanging it). Before the fix a worker's panic was
// re-raised by later valid calls, and repeated panics deadlocked the pool.
func TestContextSurvivesPanic(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)() // split even small products over the threads
	const m, n, k = 37, 29, 41
	rng := kerneltest.Rand(3)
	a, b := make([]float32, m*k), make([]float32, k*n)
	kerneltest.Fill(rng, a)
	kerneltest.Fill(rng, b)
	want := make([]float64, m*n)
	for i := range m {
		for j := range n {
			for p := range k {
				want[i*n+j] += float64(a[i*k+p]) * float64(b[p*n+j])
			}
		}
	}
	for threads := 1; threads <= 3; threads++ {
		ctx, err := kernels.NewContext(0, threads)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for bad := threads - 1; bad >= 0; bad-- { // a worker first (when there is one), the caller last
				for rep := 0; rep < 3; rep++ {
					r := func() (r any) {
						defer func() { r = recover() }()
						ctx.Parallel(func(tid int) {
							if tid == bad {
								panic(fmt.Sprintf("kernel bug on thread %d", tid))
							}
						})
						return nil
					}()
					msg := fmt.Sprint(r)
					if wp, ok := r.(*kernels.WorkerPanic); ok {
						msg = fmt.Sprint(wp.Value)
					}
					if want := fmt.Sprintf("kernel bug on thread %d", bad); msg != want {
						t.Errorf("threads=%d: recovered %v, want %q", threads, r, want)
					}
					for valid := 0; valid < 3; valid++ {
						c := make([]float32, m*n)
						ctx.Sgemm(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
						for i := range c {
							if d := float64(c[i]) - want[i]; d > 1e-3 || d < -1e-3 {
								t.Errorf("threads=%d after a panic on thread %d: c[%d] = %v, want %v", threads, bad, i, c[i], want[i])
								return
							}
						}
						seen := make([]int, 100)
						ctx.ParallelFor(len(seen), func(_, lo, hi int) {
							for i := lo; i < hi; i++ {
								seen[i]++
							}
						})
						for i, s := range seen {
							if s != 1 {
								t.Errorf("threads=%d after a panic on thread %d: item %d covered %d times", threads, bad, i, s)
								return
							}
						}
					}
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("threads=%d: no return after 30 s (deadlock)", threads)
		}
		ctx.Close()
	}
}
