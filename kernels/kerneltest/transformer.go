package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// The conformance suites of the transformer kernels (embedding, layer
// norm, GELU, attention, AdamW, global-norm clipping). Besides the bounds
// each states, every suite checks that the implementation gives the same
// bits on the Context it is given as on a one-thread Context of the same
// ISA level (the fast paths promise results independent of the thread
// count, which is stronger than the bit-identity for a given thread count
// the trainer needs).

// oneThread runs f on a one-thread Context at ctx's ISA level.
func oneThread(t *testing.T, ctx *kernels.Context, f func(c1 *kernels.Context)) {
	t.Helper()
	c1, err := kernels.NewContext(ctx.ISA(), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	f(c1)
}

// EmbeddingShapes are the embedding suite's shapes: one token, D around a
// cache line of floats (the fast backward's column chunk), tokens that
// repeat, T below Positions.
func EmbeddingShapes(short bool) []kernels.EmbeddingShape {
	s := []kernels.EmbeddingShape{{Batch: 1, T: 1, Vocab: 1, D: 1, Positions: 1}, {Batch: 2, T: 5, Vocab: 7, D: 17, Positions: 8},
		{Batch: 3, T: 16, Vocab: 5, D: 48, Positions: 16}, {Batch: 1, T: 33, Vocab: 100, D: 35, Positions: 40}, {Batch: 2, T: 9, Vocab: 3, D: 64, Positions: 9}}
	if short {
		return s[:3]
	}
	return s
}

func embTokens(s kernels.EmbeddingShape, seed uint64) []int32 {
	rng := Rand(seed)
	tok := make([]int32, s.Tokens())
	for i := range tok {
		tok[i] = int32(rng.IntN(s.Vocab))
	}
	return tok
}

// TestEmbeddingFwd checks x = wte[tok] + wpe[t] bit for bit against the
// float64 sum rounded once (the exact sum, correctly rounded), guard bands
// around x, inputs unchanged.
func TestEmbeddingFwd(t *testing.T, ctx *kernels.Context, fn kernels.EmbeddingFwdFunc) {
	for i, s := range EmbeddingShapes(testing.Short()) {
		rng := Rand(uint64(i) + 1300)
		tok := embTokens(s, uint64(i)+1301)
		wte, wpe := make([]float32, s.Vocab*s.D), make([]float32, s.Positions*s.D)
		Fill(rng, wte)
		Fill(rng, wpe)
		wte0, wpe0 := Snapshot(wte), Snapshot(wpe)
		x := convOut(s.Len())
		fn(ctx, s, tok, wte, wpe, x.Data)
		want := make([]float32, s.Len())
		for k := range want {
			r, c := k/s.D, k%s.D
			want[k] = float32(float64(wte[int(tok[r])*s.D+c]) + float64(wpe[(r%s.T)*s.D+c]))
		}
		name := fmt.Sprintf("embedding fwd %v", s)
		sameBits(t, name, x.Data, want)
		x.CheckGuards(t, name+": x")
		CheckUnchanged(t, "wte", wte, wte0)
		CheckUnchanged(t, "wpe", wpe, wpe0)
		if t.Failed() {
			return
		}
	}
}

// TestEmbeddingBwd checks the scatter-add into gradient tables that start
// from random values: each element within (n+2)·u·(|start| + Σ|dy|) of the
// float64 sum, n the number of terms added into it; rows no token names
// unchanged bit for bit; guard bands; dy unchanged; the same bits as on one
// thread.
func TestEmbeddingBwd(t *testing.T, ctx *kernels.Context, fn kernels.EmbeddingBwdFunc) {
	for i, s := range EmbeddingShapes(testing.Short()) {
		rng := Rand(uint64(i) + 1400)
		tok := embTokens(s, uint64(i)+1401)
		dy := make([]float32, s.Len())
		Fill(rng, dy)
		start := func(n int) *Guarded {
			return NewGuarded(1, n, n, 17, func(_, _ int) float32 { return rng.Float32()*2 - 1 })
		}
		dwte, dwpe := start(s.Vocab*s.D), start(s.Positions*s.D)
		te0, pe0 := Snapshot(dwte.Data), Snapshot(dwpe.Data)
		dy0 := Snapshot(dy)
		fn(ctx, s, tok, dy, dwte.Data, dwpe.Data)
		sumT, absT, cntT := make([]float64, len(te0)), make([]float64, len(te0)), make([]float64, len(te0))
		sumP, absP, cntP := make([]float64, len(pe0)), make([]float64, len(pe0)), make([]float64, len(pe0))
		for k, v := range te0 {
			sumT[k], absT[k] = float64(v), math.Abs(float64(v))
		}
		for k, v := range pe0 {
			sumP[k], absP[k] = float64(v), math.Abs(float64(v))
		}
		for k, g := range dy {
			r, c := k/s.D, k%s.D
			e, p := int(tok[r])*s.D+c, (r%s.T)*s.D+c
			sumT[e] += float64(g)
			absT[e] += math.Abs(float64(g))
			cntT[e]++
			sumP[p] += float64(g)
			absP[p] += math.Abs(float64(g))
			cntP[p]++
		}
		name := fmt.Sprintf("embedding bwd %v", s)
		check := func(what string, got []float32, sum, abs, cnt []float64, start []float32) {
			for k, g := range got {
				if cnt[k] == 0 {
					if math.Float32bits(g) != math.Float32bits(start[k]) {
						t.Errorf("%s: %s[%d] = %v changed, no token adds into it (was %v)", name, what, k, g, start[k])
						return
					}
					continue
				}
				if !WithinBound(g, sum[k], abs[k], (cnt[k]+2)*U) {
					t.Errorf("%s: %s[%d] = %v, want %v (bound %.3g)", name, what, k, g, sum[k], (cnt[k]+2)*U*abs[k])
					return
				}
			}
		}
		check("dwte", dwte.Data, sumT, absT, cntT, te0)
		check("dwpe", dwpe.Data, sumP, absP, cntP, pe0)
		dwte.CheckGuards(t, name+": dwte")
		dwpe.CheckGuards(t, name+": dwpe")
		CheckUnchanged(t, "dy", dy, dy0)
		oneThread(t, ctx, func(c1 *kernels.Context) {
			te, pe := Snapshot(te0), Snapshot(pe0)
			fn(c1, s, tok, dy, te, pe)
			sameBits(t, name+": dwte on one thread", te, dwte.Data)
			sameBits(t, name+": dwpe on one thread", pe, dwpe.Data)
		})
		if t.Failed() {
			return
		}
	}
}

// LayerNormShapes are the layer-norm suite's shapes: one feature, one row,
// feature counts around the unrolling, row counts that split unevenly into
// chunks and threads, GPT-2's width.
func LayerNormShapes(short bool) []kernels.LayerNormShape {
	s := []kernels.LayerNormShape{{Rows: 1, D: 1}, {Rows: 3, D: 5}, {Rows: 17, D: 33}, {Rows: 40, D: 64}, {Rows: 1, D: 768}, {Rows: 37, D: 7}, {Rows: 20, D: 768}}
	if short {
		return []kernels.LayerNormShape{{Rows: 1, D: 1}, {Rows: 17, D: 33}, {Rows: 20, D: 768}}
	}
	return s
}

// lnData is a layer-norm problem: rows offset and scaled differently (some
// with a mean far from 0 relative to their spread), γ and β.
type lnData struct {
	s           kernels.LayerNormShape
	x           []float32
	gamma, beta []float32
}

func newLNData(s kernels.LayerNormShape, seed uint64) *lnData {
	rng := Rand(seed)
	d := &lnData{s: s, x: make([]float32, s.Len()), gamma: make([]float32, s.D), beta: make([]float32, s.D)}
	for r := 0; r < s.Rows; r++ {
		off, spread := rng.Float64()*8-4, 0.1+2*rng.Float64()
		for c := 0; c < s.D; c++ {
			d.x[r*s.D+c] = float32(off + spread*(rng.Float64()*2-1))
		}
	}
	for c := range d.gamma {
		d.gamma[c] = rng.Float32()*2 - 0.5
		d.beta[c] = rng.Float32()*2 - 1
	}
	return d
}

// lnRef is the float64 forward of the definition: per row μ, σ², rstd; per
// element y and the bound scale |γ|·rstd·(|x| + |μ|) + |β|.
type lnRef struct {
	mean, variance, rstd []float64
	y, scale             []float64
}

func (d *lnData) reference() *lnRef {
	s, D := d.s, d.s.D
	r := &lnRef{mean: make([]float64, s.Rows), variance: make([]float64, s.Rows), rstd: make([]float64, s.Rows),
		y: make([]float64, s.Len()), scale: make([]float64, s.Len())}
	for row := 0; row < s.Rows; row++ {
		var sum, sq float64
		for c := 0; c < D; c++ {
			sum += float64(d.x[row*D+c])
		}
		mu := sum / float64(D)
		for c := 0; c < D; c++ {
			v := float64(d.x[row*D+c]) - mu
			sq += v * v
		}
		r.mean[row], r.variance[row] = mu, sq/float64(D)
		r.rstd[row] = 1 / math.Sqrt(r.variance[row]+kernels.LayerNormEps)
		for c := 0; c < D; c++ {
			x, g := float64(d.x[row*D+c]), float64(d.gamma[c])
			r.y[row*D+c] = g*(x-mu)*r.rstd[row] + float64(d.beta[c])
			r.scale[row*D+c] = math.Abs(g)*r.rstd[row]*(math.Abs(x)+math.Abs(mu)) + math.Abs(float64(d.beta[c]))
		}
	}
	return r
}

// TestLayerNormFwd runs a forward implementation through LayerNormShapes.
// Bounds: y within 8·u·(|γ|·rstd·(|x| + |μ|) + |β|) (the fast path rounds
// μ, rstd, rstd·γ, x − μ, the product and the sum); the saved mean within
// 4·u·(|μ| + σ), rstd within 4·u·rstd. Also: guard bands, inputs unchanged,
// y computed in place (y = x) the same, the same bits on one thread.
func TestLayerNormFwd(t *testing.T, ctx *kernels.Context, fn kernels.LayerNormFwdFunc) {
	for i, s := range LayerNormShapes(testing.Short()) {
		d := newLNData(s, uint64(i)+1500)
		ref := d.reference()
		x0 := Snapshot(d.x)
		y, mean, rstd := convOut(s.Len()), convOut(s.Rows), convOut(s.Rows)
		fn(ctx, s, d.x, d.gamma, d.beta, y.Data, mean.Data, rstd.Data)
		name := fmt.Sprintf("layernorm fwd %v", s)
		ok := checkSum(t, name, y.Data, ref.y, ref.scale, 4, false)
		sd := make([]float64, s.Rows)
		for r := range sd {
			sd[r] = math.Sqrt(ref.variance[r])
		}
		ok = ok && checkVec(t, name+": mean", mean.Data, ref.mean, sd, 4)
		_ = ok && checkVec(t, name+": rstd", rstd.Data, ref.rstd, nil, 4)
		y.CheckGuards(t, name+": y")
		mean.CheckGuards(t, name+": mean")
		rstd.CheckGuards(t, name+": rstd")
		CheckUnchanged(t, "x", d.x, x0)
		inPlace := Snapshot(d.x)
		fn(ctx, s, inPlace, d.gamma, d.beta, inPlace, make([]float32, s.Rows), make([]float32, s.Rows))
		sameBits(t, name+" in place", inPlace, y.Data)
		oneThread(t, ctx, func(c1 *kernels.Context) {
			y1 := make([]float32, s.Len())
			fn(c1, s, d.x, d.gamma, d.beta, y1, make([]float32, s.Rows), make([]float32, s.Rows))
			sameBits(t, name+" on one thread", y1, y.Data)
		})
		if t.Failed() {
			return
		}
	}
}

// TestLayerNormBwd runs a backward implementation through LayerNormShapes
// with the reference forward's statistics (rounded to float32). With g =
// dy·γ, x̂ = (x − μ)·rstd and the row sums Σg and Σg·x̂, bounds: dx within
// 12·u·rstd·(|g| + |Σg|/D + rstd·(|x| + |μ|)·|Σg·x̂|/D + Σ|g|·(|x̂|+1)/D);
// dβ within 4·u·Σ|dy|; dγ within 6·u·Σ|dy|·rstd·(|x| + |μ|). Also: guard
// bands, inputs unchanged, dx in place (dx = dy) the same, the same bits on
// one thread.
func TestLayerNormBwd(t *testing.T, ctx *kernels.Context, fn kernels.LayerNormBwdFunc) {
	for i, s := range LayerNormShapes(testing.Short()) {
		d := newLNData(s, uint64(i)+1600)
		fwd := d.reference()
		D := s.D
		mean, rstd := make([]float32, s.Rows), make([]float32, s.Rows)
		for r := range mean {
			mean[r], rstd[r] = float32(fwd.mean[r]), float32(fwd.rstd[r])
		}
		dy := make([]float32, s.Len())
		Fill(Rand(uint64(i)+1601), dy)
		// The reference, from the float32 statistics.
		dx, dxScale := make([]float64, s.Len()), make([]float64, s.Len())
		db, dbScale, dg, dgScale := make([]float64, D), make([]float64, D), make([]float64, D), make([]float64, D)
		for r := 0; r < s.Rows; r++ {
			mu, inv := float64(mean[r]), float64(rstd[r])
			var sg, sgx, sabs float64
			for c := 0; c < D; c++ {
				k := r*D + c
				xh := (float64(d.x[k]) - mu) * inv
				gv := float64(dy[k]) * float64(d.gamma[c])
				sg += gv
				sgx += gv * xh
				sabs += math.Abs(gv) * (math.Abs(xh) + 1)
				db[c] += float64(dy[k])
				dbScale[c] += math.Abs(float64(dy[k]))
				dg[c] += float64(dy[k]) * xh
				dgScale[c] += math.Abs(float64(dy[k])) * inv * (math.Abs(float64(d.x[k])) + math.Abs(mu))
			}
			for c := 0; c < D; c++ {
				k := r*D + c
				xh := (float64(d.x[k]) - mu) * inv
				gv := float64(dy[k]) * float64(d.gamma[c])
				dx[k] = inv * (gv - sg/float64(D) - xh*sgx/float64(D))
				dxScale[k] = inv * (math.Abs(gv) + math.Abs(sg)/float64(D) + inv*(math.Abs(float64(d.x[k]))+math.Abs(mu))*math.Abs(sgx)/float64(D) + sabs/float64(D))
			}
		}
		gdx, gdg, gdb := convOut(s.Len()), convOut(D), convOut(D)
		x0, dy0 := Snapshot(d.x), Snapshot(dy)
		fn(ctx, s, d.x, d.gamma, mean, rstd, kernels.LayerNormGrads{DY: dy, DX: gdx.Data, DGamma: gdg.Data, DBeta: gdb.Data})
		name := fmt.Sprintf("layernorm bwd %v", s)
		ok := checkSum(t, name+": dx", gdx.Data, dx, dxScale, 8, false)
		ok = ok && checkVec(t, name+": dbeta", gdb.Data, db, dbScale, 4)
		_ = ok && checkVec(t, name+": dgamma", gdg.Data, dg, dgScale, 6)
		gdx.CheckGuards(t, name+": dx")
		gdg.CheckGuards(t, name+": dgamma")
		gdb.CheckGuards(t, name+": dbeta")
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "dy", dy, dy0)
		inPlace := Snapshot(dy)
		fn(ctx, s, d.x, d.gamma, mean, rstd, kernels.LayerNormGrads{DY: inPlace, DX: inPlace, DGamma: make([]float32, D), DBeta: make([]float32, D)})
		sameBits(t, name+" in place", inPlace, gdx.Data)
		oneThread(t, ctx, func(c1 *kernels.Context) {
			g := kernels.LayerNormGrads{DY: dy, DX: make([]float32, s.Len()), DGamma: make([]float32, D), DBeta: make([]float32, D)}
			fn(c1, s, d.x, d.gamma, mean, rstd, g)
			sameBits(t, name+": dx on one thread", g.DX, gdx.Data)
			sameBits(t, name+": dgamma on one thread", g.DGamma, gdg.Data)
			sameBits(t, name+": dbeta on one thread", g.DBeta, gdb.Data)
		})
		if t.Failed() {
			return
		}
	}
}

