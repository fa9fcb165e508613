package kernels

import (
	"fmt"
	"math"

	"github.com/trainbench/trainbench/kernels/internal/norm"
	"github.com/trainbench/trainbench/kernels/internal/parallel"
	"github.com/trainbench/trainbench/shape"
)

// Batch normalisation on NHWC activations (BatchNormShape; FLOP and byte
// formulas there), with the fusions that end a ResNet block. Each channel c
// is normalised over its M = N·H·W values x[r,c], r < M. The definitions
// (the naive implementations are written exactly so, in float64, rounding
// only what they store):
//
//	training forward:
//	  μ_c  = (1/M)·Σ_r x[r,c]
//	  σ²_c = (1/M)·Σ_r (x[r,c] − μ_c)²                       (biased)
//	  z    = γ_c·(x[r,c] − μ_c)/√(σ²_c + ε) + β_c              (ε = BatchNormEps)
//	  y    = z, plus res[r,c] with Residual, then max(·, 0) with ReLU
//	         (the ReLU lets NaN and −0 through, as ReLUForward)
//	  Mean_c = μ_c, InvStd_c = 1/√(σ²_c + ε)                  (saved for backward)
//	  RunMean_c = (1−m)·RunMean_c + m·μ_c                      (m = BatchNormMomentum)
//	  RunVar_c  = (1−m)·RunVar_c  + m·σ²_c·M/(M−1)             (the unbiased variance)
//	inference forward: as training with μ = RunMean and σ² = RunVar; nothing
//	  is saved or updated
//	backward (of the training forward), with x̂ = (x − Mean_c)·InvStd_c from
//	  the saved statistics and dz = dy, or with ReLU dz = dy where y > 0 and
//	  0 elsewhere:
//	  DRes   = dz                                              (with Residual)
//	  dβ_c   = Σ_r dz[r,c]
//	  dγ_c   = Σ_r dz[r,c]·x̂[r,c]
//	  dx     = γ_c·InvStd_c·(dz − dβ_c/M − x̂·dγ_c/M)
//
// ε and m are PyTorch's defaults, and the running variance is unbiased as
// in PyTorch, so that a model trained here evaluates as there.
//
// The fast ("simd") implementations make two passes over the rows, each in
// NHWC order so that a channel's values are C apart and a row's C channels
// contiguous: the first gathers the per-channel sums (Σ(x − x[0,c]) and its
// squares forward, shifted by the first row so the variance does not
// cancel; Σdz and Σdz·(x − μ) backward) in float64, the second applies
// per-channel coefficients in float32 (y = x·a + b forward; dx = a·dz +
// k·(x − μ) + d backward). The sums are taken over at most bnChunks fixed
// row chunks, split across the threads and combined in chunk order, so
// results do not depend on the thread count. Both passes run package
// internal/norm's generated routines (their pure-Go twins at level generic):
// the sums a block of channels at a time over tiles of rows that stay in
// cache, the second pass along each row.

// BatchNormShape describes batch normalisation of NHWC activations and its
// fusions (shape.BatchNorm).
type BatchNormShape = shape.BatchNorm

// BatchNormEps and BatchNormMomentum are ε and the running statistics'
// momentum m of the definition (PyTorch's defaults).
const (
	BatchNormEps      = 1e-5
	BatchNormMomentum = 0.1
)

// BatchNormState is one batch-norm layer's per-channel vectors, each of
// length C.
type BatchNormState struct {
	Gamma, Beta     []float32 // the learned scale γ and shift β
	RunMean, RunVar []float32 // running statistics: the training forward updates them, inference reads them
	Mean, InvStd    []float32 // the batch's μ and 1/√(σ²+ε), saved by the training forward for backward
	DGamma, DBeta   []float32 // gradients written (not accumulated) by backward
}

// BatchNormGrads are the tensors of a backward call, each N·H·W·C.
type BatchNormGrads struct {
	DY   []float32 // the gradient of the output (read)
	Y    []float32 // with ReLU: the forward's output, whose sign masks DY (read)
	DX   []float32 // the gradient of the input (written); may alias DY
	DRes []float32 // with Residual: the gradient of the residual input (written)
}

