// The archsimd implementations (GOEXPERIMENT=simd, Go 1.26): SGEMM and ReLU
// written in Go with simd/archsimd, a third way to write a kernel beside the
// avo assembly and pure Go, registered as impl=archsimd so that benchmarks set
// them beside the avo versions (docs/perf-notes-archsimd.md). Without the
// experiment this file is not built and the registries do not have them.

//go:build goexperiment.simd && amd64 && !noasm

package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/kernels/internal/vec"
)

// They register only where they can run: the CPU has AVX-512 by archsimd's
// check and by ours, and TRAINBENCH_ISA does not cap the run below avx512.
func init() {
	info, err := cpu.Detect()
	if err != nil || info.Check(cpu.AVX512) != nil || !gemm.ArchSIMDUsable() || !vec.ArchSIMDUsable() {
		return
	}
	SgemmImpls.Register(Impl[SgemmFunc]{Name: benchname.ImplArchSIMD, Mode: AVX512Only, Fn: sgemmArchSIMD,
		Doc: "blocked's loop nest and packing with a 4x32 micro-kernel written with simd/archsimd"})
	ReLUFwdImpls.Register(Impl[ReLUFwdFunc]{Name: benchname.ImplArchSIMD, Mode: AVX512Only, Fn: reluFwdArchSIMD,
		Doc: "compare and blend over Float32x16, written with simd/archsimd"})
	ReLUBwdImpls.Register(Impl[ReLUBwdFunc]{Name: benchname.ImplArchSIMD, Mode: AVX512Only, Fn: reluBwdArchSIMD,
		Doc: "compare and masked move over Float32x16, written with simd/archsimd"})
}

// needAVX512 panics unless ctx runs at avx512, the only level the archsimd
// implementations are written for.
func needAVX512(ctx *Context, kernel string) {
	if ctx.isa != cpu.AVX512 {
		panic(fmt.Sprintf("kernels: %s archsimd: needs a Context at avx512, this one is at %v", kernel, ctx.isa))
	}
}

// sgemmArchSIMD is sgemmBlocked with the archsimd micro-kernel
// (gemm.ArchSIMDKernel) in place of the avo one: the same packing, blocking
// and thread split, so the two differ in the micro-kernel alone (and in
// having no direct kernels: it always packs).
func sgemmArchSIMD(ctx *Context, tA, tB Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	needAVX512(ctx, "sgemm")
	sgemmWithKernel(ctx, gemm.ArchSIMDKernel, tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// reluFwdArchSIMD runs vec.ReLUArchSIMD across the Context's threads, split
// as the simd implementation splits.
func reluFwdArchSIMD(ctx *Context, x, y []float32) {
	checkReLUFwd("relu-fwd archsimd", x, y)
	needAVX512(ctx, "relu-fwd")
	j := &ctx.layer
	j.a, j.b = x, y
	ctx.layerFor(len(x), elemPerThread(8), reluFwdArchSIMDBody)
}

func reluFwdArchSIMDBody(j *layerJob, _, lo, hi int) { vec.ReLUArchSIMD(j.b[lo:hi], j.a[lo:hi]) }

// reluBwdArchSIMD runs vec.ReLUBackwardArchSIMD across the Context's
// threads, split as the simd implementation splits.
func reluBwdArchSIMD(ctx *Context, y, dy, dx []float32) {
	checkReLUBwd("relu-bwd archsimd", y, dy, dx)
	needAVX512(ctx, "relu-bwd")
	j := &ctx.layer
	j.a, j.b, j.c = y, dy, dx
	ctx.layerFor(len(y), elemPerThread(12), reluBwdArchSIMDBody)
}

func reluBwdArchSIMDBody(j *layerJob, _, lo, hi int) {
	vec.ReLUBackwardArchSIMD(j.c[lo:hi], j.b[lo:hi], j.a[lo:hi])
}
