// Package conv holds the direct-convolution micro-kernels behind the kernels
// package's conv2d "direct" implementation: generated AVX2 and AVX-512
// assembly (conv_amd64.s, from the avo generator's conv unit) and their
// pure-Go twins. Activations are NHWC, so output channels are contiguous:
// vectors run along them, and input values are broadcast.
//
// The routines take their integer arguments in a parameter block p ([]int,
// element counts, never bytes) so that one call covers a whole row of tiles
// or a band of pixels. They do not check bounds: the caller (package kernels)
// guarantees that every address they form lies inside its slices. The pure-Go
// specifications below are bounds-checked, so the noasm build and the tests
// catch a caller that gets this wrong.
package conv

import "math"

// Fwd parameter block indices (see FwdRef).
const (
	FwdNTiles = iota // number of tiles
	FwdTileX         // x elements between the first pixels of consecutive tiles
	FwdTileY         // y elements between the first pixels of consecutive tiles
	FwdPixX          // x elements between consecutive pixels of a tile
	FwdLdy           // y elements between consecutive pixels of a tile
	FwdNTaps         // number of taps
	FwdNC            // reduction length of each tap
	FwdFlags         // FlagAccumulate | FlagBias | FlagReLU
	FwdNRows         // number of rows of tiles
	FwdRowX          // x elements between the first pixels of consecutive rows
	FwdRowY          // y elements between the first pixels of consecutive rows
	FwdTaps          // first of FwdNTaps tap offsets (x elements)
)

// Flags of the forward kernel's epilogue, applied in this order.
const (
	FlagAccumulate = 1 << iota // add the old y (or dw) to the sum
	FlagBias                   // add bias[j]
	FlagReLU                   // max(·, 0): NaN and −0 become +0
)

// FwdRef is the specification of the forward kernels convFwd<ISA>_<mr>x<nv>
// (nr = nv·lanes output channels): for each row r < p[FwdNRows], tile
// t < p[FwdNTiles], pixel i < mr and channel j < nr, with
// xt = r·rowX + t·tileX + i·pixX,
//
//	sum := Σ_{τ < p[FwdNTaps]} Σ_{c < p[FwdNC]} x[xt + tap[τ] + c] · w[(τ·nc + c)·nr + j]
//	o := r·rowY + t·tileY + i·ldy + j
//	y[o] = relu(sum + y[o] + bias[j])
//
// where the y[o] term is present only with FlagAccumulate, bias only with
// FlagBias, relu only with FlagReLU (the old y is not read otherwise). The
// weights are one packed block: for each tap and reduction index, nr
// consecutive output channels. The sum runs in τ, c order (the assembly uses
// FMA, so roundings differ slightly).
func FwdRef(mr, nr int, x, w, y, bias []float32, p []int) {
	nt, ntaps, nc := p[FwdNTiles], p[FwdNTaps], p[FwdNC]
	taps := p[FwdTaps : FwdTaps+ntaps]
	var acc [16 * 64]float32
	for rt := 0; rt < p[FwdNRows]*nt; rt++ {
		row, t := rt/nt, rt%nt
		a := acc[:mr*nr]
		clear(a)
		xt := row*p[FwdRowX] + t*p[FwdTileX]
		for tau, off := range taps {
			wt := w[tau*nc*nr : (tau+1)*nc*nr]
			for i := 0; i < mr; i++ {
				xs := x[xt+i*p[FwdPixX]+off:][:nc]
				ai := a[i*nr : (i+1)*nr]
				for c, xv := range xs {
					for j, wv := range wt[c*nr : (c+1)*nr] {
						ai[j] += xv * wv
					}
				}
			}
		}
		for i := 0; i < mr; i++ {
			o := row*p[FwdRowY] + t*p[FwdTileY] + i*p[FwdLdy]
			row := y[o : o+nr]
			for j := range row {
				v := a[i*nr+j]
				if p[FwdFlags]&FlagAccumulate != 0 {
					v += row[j]
				}
				if p[FwdFlags]&FlagBias != 0 {
					v += bias[j]
				}
				if p[FwdFlags]&FlagReLU != 0 && !(v > 0) {
					v = 0
				}
				row[j] = v
			}
		}
	}
}

// DW parameter block indices (see DWRef).
const (
	DWNPix   = iota // pixels per row
	DWPixX          // x elements between consecutive pixels
	DWPixDY         // dy elements between consecutive pixels
	DWNRows         // rows
	DWRowX          // x elements between the first pixels of consecutive rows
	DWRowDY         // dy elements between the first pixels of consecutive rows
	DWLdw           // dw elements between consecutive tile rows
	DWFlags         // FlagAccumulate
	DWNImg          // images (groups of rows)
	DWImgX          // x elements between the first pixels of consecutive images
	DWImgDY         // dy elements between the first pixels of consecutive images
	DWParams        // length of the block
)

