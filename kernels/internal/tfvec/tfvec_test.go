package tfvec

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/leveltest"
)

// levelsUnderTest returns the kernels of every level above generic whose
// assembly this CPU runs.
func levelsUnderTest(t *testing.T) []*Kernels { return leveltest.Each(t, For) }

// lengths are the slice lengths tried: 0, 1, every remainder modulo 16 and
// both vector widths, the unrolled-loop edges, some larger odd ones and
// GPT-2's width.
var lengths = func() []int {
	var ls []int
	for n := 0; n <= 70; n++ {
		ls = append(ls, n)
	}
	return append(ls, 127, 128, 129, 255, 768, 1000, 4099)
}()

const pad = 19 // guard elements after every output

var specials = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40, 200, -200, 88.5, -87.4}

// randSlice returns n+pad values in [−lim, lim), with specials mixed in if
// asked.
func randSlice(rng *rand.Rand, n int, lim float32, withSpecials bool) []float32 {
	s := make([]float32, n+pad)
	for i := range s {
		s[i] = (rng.Float32()*2 - 1) * lim
		if withSpecials && rng.IntN(8) == 0 {
			s[i] = specials[rng.IntN(len(specials))]
		}
	}
	return s
}

func clone[T any](s []T) []T { return append([]T(nil), s...) }

// check compares two buffers (guard tails included) bit for bit.
func check(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v (bits %#x), twin gives %v (bits %#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func check64(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range got {
		if !same64(got[i], want[i]) {
			t.Fatalf("%s: element %d = %v, twin gives %v", what, i, got[i], want[i])
		}
	}
}

func same32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// same32 is same64 for float32.

// same64 compares float64 results bit for bit, except that any two NaNs are
// the same: where a sum meets two different NaNs (an input's and one an
// invalid operation made) which one survives depends on the operand order
// the Go compiler picks for a commutative add.
func same64(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b) || (a != a && b != b)
}

