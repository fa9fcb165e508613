// Package wino holds the transforms of Winograd's minimal filtering
// algorithm F(4×4, 3×3) (Lavin and Gray, 2016) over NHWC data: the input
// transform Bᵀ·D·B of 6×6 tiles with zero padding, the filter transform
// G·g·Gᵀ of 3×3 filters, and the output transform Aᵀ·M·A with the bias, ReLU
// or accumulate epilogues, each applied to every channel of a tile, a vector
// of channels at a time. Each exists as generated assembly for avx2 and
// avx512 and as one pure-Go twin (xformGo, ref.go), which is the
// specification, the generic level's implementation, and what -tags noasm
// and other architectures run; the tests check them bit for bit.
//
// A convolution y = x ⋆ g (3×3, stride 1) is then, per 4×4 output tile,
// Aᵀ·[Σ_c (G·g_kc·Gᵀ) ⊙ (Bᵀ·d_c·B)]·A: the sum over channels is, at each
// of the 36 positions ξ of the 6×6 tile, a matrix product (tiles × C) ·
// (C × K), which package kernels runs on its SGEMM.
package wino

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// Func is the signature of every transform; see xformGo for what it
// computes. Arguments that a kind does not use are ignored.
type Func func(dst []float32, doff, drow, dpix, rows, cols int, src []float32, soff, srow, spix, r0, r1, c0, c1 int, bias []float32, c int)

// Kernels are the transforms of one ISA level.
type Kernels struct {
	Level                                          cpu.Level
	input, filter                                  Func
	output, outputBias, outputReLU, outputBiasReLU Func
	outputAcc, gradTile, weightOut                 Func
}

func twin(k *Kind) Func {
	return func(dst []float32, doff, drow, dpix, rows, cols int, src []float32, soff, srow, spix, r0, r1, c0, c1 int, bias []float32, c int) {
		xformGo(k, dst, doff, drow, dpix, rows, cols, src, soff, srow, spix, r0, r1, c0, c1, bias, c)
	}
}

var (
	goKernels = Kernels{Level: cpu.Generic, input: twin(&Input), filter: twin(&Filter), output: twin(&Output),
		outputBias: twin(&OutputBias), outputReLU: twin(&OutputReLU), outputBiasReLU: twin(&OutputBiasReLU), outputAcc: twin(&OutputAcc),
		gradTile: twin(&GradTile), weightOut: twin(&WeightOut)}
	avx2Kernels = Kernels{Level: cpu.AVX2, input: inputAVX2, filter: filterAVX2, output: outputAVX2,
		outputBias: outputBiasAVX2, outputReLU: outputReLUAVX2, outputBiasReLU: outputBiasReLUAVX2, outputAcc: outputAccAVX2,
		gradTile: gradTileAVX2, weightOut: weightOutAVX2}
	avx512Kernels = Kernels{Level: cpu.AVX512, input: inputAVX512, filter: filterAVX512, output: outputAVX512,
		outputBias: outputBiasAVX512, outputReLU: outputReLUAVX512, outputBiasReLU: outputBiasReLUAVX512, outputAcc: outputAccAVX512,
		gradTile: gradTileAVX512, weightOut: weightOutAVX512}
)

// For returns the transforms of level l (generic: the twin).
func For(l cpu.Level) *Kernels {
	switch l {
	case cpu.AVX512:
		return &avx512Kernels
	case cpu.AVX2:
		return &avx2Kernels
	}
	return &goKernels
}

// Input writes the transform of the 6×6 tile of x whose element (0, 0),
// channel 0, is at x[off] (off may be negative), rows and pixels srow and
// spix elements apart, of which only rows [r0, r1) and columns [c0, c1) are
// read (the rest is zero padding): position ξ = 6a+b of channel ch goes to
// v[voff + ξ·vstride + ch], for ch < c.
func (k *Kernels) Input(v []float32, voff, vstride int, x []float32, off, srow, spix, r0, r1, c0, c1, c int) {
	tile("Input", k.input, 6, v, voff, vstride, x, off, srow, spix, r0, r1, c0, c1, c)
}

// GradTile writes the transform (G′, F(3×3, 4×4)) of the 4×4 tile of the
// output gradient dy whose element (0, 0), channel 0, is at dy[off], rows
// and pixels srow and spix elements apart, of which only rows [r0, r1) and
// columns [c0, c1) are read (the rest is zero): position ξ of channel ch
// goes to v[voff + ξ·vstride + ch], for ch < c.
func (k *Kernels) GradTile(v []float32, voff, vstride int, dy []float32, off, srow, spix, r0, r1, c0, c1, c int) {
	tile("GradTile", k.gradTile, 4, v, voff, vstride, dy, off, srow, spix, r0, r1, c0, c1, c)
}

