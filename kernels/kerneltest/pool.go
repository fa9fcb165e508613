package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// PoolShapes returns the conformance shapes of the max-pool suite: 2×2/2 on
// even and odd images (dropped border rows and columns), channel counts
// around the SIMD widths, overlapping windows (3/2, 3/1), windows with gaps
// between them (2/3), window 1, the seed's pool layer (batch 2), padded
// windows (ResNet's 3×3/2 padding 1 stem on small images, 2×2/2 and 3×3/1
// padding 1, 5/2 padding 2), then random shapes, some padded.
func PoolShapes(short bool) []kernels.PoolShape {
	sh := func(n, h, w, c, win, st int) kernels.PoolShape {
		return kernels.PoolShape{N: n, H: h, W: w, C: c, Window: win, Stride: st}
	}
	shapes := []kernels.PoolShape{sh(1, 2, 2, 1, 2, 2), sh(2, 4, 4, 3, 2, 2), sh(2, 5, 7, 17, 2, 2),
		sh(2, 26, 26, 32, 2, 2), sh(2, 11, 11, 64, 2, 2), sh(2, 7, 6, 5, 3, 2), sh(1, 9, 9, 4, 2, 3),
		sh(3, 6, 5, 33, 3, 3), sh(1, 3, 3, 16, 3, 1), sh(1, 1, 1, 1, 1, 1), sh(2, 8, 9, 15, 1, 2)}
	pad := func(s kernels.PoolShape, p int) kernels.PoolShape { s.Pad = p; return s }
	padded := []kernels.PoolShape{pad(sh(2, 9, 9, 17, 3, 2), 1), pad(sh(1, 8, 7, 64, 3, 2), 1), pad(sh(2, 5, 6, 3, 2, 2), 1),
		pad(sh(1, 4, 5, 9, 3, 1), 1), pad(sh(1, 7, 9, 5, 5, 2), 2), pad(sh(1, 1, 1, 2, 3, 2), 1), pad(sh(1, 2, 3, 33, 3, 3), 1)}
	if short {
		shapes = []kernels.PoolShape{shapes[2], shapes[4], shapes[5], shapes[6], padded[0], padded[4]}
	} else {
		shapes = append(shapes, padded...)
	}
	rng := Rand(99)
	nrand := 8
	if short {
		nrand = 2
	}
	for nrand > 0 {
		s := sh(1+rng.IntN(3), 1+rng.IntN(12), 1+rng.IntN(12), 1+rng.IntN(40), 1+rng.IntN(4), 1+rng.IntN(3))
		if nrand%2 == 0 {
			s.Pad = rng.IntN(s.Window/2 + 1)
		}
		if s.Validate() == nil {
			shapes = append(shapes, s)
			nrand--
		}
	}
	return shapes
}

// poolInput fills an input for s: uniform values, or (ties) values from
// {−1, 0, 1} so that windows hold equal maxima and the first-maximum rule
// shows.
func poolInput(s kernels.PoolShape, seed uint64, ties bool) []float32 {
	rng := Rand(seed)
	x := make([]float32, s.InputLen())
	Fill(rng, x)
	if ties {
		for i := range x {
			x[i] = float32(rng.IntN(3) - 1)
		}
	}
	return x
}

// poolRef returns the reference max and argmax of the definition (first
// maximum in row-major window order among the elements inside the image,
// NaN winning).
func poolRef(s kernels.PoolShape, x []float32) ([]float32, []int32) {
	P, Q := s.OutH(), s.OutW()
	y, arg := make([]float32, s.OutputLen()), make([]int32, s.OutputLen())
	for n := 0; n < s.N; n++ {
		for p := 0; p < P; p++ {
			for q := 0; q < Q; q++ {
				for c := 0; c < s.C; c++ {
					best := -1
					for i := 0; i < s.Window; i++ {
						for j := 0; j < s.Window; j++ {
							h, w := p*s.Stride-s.Pad+i, q*s.Stride-s.Pad+j
							if h < 0 || h >= s.H || w < 0 || w >= s.W {
								continue
							}
							e := ((n*s.H+h)*s.W+w)*s.C + c
							if best < 0 || x[e] > x[best] || x[e] != x[e] {
								best = e
							}
						}
					}
					o := ((n*P+p)*Q+q)*s.C + c
					y[o], arg[o] = x[best], int32(best)
				}
			}
		}
	}
	return y, arg
}

// guardedArg is an int32 output with guard bands, pre-filled with −5.
type guardedArg struct {
	all  []int32
	Data []int32
}

const argSentinel = -7

func newGuardedArg(n int) *guardedArg {
	const pad = 19
	g := &guardedArg{all: make([]int32, n+2*pad)}
	for i := range g.all {
		g.all[i] = argSentinel
	}
	g.Data = g.all[pad : pad+n : pad+n]
	for i := range g.Data {
		g.Data[i] = -5
	}
	return g
}

func (g *guardedArg) check(t *testing.T, name string) {
	t.Helper()
	for i, v := range g.all {
		if (i < 19 || i >= 19+len(g.Data)) && v != argSentinel {
			t.Errorf("%s: arg guard element %d overwritten with %d", name, i, v)
			return
		}
	}
}

