package parallel

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Solo spells. On a machine shared with another busy process, one of a
// pool's threads shares a CPU with it: every barrier then waits for a
// thread that is off its CPU, and the thread sharing may be the caller
// itself, so a two-thread loop runs slower than one thread would (the
// caller alone gets the free CPU: the scheduler moves the one runnable
// thread there). The pool watches for that and runs its Fors on the caller
// alone for a spell (soloMin, doubling while the probes that follow find
// the machine still busy, up to soloMax), its workers parked; then it tries
// them again. Chunks are the same either way, so results do not change.
//
// Two signs start a spell. The process got less than busyShare of the CPUs
// its threads could use over a window of parallel Fors (window long): its
// threads were runnable but waiting for a CPU, since a worker between Fors
// spins rather than sleeps. Or a For's caller waited for a worker longer
// than it worked itself and longer than lateMin: the worker was taken off
// its CPU mid-chunk (a worker a moment late, or a chunk a little longer
// than the caller's, is late by microseconds; one descheduled, by
// milliseconds).
const (
	soloMax   = 1280 * time.Millisecond
	lateMin   = 2 * descheduled
	window    = 10 * time.Millisecond
	busyShare = 0.8
)

// soloMin is the first spell's length; a variable so that a test on a loaded
// machine can make a spell outlast its own scheduling delays.
var soloMin = 20 * time.Millisecond

// cpuClock is processCPU, a variable so that tests can stand in a machine
// of known load.
var cpuClock = processCPU

// soloState is a pool's record of how its parallel Fors fared. It is used
// by the caller of For only.
type soloState struct {
	until time.Time     // run Fors on the caller alone until then
	span  time.Duration // the last spell; 0 until one started, again after a good probe
	// The window of parallel Fors being measured: when it started and the
	// process CPU time then; winStart is zero while no window is open.
	winStart time.Time
	winCPU   time.Duration
	strikes  int // late Fors and short windows since the last good window
	runs     int // Fors run solo
	fors     int // Fors of more than one chunk on a pool of more than one thread
	late     int // parallel Fors that found a worker late
	busy     int // windows that found the process short of CPU
	// parkNow tells idle workers to park at once rather than spin: no run
	// comes for them during a spell, and their spinning takes the CPU
	// the caller needs.
	parkNow atomic.Bool
}

// active reports whether a For at now should run on the caller alone, and
// closes the measuring window when it is due.
func (s *soloState) active(now time.Time, threads int) bool {
	if s.span != 0 && now.Before(s.until) {
		s.runs++
		return true
	}
	s.parkNow.Store(false)
	if s.winStart.IsZero() {
		s.open(now)
		return false
	}
	if wall := now.Sub(s.winStart); wall > 10*window {
		// The window spans a pause between loops (workers parked, the
		// caller elsewhere): it says nothing of the loops; start again.
		s.open(now)
	} else if wall >= window {
		cpu, ok := cpuClock()
		if ok && float64(cpu-s.winCPU) < busyShare*float64(min(threads, runtime.NumCPU()))*float64(wall) {
			s.busy++
			if s.strike(now) {
				s.runs++
				return true
			}
			s.open(now)
			return false
		}
		s.span, s.strikes = 0, 0 // a good window ends the backing off
		s.open(now)
	}
	return false
}

// open starts a measuring window at now.
func (s *soloState) open(now time.Time) {
	cpu, ok := cpuClock()
	if !ok {
		return
	}
	s.winStart, s.winCPU = now, cpu
}

// strike counts one sign of a busy machine and starts a spell at the
// second since the last good window, or at once while backing off (the
// probe after a spell found the machine still busy): one sign alone is as
// likely a garbage collection or a page fault.
func (s *soloState) strike(now time.Time) bool {
	s.strikes++
	if s.strikes < 2 && s.span == 0 {
		return false
	}
	s.start(now)
	return true
}

// start begins a solo spell at now: soloMin, or twice the last one.
func (s *soloState) start(now time.Time) {
	if s.span == 0 {
		s.span = soloMin
	} else {
		s.span = min(2*s.span, soloMax)
	}
	s.until = now.Add(s.span)
	s.parkNow.Store(true)
	s.winStart = time.Time{} // measure afresh once the spell is over
}

// observe takes a parallel For's caller busy time and how long it then
// waited for the workers, and starts a spell if a worker was descheduled.
func (s *soloState) observe(busy, wait time.Duration) {
	if wait < lateMin || wait < busy {
		return
	}
	s.late++
	s.strike(time.Now())
}

// Stats counts what a pool's Fors met: how it fared on a shared machine.
type Stats struct {
	Fors        int // Fors asked of a pool of more than one thread
	Solo        int // of those, run on the caller alone (a solo spell)
	Late        int // parallel Fors whose caller waited for a descheduled worker
	BusyWindows int // measuring windows that found the process short of CPU
}

// Stats returns the pool's counts since it started. Only the goroutine
// that calls For may call it.
func (p *Pool) Stats() Stats {
	return Stats{Fors: p.solo.fors, Solo: p.solo.runs, Late: p.solo.late, BusyWindows: p.solo.busy}
}

// SetSpell starts a solo spell of d now, or ends the one in force when d ≤ 0
// (the next window of Fors then measures afresh). It is for tests that check
// that loops run on the caller alone give the bits their chunks do.
func (p *Pool) SetSpell(d time.Duration) {
	if d <= 0 {
		p.solo.span, p.solo.until, p.solo.strikes = 0, time.Time{}, 0
		p.solo.parkNow.Store(false)
		return
	}
	p.solo.span, p.solo.until = d, time.Now().Add(d)
	p.solo.parkNow.Store(true)
	p.solo.winStart = time.Time{}
}