// BatchNormFwdFunc normalises x into y (training or inference forward); res
// is the residual input with s.Residual, else nil. y may alias x or res.
type BatchNormFwdFunc func(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState)

// BatchNormBwdFunc computes the gradients of a training forward on x.
type BatchNormBwdFunc func(ctx *Context, s BatchNormShape, x []float32, g BatchNormGrads, st *BatchNormState)

// The batch-norm registries: naive (the definition, channels split across
// threads) and simd (two NHWC passes).
var (
	BatchNormFwdImpls   = NewRegistry[BatchNormFwdFunc]("batchnorm-fwd")
	BatchNormInferImpls = NewRegistry[BatchNormFwdFunc]("batchnorm-infer")
	BatchNormBwdImpls   = NewRegistry[BatchNormBwdFunc]("batchnorm-bwd")
)

func init() {
	BatchNormFwdImpls.Register(Impl[BatchNormFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: bnFwdNaive, Doc: "the definition in float64, channels split across threads"})
	BatchNormFwdImpls.Register(Impl[BatchNormFwdFunc]{Name: "simd", Mode: PerISA, Fn: bnFwdSIMDChecked, Doc: "per-channel sums along NHWC rows in float64, then y = x·a + b"})
	BatchNormInferImpls.Register(Impl[BatchNormFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: bnInferNaive, Doc: "the definition in float64, channels split across threads"})
	BatchNormInferImpls.Register(Impl[BatchNormFwdFunc]{Name: "simd", Mode: PerISA, Fn: bnInferSIMDChecked, Doc: "y = x·a + b along NHWC rows"})
	BatchNormBwdImpls.Register(Impl[BatchNormBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: bnBwdNaive, Doc: "the definition in float64, channels split across threads"})
	BatchNormBwdImpls.Register(Impl[BatchNormBwdFunc]{Name: "simd", Mode: PerISA, Fn: bnBwdSIMDChecked, Doc: "per-channel sums along NHWC rows in float64, then dx = a·dz + k·(x−μ) + d"})
}

// BatchNormForward is the training forward: it normalises x by its batch
// statistics into y (adding res with s.Residual, then ReLU with s.ReLU),
// saves the statistics in st.Mean and st.InvStd and updates st.RunMean and
// st.RunVar. res is nil without s.Residual; y may alias x or res. It panics
// if the shape does not Validate, has fewer than two values per channel
// (N·H·W < 2: no variance), or a length differs from the shape's.
func (c *Context) BatchNormForward(s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	checkBNFwd("BatchNormForward", s, x, res, y, st, true)
	bnFwdSIMD(c, s, x, res, y, st)
}

// BatchNormInference normalises x by the running statistics into y (with
// the fusions of s), changing nothing in st. It panics like
// BatchNormForward, but accepts one value per channel.
func (c *Context) BatchNormInference(s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	checkBNFwd("BatchNormInference", s, x, res, y, st, false)
	bnInferSIMD(c, s, x, res, y, st)
}

// BatchNormBackward computes g.DX, st.DGamma and st.DBeta (and g.DRes with
// s.Residual) from g.DY, the forward's input x and the statistics it saved
// in st (and its output g.Y with s.ReLU). g.DX may alias g.DY. It panics
// like BatchNormForward.
func (c *Context) BatchNormBackward(s BatchNormShape, x []float32, g BatchNormGrads, st *BatchNormState) {
	checkBNBwd("BatchNormBackward", s, x, g, st)
	bnBwdSIMD(c, s, x, g, st)
}

// checkBNVec panics unless the per-channel vector v of st has C elements.
func checkBNVec(call string, s BatchNormShape, name string, v []float32) {
	checkShapeLen(call, s, name, v, s.C, "C")
}

// checkBNOpt panics unless v, an optional tensor, has the shape's length
// when the fusion (what) wants it and is empty otherwise.
func checkBNOpt(call string, s BatchNormShape, name string, v []float32, want bool, what string) {
	if want {
		checkShapeLen(call, s, name, v, s.Len(), "N·H·W·C")
	} else if len(v) != 0 {
		panic(fmt.Sprintf("kernels: %s %v: %s given (len %d) but the shape has no %s", call, s.String(), name, len(v), what))
	}
}

