package kernels_test

import (
	"fmt"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// BenchmarkSgemmBackprop times the transposed GEMMs of the seed CNN's
// training step (conv2 and fc1 at batch 32 lowered to GEMM), which the NN-only
// shapes of the bench table do not cover:
//
//	go test ./kernels -run '^$' -bench SgemmBackprop
func BenchmarkSgemmBackprop(b *testing.B) {
	shapes := []struct {
		name    string
		tA, tB  kernels.Transpose
		m, n, k int
	}{
		{"conv2-fwd", 'N', 'T', 3872, 64, 288},
		{"conv2-bwd-data", 'N', 'N', 3872, 288, 64},
		{"conv2-bwd-weights", 'T', 'N', 64, 288, 3872},
		{"fc1-fwd", 'N', 'T', 32, 128, 1600},
		{"fc1-bwd-data", 'N', 'N', 32, 1600, 128},
		{"fc1-bwd-weights", 'T', 'N', 128, 1600, 32},
	}
	for _, threads := range []int{1, 2} {
		ctx, err := kernels.NewDefaultContext(threads)
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range shapes {
			b.Run(fmt.Sprintf("threads=%d/shape=%s", threads, s.name), func(b *testing.B) {
				lda, ldb := s.k, s.n
				if s.tA == 'T' {
					lda = s.m
				}
				if s.tB == 'T' {
					ldb = s.k
				}
				a, bb, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
				for b.Loop() {
					ctx.Sgemm(s.tA, s.tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				b.ReportMetric(kernels.SgemmFLOPs(s.m, s.n, s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		ctx.Close()
	}
}
