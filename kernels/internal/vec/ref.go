package vec

import "math"

// The pure-Go twins: the specification of each generated routine, the
// implementation at ISA level generic, and the routine itself under noasm.
// Products are rounded explicitly (float32(a*b)) so that no compiler fuses
// them into a multiply-add, which would round differently from the assembly.

// reluGo sets dst[i] = 0 where src[i] < 0 and src[i] otherwise, so NaN and
// −0 pass through: what VMAXPS(0, x) gives.
func reluGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// reluBwdGo sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere (including
// where y is NaN).
func reluBwdGo(dx, dy, y []float32) {
	dx, dy = dx[:len(y)], dy[:len(y)]
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// biasAddGo adds b to each of the rows rows of y (rows of len(b)).
func biasAddGo(y, b []float32, rows int) {
	c := len(b)
	for r := 0; r < rows; r++ {
		row := y[r*c : r*c+c]
		for j, bv := range b {
			row[j] += bv
		}
	}
}

// biasReLUGo adds b to each row of y and applies reluGo's rule.
func biasReLUGo(y, b []float32, rows int) {
	c := len(b)
	for r := 0; r < rows; r++ {
		row := y[r*c : r*c+c]
		for j, bv := range b {
			v := row[j] + bv
			if v < 0 {
				v = 0
			}
			row[j] = v
		}
	}
}

// colSumGo sets dst[j] = Σ_r src[r·len(dst)+j], adding rows in order
// starting from +0.
func colSumGo(dst, src []float32, rows int) {
	c := len(dst)
	clear(dst)
	for r := 0; r < rows; r++ {
		row := src[r*c : r*c+c]
		for j, v := range row {
			dst[j] += v
		}
	}
}

// maxPoolFwdGo max-pools one row of nq windows. For window q and channel ch,
// with s = q·colStep + ch the offset of the window's top-left element in x:
//
//	y[q·c+ch]   = the first maximum of x[s + i·rowStride + j·c], i < wh, j < ww
//	              (row-major window order; a NaN wins over numbers, and a
//	              later NaN over an earlier one, as in PyTorch)
//	arg[q·c+ch] = base + the offset in x of that element
//
// wh and ww must be at least 1.
func maxPoolFwdGo(x, y []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int) {
	maxPoolRowGo(x, y, arg, base, nq, c, wh, ww, colStep, rowStride, false)
}

// maxPoolReLUFwdGo is maxPoolFwdGo followed by ReLU (reluGo's rule) of y,
// with arg = −1 where the result is not > 0: ReLU's gradient is zero there,
// so the backward pass routes nothing.
func maxPoolReLUFwdGo(x, y []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int) {
	maxPoolRowGo(x, y, arg, base, nq, c, wh, ww, colStep, rowStride, true)
}

// maxPoolRowGo walks each window's elements in row-major order, a whole
// vector of channels at a time (contiguous in x), which gives the per-channel
// results of the definition above.
func maxPoolRowGo(x, y []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int, relu bool) {
	for q := 0; q < nq; q++ {
		s := q * colStep
		ys, as := y[q*c:q*c+c], arg[q*c:q*c+c]
		for ch := range ys {
			ys[ch], as[ch] = x[s+ch], int32(s+ch)
		}
		for i := 0; i < wh; i++ {
			for j := 0; j < ww; j++ {
				off := s + i*rowStride + j*c
				for ch, v := range x[off : off+c] {
					if v > ys[ch] || v != v {
						ys[ch], as[ch] = v, int32(off+ch)
					}
				}
			}
		}
		for ch := range ys {
			as[ch] += int32(base)
			if relu {
				if ys[ch] < 0 {
					ys[ch] = 0
				}
				if !(ys[ch] > 0) {
					as[ch] = -1
				}
			}
		}
	}
}

// maxPool2FwdGo is maxPoolFwdGo for 2×2 windows.
func maxPool2FwdGo(x, y []float32, arg []int32, base, nq, c, colStep, rowStride int) {
	maxPoolFwdGo(x, y, arg, base, nq, c, 2, 2, colStep, rowStride)
}

// maxPool2BwdSetGo is maxPoolBwdSetGo for 2×2 windows.
func maxPool2BwdSetGo(dx, dy []float32, arg []int32, base, nq, c, colStep, rowStride int) {
	maxPoolBwdSetGo(dx, dy, arg, base, nq, c, 2, 2, colStep, rowStride)
}

// maxPoolBwdSetGo writes the input gradient of one row of nq windows (with
// maxPoolFwdGo's geometry) that do not overlap: every element of every window
// gets dy[q·c+ch] if base + its offset equals arg[q·c+ch], else 0.
func maxPoolBwdSetGo(dx, dy []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int) {
	maxPoolBwdRowGo(dx, dy, arg, base, nq, c, wh, ww, colStep, rowStride, false)
}

// maxPoolBwdAddGo is maxPoolBwdSetGo adding to dx instead of overwriting it:
// dx[off] = dx[off] + (hit ? dy : 0), windows in order q, then i, then j.
func maxPoolBwdAddGo(dx, dy []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int) {
	maxPoolBwdRowGo(dx, dy, arg, base, nq, c, wh, ww, colStep, rowStride, true)
}

// maxPoolBwdRowGo walks each window's elements in row-major order, a whole
// vector of channels at a time; an element belongs to one channel, so the
// writes land as in the per-channel definition above.
func maxPoolBwdRowGo(dx, dy []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int, add bool) {
	for q := 0; q < nq; q++ {
		s := q * colStep
		gs, as := dy[q*c:q*c+c], arg[q*c:q*c+c]
		for i := 0; i < wh; i++ {
			for j := 0; j < ww; j++ {
				off := s + i*rowStride + j*c
				d := dx[off : off+c]
				gs, as := gs[:len(d)], as[:len(d)]
				first := int32(base + off) // the index arg holds for d[0] (base+span fits an int32)
				for ch := range d {
					var v float32
					if as[ch] == first+int32(ch) {
						v = gs[ch]
					}
					if add {
						v += d[ch]
					}
					d[ch] = v
				}
			}
		}
	}
}

// adamGo applies one Adam step in the order Keras's Adam.update_step does it
// (keras/src/optimizers/adam.py), for each i:
//
//	m[i] += (g[i] − m[i])·c1           c1 = 1 − beta1
//	v[i] += (g[i]² − v[i])·c2          c2 = 1 − beta2
//	p[i] −= (m[i]·alpha) / (√v[i] + eps)
//
// with alpha = lr·√(1 − beta2^t)/(1 − beta1^t) computed by the caller.
func adamGo(p, grad, m, v []float32, alpha, c1, c2, eps float32) {
	grad, m, v = grad[:len(p)], m[:len(p)], v[:len(p)]
	for i := range p {
		g := grad[i]
		mi := m[i] + float32((g-m[i])*c1)
		vi := v[i] + float32((float32(g*g)-v[i])*c2)
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi))) + eps
		p[i] -= float32(mi*alpha) / den
	}
}

// sgdGo applies p[i] −= grad[i]·lr.
func sgdGo(p, grad []float32, lr float32) {
	grad = grad[:len(p)]
	for i := range p {
		p[i] -= float32(grad[i] * lr)
	}
}

// sgdMomentumGo applies Keras's SGD with momentum
// (keras/src/optimizers/sgd.py): m[i] = m[i]·mom − grad[i]·lr; p[i] += m[i].
func sgdMomentumGo(p, grad, m []float32, lr, mom float32) {
	grad, m = grad[:len(p)], m[:len(p)]
	for i := range p {
		mi := float32(m[i]*mom) - float32(grad[i]*lr)
		m[i] = mi
		p[i] += mi
	}
}
