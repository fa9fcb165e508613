package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// AttentionShapes are the attention suite's shapes: one position, odd head
// dimensions, sequences that end inside a tile and cross several query and
// key tiles (128 × 128 by default; the kernels' tests also shrink the tiles),
// GPT-2's head dimension.
func AttentionShapes(short bool) []kernels.AttentionShape {
	s := []kernels.AttentionShape{{Batch: 1, T: 1, Heads: 1, HeadDim: 1}, {Batch: 1, T: 5, Heads: 2, HeadDim: 3},
		{Batch: 2, T: 37, Heads: 3, HeadDim: 8}, {Batch: 1, T: 130, Heads: 2, HeadDim: 16}, {Batch: 2, T: 65, Heads: 2, HeadDim: 12},
		{Batch: 1, T: 200, Heads: 1, HeadDim: 64}}
	if short {
		return []kernels.AttentionShape{s[0], s[2], s[3]}
	}
	return s
}

// attnRef is the float64 reference of the definition for one problem, with
// the bounds' scales.
type attnRef struct {
	out, outScale []float64 // o and Σ_k p·|v|
	lse           []float64
	es            []float64 // per (b, h, t): (HeadDim+4)·u·α·max_k Σ|q·k|, the scores' error bound
	dq, dk, dv    []float64
	dqS, dkS, dvS []float64 // the gradients' scales (see TestAttentionBwd)
}

// attnReference computes the forward (and with dout the backward) in
// float64.
func attnReference(s kernels.AttentionShape, qkv, dout []float32) *attnRef {
	d, d3, hd, T := s.D(), 3*s.D(), s.HeadDim, s.T
	a := 1 / math.Sqrt(float64(hd))
	r := &attnRef{out: make([]float64, s.OutLen()), outScale: make([]float64, s.OutLen()), lse: make([]float64, s.LSELen()), es: make([]float64, s.LSELen())}
	if dout != nil {
		n := s.QKVLen()
		r.dq, r.dk, r.dv, r.dqS, r.dkS, r.dvS = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	}
	p, sc, dp := make([]float64, T*T), make([]float64, T*T), make([]float64, T*T)
	for b := 0; b < s.Batch; b++ {
		for h := 0; h < s.Heads; h++ {
			qo, ko, vo := b*T*d3+h*hd, b*T*d3+d+h*hd, b*T*d3+2*d+h*hd
			oo, lo := b*T*d+h*hd, (b*s.Heads+h)*T
			for t := 0; t < T; t++ {
				m := math.Inf(-1)
				var es float64
				for k := 0; k <= t; k++ {
					var dot, abs float64
					for c := 0; c < hd; c++ {
						x := float64(qkv[qo+t*d3+c]) * float64(qkv[ko+k*d3+c])
						dot += x
						abs += math.Abs(x)
					}
					sc[t*T+k] = a * dot
					m = max(m, sc[t*T+k])
					es = max(es, float64(hd+4)*U*a*abs)
				}
				var sum float64
				for k := 0; k <= t; k++ {
					sum += math.Exp(sc[t*T+k] - m)
				}
				r.lse[lo+t] = m + math.Log(sum)
				r.es[lo+t] = es
				for k := 0; k <= t; k++ {
					p[t*T+k] = math.Exp(sc[t*T+k] - r.lse[lo+t])
					for c := 0; c < hd; c++ {
						v := float64(qkv[vo+k*d3+c])
						r.out[oo+t*d+c] += p[t*T+k] * v
						r.outScale[oo+t*d+c] += p[t*T+k] * math.Abs(v)
					}
				}
			}
			if dout == nil {
				continue
			}
			for t := 0; t < T; t++ {
				var D, Dabs float64
				for k := 0; k <= t; k++ {
					var dot float64
					for c := 0; c < hd; c++ {
						dot += float64(dout[oo+t*d+c]) * float64(qkv[vo+k*d3+c])
					}
					dp[t*T+k] = dot
					D += p[t*T+k] * dot
				}
				for c := 0; c < hd; c++ {
					Dabs += math.Abs(float64(dout[oo+t*d+c])) * math.Abs(r.out[oo+t*d+c])
				}
				for k := 0; k <= t; k++ {
					var dpAbs float64
					for c := 0; c < hd; c++ {
						dpAbs += math.Abs(float64(dout[oo+t*d+c])) * math.Abs(float64(qkv[vo+k*d3+c]))
					}
					pk := p[t*T+k]
					ds := pk * (dp[t*T+k] - D)
					dsAbs := pk * (math.Abs(dp[t*T+k]) + math.Abs(D) + dpAbs + Dabs)
					for c := 0; c < hd; c++ {
						g := float64(dout[oo+t*d+c])
						kk, qq := float64(qkv[ko+k*d3+c]), float64(qkv[qo+t*d3+c])
						r.dv[vo+k*d3+c] += pk * g
						r.dvS[vo+k*d3+c] += pk * math.Abs(g)
						r.dq[qo+t*d3+c] += a * ds * kk
						r.dqS[qo+t*d3+c] += a * dsAbs * math.Abs(kk)
						r.dk[ko+k*d3+c] += a * ds * qq
						r.dkS[ko+k*d3+c] += a * dsAbs * math.Abs(qq)
					}
				}
			}
		}
	}
	return r
}

