package tfvec

import "math"

// The pure-Go twins: the specification of each generated routine, the
// implementation at ISA level generic, and the routine itself under noasm.
// Products are rounded explicitly (float32(a*b)) so that no compiler fuses
// them into a multiply-add, which would round differently from the assembly;
// where the assembly does fuse one (exp1, GELU), the twin calls fma32;
// comparisons are spelled as the instructions decide them (VMAXPS(a, b) is
// a > b ? a : b, keeping b when either is NaN).

// The constants, as the generator (kernels/_gen/transformer.go) spells them.
const (
	expLo    float32 = -87.33 // below: exp1 is 0 (eˣ < 1.2·10⁻³⁸)
	expHi    float32 = 88.37  // above: exp1 is e^88.37 (the largest 2ⁿ·p that fits)
	expLog2e float32 = 1.44269504088896341
	expMagic float32 = 12582912 // 1.5·2²³: adding it rounds to an integer
	expLn2Hi float32 = 0.693359375
	expLn2Lo float32 = -2.12194440e-4
	expP0    float32 = 1.9875691500e-4
	expP1    float32 = 1.3981999507e-3
	expP2    float32 = 8.3334519073e-3
	expP3    float32 = 4.1665795894e-2
	expP4    float32 = 1.6666665459e-1
	expP5    float32 = 5.0000001201e-1

	// expBias is bits(expMagic) − 127: bits(t) − expBias is n + 127, the
	// biased exponent of 2ⁿ, when t = n + expMagic.
	expBias uint32 = 0x4b40_0000 - 127

	geluLo  float32 = -10 // GELU(x < −10) is below 10⁻³⁶: computed at −10
	geluHi  float32 = 10  // GELU′(x > 10) is 1 within float32
	geluK0  float32 = 0.7978845608028654
	geluK1  float32 = 0.044715
	geluK13 float32 = 3 * 0.044715
)

// ExpULP is exp1's error bound in units in the last place of the float32
// nearest eˣ, for x in [expLo, expHi] where eˣ is a normal float32: below 1,
// so exp1 is faithful (one of the two float32s around eˣ). TestExpULP checks
// a sample of these x; every one of them passed when it was run on all.
const ExpULP = 1

// exp1 returns eˣ in float32 (Cephes' expf, without branches): x is clamped
// to [−87.33, 88.37], split as n·ln2 + r with n = round(x·log2e) (ln2 in
// two parts, so r is nearly exact), eʳ ≈ 1 + r + r²·P(r) with P of degree
// 5, times 2ⁿ built in the exponent bits. Within ExpULP ulp of eˣ where that
// is normal; 0 for x < −87.33 (−∞ included); e^88.37 for x > 88.37 (+∞
// included); NaN for NaN.
func exp1(x float32) float32 { return exp1c(x, 0) }

// exp1c is exp1 with the result y, where it is kept (x ≥ −87.33 or NaN),
// replaced by fma32(y, corr, y) ≈ e^(x + corr) for a small corr; corr = 0
// changes nothing (y·0 + y = y for every y exp1 returns).
func exp1c(x, corr float32) float32 {
	keep := !(x < expLo)
	if expLo > x {
		x = expLo
	}
	if expHi < x {
		x = expHi
	}
	t := fma32(x, expLog2e, expMagic)
	f := t - expMagic
	sc := math.Float32frombits((math.Float32bits(t) - expBias) << 23)
	x = fma32(f, -expLn2Hi, x) // not −f: a NaN keeps its sign, as in VFNMADD
	x = fma32(f, -expLn2Lo, x)
	z := float32(x * x)
	p := fma32(expP0, x, expP1)
	p = fma32(p, x, expP2)
	p = fma32(p, x, expP3)
	p = fma32(p, x, expP4)
	p = fma32(p, x, expP5)
	p = float32(p*z) + x + 1
	y := float32(p * sc)
	if corr != 0 {
		y = fma32(y, corr, y)
	}
	if !keep {
		y = 0
	}
	return y
}

// fma32 returns a·b + c rounded once to float32, as VFMADD does: the
// product is exact in float64, the sum is rounded to float64 and then to
// odd (made odd by one ulp toward the exact sum if it was inexact and
// even), which float32 then rounds correctly (Boldo and Melquiond: round to
// odd at 53 bits, then to nearest at 24, is round to nearest).
func fma32(a, b, c float32) float32 {
	s := float64(a)*float64(b) + float64(c)
	// Double rounding can only go wrong where s is a float32 midpoint (the
	// low 29 bits of its significand 1 followed by zeros) or a float32
	// subnormal; elsewhere rounding s is rounding the exact sum.
	if bits := math.Float64bits(s); bits&(1<<29-1) != 1<<28 && bits<<1 >= 0x3810_0000_0000_0000<<1 {
		return float32(s) // |s| ≥ 2⁻¹²⁶, or ±∞ or NaN
	}
	return fma32Odd(a, b, c)
}

