package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/shape"
)

// Token + position embedding (EmbeddingShape; FLOP and byte formulas
// there): Batch sequences of T token ids tok[b,t] ∈ [0, Vocab), a token
// table wte [Vocab][D] and a position table wpe [Positions][D]. The
// definitions (the naive implementations are written exactly so, the
// backward's sums in float64, rounded once into the tables):
//
//	forward:   x[b,t,c] = wte[tok[b,t],c] + wpe[t,c]
//	backward:  dwte[v,c] += Σ_{(b,t): tok[b,t] = v} dy[b,t,c]
//	           dwpe[t,c] += Σ_b dy[b,t,c]
//
// The backward adds into the tables' gradients rather than setting them:
// GPT-2 ties wte to the output projection, whose gradient the caller has
// put there already (the caller zeroes them otherwise).
//
// The fast ("simd") forward copies and adds rows split across threads; the
// fast backward splits the D columns into fixed chunks (multiples of 16
// floats, one cache line) and walks every position in order within its
// chunk, adding dy into the gradient rows in float32. Each gradient element
// is so summed in position order by one thread, whatever the thread count:
// the results are bit-identical for every thread count, with no atomics and
// no per-thread copies of the 154 MB token table. Plain Go at every ISA
// level.

// EmbeddingShape describes a token + position embedding (shape.Embedding).
type EmbeddingShape = shape.Embedding

// EmbeddingFwdFunc sets x from the token ids and the two tables.
type EmbeddingFwdFunc func(ctx *Context, s EmbeddingShape, tokens []int32, wte, wpe, x []float32)

// EmbeddingBwdFunc adds the output gradient dy into the tables' gradients.
type EmbeddingBwdFunc func(ctx *Context, s EmbeddingShape, tokens []int32, dy, dwte, dwpe []float32)

// The embedding registries: naive (the definition) and simd.
var (
	EmbeddingFwdImpls = NewRegistry[EmbeddingFwdFunc]("embedding-fwd")
	EmbeddingBwdImpls = NewRegistry[EmbeddingBwdFunc]("embedding-bwd")
)

func init() {
	EmbeddingFwdImpls.Register(Impl[EmbeddingFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: embFwdNaive, Doc: "the definition in float64, positions split across threads"})
	EmbeddingFwdImpls.Register(Impl[EmbeddingFwdFunc]{Name: "simd", Mode: PerISA, Fn: embFwdSIMDChecked, Doc: "row adds, positions split across threads"})
	EmbeddingBwdImpls.Register(Impl[EmbeddingBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: embBwdNaive, Doc: "the definition: float64 sums per table row, rows split across threads"})
	EmbeddingBwdImpls.Register(Impl[EmbeddingBwdFunc]{Name: "simd", Mode: PerISA, Fn: embBwdSIMDChecked, Doc: "float32 scatter-add in position order, columns split across threads"})
}

// EmbeddingForward sets x[b,t,:] = wte[tokens[b·T+t],:] + wpe[t,:]. It
// panics if the shape does not Validate, a length differs from the
// shape's (tokens Batch·T, wte Vocab·D, wpe Positions·D, x Batch·T·D), or
// a token id is outside [0, Vocab), naming its index.
func (c *Context) EmbeddingForward(s EmbeddingShape, tokens []int32, wte, wpe, x []float32) {
	checkEmbFwd("EmbeddingForward", s, tokens, wte, wpe, x)
	embFwdSIMD(c, s, tokens, wte, wpe, x)
}

// EmbeddingBackward adds the gradient dy of the forward's output into dwte
// (the rows of the tokens) and dwpe (the first T rows). It panics like
// EmbeddingForward.
func (c *Context) EmbeddingBackward(s EmbeddingShape, tokens []int32, dy, dwte, dwpe []float32) {
	checkEmbBwd("EmbeddingBackward", s, tokens, dy, dwte, dwpe)
	embBwdSIMD(c, s, tokens, dy, dwte, dwpe)
}

func checkEmbTokens(call string, s EmbeddingShape, tokens []int32) {
	checkShapeLen(call, s, "tokens", tokens, s.Tokens(), "Batch·T")
	for i, v := range tokens {
		if v < 0 || int(v) >= s.Vocab {
			panic(fmt.Sprintf("kernels: %s %v: tokens[%d] = %d, outside [0, %d)", call, s.String(), i, v, s.Vocab))
		}
	}
}

func checkEmbFwd(call string, s EmbeddingShape, tokens []int32, wte, wpe, x []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "wte", wte, s.Vocab*s.D, "Vocab·D")
	checkShapeLen(call, s, "wpe", wpe, s.Positions*s.D, "Positions·D")
	checkShapeLen(call, s, "x", x, s.Len(), "Batch·T·D")
	checkEmbTokens(call, s, tokens)
}

