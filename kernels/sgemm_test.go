package kernels_test

import (
	"math"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestSgemmConformance runs every registered SGEMM implementation through the
// conformance suite at every usable ISA level and thread count.
// forEachImpl splits even tiny problems over threads, so that every edge case
// also runs through the thread partitioning.
func TestSgemmConformance(t *testing.T) {
	forEachImpl(t, kernels.SgemmImpls, kerneltest.TestSgemm)
}

// TestSgemmDeterministic checks that a given thread count gives bit-identical
// results run after run, and that blocked results do not depend on the thread
// count either (each element is summed in the same order by one thread).
func TestSgemmDeterministic(t *testing.T) {
	const m, n, k = 157, 301, 413
	rng := kerneltest.Rand(7)
	a, b := make([]float32, m*k), make([]float32, k*n)
	kerneltest.Fill(rng, a)
	kerneltest.Fill(rng, b)
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		first := make([]float32, m*n)
		ctx.Sgemm(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, a, k, b, n, 0, first, n)
		for rep := 0; rep < 3; rep++ {
			again := make([]float32, m*n)
			ctx.Sgemm(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, a, k, b, n, 0, again, n)
			for i := range again {
				if math.Float32bits(again[i]) != math.Float32bits(first[i]) {
					t.Fatalf("repeat %d differs at %d: %v vs %v", rep, i, again[i], first[i])
				}
			}
		}
	})
}

func TestSgemmRejectsBadShapes(t *testing.T) {
	ctx := genericContext(t)
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 4)
	checkPanics(t, []panicCase{
		{"lda", func() { ctx.Sgemm('N', 'N', 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) }, "lda = 2 < 3"},
		{"len(b)", func() { ctx.Sgemm('N', 'N', 2, 2, 3, 1, a, 3, b[:5], 2, 0, c, 2) }, "len(b) = 5 < 6"},
		{"ldc", func() { ctx.Sgemm('N', 'T', 2, 2, 3, 1, a, 3, b, 3, 0, c, 1) }, "ldc = 1 < n = 2"},
		{"trans", func() { ctx.Sgemm('X', 'N', 2, 2, 3, 1, a, 3, b, 2, 0, c, 2) }, "neither NoTrans nor Trans"},
		{"negative", func() { ctx.Sgemm('N', 'N', -1, 2, 3, 1, a, 3, b, 2, 0, c, 2) }, "negative dimension"},
	})
}

func TestRegistryLookup(t *testing.T) {
	if _, err := kernels.SgemmImpls.Lookup("blocked"); err != nil {
		t.Fatal(err)
	}
	_, err := kernels.SgemmImpls.Lookup("fast")
	if err == nil || !strings.Contains(err.Error(), "naive") {
		t.Fatalf("Lookup(fast) error = %v; want one listing the valid names", err)
	}
}

func TestNewContextRejectsBadThreads(t *testing.T) {
	for _, n := range []int{0, -1, kernels.MaxThreads + 1} {
		if ctx, err := kernels.NewContext(cpu.Generic, n); err == nil {
			ctx.Close()
			t.Errorf("NewContext(generic, %d) succeeded", n)
		}
	}
}

// TestSgemmDoesNotAllocate checks that a steady-state call allocates nothing,
// one thread and several (the training loop calls SGEMM thousands of times).
func TestSgemmDoesNotAllocate(t *testing.T) {
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		for _, s := range [][3]int{{32, 10, 128}, {200, 300, 100}} {
			m, n, k := s[0], s[1], s[2]
			a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			ctx.Sgemm(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
			allocs := testing.AllocsPerRun(10, func() {
				ctx.Sgemm(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("%dx%dx%d: %v allocations per call", m, n, k, allocs)
			}
		}
	})
}

// TestSgemmRefusesOverflow: shapes and strides whose sizes wrap around an
// int used to pass the length checks (the blocked kernel at avx512 then
// wrote past the end of C); every implementation must refuse them before
// touching memory.
func TestSgemmRefusesOverflow(t *testing.T) {
	forEachImpl(t, kernels.SgemmImpls, kerneltest.TestSgemmOverflow)
}
