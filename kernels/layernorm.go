package kernels

import (
	"math"

	"github.com/trainbench/trainbench/kernels/internal/parallel"
	"github.com/trainbench/trainbench/shape"
)

// Layer normalisation (LayerNormShape; FLOP and byte formulas there): each
// of Rows positions x[r,:] of D features is normalised over its features,
// then scaled and shifted per feature. The definitions (the naive
// implementations are written exactly so, in float64, rounding only what
// they store):
//
//	forward:
//	  μ_r = (1/D)·Σ_c x[r,c]
//	  σ²_r = (1/D)·Σ_c (x[r,c] − μ_r)²                (biased)
//	  rstd_r = 1/√(σ²_r + ε)                          (ε = LayerNormEps)
//	  y[r,c] = γ_c·(x[r,c] − μ_r)·rstd_r + β_c
//	  Mean_r = μ_r, RStd_r = rstd_r                   (saved for backward)
//	backward, with x̂ = (x − Mean_r)·RStd_r from the saved statistics:
//	  dβ_c = Σ_r dy[r,c]
//	  dγ_c = Σ_r dy[r,c]·x̂[r,c]
//	  g    = dy·γ_c
//	  dx   = RStd_r·(g − (1/D)·Σ_c g − x̂·(1/D)·Σ_c g·x̂)
//
// dγ and dβ are set, not accumulated. ε is PyTorch's default, as GPT-2
// uses it.
//
// The fast ("simd") forward runs whole rows on one thread: the two row sums
// in float64 (Σx, then Σ(x − μ)²), then y = (x − μ)·(rstd·γ) + β in
// float32. The fast backward walks the rows in at most lnChunks fixed
// chunks, split across the threads; per row, one pass adds dy and dy·x̂
// into its chunk's own float64 partials of dβ and dγ and sums g = dy·γ and
// g·x̂ in float64, a second sets dx; the chunks' partials are combined in
// chunk order, so the results do not depend on the thread count. The row
// passes are tfvec's generated routines (avx2, avx512; its pure-Go twins
// at generic), whose float64 sums keep 16 partials in a fixed order.

// LayerNormShape describes layer normalisation (shape.LayerNorm).
type LayerNormShape = shape.LayerNorm

// LayerNormEps is ε of the definition.
const LayerNormEps = 1e-5

// LayerNormFwdFunc normalises x into y with scale gamma and shift beta
// (length D), saving each row's mean and inverse deviation (length Rows).
type LayerNormFwdFunc func(ctx *Context, s LayerNormShape, x, gamma, beta, y, mean, rstd []float32)

// LayerNormGrads are the gradients of a layer-norm backward call.
type LayerNormGrads struct {
	DY            []float32 // the gradient of the output (read), Rows·D
	DX            []float32 // the gradient of the input (written), Rows·D; may alias DY
	DGamma, DBeta []float32 // the parameters' gradients (written), D
}

// LayerNormBwdFunc computes the gradients of a forward on x from the
// statistics it saved.
type LayerNormBwdFunc func(ctx *Context, s LayerNormShape, x, gamma, mean, rstd []float32, g LayerNormGrads)

// The layer-norm registries: naive (the definition) and simd.
var (
	LayerNormFwdImpls = NewRegistry[LayerNormFwdFunc]("layernorm-fwd")
	LayerNormBwdImpls = NewRegistry[LayerNormBwdFunc]("layernorm-bwd")
)

func init() {
	LayerNormFwdImpls.Register(Impl[LayerNormFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: lnFwdNaive, Doc: "the definition in float64, rows split across threads"})
	LayerNormFwdImpls.Register(Impl[LayerNormFwdFunc]{Name: "simd", Mode: PerISA, Fn: lnFwdSIMDChecked, Doc: "float64 row sums and float32 affine pass (generated avx2/avx512 routines), rows split across threads"})
	LayerNormBwdImpls.Register(Impl[LayerNormBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: lnBwdNaive, Doc: "the definition in float64, one thread"})
	LayerNormBwdImpls.Register(Impl[LayerNormBwdFunc]{Name: "simd", Mode: PerISA, Fn: lnBwdSIMDChecked, Doc: "fixed row chunks with float64 partials of dγ, dβ, combined in order; generated avx2/avx512 row passes"})
}

