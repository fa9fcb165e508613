package gemm

import (
	"testing"
)

// BenchmarkTuneGoKernel measures the pure-Go micro-kernel on an L1-resident
// panel (k = 256), the figure its shape was chosen by.
func BenchmarkTuneGoKernel(b *testing.B) {
	const k = 256
	kern := GoKernel
	a := make([]float32, kern.MR*k)
	bb := make([]float32, kern.NR*k)
	c := make([]float32, kern.MR*kern.NR)
	for i := range a {
		a[i] = 1
	}
	for b.Loop() {
		kern.Fn(k, a, bb, kern.NR, c, kern.NR, 0)
	}
	b.ReportMetric(float64(2*kern.MR*kern.NR*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkTuneKernelHot measures each SIMD micro-kernel on L1-resident
// panels (k = 192, C tile hot): the kernel's own ceiling, without memory.
func BenchmarkTuneKernelHot(b *testing.B) {
	const k = 192
	for _, kern := range []Kernel{AVX2Kernel, AVX512Kernel} {
		b.Run(kern.Name, func(b *testing.B) {
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
