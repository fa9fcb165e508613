package kernels

import (
	"math"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
	"github.com/trainbench/trainbench/shape"
)

// Causal multi-head attention on GPT-2's packed QKV tensor
// (AttentionShape; FLOP and byte formulas there). With d = Heads·HeadDim,
// qkv is [Batch][T][3d]: row (b, t) holds q, then k, then v, head h's
// HeadDim channels at h·HeadDim within each; out is [Batch][T][d]. With
// α = 1/√HeadDim, for each sequence b, head h and query t, over the keys
// k ≤ t (the masked pairs k > t are skipped, not computed):
//
//	s_tk   = α·q_t·k_k
//	lse_t  = log Σ_{k≤t} exp(s_tk)                   (saved: lse [Batch][Heads][T])
//	p_tk   = exp(s_tk − lse_t)
//	o_t    = Σ_{k≤t} p_tk·v_k
//
// and the backward, from the output gradient dO:
//
//	dv_k   = Σ_{t≥k} p_tk·dO_t
//	dp_tk  = dO_t·v_k,  D_t = Σ_k p_tk·dp_tk          (= dO_t·o_t)
//	ds_tk  = p_tk·(dp_tk − D_t)
//	dq_t   = α·Σ_{k≤t} ds_tk·k_k,   dk_k = α·Σ_{t≥k} ds_tk·q_t
//
// written into dqkv in qkv's layout (every element set). The naive
// implementations compute exactly this in float64 (softmax with the row
// maximum subtracted), one (sequence, head) per thread at a time.
//
// The fast ("flash") implementations never hold more of the T×T scores
// than a tile: the forward takes a block of attnBr queries and walks key
// blocks of attnBc from the diagonal down to key 0, computing the tile's
// scores with one GEMM, folding them into a running row maximum and sum
// (online softmax: per row, tfvec's generated routines take the maximum,
// then the exponentials and their float32 sum; the key blocks' sums are
// added in float64) and adding the tile's P·V into the output with a
// second GEMM; it saves lse = m + log l per row. The backward takes one
// (sequence, head) per thread and, per key block, walks the query blocks
// from the diagonal on, recomputing P and dS from the scores, dP and the
// saved lse (one generated row pass) and accumulating dV, dK (per key
// block) and dQ (per query block) with GEMMs, so no thread writes what
// another does and nothing is reduced across threads: results are
// bit-identical for every thread count. α is folded into a scaled copy of
// q (dQ is scaled once at the end), so the score products read A in place
// instead of packing and scaling it per tile, and the backward keeps the
// packed key and value blocks (its own gemm workspaces) across the query
// tiles of a key block. The tile products run on the GEMM engine's
// micro-kernels (gemm.Gemm on the calling thread) rather than on
// register-tiled Go loops, because pure Go has no SIMD. Tiles are aligned
// to the diagonal (the forward's first key block ends at the block's last
// query), so only attnBr²/2 masked pairs per query block are computed and
// discarded; the tile sizes are the fastest of those measured at GPT-2's
// shapes (docs/perf-notes-gpt2-kernels.md).

// AttentionShape describes causal multi-head attention on a packed QKV
// tensor (shape.Attention).
type AttentionShape = shape.Attention

// AttentionFwdFunc computes out and the per-row log-sum-exps lse from qkv.
type AttentionFwdFunc func(ctx *Context, s AttentionShape, qkv, out, lse []float32)

// AttentionBwdFunc computes dqkv from the output gradient dout, the
// forward's input qkv, its output out and its lse.
type AttentionBwdFunc func(ctx *Context, s AttentionShape, qkv, out, lse, dout, dqkv []float32)

// The attention registries: naive (the definition in float64) and flash.
var (
	AttentionFwdImpls = NewRegistry[AttentionFwdFunc]("attention-fwd")
	AttentionBwdImpls = NewRegistry[AttentionBwdFunc]("attention-bwd")
)

func init() {
	AttentionFwdImpls.Register(Impl[AttentionFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: attnFwdNaive, Doc: "the definition in float64, (sequence, head) pairs split across threads"})
	AttentionFwdImpls.Register(Impl[AttentionFwdFunc]{Name: "flash", Mode: PerISA, Fn: attnFwdFlashChecked, Doc: "query × key tiles on the GEMM micro-kernels, online softmax, saves the log-sum-exp"})
	AttentionBwdImpls.Register(Impl[AttentionBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: attnBwdNaive, Doc: "the definition in float64, (sequence, head) pairs split across threads"})
	AttentionBwdImpls.Register(Impl[AttentionBwdFunc]{Name: "flash", Mode: PerISA, Fn: attnBwdFlashChecked, Doc: "scores recomputed per tile from the saved log-sum-exp, GEMM micro-kernels, one head per thread"})
}