// TestRoutinesMatchTwins runs every routine of every level the CPU has
// against its twin on each length, with special values (NaN, ±∞, ±0,
// subnormals, out-of-range exponents) mixed into the inputs, and compares
// outputs and results bit for bit.
func TestRoutinesMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := For(cpu.Generic)
	for _, k := range levelsUnderTest(t) {
		for _, n := range lengths {
			name := fmt.Sprintf("%v/n=%d", k.Level, n)
			for _, sp := range []bool{false, true} {
				src := randSlice(rng, n, 100, sp)
				src0 := clone(src)
				a, b := randSlice(rng, n, 1, false), []float32(nil)
				b = clone(a)
				k.Exp(a[:n], src[:n])
				g.Exp(b[:n], src[:n])
				check(t, name+" Exp", a, b)
				check(t, name+" Exp input", src, src0)

				if x, y := k.RowMax(src[:n]), g.RowMax(src[:n]); !same32(x, y) {
					t.Fatalf("%s RowMax = %v, twin %v", name, x, y)
				}
				a, b = clone(src), clone(src)
				shift := src[0]
				if x, y := k.ExpSum(a[:n], shift), g.ExpSum(b[:n], shift); !same32(x, y) {
					t.Fatalf("%s ExpSum = %v, twin %v", name, x, y)
				}
				check(t, name+" ExpSum x", a, b)

				for _, shift := range []float32{src[0], 3.3, -1e4, float32(math.Inf(-1))} {
					a, b = randSlice(rng, n, 1, false), nil
					b = clone(a)
					k.ExpSub(a[:n], src[:n], shift)
					g.ExpSub(b[:n], src[:n], shift)
					check(t, fmt.Sprintf("%s ExpSub shift %v", name, shift), a, b)
					check(t, name+" ExpSub input", src, src0)
					c := clone(src)
					k.ExpSub(c[:n], c[:n], shift)
					check(t, name+" ExpSub in place", c[:n], a[:n])
				}

				dp := randSlice(rng, n, 2, sp)
				a, b = clone(src), clone(src)
				da, db := clone(dp), clone(dp)
				k.SoftmaxBwd(a[:n], da[:n], 3, 0.25)
				g.SoftmaxBwd(b[:n], db[:n], 3, 0.25)
				check(t, name+" SoftmaxBwd p", a, b)
				check(t, name+" SoftmaxBwd dp", da, db)

				x := randSlice(rng, n, 14, sp)
				a, b = randSlice(rng, n, 1, false), nil
				b = clone(a)
				k.GELU(a[:n], x[:n])
				g.GELU(b[:n], x[:n])
				check(t, name+" GELU", a, b)
				c := clone(x)
				k.GELU(c[:n], c[:n])
				check(t, name+" GELU in place", c[:n], a[:n])
				dy := randSlice(rng, n, 2, sp)
				a, b = randSlice(rng, n, 1, false), nil
				b = clone(a)
				k.GELUBackward(x[:n], dy[:n], a[:n])
				g.GELUBackward(x[:n], dy[:n], b[:n])
				check(t, name+" GELUBackward", a, b)

				for _, f := range []struct {
					what   string
					fk, fg func([]float32) float64
				}{{"Sum64", k.Sum64, g.Sum64}, {"SumSq64", k.SumSq64, g.SumSq64},
					{"SqDev64", func(x []float32) float64 { return k.SqDev64(x, 1.0/3) }, func(x []float32) float64 { return g.SqDev64(x, 1.0/3) }},
					{"Dot64", func(x []float32) float64 { return k.Dot64(x, dp) }, func(x []float32) float64 { return g.Dot64(x, dp) }}} {
					if p, q := f.fk(src[:n]), f.fg(src[:n]); !same64(p, q) {
						t.Fatalf("%s %s = %v, twin %v", name, f.what, p, q)
					}
				}

				gamma, beta := randSlice(rng, n, 2, false), randSlice(rng, n, 2, false)
				a, b = randSlice(rng, n, 1, false), nil
				b = clone(a)
				k.LNAffine(a[:n], x[:n], gamma[:n], beta[:n], 0.7, 1.3)
				g.LNAffine(b[:n], x[:n], gamma[:n], beta[:n], 0.7, 1.3)
				check(t, name+" LNAffine", a, b)

				pb, pg := make([]float64, n+pad), make([]float64, n+pad)
				for i := range pb {
					pb[i], pg[i] = rng.Float64(), rng.Float64()
				}
				pb2, pg2 := clone(pb), clone(pg)
				s1, s2 := k.LNBwdSums(dy[:n], x[:n], gamma[:n], pb[:n], pg[:n], 0.3, 1.7)
				t1, t2 := g.LNBwdSums(dy[:n], x[:n], gamma[:n], pb2[:n], pg2[:n], 0.3, 1.7)
				if !same64(s1, t1) || !same64(s2, t2) {
					t.Fatalf("%s LNBwdSums = %v, %v; twin %v, %v", name, s1, s2, t1, t2)
				}
				check64(t, name+" LNBwdSums pb", pb, pb2)
				check64(t, name+" LNBwdSums pg", pg, pg2)
				a, b = randSlice(rng, n, 1, false), nil
				b = clone(a)
				k.LNBwdDx(a[:n], dy[:n], x[:n], gamma[:n], 0.3, 1.7, 0.1, -0.2)
				g.LNBwdDx(b[:n], dy[:n], x[:n], gamma[:n], 0.3, 1.7, 0.1, -0.2)
				check(t, name+" LNBwdDx", a, b)

				pa, ga, ma, va := randSlice(rng, n, 1, false), randSlice(rng, n, 1, sp), randSlice(rng, n, 1, false), randSlice(rng, n, 1, false)
				for i := range va {
					va[i] = float32(math.Abs(float64(va[i])))
				}
				pb3, mb, vb := clone(pa), clone(ma), clone(va)
				for step := 0; step < 3; step++ {
					k.AdamW(pa[:n], ga[:n], ma[:n], va[:n], 1e-3, 0.1, 0.001, 1e-8, 1.2, 0.9999)
					g.AdamW(pb3[:n], ga[:n], mb[:n], vb[:n], 1e-3, 0.1, 0.001, 1e-8, 1.2, 0.9999)
				}
				check(t, name+" AdamW p", pa, pb3)
				check(t, name+" AdamW m", ma, mb)
				check(t, name+" AdamW v", va, vb)
				a, b = clone(src), clone(src)
				k.Scale(a[:n], 0.37)
				g.Scale(b[:n], 0.37)
				check(t, name+" Scale", a, b)
			}
		}
	}
}

