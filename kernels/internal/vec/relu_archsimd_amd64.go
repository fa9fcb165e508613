// ReLU and its gradient written with simd/archsimd (GOEXPERIMENT=simd, Go
// 1.26) instead of avo assembly, to measure the two ways of writing a
// memory-bound kernel against each other (docs/perf-notes-archsimd.md).
// Without the experiment this file is not built.

//go:build goexperiment.simd && amd64 && !noasm

package vec

import "simd/archsimd"

// ArchSIMDUsable reports whether this CPU runs the archsimd kernels (AVX-512
// F, CD, BW, DQ and VL, archsimd's own check).
func ArchSIMDUsable() bool { return archsimd.X86.AVX512() }

// ReLUArchSIMD sets dst[i] = src[i] < 0 ? 0 : src[i] for i < len(src) (NaN
// and −0 pass through); reluGo is its specification. dst may be src. It runs
// as the avo routine does, four vectors a step, then one, then the tail
// through a masked load and store, but selects with a compare and a blend
// (zero where x < 0, which is false for NaN and −0) where the avo routine
// has one VMAXPS with zero first.
//
// Max would not do: its result for NaN and −0 depends on which operand
// VMAXPS gets first, archsimd does not say which, and the Go 1.26 compiler
// treats VMAXPS as commutative, so zero.Max(x) passes NaN through when x
// comes from memory and turns it into 0 when x is in a register (the masked
// tail's load).
func ReLUArchSIMD(dst, src []float32) {
	n := len(src)
	dst = dst[:n]
	var zero archsimd.Float32x16
	i := 0
	for ; i+64 <= n; i += 64 {
		s, d := (*[64]float32)(src[i:]), (*[64]float32)(dst[i:])
		reluVec((*[16]float32)(d[0:16]), (*[16]float32)(s[0:16]), zero)
		reluVec((*[16]float32)(d[16:32]), (*[16]float32)(s[16:32]), zero)
		reluVec((*[16]float32)(d[32:48]), (*[16]float32)(s[32:48]), zero)
		reluVec((*[16]float32)(d[48:64]), (*[16]float32)(s[48:64]), zero)
	}
	for ; i+16 <= n; i += 16 {
		reluVec((*[16]float32)(dst[i:]), (*[16]float32)(src[i:]), zero)
	}
	if i < n {
		x := archsimd.LoadFloat32x16SlicePart(src[i:])
		zero.Merge(x, x.Less(zero)).StoreSlicePart(dst[i:])
	}
}

// ReLUBackwardArchSIMD sets dx[i] = y[i] > 0 ? dy[i] : 0 for i < len(y)
// (0 where y is NaN); reluBwdGo is its specification. dx may be dy.
func ReLUBackwardArchSIMD(dx, dy, y []float32) {
	n := len(y)
	dx, dy = dx[:n], dy[:n]
	var zero archsimd.Float32x16
	i := 0
	for ; i+64 <= n; i += 64 {
		yv, g, d := (*[64]float32)(y[i:]), (*[64]float32)(dy[i:]), (*[64]float32)(dx[i:])
		reluBwdVec((*[16]float32)(d[0:16]), (*[16]float32)(g[0:16]), (*[16]float32)(yv[0:16]), zero)
		reluBwdVec((*[16]float32)(d[16:32]), (*[16]float32)(g[16:32]), (*[16]float32)(yv[16:32]), zero)
		reluBwdVec((*[16]float32)(d[32:48]), (*[16]float32)(g[32:48]), (*[16]float32)(yv[32:48]), zero)
		reluBwdVec((*[16]float32)(d[48:64]), (*[16]float32)(g[48:64]), (*[16]float32)(yv[48:64]), zero)
	}
	for ; i+16 <= n; i += 16 {
		reluBwdVec((*[16]float32)(dx[i:]), (*[16]float32)(dy[i:]), (*[16]float32)(y[i:]), zero)
	}
	if i < n {
		m := archsimd.LoadFloat32x16SlicePart(y[i:]).Greater(zero)
		archsimd.LoadFloat32x16SlicePart(dy[i:]).Masked(m).StoreSlicePart(dx[i:])
	}
}

// reluVec is one vector of ReLUArchSIMD (inlined).
func reluVec(d, s *[16]float32, zero archsimd.Float32x16) {
	x := archsimd.LoadFloat32x16(s)
	zero.Merge(x, x.Less(zero)).Store(d)
}

// reluBwdVec is one vector of ReLUBackwardArchSIMD (inlined).
func reluBwdVec(dx, dy, y *[16]float32, zero archsimd.Float32x16) {
	archsimd.LoadFloat32x16(dy).Masked(archsimd.LoadFloat32x16(y).Greater(zero)).Store(dx)
}
