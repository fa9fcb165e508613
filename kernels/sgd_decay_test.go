package kernels_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestSGDMomentumDecayConformance checks every implementation against the
// float64 definition, element by element, on the element-wise lengths
// (empty, one, odd, long), with guard bands around p and vel and g left
// unchanged. With a = momentum·vel and b = lr·(g + decay·p), each float32
// operation rounds once (u = 2⁻²⁴); the bounds, with margin:
//
//	|vel − vel'| ≤ ev = 8u·(|a| + |lr|·(|g| + |decay·p|))
//	|p − p'|     ≤ 2u·|p'| + ev
func TestSGDMomentumDecayConformance(t *testing.T) {
	forEachImpl(t, kernels.SGDMomentumDecayImpls, func(t *testing.T, ctx *kernels.Context, fn kernels.SGDMomentumDecayFunc) {
		const lr, mom = 0.05, 0.9
		for _, decay := range []float32{0, 1e-4, 0.3} {
			for _, n := range kerneltest.ElementwiseLengths(testing.Short()) {
				rng := kerneltest.Rand(uint64(n*13) + uint64(decay*1e4))
				p0, g, vel0 := make([]float32, n), make([]float32, n), make([]float32, n)
				kerneltest.Fill(rng, p0)
				kerneltest.Fill(rng, g)
				for i := range vel0 {
					vel0[i] = (rng.Float32()*2 - 1) / 10
				}
				p := kerneltest.NewGuarded(1, n, n, 19, func(_, j int) float32 { return p0[j] })
				vel := kerneltest.NewGuarded(1, n, n, 19, func(_, j int) float32 { return vel0[j] })
				g0 := kerneltest.Snapshot(g)
				fn(ctx, p.Data, g, vel.Data, lr, mom, decay)
				name := fmt.Sprintf("sgd-momentum-decay n=%d decay=%v", n, decay)
				for i := 0; i < n; i++ {
					l, m, d := float64(float32(lr)), float64(float32(mom)), float64(decay)
					a := m * float64(vel0[i])
					dp := d * float64(p0[i])
					wv := a - l*(float64(g[i])+dp)
					wp := float64(p0[i]) + wv
					ev := 8 * kerneltest.U * (math.Abs(a) + l*(math.Abs(float64(g[i]))+math.Abs(dp)))
					if !kerneltest.WithinBound(vel.Data[i], wv, 1, ev) || !kerneltest.WithinBound(p.Data[i], wp, 1, 2*kerneltest.U*math.Abs(wp)+ev) {
						t.Errorf("%s: element %d: p, vel = %v, %v, want %v, %v", name, i, p.Data[i], vel.Data[i], wp, wv)
						return
					}
				}
				p.CheckGuards(t, name+": p")
				vel.CheckGuards(t, name+": vel")
				kerneltest.CheckUnchanged(t, "g", g, g0)
			}
		}
	})
}

// TestSGDMomentumDecayZeroIsSGDMomentum: with decay 0 the Context method
// gives SGDMomentum's result within a few roundings (SGDMomentum's
// generated code may fuse the multiply and add), the same update.
func TestSGDMomentumDecayZeroIsSGDMomentum(t *testing.T) {
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		rng := kerneltest.Rand(3)
		n := 1000
		p, g, v := make([]float32, n), make([]float32, n), make([]float32, n)
		kerneltest.Fill(rng, p)
		kerneltest.Fill(rng, g)
		kerneltest.Fill(rng, v)
		p2, v2 := kerneltest.Snapshot(p), kerneltest.Snapshot(v)
		ctx.SGDMomentumDecay(p, g, v, 0.1, 0.9, 0)
		ctx.SGDMomentum(p2, g, v2, 0.1, 0.9)
		for i := range p {
			if math.Abs(float64(p[i]-p2[i])) > 4*kerneltest.U*math.Abs(float64(p2[i]))+1e-30 || math.Abs(float64(v[i]-v2[i])) > 4*kerneltest.U*math.Abs(float64(v2[i]))+1e-30 {
				t.Fatalf("element %d: decay 0 gives p, vel = %v, %v; SGDMomentum %v, %v", i, p[i], v[i], p2[i], v2[i])
			}
		}
	})
}