// TestTwinsMeanWhatTheySay checks the twins (hence every level) against
// their plain definitions: maxima exact, sums within n·u of the exact sum,
// the probabilities and layer-norm passes within a few u.
func TestTwinsMeanWhatTheySay(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ks := append([]*Kernels{For(cpu.Generic)}, levelsUnderTest(t)...)
	for _, k := range ks {
		for _, n := range lengths[1:] {
			x := randSlice(rng, n, 10, false)[:n]
			var mx float32 = float32(math.Inf(-1))
			var sum, sq, abs float64
			for _, v := range x {
				mx = max(mx, v)
				sum += float64(v)
				sq += float64(v) * float64(v)
				abs += math.Abs(float64(v))
			}
			name := fmt.Sprintf("%v/n=%d", k.Level, n)
			if got := k.RowMax(x); got != mx {
				t.Fatalf("%s: RowMax = %v, want %v", name, got, mx)
			}
			if got := k.Sum64(x); math.Abs(got-sum) > 1e-13*abs {
				t.Fatalf("%s: Sum64 = %v, want %v", name, got, sum)
			}
			if got := k.SumSq64(x); math.Abs(got-sq) > 1e-13*sq {
				t.Fatalf("%s: SumSq64 = %v, want %v", name, got, sq)
			}
			if got := k.Dot64(x, x); math.Abs(got-sq) > 1e-13*sq {
				t.Fatalf("%s: Dot64(x, x) = %v, want %v", name, got, sq)
			}
			e := clone(x)
			var esum float64
			for _, v := range x {
				esum += math.Exp(float64(v - mx))
			}
			got := k.ExpSum(e, mx)
			if math.Abs(float64(got)-esum) > float64(n+8)*0x1p-24*esum {
				t.Fatalf("%s: ExpSum = %v, want %v", name, got, esum)
			}
			for i, v := range x {
				want := math.Exp(float64(v - mx))
				if math.Abs(float64(e[i])-want) > 4*0x1p-24*want {
					t.Fatalf("%s: ExpSum x[%d] = %v, want %v", name, i, e[i], want)
				}
			}
		}
	}
}

