package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// TestAddFwd checks y = a + b exactly (one float32 addition, with
// specials in a) on ElementwiseLengths, into a guarded y and in place (y =
// a, y = b).
func TestAddFwd(t *testing.T, ctx *kernels.Context, fn kernels.AddFwdFunc) {
	for _, n := range ElementwiseLengths(testing.Short()) {
		rng := Rand(uint64(n) + 40)
		a, b := make([]float32, n), make([]float32, n)
		Fill(rng, a)
		Fill(rng, b)
		specials(a)
		want := make([]float32, n)
		for i := range a {
			want[i] = a[i] + b[i]
		}
		a0, b0 := Snapshot(a), Snapshot(b)
		y := convOut(n)
		fn(ctx, a, b, y.Data)
		name := fmt.Sprintf("add n=%d", n)
		sameBits(t, name, y.Data, want)
		y.CheckGuards(t, name+": y")
		CheckUnchanged(t, "a", a, a0)
		CheckUnchanged(t, "b", b, b0)
		fn(ctx, a, b, a)
		sameBits(t, name+" in place (y = a)", a, want)
		copy(a, a0)
		fn(ctx, a, b, b)
		sameBits(t, name+" in place (y = b)", b, want)
		if t.Failed() {
			return
		}
	}
}

// TestAddBwd checks the fan-out exactly on ElementwiseLengths: copying, da
// and db equal dy bit for bit; accumulating, da + dy and db + dy (one
// float32 addition each). Also checked: guard bands, dy unchanged.
func TestAddBwd(t *testing.T, ctx *kernels.Context, fn kernels.AddBwdFunc) {
	for _, n := range ElementwiseLengths(testing.Short()) {
		rng := Rand(uint64(n) + 41)
		dy := make([]float32, n)
		Fill(rng, dy)
		specials(dy)
		dy0 := Snapshot(dy)
		for _, acc := range []bool{false, true} {
			da := NewGuarded(1, n, n, 19, func(int, int) float32 { return rng.Float32() - 0.5 })
			db := NewGuarded(1, n, n, 19, func(int, int) float32 { return rng.Float32() - 0.5 })
			wantA, wantB := Snapshot(dy), Snapshot(dy)
			if acc {
				for i, v := range dy {
					wantA[i], wantB[i] = da.Data[i]+v, db.Data[i]+v
				}
			}
			fn(ctx, dy, da.Data, db.Data, acc)
			name := fmt.Sprintf("add bwd n=%d acc=%v", n, acc)
			sameBits(t, name+": da", da.Data, wantA)
			sameBits(t, name+": db", db.Data, wantB)
			da.CheckGuards(t, name+": da")
			db.CheckGuards(t, name+": db")
			CheckUnchanged(t, "dy", dy, dy0)
		}
		if t.Failed() {
			return
		}
	}
}

// TestAddGradients checks the fan-out against central differences of L =
// Σ (a + b)·g in float64 (linear, so the difference is exact up to
// rounding): the gradient of each input within 2⁻²⁰·|g|.
func TestAddGradients(t *testing.T, ctx *kernels.Context, bwd kernels.AddBwdFunc) {
	rng := Rand(43)
	n := 29
	a, b, g := make([]float32, n), make([]float32, n), make([]float32, n)
	Fill(rng, a)
	Fill(rng, b)
	Fill(rng, g)
	da, db := make([]float32, n), make([]float32, n)
	bwd(ctx, g, da, db, false)
	loss := func() float64 {
		var l float64
		for i := range a {
			l += (float64(a[i]) + float64(b[i])) * float64(g[i])
		}
		return l
	}
	for _, in := range []struct {
		name string
		v, d []float32
	}{{"da", a, da}, {"db", b, db}} {
		for i := range in.v {
			want := centralDiff(in.v, i, 1.0/64, loss)
			if math.Abs(float64(in.d[i])-want) > 0x1p-20*math.Abs(float64(g[i]))+1e-12 {
				t.Errorf("add gradient: %s[%d] = %v, central difference %v", in.name, i, in.d[i], want)
				return
			}
		}
	}
}

