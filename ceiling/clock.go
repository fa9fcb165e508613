package ceiling

import (
	"time"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// MeasureClock estimates the running clock of one busy core in GHz from a
// chain of dependent integer adds, one per cycle on every x86 core: the best
// rate of many short runs (quick: 10 of 1 ms; otherwise 25 of 10 ms), since
// interference only ever slows a run. It returns 0 where the chain is not
// assembly (the noasm build tag, non-amd64), since Go code gives no
// instruction count to divide by.
func MeasureClock(quick bool) float64 {
	if info, _ := cpu.Detect(); info.Compiled == cpu.Generic {
		return 0
	}
	b := budget{10 * time.Millisecond, 25}
	if quick {
		b = budget{time.Millisecond, 10}
	}
	n, sink := 1, 0
	run := func() { chunked(n, func(k int) { sink += addChain(k) }) }
	calibrate(func(k int) { n = k }, run, b.run)
	ghz := bestRate(run, float64(addChainRef(n)), b.reps) / 1e9
	if sink < 0 { // keep the result alive
		return 0
	}
	return ghz
}