// attnInput returns a packed QKV tensor with entries in [−1, 1), scaled up
// so that the scores spread over several units (softmax far from uniform).
func attnInput(s kernels.AttentionShape, seed uint64) []float32 {
	qkv := make([]float32, s.QKVLen())
	Fill(Rand(seed), qkv)
	sc := float32(math.Sqrt(math.Sqrt(float64(s.HeadDim)))) * 1.5
	for i := range qkv {
		qkv[i] *= sc
	}
	return qkv
}

// attnTol is the bound's factor for a head: 2·max es (each p's error from
// its score and the log-sum-exp's) plus (T + HeadDim + 32)·u for the
// tiles' sums and the exponentials.
func attnTol(s kernels.AttentionShape, r *attnRef) float64 {
	var es float64
	for _, e := range r.es {
		es = max(es, e)
	}
	return 2*es + float64(s.T+s.HeadDim+32)*U
}

// TestAttentionFwd runs a forward implementation through AttentionShapes.
// Bounds, with tol = 2·es + (T + HeadDim + 32)·u and es = (HeadDim+4)·u·
// α·max Σ_c|q_c·k_c| the scores' rounding: o within tol·Σ_k p_k·|v_k|;
// lse within es + 4·u·|lse| + (T + 8)·u. Also: guard bands, qkv unchanged,
// out not read (pre-filled with NaN), the same bits on one thread.
func TestAttentionFwd(t *testing.T, ctx *kernels.Context, fn kernels.AttentionFwdFunc) {
	for i, s := range AttentionShapes(testing.Short()) {
		qkv := attnInput(s, uint64(i)+2100)
		q0 := Snapshot(qkv)
		ref := attnReference(s, qkv, nil)
		out, lse := convOut(s.OutLen()), convOut(s.LSELen())
		fn(ctx, s, qkv, out.Data, lse.Data)
		name := fmt.Sprintf("attention fwd %v", s)
		tol := attnTol(s, ref)
		for k, g := range out.Data {
			if !WithinBound(g, ref.out[k], ref.outScale[k], tol) {
				t.Errorf("%s: out[%d] = %v, want %v (bound %.3g)", name, k, g, ref.out[k], tol*ref.outScale[k])
				break
			}
		}
		for k, g := range lse.Data {
			w := ref.lse[k]
			if math.IsNaN(float64(g)) || math.Abs(float64(g)-w) > ref.es[k]+4*U*math.Abs(w)+float64(s.T+8)*U {
				t.Errorf("%s: lse[%d] = %v, want %v", name, k, g, w)
				break
			}
		}
		out.CheckGuards(t, name+": out")
		lse.CheckGuards(t, name+": lse")
		CheckUnchanged(t, "qkv", qkv, q0)
		oneThread(t, ctx, func(c1 *kernels.Context) {
			o1, l1 := make([]float32, s.OutLen()), make([]float32, s.LSELen())
			fn(c1, s, qkv, o1, l1)
			sameBits(t, name+": out on one thread", o1, out.Data)
			sameBits(t, name+": lse on one thread", l1, lse.Data)
		})
		if t.Failed() {
			return
		}
	}
}

