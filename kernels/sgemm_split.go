package kernels

import (
	"math"
	"time"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/kernels/internal/parallel"
)

// How sgemmBlocked shares a product among threads. C is cut into one home
// rectangle per thread (splitGrid), and each rectangle into chunks: blocks
// of MC rows (more when k spans several KC blocks) across the rectangle's
// columns, or narrower when the rectangle has too few rows for
// gemmChunksPerHome of them. A thread runs the chunks of its own rectangle
// first, in order, keeping its packed panel of B from one to the next, and
// then takes chunks from the back of the others' rectangles
// (parallel.Pool.For), so a thread the machine deschedules does not hold up
// the product. Each chunk packs its own A, as the private rectangles always
// did: sharing packed panels between cores lost on every shape measured
// (docs/perf-notes-kernels.md).
//
// When C is cut along one dimension only (always, for two or three threads)
// the home rectangles follow each thread's measured speed: the cores of a
// shared machine often run at different speeds, which one changing from hour
// to hour (scripts/sgemm-scaling.sh shows it), and with equal shares every
// product ends with the faster core taking the slower one's chunks, each
// packing B again (measurements: docs/perf-notes-kernels.md). A thread's
// tiles computed over its busy time in a product give its speed relative to
// the others; a running average of it sets the next product's rectangles.
//
// Cuts fall on whole MR-row or NR-column tiles, and every element of C is
// summed in the same order whichever thread computes it and however C is
// cut, so results do not depend on the rectangles, the chunks or which
// thread ran which (TestSgemmThreadsDoNotChangeResults).

// gemmSplit holds a Context's SGEMM shares, the speeds they come from, and
// the chunks of the product in progress.
type gemmSplit struct {
	speed  []float64       // each thread's relative speed, a running average (mean about 1)
	busy   []time.Duration // each thread's time in chunks of the product in progress
	tiles  []int           // each thread's MR×NR tiles computed in it
	cuts   []int           // share boundaries along the cut dimension: cuts[i]..cuts[i+1]
	chunks []gemmChunk     // the chunks of the product in progress, home by home
	homes  []int           // thread t's home chunks: homes[t]..homes[t+1]
}

// gemmChunk is a rectangle of C, rows [m0, m1) and columns [n0, n1).
type gemmChunk struct{ m0, m1, n0, n1 int }

// gemmChunksPerHome is how many chunks a home rectangle should have at
// least, when its rows allow it (parallel.ChunksPerThread); a rectangle with
// fewer row blocks is cut into column blocks of at least gemmMinChunkCols,
// whose packing of A costs a few percent at most. gemmMinChunkFLOPs keeps a
// chunk's claim and call negligible beside its arithmetic.
const (
	gemmChunksPerHome = parallel.ChunksPerThread
	gemmMinChunkCols  = 256
	gemmMinChunkFLOPs = 4e6
)

// oneD reports whether product j is cut along one dimension only (its home
// rectangles then follow the speeds).
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
	s := gemmSplit{speed: make([]float64, threads), busy: make([]time.Duration, threads),
		tiles: make([]int, threads), cuts: make([]int, threads+1), homes: make([]int, threads+1)}
	for i := range s.speed {
		s.speed[i] = 1
	}
	return s
}

// plan sets the home rectangles of product j (along rows or columns in
// proportion to the threads' speeds when j is cut along one dimension) and
// cuts them into chunks.
func (s *gemmSplit) plan(j *gemmJob) {
	if j.oneD() {
		parts := j.tm * j.tn
		n, align := j.cutDim()
		weightedCuts(s.cuts[:parts+1], n, align, s.speed[:parts])
	}
	s.chunks = s.chunks[:0]
	for t := range s.busy {
		s.busy[t], s.tiles[t] = 0, 0
		s.homes[t] = len(s.chunks)
		m0, m1, n0, n1 := s.rect(j, t)
		if m0 < m1 && n0 < n1 {
			s.chunks = homeChunks(s.chunks, j, m0, m1, n0, n1)
		}
	}
	s.homes[len(s.busy)] = len(s.chunks)
}

