package kerneltest

import (
	"fmt"
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// SoftmaxShapes are the batch×classes shapes of the softmax cross-entropy
// suite.
func SoftmaxShapes(short bool) [][2]int {
	if short {
		return [][2]int{{1, 1}, {32, 10}, {9, 1000}, {3, 9001}}
	}
	return [][2]int{{1, 1}, {1, 10}, {32, 10}, {7, 3}, {64, 17}, {9, 1000}, {513, 10}, {3, 2}, {3, 9001}, {2, 4096}}
}

// softmaxInput returns logits and labels for a shape: logits uniform in
// [−30, 30), with row 0 shifted by +1e4 and row 1 (if any) by −1e4 (a naive
// exp would overflow or underflow to 0/0), and random labels.
func softmaxInput(batch, classes int, seed uint64) ([]float32, []int32) {
	rng := Rand(seed)
	l := make([]float32, batch*classes)
	Fill(rng, l)
	for i := range l {
		l[i] *= 30
	}
	for j := 0; j < classes; j++ {
		l[j] += 1e4
		if batch > 1 {
			l[classes+j] -= 1e4
		}
	}
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(rng.IntN(classes))
	}
	return l, labels
}

// softmaxRef returns the float64 mean loss and gradient of the definition
// for float64 logits.
func softmaxRef(batch, classes int, l []float64, labels []int32) (float64, []float64) {
	d := make([]float64, len(l))
	var loss float64
	for i := 0; i < batch; i++ {
		row := l[i*classes : (i+1)*classes]
		m := row[0]
		for _, v := range row {
			m = math.Max(m, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(v - m)
		}
		lse := m + math.Log(s)
		loss += lse - row[labels[i]]
		for j, v := range row {
			p := math.Exp(v-m) / s // not exp(v − lse): lse ≈ 1e4 would cost 12 bits
			if j == int(labels[i]) {
				p--
			}
			d[i*classes+j] = p / float64(batch)
		}
	}
	return loss / float64(batch), d
}

// TestSoftmaxCE checks the loss and dlogits against the float64 definition:
// loss within 8·2⁻²⁴·(1 + |loss| + mean |logit of the label|) (the float32
// rounding of a loss made of large cancelling terms), each gradient element
// within 4·2⁻²⁴·|ref| + 1e-15/batch (the float64 implementations). Also:
// the loss is the same without dlogits, guard bands, dlogits not read,
// inputs unchanged.
func TestSoftmaxCE(t *testing.T, ctx *kernels.Context, fn kernels.SoftmaxCEFunc) {
	testSoftmaxCE(t, ctx, fn, 0)
}

// TestSoftmaxCEFloat32 is TestSoftmaxCE for an implementation with float32
// exponentials: each gradient element within gradULP·2⁻²⁴·p_j/batch +
// 2⁻²⁴·|ref| + 1e-15/batch, p_j the exact softmax probability (see
// kernels.SoftmaxCEGradULP); the loss bound is the same.
func TestSoftmaxCEFloat32(t *testing.T, ctx *kernels.Context, fn kernels.SoftmaxCEFunc, gradULP float64) {
	testSoftmaxCE(t, ctx, fn, gradULP)
}

func testSoftmaxCE(t *testing.T, ctx *kernels.Context, fn kernels.SoftmaxCEFunc, gradULP float64) {
	for i, bc := range SoftmaxShapes(testing.Short()) {
		batch, classes := bc[0], bc[1]
		l, labels := softmaxInput(batch, classes, uint64(i))
		l64 := make([]float64, len(l))
		for e, v := range l {
			l64[e] = float64(v)
		}
		wantLoss, wantD := softmaxRef(batch, classes, l64, labels)
		var scale float64
		for r, lab := range labels {
			scale += math.Abs(float64(l[r*classes+int(lab)]))
		}
		scale = 1 + math.Abs(wantLoss) + scale/float64(batch)
		l0 := Snapshot(l)
		d := convOut(batch * classes)
		name := fmt.Sprintf("softmax-ce %dx%d", batch, classes)
		loss := fn(ctx, batch, classes, l, labels, d.Data)
		if !WithinBound(loss, wantLoss, scale, 8*U) {
			t.Errorf("%s: loss %v, want %v", name, loss, wantLoss)
		}
		for e, g := range d.Data {
			bound := 4 * U * math.Abs(wantD[e])
			if gradULP > 0 {
				p := wantD[e]
				if e%classes == int(labels[e/classes]) {
					p += 1 / float64(batch)
				}
				bound = gradULP*U*math.Abs(p) + U*math.Abs(wantD[e])
			}
			if diff := math.Abs(float64(g) - wantD[e]); !(diff <= bound+1e-30 || diff <= 1e-15/float64(batch)) {
				t.Errorf("%s: dlogits[%d] = %v, want %v", name, e, g, wantD[e])
				break
			}
		}
		d.CheckGuards(t, name+": dlogits")
		CheckUnchanged(t, "logits", l, l0)
		if loss2 := fn(ctx, batch, classes, l, labels, nil); loss2 != loss {
			t.Errorf("%s: loss without dlogits %v, with %v", name, loss2, loss)
		}
		if t.Failed() {
			return
		}
	}
}

// TestSoftmaxCEGradient checks dlogits against central differences of the
// float64 mean loss (h = 1e-4 on float64 logits, truncation error O(h²)
// ≈ 1e-8): |got − fd| ≤ 1e-6.
func TestSoftmaxCEGradient(t *testing.T, ctx *kernels.Context, fn kernels.SoftmaxCEFunc) {
	for i, bc := range [][2]int{{4, 5}, {3, 10}} {
		batch, classes := bc[0], bc[1]
		rng := Rand(uint64(i) + 40)
		l := make([]float32, batch*classes)
		Fill(rng, l)
		for e := range l {
			l[e] *= 3
		}
		labels := make([]int32, batch)
		for r := range labels {
			labels[r] = int32(rng.IntN(classes))
		}
		d := make([]float32, len(l))
		fn(ctx, batch, classes, l, labels, d)
		l64 := make([]float64, len(l))
		for e, v := range l {
			l64[e] = float64(v)
		}
		const h = 1e-4
		for e := range l64 {
			old := l64[e]
			l64[e] = old + h
			lp, _ := softmaxRef(batch, classes, l64, labels)
			l64[e] = old - h
			lm, _ := softmaxRef(batch, classes, l64, labels)
			l64[e] = old
			if fd := (lp - lm) / (2 * h); math.Abs(float64(d[e])-fd) > 1e-6 {
				t.Errorf("softmax-ce gradient %dx%d: dlogits[%d] = %v, central difference %v", batch, classes, e, d[e], fd)
				return
			}
		}
	}
}
