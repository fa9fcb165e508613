package kernels

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/vec"
)

// Max-pool kernels on NHWC activations with a square window and optional
// −∞ padding (PoolShape; FLOP and byte formulas there). The definitions
// (the naive implementations are written exactly so):
//
//	y[n,p,q,c]   = the first maximum, in row-major window order, of
//	               x[n, p·Stride−Pad+i, q·Stride−Pad+j, c] for i, j < Window
//	               and the row and column inside the image (the padding never
//	               wins, not even over −∞: arg always names an image element)
//	               (a NaN wins over numbers, and a later NaN over an earlier one)
//	arg[n,p,q,c] = the index into x of that element (int32)
//	dx[e]        = Σ of dy over the outputs whose arg is e (0 if none)
//
// The backward pass overwrites all of dx and needs arg from the forward pass
// on the same shape: an arg outside its output's window is a programming
// error (naive, and simd's scatter path, panic on an arg outside the
// output's image; simd's tiling path drops it).
// The fast ("simd") implementations run the generated row routines of
// package kernels/internal/vec (straight-line ones for 2×2 windows); with
// Stride = Window (the usual 2×2/2) the backward pass writes every element of
// dx exactly once, otherwise it zeroes dx and scatters dy to arg. A padded
// forward pass runs the same row routines on the windows clipped to the
// image: one call for the windows wholly inside, one for each border window.

// MaxPoolFwdFunc computes y and arg from x.
type MaxPoolFwdFunc func(ctx *Context, s PoolShape, x, y []float32, arg []int32)

// MaxPoolBwdFunc computes dx from dy and the forward pass's arg.
type MaxPoolBwdFunc func(ctx *Context, s PoolShape, dy []float32, arg []int32, dx []float32)

// The MaxPool registries: naive (the definition) and simd (generated rows).
var (
	MaxPoolFwdImpls = NewRegistry[MaxPoolFwdFunc]("maxpool-fwd")
	MaxPoolBwdImpls = NewRegistry[MaxPoolBwdFunc]("maxpool-bwd")
)

func init() {
	MaxPoolFwdImpls.Register(Impl[MaxPoolFwdFunc]{Name: "naive", Mode: GenericOnly, Fn: maxPoolFwdNaive, Doc: "the definition, output rows split across threads"})
	MaxPoolFwdImpls.Register(Impl[MaxPoolFwdFunc]{Name: "simd", Mode: PerISA, Fn: maxPoolFwdSIMDChecked, Doc: "generated window maxima along output rows, channels in vectors"})
	MaxPoolBwdImpls.Register(Impl[MaxPoolBwdFunc]{Name: "naive", Mode: GenericOnly, Fn: maxPoolBwdNaive, Doc: "zero dx, scatter-add dy at arg; images split across threads"})
	MaxPoolBwdImpls.Register(Impl[MaxPoolBwdFunc]{Name: "simd", Mode: PerISA, Fn: maxPoolBwdSIMDChecked, Doc: "tiling windows: generated compare-with-arg writes along output rows; else zero and scatter"})
}

// MaxPoolForward max-pools x into y and stores in arg, for each output, the
// index into x of the maximum. It panics if the shape does not Validate or a
// length differs from the shape's (x: N·H·W·C, y and arg: N·P·Q·C).
func (c *Context) MaxPoolForward(s PoolShape, x, y []float32, arg []int32) {
	checkPoolFwd("MaxPoolForward", s, x, y, arg)
	maxPoolFwdSIMD(c, s, x, y, arg)
}

// MaxPoolBackward routes each dy to the element of dx its arg names,
// overwriting all of dx (zeros where no window chose the element). arg must
// come from MaxPoolForward with the same shape. It panics like
// MaxPoolForward.
func (c *Context) MaxPoolBackward(s PoolShape, dy []float32, arg []int32, dx []float32) {
	checkPoolBwd("MaxPoolBackward", s, dy, arg, dx)
	maxPoolBwdSIMD(c, s, dy, arg, dx)
}

func checkPoolFwd(call string, s PoolShape, x, y []float32, arg []int32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "x", x, s.InputLen(), "N·H·W·C")
	checkShapeLen(call, s, "y", y, s.OutputLen(), "N·P·Q·C")
	checkShapeLen(call, s, "arg", arg, s.OutputLen(), "N·P·Q·C")
}

func checkPoolBwd(call string, s PoolShape, dy []float32, arg []int32, dx []float32) {
	checkValid(call, s.Validate())
	checkShapeLen(call, s, "dy", dy, s.OutputLen(), "N·P·Q·C")
	checkShapeLen(call, s, "arg", arg, s.OutputLen(), "N·P·Q·C")
	checkShapeLen(call, s, "dx", dx, s.InputLen(), "N·H·W·C")
}

