package kernels

import (
	"math"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// TestGemmSplitLearns feeds gemmSplit busy times in which thread 1 takes twice
// as long as thread 0 for the same width, and checks that the speeds converge
// to 2 : 1 and the shares to 2/3 : 1/3; that a product too small, or one with
// an idle thread, teaches nothing; and that speeds stay within the limit.
func TestGemmSplitLearns(t *testing.T) {
	s := newGemmSplit(2)
	j := &gemmJob{kern: gemm.AVX512Kernel, m: 1024, n: 1024, k: 1024, tm: 1, tn: 2}
	for range 30 {
		s.plan(j)
		w0, w1 := s.cuts[1]-s.cuts[0], s.cuts[2]-s.cuts[1]
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
	s.busy[0], s.busy[1] = time.Millisecond, time.Nanosecond
	small := &gemmJob{kern: gemm.AVX512Kernel, m: 64, n: 64, k: 64, tm: 1, tn: 2}
	s.plan(small)
	s.learn(small)
	idle := &gemmJob{kern: gemm.AVX512Kernel, m: 1024, n: 32, k: 1024, tm: 1, tn: 2}
	s.plan(idle) // 32 columns: one tile, one thread idle
	s.learn(idle)
	if s.speed[0] != before[0] || s.speed[1] != before[1] {
		t.Errorf("speeds moved from %v to %v on a small product or with an idle thread", before, s.speed)
	}

	for range 50 { // thread 1 a hundred times slower: clamped
		s.plan(j)
		s.busy[0], s.busy[1] = time.Millisecond, 100*time.Millisecond
		s.learn(j)
	}
	if s.speed[1] < 1/speedLimit || s.speed[0] > speedLimit {
		t.Errorf("speeds %v outside [1/%v, %v]", s.speed, speedLimit, speedLimit)
	}
}
