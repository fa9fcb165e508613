package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// BatchNormShapes returns the conformance shapes of the batch-norm suites,
// each crossed with the four fusions (none, ReLU, residual add, residual
// add + ReLU): two values per channel, channel counts around the SIMD
// widths, row counts that split unevenly into chunks and threads, and
// ResNet-like channel counts on small images.
func BatchNormShapes(short bool) []kernels.BatchNormShape {
	dims := [][4]int{{1, 1, 2, 1}, {2, 3, 3, 1}, {2, 5, 7, 17}, {1, 4, 4, 33}, {3, 6, 5, 64}, {2, 7, 7, 8}, {8, 2, 2, 100}, {2, 3, 5, 256}, {1, 37, 3, 7}}
	if short {
		dims = [][4]int{{1, 1, 2, 1}, {2, 5, 7, 17}, {2, 3, 5, 256}}
	}
	var shapes []kernels.BatchNormShape
	for _, d := range dims {
		for f := 0; f < 4; f++ {
			shapes = append(shapes, kernels.BatchNormShape{N: d[0], H: d[1], W: d[2], C: d[3], ReLU: f&1 != 0, Residual: f&2 != 0})
		}
	}
	return shapes
}

// bnData is a batch-norm problem: the input (each channel offset and
// scaled differently, so that the mean is far from 0 relative to the spread
// in some channels), the residual, the parameters and a running state.
type bnData struct {
	s                            kernels.BatchNormShape
	x, res                       []float32
	gamma, beta, runMean, runVar []float32
}

func newBNData(s kernels.BatchNormShape, rng *rand.Rand) *bnData {
	d := &bnData{s: s, x: make([]float32, s.Len()), gamma: make([]float32, s.C), beta: make([]float32, s.C),
		runMean: make([]float32, s.C), runVar: make([]float32, s.C)}
	off, spread := make([]float64, s.C), make([]float64, s.C)
	for c := range off {
		off[c] = rng.Float64()*8 - 4
		spread[c] = 0.1 + 2*rng.Float64()
		d.gamma[c] = rng.Float32()*2 - 0.5
		d.beta[c] = rng.Float32()*2 - 1
		d.runMean[c] = rng.Float32() - 0.5
		d.runVar[c] = 0.5 + rng.Float32()
	}
	for i := range d.x {
		c := i % s.C
		d.x[i] = float32(off[c] + spread[c]*(rng.Float64()*2-1))
	}
	if s.Residual {
		d.res = make([]float32, s.Len())
		Fill(rng, d.res)
	}
	return d
}

// state returns a BatchNormState with the data's parameters and running
// statistics (copies) and the given saved statistics and gradient slices.
func (d *bnData) state(mean, invStd, dgamma, dbeta []float32) *kernels.BatchNormState {
	return &kernels.BatchNormState{Gamma: d.gamma, Beta: d.beta, RunMean: Snapshot(d.runMean), RunVar: Snapshot(d.runVar),
		Mean: mean, InvStd: invStd, DGamma: dgamma, DBeta: dbeta}
}

// bnRef is the float64 reference of the definition (see package kernels):
// per channel μ, biased σ², 1/√(σ²+ε), and per element the pre-activation
// (after the residual) and its bound scale.
type bnRef struct {
	mean, variance, inv []float64
	pre, y, scale       []float64
	runMean, runVar     []float64
}