// maxPoolFwdNaive is the definition of the forward pass.
func maxPoolFwdNaive(ctx *Context, s PoolShape, x, y []float32, arg []int32) {
	checkPoolFwd("maxpool-fwd naive", s, x, y, arg)
	P, Q := s.OutH(), s.OutW()
	ctx.ParallelFor(s.N*P, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			n, p := u/P, u%P
			for q := 0; q < Q; q++ {
				h0, w0 := p*s.Stride-s.Pad, q*s.Stride-s.Pad
				for ch := 0; ch < s.C; ch++ {
					var m float32
					a := -1
					for i := 0; i < s.Window; i++ {
						for j := 0; j < s.Window; j++ {
							h, w := h0+i, w0+j
							if h < 0 || h >= s.H || w < 0 || w >= s.W {
								continue
							}
							e := ((n*s.H+h)*s.W+w)*s.C + ch
							if v := x[e]; a < 0 || v > m || v != v {
								m, a = v, e
							}
						}
					}
					o := ((n*P+p)*Q+q)*s.C + ch
					y[o], arg[o] = m, int32(a)
				}
			}
		}
	})
}

// maxPoolBwdNaive is the definition of the backward pass: each image's dx is
// zeroed, then dy added at arg, outputs in order.
func maxPoolBwdNaive(ctx *Context, s PoolShape, dy []float32, arg []int32, dx []float32) {
	checkPoolBwd("maxpool-bwd naive", s, dy, arg, dx)
	in, out := s.H*s.W*s.C, s.OutH()*s.OutW()*s.C
	ctx.ParallelFor(s.N, func(_, lo, hi int) {
		for n := lo; n < hi; n++ {
			clear(dx[n*in : (n+1)*in])
			for o := n * out; o < (n+1)*out; o++ {
				e := int(arg[o])
				if e < n*in || e >= (n+1)*in {
					panic(fmt.Sprintf("kernels: maxpool-bwd naive %v: arg[%d] = %d is outside image %d", s, o, e, n))
				}
				dx[e] += dy[o]
			}
		}
	})
}

// maxPoolFwdSIMDChecked runs the generated forward rows across the Context's
// threads, in ranges of output rows.
func maxPoolFwdSIMDChecked(ctx *Context, s PoolShape, x, y []float32, arg []int32) {
	checkPoolFwd("maxpool-fwd simd", s, x, y, arg)
	maxPoolFwdSIMD(ctx, s, x, y, arg)
}

// poolUnitPerThread is the least number of output rows a thread gets, for
// rows that move about bytes each.
func poolUnitPerThread(bytes int) int { return max(1, minBytesPerThread/max(1, bytes)) }

func maxPoolFwdSIMD(ctx *Context, s PoolShape, x, y []float32, arg []int32) {
	j := &ctx.layer
	j.k, j.pool, j.a, j.b, j.arg = ctx.vec(), s, x, y, arg
	P := s.OutH()
	body := maxPoolFwdBody
	if s.Pad != 0 {
		body = maxPoolFwdPadBody
	}
	ctx.layerFor(s.N*P, poolUnitPerThread(4*(s.Window*s.W*s.C+2*s.OutW()*s.C)), body)
}

// poolRow is the vec geometry of output row u = n·P + p of shape s.
func poolRow(s PoolShape, u int) vec.PoolRow {
	P := s.OutH()
	n, p := u/P, u%P
	return vec.PoolRow{Base: (n*s.H + p*s.Stride) * s.W * s.C, NQ: s.OutW(), C: s.C, WH: s.Window, WW: s.Window,
		ColStep: s.Stride * s.C, RowStride: s.W * s.C}
}

func maxPoolFwdBody(j *layerJob, _, lo, hi int) {
	s := j.pool
	row := s.OutW() * s.C
	for u := lo; u < hi; u++ {
		r := poolRow(s, u)
		j.k.MaxPool(j.a[r.Base:], j.b[u*row:(u+1)*row], j.arg[u*row:(u+1)*row], r, false)
	}
}

// maxPoolFwdPadBody is maxPoolFwdBody for a padded shape: each output
// row's windows clipped to the image rows they cover, the windows wholly
// inside the image columns in one call, each border window in its own.
func maxPoolFwdPadBody(j *layerJob, _, lo, hi int) {
	s := j.pool
	P, Q, C, st := s.OutH(), s.OutW(), s.C, s.Stride
	row := Q * C
	// Windows [qlo, qhi) start and end inside the image columns.
	qlo := (s.Pad + st - 1) / st
	qhi := qlo
	if last := s.W + s.Pad - s.Window; last >= 0 {
		qhi = max(qlo, min(Q, last/st+1))
	}
	for u := lo; u < hi; u++ {
		n, p := u/P, u%P
		h0 := p*st - s.Pad
		i0, i1 := max(0, h0), min(s.H, h0+s.Window)
		rowBase := (n*s.H + i0) * s.W * C
		r := vec.PoolRow{C: C, WH: i1 - i0, WW: s.Window, ColStep: st * C, RowStride: s.W * C}
		out := u * row
		for q := 0; q < Q; q++ {
			if q == qlo && qhi > qlo {
				r.Base, r.NQ, r.WW = rowBase+(qlo*st-s.Pad)*C, qhi-qlo, s.Window
				o := out + qlo*C
				j.k.MaxPool(j.a[r.Base:], j.b[o:out+qhi*C], j.arg[o:out+qhi*C], r, false)
				q = qhi - 1
				continue
			}
			w0 := q*st - s.Pad
			j0, j1 := max(0, w0), min(s.W, w0+s.Window)
			r.Base, r.NQ, r.WW = rowBase+j0*C, 1, j1-j0
			o := out + q*C
			j.k.MaxPool(j.a[r.Base:], j.b[o:o+C], j.arg[o:o+C], r, false)
		}
	}
}

