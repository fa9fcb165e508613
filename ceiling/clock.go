package ceiling

import (
	"context"
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
	ghz, _ := measureClock(context.Background(), quick)
	return ghz
}

// measureClock is MeasureClock, stopped between runs when ctx is done.
func measureClock(ctx context.Context, quick bool) (float64, error) {
	if info, _ := cpu.Detect(); info.Compiled == cpu.Generic {
		return 0, nil
	}
	b := budget{10 * time.Millisecond, 25}
	if quick {
		b = budget{time.Millisecond, 10}
	}
	n, sink := 1, 0
	run := func() { chunked(n, func(k int) { sink += addChain(k) }) }
	if err := calibrate(ctx, func(k int) { n = k }, run, b.run); err != nil {
		return 0, err
	}
	rate, err := bestRate(ctx, run, float64(addChainRef(n)), b.reps)
	if err != nil || sink < 0 { // keep the result alive
		return 0, err
	}
	return rate / 1e9, nil
}