// attnBr and attnBc are the flash kernels' query and key tile sizes
// (attnBc ≥ attnBr: the forward's first key block covers the diagonal).
// Variables so that tests can shrink them to the sizes they use.
var attnBr, attnBc = 128, 128

// AttentionForward computes causal multi-head attention of the packed qkv
// into out and saves each row's log-sum-exp in lse for AttentionBackward.
// It panics if the shape does not Validate or a length differs from the
// shape's (qkv Batch·T·3d, out Batch·T·d, lse Batch·Heads·T).
func (c *Context) AttentionForward(s AttentionShape, qkv, out, lse []float32) {
	checkAttnFwd("AttentionForward", s, qkv, out, lse)
	attnFwdFlash(c, s, qkv, out, lse)
}

// AttentionBackward sets dqkv, the gradient of qkv, from the gradient dout
// of the forward's output out and the forward's qkv and lse. It panics like
// AttentionForward (dout: Batch·T·d, dqkv: Batch·T·3d).
func (c *Context) AttentionBackward(s AttentionShape, qkv, out, lse, dout, dqkv []float32) {
	checkAttnBwd("AttentionBackward", s, qkv, out, lse, dout, dqkv)
	attnBwdFlash(c, s, qkv, out, lse, dout, dqkv)
}

func checkAttnFwd(call string, s AttentionShape, qkv, out, lse []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "qkv", qkv, s.QKVLen(), "Batch·T·3·Heads·HeadDim")
	checkShapeLen(call, s, "out", out, s.OutLen(), "Batch·T·Heads·HeadDim")
	checkShapeLen(call, s, "lse", lse, s.LSELen(), "Batch·Heads·T")
}

func checkAttnBwd(call string, s AttentionShape, qkv, out, lse, dout, dqkv []float32) {
	checkAttnFwd(call, s, qkv, out, lse)
	checkShapeLen(call, s, "dout", dout, s.OutLen(), "Batch·T·Heads·HeadDim")
	checkShapeLen(call, s, "dqkv", dqkv, s.QKVLen(), "Batch·T·3·Heads·HeadDim")
}

// attnIndex locates head h of sequence b in the packed tensors: the offsets
// of its q, k and v in qkv (row t adds t·3d), of its output in out (row t
// adds t·d) and of its lse row.
func attnIndex(s AttentionShape, b, h int) (q, k, v, o, l int) {
	d, hd := s.D(), s.HeadDim
	q = b*s.T*3*d + h*hd
	return q, q + d, q + 2*d, b*s.T*d + h*hd, (b*s.Heads + h) * s.T
}

// attnScale is α = 1/√HeadDim.
func attnScale(s AttentionShape) float64 { return 1 / math.Sqrt(float64(s.HeadDim)) }

// attnNaiveProbs sets p[k] = p_tk for k ≤ t (float64) of query t of the
// head at offsets qo, ko, returning lse_t.
func attnNaiveProbs(s AttentionShape, qkv []float32, qo, ko, t int, p []float64) float64 {
	d3, hd, a := 3*s.D(), s.HeadDim, attnScale(s)
	m := math.Inf(-1)
	for k := 0; k <= t; k++ {
		var dot float64
		for c := 0; c < hd; c++ {
			dot += float64(qkv[qo+t*d3+c]) * float64(qkv[ko+k*d3+c])
		}
		p[k] = a * dot
		m = max(m, p[k])
	}
	var sum float64
	for k := 0; k <= t; k++ {
		p[k] = math.Exp(p[k] - m)
		sum += p[k]
	}
	for k := 0; k <= t; k++ {
		p[k] /= sum
	}
	return m + math.Log(sum)
}

