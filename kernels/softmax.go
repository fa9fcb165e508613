package kernels

import (
	"fmt"
	"math"

	"github.com/trainbench/trainbench/kernels/internal/parallel"
	"github.com/trainbench/trainbench/kernels/internal/tfvec"
)

// Softmax cross-entropy: the fused last layer of a classifier and its loss
// (FLOP and byte formulas: OpSoftmaxCE). For logits [batch][classes] and
// integer labels [batch] (sparse categorical, as Keras's
// SparseCategoricalCrossentropy(from_logits=True)), with row i's maximum m_i:
//
//	lse_i      = m_i + log Σ_j exp(logits[i][j] − m_i)    (log-sum-exp, stable)
//	loss       = (1/batch) Σ_i (lse_i − logits[i][labels[i]])
//	dlogits[i][j] = (exp(logits[i][j] − lse_i) − [j = labels[i]]) / batch
//
// The naive and parallel implementations compute exponentials, sums and the
// loss in float64 and round once, so results are within a few float32
// roundings of the exact values. The fast one ("simd", what the Context
// method runs) takes each row's maximum m, its numerators e_j = e^(l_j − m)
// in float32 (tfvec's ExpSub: the subtraction's rounding error carried into
// the exponential, so e_j is within 1.5 ulp however far l_j lies below m),
// their sum s in float64 (fixed chunks of softmaxChunk logits, each summed
// in tfvec's fixed order, the chunks in row order), lse = m + log s and the
// row's loss in float64; the gradient is e_j·float32(1/(batch·s)) in
// float32, the label's element computed in float64. GPT-2's loss (50257
// classes at every position) spends its time in the exponentials: the
// float64 path's math.Exp costs some 5 ns a logit. The Context method runs
// simd on rows longer than 64 classes and the float64 path on shorter ones,
// where it costs next to nothing.
// Labels outside [0, classes) panic, naming the row.

