package parallel

import (
	"sync/atomic"
	"time"
)

// loop is the For in progress: its body, each thread's home range of chunk
// indices, and what the caller learns for its final wait.
type loop struct {
	body   func(tid, chunk int)
	ranges []homeRange
	abort  atomic.Bool // a thread panicked: claim nothing more
	// waitLimit is how long the caller polls for the workers' last chunks
	// before parking: twice its own mean chunk time (at least minWait),
	// zero for spinTime.
	waitLimit time.Duration
	// callerDone is when the caller ran out of chunks to claim (its share
	// of the run ended; what follows is waiting for the workers').
	callerDone time.Time
}

// homeRange is one thread's unclaimed chunks [lo, hi), packed into one word
// (lo in the high half) so that the owner taking from the front and a thief
// taking from the back each need a single compare-and-swap. It fills a
// cache line, so that one thread's claims do not slow another's.
type homeRange struct {
	w atomic.Uint64
	_ [56]byte
}

func packRange(lo, hi int) uint64 { return uint64(lo)<<32 | uint64(hi) }

func unpackRange(w uint64) (lo, hi int) { return int(w >> 32), int(w & (1<<32 - 1)) }

// MaxChunks bounds the chunk count of a For.
const MaxChunks = 1<<31 - 1

// For runs body(tid, chunk) once for every chunk in [0, n) and returns when
// all have returned; tid is the thread running the chunk (for its scratch
// buffers), never a share of the work. Thread t first claims the chunks of
// its home range, [homes[t], homes[t+1]) (homes has Threads()+1 entries
// from 0 to n; nil means nearly equal contiguous ranges), from the front;
// then it takes chunks from the back of the range with the most left.
// Workers that have not started when the caller finds nothing left to claim
// do not run at all. Panics reach the caller as in Run, and no chunk is
// claimed after one. For does not allocate if body does not.
func (p *Pool) For(n int, homes []int, body func(tid, chunk int)) {
	if n <= 0 {
		return
	}
	if n > MaxChunks {
		panic("parallel: For over more than MaxChunks chunks")
	}
	l := &p.loop
	l.body = body
	l.abort.Store(false)
	l.waitLimit = 0
	for t := range l.ranges {
		lo, hi := Split(n, p.threads, t)
		if homes != nil {
			lo, hi = homes[t], homes[t+1]
		}
		l.ranges[t].w.Store(packRange(lo, hi))
	}
	if p.threads > 1 {
		p.solo.fors++
	}
	switch {
	case p.threads == 1:
		p.runLoop(0)
	case p.solo.active(time.Now(), p.threads):
		// Peers were recently late: run every chunk here, as one thread
		// would (the chunks, and so the results, are the same).
		p.runLoop(0)
	default:
		start := time.Now()
		p.run(p.loopFn, true)
		p.solo.observe(l.callerDone.Sub(start), time.Since(l.callerDone))
	}
	l.body = nil
}

// runLoop claims and runs chunks on thread tid until none is left. The
// caller (tid 0) also times its chunks to set how long it then waits for
// the workers' last ones before parking.
func (p *Pool) runLoop(tid int) {
	l := &p.loop
	var start time.Time
	if tid == 0 {
		start = time.Now()
	}
	chunks := 0
	for {
		if p.hook != nil {
			p.hook(tid)
		}
		c, ok := l.claim(tid)
		if !ok {
			break
		}
		l.body(tid, c)
		chunks++
	}
	if tid == 0 {
		l.callerDone = time.Now()
		if chunks > 0 {
			l.waitLimit = min(max(2*l.callerDone.Sub(start)/time.Duration(chunks), minWait), spinTime)
		}
	}
}

// claim returns a chunk for thread tid: the front of its own range, else
// the back of the fullest other range; false when none is left.
func (l *loop) claim(tid int) (int, bool) {
	own := &l.ranges[tid].w
	for {
		if l.abort.Load() {
			return 0, false
		}
		w := own.Load()
		lo, hi := unpackRange(w)
		if lo >= hi {
			break
		}
		if own.CompareAndSwap(w, packRange(lo+1, hi)) {
			return lo, true
		}
	}
	for {
		if l.abort.Load() {
			return 0, false
		}
		victim, most := -1, 0
		var vw uint64
		for t := range l.ranges {
			w := l.ranges[t].w.Load()
			if lo, hi := unpackRange(w); hi-lo > most {
				victim, most, vw = t, hi-lo, w
			}
		}
		if victim < 0 {
			return 0, false
		}
		lo, hi := unpackRange(vw)
		if l.ranges[victim].w.CompareAndSwap(vw, packRange(lo, hi-1)) {
			return hi - 1, true
		}
	}
}

// SetClaimHook makes every thread call fn(tid) before each claim of a For
// (nil removes it). It is for tests: a hook that stalls one thread shows
// that the others take its chunks and that results do not change. It must
// not be called while a For runs.
func (p *Pool) SetClaimHook(fn func(tid int)) { p.hook = fn }

// RunN calls fn(tid, lo, hi) on every thread with [lo, hi) the thread's share of
// n items split into contiguous, nearly equal ranges (threads with no items
// are not called): a static split, for loops that need each thread's range
// to be its own (first-touch allocation, say). Loops that only need their
// items done should use For, which does not wait for a descheduled thread.
func (p *Pool) RunN(n int, fn func(tid, lo, hi int)) {
	t := min(p.threads, n)
	if t <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}
	p.Run(func(tid int) {
		if tid < t {
			lo, hi := Split(n, t, tid)
			fn(tid, lo, hi)
		}
	})
}

// ChunksPerThread is how many chunks a loop gets per thread when its items
// allow: enough that the others absorb a stalled thread's share, and that
// the last chunks of threads running at different speeds end close
// together, while each chunk still costs far more than its one atomic claim.
const ChunksPerThread = 4

// Chunks returns the chunk count for n items on t threads with chunks of at
// least minItems items: ChunksPerThread·t where the items allow, never more
// than n/minItems, never fewer than min(t, n) (at least 1).
func Chunks(n, t, minItems int) int {
	c := min(ChunksPerThread*t, n/max(minItems, 1))
	return max(c, min(t, n), 1)
}

// Split returns the i-th of parts contiguous ranges that cover [0, n), the
// first n%parts ranges one longer than the rest.
func Split(n, parts, i int) (lo, hi int) {
	q, r := n/parts, n%parts
	lo = i*q + min(i, r)
	hi = lo + q
	if i < r {
		hi++
	}
	return lo, hi
}

// SplitIndex returns the i for which Split(n, parts, i) starts at lo, for
// lo the start of one of those ranges.
func SplitIndex(n, parts, lo int) int {
	q, r := n/parts, n%parts
	if lo < r*(q+1) || q == 0 {
		return lo / (q + 1)
	}
	return r + (lo-r*(q+1))/q
}