// LayerNormGradShapes are the small shapes of the finite-difference check.
var LayerNormGradShapes = []kernels.LayerNormShape{{Rows: 3, D: 4}, {Rows: 2, D: 9}}

// TestLayerNormGradients checks a forward and backward against central
// differences (h = 2⁻¹⁰) of L = Σ y·g in float64 (the definition), g a
// fixed random output gradient, with respect to every element of x, γ and
// β. Bound: 10⁻⁴ + 10⁻³·|difference|.
func TestLayerNormGradients(t *testing.T, ctx *kernels.Context, fwd kernels.LayerNormFwdFunc, bwd kernels.LayerNormBwdFunc) {
	for i, s := range LayerNormGradShapes {
		d := newLNData(s, uint64(i)+1700)
		g := make([]float32, s.Len())
		Fill(Rand(uint64(i)+1701), g)
		mean, rstd, y := make([]float32, s.Rows), make([]float32, s.Rows), make([]float32, s.Len())
		fwd(ctx, s, d.x, d.gamma, d.beta, y, mean, rstd)
		gr := kernels.LayerNormGrads{DY: g, DX: make([]float32, s.Len()), DGamma: make([]float32, s.D), DBeta: make([]float32, s.D)}
		bwd(ctx, s, d.x, d.gamma, mean, rstd, gr)
		loss := func() float64 {
			var l float64
			for k, v := range d.reference().y {
				l += v * float64(g[k])
			}
			return l
		}
		check := func(what string, v, got []float32) {
			for k := range v {
				want := centralDiff(v, k, 1.0/1024, loss)
				if math.Abs(float64(got[k])-want) > 1e-4+1e-3*math.Abs(want) {
					t.Errorf("layernorm gradient %v: %s[%d] = %v, central difference %v", s, what, k, got[k], want)
					return
				}
			}
		}
		check("dx", d.x, gr.DX)
		check("dgamma", d.gamma, gr.DGamma)
		check("dbeta", d.beta, gr.DBeta)
	}
}

