package kernels_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestDenseBF16 checks the bfloat16 dense methods at every level and thread
// count against float64 sums of the bf16-rounded operands (the bias and db
// from the float32 values), within (n + 2⌈n/64⌉ + 8)·2⁻²⁴·Σ|terms| for n
// summed products: the seed CNN's fc layers at a small batch and odd sizes.
func TestDenseBF16(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	r := func(v float32) float64 { return float64(kernels.ToBF16(v).Float32()) }
	shapes := []kernels.DenseShape{{Batch: 5, In: 1600, Out: 128}, {Batch: 3, In: 128, Out: 10}, {Batch: 7, In: 33, Out: 17}, {Batch: 1, In: 1, Out: 1}}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		for _, s := range shapes {
			rng := kerneltest.Rand(uint64(s.In*131 + s.Out))
			x, w, b, dy := make([]float32, s.Batch*s.In), make([]float32, s.Out*s.In), make([]float32, s.Out), make([]float32, s.Batch*s.Out)
			for _, v := range [][]float32{x, w, b, dy} {
				kerneltest.Fill(rng, v)
			}
			check := func(what string, got float32, want, scale float64, n int) {
				t.Helper()
				if tol := float64(n+2*((n+63)/64)+8) * kerneltest.U * scale; math.Abs(float64(got)-want) > tol {
					t.Fatalf("%v %s = %v, want %v (bound %.3g)", s, what, got, want, tol)
				}
			}
			y, dx, dw, db := make([]float32, s.Batch*s.Out), make([]float32, s.Batch*s.In), make([]float32, s.Out*s.In), make([]float32, s.Out)
			for _, relu := range []bool{false, true} {
				if relu {
					ctx.DenseForwardReLUBF16(s, x, w, b, y)
				} else {
					ctx.DenseForwardBF16(s, x, w, b, y)
				}
				for i := 0; i < s.Batch; i++ {
					for o := 0; o < s.Out; o++ {
						sum, sc := float64(b[o]), math.Abs(float64(b[o]))
						for k := 0; k < s.In; k++ {
							p := r(x[i*s.In+k]) * r(w[o*s.In+k])
							sum, sc = sum+p, sc+math.Abs(p)
						}
						if relu {
							sum = max(0, sum)
						}
						check(fmt.Sprintf("y[%d,%d] relu=%v", i, o, relu), y[i*s.Out+o], sum, sc, s.In+1)
					}
				}
			}
			ctx.DenseBackwardDataBF16(s, dy, w, dx)
			for i := 0; i < s.Batch; i++ {
				for k := 0; k < s.In; k++ {
					var sum, sc float64
					for o := 0; o < s.Out; o++ {
						p := r(dy[i*s.Out+o]) * r(w[o*s.In+k])
						sum, sc = sum+p, sc+math.Abs(p)
					}
					check(fmt.Sprintf("dx[%d,%d]", i, k), dx[i*s.In+k], sum, sc, s.Out)
				}
			}
			ctx.DenseBackwardWeightsBF16(s, x, dy, dw, db)
			for o := 0; o < s.Out; o++ {
				var bs, bsc float64
				for i := 0; i < s.Batch; i++ {
					bs, bsc = bs+float64(dy[i*s.Out+o]), bsc+math.Abs(float64(dy[i*s.Out+o]))
				}
				check(fmt.Sprintf("db[%d]", o), db[o], bs, bsc, s.Batch)
				for k := 0; k < s.In; k++ {
					var sum, sc float64
					for i := 0; i < s.Batch; i++ {
						p := r(dy[i*s.Out+o]) * r(x[i*s.In+k])
						sum, sc = sum+p, sc+math.Abs(p)
					}
					check(fmt.Sprintf("dw[%d,%d]", o, k), dw[o*s.In+k], sum, sc, s.Batch)
				}
			}
		}
	})
}

// TestDenseBF16Packed checks that the packed-weight methods give the
// convert-per-call methods' results bit for bit (the same products in the
// same order), at every level and thread count, on shapes with several
// panels, odd sizes and a reduction longer than one k block; that packing
// again into the same DenseWeightsBF16 takes the new weights; and that
// weights packed for another shape are refused.
func TestDenseBF16Packed(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	shapes := []kernels.DenseShape{{Batch: 5, In: 1600, Out: 128}, {Batch: 3, In: 128, Out: 10}, {Batch: 7, In: 33, Out: 17},
		{Batch: 9, In: 4500, Out: 70}, {Batch: 1, In: 1, Out: 1}}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		var pw kernels.DenseWeightsBF16
		for _, s := range shapes {
			rng := kerneltest.Rand(uint64(s.In*7 + s.Out))
			x, b, dy := make([]float32, s.Batch*s.In), make([]float32, s.Out), make([]float32, s.Batch*s.Out)
			for _, v := range [][]float32{x, b, dy} {
				kerneltest.Fill(rng, v)
			}
			for round := 0; round < 2; round++ {
				w := make([]float32, s.Out*s.In)
				kerneltest.Fill(rng, w)
				ctx.PackDenseWeightsBF16(s, w, &pw)
				same := func(what string, got, want []float32) {
					t.Helper()
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%v round %d %s[%d] = %v, want %v", s, round, what, i, got[i], want[i])
						}
					}
				}
				got, want := make([]float32, s.Batch*s.Out), make([]float32, s.Batch*s.Out)
				ctx.DenseForwardBF16Packed(s, x, &pw, b, got)
				ctx.DenseForwardBF16(s, x, w, b, want)
				same("y", got, want)
				ctx.DenseForwardReLUBF16Packed(s, x, &pw, nil, got)
				ctx.DenseForwardReLUBF16(s, x, w, nil, want)
				same("relu(y)", got, want)
				gx, wx := make([]float32, s.Batch*s.In), make([]float32, s.Batch*s.In)
				ctx.DenseBackwardDataBF16Packed(s, dy, &pw, gx)
				ctx.DenseBackwardDataBF16(s, dy, w, wx)
				same("dx", gx, wx)
			}
		}
	})
	ctx := genericContext(t)
	var pw kernels.DenseWeightsBF16
	s := kernels.DenseShape{Batch: 2, In: 3, Out: 4}
	ctx.PackDenseWeightsBF16(s, make([]float32, 12), &pw)
	other := kernels.DenseShape{Batch: 2, In: 4, Out: 3}
	checkPanics(t, []panicCase{
		{"shape", func() { ctx.DenseForwardBF16Packed(other, make([]float32, 8), &pw, nil, make([]float32, 6)) }, "packed weights of 4×3, want Out×In = 3×4"},
		{"w", func() { ctx.PackDenseWeightsBF16(s, make([]float32, 11), &pw) }, "len(w) = 11"},
	})
}
