package kernels

import (
	"fmt"
	"math"

	"github.com/trainbench/trainbench/kernels/internal/parallel"
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
// Exponentials, sums and the loss are computed in float64 and rounded once,
// so results are within a few float32 roundings of the exact values.
// Labels outside [0, classes) panic, naming the row. There is no SIMD path:
// at the seed's 32×10 logits the call costs about a microsecond.

// SoftmaxCEFunc returns the mean loss and, if dlogits is not nil, sets it to
// the gradient of the mean loss with respect to the logits.
type SoftmaxCEFunc func(ctx *Context, batch, classes int, logits []float32, labels []int32, dlogits []float32) float32

// SoftmaxCEImpls lists the implementations: naive (one thread, the
// definition) and parallel (rows split across threads, partial losses summed
// in thread order, no allocation).
var SoftmaxCEImpls = NewRegistry[SoftmaxCEFunc]("softmax-ce")

func init() {
	SoftmaxCEImpls.Register(Impl[SoftmaxCEFunc]{Name: "naive", Mode: GenericOnly, Fn: softmaxCENaive, Doc: "the definition, row by row on one thread"})
	SoftmaxCEImpls.Register(Impl[SoftmaxCEFunc]{Name: "parallel", Mode: GenericOnly, Fn: softmaxCEParallelChecked, Doc: "rows split across threads, float64 partial losses"})
}

// SoftmaxCrossEntropy returns the mean over the batch of the cross-entropy of
// softmax(logits) against labels and, if dlogits is not nil, sets dlogits to
// (softmax − onehot(label)) / batch, the gradient of that mean. It panics if
// batch or classes is < 1, a length differs (logits and dlogits:
// batch·classes, labels: batch), or a label is outside [0, classes), naming
// the row.
func (c *Context) SoftmaxCrossEntropy(batch, classes int, logits []float32, labels []int32, dlogits []float32) float32 {
	checkSoftmaxCE("SoftmaxCrossEntropy", batch, classes, logits, labels, dlogits)
	return softmaxCEParallel(c, batch, classes, logits, labels, dlogits)
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
	j := &ctx.layer
	if n := parallel.ChunksPerThread * ctx.Threads(); len(j.part) < n {
		j.part = make([]float64, n)
	}
	clear(j.part)
	j.a, j.b, j.labels, j.cols, j.rows = logits, dlogits, labels, classes, batch
	ctx.layerFor(batch, max(1, minExpsPerThread/classes), softmaxCEBody)
	j.labels = nil
	var loss float64
	for _, p := range j.part { // in chunk order, whichever thread ran each
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
