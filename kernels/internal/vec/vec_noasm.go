//go:build !amd64 || noasm

package vec

// Without assembly the generated routines are their pure-Go twins.

func reluFwdAVX2(dst []float32, src []float32) {
	reluGo(dst, src)
}

func reluBwdAVX2(dx []float32, dy []float32, y []float32) {
	reluBwdGo(dx, dy, y)
}

func biasAddAVX2(y []float32, b []float32, rows int) {
	biasAddGo(y, b, rows)
}

func biasReLUAVX2(y []float32, b []float32, rows int) {
	biasReLUGo(y, b, rows)
}

func colSumAVX2(dst []float32, src []float32, rows int) {
	colSumGo(dst, src, rows)
}

func maxPoolFwdAVX2(x []float32, y []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolFwdGo(x, y, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func maxPoolReLUFwdAVX2(x []float32, y []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolReLUFwdGo(x, y, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func maxPoolBwdSetAVX2(dx []float32, dy []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolBwdSetGo(dx, dy, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func maxPoolBwdAddAVX2(dx []float32, dy []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolBwdAddGo(dx, dy, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func adamAVX2(p []float32, grad []float32, m []float32, v []float32, alpha float32, c1 float32, c2 float32, eps float32) {
	adamGo(p, grad, m, v, alpha, c1, c2, eps)
}

func sgdAVX2(p []float32, grad []float32, lr float32) {
	sgdGo(p, grad, lr)
}

func sgdMomentumAVX2(p []float32, grad []float32, m []float32, lr float32, mom float32) {
	sgdMomentumGo(p, grad, m, lr, mom)
}

func reluFwdAVX512(dst []float32, src []float32) {
	reluGo(dst, src)
}

func reluBwdAVX512(dx []float32, dy []float32, y []float32) {
	reluBwdGo(dx, dy, y)
}

func biasAddAVX512(y []float32, b []float32, rows int) {
	biasAddGo(y, b, rows)
}

func biasReLUAVX512(y []float32, b []float32, rows int) {
	biasReLUGo(y, b, rows)
}

func colSumAVX512(dst []float32, src []float32, rows int) {
	colSumGo(dst, src, rows)
}

func maxPoolFwdAVX512(x []float32, y []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolFwdGo(x, y, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func maxPoolReLUFwdAVX512(x []float32, y []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolReLUFwdGo(x, y, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func maxPoolBwdSetAVX512(dx []float32, dy []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolBwdSetGo(dx, dy, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func maxPoolBwdAddAVX512(dx []float32, dy []float32, arg []int32, base int, nq int, c int, wh int, ww int, colStep int, rowStride int) {
	maxPoolBwdAddGo(dx, dy, arg, base, nq, c, wh, ww, colStep, rowStride)
}

func adamAVX512(p []float32, grad []float32, m []float32, v []float32, alpha float32, c1 float32, c2 float32, eps float32) {
	adamGo(p, grad, m, v, alpha, c1, c2, eps)
}

func sgdAVX512(p []float32, grad []float32, lr float32) {
	sgdGo(p, grad, lr)
}

func sgdMomentumAVX512(p []float32, grad []float32, m []float32, lr float32, mom float32) {
	sgdMomentumGo(p, grad, m, lr, mom)
}

func maxPool2FwdAVX2(x []float32, y []float32, arg []int32, base int, nq int, c int, colStep int, rowStride int) {
	maxPool2FwdGo(x, y, arg, base, nq, c, colStep, rowStride)
}

func maxPool2BwdSetAVX2(dx []float32, dy []float32, arg []int32, base int, nq int, c int, colStep int, rowStride int) {
	maxPool2BwdSetGo(dx, dy, arg, base, nq, c, colStep, rowStride)
}

func maxPool2FwdAVX512(x []float32, y []float32, arg []int32, base int, nq int, c int, colStep int, rowStride int) {
	maxPool2FwdGo(x, y, arg, base, nq, c, colStep, rowStride)
}

func maxPool2BwdSetAVX512(dx []float32, dy []float32, arg []int32, base int, nq int, c int, colStep int, rowStride int) {
	maxPool2BwdSetGo(dx, dy, arg, base, nq, c, colStep, rowStride)
}
