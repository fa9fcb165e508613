package kernels_test

import (
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestSgemmBF16Conformance runs both SGEMM-in-bf16 implementations through
// the conformance suite at every usable level and thread count: at avx512
// with AVX512_BF16 the VDPBF16PS kernels, elsewhere their pure-Go twins.
// Levels without the AVX512_BF16 kernels run the pure-Go ones, the same
// code at each: they are tested at generic only.
func TestSgemmBF16Conformance(t *testing.T) {
	logBF16(t)
	forEachImpl(t, kernels.SgemmBF16Impls, func(t *testing.T, ctx *kernels.Context, fn kernels.SgemmFunc) {
		skipIfPureGoBF16(t, ctx)
		kerneltest.TestSgemmBF16(t, ctx, fn)
	})
}

func TestGemmBF16Conformance(t *testing.T) {
	forEachImpl(t, kernels.GemmBF16Impls, func(t *testing.T, ctx *kernels.Context, fn kernels.GemmBF16Func) {
		skipIfPureGoBF16(t, ctx)
		kerneltest.TestGemmBF16(t, ctx, fn)
	})
}

func skipIfPureGoBF16(t *testing.T, ctx *kernels.Context) {
	if ctx.ISA() != cpu.Generic && !ctx.HasBF16() {
		t.Skip("no AVX512_BF16 at this level: the pure-Go bf16 kernels, tested at generic")
	}
}

// logBF16 says in the log whether the AVX512_BF16 paths were tested.
func logBF16(t *testing.T) {
	info, _ := cpu.Detect()
	if err := info.CheckBF16(); err != nil {
		t.Logf("bf16 kernels tested in pure Go only: %v", err)
	}
}

// TestSgemmBF16MatchesGemmBF16 checks that the float32-operand product is
// the bf16-operand product on the rounded operands, bit for bit, and that
// results do not depend on the thread count.
func TestSgemmBF16MatchesGemmBF16(t *testing.T) {
	const m, n, k = 67, 150, 301
	rng := kerneltest.Rand(21)
	a, b := make([]float32, m*k), make([]float32, k*n)
	kerneltest.Fill(rng, a)
	kerneltest.Fill(rng, b)
	a16, b16 := make([]kernels.BF16, len(a)), make([]kernels.BF16, len(b))
	for i, v := range a {
		a16[i] = kernels.ToBF16(v)
	}
	for i, v := range b {
		b16[i] = kernels.ToBF16(v)
	}
	var first []float32
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		c1, c2 := make([]float32, m*n), make([]float32, m*n)
		ctx.SgemmBF16(kernels.NoTrans, kernels.Trans, m, n, k, 1, a, k, transpose(b, k, n), k, 0, c1, n)
		ctx.GemmBF16(kernels.NoTrans, kernels.NoTrans, m, n, k, 1, a16, k, b16, n, 0, c2, n)
		for i := range c1 {
			if math.Float32bits(c1[i]) != math.Float32bits(c2[i]) {
				t.Fatalf("C[%d]: SgemmBF16 %v, GemmBF16 %v", i, c1[i], c2[i])
			}
		}
		if first == nil {
			first = c1
			return
		}
		for i := range c1 {
			if math.Float32bits(c1[i]) != math.Float32bits(first[i]) {
				t.Fatalf("C[%d] = %v, %v at the first level and thread count", i, c1[i], first[i])
			}
		}
	})
}

func transpose(x []float32, rows, cols int) []float32 {
	out := make([]float32, len(x))
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			out[j*rows+i] = x[i*cols+j]
		}
	}
	return out
}

// TestBF16Conversions runs both conversion implementations at every level
// and thread count against ToBF16 and Float32 on special values and random
// data, on lengths that leave SIMD tails and split over threads.
func TestBF16Conversions(t *testing.T) {
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0x00400000),
		math.MaxFloat32, math.SmallestNonzeroFloat32, math.Float32frombits(0x3f808000), math.Float32frombits(0x3f818000)}
	rng := kerneltest.Rand(22)
	for _, n := range []int{0, 1, 15, 16, 17, 100, 70001} {
		src := make([]float32, n)
		for i := range src {
			if i < len(specials) {
				src[i] = specials[i]
			} else {
				src[i] = math.Float32frombits(rng.Uint32())
			}
		}
		for _, impl := range kernels.ToBF16Impls.All() {
			kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
				dst := make([]kernels.BF16, n)
				impl.Fn(ctx, dst, src)
				for i, v := range src {
					if want := kernels.ToBF16(v); dst[i] != want {
						t.Fatalf("%s n=%d: %#08x → %#04x, want %#04x", impl.Name, n, math.Float32bits(v), dst[i], want)
					}
				}
				back := make([]float32, n)
				for _, from := range kernels.FromBF16Impls.All() {
					from.Fn(ctx, back, dst)
					for i, h := range dst {
						if math.Float32bits(back[i]) != uint32(h)<<16 {
							t.Fatalf("%s n=%d: bf16 %#04x → %#08x", from.Name, n, h, math.Float32bits(back[i]))
						}
					}
				}
			})
		}
	}
	ctx := genericContext(t)
	checkPanics(t, []panicCase{
		{"to", func() { ctx.ConvertToBF16(make([]kernels.BF16, 2), make([]float32, 3)) }, "len(dst) = 2"},
		{"from", func() { ctx.ConvertFromBF16(make([]float32, 2), make([]kernels.BF16, 3)) }, "len(dst) = 2"},
	})
}
