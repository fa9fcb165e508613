// Package tfvec holds the vector routines of the transformer kernels: a
// float32 exponential (exp1, within ExpULP ulp), the attention's softmax
// row passes, GELU forward and backward, layer norm's row sums and passes,
// the AdamW update and the gradient norm's sum of squares. Each exists as
// generated assembly for avx2 and avx512 (kernels/_gen/transformer.go) and
// as a pure-Go twin (ref.go), which is the specification, the generic
// level's implementation, and what -tags noasm and other architectures run.
//
// The assembly does exactly the twins' float32 and float64 operations in the
// same order (no fused multiply-add; reductions in a fixed tree of 16
// partials that does not depend on the vector width), so the two agree bit
// for bit and so do the levels; the tests check that on random lengths
// including 0, 1 and every remainder modulo 16. Kernels For a level are
// selected once and called through methods that slice every argument to the
// length they use, so a short slice panics in Go before any assembly runs.
package tfvec

import "github.com/trainbench/trainbench/kernels/cpu"

// Kernels are the routines of one ISA level.
type Kernels struct {
	Level cpu.Level

	exp        func(dst, src []float32)
	rowMax     func(x []float32) float32
	expSum     func(x []float32, shift float32) float32
	expSub     func(dst, src []float32, shift float32)
	softmaxBwd func(p, dp []float32, lse, d float32)
	gelu       func(dst, src []float32)
	geluBwd    func(x, dy, dx []float32)
	sum64      func(x []float32) float64
	sumSq64    func(x []float32) float64
	sqDev64    func(x []float32, mu float64) float64
	dot64      func(a, b []float32) float64
	lnAffine   func(y, x, gamma, beta []float32, m, r float32)
	lnBwdSums  func(dy, x, gamma []float32, pb, pg []float64, mu, inv float32) (float64, float64)
	lnBwdDx    func(dx, dy, x, gamma []float32, mu, inv, a, b float32)
	adamw      func(p, grad, m, v []float32, a, c1, c2, eps, r, dec float32)
	scale      func(x []float32, s float32)
}

// The kernels of each level: the twins at generic, the generated routines
// at avx2 and avx512 (which without assembly are the twins again,
// tfvec_noasm.go).
var (
	goKernels = Kernels{Level: cpu.Generic, exp: expGo, rowMax: rowMaxGo, expSum: expSumGo, expSub: expSubGo, softmaxBwd: softmaxBwdGo,
		gelu: geluGo, geluBwd: geluBwdGo, sum64: sum64Go, sumSq64: sumSq64Go, sqDev64: sqDev64Go, dot64: dot64Go,
		lnAffine: lnAffineGo, lnBwdSums: lnBwdSumsGo, lnBwdDx: lnBwdDxGo, adamw: adamwGo, scale: scaleGo}
	avx2Kernels = Kernels{Level: cpu.AVX2, exp: expAVX2, rowMax: rowMaxAVX2, expSum: expSumAVX2, expSub: expSubAVX2, softmaxBwd: softmaxBwdAVX2,
		gelu: geluAVX2, geluBwd: geluBwdAVX2, sum64: sum64AVX2, sumSq64: sumSq64AVX2, sqDev64: sqDev64AVX2, dot64: dot64AVX2,
		lnAffine: lnAffineAVX2, lnBwdSums: lnBwdSumsAVX2, lnBwdDx: lnBwdDxAVX2, adamw: adamwAVX2, scale: scaleAVX2}
	avx512Kernels = Kernels{Level: cpu.AVX512, exp: expAVX512, rowMax: rowMaxAVX512, expSum: expSumAVX512, expSub: expSubAVX512, softmaxBwd: softmaxBwdAVX512,
		gelu: geluAVX512, geluBwd: geluBwdAVX512, sum64: sum64AVX512, sumSq64: sumSq64AVX512, sqDev64: sqDev64AVX512, dot64: dot64AVX512,
		lnAffine: lnAffineAVX512, lnBwdSums: lnBwdSumsAVX512, lnBwdDx: lnBwdDxAVX512, adamw: adamwAVX512, scale: scaleAVX512}
)

// For returns the kernels of ISA level l. The caller has checked that l is
// usable on this CPU (cpu.Info.Check).
func For(l cpu.Level) *Kernels {
	switch l {
	case cpu.AVX512:
		return &avx512Kernels
	case cpu.AVX2:
		return &avx2Kernels
	}
	return &goKernels
}

// Exp sets dst[i] = eˣ of src[i] for i < len(src) (exp1: within ExpULP ulp
// where eˣ is a normal float32, 0 below −87.33, NaN for NaN). dst may be
// src.
func (k *Kernels) Exp(dst, src []float32) { k.exp(dst[:len(src)], src) }

