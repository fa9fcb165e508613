package kernels

// The im2col implementations lower each pass to SGEMM on the Context
// (ctx.Sgemm, all threads), one chunk of output pixels at a time. With NHWC
// activations and KRSC weights a row of col(X) is the receptive field of one
// output pixel, R·S runs of C contiguous input values, so over the whole batch
//
//	fwd:         Y[NPQ×K]     = col(X)[NPQ×RSC] · Wtᵀ      (Wt stored K×RSC)
//	bwd-data:    col(dX)      = dY[NPQ×K] · Wt[K×RSC], then col2im (scatter-add)
//	bwd-weights: dWt[K×RSC]  += dY[chunk×K]ᵀ · col(X)[chunk×RSC] over chunks
//
// Chunks hold about convColBytes of col so the buffer stays in the last-level
// cache and is not materialised whole (R·S times the input). Pointwise
// convolutions (1×1, stride 1, no padding) need no lowering: col(X) is X.

// convColBytes is the target size of one im2col chunk.
const convColBytes = 4 << 20

// convBuffers holds the conv kernels' reusable buffers (a Context field), so
// that steady-state calls do not allocate.
type convBuffers struct {
	col  []float32   // one im2col chunk, shared by all threads
	wt   []float32   // repacked weights
	part [][]float32 // per-thread partial sums
	band [][]float32 // per-thread zero-padded input bands
	dy   [][]float32 // per-thread output-gradient bands widened to whole vectors
	tile [][]float32 // per-thread output tiles
	args [][]int     // per-thread micro-kernel argument blocks
	// The direct kernels' per-call state: the current job, the function
	// the threads run it with (made once, so calls do not allocate), the
	// channel blocks and tap lists, which threads hold partial sums.
	job    convFwdJob
	jobFn  func(tid, lo, hi int)
	blocks []convKBlock
	ints   []int
	used   []bool
}

// convGrow returns (*buf)[:n], reallocating if it is too short.
func convGrow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}

// convThreadBuf returns thread tid's buffer from list, with n elements. The
// lists have one entry per thread from the start (see convPerThread), so
// threads only ever touch their own entry.
func convThreadBuf(list *[][]float32, threads, tid, n int) []float32 {
	return convGrow(&(*list)[tid], n)
}

// convPerThread sizes the per-thread buffer lists for the Context's thread
// count; it runs before any parallel region of a conv call.
func convPerThread(ctx *Context) {
	t := ctx.Threads()
	if len(ctx.conv.args) == t {
		return
	}
	b := &ctx.conv
	b.part, b.band, b.dy, b.tile = make([][]float32, t), make([][]float32, t), make([][]float32, t), make([][]float32, t)
	b.args, b.used = make([][]int, t), make([]bool, t)
}

// convPointwise reports whether col(X) is X itself: a 1×1 filter with stride 1
// and no padding.
func convPointwise(s Conv2DShape) bool {
	return s.R == 1 && s.S == 1 && s.StrideH == 1 && s.StrideW == 1 && s.PadH == 0 && s.PadW == 0
}

// convChunkRows is the number of output pixels per im2col chunk.
func convChunkRows(s Conv2DShape) int {
	rsc := s.R * s.S * s.C
	return max(1024, convColBytes/(4*rsc))
}

// convIm2colRow writes the receptive field of output pixel (n, p, q) into dst
// (R·S·C values, zero where a tap falls in the padding).
func convIm2colRow(s Conv2DShape, x []float32, n, p, q int, dst []float32) {
	sc := s.S * s.C
	for r := 0; r < s.R; r++ {
		d := dst[r*sc : (r+1)*sc]
		h := p*s.StrideH - s.PadH + r*s.DilH
		if h < 0 || h >= s.H {
			clear(d)
			continue
		}
		row := x[(n*s.H+h)*s.W*s.C : (n*s.H+h+1)*s.W*s.C]
		w0 := q*s.StrideW - s.PadW
		if s.DilW == 1 && w0 >= 0 && w0+s.S <= s.W {
			copy(d, row[w0*s.C:(w0+s.S)*s.C])
			continue
		}
		for t := 0; t < s.S; t++ {
			wc := w0 + t*s.DilW
			if wc < 0 || wc >= s.W {
				clear(d[t*s.C : (t+1)*s.C])
			} else {
				copy(d[t*s.C:(t+1)*s.C], row[wc*s.C:(wc+1)*s.C])
			}
		}
	}
}

