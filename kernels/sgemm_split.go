package kernels

import (
	"math"
	"time"
)

// How sgemmBlocked shares a product among threads. C is cut into one
// rectangle per thread (splitGrid), and each thread packs its own panels, so
// no thread waits for another inside the product.
//
// When C is cut along one dimension only (always, for two or three threads)
// the cuts follow each thread's measured speed: the cores of a shared machine
// often run at different speeds, which one changing from hour to hour
// (scripts/sgemm-scaling.sh shows it), and with equal shares every product
// waits for the slower core (measurements: docs/perf-notes-kernels.md). Each
// thread's busy time in a product gives its speed relative to the others; a
// running average of it sets the next product's shares.
//
// Cuts fall on whole MR-row or NR-column tiles, and every element of C is
// summed in the same order whichever thread computes it, so results do not
// depend on the shares (TestSgemmThreadsDoNotChangeResults).

// gemmSplit holds a Context's SGEMM shares and the speeds they come from.
type gemmSplit struct {
	speed []float64       // each thread's relative speed, a running average (mean about 1)
	busy  []time.Duration // each thread's time in the product in progress
	cuts  []int           // share boundaries along the cut dimension: cuts[i]..cuts[i+1]
}

// oneD reports whether product j is cut along one dimension only (its shares
// then follow the speeds).
func (j *gemmJob) oneD() bool { return j.tm == 1 || j.tn == 1 }

// cutDim returns the length of the dimension a one-dimensional cut of j
// divides (rows when tm > 1, else columns) and its tile size.
func (j *gemmJob) cutDim() (n, align int) {
	if j.tm > 1 {
		return j.m, j.kern.MR
	}
	return j.n, j.kern.NR
}

// Learning from a product needs each thread to work long enough for its busy
// time to mean something (a wake-up or an interrupt costs microseconds): at
// least learnFLOPs each. speedWeight is the weight of the newest product in
// the running average, and speedLimit bounds a thread's relative speed, so
// that one disturbed product cannot starve a thread of work.
const (
	learnFLOPs  = 16e6
	speedWeight = 0.3
	speedLimit  = 2.0
)

func newGemmSplit(threads int) gemmSplit {
	s := gemmSplit{speed: make([]float64, threads), busy: make([]time.Duration, threads), cuts: make([]int, threads+1)}
	for i := range s.speed {
		s.speed[i] = 1
	}
	return s
}

// plan sets the shares of product j: along rows or columns in proportion to
// the threads' speeds when j is cut along one dimension.
func (s *gemmSplit) plan(j *gemmJob) {
	if !j.oneD() {
		return
	}
	parts := j.tm * j.tn
	n, align := j.cutDim()
	weightedCuts(s.cuts[:parts+1], n, align, s.speed[:parts])
}

// rect returns thread tid's rectangle of C, rows [m0, m1) and columns
// [n0, n1); it is empty for threads beyond the grid.
func (s *gemmSplit) rect(j *gemmJob, tid int) (m0, m1, n0, n1 int) {
	switch {
	case tid >= j.tm*j.tn:
		return 0, 0, 0, 0
	case j.tm == 1 && j.tn == 1:
		return 0, j.m, 0, j.n
	case !j.oneD():
		m0, m1 = splitAligned(j.m, j.tm, tid/j.tn, j.kern.MR)
		n0, n1 = splitAligned(j.n, j.tn, tid%j.tn, j.kern.NR)
		return m0, m1, n0, n1
	case j.tm > 1:
		return s.cuts[tid], s.cuts[tid+1], 0, j.n
	default:
		return 0, j.m, s.cuts[tid], s.cuts[tid+1]
	}
}

// learn updates the speeds from the busy times of product j.
func (s *gemmSplit) learn(j *gemmJob) {
	parts := j.tm * j.tn
	if !j.oneD() || parts < 2 || SgemmFLOPs(j.m, j.n, j.k) < learnFLOPs*float64(parts) {
		return
	}
	// A thread's rate is its share's width in whole tiles (a partial tile at
	// the edge costs as much as a full one) over its busy time.
	_, align := j.cutDim()
	rate := func(tid int) float64 {
		return float64(ceilDiv(s.cuts[tid+1]-s.cuts[tid], align)) / s.busy[tid].Seconds()
	}
	mean := 0.0
	for tid := range parts {
		if s.cuts[tid+1] == s.cuts[tid] || s.busy[tid] <= 0 {
			return // an idle thread says nothing about its speed
		}
		mean += rate(tid) / float64(parts)
	}
	for tid := range parts {
		v := (1-speedWeight)*s.speed[tid] + speedWeight*rate(tid)/mean
		s.speed[tid] = min(max(v, 1/speedLimit), speedLimit)
	}
}

// weightedCuts fills cuts (len(w)+1 entries) with boundaries cutting [0, n)
// into shares proportional to w, on multiples of align (the last share takes
// the remainder).
func weightedCuts(cuts []int, n, align int, w []float64) {
	blocks := ceilDiv(n, align)
	total := 0.0
	for _, v := range w {
		total += v
	}
	acc := 0.0
	cuts[0] = 0
	for i := 1; i < len(w); i++ {
		acc += w[i-1]
		b := int(math.Round(acc / total * float64(blocks)))
		cuts[i] = min(max(b*align, cuts[i-1]), n)
	}
	cuts[len(w)] = n
}

// splitGrid picks a tm×tn grid of C rectangles for t threads (tm·tn ≤ t) that
// minimises the per-thread cost: the FLOPs of the tile-padded rectangle plus
// the packing of the A rows and B columns each thread needs.
func splitGrid(t, m, n, k, mr, nr int) (tm, tn int) {
	best := -1.0
	for a := 1; a <= t; a++ {
		b := t / a
		rows := roundUp(ceilDiv(m, a), mr)
		cols := roundUp(ceilDiv(n, b), nr)
		cost := 2*float64(rows)*float64(cols)*float64(k) + 8*float64(k)*float64(rows+cols)
		if best < 0 || cost < best {
			best, tm, tn = cost, a, b
		}
	}
	return tm, tn
}

// splitAligned returns part i of parts ranges covering [0, n), with boundaries
// on multiples of align (the last range takes the remainder).
func splitAligned(n, parts, i, align int) (lo, hi int) {
	blocks := ceilDiv(n, align)
	q, r := blocks/parts, blocks%parts
	lo = (i*q + min(i, r)) * align
	hi = lo + q*align
	if i < r {
		hi += align
	}
	return min(lo, n), min(hi, n)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(v, m int) int { return ceilDiv(v, m) * m }
