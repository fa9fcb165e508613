package kerneltest

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// Conv2DShapes returns the conformance shapes of the conv2d suite: fixed
// shapes that hit batch 1, odd spatial sizes, padding (including padding
// wider than the filter, so some outputs see only zeros), stride 2 and 3,
// dilation, 1×1 filters with and without stride, one input channel, channel
// counts around the SIMD widths (15, 16, 17, 33, 65, ...) and output rows
// longer than a register tile; then random shapes. short trims the list for
// -short and -race runs.
func Conv2DShapes(short bool) []kernels.Conv2DShape {
	sh := func(n, h, w, c, k, r, s, st, pad, dil int) kernels.Conv2DShape {
		return kernels.Conv2DShape{N: n, H: h, W: w, C: c, K: k, R: r, S: s, StrideH: st, StrideW: st,
			PadH: pad, PadW: pad, DilH: dil, DilW: dil}
	}
	shapes := []kernels.Conv2DShape{
		sh(1, 5, 5, 1, 1, 3, 3, 1, 0, 1),
		sh(2, 9, 11, 1, 32, 3, 3, 1, 0, 1),  // the seed's first layer, smaller
		sh(2, 7, 7, 32, 64, 3, 3, 1, 0, 1),  // the seed's second layer, smaller
		sh(1, 7, 9, 3, 17, 3, 3, 2, 1, 1),   // stride 2, odd K
		sh(2, 8, 8, 17, 33, 1, 1, 1, 0, 1),  // pointwise
		sh(1, 9, 9, 5, 20, 1, 1, 2, 0, 1),   // 1×1 stride 2
		sh(3, 6, 13, 16, 64, 3, 3, 1, 1, 1), // ResNet-style 3×3 pad 1
		sh(1, 13, 13, 15, 65, 3, 3, 1, 0, 1),
		sh(1, 6, 31, 8, 16, 5, 5, 1, 2, 1), // rows longer than a tile
		sh(1, 4, 4, 2, 3, 3, 3, 1, 3, 1),   // padding wider than the filter
		sh(1, 9, 9, 3, 48, 7, 7, 2, 3, 1),  // stem-like 7×7/2
		sh(1, 5, 5, 70, 31, 3, 3, 1, 1, 1),
		sh(2, 10, 12, 4, 7, 3, 3, 1, 2, 2), // dilation
		sh(1, 12, 10, 6, 9, 3, 3, 3, 1, 1), // stride 3
		{N: 1, H: 11, W: 10, C: 4, K: 7, R: 3, S: 2, StrideH: 1, StrideW: 2, PadH: 2, PadW: 1, DilH: 2, DilW: 1},
		{N: 2, H: 8, W: 9, C: 9, K: 18, R: 2, S: 4, StrideH: 2, StrideW: 1, PadH: 0, PadW: 3, DilH: 1, DilW: 2},
		sh(1, 1, 1, 7, 5, 1, 1, 1, 0, 1),
		sh(1, 3, 3, 16, 128, 3, 3, 1, 1, 1),
		sh(2, 8, 8, 32, 48, 1, 1, 2, 0, 1), // ResNet projection: 1×1/2, whole vectors
		sh(2, 8, 8, 16, 32, 3, 3, 2, 1, 1), // ResNet downsampling 3×3/2 pad 1
		sh(2, 5, 6, 8, 128, 1, 1, 1, 0, 1), // 1×1 expansion: backward-weights reads dY in place, several blocks
		// 1×1 with unequal strides and padding, pixels 4 KiB apart:
		// backward-weights gathers each (zero-padded) band.
		{N: 2, H: 9, W: 7, C: 512, K: 40, R: 1, S: 1, StrideH: 3, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
		// 3×3 pad 1 with tiles enough for winograd's groups per thread at 2
		// and 3 threads (winoThreadGroups).
		sh(4, 40, 39, 6, 10, 3, 3, 1, 1, 1),
		// 3×3 pad 1 wide enough for the Context's winograd choice, partial tiles.
		sh(2, 10, 9, 64, 72, 3, 3, 1, 1, 1),
	}
	if short {
		shapes = []kernels.Conv2DShape{shapes[1], shapes[3], shapes[5], shapes[6], shapes[9], shapes[12], shapes[15], shapes[len(shapes)-1]}
	}
	rng := Rand(2024)
	nrand := 14
	if short {
		nrand = 3
	}
	for nrand > 0 {
		s := kernels.Conv2DShape{N: 1 + rng.IntN(3), H: 1 + rng.IntN(14), W: 1 + rng.IntN(14), C: 1 + rng.IntN(40),
			K: 1 + rng.IntN(70), R: 1 + rng.IntN(4), S: 1 + rng.IntN(4), StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(2),
			PadH: rng.IntN(3), PadW: rng.IntN(3), DilH: 1 + rng.IntN(2), DilW: 1 + rng.IntN(2)}
		if s.Validate() == nil {
			shapes = append(shapes, s)
			nrand--
		}
	}
	return shapes
}

// convData is one shape's inputs and float64 reference results, computed once
// and shared by every implementation, ISA level and thread count.
type convData struct {
	s                 kernels.Conv2DShape
	x, w, b, dy       []float32
	y, ys             []float64 // forward reference and its scale Σ|terms|
	dx, dxs           []float64 // backward-data reference and scale
	dw, dws, db, dbs  []float64 // backward-weights reference and scale
	nFwd, nData, nWts int       // the number of terms summed per element
}

var convCache sync.Map // kernels.Conv2DShape -> *convData

// convDataFor returns the inputs and references for s.
func convDataFor(s kernels.Conv2DShape) *convData {
	if d, ok := convCache.Load(s); ok {
		return d.(*convData)
	}
	rng := Rand(uint64(s.N*1_000_003 + s.H*10007 + s.W*1009 + s.C*101 + s.K*11 + s.R*7 + s.S*3 + s.StrideH + s.PadH*5 + s.DilW*13))
	d := &convData{s: s,
		x: make([]float32, s.InputLen()), w: make([]float32, s.WeightLen()),
		b: make([]float32, s.K), dy: make([]float32, s.OutputLen())}
	Fill(rng, d.x)
	Fill(rng, d.w)
	Fill(rng, d.b)
	Fill(rng, d.dy)
	d.reference()
	got, _ := convCache.LoadOrStore(s, d)
	return got.(*convData)
}

// reference computes d's float64 references and their scales from its
// inputs.
func (d *convData) reference() {
	s := d.s
	d.y, d.ys = make([]float64, s.OutputLen()), make([]float64, s.OutputLen())
	d.dx, d.dxs = make([]float64, s.InputLen()), make([]float64, s.InputLen())
	d.dw, d.dws = make([]float64, s.WeightLen()), make([]float64, s.WeightLen())
	d.db, d.dbs = make([]float64, s.K), make([]float64, s.K)
	P, Q := s.OutH(), s.OutW()
	d.nFwd, d.nData, d.nWts = s.R*s.S*s.C+1, s.K*s.R*s.S, s.N*P*Q
	// One sweep over every (output pixel, tap, channel pair) accumulates all
	// three references.
	for n := 0; n < s.N; n++ {
		for p := 0; p < P; p++ {
			for q := 0; q < Q; q++ {
				o := ((n*P+p)*Q + q) * s.K
				for k := 0; k < s.K; k++ {
					d.y[o+k] = float64(d.b[k])
					d.ys[o+k] = math.Abs(float64(d.b[k]))
					d.db[k] += float64(d.dy[o+k])
					d.dbs[k] += math.Abs(float64(d.dy[o+k]))
				}
				for r := 0; r < s.R; r++ {
					h := p*s.StrideH - s.PadH + r*s.DilH
					if h < 0 || h >= s.H {
						continue
					}
					for t := 0; t < s.S; t++ {
						wc := q*s.StrideW - s.PadW + t*s.DilW
						if wc < 0 || wc >= s.W {
							continue
						}
						xi := ((n*s.H+h)*s.W + wc) * s.C
						for k := 0; k < s.K; k++ {
							wi := ((k*s.R+r)*s.S + t) * s.C
							g := float64(d.dy[o+k])
							for c := 0; c < s.C; c++ {
								xv, wv := float64(d.x[xi+c]), float64(d.w[wi+c])
								d.y[o+k] += xv * wv
								d.ys[o+k] += math.Abs(xv * wv)
								d.dx[xi+c] += g * wv
								d.dxs[xi+c] += math.Abs(g * wv)
								d.dw[wi+c] += g * xv
								d.dws[wi+c] += math.Abs(g * xv)
							}
						}
					}
				}
			}
		}
	}
}

// convOut allocates a guarded output of n elements, pre-filled with NaN (a
// kernel that reads its output before writing it shows up as a NaN result).
func convOut(n int) *Guarded {
	return NewGuarded(1, n, n, 23, func(i, j int) float32 { return float32(math.NaN()) })
}

// checkConv compares got with the float64 reference want (scale holds Σ|terms|
// per element) within (terms+4)·u·scale and reports the first few failures.
func checkConv(t *testing.T, what string, s kernels.Conv2DShape, got []float32, want, scale []float64, terms int, relu bool) bool {
	t.Helper()
	return checkSum(t, fmt.Sprintf("%s %v", what, s), got, want, scale, terms, relu)
}

// TestConv2DFwd runs a forward implementation through every shape of
// Conv2DShapes, with and without bias.
//
// Bound: each output is a sum of R·S·C products and the bias, so
// |got − ref| ≤ (R·S·C + 5)·2⁻²⁴·(Σ|x·w| + |b|) whatever the summation order.
// Also checked: guard bands around y, y not read (pre-filled with NaN), x, w
// and bias unchanged.
func TestConv2DFwd(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DFwdFunc) {
	testConv2DFwd(t, ctx, fn, false)
}

// TestConv2DFwdReLU checks a fused forward+ReLU function (such as
// Context.Conv2DForwardReLU) the same way against max(0, reference).
func TestConv2DFwdReLU(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DFwdFunc) {
	testConv2DFwd(t, ctx, fn, true)
}

func testConv2DFwd(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DFwdFunc, relu bool) {
	for i, s := range Conv2DShapes(testing.Short()) {
		d := convDataFor(s)
		bias := d.b
		ys := d.ys
		want := d.y
		if i%3 == 1 { // without bias: subtract it from the reference
			bias = nil
			want, ys = make([]float64, len(d.y)), make([]float64, len(d.y))
			for j := range want {
				k := j % s.K
				want[j] = d.y[j] - float64(d.b[k])
				ys[j] = d.ys[j] - math.Abs(float64(d.b[k]))
			}
		}
		x0, w0, b0 := Snapshot(d.x), Snapshot(d.w), Snapshot(d.b)
		y := convOut(s.OutputLen())
		fn(ctx, s, d.x, d.w, bias, y.Data)
		ok := checkConv(t, "fwd", s, y.Data, want, ys, d.nFwd, relu)
		y.CheckGuards(t, fmt.Sprintf("fwd %v: y", s))
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "w", d.w, w0)
		CheckUnchanged(t, "bias", d.b, b0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestConv2DBwdData runs a backward-data implementation through every shape.
//
// Bound: each dX element sums at most K·R·S products, so |got − ref| ≤
// (K·R·S + 4)·2⁻²⁴·Σ|dy·w|. Also checked: guard bands, dx not read, dy and w
// unchanged.
func TestConv2DBwdData(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DBwdDataFunc) {
	for _, s := range Conv2DShapes(testing.Short()) {
		d := convDataFor(s)
		dy0, w0 := Snapshot(d.dy), Snapshot(d.w)
		dx := convOut(s.InputLen())
		fn(ctx, s, d.dy, d.w, dx.Data)
		ok := checkConv(t, "bwd-data", s, dx.Data, d.dx, d.dxs, d.nData, false)
		dx.CheckGuards(t, fmt.Sprintf("bwd-data %v: dx", s))
		CheckUnchanged(t, "dy", d.dy, dy0)
		CheckUnchanged(t, "w", d.w, w0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestConv2DBwdDataAdd runs an accumulating backward-data implementation
// (dx += the gradient) through every shape, dx starting as seeded values v.
//
// Bound: each dX element sums at most K·R·S products and v, so
// |got − (ref + v)| ≤ (K·R·S + 5)·2⁻²⁴·(Σ|dy·w| + |v|). Also checked: guard
// bands, dy and w unchanged.
func TestConv2DBwdDataAdd(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DBwdDataFunc) {
	for _, s := range Conv2DShapes(testing.Short()) {
		d := convDataFor(s)
		dy0, w0 := Snapshot(d.dy), Snapshot(d.w)
		rng := Rand(uint64(s.InputLen()*7 + s.K))
		v := make([]float32, s.InputLen())
		Fill(rng, v)
		dx := NewGuarded(1, len(v), len(v), 23, func(_, j int) float32 { return v[j] })
		want, scale := make([]float64, len(v)), make([]float64, len(v))
		for i := range v {
			want[i] = d.dx[i] + float64(v[i])
			scale[i] = d.dxs[i] + math.Abs(float64(v[i]))
		}
		fn(ctx, s, d.dy, d.w, dx.Data)
		ok := checkConv(t, "bwd-data-add", s, dx.Data, want, scale, d.nData+1, false)
		dx.CheckGuards(t, fmt.Sprintf("bwd-data-add %v: dx", s))
		CheckUnchanged(t, "dy", d.dy, dy0)
		CheckUnchanged(t, "w", d.w, w0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestConv2DBwdWeights runs a backward-weights implementation through every
// shape, with and without the bias gradient.
//
// Bound: each dW and dB element sums N·P·Q products, so |got − ref| ≤
// (N·P·Q + 4)·2⁻²⁴·Σ|terms|. Also checked: guard bands, dw and db not read,
// x and dy unchanged.
func TestConv2DBwdWeights(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DBwdWeightsFunc) {
	for i, s := range Conv2DShapes(testing.Short()) {
		d := convDataFor(s)
		x0, dy0 := Snapshot(d.x), Snapshot(d.dy)
		dw := convOut(s.WeightLen())
		var db *Guarded
		var dbData []float32
		if i%3 != 1 {
			db = convOut(s.K)
			dbData = db.Data
		}
		fn(ctx, s, d.x, d.dy, dw.Data, dbData)
		ok := checkConv(t, "bwd-weights dw", s, dw.Data, d.dw, d.dws, d.nWts, false)
		dw.CheckGuards(t, fmt.Sprintf("bwd-weights %v: dw", s))
		if db != nil {
			ok = checkConv(t, "bwd-weights db", s, db.Data, d.db, d.dbs, d.nWts, false) && ok
			db.CheckGuards(t, fmt.Sprintf("bwd-weights %v: db", s))
		}
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "dy", d.dy, dy0)
		if !ok || t.Failed() {
			return
		}
	}
}

// ConvGradShapes are the small shapes of the finite-difference check.
var ConvGradShapes = []kernels.Conv2DShape{
	{N: 2, H: 5, W: 6, C: 3, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{N: 1, H: 7, W: 6, C: 2, K: 5, R: 3, S: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilH: 1, DilW: 2},
	{N: 1, H: 6, W: 6, C: 17, K: 33, R: 1, S: 1, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilH: 1, DilW: 1},
}

// TestConv2DGradients checks backward-data and backward-weights (with the
// bias gradient) against central differences of the loss L = Σ y·g, g a fixed
// random output gradient, computed in float64 from the definition of the
// forward pass: dL/dθ ≈ (L(θ+h) − L(θ−h)) / 2h for every input element,
// weight and bias (h = 2⁻⁴; L is linear in each, so the difference is exact up
// to float64 rounding). Bound: |got − fd| ≤ (terms+4)·2⁻²⁴·Σ|terms| + 1e-9.
func TestConv2DGradients(t *testing.T, ctx *kernels.Context, bwdData kernels.Conv2DBwdDataFunc, bwdWeights kernels.Conv2DBwdWeightsFunc) {
	for _, s := range ConvGradShapes {
		d := convDataFor(s)
		loss := func(x, w, b []float32) float64 {
			return convLoss64(s, x, w, b, d.dy)
		}
		const h = 1.0 / 16
		fd := func(v []float32, i int, l func() float64) float64 {
			old := v[i]
			v[i] = old + h
			lp, up := l(), float64(v[i])
			v[i] = old - h
			lm, um := l(), float64(v[i])
			v[i] = old
			return (lp - lm) / (up - um) // the steps actually taken, after rounding
		}
		dx := make([]float32, s.InputLen())
		bwdData(ctx, s, d.dy, d.w, dx)
		dw, db := make([]float32, s.WeightLen()), make([]float32, s.K)
		bwdWeights(ctx, s, d.x, d.dy, dw, db)
		l := func() float64 { return loss(d.x, d.w, d.b) }
		for _, c := range []struct {
			name  string
			param []float32
			grad  []float32
			scale []float64
			terms int
		}{
			{"dx", d.x, dx, d.dxs, d.nData},
			{"dw", d.w, dw, d.dws, d.nWts},
			{"db", d.b, db, d.dbs, d.nWts},
		} {
			step := 1
			if testing.Short() {
				step = 5 // a sample of the elements, all of them in full runs
			}
			for i := 0; i < len(c.param); i += step {
				want := fd(c.param, i, l)
				if !WithinBound(c.grad[i], want, c.scale[i], float64(c.terms+4)*U+extraError) && math.Abs(float64(c.grad[i])-want) > 1e-9 {
					t.Errorf("gradient %v: %s[%d] = %v, central difference %v", s, c.name, i, c.grad[i], want)
					return
				}
			}
		}
	}
}

// convLoss64 is Σ y·g for y = conv(x, w) + b evaluated in float64 from the
// definition.
func convLoss64(s kernels.Conv2DShape, x, w, b, g []float32) float64 {
	P, Q := s.OutH(), s.OutW()
	var l float64
	for n := 0; n < s.N; n++ {
		for p := 0; p < P; p++ {
			for q := 0; q < Q; q++ {
				for k := 0; k < s.K; k++ {
					y := float64(b[k])
					for r := 0; r < s.R; r++ {
						h := p*s.StrideH - s.PadH + r*s.DilH
						if h < 0 || h >= s.H {
							continue
						}
						for t := 0; t < s.S; t++ {
							wc := q*s.StrideW - s.PadW + t*s.DilW
							if wc < 0 || wc >= s.W {
								continue
							}
							for c := 0; c < s.C; c++ {
								y += float64(x[((n*s.H+h)*s.W+wc)*s.C+c]) * float64(w[((k*s.R+r)*s.S+t)*s.C+c])
							}
						}
					}
					l += y * float64(g[((n*P+p)*Q+q)*s.K+k])
				}
			}
		}
	}
	return l
}
