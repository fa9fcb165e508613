package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// optimState returns parameters in [−1, 1), gradients in [−1, 1) (with every
// 11th zero), first moments or velocities in [−0.1, 0.1) and second moments
// in [0, 0.01) (every 13th zero, with a zero gradient at every 143rd: ε
// alone keeps the division finite).
func optimState(n int, seed uint64) (p, g, m, v []float32) {
	rng := Rand(seed)
	p, g, m, v = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	Fill(rng, p)
	Fill(rng, g)
	for i := range m {
		m[i] = (rng.Float32()*2 - 1) / 10
		v[i] = rng.Float32() / 100
		if i%11 == 3 {
			g[i] = 0
		}
		if i%13 == 3 {
			v[i] = 0
		}
	}
	return
}

// TestAdam checks steps t = 1, 2 and 10 of Adam against the float64
// definition, element by element. With c1 = 1−β1, c2 = 1−β2 and the
// references m', v', the bounds (a few roundings of each operation, doubled):
//
//	|m − m'| ≤ em = 8u·(|m| + c1·(|g| + |m|))
//	|v − v'| ≤ ev = 10u·(|v| + c2·(g² + |v|))
//	|p − p'| ≤ 2u·|p'| + lr_t/(√v'+ε) · (em + |m'|·(12u + ev/(2√v'·(√v'+ε))))
//
// Also: guard bands around p, m and v, g unchanged.
func TestAdam(t *testing.T, ctx *kernels.Context, fn kernels.AdamFunc) {
	h := kernels.DefaultAdam()
	for _, n := range ElementwiseLengths(testing.Short()) {
		for _, step := range []int{1, 2, 10} {
			p0, g, m0, v0 := optimState(n, uint64(n*31+step))
			gp := func(s []float32) *Guarded {
				return NewGuarded(1, n, n, 19, func(_, j int) float32 { return s[j] })
			}
			p, m, v := gp(p0), gp(m0), gp(v0)
			g0 := Snapshot(g)
			fn(ctx, p.Data, g, m.Data, v.Data, h, step)
			b1, b2, eps := float64(h.Beta1), float64(h.Beta2), float64(h.Eps)
			c1, c2 := 1-b1, 1-b2
			alpha := float64(h.LR) * math.Sqrt(1-math.Pow(b2, float64(step))) / (1 - math.Pow(b1, float64(step)))
			name := fmt.Sprintf("adam n=%d t=%d", n, step)
			for i := 0; i < n; i++ {
				gi, mi, vi := float64(g[i]), float64(m0[i]), float64(v0[i])
				wm := b1*mi + c1*gi
				wv := b2*vi + c2*gi*gi
				den := math.Sqrt(wv) + eps
				wp := float64(p0[i]) - alpha*wm/den
				em := 8 * U * (math.Abs(mi) + c1*(math.Abs(gi)+math.Abs(mi)))
				ev := 10 * U * (math.Abs(vi) + c2*(gi*gi+math.Abs(vi)))
				rel := 12 * U
				if wv > 0 {
					rel += ev / (2 * math.Sqrt(wv) * den)
				}
				ep := 2*U*math.Abs(wp) + alpha/den*(em+math.Abs(wm)*rel)
				if !WithinBound(m.Data[i], wm, 1, em) || !WithinBound(v.Data[i], wv, 1, ev) || !WithinBound(p.Data[i], wp, 1, ep) {
					t.Errorf("%s: element %d: p, m, v = %v, %v, %v, want %v, %v, %v (bounds %.3g, %.3g, %.3g)",
						name, i, p.Data[i], m.Data[i], v.Data[i], wp, wm, wv, ep, em, ev)
					return
				}
			}
			p.CheckGuards(t, name+": p")
			m.CheckGuards(t, name+": m")
			v.CheckGuards(t, name+": v")
			CheckUnchanged(t, "g", g, g0)
			if t.Failed() {
				return
			}
		}
	}
}

// TestSGDMomentum checks one step of SGD with momentum (lr 0.01, momentum
// 0.9) against the float64 definition: |vel − vel'| ≤ ev = 6u·(|μ·vel| +
// |lr·g|), |p − p'| ≤ 2u·|p'| + ev. Also: guard bands around p and vel, g
// unchanged.
func TestSGDMomentum(t *testing.T, ctx *kernels.Context, fn kernels.SGDMomentumFunc) {
	const lr, mom = 0.01, 0.9
	for _, n := range ElementwiseLengths(testing.Short()) {
		p0, g, vel0, _ := optimState(n, uint64(n*7))
		p := NewGuarded(1, n, n, 19, func(_, j int) float32 { return p0[j] })
		vel := NewGuarded(1, n, n, 19, func(_, j int) float32 { return vel0[j] })
		g0 := Snapshot(g)
		fn(ctx, p.Data, g, vel.Data, lr, mom)
		name := fmt.Sprintf("sgd-momentum n=%d", n)
		for i := 0; i < n; i++ {
			a, b := float64(float32(mom))*float64(vel0[i]), float64(float32(lr))*float64(g[i])
			wv := a - b
			wp := float64(p0[i]) + wv
			ev := 6 * U * (math.Abs(a) + math.Abs(b))
			if !WithinBound(vel.Data[i], wv, 1, ev) || !WithinBound(p.Data[i], wp, 1, 2*U*math.Abs(wp)+ev) {
				t.Errorf("%s: element %d: p, vel = %v, %v, want %v, %v", name, i, p.Data[i], vel.Data[i], wp, wv)
				return
			}
		}
		p.CheckGuards(t, name+": p")
		vel.CheckGuards(t, name+": vel")
		CheckUnchanged(t, "g", g, g0)
		if t.Failed() {
			return
		}
	}
}
