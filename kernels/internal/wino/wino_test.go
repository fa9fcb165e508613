package wino

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/leveltest"
)

// levelsUnderTest returns the kernels of every level above generic whose
// assembly this CPU runs.
func levelsUnderTest(t *testing.T) []*Kernels { return leveltest.Each(t, For) }

func randSlice(rng *rand.Rand, n int, specials bool) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*4 - 2
		if specials && rng.IntN(8) == 0 {
			s[i] = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)), -1e-40}[rng.IntN(5)]
		}
	}
	return s
}

// TestTwins checks every routine bit for bit against its twin on random
// strides, offsets, ranges, tile sizes and channel counts (every remainder
// of both vector widths), with guard elements around what it may write.
func TestTwins(t *testing.T) {
	kinds := []struct {
		k   *Kind
		fns func(*Kernels) Func
	}{
		{&Input, func(k *Kernels) Func { return k.input }},
		{&Filter, func(k *Kernels) Func { return k.filter }},
		{&Output, func(k *Kernels) Func { return k.output }},
		{&OutputBias, func(k *Kernels) Func { return k.outputBias }},
		{&OutputReLU, func(k *Kernels) Func { return k.outputReLU }},
		{&OutputBiasReLU, func(k *Kernels) Func { return k.outputBiasReLU }},
		{&OutputAcc, func(k *Kernels) Func { return k.outputAcc }},
		{&GradTile, func(k *Kernels) Func { return k.gradTile }},
		{&WeightOut, func(k *Kernels) Func { return k.weightOut }},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ks := range levelsUnderTest(t) {
		for _, kd := range kinds {
			f := kd.fns(ks)
			m, n := len(kd.k.L), len(kd.k.L[0])
			for trial := range 300 {
				c := trial % 40
				if trial >= 200 {
					c = 40 + rng.IntN(300)
				}
				spix := c + rng.IntN(3)
				srow := n*spix + rng.IntN(5)
				dpix := c + rng.IntN(3)
				drow := m*dpix + rng.IntN(5)
				r0, r1 := rng.IntN(n+1)-1, rng.IntN(n+2)
				c0, c1 := rng.IntN(n+1)-1, rng.IntN(n+2)
				rows, cols := rng.IntN(m+1), rng.IntN(m+1)
				// soff is where element (0, 0) would be: below the slice when
				// the first row or column is not read.
				lead := 7
				soff := lead
				if kd.k.Ranged && r0 > 0 {
					soff -= r0 * srow
				}
				if kd.k.Ranged && c0 > 0 {
					soff -= c0 * spix
				}
				if kd.k.Ranged && (r0 >= r1 || c0 >= c1) {
					soff = lead // nothing is read
				}
				src := randSlice(rng, lead+n*srow+n*spix+c+7, trial%3 == 0)
				doff := 5
				dst := randSlice(rng, doff+m*drow+m*dpix+c+9, false)
				want := append([]float32(nil), dst...)
				bias := randSlice(rng, c, false)
				xformGo(kd.k, want, doff, drow, dpix, rows, cols, src, soff, srow, spix, r0, r1, c0, c1, bias, c)
				f(dst, doff, drow, dpix, rows, cols, src, soff, srow, spix, r0, r1, c0, c1, bias, c)
				for i := range dst {
					if math.Float32bits(dst[i]) != math.Float32bits(want[i]) && !(isNaN(dst[i]) && isNaN(want[i])) {
						t.Fatalf("%v %s c=%d rows=%d cols=%d ranges [%d,%d)×[%d,%d): dst[%d] = %v, twin %v",
							ks.Level, kd.k.name, c, rows, cols, r0, r1, c0, c1, i, dst[i], want[i])
					}
				}
			}
		}
	}
}

func isNaN(f float32) bool { return f != f }

// TestConvolution checks the transforms' algebra: one 4×4 output tile of a
// 3×3 correlation over C channels and K filters, with zero padding where the
// ranges say, computed through Input, Filter, the per-position sums over
// channels and Output, against the float64 definition. The bound,
// |error| ≤ 2⁻¹⁵·Σ|x·w| per output, is above the worst these trials measure
// (2⁻¹⁸·⁵, logged) and four times the worst seen with other seeds (2⁻¹⁷):
// the transforms' coefficients (up to 8, and 1/6 and 1/24 rounded) cost
// F(4×4, 3×3) bits that a direct convolution keeps.
func TestConvolution(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	levels := append([]*Kernels{For(cpu.Generic)}, levelsUnderTest(t)...)
	worst := 0.0
	for _, ks := range levels {
		for trial := range 60 {
			C, K := 1+rng.IntN(40), 1+rng.IntN(20)
			if trial%4 == 0 {
				C = 500
			}
			x := randSlice(rng, 6*6*C, false)
			w := randSlice(rng, K*9*C, false)
			bias := randSlice(rng, K, false)
			r0, r1, c0, c1 := rng.IntN(2), 5+rng.IntN(2), rng.IntN(2), 5+rng.IntN(2)
			v := make([]float32, 36*C)
			ks.Input(v, 0, C, x, 0, 6*C, C, r0, r1, c0, c1, C)
			u := make([]float32, 36*K*C)
			for k := range K {
				ks.Filter(u, k*C, K*C, w, k*9*C, 3*C, C, C)
			}
			mm := make([]float32, 36*K)
			for xi := range 36 {
				for k := range K {
					var s float32
					for c := range C {
						s += v[xi*C+c] * u[xi*K*C+k*C+c]
					}
					mm[xi*K+k] = s
				}
			}
			y := make([]float32, 16*K)
			ks.Output(y, 0, 4*K, K, 4, 4, mm, 0, K, Epilogue{Bias: bias}, K)
			for p := range 4 {
				for q := range 4 {
					for k := range K {
						sum, mag := float64(bias[k]), math.Abs(float64(bias[k]))
						for r := range 3 {
							for s := range 3 {
								i, j := p+r, q+s
								if i < r0 || i >= r1 || j < c0 || j >= c1 {
									continue
								}
								for c := range C {
									xv, wv := float64(x[(i*6+j)*C+c]), float64(w[k*9*C+(r*3+s)*C+c])
									sum += xv * wv
									mag += math.Abs(xv * wv)
								}
							}
						}
						got := float64(y[(p*4+q)*K+k])
						e := math.Abs(got-sum) / mag
						worst = max(worst, e)
						if e > 0x1p-15 {
							t.Fatalf("%v C=%d K=%d ranges [%d,%d)×[%d,%d): y[%d,%d,%d] = %v, want %v (error %.3g of Σ|x·w|)",
								ks.Level, C, K, r0, r1, c0, c1, p, q, k, got, sum, e)
						}
					}
				}
			}
		}
	}
	t.Logf("worst error %.3g of Σ|x·w| (2^%.1f)", worst, math.Log2(worst))
}

// TestChecks: the wrappers panic on a slice too short for what they read
// or write, before any routine runs.
func TestChecks(t *testing.T) {
	ks := For(cpu.Generic)
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	mustPanic("Input v", func() { ks.Input(make([]float32, 35*4), 0, 4, make([]float32, 36*4), 0, 24, 4, 0, 6, 0, 6, 4) })
	mustPanic("Input x", func() { ks.Input(make([]float32, 36*4), 0, 4, make([]float32, 35*4), 0, 24, 4, 0, 6, 0, 6, 4) })
	mustPanic("Filter", func() { ks.Filter(make([]float32, 36*4), 0, 4, make([]float32, 8*4), 0, 12, 4, 4) })
	mustPanic("Output", func() { ks.Output(make([]float32, 15*4), 0, 16, 4, 4, 4, make([]float32, 36*4), 0, 4, Epilogue{}, 4) })
}

// TestOps checks the operation counts against the matrices counted by hand:
// Bᵀ's rows cost 4, 5, 5, 5, 5, 4 (28) on a vector, G's 1, 5, 5, 5, 5, 0
// (21), Aᵀ's 4, 5, 5, 6 (20), G′'s 1, 7, 7, 7, 7, 0 (29), A′ᵀ's 4, 5, 6
// (15); a 6×6 tile takes 12 applications of Bᵀ, a 3×3 filter 9 of G, a 6×6
// product tile 10 of Aᵀ or 9 of A′ᵀ, a 4×4 gradient tile 10 of G′.
func TestOps(t *testing.T) {
	for _, c := range []struct {
		k    *Kind
		want int
	}{{&Input, 12 * 28}, {&Filter, 9 * 21}, {&Output, 10 * 20}, {&OutputBias, 10*20 + 16}, {&OutputReLU, 10 * 20}, {&OutputAcc, 10*20 + 16},
		{&GradTile, 10 * 29}, {&WeightOut, 9 * 15}} {
		if got := Ops(c.k); got != c.want {
			t.Errorf("Ops(%s) = %d, want %d", c.k.name, got, c.want)
		}
	}
}

// TestWeightGradient checks F(3×3, 4×4)'s algebra: the 3×3 weight gradient
// of one 4×4 tile of the output gradient dy (rows and columns past the
// output's edge read as zero) over its 6×6 input patch x (zero padding where
// the ranges say), through Input, GradTile, the per-position products and
// WeightOut, against the float64 sum dW[r][s] = Σ_{i,j<4} dy[i][j]·x[i+r][j+s].
// The error scales with every input the transforms mix, not only the
// products an output sums (a tile with one dy inside the output still mixes
// the whole patch): bound 2⁻¹⁷·Σ|dy|·max|x| per output and channel, five
// times the worst these trials measure (2⁻¹⁹·⁴); the test fails with a matrix
// changed.
func TestWeightGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	levels := append([]*Kernels{For(cpu.Generic)}, levelsUnderTest(t)...)
	worst := 0.0
	for _, ks := range levels {
		for range 60 {
			C := 1 + rng.IntN(40)
			x := randSlice(rng, 6*6*C, false)
			dy := randSlice(rng, 4*4*C, false)
			r0, r1, c0, c1 := rng.IntN(2), 5+rng.IntN(2), rng.IntN(2), 5+rng.IntN(2)
			gr, gc := 1+rng.IntN(4), 1+rng.IntN(4) // dy's rows and columns inside the output
			v := make([]float32, 36*C)
			ks.Input(v, 0, C, x, 0, 6*C, C, r0, r1, c0, c1, C)
			g := make([]float32, 36*C)
			ks.GradTile(g, 0, C, dy, 0, 4*C, C, 0, gr, 0, gc, C)
			for i := range v {
				v[i] *= g[i]
			}
			dw := make([]float32, 9*C)
			ks.WeightOut(dw, 0, 3*C, C, v, 0, C, C)
			for r := range 3 {
				for s := range 3 {
					for c := range C {
						var sum, sdy, mx float64
						for i := range gr {
							for j := range gc {
								sdy += math.Abs(float64(dy[(i*4+j)*C+c]))
								xi, xj := i+r, j+s
								if xi < r0 || xi >= r1 || xj < c0 || xj >= c1 {
									continue
								}
								sum += float64(dy[(i*4+j)*C+c]) * float64(x[(xi*6+xj)*C+c])
							}
						}
						for i := r0; i < r1; i++ {
							for j := c0; j < c1; j++ {
								mx = max(mx, math.Abs(float64(x[(i*6+j)*C+c])))
							}
						}
						got := float64(dw[(r*3+s)*C+c])
						e := math.Abs(got-sum) / (sdy * mx)
						worst = max(worst, e)
						if e > 0x1p-17 {
							t.Fatalf("%v C=%d ranges [%d,%d)×[%d,%d), dy %d×%d: dw[%d,%d,%d] = %v, want %v (error %.3g of Σ|dy|·max|x|)",
								ks.Level, C, r0, r1, c0, c1, gr, gc, r, s, c, got, sum, e)
						}
					}
				}
			}
		}
	}
	t.Logf("worst error %.3g of Σ|dy|·max|x| (2^%.1f)", worst, math.Log2(worst))
}
