// Code written with simd/archsimd (GOEXPERIMENT=simd, Go 1.26): the SGEMM
// micro-kernels as Go source instead of avo assembly, so that the two ways
// of writing a kernel can be measured against each other
// (docs/perf-notes-archsimd.md). Without the experiment these files are not
// built and nothing here exists.

//go:build goexperiment.simd && amd64 && !noasm

package gemm

import "simd/archsimd"

// ArchSIMDKernel is the archsimd micro-kernel family: a 4×32 tile in eight
// Float32x16 accumulators, packed panels only (no direct kernels). The tile
// is the widest that the Go 1.26 register allocator keeps in registers: a
// vector that lives across the k loop gets one of Z0-Z14 only, and
// MulAdd's VFMADD213PS overwrites a multiplicand, so every tile with more
// accumulators spills (ArchSIMDKernel12x32, the avo kernel's tile, runs
// several times slower than this one).
var ArchSIMDKernel = Kernel{Name: "archsimd-4x32", MR: 4, NR: 32, Fn: sgemmArchSIMD4x32, SIMDPack: true}

// ArchSIMDKernel12x32 and ArchSIMDKernel6x32 are archsimd micro-kernels
// with the avo kernel's tile and with half of it, kept to measure what the
// register allocator costs them (BenchmarkTuneArchSIMDHot).
var (
	ArchSIMDKernel12x32 = Kernel{Name: "archsimd-12x32", MR: 12, NR: 32, Fn: sgemmArchSIMD12x32, SIMDPack: true}
	ArchSIMDKernel6x32  = Kernel{Name: "archsimd-6x32", MR: 6, NR: 32, Fn: sgemmArchSIMD6x32, SIMDPack: true}
)

// ArchSIMDUsable reports whether this CPU runs the archsimd kernels: they
// use AVX-512 (archsimd's own feature check, which wants F, CD, BW, DQ and
// VL together).
func ArchSIMDUsable() bool { return archsimd.X86.AVX512() }

// sgemmArchSIMD4x32 meets microRef's specification for mr = 4, nr = 32: per
// step of k, two loads of B, four broadcasts of A and eight MulAdds.
func sgemmArchSIMD4x32(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b archsimd.Float32x16
	for ; k > 0; k-- {
		ap := (*[4]float32)(a)
		bp := (*[32]float32)(b)
		b0 := archsimd.LoadFloat32x16((*[16]float32)(bp[0:16]))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(bp[16:32]))
		x0 := archsimd.BroadcastFloat32x16(ap[0])
		c0a = x0.MulAdd(b0, c0a)
		c0b = x0.MulAdd(b1, c0b)
		x1 := archsimd.BroadcastFloat32x16(ap[1])
		c1a = x1.MulAdd(b0, c1a)
		c1b = x1.MulAdd(b1, c1b)
		x2 := archsimd.BroadcastFloat32x16(ap[2])
		c2a = x2.MulAdd(b0, c2a)
		c2b = x2.MulAdd(b1, c2b)
		x3 := archsimd.BroadcastFloat32x16(ap[3])
		c3a = x3.MulAdd(b0, c3a)
		c3b = x3.MulAdd(b1, c3b)
		a = a[4:]
		if k > 1 {
			b = b[ldb:]
		}
	}
	storeRow32(c[0*ldc:], c0a, c0b, beta)
	storeRow32(c[1*ldc:], c1a, c1b, beta)
	storeRow32(c[2*ldc:], c2a, c2b, beta)
	storeRow32(c[3*ldc:], c3a, c3b, beta)
}

// sgemmArchSIMD6x32 meets microRef's specification for mr = 6, nr = 32.
func sgemmArchSIMD6x32(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b archsimd.Float32x16
	for ; k > 0; k-- {
		ap := (*[6]float32)(a)
		bp := (*[32]float32)(b)
		b0 := archsimd.LoadFloat32x16((*[16]float32)(bp[0:16]))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(bp[16:32]))
		x0 := archsimd.BroadcastFloat32x16(ap[0])
		c0a = x0.MulAdd(b0, c0a)
		c0b = x0.MulAdd(b1, c0b)
		x1 := archsimd.BroadcastFloat32x16(ap[1])
		c1a = x1.MulAdd(b0, c1a)
		c1b = x1.MulAdd(b1, c1b)
		x2 := archsimd.BroadcastFloat32x16(ap[2])
		c2a = x2.MulAdd(b0, c2a)
		c2b = x2.MulAdd(b1, c2b)
		x3 := archsimd.BroadcastFloat32x16(ap[3])
		c3a = x3.MulAdd(b0, c3a)
		c3b = x3.MulAdd(b1, c3b)
		x4 := archsimd.BroadcastFloat32x16(ap[4])
		c4a = x4.MulAdd(b0, c4a)
		c4b = x4.MulAdd(b1, c4b)
		x5 := archsimd.BroadcastFloat32x16(ap[5])
		c5a = x5.MulAdd(b0, c5a)
		c5b = x5.MulAdd(b1, c5b)
		a = a[6:]
		if k > 1 {
			b = b[ldb:]
		}
	}
	storeRow32(c[0*ldc:], c0a, c0b, beta)
	storeRow32(c[1*ldc:], c1a, c1b, beta)
	storeRow32(c[2*ldc:], c2a, c2b, beta)
	storeRow32(c[3*ldc:], c3a, c3b, beta)
	storeRow32(c[4*ldc:], c4a, c4b, beta)
	storeRow32(c[5*ldc:], c5a, c5b, beta)
}

