package gemm

import "testing"

// The packing benchmarks time packA and packB alone, plain and transposed, at
// the AVX-512 kernel's panel sizes: the copy the blocked SGEMM pays per
// panel, which bench's Sgemm family measures only inside whole products.
// They need the unexported packers, so they live here.

// BenchmarkPackA packs an MC×KC block of A into 12-row panels (GB/s).
func BenchmarkPackA(b *testing.B) {
	const lda, mc, kc = 1024, 672, 192
	a := make([]float32, 1024*lda)
	dst := make([]float32, mc*kc)
	for _, tr := range []bool{false, true} {
		name := "N"
		if tr {
			name = "T"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				packA(dst, Matrix{Data: a, Stride: lda, Trans: tr}, 0, 0, mc, kc, 12, 1, true)
			}
			b.SetBytes(mc * kc * 4)
		})
	}
}

// BenchmarkPackB packs a KC×NC block of B into 32-column panels (GB/s).
func BenchmarkPackB(b *testing.B) {
	const ldb, nc, kc = 1024, 1024, 192
	bb := make([]float32, 1024*ldb)
	dst := make([]float32, nc*kc)
	for _, tr := range []bool{false, true} {
		name := "N"
		if tr {
			name = "T"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				packB(dst, Matrix{Data: bb, Stride: ldb, Trans: tr}, 0, 0, kc, nc, 32, true)
			}
			b.SetBytes(nc * kc * 4)
		})
	}
}