// tile runs f, a ranged transform of an n×n tile into 36 positions.
func tile(call string, f Func, n int, v []float32, voff, vstride int, x []float32, off, srow, spix, r0, r1, c0, c1, c int) {
	r0, r1, c0, c1 = max(r0, 0), min(r1, n), max(c0, 0), min(c1, n)
	if c <= 0 || r0 >= r1 || c0 >= c1 {
		if c > 0 {
			for xi := range 36 {
				clear(v[voff+xi*vstride : voff+xi*vstride+c])
			}
		}
		return
	}
	checkSpan(call, "v", len(v), voff, []int{0, 35 * vstride}, c)
	checkSpan(call, "x", len(x), off, []int{r0*srow + c0*spix, (r1-1)*srow + (c1-1)*spix}, c)
	f(v, voff, 6*vstride, vstride, 6, 6, x, off, srow, spix, r0, r1, c0, c1, nil, c)
}

// WeightOut writes the 3×3 weight gradient (A′ᵀ·M·A′, F(3×3, 4×4)) whose
// products at position ξ, channel ch, are m[moff + ξ·mstride + ch], to
// dw[off + r·srow + s·spix + ch], for ch < c.
func (k *Kernels) WeightOut(dw []float32, off, srow, spix int, m []float32, moff, mstride, c int) {
	if c <= 0 {
		return
	}
	checkSpan("WeightOut", "dw", len(dw), off, []int{0, 2*srow + 2*spix}, c)
	checkSpan("WeightOut", "m", len(m), moff, []int{0, 35 * mstride}, c)
	k.weightOut(dw, off, srow, spix, 3, 3, m, moff, 6*mstride, mstride, 0, 6, 0, 6, nil, c)
}

// Filter writes the transform of the 3×3 filter whose tap (r, s), channel
// ch, is w[off + r·srow + s·spix + ch]: position ξ goes to u[uoff +
// ξ·ustride + ch], for ch < c.
func (k *Kernels) Filter(u []float32, uoff, ustride int, w []float32, off, srow, spix, c int) {
	if c <= 0 {
		return
	}
	checkSpan("Filter", "u", len(u), uoff, []int{0, 35 * ustride}, c)
	checkSpan("Filter", "w", len(w), off, []int{0, 2*srow + 2*spix}, c)
	k.filter(u, uoff, 6*ustride, ustride, 6, 6, w, off, srow, spix, 0, 3, 0, 3, nil, c)
}

// Epilogue is what Output does with a value besides storing it.
type Epilogue struct {
	Bias []float32 // added per channel (nil: none)
	ReLU bool      // max(·, 0)
	Acc  bool      // added into y's old value (not with Bias or ReLU)
}

// Output writes the rows × cols pixels (at most 4 × 4) of the output tile
// whose position ξ, channel ch, is m[moff + ξ·mstride + ch], to y[yoff +
// a·yrow + b·ypix + ch], for ch < c, with epilogue e.
func (k *Kernels) Output(y []float32, yoff, yrow, ypix, rows, cols int, m []float32, moff, mstride int, e Epilogue, c int) {
	rows, cols = min(rows, 4), min(cols, 4)
	if c <= 0 || rows <= 0 || cols <= 0 {
		return
	}
	checkSpan("Output", "y", len(y), yoff, []int{0, (rows-1)*yrow + (cols-1)*ypix}, c)
	checkSpan("Output", "m", len(m), moff, []int{0, 35 * mstride}, c)
	var f Func
	switch {
	case e.Acc:
		if e.Bias != nil || e.ReLU {
			panic("wino: Output: Acc with Bias or ReLU")
		}
		f = k.outputAcc
	case e.Bias != nil && e.ReLU:
		f = k.outputBiasReLU
	case e.Bias != nil:
		f = k.outputBias
	case e.ReLU:
		f = k.outputReLU
	default:
		f = k.output
	}
	if e.Bias != nil && len(e.Bias) < c {
		panic(fmt.Sprintf("wino: Output: bias has %d channels, need %d", len(e.Bias), c))
	}
	f(y, yoff, yrow, ypix, rows, cols, m, moff, 6*mstride, mstride, 0, 6, 0, 6, e.Bias, c)
}

// checkSpan panics unless base+o .. base+o+c-1 lies in [0, n) for every
// offset o: the routines do not check their slices.
func checkSpan(call, arg string, n, base int, offs []int, c int) {
	for _, o := range offs {
		if lo := base + o; lo < 0 || lo+c > n {
			panic(fmt.Sprintf("wino: %s: %s[%d:%d] out of range [0:%d]", call, arg, lo, lo+c, n))
		}
	}
}

// Ops returns the floating-point operations the transform of kind k does on
// one channel of a whole tile, as the routines evaluate it: in the column
// pass (n columns) and the row pass (m rows), each entry costs a
// multiplication per coefficient other than 0 and ±1 and an addition per
// term after the first; Bias and Acc add one per output.
func Ops(k *Kind) int {
	m, n := len(k.L), len(k.L[0])
	perVec := 0 // one application of L to a vector of n
	for _, row := range k.L {
		terms := 0
		for _, v := range row {
			if v != 0 {
				terms++
				if v != 1 && v != -1 {
					perVec++
				}
			}
		}
		perVec += max(terms-1, 0)
	}
	ops := (n + m) * perVec
	if k.Bias {
		ops += m * m
	}
	if k.Acc {
		ops += m * m
	}
	return ops
}
