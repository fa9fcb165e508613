package ceiling

import "math"

// The pure-Go twins of the generated assembly. They are the specification the
// assembly is tested against, and what -tags noasm and non-amd64 builds run.

// fma is x·y + z for float32 or float64. For float64 it rounds once; for
// float32 the exact product is added in float64 and the sum rounded to
// float64 then float32, which can differ from one rounding in the last bit.
func fma[F float32 | float64](x, y, z F) F {
	return F(math.FMA(float64(x), float64(y), float64(z)))
}

// peakRef runs n iterations of c[i] = c[i]·a + b (fused) on every element of c.
func peakRef[F float32 | float64](n int, c []F, a, b F) {
	for it := 0; it < n; it++ {
		for i := range c {
			c[i] = fma(c[i], a, b)
		}
	}
}

// copyRef sets dst[i] = src[i] for i < len(dst), one element at a time with
// ordinary stores (the builtin copy may use non-temporal stores for large
// slices, which would measure something else).
func copyRef(dst, src []float64) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] = src[i]
	}
}

// triadRef sets a[i] = b[i] + s·c[i], rounded once, for i < len(a).
func triadRef(a, b, c []float64, s float64) {
	b, c = b[:len(a)], c[:len(a)]
	for i := range a {
		a[i] = math.FMA(s, c[i], b[i])
	}
}

// addChainRef is the result of addChain(n): 100 adds of 1 per iteration.
func addChainRef(n int) int { return 100 * max(n, 0) }

// peakBF16Ref runs n iterations of c[i] += a.hi·b.hi + a.lo·b.lo on every
// element of c, where a and b each hold two bfloat16 (low half the even
// element): VDPBF16PS's order, the odd product added first, each addition
// rounded to nearest even. The products of two bfloat16 are exact in
// float32, so only the additions round. VDPBF16PS also treats denormal
// inputs as zero and flushes denormal results; peakBF16Ref does not, and
// callers keep away from them.
func peakBF16Ref(n int, c []float32, a, b uint32) {
	bf := func(h uint32) float32 { return math.Float32frombits(h << 16) }
	alo, ahi, blo, bhi := bf(a&0xffff), bf(a>>16), bf(b&0xffff), bf(b>>16)
	for it := 0; it < n; it++ {
		for i := range c {
			c[i] += ahi * bhi
			c[i] += alo * blo
		}
	}
}