// reference computes the definition for d in float64; with running the
// statistics are the running ones (inference).
func (d *bnData) reference(inference bool) *bnRef {
	s, C, M := d.s, d.s.C, d.s.Rows()
	r := &bnRef{mean: make([]float64, C), variance: make([]float64, C), inv: make([]float64, C),
		pre: make([]float64, s.Len()), y: make([]float64, s.Len()), scale: make([]float64, s.Len()),
		runMean: make([]float64, C), runVar: make([]float64, C)}
	for c := 0; c < C; c++ {
		var sum, sq float64
		for i := c; i < len(d.x); i += C {
			sum += float64(d.x[i])
		}
		mean := sum / float64(M)
		for i := c; i < len(d.x); i += C {
			sq += (float64(d.x[i]) - mean) * (float64(d.x[i]) - mean)
		}
		variance := sq / float64(M)
		r.runMean[c] = 0.9*float64(d.runMean[c]) + 0.1*mean
		if M > 1 {
			r.runVar[c] = 0.9*float64(d.runVar[c]) + 0.1*variance*float64(M)/float64(M-1)
		}
		if inference {
			mean, variance = float64(d.runMean[c]), float64(d.runVar[c])
		}
		r.mean[c], r.variance[c], r.inv[c] = mean, variance, 1/math.Sqrt(variance+kernels.BatchNormEps)
	}
	for i, v := range d.x {
		c := i % C
		a := float64(d.gamma[c]) * r.inv[c]
		z := a*(float64(v)-r.mean[c]) + float64(d.beta[c])
		sc := math.Abs(a)*(math.Abs(float64(v))+math.Abs(r.mean[c])) + math.Abs(float64(d.beta[c]))
		if s.Residual {
			z += float64(d.res[i])
			sc += math.Abs(float64(d.res[i]))
		}
		r.pre[i], r.y[i], r.scale[i] = z, z, sc
		if s.ReLU && z < 0 {
			r.y[i] = 0
		}
	}
	return r
}

// bnForwardTerms makes checkSum's bound (terms+4)·u·scale the forward's
// 6·u·scale: the fast path rounds a = γ/σ and b = β − μ·a, then x·a + b
// (+ res).
const bnForwardTerms = 2

// checkVec compares a per-channel float32 result with its reference
// within tol·u·(|want| + extra[c]).
func checkVec(t *testing.T, what string, got []float32, want, extra []float64, tol float64) bool {
	t.Helper()
	for c, w := range want {
		sc := math.Abs(w)
		if extra != nil {
			sc += extra[c]
		}
		if !WithinBound(got[c], w, sc, tol*U) {
			t.Errorf("%s: channel %d = %v, want %v (bound %.3g)", what, c, got[c], w, tol*U*sc)
			return false
		}
	}
	return true
}

// TestBatchNormFwd runs a training forward implementation through
// BatchNormShapes. Bounds: y within 6·u·(|γ/σ|·(|x|+|μ|) + |β| + |res|);
// the saved mean within 4·u·(|μ| + σ), the saved inverse deviation within
// 4·u·|1/σ|; the running mean and variance within 4·u·(their value + the
// batch statistic's). Also checked: guard bands around y and every vector,
// inputs unchanged, y computed in place (y = x) the same.
func TestBatchNormFwd(t *testing.T, ctx *kernels.Context, fn kernels.BatchNormFwdFunc) {
	for i, s := range BatchNormShapes(testing.Short()) {
		d := newBNData(s, Rand(uint64(i)+700))
		ref := d.reference(false)
		x0, res0, g0, b0 := Snapshot(d.x), Snapshot(d.res), Snapshot(d.gamma), Snapshot(d.beta)
		y := convOut(s.Len())
		mean, inv := convOut(s.C), convOut(s.C)
		runMean := NewGuarded(1, s.C, s.C, 19, func(_, j int) float32 { return d.runMean[j] })
		runVar := NewGuarded(1, s.C, s.C, 19, func(_, j int) float32 { return d.runVar[j] })
		st := d.state(mean.Data, inv.Data, nil, nil)
		st.RunMean, st.RunVar = runMean.Data, runVar.Data
		fn(ctx, s, d.x, d.res, y.Data, st)
		name := fmt.Sprintf("batchnorm fwd %v", s)
		ok := checkSum(t, name, y.Data, ref.y, ref.scale, bnForwardTerms, false)
		sd := make([]float64, s.C)
		for c := range sd {
			sd[c] = math.Sqrt(ref.variance[c])
		}
		ok = ok && checkVec(t, name+": mean", mean.Data, ref.mean, sd, 4)
		ok = ok && checkVec(t, name+": inverse deviation", inv.Data, ref.inv, nil, 4)
		stat := make([]float64, s.C) // the batch statistics' size: |μ| + the unbiased σ² (M ≥ 2)
		for c := range stat {
			stat[c] = math.Abs(ref.mean[c]) + ref.variance[c]*2
		}
		ok = ok && checkVec(t, name+": running mean", runMean.Data, ref.runMean, stat, 4)
		_ = ok && checkVec(t, name+": running variance", runVar.Data, ref.runVar, stat, 4)
		for _, g := range []struct {
			n string
			g *Guarded
		}{{"y", y}, {"mean", mean}, {"inverse deviation", inv}, {"running mean", runMean}, {"running variance", runVar}} {
			g.g.CheckGuards(t, name+": "+g.n)
		}
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "res", d.res, res0)
		CheckUnchanged(t, "gamma", d.gamma, g0)
		CheckUnchanged(t, "beta", d.beta, b0)
		// In place: the same bits as into a separate y.
		inPlace := Snapshot(d.x)
		fn(ctx, s, inPlace, d.res, inPlace, d.state(make([]float32, s.C), make([]float32, s.C), nil, nil))
		sameBits(t, name+" in place", inPlace, y.Data)
		if t.Failed() {
			return
		}
	}
}