// LayerNormForward normalises each row of x into y, scaled by gamma and
// shifted by beta, and saves the rows' means and inverse deviations in
// mean and rstd for LayerNormBackward. y may alias x. It panics if the
// shape does not Validate or a length differs from the shape's (x, y:
// Rows·D; gamma, beta: D; mean, rstd: Rows).
func (c *Context) LayerNormForward(s LayerNormShape, x, gamma, beta, y, mean, rstd []float32) {
	checkLNFwd("LayerNormForward", s, x, gamma, beta, y, mean, rstd)
	lnFwdSIMD(c, s, x, gamma, beta, y, mean, rstd)
}

// LayerNormBackward sets g.DX, g.DGamma and g.DBeta from g.DY, the
// forward's input x, gamma and the statistics it saved. g.DX may alias
// g.DY. It panics like LayerNormForward.
func (c *Context) LayerNormBackward(s LayerNormShape, x, gamma, mean, rstd []float32, g LayerNormGrads) {
	checkLNBwd("LayerNormBackward", s, x, gamma, mean, rstd, g)
	lnBwdSIMD(c, s, x, gamma, mean, rstd, g)
}

func checkLNFwd(call string, s LayerNormShape, x, gamma, beta, y, mean, rstd []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.Len(), "Rows·D")
	checkShapeLen(call, s, "y", y, s.Len(), "Rows·D")
	checkShapeLen(call, s, "gamma", gamma, s.D, "D")
	checkShapeLen(call, s, "beta", beta, s.D, "D")
	checkShapeLen(call, s, "mean", mean, s.Rows, "Rows")
	checkShapeLen(call, s, "rstd", rstd, s.Rows, "Rows")
}

func checkLNBwd(call string, s LayerNormShape, x, gamma, mean, rstd []float32, g LayerNormGrads) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.Len(), "Rows·D")
	checkShapeLen(call, s, "gamma", gamma, s.D, "D")
	checkShapeLen(call, s, "mean", mean, s.Rows, "Rows")
	checkShapeLen(call, s, "rstd", rstd, s.Rows, "Rows")
	checkShapeLen(call, s, "g.DY", g.DY, s.Len(), "Rows·D")
	checkShapeLen(call, s, "g.DX", g.DX, s.Len(), "Rows·D")
	checkShapeLen(call, s, "g.DGamma", g.DGamma, s.D, "D")
	checkShapeLen(call, s, "g.DBeta", g.DBeta, s.D, "D")
}

// lnFwdNaive is the definition of the forward.
func lnFwdNaive(ctx *Context, s LayerNormShape, x, gamma, beta, y, mean, rstd []float32) {
	checkLNFwd("layernorm-fwd naive", s, x, gamma, beta, y, mean, rstd)
	D := s.D
	ctx.ParallelFor(s.Rows, func(_, lo, hi int) {
		for r := lo; r < hi; r++ {
			row := x[r*D : (r+1)*D]
			var sum float64
			for _, v := range row {
				sum += float64(v)
			}
			mu := sum / float64(D)
			var sq float64
			for _, v := range row {
				sq += (float64(v) - mu) * (float64(v) - mu)
			}
			inv := 1 / math.Sqrt(sq/float64(D)+LayerNormEps)
			for c, v := range row {
				y[r*D+c] = float32(float64(gamma[c])*(float64(v)-mu)*inv + float64(beta[c]))
			}
			mean[r], rstd[r] = float32(mu), float32(inv)
		}
	})
}

// lnBwdNaive is the definition of the backward.
func lnBwdNaive(ctx *Context, s LayerNormShape, x, gamma, mean, rstd []float32, g LayerNormGrads) {
	checkLNBwd("layernorm-bwd naive", s, x, gamma, mean, rstd, g)
	D := s.D
	dgamma, dbeta := make([]float64, D), make([]float64, D)
	xh, gv := make([]float64, D), make([]float64, D)
	for r := 0; r < s.Rows; r++ {
		mu, inv := float64(mean[r]), float64(rstd[r])
		var sg, sgx float64
		for c := 0; c < D; c++ {
			dy := float64(g.DY[r*D+c])
			xh[c] = (float64(x[r*D+c]) - mu) * inv
			gv[c] = dy * float64(gamma[c])
			dbeta[c] += dy
			dgamma[c] += dy * xh[c]
			sg += gv[c]
			sgx += gv[c] * xh[c]
		}
		for c := 0; c < D; c++ {
			g.DX[r*D+c] = float32(inv * (gv[c] - sg/float64(D) - xh[c]*sgx/float64(D)))
		}
	}
	for c := 0; c < D; c++ {
		g.DGamma[c], g.DBeta[c] = float32(dgamma[c]), float32(dbeta[c])
	}
}