func checkBNState(call string, s BatchNormShape, st *BatchNormState) {
	if st == nil {
		panic("kernels: " + call + ": nil state st")
	}
}

func checkBNFwd(call string, s BatchNormShape, x, res, y []float32, st *BatchNormState, training bool) {
	checkValid(call, s.Validate())
	if training && s.Rows() < 2 {
		panic(fmt.Sprintf("kernels: %s %v: N·H·W = %d, training needs at least two values per channel", call, s.String(), s.Rows()))
	}
	checkShapeLen(call, s, "x", x, s.Len(), "N·H·W·C")
	checkShapeLen(call, s, "y", y, s.Len(), "N·H·W·C")
	checkBNOpt(call, s, "res", res, s.Residual, "Residual")
	checkBNState(call, s, st)
	checkBNVec(call, s, "st.Gamma", st.Gamma)
	checkBNVec(call, s, "st.Beta", st.Beta)
	checkBNVec(call, s, "st.RunMean", st.RunMean)
	checkBNVec(call, s, "st.RunVar", st.RunVar)
	if training {
		checkBNVec(call, s, "st.Mean", st.Mean)
		checkBNVec(call, s, "st.InvStd", st.InvStd)
	}
}

func checkBNBwd(call string, s BatchNormShape, x []float32, g BatchNormGrads, st *BatchNormState) {
	checkValid(call, s.Validate())
	if s.Rows() < 2 {
		panic(fmt.Sprintf("kernels: %s %v: N·H·W = %d, training needs at least two values per channel", call, s.String(), s.Rows()))
	}
	checkShapeLen(call, s, "x", x, s.Len(), "N·H·W·C")
	checkShapeLen(call, s, "g.DY", g.DY, s.Len(), "N·H·W·C")
	checkShapeLen(call, s, "g.DX", g.DX, s.Len(), "N·H·W·C")
	checkBNOpt(call, s, "g.Y", g.Y, s.ReLU, "ReLU")
	checkBNOpt(call, s, "g.DRes", g.DRes, s.Residual, "Residual")
	checkBNState(call, s, st)
	checkBNVec(call, s, "st.Gamma", st.Gamma)
	checkBNVec(call, s, "st.Mean", st.Mean)
	checkBNVec(call, s, "st.InvStd", st.InvStd)
	checkBNVec(call, s, "st.DGamma", st.DGamma)
	checkBNVec(call, s, "st.DBeta", st.DBeta)
}

// bnOut is the definition's output from z = the normalised, scaled and
// shifted value, with the residual r added when residual, then ReLU.
func bnOut(s BatchNormShape, z float64, r float32) float32 {
	if s.Residual {
		z += float64(r)
	}
	if s.ReLU && z < 0 {
		z = 0
	}
	return float32(z)
}

// bnUpdateRunning applies the running-statistics update of the definition
// to channel c, from the batch's mean and biased variance over m values.
func bnUpdateRunning(st *BatchNormState, c int, mean, variance float64, m int) {
	const mom = BatchNormMomentum
	unbiased := variance * float64(m) / float64(m-1)
	st.RunMean[c] = float32((1-mom)*float64(st.RunMean[c]) + mom*mean)
	st.RunVar[c] = float32((1-mom)*float64(st.RunVar[c]) + mom*unbiased)
}

// bnFwdNaive is the definition of the training forward.
func bnFwdNaive(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	checkBNFwd("batchnorm-fwd naive", s, x, res, y, st, true)
	C, M := s.C, s.Rows()
	ctx.ParallelFor(C, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			var sum float64
			for r := 0; r < M; r++ {
				sum += float64(x[r*C+c])
			}
			mean := sum / float64(M)
			var sq float64
			for r := 0; r < M; r++ {
				d := float64(x[r*C+c]) - mean
				sq += d * d
			}
			variance := sq / float64(M)
			inv := 1 / math.Sqrt(variance+BatchNormEps)
			g, b := float64(st.Gamma[c]), float64(st.Beta[c])
			for r := 0; r < M; r++ {
				var rv float32
				if s.Residual {
					rv = res[r*C+c]
				}
				y[r*C+c] = bnOut(s, g*(float64(x[r*C+c])-mean)*inv+b, rv)
			}
			st.Mean[c], st.InvStd[c] = float32(mean), float32(inv)
			bnUpdateRunning(st, c, mean, variance, M)
		}
	})
}