// convIm2colChunk writes the rows of col(X) for output pixels [m0, m1) (over
// the batch) into col, split across the Context's threads.
func convIm2colChunk(ctx *Context, s Conv2DShape, x []float32, m0, m1 int, col []float32) {
	P, Q, RSC := s.OutH(), s.OutW(), s.R*s.S*s.C
	ctx.ParallelFor(m1-m0, func(_, lo, hi int) {
		for m := m0 + lo; m < m0+hi; m++ {
			n, pq := m/(P*Q), m%(P*Q)
			convIm2colRow(s, x, n, pq/Q, pq%Q, col[(m-m0)*RSC:(m-m0+1)*RSC])
		}
	})
}

// Conv2DFwdIm2col is the forward pass lowered to SGEMM (see the package's
// Conv2D documentation for the definition).
func Conv2DFwdIm2col(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("Conv2DFwdIm2col", s, x, w, bias, y)
	conv2DFwdIm2col(ctx, s, x, w, bias, y, false)
}

func conv2DFwdIm2col(ctx *Context, s Conv2DShape, x, w, bias, y []float32, relu bool) {
	P, Q := s.OutH(), s.OutW()
	M, K, RSC := s.N*P*Q, s.K, s.R*s.S*s.C
	var beta float32
	prefill := func(m0, m1 int) {
		if bias == nil {
			return
		}
		ctx.ParallelFor(m1-m0, func(_, lo, hi int) {
			for m := m0 + lo; m < m0+hi; m++ {
				copy(y[m*K:(m+1)*K], bias)
			}
		})
	}
	if bias != nil {
		beta = 1
	}
	finish := func(m0, m1 int) {
		if relu {
			ctx.ParallelFor(m1-m0, func(_, lo, hi int) { convReLU(y[(m0+lo)*K : (m0+hi)*K]) })
		}
	}
	if convPointwise(s) {
		prefill(0, M)
		ctx.Sgemm(NoTrans, Trans, M, K, RSC, 1, x, s.C, w, RSC, beta, y, K)
		finish(0, M)
		return
	}
	chunk := min(M, convChunkRows(s))
	col := convGrow(&ctx.conv.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		convIm2colChunk(ctx, s, x, m0, m1, col)
		prefill(m0, m1)
		ctx.Sgemm(NoTrans, Trans, m1-m0, K, RSC, 1, col, RSC, w, RSC, beta, y[m0*K:m1*K], K)
		finish(m0, m1)
	}
}

// Conv2DBwdDataIm2col is the backward-data pass lowered to SGEMM and col2im.
func Conv2DBwdDataIm2col(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("Conv2DBwdDataIm2col", s, dy, w, dx)
	conv2DBwdDataIm2col(ctx, s, dy, w, dx)
}