// TestAttentionBwd runs a backward implementation through AttentionShapes
// with the reference forward's out and lse (rounded to float32). Bounds,
// with tol as in TestAttentionFwd plus (HeadDim + 8)·u for dp and D: dv
// within tol·Σ_t p·|dO|; dq and dk within tol·α·Σ p·(|dp| + |D| +
// Σ|dO|·|v| + Σ|dO|·|o|)·|k| (resp. |q|). Also: guard bands, inputs
// unchanged, every element of dqkv written (pre-filled with NaN), the same
// bits on one thread.
func TestAttentionBwd(t *testing.T, ctx *kernels.Context, fn kernels.AttentionBwdFunc) {
	for i, s := range AttentionShapes(testing.Short()) {
		qkv := attnInput(s, uint64(i)+2200)
		dout := make([]float32, s.OutLen())
		Fill(Rand(uint64(i)+2201), dout)
		ref := attnReference(s, qkv, dout)
		out, lse := make([]float32, s.OutLen()), make([]float32, s.LSELen())
		for k, v := range ref.out {
			out[k] = float32(v)
		}
		for k, v := range ref.lse {
			lse[k] = float32(v)
		}
		in0, out0, lse0, dout0 := Snapshot(qkv), Snapshot(out), Snapshot(lse), Snapshot(dout)
		dqkv := convOut(s.QKVLen())
		fn(ctx, s, qkv, out, lse, dout, dqkv.Data)
		name := fmt.Sprintf("attention bwd %v", s)
		tol := attnTol(s, ref) + float64(s.HeadDim+8)*U
		d, d3, hd := s.D(), 3*s.D(), s.HeadDim
		for k, g := range dqkv.Data {
			var want, scale float64
			var what string
			switch part := (k % d3) / d; part {
			case 0:
				want, scale, what = ref.dq[k], ref.dqS[k], "dq"
			case 1:
				want, scale, what = ref.dk[k], ref.dkS[k], "dk"
			default:
				want, scale, what = ref.dv[k], ref.dvS[k], "dv"
			}
			if !WithinBound(g, want, scale, tol) {
				t.Errorf("%s: %s at row %d, head %d, channel %d = %v, want %v (bound %.3g)", name, what, k/d3, (k%d)/hd, k%hd, g, want, tol*scale)
				break
			}
		}
		dqkv.CheckGuards(t, name+": dqkv")
		CheckUnchanged(t, "qkv", qkv, in0)
		CheckUnchanged(t, "out", out, out0)
		CheckUnchanged(t, "lse", lse, lse0)
		CheckUnchanged(t, "dout", dout, dout0)
		oneThread(t, ctx, func(c1 *kernels.Context) {
			g1 := make([]float32, s.QKVLen())
			fn(c1, s, qkv, out, lse, dout, g1)
			sameBits(t, name+": dqkv on one thread", g1, dqkv.Data)
		})
		if t.Failed() {
			return
		}
	}
}

// AttentionGradShapes are the small shapes of the finite-difference check.
var AttentionGradShapes = []kernels.AttentionShape{{Batch: 1, T: 5, Heads: 2, HeadDim: 3}, {Batch: 2, T: 7, Heads: 1, HeadDim: 4}}