// TestBatchNormInfer runs an inference forward implementation through
// BatchNormShapes with the running statistics of the data: y within the
// bound of TestBatchNormFwd; the running statistics, x and res unchanged;
// guard bands around y.
func TestBatchNormInfer(t *testing.T, ctx *kernels.Context, fn kernels.BatchNormFwdFunc) {
	for i, s := range BatchNormShapes(testing.Short()) {
		d := newBNData(s, Rand(uint64(i)+800))
		ref := d.reference(true)
		x0, res0 := Snapshot(d.x), Snapshot(d.res)
		y := convOut(s.Len())
		st := d.state(nil, nil, nil, nil)
		fn(ctx, s, d.x, d.res, y.Data, st)
		name := fmt.Sprintf("batchnorm infer %v", s)
		checkSum(t, name, y.Data, ref.y, ref.scale, bnForwardTerms, false)
		y.CheckGuards(t, name+": y")
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "res", d.res, res0)
		CheckUnchanged(t, "running mean", st.RunMean, d.runMean)
		CheckUnchanged(t, "running variance", st.RunVar, d.runVar)
		if t.Failed() {
			return
		}
	}
}

// bnBwdRef is the float64 reference of the backward definition from the
// saved float32 statistics: dz, dβ, dγ and dx, with the bound scales of
// dx (|a·dz| + |a/σ·dγ/M·(x−μ)| + |a·dβ/M|), dβ (Σ|dz|) and dγ (Σ|dz·x̂|).
type bnBwdRef struct {
	dz, dx, dxScale               []float64
	dbeta, dgamma, dbSum, dgScale []float64
}

func bnBackwardRef(s kernels.BatchNormShape, x, y, dy []float32, st *kernels.BatchNormState) *bnBwdRef {
	C, M := s.C, float64(s.Rows())
	r := &bnBwdRef{dz: make([]float64, s.Len()), dx: make([]float64, s.Len()), dxScale: make([]float64, s.Len()),
		dbeta: make([]float64, C), dgamma: make([]float64, C), dbSum: make([]float64, C), dgScale: make([]float64, C)}
	for i, v := range dy {
		if !s.ReLU || y[i] > 0 {
			r.dz[i] = float64(v)
		}
		c := i % C
		xh := (float64(x[i]) - float64(st.Mean[c])) * float64(st.InvStd[c])
		r.dbeta[c] += r.dz[i]
		r.dgamma[c] += r.dz[i] * xh
		r.dbSum[c] += math.Abs(r.dz[i])
		r.dgScale[c] += math.Abs(r.dz[i] * xh)
	}
	for i := range dy {
		c := i % C
		inv := float64(st.InvStd[c])
		a := float64(st.Gamma[c]) * inv
		xc := float64(x[i]) - float64(st.Mean[c])
		xh := xc * inv
		r.dx[i] = a * (r.dz[i] - r.dbeta[c]/M - xh*r.dgamma[c]/M)
		r.dxScale[i] = math.Abs(a*r.dz[i]) + math.Abs(a*inv*r.dgamma[c]/M)*(math.Abs(float64(x[i]))+math.Abs(float64(st.Mean[c]))) + math.Abs(a*r.dbeta[c]/M)
	}
	return r
}

// bnBackwardTerms makes checkSum's bound (terms+4)·u·scale the backward's
// 8·u·scale: the fast path rounds its three coefficients, x − μ, and the
// two products and sums.
const bnBackwardTerms = 4