// bnInferNaive is the definition of the inference forward.
func bnInferNaive(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	checkBNFwd("batchnorm-infer naive", s, x, res, y, st, false)
	C, M := s.C, s.Rows()
	ctx.ParallelFor(C, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			mean := float64(st.RunMean[c])
			inv := 1 / math.Sqrt(float64(st.RunVar[c])+BatchNormEps)
			g, b := float64(st.Gamma[c]), float64(st.Beta[c])
			for r := 0; r < M; r++ {
				var rv float32
				if s.Residual {
					rv = res[r*C+c]
				}
				y[r*C+c] = bnOut(s, g*(float64(x[r*C+c])-mean)*inv+b, rv)
			}
		}
	})
}

// bnBwdNaive is the definition of the backward pass.
func bnBwdNaive(ctx *Context, s BatchNormShape, x []float32, g BatchNormGrads, st *BatchNormState) {
	checkBNBwd("batchnorm-bwd naive", s, x, g, st)
	C, M := s.C, s.Rows()
	ctx.ParallelFor(C, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			mean, inv := float64(st.Mean[c]), float64(st.InvStd[c])
			dz := func(r int) float64 {
				if s.ReLU && !(g.Y[r*C+c] > 0) {
					return 0
				}
				return float64(g.DY[r*C+c])
			}
			var dbeta, dgamma float64
			for r := 0; r < M; r++ {
				d := dz(r)
				dbeta += d
				dgamma += d * (float64(x[r*C+c]) - mean) * inv
			}
			a := float64(st.Gamma[c]) * inv
			for r := 0; r < M; r++ {
				d := dz(r)
				if s.Residual {
					g.DRes[r*C+c] = float32(d)
				}
				xh := (float64(x[r*C+c]) - mean) * inv
				g.DX[r*C+c] = float32(a * (d - dbeta/float64(M) - xh*dgamma/float64(M)))
			}
			st.DGamma[c], st.DBeta[c] = float32(dgamma), float32(dbeta)
		}
	})
}

// bnChunks is the most row chunks the fast paths' per-channel sums are
// split into; the chunks, and so the results, do not depend on the thread
// count, and their partial sums (2·C float64 each) stay small.
const bnChunks = 16

// bnJob is the state of a fast batch-norm call (the Context field bn):
// the arguments, the per-channel coefficients and the chunks' partial sums,
// read by package-level loop bodies so that a call does not allocate.
type bnJob struct {
	s          BatchNormShape
	x, res, y  []float32
	g          BatchNormGrads
	a, b, k, d []float32 // per-channel coefficients of the second pass
	mean       []float32 // the μ the backward pass centres by
	shift      []float64 // forward: the first row, which the sums are shifted by; backward: μ
	part       []float64 // chunk k's two sums of C channels at [2kC, 2(k+1)C)
	chunks     int
	sum, sumSq []float64 // the combined sums
}

// prepare sizes the job's buffers for s (allocating only when C grows) and
// stores the arguments.
func (j *bnJob) prepare(s BatchNormShape, x, res, y []float32) {
	C := s.C
	if cap(j.a) < C {
		j.a, j.b, j.k, j.d = make([]float32, C), make([]float32, C), make([]float32, C), make([]float32, C)
		j.shift, j.sum, j.sumSq = make([]float64, C), make([]float64, C), make([]float64, C)
		j.part = make([]float64, 2*bnChunks*C)
	}
	j.a, j.b, j.k, j.d = j.a[:C], j.b[:C], j.k[:C], j.d[:C]
	j.shift, j.sum, j.sumSq = j.shift[:C], j.sum[:C], j.sumSq[:C]
	j.s, j.x, j.res, j.y = s, x, res, y
	j.chunks = max(1, min(bnChunks, s.Rows(), s.Len()/elemPerThread(8)))
}

// release drops the references to the caller's slices.
func (j *bnJob) release() { j.x, j.res, j.y, j.g, j.mean = nil, nil, nil, BatchNormGrads{}, nil }