func checkEmbBwd(call string, s EmbeddingShape, tokens []int32, dy, dwte, dwpe []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "dy", dy, s.Len(), "Batch·T·D")
	checkShapeLen(call, s, "dwte", dwte, s.Vocab*s.D, "Vocab·D")
	checkShapeLen(call, s, "dwpe", dwpe, s.Positions*s.D, "Positions·D")
	checkEmbTokens(call, s, tokens)
}

// embFwdNaive is the definition of the forward.
func embFwdNaive(ctx *Context, s EmbeddingShape, tokens []int32, wte, wpe, x []float32) {
	checkEmbFwd("embedding-fwd naive", s, tokens, wte, wpe, x)
	D := s.D
	ctx.ParallelFor(s.Tokens(), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			tok, t := int(tokens[i]), i%s.T
			for c := 0; c < D; c++ {
				x[i*D+c] = float32(float64(wte[tok*D+c]) + float64(wpe[t*D+c]))
			}
		}
	})
}

// embBwdNaive is the definition of the backward: each token row's and
// position row's sums in float64, then added into the gradient once.
func embBwdNaive(ctx *Context, s EmbeddingShape, tokens []int32, dy, dwte, dwpe []float32) {
	checkEmbBwd("embedding-bwd naive", s, tokens, dy, dwte, dwpe)
	D, n := s.D, s.Tokens()
	ctx.ParallelFor(s.Vocab+s.T, func(_, lo, hi int) {
		sum := make([]float64, D)
		for r := lo; r < hi; r++ {
			clear(sum)
			any := false
			for i := 0; i < n; i++ {
				if (r < s.Vocab && int(tokens[i]) == r) || (r >= s.Vocab && i%s.T == r-s.Vocab) {
					any = true
					for c := range sum {
						sum[c] += float64(dy[i*D+c])
					}
				}
			}
			if !any {
				continue
			}
			var g []float32
			if r < s.Vocab {
				g = dwte[r*D : (r+1)*D]
			} else {
				g = dwpe[(r-s.Vocab)*D : (r-s.Vocab+1)*D]
			}
			for c := range g {
				g[c] = float32(float64(g[c]) + sum[c])
			}
		}
	})
}

func embFwdSIMDChecked(ctx *Context, s EmbeddingShape, tokens []int32, wte, wpe, x []float32) {
	checkEmbFwd("embedding-fwd simd", s, tokens, wte, wpe, x)
	embFwdSIMD(ctx, s, tokens, wte, wpe, x)
}

func embFwdSIMD(ctx *Context, s EmbeddingShape, tokens []int32, wte, wpe, x []float32) {
	j := &ctx.tf
	j.emb, j.tokens, j.w, j.b, j.y = s, tokens, wte, wpe, x
	n := s.Tokens()
	ctx.forRanges(n, loopChunks(n, min(ctx.Threads(), n*s.D/max(1, elemPerThread(12))), 1), embFwdBody)
	j.release()
}

func embFwdBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	D, T := j.emb.D, j.emb.T
	for i := lo; i < hi; i++ {
		tok, t := int(j.tokens[i]), i%T
		e, p, x := j.w[tok*D:(tok+1)*D], j.b[t*D:(t+1)*D], j.y[i*D:(i+1)*D]
		p, x = p[:len(e)], x[:len(e)]
		for c, v := range e {
			x[c] = float32(float64(v) + float64(p[c])) // one rounding, as the definition
		}
	}
}

// embColChunk is the column granularity of the fast backward: 16 float32s,
// one cache line, so that no two threads write the same line.
const embColChunk = 16

func embBwdSIMDChecked(ctx *Context, s EmbeddingShape, tokens []int32, dy, dwte, dwpe []float32) {
	checkEmbBwd("embedding-bwd simd", s, tokens, dy, dwte, dwpe)
	embBwdSIMD(ctx, s, tokens, dy, dwte, dwpe)
}

func embBwdSIMD(ctx *Context, s EmbeddingShape, tokens []int32, dy, dwte, dwpe []float32) {
	j := &ctx.tf
	j.emb, j.tokens, j.dy, j.dw, j.db = s, tokens, dy, dwte, dwpe
	groups := (s.D + embColChunk - 1) / embColChunk
	threads := min(ctx.Threads(), s.Len()/max(1, elemPerThread(20)))
	ctx.forRanges(groups, loopChunks(groups, threads, 1), embBwdBody)
	j.release()
}

// embBwdBody adds dy into the gradient tables' columns of column groups
// [lo, hi), walking the positions in order.
func embBwdBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	D, T := j.emb.D, j.emb.T
	c0, c1 := lo*embColChunk, min(hi*embColChunk, D)
	for i, tok := range j.tokens {
		t := i % T
		g := j.dy[i*D+c0 : i*D+c1]
		e := j.dw[int(tok)*D+c0 : int(tok)*D+c1]
		p := j.db[t*D+c0 : t*D+c1]
		e, p = e[:len(g)], p[:len(g)]
		for c, v := range g {
			e[c] += v
			p[c] += v
		}
	}
}