// fma32Odd is fma32's slow path: the float64 sum rounded to odd, then to
// float32.
//
//go:noinline
func fma32Odd(a, b, c float32) float32 {
	p, cd := float64(a)*float64(b), float64(c)
	s := p + cd
	// TwoSum: the exact error of s.
	bb := s - p
	err := (p - (s - bb)) + (cd - bb)
	if bits := math.Float64bits(s); err == err && err != 0 && bits&1 == 0 {
		if (err > 0) == (s > 0) {
			bits++
		} else {
			bits--
		}
		s = math.Float64frombits(bits)
	}
	return float32(s)
}

// Exp is exp1 for scalar callers.
func Exp(x float32) float32 { return exp1(x) }

// expGo sets dst[i] = exp1(src[i]).
func expGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = exp1(v)
	}
}

// maxps is VMAXPS: a if a > b, else b (so b when either is NaN).
func maxps(a, b float32) float32 {
	if a > b {
		return a
	}
	return b
}

// tree16 combines 16 partials by the halving tree, partial i op= partial
// i+w for w = 8, 4, 2, 1, and returns partial 0.
func tree16(acc *[16]float32, op func(a, b float32) float32) float32 {
	for w := 8; w >= 1; w /= 2 {
		for i := 0; i < w; i++ {
			acc[i] = op(acc[i], acc[i+w])
		}
	}
	return acc[0]
}

func add32(a, b float32) float32 { return a + b }

// rowMaxGo returns the maximum of x by maxps over 16 partials (element i
// into partial i mod 16, starting from −∞, the lanes past the end of the
// last block −∞ too), combined by tree16; −∞ for an empty x.
func rowMaxGo(x []float32) float32 {
	var acc [16]float32
	inf := float32(math.Inf(-1))
	for i := range acc {
		acc[i] = inf
	}
	for i, v := range x {
		acc[i%16] = maxps(acc[i%16], v)
	}
	for i := len(x); i%16 != 0; i++ {
		acc[i%16] = maxps(acc[i%16], inf)
	}
	return tree16(&acc, maxps)
}

// expSumGo sets x[i] = exp1(x[i] − shift) and returns the sum of the
// results over 16 partials (element i into partial i mod 16, from +0; the
// lanes past the end of the last block add exp1(−∞ − shift)), combined by
// tree16.
func expSumGo(x []float32, shift float32) float32 {
	var acc [16]float32
	for i, v := range x {
		e := exp1(v - shift)
		x[i] = e
		acc[i%16] += e
	}
	inf := float32(math.Inf(-1))
	for i := len(x); i%16 != 0; i++ {
		acc[i%16] += exp1(inf - shift)
	}
	return tree16(&acc, add32)
}

// expSubGo sets dst[i] = exp(src[i] − shift) computed as x = src[i] − shift
// in float32, its rounding error err = (src[i] − shift) − x exactly (Knuth's
// TwoSum, with −shift as the second addend), and exp1c(x, err): the
// exponential of the exact difference within ExpSubULP ulp, where exp1 of
// the rounded difference could be off by |x|·2⁻²⁴ relative. dst may be src.
func expSubGo(dst, src []float32, shift float32) {
	dst = dst[:len(src)]
	for i, a := range src {
		x := a - shift
		bv := x - a
		err := (a - (x - bv)) - (shift + bv)
		dst[i] = exp1c(x, err)
	}
}

// ExpSubULP bounds expSubGo's error in ulp of the float32 nearest
// e^(src − shift) where that is a normal float32: exp1's ExpULP, the
// correction's rounding (half an ulp) and its truncation (err²/2 relative,
// below 2⁻⁴⁸).
const ExpSubULP = ExpULP + 0.5

// softmaxBwdGo sets p[i] = e = exp1(p[i] − lse) and dp[i] = e·(dp[i] − d):
// the attention backward's probabilities and score gradients of one row.
func softmaxBwdGo(p, dp []float32, lse, d float32) {
	dp = dp[:len(p)]
	for i, v := range p {
		e := exp1(v - lse)
		p[i] = e
		dp[i] = float32(e * (dp[i] - d))
	}
}

// geluGo sets dst[i] = GELU(src[i]) in the form 1 + tanh u = 2·σ(2u):
// with v = max(x, −10), u = (k0·v)·((k1·v)·v + 1), y = v/(1 + exp1(−2u))
// (the inner multiply-add fused).
func geluGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if geluLo > v {
			v = geluLo
		}
		w := fma32(float32(geluK1*v), v, 1)
		u := float32(float32(geluK0*v) * w)
		e := exp1(float32(u*-2)) + 1
		dst[i] = v / e
	}
}

// geluBwdGo sets dx[i] = dy[i]·GELU′(x[i]): with v = x clamped to [−10,
// 10], s = 1/(1 + exp1(−2u)) (u as in geluGo),
// GELU′ = ((2v·s)·(1 − s))·k0·(3k1·v² + 1) + s (the multiply-adds fused).
func geluBwdGo(x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	for i, v := range x {
		if geluLo > v {
			v = geluLo
		}
		if geluHi < v {
			v = geluHi
		}
		v2 := float32(v * v)
		w := fma32(geluK1, v2, 1)
		u := float32(float32(geluK0*v) * w)
		e := exp1(float32(u*-2)) + 1
		s := 1 / e
		q := fma32(geluK13, v2, 1)
		r := float32(float32(v+v) * s)
		r = float32(r * (1 - s))
		r = float32(r * geluK0)
		r = fma32(r, q, s)
		dx[i] = float32(dy[i] * r)
	}
}