// attnFwdNaive is the definition of the forward.
func attnFwdNaive(ctx *Context, s AttentionShape, qkv, out, lse []float32) {
	checkAttnFwd("attention-fwd naive", s, qkv, out, lse)
	d, d3, hd := s.D(), 3*s.D(), s.HeadDim
	ctx.ParallelFor(s.Batch*s.Heads, func(_, lo, hi int) {
		p, o := make([]float64, s.T), make([]float64, hd)
		for bh := lo; bh < hi; bh++ {
			qo, ko, vo, oo, lo := attnIndex(s, bh/s.Heads, bh%s.Heads)
			for t := 0; t < s.T; t++ {
				lse[lo+t] = float32(attnNaiveProbs(s, qkv, qo, ko, t, p))
				clear(o)
				for k := 0; k <= t; k++ {
					for c := range o {
						o[c] += p[k] * float64(qkv[vo+k*d3+c])
					}
				}
				for c, v := range o {
					out[oo+t*d+c] = float32(v)
				}
			}
		}
	})
}

// attnBwdNaive is the definition of the backward; it recomputes P from qkv
// and reads neither out nor lse.
func attnBwdNaive(ctx *Context, s AttentionShape, qkv, out, lse, dout, dqkv []float32) {
	checkAttnBwd("attention-bwd naive", s, qkv, out, lse, dout, dqkv)
	d, d3, hd, T := s.D(), 3*s.D(), s.HeadDim, s.T
	a := attnScale(s)
	ctx.ParallelFor(s.Batch*s.Heads, func(_, lo, hi int) {
		p, dp := make([]float64, T), make([]float64, T)
		dq, dk, dv := make([]float64, T*hd), make([]float64, T*hd), make([]float64, T*hd)
		for bh := lo; bh < hi; bh++ {
			qo, ko, vo, oo, _ := attnIndex(s, bh/s.Heads, bh%s.Heads)
			clear(dq)
			clear(dk)
			clear(dv)
			for t := 0; t < T; t++ {
				attnNaiveProbs(s, qkv, qo, ko, t, p)
				var D float64
				for k := 0; k <= t; k++ {
					var dot float64
					for c := 0; c < hd; c++ {
						dot += float64(dout[oo+t*d+c]) * float64(qkv[vo+k*d3+c])
					}
					dp[k] = dot
					D += p[k] * dot
				}
				for k := 0; k <= t; k++ {
					ds := p[k] * (dp[k] - D)
					for c := 0; c < hd; c++ {
						dv[k*hd+c] += p[k] * float64(dout[oo+t*d+c])
						dq[t*hd+c] += a * ds * float64(qkv[ko+k*d3+c])
						dk[k*hd+c] += a * ds * float64(qkv[qo+t*d3+c])
					}
				}
			}
			for t := 0; t < T; t++ {
				for c := 0; c < hd; c++ {
					dqkv[qo+t*d3+c] = float32(dq[t*hd+c])
					dqkv[ko+t*d3+c] = float32(dk[t*hd+c])
					dqkv[vo+t*d3+c] = float32(dv[t*hd+c])
				}
			}
		}
	})
}

// attnBuf is one thread's buffers of the flash kernels.
type attnBuf struct {
	s, p []float32 // attnBr×attnBc tiles: scores/probabilities, dP/dS
	m, l []float64 // the forward's running row maxima and sums
	dvec []float32 // the backward's D_t of one head, T values
	qs   []float32 // α·q: the forward's query block (attnBr×HeadDim), the backward's head (T×HeadDim)
	// ws are the backward's workspaces of the products whose B is a key or
	// value block (Kᵀ, Vᵀ, K), kept packed across that block's query blocks.
	ws [3]gemm.Workspace
}

// prepareAttn stores the call's arguments and grows every thread's
// buffers.
func (c *Context) prepareAttn(s AttentionShape) {
	j := &c.tf
	j.attn = s
	j.kern = gemm.KernelFor(c.isa)
	j.bl = gemm.BlockingFor(j.kern, c.caches)
	if c.blocking != nil {
		j.bl = *c.blocking
	}
	j.scale = float32(attnScale(s))
	if len(j.attnBufs) < c.Threads() {
		j.attnBufs = make([]attnBuf, c.Threads())
	}
	for i := range j.attnBufs {
		b := &j.attnBufs[i]
		// The heads go to whichever thread is free: every thread's GEMM
		// workspaces are grown now, so that none allocates in a later call.
		for w := range b.ws {
			b.ws[w].Reserve(j.kern, j.bl)
		}
		if i < len(c.gemmWS) {
			c.gemmWS[i].Reserve(j.kern, j.bl)
		}
		if len(b.s) < attnBr*attnBc {
			b.s, b.p = make([]float32, attnBr*attnBc), make([]float32, attnBr*attnBc)
			b.m, b.l = make([]float64, attnBr), make([]float64, attnBr)
		}
		if len(b.dvec) < s.T {
			b.dvec = make([]float32, s.T)
		}
		if n := max(s.T, attnBr) * s.HeadDim; len(b.qs) < n {
			b.qs = make([]float32, n)
		}
	}
}

