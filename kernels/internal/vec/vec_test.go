package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/leveltest"
)

// levelsUnderTest returns the kernels of every level above generic whose
// assembly this CPU runs.
func levelsUnderTest(t *testing.T) []*Kernels { return leveltest.Each(t, For) }

// lengths are the slice lengths tried: 0, 1, every remainder modulo both
// vector widths, the unrolled-loop edges, and some larger odd ones.
var lengths = func() []int {
	var ls []int
	for n := 0; n <= 70; n++ {
		ls = append(ls, n)
	}
	return append(ls, 127, 128, 129, 255, 256, 257, 1000, 4099)
}()

const pad = 19 // guard elements after every output

// special values mixed into inputs: signed zeros, infinities, NaNs.
var specials = []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -1e-40}

func randSlice(rng *rand.Rand, n int, withSpecials bool) []float32 {
	s := make([]float32, n+pad)
	for i := range s {
		s[i] = rng.Float32()*4 - 2
		if withSpecials && rng.IntN(8) == 0 {
			s[i] = specials[rng.IntN(len(specials))]
		}
	}
	return s
}

// same reports the first index where a and b differ bitwise, or −1.
func same(a, b []float32) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func sameInt(a, b []int32) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

func clone(s []float32) []float32 { return append([]float32(nil), s...) }

// check compares the outputs (whole buffers including the guard tails) of
// the assembly and the twin bitwise.
func check(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if i := same(got, want); i >= 0 {
		t.Fatalf("%s: element %d = %v (bits %#x), twin gives %v (bits %#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
	}
}

func TestElementwiseMatchesTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := For(cpu.Generic)
	for _, k := range levelsUnderTest(t) {
		for _, n := range lengths {
			name := fmt.Sprintf("%v/n=%d", k.Level, n)
			src := randSlice(rng, n, true)
			src0 := clone(src)

			// ReLU, out of place and in place.
			a := randSlice(rng, n, false)
			b := clone(a)
			k.ReLU(a[:n], src[:n])
			g.ReLU(b[:n], src[:n])
			check(t, name+" ReLU", a, b)
			check(t, name+" ReLU input", src, src0)
			a, b = clone(src), clone(src)
			k.ReLU(a[:n], a[:n])
			g.ReLU(b[:n], b[:n])
			check(t, name+" ReLU in place", a, b)

			// ReLU backward.
			dy := randSlice(rng, n, true)
			a = randSlice(rng, n, false)
			b = clone(a)
			k.ReLUBackward(a[:n], dy[:n], src[:n])
			g.ReLUBackward(b[:n], dy[:n], src[:n])
			check(t, name+" ReLUBackward", a, b)

			// Optimizers, several steps so moments build up.
			pa, ga, ma, va := randSlice(rng, n, false), randSlice(rng, n, false), randSlice(rng, n, false), randSlice(rng, n, false)
			for i := range va {
				va[i] = float32(math.Abs(float64(va[i])))
			}
			pb, mb, vb := clone(pa), clone(ma), clone(va)
			ga0 := clone(ga)
			for step := 0; step < 3; step++ {
				k.Adam(pa[:n], ga[:n], ma[:n], va[:n], 1e-3, 0.1, 0.001, 1e-7)
				g.Adam(pb[:n], ga[:n], mb[:n], vb[:n], 1e-3, 0.1, 0.001, 1e-7)
			}
			check(t, name+" Adam p", pa, pb)
			check(t, name+" Adam m", ma, mb)
			check(t, name+" Adam v", va, vb)
			check(t, name+" Adam grad", ga, ga0)
			k.SGD(pa[:n], ga[:n], 0.01)
			g.SGD(pb[:n], ga[:n], 0.01)
			check(t, name+" SGD", pa, pb)
			k.SGDMomentum(pa[:n], ga[:n], ma[:n], 0.01, 0.9)
			g.SGDMomentum(pb[:n], ga[:n], mb[:n], 0.01, 0.9)
			check(t, name+" SGDMomentum p", pa, pb)
			check(t, name+" SGDMomentum m", ma, mb)
		}
	}
}

func TestRowKernelsMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	g := For(cpu.Generic)
	for _, k := range levelsUnderTest(t) {
		for _, c := range lengths[:40] {
			for _, rows := range []int{0, 1, 2, 3, 7, 33} {
				name := fmt.Sprintf("%v/rows=%d/c=%d", k.Level, rows, c)
				bias := randSlice(rng, c, true)
				for _, relu := range []bool{false, true} {
					a := randSlice(rng, rows*c, true)
					b := clone(a)
					k.BiasAdd(a[:rows*c], bias[:c], rows, relu)
					g.BiasAdd(b[:rows*c], bias[:c], rows, relu)
					check(t, fmt.Sprintf("%s BiasAdd relu=%v", name, relu), a, b)
				}
				src := randSlice(rng, rows*c, false)
				a, b := randSlice(rng, c, false), []float32(nil)
				b = clone(a)
				k.ColSum(a[:c], src, rows)
				g.ColSum(b[:c], src, rows)
				check(t, name+" ColSum", a, b)
			}
		}
	}
}

// poolGeometries are the window rows tried: channel counts around both
// vector widths, windows 1..3 on each side, strides that make windows
// overlap, touch and leave gaps.
func poolGeometries(rng *rand.Rand) []PoolRow {
	var rs []PoolRow
	for _, c := range []int{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 47, 64, 65} {
		for wh := 1; wh <= 3; wh++ {
			for ww := 1; ww <= 3; ww++ {
				stride := 1 + rng.IntN(3)
				w := ww + (rng.IntN(5)+2)*stride
				nq := (w-ww)/stride + 1 - rng.IntN(2)
				rs = append(rs, PoolRow{Base: rng.IntN(1000), NQ: nq, C: c, WH: wh, WW: ww, ColStep: stride * c, RowStride: w * c})
			}
		}
	}
	return append(rs, PoolRow{Base: 5, NQ: 0, C: 3, WH: 2, WW: 2, ColStep: 6, RowStride: 30})
}

func TestMaxPoolMatchesTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g := For(cpu.Generic)
	for _, k := range levelsUnderTest(t) {
		for _, r := range poolGeometries(rng) {
			name := fmt.Sprintf("%v/%+v", k.Level, r)
			span := (r.WH-1)*r.RowStride + max(r.NQ-1, 0)*r.ColStep + r.WW*r.C
			x := randSlice(rng, span, true)
			// Coarse values make ties common: the first maximum must win.
			for i := range x {
				if rng.IntN(2) == 0 {
					x[i] = float32(rng.IntN(3) - 1)
				}
			}
			x0 := clone(x)
			outs := r.NQ * r.C
			for _, relu := range []bool{false, true} {
				ya := randSlice(rng, outs, false)
				yb := clone(ya)
				aa := make([]int32, outs+pad)
				for i := range aa {
					aa[i] = -7
				}
				ab := append([]int32(nil), aa...)
				k.MaxPool(x[:span], ya, aa, r, relu)
				g.MaxPool(x[:span], yb, ab, r, relu)
				check(t, fmt.Sprintf("%s MaxPool relu=%v y", name, relu), ya, yb)
				if i := sameInt(aa, ab); i >= 0 {
					t.Fatalf("%s MaxPool relu=%v: arg[%d] = %d, twin gives %d", name, relu, i, aa[i], ab[i])
				}
				check(t, name+" MaxPool input", x, x0)

				dy := randSlice(rng, outs, false)
				for _, add := range []bool{false, true} {
					if !add && r.ColStep < r.WW*r.C {
						continue // Set needs windows that do not overlap
					}
					da := randSlice(rng, span, false)
					db := clone(da)
					k.MaxPoolBackward(da, dy[:outs], aa[:outs], r, add)
					g.MaxPoolBackward(db, dy[:outs], ab[:outs], r, add)
					check(t, fmt.Sprintf("%s MaxPoolBackward relu=%v add=%v", name, relu, add), da, db)
				}
			}
		}
	}
}

// TestTwinsSpec pins the twins' documented semantics on hand-made inputs, so
// that the bitwise comparisons above compare against the right thing.
func TestTwinsSpec(t *testing.T) {
	nan, negZero := float32(math.NaN()), float32(math.Copysign(0, -1))
	dst := make([]float32, 4)
	reluGo(dst, []float32{-1, negZero, nan, 2})
	if dst[0] != 0 || math.Float32bits(dst[1]) != math.Float32bits(negZero) || dst[2] == dst[2] || dst[3] != 2 {
		t.Errorf("reluGo = %v", dst)
	}
	// One window of 2×2, one channel: ties go to the first, NaN wins.
	y, arg := make([]float32, 1), make([]int32, 1)
	maxPoolFwdGo([]float32{1, 3, 3, 2}, y, arg, 10, 1, 1, 2, 2, 2, 2)
	if y[0] != 3 || arg[0] != 11 {
		t.Errorf("tie: y, arg = %v, %v; want 3, 11", y[0], arg[0])
	}
	maxPoolFwdGo([]float32{1, nan, 3, 2}, y, arg, 0, 1, 1, 2, 2, 2, 2)
	if y[0] == y[0] || arg[0] != 1 {
		t.Errorf("NaN: y, arg = %v, %v; want NaN, 1", y[0], arg[0])
	}
	maxPoolReLUFwdGo([]float32{-1, -3, -3, -2}, y, arg, 0, 1, 1, 2, 2, 2, 2)
	if y[0] != 0 || arg[0] != -1 {
		t.Errorf("relu: y, arg = %v, %v; want 0, -1", y[0], arg[0])
	}
	dx := []float32{9, 9, 9, 9}
	maxPoolBwdSetGo(dx, []float32{5}, []int32{12}, 10, 1, 1, 2, 2, 2, 2)
	if dx[0] != 0 || dx[1] != 0 || dx[2] != 5 || dx[3] != 0 {
		t.Errorf("backward: dx = %v; want [0 0 5 0]", dx)
	}
}

func TestShortSlicesPanic(t *testing.T) {
	k := For(cpu.Generic)
	for name, f := range map[string]func(){
		"relu": func() { k.ReLU(make([]float32, 2), make([]float32, 3)) },
		"adam": func() {
			k.Adam(make([]float32, 3), make([]float32, 3), make([]float32, 2), make([]float32, 3), 1, 1, 1, 1)
		},
		"bias": func() { k.BiasAdd(make([]float32, 5), make([]float32, 3), 2, false) },
		"pool": func() {
			k.MaxPool(make([]float32, 7), make([]float32, 2), make([]int32, 2), PoolRow{NQ: 2, C: 1, WH: 2, WW: 2, ColStep: 2, RowStride: 4}, false)
		},
		"arg": func() {
			k.MaxPool(make([]float32, 8), make([]float32, 2), make([]int32, 1), PoolRow{NQ: 2, C: 1, WH: 2, WW: 2, ColStep: 2, RowStride: 4}, false)
		},
		"int32": func() {
			k.MaxPool(make([]float32, 8), make([]float32, 2), make([]int32, 2), PoolRow{Base: math.MaxInt32, NQ: 2, C: 1, WH: 2, WW: 2, ColStep: 2, RowStride: 4}, false)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