// TestBatchNormBwd runs a backward implementation through BatchNormShapes,
// with the statistics and output of the reference forward (y with ReLU). dx
// within 8·u·(|a·dz| + |a/σ·dγ/M|·(|x|+|μ|) + |a·dβ/M|) with a = γ/σ; dβ
// within 2·u·Σ|dz|; dγ within 2·u·Σ|dz·x̂|; DRes equal to dz bit for bit.
// Also checked: guard bands, inputs unchanged, dx computed in place (dx =
// dy) the same.
func TestBatchNormBwd(t *testing.T, ctx *kernels.Context, fn kernels.BatchNormBwdFunc) {
	for i, s := range BatchNormShapes(testing.Short()) {
		if s.Rows() < 2 {
			continue
		}
		rng := Rand(uint64(i) + 900)
		d := newBNData(s, rng)
		fwd := d.reference(false)
		st := d.state(make([]float32, s.C), make([]float32, s.C), nil, nil)
		var yf []float32
		for c := 0; c < s.C; c++ {
			st.Mean[c], st.InvStd[c] = float32(fwd.mean[c]), float32(fwd.inv[c])
		}
		if s.ReLU {
			yf = make([]float32, s.Len())
			for e, v := range fwd.y {
				yf[e] = float32(v)
			}
		}
		dy := make([]float32, s.Len())
		Fill(rng, dy)
		ref := bnBackwardRef(s, d.x, yf, dy, st)
		dx, dgamma, dbeta := convOut(s.Len()), convOut(s.C), convOut(s.C)
		var dres *Guarded
		g := kernels.BatchNormGrads{DY: dy, Y: yf, DX: dx.Data}
		if s.Residual {
			dres = convOut(s.Len())
			g.DRes = dres.Data
		}
		st.DGamma, st.DBeta = dgamma.Data, dbeta.Data
		x0, dy0, y0 := Snapshot(d.x), Snapshot(dy), Snapshot(yf)
		fn(ctx, s, d.x, g, st)
		name := fmt.Sprintf("batchnorm bwd %v", s)
		ok := checkSum(t, name+": dx", dx.Data, ref.dx, ref.dxScale, bnBackwardTerms, false)
		ok = ok && checkVec(t, name+": dbeta", dbeta.Data, ref.dbeta, ref.dbSum, 2)
		_ = ok && checkVec(t, name+": dgamma", dgamma.Data, ref.dgamma, ref.dgScale, 2)
		if s.Residual {
			want := make([]float32, s.Len())
			for e, v := range ref.dz {
				want[e] = float32(v)
			}
			sameBits(t, name+": dres", dres.Data, want)
			dres.CheckGuards(t, name+": dres")
		}
		dx.CheckGuards(t, name+": dx")
		dgamma.CheckGuards(t, name+": dgamma")
		dbeta.CheckGuards(t, name+": dbeta")
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "dy", dy, dy0)
		CheckUnchanged(t, "y", yf, y0)
		// In place: dx = dy gives the same bits.
		g.DY = Snapshot(dy)
		g.DX = g.DY
		if s.Residual {
			g.DRes = make([]float32, s.Len())
		}
		st.DGamma, st.DBeta = make([]float32, s.C), make([]float32, s.C)
		fn(ctx, s, d.x, g, st)
		sameBits(t, name+" in place", g.DX, dx.Data)
		if t.Failed() {
			return
		}
	}
}

// TestBatchNormRunningStats checks the running-statistics update against a
// hand computation: one channel of values 1, 2, 3, 4 (μ = 2.5, biased σ² =
// 1.25, unbiased 5/3) and a second of 0, 0, 0, 8 (μ = 2, unbiased σ² = 16),
// from running mean 0 and 1 and variance 1 and 2, momentum 0.1: running
// mean 0.25 and 1.1, variance 0.9 + 1/6 and 1.8 + 1.6. Also y of the first
// channel with γ = 2, β = 1: 1 + 2·(x − 2.5)/√(1.25 + 10⁻⁵).
func TestBatchNormRunningStats(t *testing.T, ctx *kernels.Context, fn kernels.BatchNormFwdFunc) {
	s := kernels.BatchNormShape{N: 1, H: 2, W: 2, C: 2}
	x := []float32{1, 0, 2, 0, 3, 0, 4, 8}
	st := &kernels.BatchNormState{Gamma: []float32{2, 1}, Beta: []float32{1, 0}, RunMean: []float32{0, 1}, RunVar: []float32{1, 2},
		Mean: make([]float32, 2), InvStd: make([]float32, 2)}
	y := make([]float32, 8)
	fn(ctx, s, x, nil, y, st)
	near := func(what string, got float32, want float64) {
		if math.Abs(float64(got)-want) > 4*U*math.Abs(want)+1e-7 {
			t.Errorf("running statistics: %s = %v, want %v", what, got, want)
		}
	}
	near("running mean[0]", st.RunMean[0], 0.25)
	near("running mean[1]", st.RunMean[1], 1.1)
	near("running variance[0]", st.RunVar[0], 0.9+0.1*5.0/3)
	near("running variance[1]", st.RunVar[1], 1.8+1.6)
	near("mean[0]", st.Mean[0], 2.5)
	near("inverse deviation[0]", st.InvStd[0], 1/math.Sqrt(1.25+1e-5))
	for r, v := range []float64{1, 2, 3, 4} {
		near(fmt.Sprintf("y[%d]", 2*r), y[2*r], 1+2*(v-2.5)/math.Sqrt(1.25+1e-5))
	}
}