// GlobalAvgPoolShapes are the conformance shapes of the global-average-pool
// suites: one pixel, channel counts around the SIMD widths, images split
// unevenly across threads, and ResNet-50's 7×7×2048 at batch 2.
func GlobalAvgPoolShapes(short bool) []kernels.GlobalAvgPoolShape {
	sh := func(n, h, w, c int) kernels.GlobalAvgPoolShape {
		return kernels.GlobalAvgPoolShape{N: n, H: h, W: w, C: c}
	}
	if short {
		return []kernels.GlobalAvgPoolShape{sh(1, 1, 1, 1), sh(3, 5, 4, 17), sh(2, 7, 7, 2048)}
	}
	return []kernels.GlobalAvgPoolShape{sh(1, 1, 1, 1), sh(1, 2, 2, 8), sh(3, 5, 4, 17), sh(5, 3, 3, 33), sh(2, 13, 11, 64), sh(7, 1, 9, 100), sh(2, 7, 7, 2048)}
}

// TestGlobalAvgPoolFwd checks y against the float64 average within
// (H·W+4)·u·(Σ|x|)/(H·W), the bound of a float32 sum of H·W terms and a
// division; also guard bands around y and x unchanged.
func TestGlobalAvgPoolFwd(t *testing.T, ctx *kernels.Context, fn kernels.GlobalAvgPoolFwdFunc) {
	for i, s := range GlobalAvgPoolShapes(testing.Short()) {
		x := make([]float32, s.InputLen())
		Fill(Rand(uint64(i)+50), x)
		hw := s.H * s.W
		want, scale := make([]float64, s.OutputLen()), make([]float64, s.OutputLen())
		for e, v := range x {
			o := (e/(hw*s.C))*s.C + e%s.C
			want[o] += float64(v) / float64(hw)
			scale[o] += math.Abs(float64(v)) / float64(hw)
		}
		x0 := Snapshot(x)
		y := convOut(s.OutputLen())
		fn(ctx, s, x, y.Data)
		name := fmt.Sprintf("global-avgpool fwd %v", s)
		checkSum(t, name, y.Data, want, scale, hw, false)
		y.CheckGuards(t, name+": y")
		CheckUnchanged(t, "x", x, x0)
		if t.Failed() {
			return
		}
	}
}

// TestGlobalAvgPoolBwd checks dx = dy/(H·W) exactly (the float64 quotient
// rounded to float32); also guard bands around dx and dy unchanged.
func TestGlobalAvgPoolBwd(t *testing.T, ctx *kernels.Context, fn kernels.GlobalAvgPoolBwdFunc) {
	for i, s := range GlobalAvgPoolShapes(testing.Short()) {
		dy := make([]float32, s.OutputLen())
		Fill(Rand(uint64(i)+60), dy)
		hw := s.H * s.W
		want := make([]float32, s.InputLen())
		for e := range want {
			want[e] = float32(float64(dy[(e/(hw*s.C))*s.C+e%s.C]) / float64(hw))
		}
		dy0 := Snapshot(dy)
		dx := convOut(s.InputLen())
		fn(ctx, s, dy, dx.Data)
		name := fmt.Sprintf("global-avgpool bwd %v", s)
		sameBits(t, name, dx.Data, want)
		dx.CheckGuards(t, name+": dx")
		CheckUnchanged(t, "dy", dy, dy0)
		if t.Failed() {
			return
		}
	}
}

// TestGlobalAvgPoolGradients checks the backward pass against central
// differences of L = Σ gap(x)·g, the definition in float64 (L is linear in
// x, so the difference is exact up to rounding): within 2⁻¹⁷·|g|/(H·W) +
// 10⁻¹².
func TestGlobalAvgPoolGradients(t *testing.T, ctx *kernels.Context, bwd kernels.GlobalAvgPoolBwdFunc) {
	s := kernels.GlobalAvgPoolShape{N: 2, H: 3, W: 2, C: 5}
	rng := Rand(61)
	x, g := make([]float32, s.InputLen()), make([]float32, s.OutputLen())
	Fill(rng, x)
	Fill(rng, g)
	dx := make([]float32, s.InputLen())
	bwd(ctx, s, g, dx)
	hw := float64(s.H * s.W)
	loss := func() float64 {
		var l float64
		for e, v := range x {
			l += float64(v) / hw * float64(g[(e/(s.H*s.W*s.C))*s.C+e%s.C])
		}
		return l
	}
	for e := range x {
		gv := math.Abs(float64(g[(e/(s.H*s.W*s.C))*s.C+e%s.C]))
		want := centralDiff(x, e, 1.0/64, loss)
		if math.Abs(float64(dx[e])-want) > 0x1p-20*gv/hw*8+1e-12 {
			t.Errorf("global-avgpool gradient %v: dx[%d] = %v, central difference %v", s, e, dx[e], want)
			return
		}
	}
}