func attnFwdFlashChecked(ctx *Context, s AttentionShape, qkv, out, lse []float32) {
	checkAttnFwd("attention-fwd flash", s, qkv, out, lse)
	attnFwdFlash(ctx, s, qkv, out, lse)
}

func attnFwdFlash(ctx *Context, s AttentionShape, qkv, out, lse []float32) {
	j := &ctx.tf
	ctx.prepareAttn(s)
	j.x, j.y, j.lse = qkv, out, lse
	n := s.Batch * s.Heads * ((s.T + attnBr - 1) / attnBr)
	ctx.forRanges(n, min(n, max(1, ctx.Threads()*64)), attnFwdBody)
	j.release()
}

// attnFwdBody computes the output rows of items [lo, hi): item i is query
// block nq−1−i/(Batch·Heads) of head (sequence, head) i%(Batch·Heads), so
// the costliest blocks (the last, with the most keys) come first.
func attnFwdBody(ctx *Context, tid, lo, hi int) {
	j := &ctx.tf
	s := j.attn
	bh := s.Batch * s.Heads
	nq := (s.T + attnBr - 1) / attnBr
	for it := lo; it < hi; it++ {
		qb := nq - 1 - it/bh
		ctx.attnFwdBlock(tid, (it%bh)/s.Heads, (it%bh)%s.Heads, qb*attnBr, min(qb*attnBr+attnBr, s.T))
	}
}

// attnFwdBlock computes output rows [q0, q1) of head h of sequence b.
func (c *Context) attnFwdBlock(tid, b, h, q0, q1 int) {
	j := &c.tf
	s := j.attn
	buf := &j.attnBufs[tid]
	kv := c.tfv()
	d, d3, hd := s.D(), 3*s.D(), s.HeadDim
	qo, ko, vo, oo, lo := attnIndex(s, b, h)
	rows := q1 - q0
	m, l := buf.m[:rows], buf.l[:rows]
	outBlk := j.y[oo+q0*d:]
	// α folded into a copy of the query block: the score product then
	// reads A in place instead of packing (and scaling) it per key block.
	qs := buf.qs[:rows*hd]
	for i := 0; i < rows; i++ {
		q := qs[i*hd : (i+1)*hd]
		copy(q, j.x[qo+(q0+i)*d3:])
		kv.Scale(q, j.scale)
	}
	for k1 := q1; k1 > 0; k1 -= attnBc {
		k0 := max(0, k1-attnBc)
		nk := k1 - k0
		first := k1 == q1
		sc := buf.s[:rows*nk]
		c.tileGemm(tid, NoTrans, Trans, rows, nk, hd, 1, qs, hd, j.x[ko+k0*d3:], d3, 0, sc, nk)
		for i := 0; i < rows; i++ {
			row := sc[i*nk : (i+1)*nk]
			valid := min(k1, q0+i+1) - k0
			if valid <= 0 { // only if attnBc < attnBr
				clear(row)
				if first {
					m[i], l[i] = math.Inf(-1), 0
				}
				continue
			}
			mnew := kv.RowMax(row[:valid])
			if !first {
				mnew = max(mnew, float32(m[i]))
			}
			sum := float64(kv.ExpSum(row[:valid], mnew))
			clear(row[valid:])
			switch {
			case first:
				l[i] = sum
			case float32(m[i]) != mnew:
				corr := exp32(float32(m[i]) - mnew)
				l[i] = l[i]*float64(corr) + sum
				o := outBlk[i*d : i*d+hd]
				for c := range o {
					o[c] *= corr
				}
			default:
				l[i] += sum
			}
			m[i] = float64(mnew)
		}
		beta := float32(1)
		if first {
			beta = 0
		}
		c.tileGemm(tid, NoTrans, NoTrans, rows, hd, nk, 1, sc, nk, j.x[vo+k0*d3:], d3, beta, outBlk, d)
	}
	for i := 0; i < rows; i++ {
		inv := float32(1 / l[i])
		o := outBlk[i*d : i*d+hd]
		for c := range o {
			o[c] *= inv
		}
		j.lse[lo+q0+i] = float32(m[i] + math.Log(l[i]))
	}
}

