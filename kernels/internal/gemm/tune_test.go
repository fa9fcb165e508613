package gemm

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkTuneBlocking sweeps cache-blocking sizes for the AVX-512 kernel on
// one GEMM, for tuning BlockingFor: TUNE="m,n,k" TUNE_KC="128,192,256"
// TUNE_MC="..." go test -run '^$' -bench TuneBlocking ./kernels/internal/gemm
func BenchmarkTuneBlocking(b *testing.B) {
	dims := ints(os.Getenv("TUNE"), []int{1024, 1024, 1024})
	m, n, k := dims[0], dims[1], dims[2]
	kern := AVX512Kernel
	if os.Getenv("TUNE_KERNEL") == "avx2" {
		kern = AVX2Kernel
	}
	def := BlockingFor(kern, Caches{L1D: 48 << 10, L2: 1 << 20, L3: 32 << 20})
	kcs := ints(os.Getenv("TUNE_KC"), []int{def.KC})
	mcs := ints(os.Getenv("TUNE_MC"), []int{def.MC})
	a := make([]float32, m*k)
	bb := make([]float32, k*n)
	c := make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range bb {
		bb[i] = float32(i%5) - 2
	}
	for _, kc := range kcs {
		for _, mc := range mcs {
			bl := Blocking{MC: mc / kern.MR * kern.MR, KC: kc, NC: def.NC}
			b.Run(fmt.Sprintf("kc=%d/mc=%d", kc, bl.MC), func(b *testing.B) {
				var ws Workspace
				for b.Loop() {
					Gemm(&ws, kern, bl, m, n, k, 1, Matrix{Data: a, Stride: k}, Matrix{Data: bb, Stride: n}, 0, c, n)
				}
				b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func ints(s string, def []int) []int {
	if s == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			panic(err)
		}
		out = append(out, v)
	}
	return out
}

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
