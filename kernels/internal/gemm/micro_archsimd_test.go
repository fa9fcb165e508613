//go:build goexperiment.simd && amd64 && !noasm

package gemm

import (
	"testing"
)

// The archsimd micro-kernels join TestMicroKernelsMatchReference (random
// panels, k from 0 past the loop's multiples, beta zero and not, NaN in C
// with beta = 0, guard values around the tile) when the CPU runs them.
func init() {
	if ArchSIMDUsable() {
		extraMicroKernels = append(extraMicroKernels, ArchSIMDKernel, ArchSIMDKernel6x32, ArchSIMDKernel12x32)
	}
}

// TestArchSIMDBlockingIsConsistent checks that the blocking derived for the
// archsimd tile is a positive multiple of it.
func TestArchSIMDBlockingIsConsistent(t *testing.T) {
	for _, c := range []Caches{{}, {L2: 1 << 20, L3: 32 << 20}, {L2: 1, L3: 1}} {
		bl := BlockingFor(ArchSIMDKernel, c)
		if bl.MC%ArchSIMDKernel.MR != 0 || bl.NC%ArchSIMDKernel.NR != 0 || bl.KC <= 0 || bl.MC <= 0 {
			t.Errorf("%+v: blocking %+v not a positive multiple of the 4x32 tile", c, bl)
		}
	}
}

// BenchmarkTuneArchSIMDHot measures the archsimd micro-kernels beside the avo
// AVX-512 one on L1-resident panels (k = 192, C tile hot): the kernels' own
// ceilings, without memory (docs/perf-notes-archsimd.md).
func BenchmarkTuneArchSIMDHot(b *testing.B) {
	if !ArchSIMDUsable() {
		b.Skip("CPU lacks AVX-512")
	}
	const k = 192
	for _, kern := range []Kernel{AVX512Kernel, ArchSIMDKernel, ArchSIMDKernel6x32, ArchSIMDKernel12x32} {
		b.Run("kernel="+kern.Name, func(b *testing.B) {
			a := make([]float32, kern.MR*k)
			bb := make([]float32, kern.NR*k)
			c := make([]float32, kern.MR*kern.NR)
			for b.Loop() {
				kern.Fn(k, a, bb, kern.NR, c, kern.NR, 1)
			}
			b.ReportMetric(float64(2*kern.MR*kern.NR*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
