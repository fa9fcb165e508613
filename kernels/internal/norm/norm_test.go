package norm

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

// channels are the channel counts tried: tiny, every remainder modulo both
// vector widths and the sums' block widths, and a few larger ones.
var channels = func() []int {
	var cs []int
	for n := 0; n <= 70; n++ {
		cs = append(cs, n)
	}
	return append(cs, 127, 128, 129, 256, 259)
}()

var rowCounts = []int{0, 1, 2, 3, 5}

const pad = 13 // guard elements after every output

func randF32(rng *rand.Rand, n int, specials bool) []float32 {
	s := make([]float32, n+pad)
	for i := range s {
		s[i] = rng.Float32()*4 - 2
		if specials && rng.IntN(6) == 0 {
			s[i] = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), -1e-40}[rng.IntN(5)]
		}
	}
	return s
}

func randF64(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n+pad)
	for i := range s {
		s[i] = rng.Float64()*4 - 2
	}
	return s
}

func clone32(s []float32) []float32 { return append([]float32(nil), s...) }
func clone64(s []float64) []float64 { return append([]float64(nil), s...) }

// diff32 returns the first index where a and b differ (bitwise; any two
// NaNs are equal), or −1.
func diff32(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

func diff64(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestSumsMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range levelsUnderTest(t) {
		for _, n := range channels {
			for _, rows := range rowCounts {
				for _, extra := range []int{0, 3} {
					stride := n + extra
					sz := rows * stride
					x, dy, y := randF32(rng, sz, false), randF32(rng, sz, false), randF32(rng, sz, true)
					shift, s1, s2 := randF64(rng, n), randF64(rng, n), randF64(rng, n)
					w1, w2 := clone64(s1), clone64(s2)
					k.FwdSums(x, shift[:n], s1[:n], s2, rows, stride)
					fwdSumsGo(x, shift[:n], w1[:n], w2[:n], rows, stride)
					if i, j := diff64(s1, w1), diff64(s2, w2); i >= 0 || j >= 0 {
						t.Fatalf("%v FwdSums n=%d rows=%d stride=%d: s1 differs at %d, s2 at %d", k.Level, n, rows, stride, i, j)
					}
					for _, mask := range []bool{false, true} {
						for _, res := range []bool{false, true} {
							dres := randF32(rng, sz, false)
							wres := clone32(dres)
							a1, a2 := clone64(s1), clone64(s2)
							b1, b2 := clone64(s1), clone64(s2)
							k.BwdSums(mask, res, dy, y, x, dres, shift[:n], a1[:n], a2, rows, stride)
							bwdSumsGo(mask, res, dy, y, x, wres, shift[:n], b1[:n], b2[:n], rows, stride)
							if i, j, l := diff64(a1, b1), diff64(a2, b2), diff32(dres, wres); i >= 0 || j >= 0 || l >= 0 {
								t.Fatalf("%v BwdSums mask=%v res=%v n=%d rows=%d stride=%d: s1 differs at %d, s2 at %d, dres at %d",
									k.Level, mask, res, n, rows, stride, i, j, l)
							}
						}
					}
				}
			}
		}
	}
}

func TestElementwiseMatchTwins(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, k := range levelsUnderTest(t) {
		for _, n := range channels {
			for _, rows := range rowCounts {
				sz := rows * n
				x, rs, dy, y := randF32(rng, sz, true), randF32(rng, sz, false), randF32(rng, sz, false), randF32(rng, sz, true)
				a, b, kc, d, mu := randF32(rng, n, false), randF32(rng, n, false), randF32(rng, n, false), randF32(rng, n, false), randF32(rng, n, false)
				for _, res := range []bool{false, true} {
					for _, relu := range []bool{false, true} {
						got, want := randF32(rng, sz, false), []float32(nil)
						want = clone32(got)
						k.Apply(res, relu, got, x, rs, a[:n], b, rows)
						applyGo(res, relu, want, x, rs, a[:n], b, rows)
						if i := diff32(got, want); i >= 0 {
							t.Fatalf("%v Apply res=%v relu=%v n=%d rows=%d: differs at %d: %v vs %v", k.Level, res, relu, n, rows, i, got[i], want[i])
						}
						// In place: y = x.
						ip, wp := clone32(x), clone32(x)
						k.Apply(res, relu, ip, ip, rs, a[:n], b, rows)
						applyGo(res, relu, wp, wp, rs, a[:n], b, rows)
						if i := diff32(ip, wp); i >= 0 {
							t.Fatalf("%v Apply in place res=%v relu=%v n=%d rows=%d: differs at %d", k.Level, res, relu, n, rows, i)
						}
					}
				}
				for _, mask := range []bool{false, true} {
					got := randF32(rng, sz, false)
					want := clone32(got)
					k.BwdDX(mask, got, dy, y, x, a[:n], kc, d, mu, rows)
					bwdDXGo(mask, want, dy, y, x, a[:n], kc, d, mu, rows)
					if i := diff32(got, want); i >= 0 {
						t.Fatalf("%v BwdDX mask=%v n=%d rows=%d: differs at %d: %v vs %v", k.Level, mask, n, rows, i, got[i], want[i])
					}
					ip, wp := clone32(dy), clone32(dy)
					k.BwdDX(mask, ip, ip, y, x, a[:n], kc, d, mu, rows)
					bwdDXGo(mask, wp, wp, y, x, a[:n], kc, d, mu, rows)
					if i := diff32(ip, wp); i >= 0 {
						t.Fatalf("%v BwdDX in place mask=%v n=%d rows=%d: differs at %d", k.Level, mask, n, rows, i)
					}
				}
			}
		}
	}
}

// TestTwinsFollowDefinition checks the twins against direct float64
// evaluations of their formulas on one small case, so that the tests above
// compare against the intended arithmetic.
func TestTwinsFollowDefinition(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6} // 3 rows of 2 channels
	s1, s2 := make([]float64, 2), make([]float64, 2)
	fwdSumsGo(x, []float64{1, 2}, s1, s2, 3, 2)
	if s1[0] != 0+2+4 || s1[1] != 0+2+4 || s2[0] != 0+4+16 || s2[1] != 20 {
		t.Errorf("fwdSumsGo: s1 = %v, s2 = %v", s1, s2)
	}
	dy := []float32{1, -1, 2, -2, 3, -3}
	yv := []float32{1, 0, -1, 1, 1, float32(math.NaN())}
	dres := make([]float32, 6)
	s1, s2 = make([]float64, 2), make([]float64, 2)
	bwdSumsGo(true, true, dy, yv, x, dres, []float64{0, 0}, s1, s2, 3, 2)
	// dz = 1, 0, 0, -2, 3, 0.
	if s1[0] != 4 || s1[1] != -2 || s2[0] != 1*1+3*5 || s2[1] != -2*4 {
		t.Errorf("bwdSumsGo: s1 = %v, s2 = %v", s1, s2)
	}
	if want := []float32{1, 0, 0, -2, 3, 0}; diff32(dres, want) >= 0 {
		t.Errorf("bwdSumsGo dres = %v, want %v", dres, want)
	}
	y := make([]float32, 6)
	applyGo(true, true, y, x, []float32{-10, 0, 0, 0, 0, 0}, []float32{2, -1}, []float32{1, 0}, 3)
	if want := []float32{0, 0, 7, 0, 11, 0}; diff32(y, want) >= 0 {
		t.Errorf("applyGo = %v, want %v", y, want)
	}
	dx := make([]float32, 2)
	bwdDXGo(false, dx, []float32{1, 2}, nil, []float32{3, 4}, []float32{2, 3}, []float32{1, -1}, []float32{0.5, 0}, []float32{1, 1}, 1)
	if dx[0] != 2*1+1*(3-1)+0.5 || dx[1] != 3*2-1*(4-1) {
		t.Errorf("bwdDXGo = %v", dx)
	}
}

func TestMethodsRejectShortSlices(t *testing.T) {
	k := For(cpu.Generic)
	for name, f := range map[string]func(){
		"x": func() {
			k.FwdSums(make([]float32, 5), make([]float64, 3), make([]float64, 3), make([]float64, 3), 2, 3)
		},
		"s2": func() {
			k.FwdSums(make([]float32, 6), make([]float64, 3), make([]float64, 3), make([]float64, 2), 2, 3)
		},
		"y": func() {
			k.BwdSums(true, false, make([]float32, 6), nil, make([]float32, 6), nil, make([]float64, 3), make([]float64, 3), make([]float64, 3), 2, 3)
		},
		"res": func() {
			k.Apply(true, false, make([]float32, 6), make([]float32, 6), nil, make([]float32, 3), make([]float32, 3), 2)
		},
		"mu": func() {
			k.BwdDX(false, make([]float32, 6), make([]float32, 6), nil, make([]float32, 6), make([]float32, 3), make([]float32, 3), make([]float32, 3), make([]float32, 2), 2)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: short slice accepted", name)
				}
			}()
			f()
		}()
	}
}
