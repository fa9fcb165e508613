package kernels

import "github.com/trainbench/trainbench/shape"

// Global average pooling of NHWC activations (GlobalAvgPoolShape; FLOP and
// byte formulas there): each image's H×W values of a channel averaged
// into one, as ResNet does before its classifier. The definitions (the
// naive implementations are written exactly so, summing in float64):
//
//	y[n,c]       = (1/(H·W))·Σ_{h,w} x[n,h,w,c]
//	dx[n,h,w,c]  = dy[n,c]/(H·W)
//
// The fast ("simd") implementations walk the image's rows in NHWC order,
// summing a row of C channels into y in float32 (so the error grows with
// H·W, 49 in ResNet-50) and then dividing by H·W; backward divides an
// image's dy once and copies it to the image's rows, bitwise as the naive
// definition while H·W < 2²⁴ (float64 division rounded to float32 is then
// float32 division).
// Images are split across the Context's threads. For now they are plain Go
// at every ISA level.

// GlobalAvgPoolShape describes global average pooling (shape.GlobalAvgPool).
type GlobalAvgPoolShape = shape.GlobalAvgPool

// GlobalAvgPoolFwdFunc computes y (N×C) from x (N×H×W×C).
type GlobalAvgPoolFwdFunc func(ctx *Context, s GlobalAvgPoolShape, x, y []float32)

// GlobalAvgPoolBwdFunc computes dx (N×H×W×C) from dy (N×C).
type GlobalAvgPoolBwdFunc func(ctx *Context, s GlobalAvgPoolShape, dy, dx []float32)

// The global-average-pool registries: naive (the definition) and simd
// (NHWC rows).
var (
	GlobalAvgPoolFwdImpls = NewRegistry[GlobalAvgPoolFwdFunc]("global-avgpool-fwd")
	GlobalAvgPoolBwdImpls = NewRegistry[GlobalAvgPoolBwdFunc]("global-avgpool-bwd")
)

func init() {
	GlobalAvgPoolFwdImpls.Register(Impl[GlobalAvgPoolFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: gapFwdNaive, Doc: "the definition in float64, images split across threads"})
	GlobalAvgPoolFwdImpls.Register(Impl[GlobalAvgPoolFwdFunc]{Name: "simd", Mode: PerISA, Fn: gapFwdSIMDChecked, Doc: "rows of C channels summed into y, then scaled"})
	GlobalAvgPoolBwdImpls.Register(Impl[GlobalAvgPoolBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: gapBwdNaive, Doc: "the definition, images split across threads"})
	GlobalAvgPoolBwdImpls.Register(Impl[GlobalAvgPoolBwdFunc]{Name: "simd", Mode: PerISA, Fn: gapBwdSIMDChecked, Doc: "dy/(H·W) written along NHWC rows"})
}

// GlobalAvgPoolForward averages each image's H×W values of each channel of
// x into y (N×C). It panics if the shape does not Validate or a length
// differs from the shape's (x: N·H·W·C, y: N·C).
func (c *Context) GlobalAvgPoolForward(s GlobalAvgPoolShape, x, y []float32) {
	checkGAP("GlobalAvgPoolForward", s, x, y, "x", "y")
	gapFwdSIMD(c, s, x, y)
}

// GlobalAvgPoolBackward spreads dy (N×C) evenly over the H×W positions of
// dx, overwriting it. It panics like GlobalAvgPoolForward.
func (c *Context) GlobalAvgPoolBackward(s GlobalAvgPoolShape, dy, dx []float32) {
	checkGAP("GlobalAvgPoolBackward", s, dx, dy, "dx", "dy")
	gapBwdSIMD(c, s, dy, dx)
}

// checkGAP checks the input-sized slice in (named inName) and the
// output-sized out.
func checkGAP(call string, s GlobalAvgPoolShape, in, out []float32, inName, outName string) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, inName, in, s.InputLen(), "N·H·W·C")
	checkShapeLen(call, s, outName, out, s.OutputLen(), "N·C")
}