// sum16 combines the 16 float64 partials of the whole blocks by the
// halving tree, then adds the tail's partial.
func sum16(acc *[16]float64, tail float64) float64 {
	for w := 8; w >= 1; w /= 2 {
		for i := 0; i < w; i++ {
			acc[i] += acc[i+w]
		}
	}
	return acc[0] + tail
}

// reduce64 is the float64 reductions' order: f(i) of the elements of the
// whole blocks of 16 into partial i mod 16, of the rest in order into a
// tail partial (all from +0), combined by sum16.
func reduce64(n int, f func(i int) float64) float64 {
	var acc [16]float64
	whole := n &^ 15
	for i := 0; i < whole; i++ {
		acc[i%16] += f(i)
	}
	var tail float64
	for i := whole; i < n; i++ {
		tail += f(i)
	}
	return sum16(&acc, tail)
}

// sum64Go returns Σ float64(x[i]) in reduce64's order.
func sum64Go(x []float32) float64 {
	return reduce64(len(x), func(i int) float64 { return float64(x[i]) })
}

// sumSq64Go returns Σ float64(x[i])² in reduce64's order.
func sumSq64Go(x []float32) float64 {
	return reduce64(len(x), func(i int) float64 { d := float64(x[i]); return d * d })
}

// sqDev64Go returns Σ (float64(x[i]) − mu)² in reduce64's order.
func sqDev64Go(x []float32, mu float64) float64 {
	return reduce64(len(x), func(i int) float64 { d := float64(x[i]) - mu; return float64(d * d) })
}

// dot64Go returns Σ float64(a[i])·float64(b[i]) in reduce64's order.
func dot64Go(a, b []float32) float64 {
	b = b[:len(a)]
	return reduce64(len(a), func(i int) float64 { return float64(float64(a[i]) * float64(b[i])) })
}

// lnAffineGo sets y[i] = (x[i] − m)·(r·gamma[i]) + beta[i]: layer norm's
// normalise, scale and shift of one row.
func lnAffineGo(y, x, gamma, beta []float32, m, r float32) {
	y, gamma, beta = y[:len(x)], gamma[:len(x)], beta[:len(x)]
	for i, v := range x {
		y[i] = float32((v-m)*float32(r*gamma[i])) + beta[i]
	}
}

// lnBwdSumsGo is the first pass of layer norm's backward over one row: with
// x̂ = (x[i] − mu)·inv and g = dy[i]·gamma[i] in float32, it adds dy[i] to
// pb[i] and dy[i]·x̂ to pg[i] in float64, and returns Σ g and Σ g·x̂ in
// float64, in reduce64's order.
func lnBwdSumsGo(dy, x, gamma []float32, pb, pg []float64, mu, inv float32) (sg, sgx float64) {
	n := len(dy)
	x, gamma, pb, pg = x[:n], gamma[:n], pb[:n], pg[:n]
	xh := func(i int) float64 { return float64(float32((x[i] - mu) * inv)) }
	g := func(i int) float64 { return float64(float32(dy[i] * gamma[i])) }
	for i, d := range dy {
		pb[i] += float64(d)
		pg[i] += float64(float64(d) * xh(i))
	}
	sg = reduce64(n, g)
	sgx = reduce64(n, func(i int) float64 { return float64(g(i) * xh(i)) })
	return sg, sgx
}

// lnBwdDxGo is the second pass: dx[i] = inv·((dy[i]·gamma[i] − a) − x̂·b),
// x̂ = (x[i] − mu)·inv, all in float32. dx may be dy.
func lnBwdDxGo(dx, dy, x, gamma []float32, mu, inv, a, b float32) {
	dx, dy, gamma = dx[:len(x)], dy[:len(x)], gamma[:len(x)]
	for i, v := range x {
		xh := float32((v - mu) * inv)
		t := float32(dy[i]*gamma[i]) - a
		t -= float32(xh * b)
		dx[i] = float32(inv * t)
	}
}

// adamwGo applies one AdamW step in float32: m += (g − m)·c1,
// v += (g² − v)·c2, p = p·dec − (a·m)/(√v·r + eps).
func adamwGo(p, grad, m, v []float32, a, c1, c2, eps, r, dec float32) {
	grad, m, v = grad[:len(p)], m[:len(p)], v[:len(p)]
	for i, g := range grad {
		mk := m[i] + float32((g-m[i])*c1)
		vk := v[i] + float32((float32(g*g)-v[i])*c2)
		m[i], v[i] = mk, vk
		den := float32(float32(math.Sqrt(float64(vk)))*r) + eps
		p[i] = float32(p[i]*dec) - float32(a*mk)/den
	}
}

// scaleGo sets x[i] = x[i]·s.
func scaleGo(x []float32, s float32) {
	for i := range x {
		x[i] = float32(x[i] * s)
	}
}