// maxPoolBwdSIMDChecked runs the generated backward rows across the Context's
// threads.
func maxPoolBwdSIMDChecked(ctx *Context, s PoolShape, dy []float32, arg []int32, dx []float32) {
	checkPoolBwd("maxpool-bwd simd", s, dy, arg, dx)
	maxPoolBwdSIMD(ctx, s, dy, arg, dx)
}

// maxPoolBwdSIMD: with Stride = Window and no padding the windows tile the image without
// overlap, so each output row writes its windows (the generated "set" rows)
// and zeroes what they leave of its input rows, in parallel over output rows.
// Otherwise (overlapping windows, or gaps between them), and at the generic
// level where the window routines are plain Go, each image's dx is zeroed and
// dy scattered to arg as in the naive definition: one read-modify-write per
// output beats walking every window element (docs/perf-notes-kernels.md).
func maxPoolBwdSIMD(ctx *Context, s PoolShape, dy []float32, arg []int32, dx []float32) {
	j := &ctx.layer
	j.k, j.pool, j.a, j.b, j.arg = ctx.vec(), s, dy, dx, arg
	if s.Stride == s.Window && s.Pad == 0 && ctx.isa != cpu.Generic {
		ctx.layerFor(s.N*s.OutH(), poolUnitPerThread(4*(s.Window*s.W*s.C+2*s.OutW()*s.C)), maxPoolBwdSetBody)
		return
	}
	ctx.layerFor(s.N, poolUnitPerThread(4*(s.H*s.W*s.C+2*s.OutH()*s.OutW()*s.C)), maxPoolBwdScatterBody)
}

func maxPoolBwdSetBody(j *layerJob, _, lo, hi int) {
	maxPoolBwdSetRows(j.k, j.pool, j.a, j.arg, lo, hi, j.b, 0)
}

// maxPoolBwdSetRows writes the input gradient of output rows [lo, hi) of
// pool s (windows tiling the input) into dx, which holds the input from
// element off on: each window's dy at the element its arg names, zeros
// elsewhere, and zeros in the input columns and rows no window covers.
func maxPoolBwdSetRows(k *vec.Kernels, s PoolShape, dy []float32, arg []int32, lo, hi int, dx []float32, off int) {
	P, row, wc := s.OutH(), s.OutW()*s.C, s.W*s.C
	covered := s.OutW() * s.Window * s.C // the elements of an input row the windows cover
	for u := lo; u < hi; u++ {
		r := poolRow(s, u)
		b := r.Base - off
		k.MaxPoolBackward(dx[b:], dy[u*row:(u+1)*row], arg[u*row:(u+1)*row], r, false)
		if covered < wc {
			for i := 0; i < s.Window; i++ {
				clear(dx[b+i*wc+covered : b+(i+1)*wc])
			}
		}
		if n, p := u/P, u%P; p == P-1 {
			// Input rows below the last window.
			clear(dx[(n*s.H+P*s.Stride)*wc-off : (n+1)*s.H*wc-off])
		}
	}
}

// maxPoolBwdScatterBody zeroes images [lo, hi) of dx and adds each dy at its
// arg, which must lie in the output's image.
func maxPoolBwdScatterBody(j *layerJob, _, lo, hi int) {
	s := j.pool
	in := s.H * s.W * s.C
	maxPoolBwdScatter("MaxPoolBackward", s, j.a, j.arg, lo, hi, j.b[lo*in:hi*in], lo*in)
}

// maxPoolBwdScatter zeroes the input gradient of images [lo, hi) of pool s
// in dx, which holds the input from element off on, and adds each dy of
// those images at its arg, which must lie in the output's image (else it
// panics naming call).
func maxPoolBwdScatter(call string, s PoolShape, dy []float32, arg []int32, lo, hi int, dx []float32, off int) {
	in, out := s.H*s.W*s.C, s.OutH()*s.OutW()*s.C
	for n := lo; n < hi; n++ {
		img := dx[n*in-off : (n+1)*in-off]
		clear(img)
		dyn, argn := dy[n*out:(n+1)*out], arg[n*out:(n+1)*out]
		argn = argn[:len(dyn)]
		for o, g := range dyn {
			e := int(argn[o]) - n*in
			if uint(e) >= uint(len(img)) {
				panic(fmt.Sprintf("kernels: %s %v: arg[%d] = %d is outside image %d", call, s, n*out+o, argn[o], n))
			}
			img[e] += g
		}
	}
}