// RowMax returns the largest element of x (−∞ if x is empty; a NaN is not
// guaranteed to win).
func (k *Kernels) RowMax(x []float32) float32 { return k.rowMax(x) }

// ExpSum replaces each x[i] by exp1(x[i] − shift) and returns their float32
// sum (in the fixed order of expSumGo): one softmax row, shifted by its
// maximum.
func (k *Kernels) ExpSum(x []float32, shift float32) float32 { return k.expSum(x, shift) }

// ExpSub sets dst[i] = e^(src[i] − shift) for i < len(src), the
// subtraction's rounding error carried into the exponential (see expSubGo:
// within ExpSubULP ulp of the exact value where it is a normal float32, 0
// where src[i] − shift < −87.33): a softmax row's numerators, accurate
// however far src[i] lies from shift. dst may be src.
func (k *Kernels) ExpSub(dst, src []float32, shift float32) { k.expSub(dst[:len(src)], src, shift) }

// SoftmaxBwd sets p[i] = e = exp1(p[i] − lse) and dp[i] = e·(dp[i] − d) for
// i < len(p): one row of the attention backward's probabilities (from the
// scores and the row's log-sum-exp) and score gradients.
func (k *Kernels) SoftmaxBwd(p, dp []float32, lse, d float32) { k.softmaxBwd(p, dp[:len(p)], lse, d) }

// GELU sets dst[i] = GELU(src[i]) (tanh approximation, see geluGo) for i <
// len(src); dst may be src.
func (k *Kernels) GELU(dst, src []float32) { k.gelu(dst[:len(src)], src) }

// GELUBackward sets dx[i] = dy[i]·GELU′(x[i]) for i < len(x) (see
// geluBwdGo); dx may be dy.
func (k *Kernels) GELUBackward(x, dy, dx []float32) {
	n := len(x)
	k.geluBwd(x, dy[:n], dx[:n])
}

// Sum64 returns Σ x[i] in float64 (in the order of reduce64).
func (k *Kernels) Sum64(x []float32) float64 { return k.sum64(x) }

// SumSq64 returns Σ x[i]² in float64 (in the order of reduce64).
func (k *Kernels) SumSq64(x []float32) float64 { return k.sumSq64(x) }

// SqDev64 returns Σ (x[i] − mu)² in float64 (in the order of reduce64).
func (k *Kernels) SqDev64(x []float32, mu float64) float64 { return k.sqDev64(x, mu) }

// Dot64 returns Σ a[i]·b[i] for i < len(a) in float64 (in the order of
// reduce64).
func (k *Kernels) Dot64(a, b []float32) float64 { return k.dot64(a, b[:len(a)]) }

// LNAffine sets y[i] = (x[i] − m)·(r·gamma[i]) + beta[i] for i < len(x):
// one layer-norm row normalised, scaled and shifted. y may be x.
func (k *Kernels) LNAffine(y, x, gamma, beta []float32, m, r float32) {
	n := len(x)
	k.lnAffine(y[:n], x, gamma[:n], beta[:n], m, r)
}

// LNBwdSums is the first pass of layer norm's backward over one row of
// len(dy) features: pb[i] += dy[i], pg[i] += dy[i]·x̂[i] (float64), and it
// returns Σ g and Σ g·x̂ (float64) with x̂ = (x − mu)·inv and g = dy·gamma
// rounded to float32 (see lnBwdSumsGo).
func (k *Kernels) LNBwdSums(dy, x, gamma []float32, pb, pg []float64, mu, inv float32) (sg, sgx float64) {
	n := len(dy)
	return k.lnBwdSums(dy, x[:n], gamma[:n], pb[:n], pg[:n], mu, inv)
}

// LNBwdDx is the second pass: dx[i] = inv·((dy[i]·gamma[i] − a) − x̂[i]·b)
// for i < len(x). dx may be dy.
func (k *Kernels) LNBwdDx(dx, dy, x, gamma []float32, mu, inv, a, b float32) {
	n := len(x)
	k.lnBwdDx(dx[:n], dy[:n], x, gamma[:n], mu, inv, a, b)
}

// AdamW applies one AdamW step to p[:len(p)] with the pre-computed scalars
// (see adamwGo): m += (g − m)·c1, v += (g² − v)·c2,
// p = p·dec − (a·m)/(√v·r + eps).
func (k *Kernels) AdamW(p, grad, m, v []float32, a, c1, c2, eps, r, dec float32) {
	n := len(p)
	k.adamw(p, grad[:n], m[:n], v[:n], a, c1, c2, eps, r, dec)
}

// Scale sets x[i] = x[i]·s.
func (k *Kernels) Scale(x []float32, s float32) { k.scale(x, s) }