func attnBwdFlashChecked(ctx *Context, s AttentionShape, qkv, out, lse, dout, dqkv []float32) {
	checkAttnBwd("attention-bwd flash", s, qkv, out, lse, dout, dqkv)
	attnBwdFlash(ctx, s, qkv, out, lse, dout, dqkv)
}

func attnBwdFlash(ctx *Context, s AttentionShape, qkv, out, lse, dout, dqkv []float32) {
	j := &ctx.tf
	ctx.prepareAttn(s)
	j.x, j.y, j.lse, j.dy, j.dx = qkv, out, lse, dout, dqkv
	n := s.Batch * s.Heads
	ctx.forRanges(n, n, attnBwdBody)
	j.release()
}

func attnBwdBody(ctx *Context, tid, lo, hi int) {
	for bh := lo; bh < hi; bh++ {
		ctx.attnBwdHead(tid, bh/ctx.tf.attn.Heads, bh%ctx.tf.attn.Heads)
	}
}

// attnBwdHead computes the gradients of head h of sequence b.
func (c *Context) attnBwdHead(tid, b, h int) {
	j := &c.tf
	s := j.attn
	buf := &j.attnBufs[tid]
	kv := c.tfv()
	d, d3, hd, T := s.D(), 3*s.D(), s.HeadDim, s.T
	qo, ko, vo, oo, lo := attnIndex(s, b, h)
	// D_t = dO_t·o_t, and dQ cleared: the key blocks add into it; qs =
	// α·q, so that no product scales (dQ is scaled by α at the end).
	dvec, qs := buf.dvec[:T], buf.qs[:T*hd]
	for t := 0; t < T; t++ {
		q := qs[t*hd : (t+1)*hd]
		copy(q, j.x[qo+t*d3:])
		kv.Scale(q, j.scale)
		dvec[t] = float32(kv.Dot64(j.y[oo+t*d:oo+t*d+hd], j.dy[oo+t*d:]))
		clear(j.dx[qo+t*d3 : qo+t*d3+hd])
	}
	lse := j.lse[lo : lo+T]
	wsKT, wsVT, wsK := &buf.ws[0], &buf.ws[1], &buf.ws[2]
	for i := range buf.ws {
		buf.ws[i].KeepB() // and forget what a previous head kept
	}
	for k0 := 0; k0 < T; k0 += attnBc {
		k1 := min(k0+attnBc, T)
		nk := k1 - k0
		beta := float32(0)
		for q0 := k0; q0 < T; q0 += attnBr {
			q1 := min(q0+attnBr, T)
			rows := q1 - q0
			p, ds := buf.s[:rows*nk], buf.p[:rows*nk]
			c.tileGemmWS(wsKT, NoTrans, Trans, rows, nk, hd, 1, qs[q0*hd:], hd, j.x[ko+k0*d3:], d3, 0, p, nk)
			c.tileGemmWS(wsVT, NoTrans, Trans, rows, nk, hd, 1, j.dy[oo+q0*d:], d, j.x[vo+k0*d3:], d3, 0, ds, nk)
			for i := 0; i < rows; i++ {
				q := q0 + i
				valid := min(k1, q+1) - k0
				pr, dr := p[i*nk:(i+1)*nk], ds[i*nk:(i+1)*nk]
				kv.SoftmaxBwd(pr[:valid], dr[:valid], lse[q], dvec[q])
				clear(pr[valid:])
				clear(dr[valid:])
			}
			c.tileGemm(tid, Trans, NoTrans, nk, hd, rows, 1, p, nk, j.dy[oo+q0*d:], d, beta, j.dx[vo+k0*d3:], d3)
			c.tileGemm(tid, Trans, NoTrans, nk, hd, rows, 1, ds, nk, qs[q0*hd:], hd, beta, j.dx[ko+k0*d3:], d3)
			c.tileGemmWS(wsK, NoTrans, NoTrans, rows, hd, nk, 1, ds, nk, j.x[ko+k0*d3:], d3, 1, j.dx[qo+q0*d3:], d3)
			beta = 1
		}
	}
	for i := range buf.ws {
		buf.ws[i].DropB()
	}
	for t := 0; t < T; t++ {
		kv.Scale(j.dx[qo+t*d3:qo+t*d3+hd], j.scale)
	}
}
