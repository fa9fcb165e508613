package kernels_test

import (
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// forEachImpl runs test for every implementation in r at every ISA level
// (once for ISA-independent ones) and thread count, with the per-thread
// minimums of the layer kernels and SGEMM lowered so that small inputs split
// across threads.
func forEachImpl[F any](t *testing.T, r *kernels.Registry[F], test func(t *testing.T, ctx *kernels.Context, fn F)) {
	defer kernels.SetMinBytesPerThread(256)()
	defer kernels.SetMinFLOPsPerThread(0)()
	for _, impl := range r.All() {
		t.Run("impl="+impl.Name, func(t *testing.T) {
			kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
				skipIfISAIndependent(t, impl.Mode, ctx)
				defer kerneltest.SetExtraError(impl.Error)()
				test(t, ctx, impl.Fn)
			})
		})
	}
}

// skipIfISAIndependent skips GenericOnly and Native implementations at every
// level but the first, so they run once per thread count, and AVX512Only
// ones at every level but avx512.
func skipIfISAIndependent(t *testing.T, mode kernels.ISAMode, ctx *kernels.Context) {
	if mode == kernels.AVX512Only && ctx.ISA() != cpu.AVX512 {
		t.Skip("runs at avx512 only")
	}
	if (mode == kernels.GenericOnly || mode == kernels.Native) && ctx.ISA() != cpu.Generic {
		t.Skip("does not depend on the ISA level")
	}
}

// lookup returns the function of implementation name in r, failing the test
// if there is none.
func lookup[F any](t *testing.T, r *kernels.Registry[F], name string) F {
	t.Helper()
	impl, err := r.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return impl.Fn
}

// genericContext returns a one-thread Context at the generic level, closed
// when the test ends.
func genericContext(t *testing.T) *kernels.Context {
	t.Helper()
	ctx, err := kernels.NewContext(cpu.Generic, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctx.Close)
	return ctx
}

// panicCase is a call that must panic with a message containing want.
type panicCase struct {
	name string
	call func()
	want string
}

// checkPanics runs each case and reports those that do not panic with a
// message containing their want.
func checkPanics(t *testing.T, cases []panicCase) {
	t.Helper()
	for _, tc := range cases {
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("%s: panic %v, want one containing %q", tc.name, r, tc.want)
				}
			}()
			tc.call()
		}()
	}
}