// geluInput returns n values in [−12, 12] with the ends of the range GELU
// saturates in (±20, ±100, ±1e30), 0 and tiny values.
func geluInput(n int, seed uint64) []float32 {
	rng := Rand(seed)
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*24 - 12
	}
	for i, v := range []float32{0, 1e-30, -1e-30, 20, -20, 100, -100, 1e30, -1e30, 3, -3, 0.5, -0.5} {
		if i < n {
			x[(i*7)%n] = v
		}
	}
	return x
}

func geluRef(v float64) (y, dydx float64) {
	const k0, k1 = 0.7978845608028654, 0.044715
	th := math.Tanh(k0 * (v + k1*v*v*v))
	return 0.5 * v * (1 + th), 0.5*(1+th) + 0.5*v*(1-th*th)*k0*(1+3*k1*v*v)
}

// TestGELUFwd checks y = GELU(x) on ElementwiseLengths within
// 8·u·|x| + 10⁻³⁶ of the float64 definition (see package kernels), guard
// bands, x unchanged, in place the same.
func TestGELUFwd(t *testing.T, ctx *kernels.Context, fn kernels.GELUFwdFunc) {
	for _, n := range ElementwiseLengths(testing.Short()) {
		x := geluInput(n, uint64(n)+1800)
		x0 := Snapshot(x)
		y := convOut(n)
		fn(ctx, x, y.Data)
		name := fmt.Sprintf("gelu fwd n=%d", n)
		for i, v := range x {
			want, _ := geluRef(float64(v))
			if !WithinBound(y.Data[i], want, math.Abs(float64(v)), 8*U) && math.Abs(float64(y.Data[i])-want) > 1e-38 {
				t.Errorf("%s: gelu(%v) = %v, want %v", name, v, y.Data[i], want)
				break
			}
		}
		y.CheckGuards(t, name)
		CheckUnchanged(t, "x", x, x0)
		inPlace := Snapshot(x)
		fn(ctx, inPlace, inPlace)
		sameBits(t, name+" in place", inPlace, y.Data)
		if t.Failed() {
			return
		}
	}
}