// BatchNormGradShapes are the small shapes of the finite-difference check,
// with each fusion.
var BatchNormGradShapes = []kernels.BatchNormShape{
	{N: 2, H: 2, W: 3, C: 3}, {N: 2, H: 2, W: 3, C: 3, ReLU: true},
	{N: 1, H: 3, W: 4, C: 2, Residual: true}, {N: 1, H: 3, W: 4, C: 2, Residual: true, ReLU: true},
}

// TestBatchNormGradients checks a training forward and backward against
// central differences (h = 2⁻¹⁰) of L = Σ y·g in float64, g a fixed random
// output gradient, with respect to every element of x, γ, β and (with
// Residual) the residual input. The inputs of a channel alternate in sign
// by row, magnitudes in [1/2, 1], so that no normalised value is near the
// ReLU's kink (with Residual, the residual keeps the sum at least
// 1/4 from 0). Bound: 10⁻⁴ + 10⁻³·|difference|, as the difference is exact
// only up to its h² term.
func TestBatchNormGradients(t *testing.T, ctx *kernels.Context, fwd kernels.BatchNormFwdFunc, bwd kernels.BatchNormBwdFunc) {
	for i, s := range BatchNormGradShapes {
		rng := Rand(uint64(i) + 1100)
		d := newBNData(s, rng)
		for e := range d.x {
			mag := 0.5 + rng.Float32()/2
			if (e/s.C)%2 == 1 {
				mag = -mag
			}
			d.x[e] = mag
		}
		for c := range d.gamma {
			d.gamma[c] = 0.5 + rng.Float32()
			d.beta[c] = (rng.Float32() - 0.5) / 20
		}
		if s.Residual {
			ref := d.reference(false)
			for e := range d.res {
				sign := float64(1)
				if rng.IntN(2) == 0 {
					sign = -1
				}
				d.res[e] = float32(sign*(0.5+rng.Float64()/2) - (ref.pre[e] - float64(d.res[e])))
			}
		}
		g := make([]float32, s.Len())
		Fill(rng, g)
		st := d.state(make([]float32, s.C), make([]float32, s.C), make([]float32, s.C), make([]float32, s.C))
		y := make([]float32, s.Len())
		fwd(ctx, s, d.x, d.res, y, st)
		grads := kernels.BatchNormGrads{DY: g, DX: make([]float32, s.Len())}
		if s.ReLU {
			grads.Y = y
		}
		if s.Residual {
			grads.DRes = make([]float32, s.Len())
		}
		bwd(ctx, s, d.x, grads, st)
		loss := func() float64 {
			ref := d.reference(false)
			var l float64
			for e, v := range ref.y {
				l += v * float64(g[e])
			}
			return l
		}
		check := func(what string, v, got []float32) {
			for e := range v {
				want := centralDiff(v, e, 1.0/1024, loss)
				if math.Abs(float64(got[e])-want) > 1e-4+1e-3*math.Abs(want) {
					t.Errorf("batchnorm gradient %v: %s[%d] = %v, central difference %v", s, what, e, got[e], want)
					return
				}
			}
		}
		check("dx", d.x, grads.DX)
		check("dgamma", d.gamma, st.DGamma)
		check("dbeta", d.beta, st.DBeta)
		if s.Residual {
			check("dres", d.res, grads.DRes)
		}
	}
}
