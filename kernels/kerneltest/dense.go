package kerneltest

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// DenseShapes returns the conformance shapes of the dense suite: batch 1, one
// input or output, sizes around the SIMD widths and register tiles, the
// seed's layers (smaller batch in short mode), then random shapes.
func DenseShapes(short bool) []kernels.DenseShape {
	sh := func(b, in, out int) kernels.DenseShape { return kernels.DenseShape{Batch: b, In: in, Out: out} }
	shapes := []kernels.DenseShape{sh(1, 1, 1), sh(1, 7, 3), sh(2, 17, 33), sh(3, 64, 10), sh(5, 100, 128),
		sh(7, 33, 65), sh(32, 160, 10), sh(8, 1600, 128), sh(17, 15, 1), sh(1, 300, 257)}
	if short {
		shapes = []kernels.DenseShape{shapes[0], shapes[2], shapes[5], shapes[6]}
	}
	rng := Rand(77)
	nrand := 8
	if short {
		nrand = 2
	}
	for i := 0; i < nrand; i++ {
		shapes = append(shapes, sh(1+rng.IntN(40), 1+rng.IntN(200), 1+rng.IntN(140)))
	}
	return shapes
}

// denseData is one shape's inputs and float64 references with their scales
// (Σ|terms| per element).
type denseData struct {
	x, w, b, dy      []float32
	y, ys            []float64
	dx, dxs          []float64
	dw, dws, db, dbs []float64
}

var denseCache sync.Map // kernels.DenseShape -> *denseData

func denseDataFor(s kernels.DenseShape) *denseData {
	if d, ok := denseCache.Load(s); ok {
		return d.(*denseData)
	}
	rng := Rand(uint64(s.Batch*1_000_003 + s.In*1009 + s.Out))
	d := &denseData{x: make([]float32, s.Batch*s.In), w: make([]float32, s.Out*s.In), b: make([]float32, s.Out),
		dy: make([]float32, s.Batch*s.Out)}
	for _, v := range [][]float32{d.x, d.w, d.b, d.dy} {
		Fill(rng, v)
	}
	d.y, d.ys = make([]float64, s.Batch*s.Out), make([]float64, s.Batch*s.Out)
	d.dx, d.dxs = make([]float64, s.Batch*s.In), make([]float64, s.Batch*s.In)
	d.dw, d.dws = make([]float64, s.Out*s.In), make([]float64, s.Out*s.In)
	d.db, d.dbs = make([]float64, s.Out), make([]float64, s.Out)
	for i := 0; i < s.Batch; i++ {
		for o := 0; o < s.Out; o++ {
			g := float64(d.dy[i*s.Out+o])
			y, ys := float64(d.b[o]), math.Abs(float64(d.b[o]))
			for k := 0; k < s.In; k++ {
				xv, wv := float64(d.x[i*s.In+k]), float64(d.w[o*s.In+k])
				y += xv * wv
				ys += math.Abs(xv * wv)
				d.dx[i*s.In+k] += g * wv
				d.dxs[i*s.In+k] += math.Abs(g * wv)
				d.dw[o*s.In+k] += g * xv
				d.dws[o*s.In+k] += math.Abs(g * xv)
			}
			d.y[i*s.Out+o], d.ys[i*s.Out+o] = y, ys
			d.db[o] += g
			d.dbs[o] += math.Abs(g)
		}
	}
	got, _ := denseCache.LoadOrStore(s, d)
	return got.(*denseData)
}