// gapFwdNaive is the definition of the forward pass.
func gapFwdNaive(ctx *Context, s GlobalAvgPoolShape, x, y []float32) {
	checkGAP("global-avgpool-fwd naive", s, x, y, "x", "y")
	hw := s.H * s.W
	ctx.ParallelFor(s.N, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			for c := 0; c < s.C; c++ {
				var sum float64
				for p := 0; p < hw; p++ {
					sum += float64(x[(n*hw+p)*s.C+c])
				}
				y[n*s.C+c] = float32(sum / float64(hw))
			}
		}
	})
}

// gapBwdNaive is the definition of the backward pass.
func gapBwdNaive(ctx *Context, s GlobalAvgPoolShape, dy, dx []float32) {
	checkGAP("global-avgpool-bwd naive", s, dx, dy, "dx", "dy")
	hw := s.H * s.W
	ctx.ParallelFor(s.N, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			for p := 0; p < hw; p++ {
				for c := 0; c < s.C; c++ {
					dx[(n*hw+p)*s.C+c] = float32(float64(dy[n*s.C+c]) / float64(hw))
				}
			}
		}
	})
}

// gapFwdSIMDChecked is the fast forward pass, checked.
func gapFwdSIMDChecked(ctx *Context, s GlobalAvgPoolShape, x, y []float32) {
	checkGAP("global-avgpool-fwd simd", s, x, y, "x", "y")
	gapFwdSIMD(ctx, s, x, y)
}

func gapFwdSIMD(ctx *Context, s GlobalAvgPoolShape, x, y []float32) {
	j := &ctx.layer
	j.a, j.b, j.rows, j.cols = x, y, s.H*s.W, s.C
	ctx.layerFor(s.N, max(1, elemPerThread(4)/(s.H*s.W*s.C)), gapFwdBody)
}

// gapFwdBody sums images [lo, hi) row by row into y, then divides.
func gapFwdBody(j *layerJob, _, lo, hi int) {
	hw, C := j.rows, j.cols
	d := float32(hw)
	for n := lo; n < hi; n++ {
		acc := j.b[n*C : (n+1)*C]
		copy(acc, j.a[n*hw*C:(n*hw+1)*C])
		for p := 1; p < hw; p++ {
			row := j.a[(n*hw+p)*C : (n*hw+p+1)*C]
			row = row[:len(acc)]
			for c, v := range row {
				acc[c] += v
			}
		}
		for c := range acc {
			acc[c] /= d
		}
	}
}

// gapBwdSIMDChecked is the fast backward pass, checked.
func gapBwdSIMDChecked(ctx *Context, s GlobalAvgPoolShape, dy, dx []float32) {
	checkGAP("global-avgpool-bwd simd", s, dx, dy, "dx", "dy")
	gapBwdSIMD(ctx, s, dy, dx)
}

func gapBwdSIMD(ctx *Context, s GlobalAvgPoolShape, dy, dx []float32) {
	j := &ctx.layer
	j.a, j.b, j.rows, j.cols = dy, dx, s.H*s.W, s.C
	ctx.layerFor(s.N, max(1, elemPerThread(4)/(s.H*s.W*s.C)), gapBwdBody)
}

// gapBwdBody writes images [lo, hi) of dx: the first row dy/(H·W), the
// others copies of it.
func gapBwdBody(j *layerJob, _, lo, hi int) {
	hw, C := j.rows, j.cols
	d := float32(hw)
	for n := lo; n < hi; n++ {
		g, first := j.a[n*C:(n+1)*C], j.b[n*hw*C:(n*hw+1)*C]
		first = first[:len(g)]
		for c, v := range g {
			first[c] = v / d
		}
		for p := 1; p < hw; p++ {
			copy(j.b[(n*hw+p)*C:(n*hw+p+1)*C], first)
		}
	}
}