// TestAttentionGradients checks a forward and backward against central
// differences (h = 2⁻¹⁰) of L = Σ out·g in float64 (the definition), g a
// fixed random output gradient, with respect to every element of qkv.
// Bound: 10⁻⁴ + 10⁻³·|difference|.
func TestAttentionGradients(t *testing.T, ctx *kernels.Context, fwd kernels.AttentionFwdFunc, bwd kernels.AttentionBwdFunc) {
	for i, s := range AttentionGradShapes {
		qkv := attnInput(s, uint64(i)+2300)
		g := make([]float32, s.OutLen())
		Fill(Rand(uint64(i)+2301), g)
		out, lse, dqkv := make([]float32, s.OutLen()), make([]float32, s.LSELen()), make([]float32, s.QKVLen())
		fwd(ctx, s, qkv, out, lse)
		bwd(ctx, s, qkv, out, lse, g, dqkv)
		loss := func() float64 {
			var l float64
			for k, v := range attnReference(s, qkv, nil).out {
				l += v * float64(g[k])
			}
			return l
		}
		for k := range qkv {
			want := centralDiff(qkv, k, 1.0/1024, loss)
			if math.Abs(float64(dqkv[k])-want) > 1e-4+1e-3*math.Abs(want) {
				t.Errorf("attention gradient %v: dqkv[%d] = %v, central difference %v", s, k, dqkv[k], want)
				return
			}
		}
	}
}

// AdamWLengths are the slice lengths of the AdamW and clipping suites: an
// empty slice, lengths that split unevenly, and one beyond the norm's
// block of 16384 elements.
var AdamWLengths = []int{0, 1, 17, 1000, 3, 16385, 40000}

// TestAdamW checks steps t = 1, 2 and 10 of AdamW over AdamWLengths, every
// other slice decayed, against the float64 definition. With c1 = 1−β1, c2 =
// 1−β2, a = lr/(1−β1ᵗ), r = 1/√(1−β2ᵗ), den = √v'·r + ε and the references
// m', v', p', the bounds:
//
//	|m − m'| ≤ em = 8u·(|m| + c1·(|g| + |m|))
//	|v − v'| ≤ ev = 10u·(|v| + c2·(g² + |v|))
//	|p − p'| ≤ 3u·|p| + 2u·|p'| + a/den·(em + |m'|·(12u + r·ev/(2√v'·den)))
//
// Also: guard bands around p, m and v, g unchanged, the same bits on one
// thread.
func TestAdamW(t *testing.T, ctx *kernels.Context, fn kernels.AdamWFunc) {
	h := kernels.AdamWParams{LR: 6e-4, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1}
	for _, step := range []int{1, 2, 10} {
		var ps []kernels.AdamWSlice
		var gs []*Guarded
		var p0s, m0s, v0s [][]float32
		for i, n := range AdamWLengths {
			p0, g, m0, v0 := optimState(n, uint64(n*37+step))
			gp := func(s []float32) *Guarded { return NewGuarded(1, n, n, 19, func(_, j int) float32 { return s[j] }) }
			p, m, v := gp(p0), gp(m0), gp(v0)
			gs = append(gs, p, m, v)
			p0s, m0s, v0s = append(p0s, p0), append(m0s, m0), append(v0s, v0)
			ps = append(ps, kernels.AdamWSlice{P: p.Data, G: g, M: m.Data, V: v.Data, Decay: i%2 == 0})
		}
		var gSnap [][]float32
		for _, p := range ps {
			gSnap = append(gSnap, Snapshot(p.G))
		}
		fn(ctx, ps, h, step)
		b1, b2, eps, lr, wd := float64(h.Beta1), float64(h.Beta2), float64(h.Eps), float64(h.LR), float64(h.WeightDecay)
		c1, c2 := 1-b1, 1-b2
		bc1, bc2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
		a, r := lr/bc1, 1/math.Sqrt(bc2)
		for si, s := range ps {
			name := fmt.Sprintf("adamw t=%d slice %d (n=%d, decay %v)", step, si, len(s.P), s.Decay)
			for i := range s.P {
				gi, mi, vi, pi := float64(s.G[i]), float64(m0s[si][i]), float64(v0s[si][i]), float64(p0s[si][i])
				wm := b1*mi + c1*gi
				wv := b2*vi + c2*gi*gi
				wp := pi
				if s.Decay {
					wp -= lr * wd * pi
				}
				wp -= lr * (wm / bc1) / (math.Sqrt(wv/bc2) + eps)
				em := 8 * U * (math.Abs(mi) + c1*(math.Abs(gi)+math.Abs(mi)))
				ev := 10 * U * (math.Abs(vi) + c2*(gi*gi+math.Abs(vi)))
				den := math.Sqrt(wv)*r + eps
				rel := 12 * U
				if wv > 0 {
					rel += r * ev / (2 * math.Sqrt(wv) * den)
				}
				ep := 3*U*math.Abs(pi) + 2*U*math.Abs(wp) + a/den*(em+math.Abs(wm)*rel)
				for _, c := range []struct {
					what      string
					got       float32
					want, tol float64
				}{{"m", s.M[i], wm, em}, {"v", s.V[i], wv, ev}, {"p", s.P[i], wp, ep}} {
					if math.IsNaN(float64(c.got)) || math.Abs(float64(c.got)-c.want) > c.tol+1e-30 {
						t.Errorf("%s: %s[%d] = %v, want %v (bound %.3g)", name, c.what, i, c.got, c.want, c.tol)
						return
					}
				}
			}
			CheckUnchanged(t, name+": g", s.G, gSnap[si])
		}
		for _, g := range gs {
			g.CheckGuards(t, fmt.Sprintf("adamw t=%d", step))
		}
		oneThread(t, ctx, func(c1 *kernels.Context) {
			for si := range ps {
				q := kernels.AdamWSlice{P: Snapshot(p0s[si]), G: ps[si].G, M: Snapshot(m0s[si]), V: Snapshot(v0s[si]), Decay: ps[si].Decay}
				fn(c1, []kernels.AdamWSlice{q}, h, step)
				sameBits(t, fmt.Sprintf("adamw t=%d slice %d on one thread, alone", step, si), q.P, ps[si].P)
			}
		})
		if t.Failed() {
			return
		}
	}
}