// DWRef is the specification of the weight-gradient kernels
// convDW<ISA>_<mr>x<nv> (nr = nv·lanes output channels): for window index
// i < mr and channel j < nr,
//
//	sum := Σ_{img < nimg} Σ_{row < nrows} Σ_{q < npix}
//		x[img·imgX + row·rowX + q·pixX + i] · dy[img·imgDY + row·rowDY + q·pixDY + j]
//	dw[i·ldw + j] = sum + dw[i·ldw + j]
//
// the old dw term only with FlagAccumulate (dw is not read otherwise). The
// sum runs in img, row, q order.
func DWRef(mr, nr int, x, dy, dw []float32, p []int) {
	var acc [16 * 64]float32
	a := acc[:mr*nr]
	for img := 0; img < p[DWNImg]; img++ {
		for row := 0; row < p[DWNRows]; row++ {
			for q := 0; q < p[DWNPix]; q++ {
				xs := x[img*p[DWImgX]+row*p[DWRowX]+q*p[DWPixX]:][:mr]
				g := dy[img*p[DWImgDY]+row*p[DWRowDY]+q*p[DWPixDY]:][:nr]
				for i, xv := range xs {
					ai := a[i*nr : (i+1)*nr]
					for j, gv := range g {
						ai[j] += xv * gv
					}
				}
			}
		}
	}
	for i := 0; i < mr; i++ {
		row := dw[i*p[DWLdw] : i*p[DWLdw]+nr]
		for j := range row {
			if p[DWFlags]&FlagAccumulate != 0 {
				row[j] += a[i*nr+j]
			} else {
				row[j] = a[i*nr+j]
			}
		}
	}
}

// ColSumRef is the specification of convColSum<ISA>: acc[j] += Σ_{i<rows}
// m[i·ld + j] for j < len(acc), summed in row order.
func ColSumRef(acc, m []float32, rows, ld int) {
	for i := 0; i < rows; i++ {
		row := m[i*ld : i*ld+len(acc)]
		for j, v := range row {
			acc[j] += v
		}
	}
}

// bf16Dot returns acc plus the pairwise dot of the bf16 pairs held in the
// bits of a and b (low half: the first of the pair, high half: the second),
// as VDPBF16PS computes it: the high product added first, then the low one,
// each rounded to float32 (the products themselves are exact).
func bf16Dot(acc, a, b float32) float32 {
	ua, ub := math.Float32bits(a), math.Float32bits(b)
	acc += math.Float32frombits(ua&0xffff0000) * math.Float32frombits(ub&0xffff0000)
	acc += math.Float32frombits(ua<<16) * math.Float32frombits(ub<<16)
	return acc
}

// FwdBF16Ref is the specification of the bfloat16 forward kernels
// convFwd<ISA>BF16_<mr>x<nv>: FwdRef with every element of x and w a pair
// of bf16 along the reduction (the float32's bits: the first in the low 16,
// the second in the high 16), each product of an x and a w element the
// pairs' dot product (bf16Dot); y and bias are float32. The assembly uses
// VDPBF16PS, which also flushes denormals: results agree bit for bit away
// from denormals.
func FwdBF16Ref(mr, nr int, x, w, y, bias []float32, p []int) {
	nt, ntaps, nc := p[FwdNTiles], p[FwdNTaps], p[FwdNC]
	taps := p[FwdTaps : FwdTaps+ntaps]
	var acc [16 * 64]float32
	for rt := 0; rt < p[FwdNRows]*nt; rt++ {
		row, t := rt/nt, rt%nt
		a := acc[:mr*nr]
		clear(a)
		xt := row*p[FwdRowX] + t*p[FwdTileX]
		for tau, off := range taps {
			wt := w[tau*nc*nr : (tau+1)*nc*nr]
			for i := 0; i < mr; i++ {
				xs := x[xt+i*p[FwdPixX]+off:][:nc]
				ai := a[i*nr : (i+1)*nr]
				for c, xv := range xs {
					for j, wv := range wt[c*nr : (c+1)*nr] {
						ai[j] = bf16Dot(ai[j], xv, wv)
					}
				}
			}
		}
		for i := 0; i < mr; i++ {
			o := row*p[FwdRowY] + t*p[FwdTileY] + i*p[FwdLdy]
			row := y[o : o+nr]
			for j := range row {
				v := a[i*nr+j]
				if p[FwdFlags]&FlagAccumulate != 0 {
					v += row[j]
				}
				if p[FwdFlags]&FlagBias != 0 {
					v += bias[j]
				}
				if p[FwdFlags]&FlagReLU != 0 && !(v > 0) {
					v = 0
				}
				row[j] = v
			}
		}
	}
}

// DWBF16Ref is the specification of the bfloat16 weight-gradient kernels
// convDW<ISA>BF16_<mr>x<nv>: DWRef with every element of x and dy a pair of
// bf16 along the pixels (see FwdBF16Ref), each product the pairs' dot
// product; dw is float32.
func DWBF16Ref(mr, nr int, x, dy, dw []float32, p []int) {
	var acc [16 * 64]float32
	a := acc[:mr*nr]
	for img := 0; img < p[DWNImg]; img++ {
		for row := 0; row < p[DWNRows]; row++ {
			for q := 0; q < p[DWNPix]; q++ {
				xs := x[img*p[DWImgX]+row*p[DWRowX]+q*p[DWPixX]:][:mr]
				g := dy[img*p[DWImgDY]+row*p[DWRowDY]+q*p[DWPixDY]:][:nr]
				for i, xv := range xs {
					ai := a[i*nr : (i+1)*nr]
					for j, gv := range g {
						ai[j] = bf16Dot(ai[j], xv, gv)
					}
				}
			}
		}
	}
	for i := 0; i < mr; i++ {
		row := dw[i*p[DWLdw] : i*p[DWLdw]+nr]
		for j := range row {
			if p[DWFlags]&FlagAccumulate != 0 {
				row[j] += a[i*nr+j]
			} else {
				row[j] = a[i*nr+j]
			}
		}
	}
}
