package bench

import (
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// onContext is a Case.Prepare that opens a Context at level l with threads
// threads, builds the op on it, and closes the Context in the cleanup (or at
// once, if build fails): the one place a case sets up and tears down its
// Context.
func onContext(l cpu.Level, threads int, build func(ctx *kernels.Context) (func(), error)) func() (func(), func(), error) {
	return func() (func(), func(), error) {
		ctx, err := kernels.NewContext(l, threads)
		if err != nil {
			return nil, nil, err
		}
		op, err := build(ctx)
		if err != nil {
			ctx.Close()
			return nil, nil, err
		}
		return op, ctx.Close, nil
	}
}

// filled returns n small values (exactly representable, so that no
// denormals or overflow distort timings).
func filled(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%7-3) / 4
	}
	return v
}