// TestClipGradNorm checks the global norm over AdamWLengths slices within
// 10⁻¹² relative of the float64 sum (the sum's order may differ), that no
// gradient changes when the norm is at most maxNorm, that each is scaled by
// maxNorm/(norm + 10⁻⁶) within 2·u of the exact product otherwise, guard
// bands, and the same bits and norm on one thread.
func TestClipGradNorm(t *testing.T, ctx *kernels.Context, fn kernels.ClipGradNormFunc) {
	rng := Rand(2400)
	var gs []*Guarded
	var grads, snap [][]float32
	var sum float64
	for _, n := range AdamWLengths {
		g := NewGuarded(1, n, n, 13, func(_, _ int) float32 { return rng.Float32()*2 - 1 })
		gs, grads, snap = append(gs, g), append(grads, g.Data), append(snap, Snapshot(g.Data))
		for _, v := range g.Data {
			sum += float64(v) * float64(v)
		}
	}
	want := math.Sqrt(sum)
	// Not clipped.
	if got := fn(ctx, grads, want*2); math.Abs(got-want) > 1e-12*want {
		t.Errorf("clip: norm %v, want %v", got, want)
	}
	for i := range grads {
		CheckUnchanged(t, fmt.Sprintf("gradient %d below maxNorm", i), grads[i], snap[i])
	}
	// Clipped to a tenth.
	maxNorm := want / 10
	norm := fn(ctx, grads, maxNorm)
	if math.Abs(norm-want) > 1e-12*want {
		t.Errorf("clip: norm %v, want %v", norm, want)
	}
	coef := maxNorm / (want + 1e-6)
	for i, g := range grads {
		for k, v := range g {
			w := float64(snap[i][k]) * coef
			if !WithinBound(v, w, math.Abs(w), 2*U) {
				t.Errorf("clip: gradient %d[%d] = %v, want %v", i, k, v, w)
				break
			}
		}
	}
	for _, g := range gs {
		g.CheckGuards(t, "clip")
	}
	oneThread(t, ctx, func(c1 *kernels.Context) {
		var g1 [][]float32
		for _, s := range snap {
			g1 = append(g1, Snapshot(s))
		}
		if n1 := fn(c1, g1, maxNorm); n1 != norm {
			t.Errorf("clip: norm %v on one thread, %v on %d", n1, norm, ctx.Threads())
		}
		for i := range g1 {
			sameBits(t, fmt.Sprintf("clip: gradient %d on one thread", i), g1[i], grads[i])
		}
	})
}
