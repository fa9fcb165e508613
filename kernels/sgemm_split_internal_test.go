package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// TestGemmSplitLearns feeds gemmSplit busy times in which thread 1 takes twice
// as long as thread 0 for the same tiles, and checks that the speeds converge
// to 2 : 1 and the shares to 2/3 : 1/3; that a product too small, or one in
// which a thread computed nothing, teaches nothing; and that speeds stay
// within the limit.
func TestGemmSplitLearns(t *testing.T) {
	s := newGemmSplit(2)
	bl := gemm.Blocking{MC: 120, KC: 1024, NC: 1024}
	j := &gemmJob{kern: gemm.AVX512Kernel, bl: bl, m: 1024, n: 1024, k: 1024, tm: 1, tn: 2}
	for range 30 {
		s.plan(j)
		w0, w1 := s.cuts[1]-s.cuts[0], s.cuts[2]-s.cuts[1]
		s.tiles[0], s.tiles[1] = w0/32, w1/32
		s.busy[0] = time.Duration(w0) * time.Microsecond
		s.busy[1] = time.Duration(2*w1) * time.Microsecond
		s.learn(j)
	}
	if r := s.speed[0] / s.speed[1]; math.Abs(r-2) > 0.05 {
		t.Errorf("speeds %v: ratio %.3f, want 2", s.speed, r)
	}
	s.plan(j)
	if share := float64(s.cuts[1]) / 1024; math.Abs(share-2.0/3) > 0.02 {
		t.Errorf("cuts %v: first share %.3f, want 2/3", s.cuts, share)
	}

	before := append([]float64(nil), s.speed...)
	small := &gemmJob{kern: gemm.AVX512Kernel, bl: bl, m: 64, n: 64, k: 64, tm: 1, tn: 2}
	s.plan(small)
	s.busy[0], s.busy[1], s.tiles[0], s.tiles[1] = time.Millisecond, time.Nanosecond, 1, 1
	s.learn(small)
	s.plan(j) // a thread that took no chunk
	s.busy[0], s.tiles[0] = time.Millisecond, 10
	s.learn(j)
	if s.speed[0] != before[0] || s.speed[1] != before[1] {
		t.Errorf("speeds moved from %v to %v on a small product or with an idle thread", before, s.speed)
	}

	for range 50 { // thread 1 a hundred times slower: clamped
		s.plan(j)
		s.tiles[0], s.tiles[1] = 16, 16
		s.busy[0], s.busy[1] = time.Millisecond, 100*time.Millisecond
		s.learn(j)
	}
	if s.speed[1] < 1/speedLimit || s.speed[0] > speedLimit {
		t.Errorf("speeds %v outside [1/%v, %v]", s.speed, speedLimit, speedLimit)
	}
}

// TestGemmChunksCoverC checks, over random shapes, grids, speeds and
// blockings, that the chunks of a product cover C exactly once, start on
// whole tiles, lie in their thread's home rectangle, and that the homes
// index the chunk list in thread order.
func TestGemmChunksCoverC(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 300; round++ {
		threads := 1 + rng.IntN(5)
		kern := gemm.AVX512Kernel
		m, n, k := 1+rng.IntN(700), 1+rng.IntN(700), 1+rng.IntN(2500)
		bl := gemm.Blocking{MC: kern.MR * (1 + rng.IntN(12)), KC: 16 * (1 + rng.IntN(64)), NC: kern.NR * (1 + rng.IntN(40))}
		j := &gemmJob{kern: kern, bl: bl, m: m, n: n, k: k}
		j.tm, j.tn = splitGrid(threads, m, n, k, kern.MR, kern.NR)
		s := newGemmSplit(threads)
		for i := range s.speed {
			s.speed[i] = 0.5 + rng.Float64()*1.5
		}
		s.plan(j)
		cover := make([]int8, m*n)
		if s.homes[0] != 0 || s.homes[threads] != len(s.chunks) {
			t.Fatalf("homes %v for %d chunks", s.homes, len(s.chunks))
		}
		for tid := range threads {
			hm0, hm1, hn0, hn1 := s.rect(j, tid)
			for _, c := range s.chunks[s.homes[tid]:s.homes[tid+1]] {
				if c.m0%kern.MR != 0 || c.n0%kern.NR != 0 || c.m0 < hm0 || c.m1 > hm1 || c.n0 < hn0 || c.n1 > hn1 || c.m0 >= c.m1 || c.n0 >= c.n1 {
					t.Fatalf("%dx%dx%d threads %d: chunk %+v of thread %d (home rows %d-%d, columns %d-%d)", m, n, k, threads, c, tid, hm0, hm1, hn0, hn1)
				}
				for i := c.m0; i < c.m1; i++ {
					for jj := c.n0; jj < c.n1; jj++ {
						cover[i*n+jj]++
					}
				}
			}
		}
		for i, v := range cover {
			if v != 1 {
				t.Fatalf("%dx%dx%d threads %d blocking %+v: C[%d] covered %d times", m, n, k, threads, bl, i, v)
			}
		}
	}
}