// checkSum compares got with the float64 reference want (scale holds Σ|terms|
// per element) within (terms+4)·u·scale, after ReLU of the reference if relu,
// and reports the first few failures.
func checkSum(t *testing.T, what string, got []float32, want, scale []float64, terms int, relu bool) bool {
	t.Helper()
	tol := float64(terms+4)*U + extraError
	bad := 0
	for i, g := range got {
		w := want[i]
		if relu {
			w = math.Max(0, w)
		}
		if !WithinBound(g, w, scale[i], tol) {
			if bad < 3 {
				t.Errorf("%s: element %d = %v, want %v (bound %.3g)", what, i, g, w, tol*scale[i])
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d of %d elements out of bounds", what, bad, len(got))
	}
	return bad == 0
}

// TestDenseFwd runs a forward implementation through DenseShapes, with and
// without bias. Bound: each output sums In products and the bias, so
// |got − ref| ≤ (In+5)·2⁻²⁴·(Σ|x·w| + |b|). Also checked: guard bands, y not
// read, inputs unchanged.
func TestDenseFwd(t *testing.T, ctx *kernels.Context, fn kernels.DenseFwdFunc) {
	testDenseFwd(t, ctx, fn, false)
}

// TestDenseFwdReLU checks a fused forward+ReLU function the same way against
// max(0, reference).
func TestDenseFwdReLU(t *testing.T, ctx *kernels.Context, fn kernels.DenseFwdFunc) {
	testDenseFwd(t, ctx, fn, true)
}

func testDenseFwd(t *testing.T, ctx *kernels.Context, fn kernels.DenseFwdFunc, relu bool) {
	for i, s := range DenseShapes(testing.Short()) {
		d := denseDataFor(s)
		bias, want, ys := d.b, d.y, d.ys
		if i%3 == 1 {
			bias = nil
			want, ys = make([]float64, len(d.y)), make([]float64, len(d.y))
			for e := range want {
				want[e] = d.y[e] - float64(d.b[e%s.Out])
				ys[e] = d.ys[e] - math.Abs(float64(d.b[e%s.Out]))
			}
		}
		x0, w0, b0 := Snapshot(d.x), Snapshot(d.w), Snapshot(d.b)
		y := convOut(s.Batch * s.Out)
		fn(ctx, s, d.x, d.w, bias, y.Data)
		ok := checkSum(t, fmt.Sprintf("dense fwd %v", s), y.Data, want, ys, s.In+1, relu)
		y.CheckGuards(t, fmt.Sprintf("dense fwd %v: y", s))
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "w", d.w, w0)
		CheckUnchanged(t, "b", d.b, b0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestDenseBwdData runs a backward-data implementation through DenseShapes.
// Bound: (Out+4)·2⁻²⁴·Σ|dy·w|.
func TestDenseBwdData(t *testing.T, ctx *kernels.Context, fn kernels.DenseBwdDataFunc) {
	for _, s := range DenseShapes(testing.Short()) {
		d := denseDataFor(s)
		dy0, w0 := Snapshot(d.dy), Snapshot(d.w)
		dx := convOut(s.Batch * s.In)
		fn(ctx, s, d.dy, d.w, dx.Data)
		ok := checkSum(t, fmt.Sprintf("dense bwd-data %v", s), dx.Data, d.dx, d.dxs, s.Out, false)
		dx.CheckGuards(t, fmt.Sprintf("dense bwd-data %v: dx", s))
		CheckUnchanged(t, "dy", d.dy, dy0)
		CheckUnchanged(t, "w", d.w, w0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestDenseBwdWeights runs a backward-weights implementation through
// DenseShapes, with and without db. Bound: (Batch+4)·2⁻²⁴·Σ|terms|.
func TestDenseBwdWeights(t *testing.T, ctx *kernels.Context, fn kernels.DenseBwdWeightsFunc) {
	for i, s := range DenseShapes(testing.Short()) {
		d := denseDataFor(s)
		x0, dy0 := Snapshot(d.x), Snapshot(d.dy)
		dw := convOut(s.Out * s.In)
		var db *Guarded
		var dbData []float32
		if i%3 != 1 {
			db = convOut(s.Out)
			dbData = db.Data
		}
		fn(ctx, s, d.x, d.dy, dw.Data, dbData)
		ok := checkSum(t, fmt.Sprintf("dense bwd-weights %v: dw", s), dw.Data, d.dw, d.dws, s.Batch, false)
		dw.CheckGuards(t, fmt.Sprintf("dense bwd-weights %v: dw", s))
		if db != nil {
			ok = checkSum(t, fmt.Sprintf("dense bwd-weights %v: db", s), db.Data, d.db, d.dbs, s.Batch, false) && ok
			db.CheckGuards(t, fmt.Sprintf("dense bwd-weights %v: db", s))
		}
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "dy", d.dy, dy0)
		if !ok || t.Failed() {
			return
		}
	}
}

// DenseGradShapes are the small shapes of the finite-difference check.
var DenseGradShapes = []kernels.DenseShape{{Batch: 3, In: 7, Out: 5}, {Batch: 1, In: 17, Out: 2}, {Batch: 5, In: 2, Out: 19}}

// TestDenseGradients checks backward-data and backward-weights (with db)
// against central differences of L = Σ y·g (g a fixed random output
// gradient) computed in float64 from the definition of the forward pass, for
// every element of x, w and b (h = 2⁻⁴; L is linear in each, so the
// difference is exact up to float64 rounding). Bound: as the conformance
// tests, (terms+4)·2⁻²⁴·Σ|terms|, or 1e-9 absolute.
func TestDenseGradients(t *testing.T, ctx *kernels.Context, bwdData kernels.DenseBwdDataFunc, bwdWeights kernels.DenseBwdWeightsFunc) {
	for _, s := range DenseGradShapes {
		d := denseDataFor(s)
		loss := func() float64 {
			var l float64
			for i := 0; i < s.Batch; i++ {
				for o := 0; o < s.Out; o++ {
					y := float64(d.b[o])
					for k := 0; k < s.In; k++ {
						y += float64(d.x[i*s.In+k]) * float64(d.w[o*s.In+k])
					}
					l += y * float64(d.dy[i*s.Out+o])
				}
			}
			return l
		}
		dx := make([]float32, s.Batch*s.In)
		bwdData(ctx, s, d.dy, d.w, dx)
		dw, db := make([]float32, s.Out*s.In), make([]float32, s.Out)
		bwdWeights(ctx, s, d.x, d.dy, dw, db)
		for _, c := range []struct {
			name        string
			param, grad []float32
			scale       []float64
			terms       int
		}{{"dx", d.x, dx, d.dxs, s.Out}, {"dw", d.w, dw, d.dws, s.Batch}, {"db", d.b, db, d.dbs, s.Batch}} {
			for i := range c.param {
				want := centralDiff(c.param, i, 1.0/16, loss)
				if !WithinBound(c.grad[i], want, c.scale[i], float64(c.terms+4)*U) && math.Abs(float64(c.grad[i])-want) > 1e-9 {
					t.Errorf("dense gradient %v: %s[%d] = %v, central difference %v", s, c.name, i, c.grad[i], want)
					return
				}
			}
		}
	}
}

// centralDiff returns (l(v+h) − l(v−h)) / (the step actually taken) for
// element i of v, restoring it afterwards.
func centralDiff(v []float32, i int, h float32, l func() float64) float64 {
	old := v[i]
	v[i] = old + h
	lp, up := l(), float64(v[i])
	v[i] = old - h
	lm, um := l(), float64(v[i])
	v[i] = old
	return (lp - lm) / (up - um)
}