// bnSums runs body over the chunks on up to all the Context's threads and
// adds the chunks' partial sums into j.sum and j.sumSq in chunk order.
func (c *Context) bnSums(body func(ctx *Context, tid, lo, hi int)) {
	j := &c.bn
	c.forRanges(j.chunks, min(c.Threads(), j.chunks), body)
	C := j.s.C
	clear(j.sum)
	clear(j.sumSq)
	for k := 0; k < j.chunks; k++ {
		p, q := j.part[2*k*C:(2*k+1)*C], j.part[(2*k+1)*C:(2*k+2)*C]
		for ch := range j.sum {
			j.sum[ch] += p[ch]
			j.sumSq[ch] += q[ch]
		}
	}
}

// bnApply runs body over the rows on the Context's threads.
func (c *Context) bnApply(body func(ctx *Context, tid, lo, hi int)) {
	j := &c.bn
	M := j.s.Rows()
	c.forRanges(M, min(c.Threads(), M/max(1, elemPerThread(12)/j.s.C)), body)
}

// bnFwdSIMDChecked is the fast training forward, checked.
func bnFwdSIMDChecked(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	checkBNFwd("batchnorm-fwd simd", s, x, res, y, st, true)
	bnFwdSIMD(ctx, s, x, res, y, st)
}

func bnFwdSIMD(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	j := &ctx.bn
	j.prepare(s, x, res, y)
	C, M := s.C, s.Rows()
	for ch, v := range x[:C] {
		j.shift[ch] = float64(v)
	}
	ctx.bnSums(bnFwdSumsBody)
	for ch := 0; ch < C; ch++ {
		m1 := j.sum[ch] / float64(M)
		mean := j.shift[ch] + m1
		variance := max(0, j.sumSq[ch]/float64(M)-m1*m1)
		inv := 1 / math.Sqrt(variance+BatchNormEps)
		a := float64(st.Gamma[ch]) * inv
		j.a[ch], j.b[ch] = float32(a), float32(float64(st.Beta[ch])-mean*a)
		st.Mean[ch], st.InvStd[ch] = float32(mean), float32(inv)
		bnUpdateRunning(st, ch, mean, variance, M)
	}
	ctx.bnApply(bnAffineBody)
	j.release()
}

// bnFwdSumsBody gathers Σ(x − shift) and Σ(x − shift)² of chunks [lo, hi).
func bnFwdSumsBody(ctx *Context, _, lo, hi int) {
	j := &ctx.bn
	C, M := j.s.C, j.s.Rows()
	nk, tile := norm.For(ctx.isa), bnTileRows(C)
	for k := lo; k < hi; k++ {
		s1, s2 := j.part[2*k*C:(2*k+1)*C], j.part[(2*k+1)*C:(2*k+2)*C]
		clear(s1)
		clear(s2)
		r0, r1 := parallel.Split(M, j.chunks, k)
		for r := r0; r < r1; r += tile {
			nk.FwdSums(j.x[r*C:r1*C], j.shift, s1, s2, min(tile, r1-r), C)
		}
	}
}

// bnAffineBody sets y = x·a + b (+ res, then ReLU) on rows [lo, hi).
func bnAffineBody(ctx *Context, _, lo, hi int) {
	j := &ctx.bn
	C := j.s.C
	var res []float32
	if j.s.Residual {
		res = j.res[lo*C : hi*C]
	}
	norm.For(ctx.isa).Apply(j.s.Residual, j.s.ReLU, j.y[lo*C:hi*C], j.x[lo*C:hi*C], res, j.a, j.b, hi-lo)
}

// bnInferSIMDChecked is the fast inference forward, checked.
func bnInferSIMDChecked(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	checkBNFwd("batchnorm-infer simd", s, x, res, y, st, false)
	bnInferSIMD(ctx, s, x, res, y, st)
}