// sgemmArchSIMD12x32 meets microRef's specification for mr = 12, nr = 32,
// the avo kernel's tile; its 24 accumulators spill (see ArchSIMDKernel).
func sgemmArchSIMD12x32(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var c0a, c0b, c1a, c1b, c2a, c2b, c3a, c3b, c4a, c4b, c5a, c5b, c6a, c6b, c7a, c7b, c8a, c8b, c9a, c9b, c10a, c10b, c11a, c11b archsimd.Float32x16
	for ; k > 0; k-- {
		ap := (*[12]float32)(a)
		bp := (*[32]float32)(b)
		b0 := archsimd.LoadFloat32x16((*[16]float32)(bp[0:16]))
		b1 := archsimd.LoadFloat32x16((*[16]float32)(bp[16:32]))
		x0 := archsimd.BroadcastFloat32x16(ap[0])
		c0a = x0.MulAdd(b0, c0a)
		c0b = x0.MulAdd(b1, c0b)
		x1 := archsimd.BroadcastFloat32x16(ap[1])
		c1a = x1.MulAdd(b0, c1a)
		c1b = x1.MulAdd(b1, c1b)
		x2 := archsimd.BroadcastFloat32x16(ap[2])
		c2a = x2.MulAdd(b0, c2a)
		c2b = x2.MulAdd(b1, c2b)
		x3 := archsimd.BroadcastFloat32x16(ap[3])
		c3a = x3.MulAdd(b0, c3a)
		c3b = x3.MulAdd(b1, c3b)
		x4 := archsimd.BroadcastFloat32x16(ap[4])
		c4a = x4.MulAdd(b0, c4a)
		c4b = x4.MulAdd(b1, c4b)
		x5 := archsimd.BroadcastFloat32x16(ap[5])
		c5a = x5.MulAdd(b0, c5a)
		c5b = x5.MulAdd(b1, c5b)
		x6 := archsimd.BroadcastFloat32x16(ap[6])
		c6a = x6.MulAdd(b0, c6a)
		c6b = x6.MulAdd(b1, c6b)
		x7 := archsimd.BroadcastFloat32x16(ap[7])
		c7a = x7.MulAdd(b0, c7a)
		c7b = x7.MulAdd(b1, c7b)
		x8 := archsimd.BroadcastFloat32x16(ap[8])
		c8a = x8.MulAdd(b0, c8a)
		c8b = x8.MulAdd(b1, c8b)
		x9 := archsimd.BroadcastFloat32x16(ap[9])
		c9a = x9.MulAdd(b0, c9a)
		c9b = x9.MulAdd(b1, c9b)
		x10 := archsimd.BroadcastFloat32x16(ap[10])
		c10a = x10.MulAdd(b0, c10a)
		c10b = x10.MulAdd(b1, c10b)
		x11 := archsimd.BroadcastFloat32x16(ap[11])
		c11a = x11.MulAdd(b0, c11a)
		c11b = x11.MulAdd(b1, c11b)
		a = a[12:]
		if k > 1 {
			b = b[ldb:]
		}
	}
	storeRow32(c[0*ldc:], c0a, c0b, beta)
	storeRow32(c[1*ldc:], c1a, c1b, beta)
	storeRow32(c[2*ldc:], c2a, c2b, beta)
	storeRow32(c[3*ldc:], c3a, c3b, beta)
	storeRow32(c[4*ldc:], c4a, c4b, beta)
	storeRow32(c[5*ldc:], c5a, c5b, beta)
	storeRow32(c[6*ldc:], c6a, c6b, beta)
	storeRow32(c[7*ldc:], c7a, c7b, beta)
	storeRow32(c[8*ldc:], c8a, c8b, beta)
	storeRow32(c[9*ldc:], c9a, c9b, beta)
	storeRow32(c[10*ldc:], c10a, c10b, beta)
	storeRow32(c[11*ldc:], c11a, c11b, beta)
}

// storeRow32 writes one 32-wide row of a tile: c = v + beta·c, c not read
// when beta == 0.
func storeRow32(c []float32, v0, v1 archsimd.Float32x16, beta float32) {
	p := (*[32]float32)(c)
	p0 := (*[16]float32)(p[0:16])
	p1 := (*[16]float32)(p[16:32])
	if beta != 0 {
		bv := archsimd.BroadcastFloat32x16(beta)
		v0 = archsimd.LoadFloat32x16(p0).MulAdd(bv, v0)
		v1 = archsimd.LoadFloat32x16(p1).MulAdd(bv, v1)
	}
	v0.Store(p0)
	v1.Store(p1)
}