func lnFwdSIMDChecked(ctx *Context, s LayerNormShape, x, gamma, beta, y, mean, rstd []float32) {
	checkLNFwd("layernorm-fwd simd", s, x, gamma, beta, y, mean, rstd)
	lnFwdSIMD(ctx, s, x, gamma, beta, y, mean, rstd)
}

func lnFwdSIMD(ctx *Context, s LayerNormShape, x, gamma, beta, y, mean, rstd []float32) {
	j := &ctx.tf
	j.ln, j.x, j.w, j.b, j.y, j.mean, j.rstd = s, x, gamma, beta, y, mean, rstd
	ctx.forRanges(s.Rows, loopChunks(s.Rows, min(ctx.Threads(), s.Len()/max(1, elemPerThread(8))), 1), lnFwdBody)
	j.release()
}

func lnFwdBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	k := ctx.tfv()
	D := j.ln.D
	gamma, beta := j.w[:D], j.b[:D]
	for r := lo; r < hi; r++ {
		row, out := j.x[r*D:(r+1)*D], j.y[r*D:(r+1)*D]
		mu := k.Sum64(row) / float64(D)
		inv := 1 / math.Sqrt(k.SqDev64(row, mu)/float64(D)+LayerNormEps)
		m32, i32 := float32(mu), float32(inv)
		k.LNAffine(out, row, gamma, beta, m32, i32)
		j.mean[r], j.rstd[r] = m32, i32
	}
}

// lnChunks is the most row chunks the fast backward's parameter gradients
// are split into: fixed, so results do not depend on the thread count.
const lnChunks = 16

func lnBwdSIMDChecked(ctx *Context, s LayerNormShape, x, gamma, mean, rstd []float32, g LayerNormGrads) {
	checkLNBwd("layernorm-bwd simd", s, x, gamma, mean, rstd, g)
	lnBwdSIMD(ctx, s, x, gamma, mean, rstd, g)
}

func lnBwdSIMD(ctx *Context, s LayerNormShape, x, gamma, mean, rstd []float32, g LayerNormGrads) {
	j := &ctx.tf
	D := s.D
	j.chunks = max(1, min(lnChunks, s.Rows, s.Len()/max(1, elemPerThread(12))))
	part := j.growPart(2 * j.chunks * D)
	j.ln, j.x, j.w, j.mean, j.rstd, j.dy, j.dx = s, x, gamma, mean, rstd, g.DY, g.DX
	ctx.forRanges(j.chunks, min(ctx.Threads(), j.chunks), lnBwdBody)
	for c := 0; c < D; c++ {
		var sb, sg float64
		for k := 0; k < j.chunks; k++ {
			sb += part[2*k*D+c]
			sg += part[(2*k+1)*D+c]
		}
		g.DBeta[c], g.DGamma[c] = float32(sb), float32(sg)
	}
	j.release()
}

// lnBwdBody computes dx of the rows of chunks [lo, hi) and their partials
// of dβ and dγ.
func lnBwdBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	k := ctx.tfv()
	D, rows := j.ln.D, j.ln.Rows
	gamma := j.w[:D]
	for c := lo; c < hi; c++ {
		pb, pg := j.part[2*c*D:(2*c+1)*D], j.part[(2*c+1)*D:(2*c+2)*D]
		r0, r1 := parallel.Split(rows, j.chunks, c)
		for r := r0; r < r1; r++ {
			xr, dy, dx := j.x[r*D:(r+1)*D], j.dy[r*D:(r+1)*D], j.dx[r*D:(r+1)*D]
			mu, inv := j.mean[r], j.rstd[r]
			sg, sgx := k.LNBwdSums(dy, xr, gamma, pb, pg, mu, inv)
			k.LNBwdDx(dx, dy, xr, gamma, mu, inv, float32(sg/float64(D)), float32(sgx/float64(D)))
		}
	}
}