func conv2DBwdDataIm2col(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	P, Q := s.OutH(), s.OutW()
	M, K, RSC := s.N*P*Q, s.K, s.R*s.S*s.C
	if convPointwise(s) {
		ctx.Sgemm(NoTrans, NoTrans, M, s.C, K, 1, dy, K, w, RSC, 0, dx, s.C)
		return
	}
	ctx.ParallelFor(len(dx), func(_, lo, hi int) { clear(dx[lo:hi]) })
	chunk := min(M, convChunkRows(s))
	col := convGrow(&ctx.conv.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		ctx.Sgemm(NoTrans, NoTrans, m1-m0, RSC, K, 1, dy[m0*K:m1*K], K, w, RSC, 0, col, RSC)
		// col2im: each thread owns a range of input rows (n, h) of the
		// images this chunk touches and adds, in pixel order, every
		// contribution that lands there, so the sum order does not depend
		// on the thread count.
		n0, n1 := m0/(P*Q), (m1-1)/(P*Q)
		ctx.ParallelFor((n1-n0+1)*s.H, func(_, lo, hi int) {
			glo, ghi := n0*s.H+lo, n0*s.H+hi
			for m := m0; m < m1; m++ {
				n, pq := m/(P*Q), m%(P*Q)
				p, q := pq/Q, pq%Q
				src := col[(m-m0)*RSC : (m-m0+1)*RSC]
				for r := 0; r < s.R; r++ {
					h := p*s.StrideH - s.PadH + r*s.DilH
					g := n*s.H + h
					if h < 0 || h >= s.H || g < glo || g >= ghi {
						continue
					}
					for t := 0; t < s.S; t++ {
						wc := q*s.StrideW - s.PadW + t*s.DilW
						if wc < 0 || wc >= s.W {
							continue
						}
						d := dx[(g*s.W+wc)*s.C : (g*s.W+wc+1)*s.C]
						convAddTo(d, src[(r*s.S+t)*s.C:(r*s.S+t+1)*s.C])
					}
				}
			}
		})
	}
}

// convAddTo sets d += v element-wise.
func convAddTo(d, v []float32) {
	v = v[:len(d)]
	for i := range d {
		d[i] += v[i]
	}
}

// Conv2DBwdWeightsIm2col is the backward-weights pass lowered to SGEMM: the
// weight gradient is accumulated chunk by chunk (beta = 1 after the first),
// the bias gradient is summed from per-thread partial sums in thread order.
func Conv2DBwdWeightsIm2col(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("Conv2DBwdWeightsIm2col", s, x, dy, dw, db)
	conv2DBwdWeightsIm2col(ctx, s, x, dy, dw, db)
}

func conv2DBwdWeightsIm2col(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	P, Q := s.OutH(), s.OutW()
	M, K, RSC := s.N*P*Q, s.K, s.R*s.S*s.C
	if db != nil {
		convBiasGrad(ctx, dy, M, K, db)
	}
	if convPointwise(s) {
		ctx.Sgemm(Trans, NoTrans, K, RSC, M, 1, dy, K, x, s.C, 0, dw, RSC)
		return
	}
	chunk := min(M, convChunkRows(s))
	col := convGrow(&ctx.conv.col, chunk*RSC)
	for m0 := 0; m0 < M; m0 += chunk {
		m1 := min(M, m0+chunk)
		convIm2colChunk(ctx, s, x, m0, m1, col)
		var beta float32
		if m0 > 0 {
			beta = 1
		}
		ctx.Sgemm(Trans, NoTrans, K, RSC, m1-m0, 1, dy[m0*K:m1*K], K, col, RSC, beta, dw, RSC)
	}
}

// convBiasGrad sets db[k] = Σ_m dy[m·K+k] over the M rows of dy: each thread
// sums a contiguous range of rows into its own partial, and the partials are
// added in thread order.
func convBiasGrad(ctx *Context, dy []float32, M, K int, db []float32) {
	convPerThread(ctx)
	T := ctx.Threads()
	for t := 0; t < T; t++ {
		clear(convThreadBuf(&ctx.conv.part, T, t, K))
	}
	ctx.ParallelFor(M, func(tid, lo, hi int) {
		acc := ctx.conv.part[tid][:K]
		convColSums(acc, dy[lo*K:hi*K], K)
	})
	clear(db)
	for t := 0; t < T; t++ {
		convAddTo(db, ctx.conv.part[t][:K])
	}
}

// convColSums adds the column sums of the rows of m (row length k) to acc.
func convColSums(acc, m []float32, k int) {
	for i := 0; i+k <= len(m); i += k {
		convAddTo(acc, m[i:i+k])
	}
}
