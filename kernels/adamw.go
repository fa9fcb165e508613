package kernels

import (
	"fmt"
	"math"
	"sort"
)

// AdamW and gradient clipping by global norm, the optimizer step of GPT-2
// recipes (FLOP and byte formulas: shape.OpAdamW, OpGradNorm).
//
// AdamW (Loshchilov & Hutter; PyTorch's torch.optim.AdamW), step t ≥ 1, for
// each parameter slice, the decay only on slices marked Decay (GPT-2
// decays the 2-D weights, not biases, layer-norm parameters or
// embeddings' positions as the recipe says; the caller marks them):
//
//	p ← p − lr·λ·p                                   (Decay slices only)
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
//
// Global-norm clipping (PyTorch's clip_grad_norm_): over every slice,
//
//	norm = √(Σ g²),  and if norm > maxNorm:  g ← g·maxNorm/(norm + 10⁻⁶)
//
// The naive implementations compute each element in float64 and round
// once; the norm is one float64 sum in slice order. The fast ("simd")
// ones: AdamW in float32 as m += (g − m)·(1−β1), v += (g² − v)·(1−β2),
// p = p·(1 − lr·λ) − a·m/(√v·r + ε) with a = lr/(1−β1ᵗ), r = 1/√(1−β2ᵗ),
// over all slices as one index range split across the threads (one
// parallel region per step, however many slices); the norm sums squares in
// float64 over fixed blocks of gnBlock elements of that range, one partial
// per block, added in block order, so the norm does not depend on the
// thread count; the scaling multiplies in float32. The update, the
// blocks' sums of squares (16 float64 partials in a fixed order) and the
// scaling are tfvec's generated routines (avx2, avx512; its pure-Go twins at
// generic).

// AdamWParams are AdamW's hyperparameters.
type AdamWParams struct{ LR, Beta1, Beta2, Eps, WeightDecay float32 }

// DefaultAdamW returns PyTorch's defaults: lr 1e-3, β1 0.9, β2 0.999, ε
// 1e-8, λ 0.01.
func DefaultAdamW() AdamWParams {
	return AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01}
}

// AdamWSlice is one parameter tensor: its values P, gradient G and moments
// M and V (all of one length), and whether weight decay applies.
type AdamWSlice struct {
	P, G, M, V []float32
	Decay      bool
}

// AdamWFunc applies AdamW step t to every slice of ps.
type AdamWFunc func(ctx *Context, ps []AdamWSlice, h AdamWParams, t int)

// ClipGradNormFunc returns the global norm of grads and, if it exceeds
// maxNorm, scales every gradient by maxNorm/(norm + 10⁻⁶).
type ClipGradNormFunc func(ctx *Context, grads [][]float32, maxNorm float64) float64

// The registries: naive (float64 per element, sums in order) and simd.
var (
	AdamWImpls        = NewRegistry[AdamWFunc]("adamw")
	ClipGradNormImpls = NewRegistry[ClipGradNormFunc]("clip-grad-norm")
)

func init() {
	AdamWImpls.Register(Impl[AdamWFunc]{Name: "naive", Mode: GenericOnly, Fn: adamwNaive, Doc: "the definition in float64, each slice split across threads"})
	AdamWImpls.Register(Impl[AdamWFunc]{Name: "simd", Mode: PerISA, Fn: adamwSIMDChecked, Doc: "float32 update (generated avx2/avx512 routine), all slices as one range split across threads"})
	ClipGradNormImpls.Register(Impl[ClipGradNormFunc]{Name: "naive", Mode: GenericOnly, Fn: clipNaive, Doc: "one float64 sum in order, float64 scaling"})
	ClipGradNormImpls.Register(Impl[ClipGradNormFunc]{Name: "simd", Mode: PerISA, Fn: clipSIMDChecked, Doc: "float64 block partials (generated avx2/avx512 sums) added in order, float32 scaling, split across threads"})
}

// AdamW applies AdamW step t (counting from 1) to every slice of ps,
// updating P, M and V in place, the weight decay only where Decay is set.
// It panics if t < 1 or a slice's G, M or V is not as long as its P,
// naming the slice.
func (c *Context) AdamW(ps []AdamWSlice, h AdamWParams, t int) {
	checkAdamW("AdamW", ps, t)
	adamwSIMD(c, ps, h, t)
}

