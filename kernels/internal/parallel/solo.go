package parallel

import "time"

// A For whose caller waited for a worker longer than it worked itself would
// have finished sooner on the caller alone: the worker was off its CPU,
// which on a machine shared with another busy process happens at every
// other barrier and costs a time slice each time. After such a run the pool
// runs its Fors on the caller alone for a while (soloMin, doubling while the
// probes that follow are late too, up to soloMax), then tries its workers
// again. Chunks are the same either way, so results do not change.
//
// lateMin keeps a quiet machine out of solo mode: a worker that joined a
// moment late, or a chunk a little longer than the caller's, is late by
// microseconds, while a descheduled one is late by milliseconds.
const (
	soloMin = 10 * time.Millisecond
	soloMax = 320 * time.Millisecond
	lateMin = 2 * descheduled
)

// soloState is a pool's record of late workers.
type soloState struct {
	until time.Time     // run Fors on the caller alone until then
	span  time.Duration // the next solo spell; 0 until a run was late
	runs  int           // Fors run solo, for tests
	late  int           // late runs seen, for tests
}

// active reports whether a For should run on the caller alone now.
func (s *soloState) active() bool {
	if s.span == 0 || !time.Now().Before(s.until) {
		return false
	}
	s.runs++
	return true
}

// observe takes a parallel For's caller busy time and how long it then
// waited for the workers, and starts a solo spell if the wait says a worker
// was descheduled.
func (s *soloState) observe(busy, wait time.Duration) {
	if wait < lateMin || wait < busy {
		s.span = 0
		return
	}
	s.late++
	if s.span == 0 {
		s.span = soloMin
	} else {
		s.span = min(2*s.span, soloMax)
	}
	s.until = time.Now().Add(s.span)
}

// SoloStats returns how many Fors ran on the caller alone because workers
// had been late, and how many parallel Fors found a worker late.
func (p *Pool) SoloStats() (soloRuns, lateRuns int) { return p.solo.runs, p.solo.late }