// homeChunks appends the chunks of home rectangle rows [m0, m1), columns
// [n0, n1) of product j to list: column blocks in order, each cut into row
// blocks in order, so that a thread's successive chunks share its panel of
// B.
func homeChunks(list []gemmChunk, j *gemmJob, m0, m1, n0, n1 int) []gemmChunk {
	mr, nr := j.kern.MR, j.kern.NR
	rows, cols := m1-m0, n1-n0
	// Row blocks of MC rows, once more per KC block of k, so that repacking B
	// for each chunk (when k > KC, the panel differs per KC block) costs
	// as little as packing A; and enough rows for gemmMinChunkFLOPs.
	h := j.bl.MC * ceilDiv(j.k, j.bl.KC)
	h = max(h, int(gemmMinChunkFLOPs/(2*float64(cols)*float64(j.k))))
	h = roundUp(min(max(h, 1), rows), mr)
	rb := ceilDiv(rows, h)
	cb := 1
	if rb < gemmChunksPerHome {
		cb = max(1, min(ceilDiv(gemmChunksPerHome, rb), cols/gemmMinChunkCols))
	}
	for c := range cb {
		c0, c1 := splitAligned(cols, cb, c, nr)
		for r := range rb { // rb nearly equal blocks, none taller than h
			r0, r1 := splitAligned(rows, rb, r, mr)
			if r0 < r1 {
				list = append(list, gemmChunk{m0 + r0, m0 + r1, n0 + c0, n0 + c1})
			}
		}
	}
	return list
}

// rect returns thread tid's home rectangle of C, rows [m0, m1) and columns
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
	// A thread's rate is the tiles it computed (a partial tile at the edge
	// costs as much as a full one) over its busy time.
	rate := func(tid int) float64 { return float64(s.tiles[tid]) / s.busy[tid].Seconds() }
	mean := 0.0
	for tid := range parts {
		if s.tiles[tid] == 0 || s.busy[tid] <= 0 {
			return // an idle thread says nothing about its speed
		}
		mean += rate(tid) / float64(parts)
	}
	for tid := range parts {
		v := (1-speedWeight)*s.speed[tid] + speedWeight*rate(tid)/mean
		s.speed[tid] = min(max(v, 1/speedLimit), speedLimit)
	}
}

// runGemmChunks runs product j (its grid set) on the Context's threads: it
// plans the chunks, lets the threads claim them, and learns from their
// times.
func (ctx *Context) runGemmChunks(j *gemmJob) {
	sp := &ctx.gemmSplit
	sp.plan(j)
	for t := range ctx.gemmWS {
		ctx.gemmWS[t].KeepB()
	}
	ctx.pool.For(len(sp.chunks), sp.homes, ctx.gemmChunkFn)
	for t := range ctx.gemmWS {
		ctx.gemmWS[t].DropB()
	}
	sp.learn(j)
}

// runGemmChunk runs chunk c of the product in progress on thread tid and
// counts its time and tiles toward tid's speed.
func (ctx *Context) runGemmChunk(tid, c int) {
	sp := &ctx.gemmSplit
	ch := sp.chunks[c]
	start := time.Now()
	ctx.gemmRect(tid, ch.m0, ch.m1, ch.n0, ch.n1)
	sp.busy[tid] += time.Since(start)
	j := &ctx.gemmJob
	sp.tiles[tid] += ceilDiv(ch.m1-ch.m0, j.kern.MR) * ceilDiv(ch.n1-ch.n0, j.kern.NR)
}

// gemmRect computes rows [m0, m1), columns [n0, n1) of the C of the SGEMM
// in ctx.gemmJob on thread tid.
func (ctx *Context) gemmRect(tid, m0, m1, n0, n1 int) {
	j := &ctx.gemmJob
	if m0 == m1 || n0 == n1 {
		return
	}
	if j.bf16 {
		ctx.gemmRectBF16(tid, m0, m1, n0, n1)
		return
	}
	am := gemm.Matrix{Data: j.a, Stride: j.lda, Trans: j.tA == Trans}
	bm := gemm.Matrix{Data: j.b, Stride: j.ldb, Trans: j.tB == Trans}
	if j.tA == NoTrans {
		am.Data = j.a[m0*j.lda:]
	} else {
		am.Data = j.a[m0:]
	}
	if j.tB == NoTrans {
		bm.Data = j.b[n0:]
	} else {
		bm.Data = j.b[n0*j.ldb:]
	}
	gemm.Gemm(&ctx.gemmWS[tid], j.kern, j.bl, m1-m0, n1-n0, j.k, j.alpha, am, bm, j.beta, j.c[m0*j.ldc+n0:], j.ldc)
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