// GradNorm returns √(Σ g²) over every slice of grads, summed in float64 in
// a fixed order (bit-identical for every thread count).
func (c *Context) GradNorm(grads [][]float32) float64 {
	return c.gradNorm(grads)
}

// ClipGradNorm returns the global norm of grads (as GradNorm) and, if it
// is more than maxNorm, scales every gradient by maxNorm/(norm + 10⁻⁶). It
// panics if maxNorm is not positive (NaN included).
func (c *Context) ClipGradNorm(grads [][]float32, maxNorm float64) float64 {
	checkClip("ClipGradNorm", maxNorm)
	return clipSIMD(c, grads, maxNorm)
}

func checkAdamW(call string, ps []AdamWSlice, t int) {
	if t < 1 {
		panic(fmt.Sprintf("kernels: %s: step t = %d, must be ≥ 1", call, t))
	}
	for i, p := range ps {
		if len(p.G) != len(p.P) || len(p.M) != len(p.P) || len(p.V) != len(p.P) {
			panic(fmt.Sprintf("kernels: %s: ps[%d]: len(P) = %d, len(G) = %d, len(M) = %d, len(V) = %d, want all equal",
				call, i, len(p.P), len(p.G), len(p.M), len(p.V)))
		}
	}
}

func checkClip(call string, maxNorm float64) {
	if !(maxNorm > 0) {
		panic(fmt.Sprintf("kernels: %s: maxNorm = %v, must be > 0", call, maxNorm))
	}
}

// adamwNaive is the definition, each element in float64.
func adamwNaive(ctx *Context, ps []AdamWSlice, h AdamWParams, t int) {
	checkAdamW("adamw naive", ps, t)
	lr, b1, b2, eps, wd := float64(h.LR), float64(h.Beta1), float64(h.Beta2), float64(h.Eps), float64(h.WeightDecay)
	bc1, bc2 := 1-math.Pow(b1, float64(t)), 1-math.Pow(b2, float64(t))
	for _, s := range ps {
		ctx.ParallelFor(len(s.P), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				p, g := float64(s.P[i]), float64(s.G[i])
				if s.Decay {
					p -= lr * wd * p
				}
				m := b1*float64(s.M[i]) + (1-b1)*g
				v := b2*float64(s.V[i]) + (1-b2)*g*g
				p -= lr * (m / bc1) / (math.Sqrt(v/bc2) + eps)
				s.P[i], s.M[i], s.V[i] = float32(p), float32(m), float32(v)
			}
		})
	}
}

// adamwScalars are the fast update's float32 constants.
type adamwScalars struct{ a, c1, c2, eps, r, dec float32 }

// flatRanges sets j.offs to the prefix sums of the lengths (n+1 entries)
// and returns the total.
func (j *tfJob) flatRanges(n int, length func(i int) int) int {
	if cap(j.offs) < n+1 {
		j.offs = make([]int, n+1)
	}
	j.offs = j.offs[:n+1]
	j.offs[0] = 0
	for i := 0; i < n; i++ {
		j.offs[i+1] = j.offs[i] + length(i)
	}
	return j.offs[n]
}

// flatFind returns the slice holding flat index lo (its first non-empty
// one).
func (j *tfJob) flatFind(lo int) int {
	return sort.Search(len(j.offs)-1, func(i int) bool { return j.offs[i+1] > lo })
}

func adamwSIMDChecked(ctx *Context, ps []AdamWSlice, h AdamWParams, t int) {
	checkAdamW("adamw simd", ps, t)
	adamwSIMD(ctx, ps, h, t)
}

func adamwSIMD(ctx *Context, ps []AdamWSlice, h AdamWParams, t int) {
	j := &ctx.tf
	b1, b2 := float64(h.Beta1), float64(h.Beta2)
	j.adamwH = adamwScalars{
		a:  float32(float64(h.LR) / (1 - math.Pow(b1, float64(t)))),
		c1: 1 - h.Beta1, c2: 1 - h.Beta2, eps: h.Eps,
		r:   float32(1 / math.Sqrt(1-math.Pow(b2, float64(t)))),
		dec: float32(1 - float64(h.LR)*float64(h.WeightDecay)),
	}
	j.adamw = ps
	n := j.flatRanges(len(ps), func(i int) int { return len(ps[i].P) })
	minPer := max(1, elemPerThread(28))
	ctx.forRanges(n, loopChunks(n, min(ctx.Threads(), n/minPer), 2*minPer), adamwBody)
	j.release()
}

