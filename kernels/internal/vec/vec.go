// Package vec holds the memory-bound kernels of a training step: ReLU and its
// gradient, bias add (alone or with ReLU), column sums (the bias gradient),
// max-pool forward and backward along one output row, and the Adam and SGD
// updates. Each exists as generated assembly for avx2 and avx512 and as a
// pure-Go twin, which is the specification, the generic level's
// implementation, and what -tags noasm and other architectures run.
//
// The assembly does exactly the twins' float32 operations in the same order
// (no fused multiply-add), so the two agree bit for bit; the tests check that
// on random lengths including 0, 1 and every remainder modulo the vector
// width. Kernels For a level are selected once and called through checked
// methods: a short slice panics in Go before any assembly runs.
package vec

import (
	"fmt"
	"math"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// Kernels are the routines of one ISA level.
type Kernels struct {
	Level cpu.Level

	reluFwd     func(dst, src []float32)
	reluBwd     func(dx, dy, y []float32)
	biasAdd     func(y, b []float32, rows int)
	biasReLU    func(y, b []float32, rows int)
	colSum      func(dst, src []float32, rows int)
	poolFwd     poolFunc
	poolReLUFwd poolFunc
	poolBwdSet  poolFunc
	poolBwdAdd  poolFunc
	pool2Fwd    pool2Func
	pool2BwdSet pool2Func
	adam        func(p, grad, m, v []float32, alpha, c1, c2, eps float32)
	sgd         func(p, grad []float32, lr float32)
	sgdMomentum func(p, grad, m []float32, lr, mom float32)
}

// pool2Func is the signature of the 2×2 row routines (poolFunc without wh
// and ww).
type pool2Func func(x, y []float32, arg []int32, base, nq, c, colStep, rowStride int)

// poolFunc is the signature of the max-pool row routines: x is the pooled
// input (or its gradient), y the outputs (or their gradients).
type poolFunc func(x, y []float32, arg []int32, base, nq, c, wh, ww, colStep, rowStride int)

// The kernels of each level: the pure-Go twins (ref.go) at generic, the
// generated routines at avx2 and avx512, which without assembly (noasm, other
// architectures) are the twins again (vec_noasm.go).
var (
	goKernels = Kernels{Level: cpu.Generic,
		reluFwd: reluGo, reluBwd: reluBwdGo, biasAdd: biasAddGo, biasReLU: biasReLUGo, colSum: colSumGo,
		poolFwd: maxPoolFwdGo, poolReLUFwd: maxPoolReLUFwdGo, poolBwdSet: maxPoolBwdSetGo, poolBwdAdd: maxPoolBwdAddGo,
		pool2Fwd: maxPool2FwdGo, pool2BwdSet: maxPool2BwdSetGo,
		adam: adamGo, sgd: sgdGo, sgdMomentum: sgdMomentumGo}
	avx2Kernels = Kernels{Level: cpu.AVX2,
		reluFwd: reluFwdAVX2, reluBwd: reluBwdAVX2, biasAdd: biasAddAVX2, biasReLU: biasReLUAVX2, colSum: colSumAVX2,
		poolFwd: maxPoolFwdAVX2, poolReLUFwd: maxPoolReLUFwdAVX2, poolBwdSet: maxPoolBwdSetAVX2, poolBwdAdd: maxPoolBwdAddAVX2,
		pool2Fwd: maxPool2FwdAVX2, pool2BwdSet: maxPool2BwdSetAVX2,
		adam: adamAVX2, sgd: sgdAVX2, sgdMomentum: sgdMomentumAVX2}
	avx512Kernels = Kernels{Level: cpu.AVX512,
		reluFwd: reluFwdAVX512, reluBwd: reluBwdAVX512, biasAdd: biasAddAVX512, biasReLU: biasReLUAVX512, colSum: colSumAVX512,
		poolFwd: maxPoolFwdAVX512, poolReLUFwd: maxPoolReLUFwdAVX512, poolBwdSet: maxPoolBwdSetAVX512, poolBwdAdd: maxPoolBwdAddAVX512,
		pool2Fwd: maxPool2FwdAVX512, pool2BwdSet: maxPool2BwdSetAVX512,
		adam: adamAVX512, sgd: sgdAVX512, sgdMomentum: sgdMomentumAVX512}
)

// For returns the kernels of ISA level l. The caller has checked that l is
// usable on this CPU (cpu.Info.Check).
func For(l cpu.Level) *Kernels {
	switch l {
	case cpu.AVX512:
		return &avx512Kernels
	case cpu.AVX2:
		return &avx2Kernels
	}
	return &goKernels
}

// ReLU sets dst[i] = max(src[i], 0) for i < len(src), with NaN and −0
// passing through (see reluGo). dst may be src.
func (k *Kernels) ReLU(dst, src []float32) {
	k.reluFwd(dst[:len(src)], src)
}

// ReLUBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for i <
// len(y); y is the ReLU's output (or input: the sign test is the same). dx
// may be dy.
func (k *Kernels) ReLUBackward(dx, dy, y []float32) {
	n := len(y)
	k.reluBwd(dx[:n], dy[:n], y)
}

// BiasAdd adds b to each of the rows rows of y (row length len(b)), in place;
// with relu it then applies ReLU.
func (k *Kernels) BiasAdd(y, b []float32, rows int, relu bool) {
	y = y[:rows*len(b)]
	if relu {
		k.biasReLU(y, b, rows)
	} else {
		k.biasAdd(y, b, rows)
	}
}

// ColSum sets dst[c] to the sum over the rows rows of src[r·len(dst)+c], in
// row order.
func (k *Kernels) ColSum(dst, src []float32, rows int) {
	k.colSum(dst, src[:rows*len(dst)], rows)
}

// PoolRow is the geometry of one row of max-pool windows in an NHWC tensor
// (see maxPoolFwdGo): NQ windows of WH×WW pixels of C channels each, the
// first starting at element 0 of the x slice passed along, which is element
// Base of the whole tensor; window q starts q·ColStep elements further, and
// window rows are RowStride elements apart.
type PoolRow struct {
	Base, NQ, C, WH, WW, ColStep, RowStride int
}

// check panics unless the row fits x (of which it reads span elements) and
// outs (the y or dy and arg slices), and its indices fit an int32.
func (r PoolRow) check(x int, outs ...int) {
	if r.NQ < 0 || r.C < 1 || r.WH < 1 || r.WW < 1 || r.ColStep < 0 || r.RowStride < 0 || r.Base < 0 {
		panic(fmt.Sprintf("vec: bad pool row %+v", r))
	}
	if r.NQ == 0 {
		return
	}
	span := (r.WH-1)*r.RowStride + (r.NQ-1)*r.ColStep + r.WW*r.C
	if x < span {
		panic(fmt.Sprintf("vec: pool row %+v reads %d elements of x, which has %d", r, span, x))
	}
	if r.Base+span > math.MaxInt32 {
		panic(fmt.Sprintf("vec: pool row %+v: indices overflow int32", r))
	}
	for _, o := range outs {
		if o < r.NQ*r.C {
			panic(fmt.Sprintf("vec: pool row %+v writes %d outputs into a slice of %d", r, r.NQ*r.C, o))
		}
	}
}

// MaxPool max-pools one row of windows of x into y, with argmax in arg (the
// absolute index Base+offset of the chosen element); with relu the result is
// then ReLU'd and arg is −1 where the output is not positive (the gradient
// stops there). See maxPoolFwdGo and maxPoolReLUFwdGo.
func (k *Kernels) MaxPool(x, y []float32, arg []int32, r PoolRow, relu bool) {
	r.check(len(x), len(y), len(arg))
	if r.WH == 2 && r.WW == 2 && !relu {
		k.pool2Fwd(x, y, arg, r.Base, r.NQ, r.C, r.ColStep, r.RowStride)
		return
	}
	f := k.poolFwd
	if relu {
		f = k.poolReLUFwd
	}
	f(x, y, arg, r.Base, r.NQ, r.C, r.WH, r.WW, r.ColStep, r.RowStride)
}

// MaxPoolBackward routes the gradients dy of one row of windows to the
// elements of dx their arg names. With add it adds to dx (overlapping
// windows, dx zeroed beforehand); without, it overwrites every element of
// every window (windows must not overlap). See maxPoolBwdSetGo and
// maxPoolBwdAddGo.
func (k *Kernels) MaxPoolBackward(dx, dy []float32, arg []int32, r PoolRow, add bool) {
	r.check(len(dx), len(dy), len(arg))
	if r.WH == 2 && r.WW == 2 && !add {
		k.pool2BwdSet(dx, dy, arg, r.Base, r.NQ, r.C, r.ColStep, r.RowStride)
		return
	}
	f := k.poolBwdSet
	if add {
		f = k.poolBwdAdd
	}
	f(dx, dy, arg, r.Base, r.NQ, r.C, r.WH, r.WW, r.ColStep, r.RowStride)
}

// Adam applies one Adam step to p[:len(p)] with the given pre-computed
// scalars (see adamGo).
func (k *Kernels) Adam(p, grad, m, v []float32, alpha, c1, c2, eps float32) {
	n := len(p)
	k.adam(p, grad[:n], m[:n], v[:n], alpha, c1, c2, eps)
}

// SGD applies one plain SGD step, p −= lr·grad (see sgdGo).
func (k *Kernels) SGD(p, grad []float32, lr float32) {
	k.sgd(p, grad[:len(p)], lr)
}

// SGDMomentum applies one SGD step with momentum in the Keras form,
// m = m·mom − grad·lr; p += m (see sgdMomentumGo).
func (k *Kernels) SGDMomentum(p, grad, m []float32, lr, mom float32) {
	n := len(p)
	k.sgdMomentum(p, grad[:n], m[:n], lr, mom)
}