// TestGELUBwd checks dx = dy·GELU'(x) on ElementwiseLengths within
// 32·u·|dy|·(1 + |x|) of the float64 definition, guard bands, inputs
// unchanged, in place (dx = dy) the same.
func TestGELUBwd(t *testing.T, ctx *kernels.Context, fn kernels.GELUBwdFunc) {
	for _, n := range ElementwiseLengths(testing.Short()) {
		x := geluInput(n, uint64(n)+1900)
		dy := make([]float32, n)
		Fill(Rand(uint64(n)+1901), dy)
		x0, dy0 := Snapshot(x), Snapshot(dy)
		dx := convOut(n)
		fn(ctx, x, dy, dx.Data)
		name := fmt.Sprintf("gelu bwd n=%d", n)
		for i, v := range x {
			_, d := geluRef(float64(v))
			want := d * float64(dy[i])
			if !WithinBound(dx.Data[i], want, math.Abs(float64(dy[i]))*(1+math.Abs(float64(v))), 32*U) {
				t.Errorf("%s: x = %v dy = %v: dx = %v, want %v", name, v, dy[i], dx.Data[i], want)
				break
			}
		}
		dx.CheckGuards(t, name)
		CheckUnchanged(t, "x", x, x0)
		CheckUnchanged(t, "dy", dy, dy0)
		inPlace := Snapshot(dy)
		fn(ctx, x, inPlace, inPlace)
		sameBits(t, name+" in place", inPlace, dx.Data)
		if t.Failed() {
			return
		}
	}
}

// TestGELUGradients checks the backward against central differences (h =
// 2⁻¹⁰) of L = Σ GELU(x)·g in float64, on x in [−4, 4]: within 10⁻⁵ +
// 10⁻³·|difference|.
func TestGELUGradients(t *testing.T, ctx *kernels.Context, bwd kernels.GELUBwdFunc) {
	rng := Rand(2000)
	x, g, dx := make([]float32, 64), make([]float32, 64), make([]float32, 64)
	for i := range x {
		x[i] = rng.Float32()*8 - 4
	}
	Fill(rng, g)
	bwd(ctx, x, g, dx)
	loss := func() float64 {
		var l float64
		for i, v := range x {
			y, _ := geluRef(float64(v))
			l += y * float64(g[i])
		}
		return l
	}
	for i := range x {
		want := centralDiff(x, i, 1.0/1024, loss)
		if math.Abs(float64(dx[i])-want) > 1e-5+1e-3*math.Abs(want) {
			t.Errorf("gelu gradient: dx[%d] (x = %v) = %v, central difference %v", i, x[i], dx[i], want)
		}
	}
}
