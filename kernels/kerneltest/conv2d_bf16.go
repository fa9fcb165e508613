package kerneltest

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// convBF16PairShapes are backward-weights shapes beside the suite's that
// the direct bf16 pass runs as pairs of images: odd batches (the last image
// paired with zeros, the suite's own shapes pair rows there) and an even
// one with padding, stride and dilation.
var convBF16PairShapes = []kernels.Conv2DShape{
	{N: 3, H: 5, W: 5, C: 16, K: 20, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
	{N: 5, H: 6, W: 9, C: 3, K: 33, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1},
	{N: 4, H: 7, W: 8, C: 5, K: 17, R: 3, S: 2, StrideH: 1, StrideW: 2, PadH: 1, PadW: 2, DilH: 2, DilW: 1},
}

// convBF16Data is one shape's float32 inputs (those of the float32 suite,
// handed to the kernels as they are) and the references of the bfloat16
// passes: the float32 suite's sweep over x, w and dy rounded to bfloat16
// (kernels.ToBF16), in float64; the bias and the bias gradient stay float32
// (the bias gradient sums the unrounded dy).
type convBF16Data struct {
	in  *convData // the inputs
	ref *convData // references on the rounded inputs
}

var convBF16Cache sync.Map // kernels.Conv2DShape -> *convBF16Data

func convBF16DataFor(s kernels.Conv2DShape) *convBF16Data {
	if d, ok := convBF16Cache.Load(s); ok {
		return d.(*convBF16Data)
	}
	in := convDataFor(s)
	round := func(v []float32) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = kernels.ToBF16(x).Float32()
		}
		return out
	}
	ref := &convData{s: s, x: round(in.x), w: round(in.w), b: in.b, dy: round(in.dy)}
	ref.reference()
	ref.db, ref.dbs = in.db, in.dbs
	got, _ := convBF16Cache.LoadOrStore(s, &convBF16Data{in: in, ref: ref})
	return got.(*convBF16Data)
}

// bf16ConvTerms is the term count handed to checkSum for a bfloat16 pass
// summing n products: the rounding of the operands is in the reference, so
// what is left is float32 summation, n roundings plus those of the GEMM's
// k blocks (two per block of at least 64) and of the chunks the pass is
// cut into (at most one per 64 terms again), plus the bias pass: the
// bound is (n + 4⌈n/64⌉ + 8)·2⁻²⁴·Σ|terms|. A float32 kernel, which does
// not round its operands, is off by about 2⁻⁹ relative and fails it.
func bf16ConvTerms(n int) int { return n + 4*((n+63)/64) + 4 }

// TestConv2DFwdBF16 runs a bfloat16 forward implementation
// (kernels.Conv2DFwdBF16Impls) through every shape of Conv2DShapes, with and
// without bias, against the float64 reference on the bf16-rounded x and w
// within bf16ConvTerms' bound. Also checked: guard bands around y, y not
// read (pre-filled with NaN), x, w and bias unchanged.
func TestConv2DFwdBF16(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DFwdFunc) {
	testConv2DFwdBF16(t, ctx, fn, false)
}

// TestConv2DFwdReLUBF16 checks a fused forward+ReLU bfloat16 function the
// same way against max(0, reference).
func TestConv2DFwdReLUBF16(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DFwdFunc) {
	testConv2DFwdBF16(t, ctx, fn, true)
}

func testConv2DFwdBF16(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DFwdFunc, relu bool) {
	for i, s := range Conv2DShapes(testing.Short()) {
		bd := convBF16DataFor(s)
		d, ref := bd.in, bd.ref
		bias, want, ys := d.b, ref.y, ref.ys
		if i%3 == 1 {
			bias = nil
			want, ys = make([]float64, len(ref.y)), make([]float64, len(ref.y))
			for j := range want {
				k := j % s.K
				want[j] = ref.y[j] - float64(d.b[k])
				ys[j] = ref.ys[j] - math.Abs(float64(d.b[k]))
			}
		}
		x0, w0, b0 := Snapshot(d.x), Snapshot(d.w), Snapshot(d.b)
		y := convOut(s.OutputLen())
		fn(ctx, s, d.x, d.w, bias, y.Data)
		ok := checkConv(t, "bf16 fwd", s, y.Data, want, ys, bf16ConvTerms(ref.nFwd), relu)
		y.CheckGuards(t, fmt.Sprintf("bf16 fwd %v: y", s))
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "w", d.w, w0)
		CheckUnchanged(t, "bias", d.b, b0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestConv2DBwdDataBF16 runs a bfloat16 backward-data implementation through
// every shape against the reference on the bf16-rounded dy and w, within
// bf16ConvTerms(K·R·S)'s bound. Also checked: guard bands, dx not read, dy
// and w unchanged.
func TestConv2DBwdDataBF16(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DBwdDataFunc) {
	for _, s := range Conv2DShapes(testing.Short()) {
		bd := convBF16DataFor(s)
		d, ref := bd.in, bd.ref
		dy0, w0 := Snapshot(d.dy), Snapshot(d.w)
		dx := convOut(s.InputLen())
		fn(ctx, s, d.dy, d.w, dx.Data)
		ok := checkConv(t, "bf16 bwd-data", s, dx.Data, ref.dx, ref.dxs, bf16ConvTerms(ref.nData), false)
		dx.CheckGuards(t, fmt.Sprintf("bf16 bwd-data %v: dx", s))
		CheckUnchanged(t, "dy", d.dy, dy0)
		CheckUnchanged(t, "w", d.w, w0)
		if !ok || t.Failed() {
			return
		}
	}
}

// TestConv2DBwdWeightsBF16 runs a bfloat16 backward-weights implementation
// through every shape, with and without the bias gradient: dw against the
// reference on the bf16-rounded x and dy, db against the float32 suite's
// (unrounded dy), both within bf16ConvTerms(N·P·Q)'s bound. Also checked:
// guard bands, dw and db not read, x and dy unchanged.
func TestConv2DBwdWeightsBF16(t *testing.T, ctx *kernels.Context, fn kernels.Conv2DBwdWeightsFunc) {
	for i, s := range append(Conv2DShapes(testing.Short()), convBF16PairShapes...) {
		bd := convBF16DataFor(s)
		d, ref := bd.in, bd.ref
		x0, dy0 := Snapshot(d.x), Snapshot(d.dy)
		dw := convOut(s.WeightLen())
		var db *Guarded
		var dbData []float32
		if i%3 != 1 {
			db = convOut(s.K)
			dbData = db.Data
		}
		fn(ctx, s, d.x, d.dy, dw.Data, dbData)
		terms := bf16ConvTerms(ref.nWts)
		ok := checkConv(t, "bf16 bwd-weights dw", s, dw.Data, ref.dw, ref.dws, terms, false)
		dw.CheckGuards(t, fmt.Sprintf("bf16 bwd-weights %v: dw", s))
		if db != nil {
			ok = checkConv(t, "bf16 bwd-weights db", s, db.Data, ref.db, ref.dbs, terms, false) && ok
			db.CheckGuards(t, fmt.Sprintf("bf16 bwd-weights %v: db", s))
		}
		CheckUnchanged(t, "x", d.x, x0)
		CheckUnchanged(t, "dy", d.dy, dy0)
		if !ok || t.Failed() {
			return
		}
	}
}
