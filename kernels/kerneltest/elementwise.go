package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// ElementwiseLengths are the lengths of the element-wise suites: empty, one,
// every remainder around the SIMD widths, and lengths that split across
// threads (with the split threshold lowered by the caller or not).
func ElementwiseLengths(short bool) []int {
	if short {
		return []int{0, 1, 17, 1000, 40_001}
	}
	return []int{0, 1, 2, 7, 8, 15, 16, 17, 31, 33, 63, 65, 100, 1000, 4099, 40_001, 100_003}
}

// specials replaces a few elements of s with −0, +Inf, −Inf, NaN and the
// smallest subnormal, which the kernels must treat as the definition says.
func specials(s []float32) {
	sp := []float32{float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32, 0}
	for i := range s {
		if i%37 == 5 {
			s[i] = sp[(i/37)%len(sp)]
		}
	}
}

// sameBits reports the first element where got and want differ bitwise.
func sameBits(t *testing.T, what string, got, want []float32) bool {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: element %d = %v, want %v", what, i, got[i], want[i])
			return false
		}
	}
	return true
}

// TestReLUFwd checks y = ReLU(x) exactly (bitwise, with −0, ±Inf, NaN and
// subnormals in x) on ElementwiseLengths, into a guarded y and in place.
func TestReLUFwd(t *testing.T, ctx *kernels.Context, fn kernels.ReLUFwdFunc) {
	for _, n := range ElementwiseLengths(testing.Short()) {
		x := make([]float32, n)
		Fill(Rand(uint64(n)), x)
		specials(x)
		want := make([]float32, n)
		for i, v := range x {
			if v < 0 {
				v = 0
			}
			want[i] = v
		}
		x0 := Snapshot(x)
		y := nanOut(n)
		fn(ctx, x, y.Data)
		sameBits(t, fmt.Sprintf("relu n=%d", n), y.Data, want)
		y.CheckGuards(t, fmt.Sprintf("relu n=%d: y", n))
		CheckUnchanged(t, "x", x, x0)
		fn(ctx, x, x) // in place
		sameBits(t, fmt.Sprintf("relu in place n=%d", n), x, want)
		if t.Failed() {
			return
		}
	}
}

// TestReLUBwd checks dx = dy where y > 0 else 0 exactly (y with specials:
// NaN and −0 give 0), into a guarded dx and in place (dx = dy).
func TestReLUBwd(t *testing.T, ctx *kernels.Context, fn kernels.ReLUBwdFunc) {
	for _, n := range ElementwiseLengths(testing.Short()) {
		rng := Rand(uint64(n) + 1)
		y, dy := make([]float32, n), make([]float32, n)
		Fill(rng, y)
		Fill(rng, dy)
		specials(y)
		want := make([]float32, n)
		for i := range y {
			if y[i] > 0 {
				want[i] = dy[i]
			}
		}
		y0, dy0 := Snapshot(y), Snapshot(dy)
		dx := nanOut(n)
		fn(ctx, y, dy, dx.Data)
		sameBits(t, fmt.Sprintf("relu-bwd n=%d", n), dx.Data, want)
		dx.CheckGuards(t, fmt.Sprintf("relu-bwd n=%d: dx", n))
		CheckUnchanged(t, "y", y, y0)
		CheckUnchanged(t, "dy", dy, dy0)
		fn(ctx, y, dy, dy) // in place
		sameBits(t, fmt.Sprintf("relu-bwd in place n=%d", n), dy, want)
		if t.Failed() {
			return
		}
	}
}

// TestReLUGradient checks a ReLU backward function against central
// differences of L = Σ ReLU(x)·g in float64 (x kept at least 1/8 away from 0,
// h = 1/32, so L is linear around x): dx must equal the difference within
// 2⁻²⁴·|g|.
func TestReLUGradient(t *testing.T, ctx *kernels.Context, fwd kernels.ReLUFwdFunc, bwd kernels.ReLUBwdFunc) {
	rng := Rand(3)
	n := 53
	x, g := make([]float32, n), make([]float32, n)
	Fill(rng, x)
	Fill(rng, g)
	for i := range x {
		x[i] = float32(math.Copysign(0.125+math.Abs(float64(x[i])), float64(x[i])))
	}
	y, dx := make([]float32, n), make([]float32, n)
	fwd(ctx, x, y)
	bwd(ctx, y, g, dx)
	loss := func() float64 {
		var l float64
		for i, v := range x {
			l += math.Max(0, float64(v)) * float64(g[i])
		}
		return l
	}
	for i := range x {
		want := centralDiff(x, i, 1.0/32, loss)
		if math.Abs(float64(dx[i])-want) > U*math.Abs(float64(g[i]))+1e-12 {
			t.Errorf("relu gradient: dx[%d] = %v, central difference %v", i, dx[i], want)
			return
		}
	}
}

// BiasShapes are the rows×cols shapes of the bias-add suite.
func BiasShapes(short bool) [][2]int {
	if short {
		return [][2]int{{0, 5}, {3, 17}, {300, 33}}
	}
	return [][2]int{{0, 5}, {1, 1}, {3, 17}, {2, 16}, {5, 15}, {32, 128}, {1000, 33}, {40, 1600}, {7, 100}, {4096, 10}}
}

// TestBiasAdd checks y += b row by row within one rounding, 2⁻²⁴·|y+b|, and
// guard bands around y and b unchanged.
func TestBiasAdd(t *testing.T, ctx *kernels.Context, fn kernels.BiasAddFunc) {
	for _, rc := range BiasShapes(testing.Short()) {
		rows, cols := rc[0], rc[1]
		rng := Rand(uint64(rows*100 + cols))
		b := make([]float32, cols)
		Fill(rng, b)
		y := NewGuarded(1, rows*cols, rows*cols, 19, func(int, int) float32 { return rng.Float32()*8 - 4 })
		y0 := Snapshot(y.Data)
		b0 := Snapshot(b)
		fn(ctx, y.Data, b, rows)
		for e, v := range y.Data {
			want := float64(y0[e]) + float64(b[e%cols])
			if !WithinBound(v, want, math.Abs(want), U) {
				t.Errorf("bias add %dx%d: element %d = %v, want %v", rows, cols, e, v, want)
				return
			}
		}
		y.CheckGuards(t, fmt.Sprintf("bias add %dx%d: y", rows, cols))
		CheckUnchanged(t, "b", b, b0)
		if t.Failed() {
			return
		}
	}
}