func bnInferSIMD(ctx *Context, s BatchNormShape, x, res, y []float32, st *BatchNormState) {
	j := &ctx.bn
	j.prepare(s, x, res, y)
	for ch := 0; ch < s.C; ch++ {
		inv := 1 / math.Sqrt(float64(st.RunVar[ch])+BatchNormEps)
		a := float64(st.Gamma[ch]) * inv
		j.a[ch], j.b[ch] = float32(a), float32(float64(st.Beta[ch])-float64(st.RunMean[ch])*a)
	}
	ctx.bnApply(bnAffineBody)
	j.release()
}

// bnBwdSIMDChecked is the fast backward pass, checked.
func bnBwdSIMDChecked(ctx *Context, s BatchNormShape, x []float32, g BatchNormGrads, st *BatchNormState) {
	checkBNBwd("batchnorm-bwd simd", s, x, g, st)
	bnBwdSIMD(ctx, s, x, g, st)
}

func bnBwdSIMD(ctx *Context, s BatchNormShape, x []float32, g BatchNormGrads, st *BatchNormState) {
	j := &ctx.bn
	j.prepare(s, x, nil, nil)
	j.g, j.mean = g, st.Mean
	C, M := s.C, s.Rows()
	for ch, v := range st.Mean {
		j.shift[ch] = float64(v)
	}
	ctx.bnSums(bnBwdSumsBody)
	for ch := 0; ch < C; ch++ {
		inv := float64(st.InvStd[ch])
		dbeta, dgamma := j.sum[ch], j.sumSq[ch]*inv
		a := float64(st.Gamma[ch]) * inv
		j.a[ch] = float32(a)
		j.k[ch] = float32(-a * inv * dgamma / float64(M))
		j.d[ch] = float32(-a * dbeta / float64(M))
		st.DGamma[ch], st.DBeta[ch] = float32(dgamma), float32(dbeta)
	}
	ctx.bnApply(bnBwdDXBody)
	j.release()
}

// bnBwdSumsBody gathers Σdz and Σdz·(x − μ) of chunks [lo, hi), writing dz
// to DRes with Residual.
func bnBwdSumsBody(ctx *Context, _, lo, hi int) {
	j := &ctx.bn
	C, M := j.s.C, j.s.Rows()
	nk, tile := norm.For(ctx.isa), bnTileRows(C)
	for k := lo; k < hi; k++ {
		s1, s2 := j.part[2*k*C:(2*k+1)*C], j.part[(2*k+1)*C:(2*k+2)*C]
		clear(s1)
		clear(s2)
		r0, r1 := parallel.Split(M, j.chunks, k)
		for r := r0; r < r1; r += tile {
			var y, dres []float32
			if j.s.ReLU {
				y = j.g.Y[r*C : r1*C]
			}
			if j.s.Residual {
				dres = j.g.DRes[r*C : r1*C]
			}
			nk.BwdSums(j.s.ReLU, j.s.Residual, j.g.DY[r*C:r1*C], y, j.x[r*C:r1*C], dres, j.shift, s1, s2, min(tile, r1-r), C)
		}
	}
}

// bnBwdDXBody sets dx = a·dz + k·(x − μ) + d on rows [lo, hi). With
// Residual the sums pass has stored dz in DRes, which is then read in place
// of dy and the ReLU mask: one tensor less to stream.
func bnBwdDXBody(ctx *Context, _, lo, hi int) {
	j := &ctx.bn
	C := j.s.C
	nk := norm.For(ctx.isa)
	if j.s.Residual {
		nk.BwdDX(false, j.g.DX[lo*C:hi*C], j.g.DRes[lo*C:hi*C], nil, j.x[lo*C:hi*C], j.a, j.k, j.d, j.mean, hi-lo)
		return
	}
	var y []float32
	if j.s.ReLU {
		y = j.g.Y[lo*C : hi*C]
	}
	nk.BwdDX(j.s.ReLU, j.g.DX[lo*C:hi*C], j.g.DY[lo*C:hi*C], y, j.x[lo*C:hi*C], j.a, j.k, j.d, j.mean, hi-lo)
}

// bnTileBytes bounds the rows the sums routines walk at a time: each block
// of channels sweeps the tile, which stays in L2 for the next block.
var bnTileBytes = 128 << 10

// bnTileRows is the rows of C channels in a tile (at least 8).
func bnTileRows(c int) int { return max(8, bnTileBytes/(4*c)) }