// SoftmaxCEFunc returns the mean loss and, if dlogits is not nil, sets it to
// the gradient of the mean loss with respect to the logits.
type SoftmaxCEFunc func(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32

// SoftmaxCEImpls lists the implementations: naive (one thread, the
// definition), parallel (the definition with rows split across threads,
// partial losses summed in chunk order, no allocation) and simd (float32
// exponentials on tfvec's generated routines, float64 sums, rows split the
// same way).
var SoftmaxCEImpls = NewRegistry[SoftmaxCEFunc]("softmax-ce")

func init() {
	SoftmaxCEImpls.Register(Impl[SoftmaxCEFunc]{Name: "naive", Mode: GenericOnly, Fn: softmaxCENaive, Doc: "the definition, row by row on one thread"})
	SoftmaxCEImpls.Register(Impl[SoftmaxCEFunc]{Name: "parallel", Mode: GenericOnly, Fn: softmaxCEParallelChecked, Doc: "rows split across threads, float64 exponentials and partial losses"})
	SoftmaxCEImpls.Register(Impl[SoftmaxCEFunc]{Name: "simd", Mode: PerISA, Fn: softmaxCESIMDChecked, Doc: "float32 exponentials with compensated shift (generated avx2/avx512 routines), float64 sums, rows split across threads"})
}

// SoftmaxCEGradULP bounds the simd implementation's gradient: each element
// of dlogits is within SoftmaxCEGradULP·2⁻²⁴·p_j/batch + 2⁻²⁴·|exact| of
// the exact (softmax_j − [j = label])/batch, p_j the softmax probability:
// e_j within 3·2⁻²⁴ relative (ExpSubULP ulp), s as well, 1/(batch·s)
// rounded once and the product once. The loss is within 8·2⁻²⁴ of the
// exact one times (1 + |loss| + mean |label logit|), as the float64
// implementations'.
const SoftmaxCEGradULP = 8

// SoftmaxCrossEntropy returns the mean over the batch of the cross-entropy of
// softmax(logits) against labels and, if dlogits is not nil, sets dlogits to
// (softmax − onehot(label)) / batch, the gradient of that mean (within
// SoftmaxCEGradULP of it; up to 64 classes, within the float64 path's
// bound). dlogits may alias logits. It panics if
// batch or classes is < 1, a length differs (logits and dlogits:
// batch·classes, labels: batch), or a label is outside [0, classes), naming
// the row.
func (c *Context) SoftmaxCrossEntropy(batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	checkSoftmaxCE("SoftmaxCrossEntropy", batch, classes, logits, labels, dlogits)
	if classes <= len(softmaxRowBuf{}) {
		// Short rows cost next to nothing in float64 (one exp a logit,
		// kept on the stack) and keep their float64 accuracy: a
		// classifier's loss, such as the seed CNN's 10 classes.
		return softmaxCEParallel(c, batch, classes, logits, labels, dlogits)
	}
	return softmaxCESIMD(c, batch, classes, logits, labels, dlogits)
}

func checkSoftmaxCE(call string, batch, classes int, logits []float32, labels []int32, dlogits []float32) {
	if batch < 1 || classes < 1 {
		panic(fmt.Sprintf("kernels: %s: batch = %d, classes = %d, both must be ≥ 1", call, batch, classes))
	}
	s := softmaxShape{batch, classes}
	n := checkedLen(call, "batch·classes", batch, classes)
	checkShapeLen(call, s, "logits", logits, n, "batch·classes")
	checkShapeLen(call, s, "labels", labels, batch, "batch")
	if dlogits != nil {
		checkShapeLen(call, s, "dlogits", dlogits, n, "batch·classes")
	}
	for i, l := range labels {
		if l < 0 || int(l) >= classes {
			panic(fmt.Sprintf("kernels: %s %v: labels[%d] = %d, outside [0, %d)", call, s, i, l, classes))
		}
	}
}

// softmaxShape names a softmax call's sizes in panic messages.
type softmaxShape struct{ batch, classes int }

func (s softmaxShape) String() string { return fmt.Sprintf("batch %d classes %d", s.batch, s.classes) }

// softmaxCERow returns row i's loss lse − logits[label] and, if d is not
// nil, sets d to its gradient scaled by inv (1/batch). Rows of up to
// len(softmaxRowBuf) classes keep their exponentials in a stack buffer, so
// each logit costs one exp; longer rows compute them twice.
func softmaxCERow(l []float32, label int32, d []float32, inv float64) float64 {
	m := l[0]
	for _, v := range l[1:] {
		if v > m {
			m = v
		}
	}
	var buf softmaxRowBuf
	keep := len(l) <= len(buf)
	var sum float64
	for j, v := range l {
		e := math.Exp(float64(v) - float64(m))
		if keep {
			buf[j] = e
		}
		sum += e
	}
	lse := float64(m) + math.Log(sum)
	if d != nil {
		scale := inv / sum
		for j, v := range l {
			var p float64
			if keep {
				p = buf[j] * scale
			} else {
				p = math.Exp(float64(v)-lse) * inv
			}
			if j == int(label) {
				p -= inv
			}
			d[j] = float32(p)
		}
	}
	return lse - float64(l[label])
}

// softmaxRowBuf holds a row's exponentials (float64) on the stack.
type softmaxRowBuf [64]float64

// softmaxCENaive is the definition, on one thread.
func softmaxCENaive(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	checkSoftmaxCE("softmax-ce naive", batch, classes, logits, labels, dlogits)
	inv := 1 / float64(batch)
	var loss float64
	for i := 0; i < batch; i++ {
		var d []float32
		if dlogits != nil {
			d = dlogits[i*classes : (i+1)*classes]
		}
		loss += softmaxCERow(logits[i*classes:(i+1)*classes], labels[i], d, inv)
	}
	return float32(loss * inv)
}

// softmaxCEParallelChecked splits the rows across the Context's threads.
func softmaxCEParallelChecked(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	checkSoftmaxCE("softmax-ce parallel", batch, classes, logits, labels, dlogits)
	return softmaxCEParallel(ctx, batch, classes, logits, labels, dlogits)
}

func softmaxCEParallel(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	return softmaxCERows(ctx, batch, classes, logits, labels, dlogits, softmaxCEBody)
}

// softmaxCERows runs body over the rows in the Context's chunks, each
// chunk's loss summed into its own partial, and returns the mean loss: the
// partials added in chunk order, whichever thread ran each, so the loss
// depends on the thread count's chunking only.
func softmaxCERows(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32, body func(j *layerJob, tid, lo, hi int)) float32 {
	j := &ctx.layer
	if n := parallel.ChunksPerThread * ctx.Threads(); len(j.part) < n {
		j.part = make([]float64, n)
	}
	clear(j.part)
	j.a, j.b, j.labels, j.cols, j.rows = logits, dlogits, labels, classes, batch
	ctx.layerFor(batch, max(1, minExpsPerThread/classes), body)
	j.labels = nil
	var loss float64
	for _, p := range j.part {
		loss += p
	}
	return float32(loss / float64(batch))
}

func softmaxCEBody(j *layerJob, tid, lo, hi int) {
	inv := 1 / float64(j.rows)
	var loss float64
	for i := lo; i < hi; i++ {
		var d []float32
		if j.b != nil {
			d = j.b[i*j.cols : (i+1)*j.cols]
		}
		loss += softmaxCERow(j.a[i*j.cols:(i+1)*j.cols], j.labels[i], d, inv)
	}
	j.part[j.ctx.rangeChunk(lo)] = loss
}

// softmaxChunk is how many logits of a row the simd implementation
// exponentiates and sums at a time: 16 KB, so a chunk is summed while it is
// in L1, and, without dlogits, the per-thread scratch it is written to
// stays small. Fixed, so the loss does not depend on dlogits or threads.
const softmaxChunk = 4096

func softmaxCESIMDChecked(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	checkSoftmaxCE("softmax-ce simd", batch, classes, logits, labels, dlogits)
	return softmaxCESIMD(ctx, batch, classes, logits, labels, dlogits)
}

func softmaxCESIMD(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	j := &ctx.layer
	if dlogits == nil {
		if n := ctx.Threads() * min(classes, softmaxChunk); len(j.scratch) < n {
			j.scratch = make([]float32, n)
		}
	}
	return softmaxCERows(ctx, batch, classes, logits, labels, dlogits, softmaxCESIMDBody)
}

func softmaxCESIMDBody(j *layerJob, tid, lo, hi int) {
	k := j.ctx.tfv()
	inv := 1 / float64(j.rows)
	var scratch []float32
	if j.b == nil {
		w := min(j.cols, softmaxChunk)
		scratch = j.scratch[tid*w : (tid+1)*w]
	}
	var loss float64
	for i := lo; i < hi; i++ {
		l := j.a[i*j.cols : (i+1)*j.cols]
		var d []float32
		if j.b != nil {
			d = j.b[i*j.cols : (i+1)*j.cols]
		}
		loss += softmaxCERowSIMD(k, l, j.labels[i], d, scratch, inv)
	}
	j.part[j.ctx.rangeChunk(lo)] = loss
}

// softmaxCERowSIMD is softmaxCERow on tfvec's routines: row l's loss, and
// its gradient scaled by inv in d if d is not nil (else the exponentials
// go to scratch, a chunk long). d may alias l.
func softmaxCERowSIMD(k *tfvec.Kernels, l []float32, label int32, d, scratch []float32, inv float64) float64 {
	m := k.RowMax(l)
	ll := l[label]
	var sum float64
	for c := 0; c < len(l); c += softmaxChunk {
		src := l[c:min(c+softmaxChunk, len(l))]
		dst := scratch
		if d != nil {
			dst = d[c:]
		}
		dst = dst[:len(src)]
		k.ExpSub(dst, src, m)
		sum += k.Sum64(dst)
	}
	if d != nil {
		scale := inv / sum
		el := d[label]
		k.Scale(d, float32(scale))
		d[label] = float32(float64(el)*scale - inv)
	}
	return float64(m) + math.Log(sum) - float64(ll)
}