// TestExpSubULP checks ExpSub at every level against math.Exp of the exact
// float64 difference, in ulp of the float32 nearest it: within ExpSubULP
// where that is a normal float32, 0 (absolute error below 1.2·10⁻³⁸) where
// the rounded difference is below −87.33. The inputs are softmax rows:
// logits spread over ±40 around 0 and around ±1e3 (where the difference of
// a logit and the shift rounds by up to 2⁻¹⁴), and shifts at the row
// maximum or off it.
func TestExpSubULP(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ks := append([]*Kernels{For(cpu.Generic)}, levelsUnderTest(t)...)
	const n = 4099
	worst := 0.0
	for _, k := range ks {
		for _, centre := range []float32{0, 1e3, -1e3, 0.5} {
			src := make([]float32, n)
			for i := range src {
				src[i] = centre + (rng.Float32()*2-1)*40
			}
			for _, shift := range []float32{k.RowMax(src), centre, centre + 3.7} {
				dst := make([]float32, n)
				k.ExpSub(dst, src, shift)
				for i, a := range src {
					want := math.Exp(float64(a) - float64(shift))
					if float32(a-shift) < expLo || want < 0x1p-126 {
						if want < 0x1p-126 && float64(dst[i]) > 1.2e-38 || want >= 0x1p-126 && dst[i] != 0 {
							t.Fatalf("%v: ExpSub(%v − %v) = %v, want %g (below the range)", k.Level, a, shift, dst[i], want)
						}
						continue
					}
					w32 := float32(want)
					ulp := float64(math.Float32frombits(math.Float32bits(w32)+1) - w32)
					e := math.Abs(float64(dst[i])-want) / ulp
					worst = max(worst, e)
					if e > ExpSubULP {
						t.Fatalf("%v: ExpSub(%v − %v) = %v, want %v: %.3f ulp, bound %v", k.Level, a, shift, dst[i], want, e, ExpSubULP)
					}
				}
			}
		}
	}
	t.Logf("ExpSub worst error %.3f ulp", worst)
}

// TestExpULP checks exp1 against math.Exp (in ulp of the float32 nearest
// it) on every 31st float32 x in [−87.33, 88.37] (every 7th beyond ±80)
// whose eˣ is a normal float32: within ExpULP (every such float32 passed
// when run with step 1; the measured worst is logged). Below the range it
// is +0, −∞ included; +∞ gives e^88.37; NaN gives NaN.
func TestExpULP(t *testing.T) {
	step := uint32(31)
	if testing.Short() {
		step = 997
	}
	worst := 0.0
	var worstX float32
	check := func(x float32) {
		want := math.Exp(float64(x))
		if x < expLo || want < 0x1p-126 {
			return
		}
		got := exp1(x)
		// one ulp of the float32 nearest want
		w32 := float32(want)
		ulp := float64(math.Float32frombits(math.Float32bits(w32)+1) - w32)
		if e := math.Abs(float64(got)-want) / ulp; e > worst {
			worst, worstX = e, x
		}
	}
	for b := uint32(0); b <= math.Float32bits(88.37); b += step {
		x := math.Float32frombits(b)
		check(x)
		if x <= 87.33 {
			check(-x)
		}
	}
	for b := math.Float32bits(80); b <= math.Float32bits(88.37); b += 7 { // densely near both ends
		check(math.Float32frombits(b))
		check(-math.Float32frombits(b))
	}
	check(88.37)
	check(-87.33)
	t.Logf("exp1 worst error %.3f ulp at x = %v", worst, worstX)
	if worst > ExpULP {
		t.Errorf("exp1: worst error %.3f ulp at x = %v, bound %v", worst, worstX, ExpULP)
	}
	// Below the range the result is 0; the absolute error there and in the
	// subnormal results is below 1.2·10⁻³⁸.
	for _, x := range []float32{-87.34, -88, -100, -1e30, float32(math.Inf(-1))} {
		if y := exp1(x); y != 0 || math.Signbit(float64(y)) {
			t.Errorf("exp1(%v) = %v, want +0", x, y)
		}
	}
	for b := math.Float32bits(-87.33); b <= math.Float32bits(-87.5); b++ { // the negatives just below the range
		x := math.Float32frombits(b)
		if d := math.Abs(float64(exp1(x)) - math.Exp(float64(x))); d > 1.2e-38 {
			t.Errorf("exp1(%v) = %v, off by %g", x, exp1(x), d)
		}
	}
	if y := exp1(float32(math.Inf(1))); y != exp1(88.37) || math.IsInf(float64(y), 0) {
		t.Errorf("exp1(+Inf) = %v, want e^88.37 = %v", y, exp1(88.37))
	}
	if y := exp1(float32(math.NaN())); !math.IsNaN(float64(y)) {
		t.Errorf("exp1(NaN) = %v", y)
	}
}