// adamwBody updates flat elements [lo, hi).
func adamwBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	k := ctx.tfv()
	h := j.adamwH
	for i := j.flatFind(lo); lo < hi; i++ {
		s := j.adamw[i]
		a, b := lo-j.offs[i], min(hi, j.offs[i+1])-j.offs[i]
		dec := float32(1)
		if s.Decay {
			dec = h.dec
		}
		k.AdamW(s.P[a:b], s.G[a:b], s.M[a:b], s.V[a:b], h.a, h.c1, h.c2, h.eps, h.r, dec)
		lo = j.offs[i+1]
	}
}

// clipNaive is the definition: one float64 sum in slice order, then each
// element scaled in float64.
func clipNaive(ctx *Context, grads [][]float32, maxNorm float64) float64 {
	checkClip("clip-grad-norm naive", maxNorm)
	var sum float64
	for _, g := range grads {
		for _, v := range g {
			sum += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(sum)
	if norm > maxNorm {
		coef := maxNorm / (norm + 1e-6)
		for _, g := range grads {
			for i, v := range g {
				g[i] = float32(float64(v) * coef)
			}
		}
	}
	return norm
}

// gnBlock is the fast norm's block of the flat index range: one float64
// partial per block, however the blocks are shared out.
const gnBlock = 1 << 14

func clipSIMDChecked(ctx *Context, grads [][]float32, maxNorm float64) float64 {
	checkClip("clip-grad-norm simd", maxNorm)
	return clipSIMD(ctx, grads, maxNorm)
}

func clipSIMD(ctx *Context, grads [][]float32, maxNorm float64) float64 {
	norm := ctx.gradNorm(grads)
	if norm > maxNorm {
		j := &ctx.tf
		j.slices = append(j.slices[:0], grads...)
		j.scale = float32(maxNorm / (norm + 1e-6))
		n := j.flatRanges(len(grads), func(i int) int { return len(grads[i]) })
		minPer := max(1, elemPerThread(8))
		ctx.forRanges(n, loopChunks(n, min(ctx.Threads(), n/minPer), 2*minPer), gradScaleBody)
		j.release()
	}
	return norm
}

func (c *Context) gradNorm(grads [][]float32) float64 {
	j := &c.tf
	j.slices = append(j.slices[:0], grads...)
	n := j.flatRanges(len(grads), func(i int) int { return len(grads[i]) })
	blocks := (n + gnBlock - 1) / gnBlock
	part := j.growPart(blocks)
	minBlocks := max(1, elemPerThread(4)/gnBlock)
	c.forRanges(blocks, loopChunks(blocks, min(c.Threads(), blocks/minBlocks), 1), gradNormBody)
	var sum float64
	for _, p := range part {
		sum += p
	}
	j.release()
	return math.Sqrt(sum)
}

// gradNormBody sums the squares of flat blocks [lo, hi), each into its
// partial.
func gradNormBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	k := ctx.tfv()
	n := j.offs[len(j.offs)-1]
	for blk := lo; blk < hi; blk++ {
		e0, e1 := blk*gnBlock, min(n, (blk+1)*gnBlock)
		var sum float64
		for i := j.flatFind(e0); e0 < e1; i++ {
			sum += k.SumSq64(j.slices[i][e0-j.offs[i] : min(e1, j.offs[i+1])-j.offs[i]])
			e0 = j.offs[i+1]
		}
		j.part[blk] = sum
	}
}

// gradScaleBody multiplies flat elements [lo, hi) by j.scale.
func gradScaleBody(ctx *Context, _, lo, hi int) {
	j := &ctx.tf
	k := ctx.tfv()
	for i := j.flatFind(lo); lo < hi; i++ {
		k.Scale(j.slices[i][lo-j.offs[i]:min(hi, j.offs[i+1])-j.offs[i]], j.scale)
		lo = j.offs[i+1]
	}
}