// TestMaxPoolFwd runs a forward implementation through PoolShapes, with
// uniform inputs and with ties, and one NaN per image. The maxima and argmax
// must equal the definition's exactly. Also checked: guard bands around y
// and arg, x unchanged.
func TestMaxPoolFwd(t *testing.T, ctx *kernels.Context, fn kernels.MaxPoolFwdFunc) {
	for i, s := range PoolShapes(testing.Short()) {
		for _, ties := range []bool{false, true} {
			x := poolInput(s, uint64(i), ties)
			if i%2 == 0 {
				for n := 0; n < s.N; n++ {
					x[n*s.H*s.W*s.C+(i*7)%(s.H*s.W*s.C)] = float32(math.NaN())
				}
			}
			wantY, wantArg := poolRef(s, x)
			x0 := Snapshot(x)
			y := convOut(s.OutputLen())
			arg := newGuardedArg(s.OutputLen())
			fn(ctx, s, x, y.Data, arg.Data)
			name := fmt.Sprintf("maxpool fwd %v (ties %v)", s, ties)
			for o := range wantY {
				if math.Float32bits(y.Data[o]) != math.Float32bits(wantY[o]) || arg.Data[o] != wantArg[o] {
					t.Errorf("%s: output %d = %v at %d, want %v at %d", name, o, y.Data[o], arg.Data[o], wantY[o], wantArg[o])
					break
				}
			}
			y.CheckGuards(t, name+": y")
			arg.check(t, name)
			CheckUnchanged(t, "x", x, x0)
			if t.Failed() {
				return
			}
		}
	}
}

// TestMaxPoolBwd runs a backward implementation through PoolShapes with the
// reference argmax. Reference: dx[e] = Σ dy over outputs whose arg is e, in
// float64; bound: (terms+4)·2⁻²⁴·Σ|dy| with terms = ⌈Window/Stride⌉², the
// most windows an element can be in (exact for non-overlapping windows).
// Also checked: every element of dx written (pre-filled with NaN), guard
// bands, dy and arg unchanged.
func TestMaxPoolBwd(t *testing.T, ctx *kernels.Context, fn kernels.MaxPoolBwdFunc) {
	for i, s := range PoolShapes(testing.Short()) {
		for _, ties := range []bool{false, true} {
			x := poolInput(s, uint64(i), ties)
			_, arg := poolRef(s, x)
			dy := make([]float32, s.OutputLen())
			Fill(Rand(uint64(i)+1000), dy)
			want, scale := make([]float64, s.InputLen()), make([]float64, s.InputLen())
			for o, e := range arg {
				want[e] += float64(dy[o])
				scale[e] += math.Abs(float64(dy[o]))
			}
			dy0, arg0 := Snapshot(dy), append([]int32(nil), arg...)
			dx := convOut(s.InputLen())
			fn(ctx, s, dy, arg, dx.Data)
			per := (s.Window + s.Stride - 1) / s.Stride
			ok := checkSum(t, fmt.Sprintf("maxpool bwd %v (ties %v)", s, ties), dx.Data, want, scale, per*per, false)
			dx.CheckGuards(t, fmt.Sprintf("maxpool bwd %v: dx", s))
			CheckUnchanged(t, "dy", dy, dy0)
			for o := range arg {
				if arg[o] != arg0[o] {
					t.Errorf("maxpool bwd %v: arg modified at %d", s, o)
					break
				}
			}
			if !ok || t.Failed() {
				return
			}
		}
	}
}

// PoolGradShapes are the small shapes of the finite-difference check.
var PoolGradShapes = []kernels.PoolShape{{N: 2, H: 5, W: 4, C: 3, Window: 2, Stride: 2}, {N: 1, H: 7, W: 6, C: 2, Window: 3, Stride: 2},
	{N: 1, H: 6, W: 7, C: 3, Window: 3, Stride: 2, Pad: 1}}

// TestMaxPoolGradients checks forward+backward against central differences
// of L = Σ maxpool(x)·g in float64, g a fixed random output gradient. The
// inputs are a shuffle of the distinct values k/64, and the step h = 2⁻⁸ is
// smaller than half their spacing, so no window's maximum changes place: L
// is linear in each element around x and the difference is exact up to
// rounding. Bound: (terms+4)·2⁻²⁴·Σ|g| as TestMaxPoolBwd, or 1e-9 absolute.
func TestMaxPoolGradients(t *testing.T, ctx *kernels.Context, fwd kernels.MaxPoolFwdFunc, bwd kernels.MaxPoolBwdFunc) {
	for i, s := range PoolGradShapes {
		rng := Rand(uint64(i) + 500)
		x := make([]float32, s.InputLen())
		for k, p := range rng.Perm(len(x)) {
			x[k] = float32(p-len(x)/2) / 64
		}
		g := make([]float32, s.OutputLen())
		Fill(rng, g)
		y, arg := make([]float32, s.OutputLen()), make([]int32, s.OutputLen())
		fwd(ctx, s, x, y, arg)
		dx := make([]float32, s.InputLen())
		bwd(ctx, s, g, arg, dx)
		loss := func() float64 {
			ry, _ := poolRef(s, x)
			var l float64
			for o := range ry {
				l += float64(ry[o]) * float64(g[o])
			}
			return l
		}
		var gs float64
		for _, v := range g {
			gs += math.Abs(float64(v))
		}
		per := (s.Window + s.Stride - 1) / s.Stride
		for e := range x {
			want := centralDiff(x, e, 1.0/256, loss)
			if !WithinBound(dx[e], want, gs, float64(per*per+4)*U) && math.Abs(float64(dx[e])-want) > 1e-9 {
				t.Errorf("maxpool gradient %v: dx[%d] = %v, central difference %v", s, e, dx[e], want)
				return
			}
		}
	}
}