// BenchmarkRoutines times the exponential-bound routines on 16 Ki
// elements (cache resident: their compute rate, not memory's).
func BenchmarkRoutines(b *testing.B) {
	const n = 1 << 14
	x, y, z := make([]float32, n), make([]float32, n), make([]float32, n)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range x {
		x[i], y[i] = rng.Float32()*8-4, rng.Float32()
	}
	ks := append([]*Kernels{For(cpu.Generic)}, levelsUnderTest(&testing.T{})...)
	for _, k := range ks {
		for _, r := range []struct {
			name string
			f    func()
		}{{"exp", func() { k.Exp(z, x) }}, {"gelu", func() { k.GELU(z, x) }}, {"geluBwd", func() { k.GELUBackward(x, y, z) }},
			{"softmaxBwd", func() { copy(z, x); k.SoftmaxBwd(z, y, 3, 0.5) }}} {
			b.Run(fmt.Sprintf("%s/%v", r.name, k.Level), func(b *testing.B) {
				b.SetBytes(4 * n)
				for b.Loop() {
					r.f()
				}
			})
		}
	}
}

// TestFMA32 checks fma32 against a·b + c computed exactly (big.Float) and
// rounded once to float32: on random triples, on subnormal results, and on
// triples whose float64 sum lands on a float32 midpoint (where rounding
// twice goes wrong), e.g. (1+2⁻²³)·2⁻²⁴ · (1−2⁻²³) + (1+2⁻²³), whose exact
// sum lies just below the midpoint 1 + 2⁻²³ + 2⁻²⁴.
func TestFMA32(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		x := new(big.Float).SetPrec(300).SetFloat64(float64(a))
		x.Mul(x, new(big.Float).SetPrec(300).SetFloat64(float64(b)))
		x.Add(x, new(big.Float).SetPrec(300).SetFloat64(float64(c)))
		f, _ := x.Float32()
		return f
	}
	rng := rand.New(rand.NewPCG(9, 10))
	check := func(a, b, c float32) {
		t.Helper()
		if got, want := fma32(a, b, c), exact(a, b, c); !same32(got, want) {
			t.Fatalf("fma32(%v, %v, %v) = %v (%#x), want %v (%#x)", a, b, c, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	check(float32(math.Ldexp(1+0x1p-23, -24)), 1-0x1p-23, 1+0x1p-23)
	if fma32(float32(math.Ldexp(1+0x1p-23, -24)), 1-0x1p-23, 1+0x1p-23) != 1+0x1p-23 {
		t.Fatal("fma32 rounds twice")
	}
	for i := 0; i < 200000; i++ {
		var a, b, c float32
		switch i % 3 {
		case 0: // random magnitudes
			a = float32(math.Ldexp(rng.Float64()*2-1, rng.IntN(80)-40))
			b = float32(math.Ldexp(rng.Float64()*2-1, rng.IntN(80)-40))
			c = float32(math.Ldexp(rng.Float64()*2-1, rng.IntN(80)-40))
		case 1: // a·b about half an ulp of c, a hair off: the sum near a midpoint
			c = float32(math.Ldexp(1+float64(rng.IntN(1<<23))*0x1p-23, rng.IntN(60)-30))
			if rng.IntN(2) == 0 {
				c = -c
			}
			_, e := math.Frexp(float64(c))
			a = float32(math.Ldexp(1+float64(rng.IntN(4))*0x1p-23, e-25))
			b = float32(1 + float64(rng.IntN(9)-4)*0x1p-23)
			if rng.IntN(2) == 0 {
				b = -b
			}
		default: // subnormal results
			a = float32(math.Ldexp(rng.Float64()*2-1, -70))
			b = float32(math.Ldexp(rng.Float64()*2-1, -60))
			c = float32(math.Ldexp(rng.Float64()*2-1, -128))
		}
		check(a, b, c)
	}
}
