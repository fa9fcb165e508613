package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The conv unit: direct-convolution micro-kernels for NHWC activations
// (package kernels/internal/conv, whose ref.go holds the pure-Go
// specification of each routine). Vectors run along output channels (k);
// values of the input are broadcast.

// convTiles lists the kernels of each ISA, forward and weight-gradient alike:
// for each number of vectors per tile row (nv), the tile heights mr from 1 up
// to the largest that fits the register file (mr·nv accumulators + nv weight
// vectors + 2 broadcast registers), at most 14 (five base registers address
// the rows).
func convTiles(s isa) map[int]int {
	if s.name == "avx2" {
		return map[int]int{1: 12, 2: 6}
	}
	return map[int]int{1: 14, 2: 14, 3: 9, 4: 6}
}

func genConv() {
	for _, s := range []isa{isaAVX2, isaAVX512} {
		tiles := convTiles(s)
		for nv := 1; nv <= 4; nv++ {
			for mr := 1; mr <= tiles[nv]; mr++ {
				convFwdKernel(s, mr, nv)
			}
		}
		for nv := 1; nv <= 4; nv++ {
			for j := 1; j <= tiles[nv]; j++ {
				convDWKernel(s, j, nv)
			}
		}
		convColSumKernel(s)
	}
	// The bfloat16 kernels (AVX512_BF16): the same tiles with VDPBF16PS on
	// pairs of bf16 held where the float32 kernels hold one float32.
	tiles := convTiles(isaAVX512)
	for nv := 1; nv <= 4; nv++ {
		for mr := 1; mr <= tiles[nv]; mr++ {
			convFwdKernelPrec(isaAVX512, mr, nv, true)
		}
	}
	for nv := 1; nv <= 4; nv++ {
		for j := 1; j <= tiles[nv]; j++ {
			convDWKernelPrec(isaAVX512, j, nv, true)
		}
	}
}

// convPrecName is the ISA part of a conv kernel's name: the level, with
// "BF16" after it for the bfloat16 kernels.
func convPrecName(s isa, bf16 bool) string {
	if bf16 {
		return titleISA(s.name) + "BF16"
	}
	return titleISA(s.name)
}

// convMulAdd emits acc += w·b for the float32 kernels (FMA) or, for the
// bfloat16 ones, acc += the pairwise dot of the bf16 pairs of w and b
// (VDPBF16PS).
func convMulAdd(bf16 bool, w, b, acc VecPhysical) {
	if bf16 {
		VDPBF16PS_Z(w, b, acc)
		return
	}
	VFMADD231PS(w, b, acc)
}

// convBroadcast emits the broadcast of one 32-bit element: a float32, or a
// pair of bf16.
func convBroadcast(bf16 bool, m Mem, t VecPhysical) {
	if bf16 {
		VPBROADCASTD(m, t)
		return
	}
	VBROADCASTSS(m, t)
}

// Indices of the fwd parameter block p (ints), as documented in ref.go.
const (
	fwdNTiles = iota
	fwdTileX
	fwdTileY
	fwdPixX
	fwdLdy
	fwdNTaps
	fwdNC
	fwdFlags
	fwdNRows
	fwdRowX
	fwdRowY
	fwdTaps
)

// convFwdKernel emits convFwd<ISA>_<mr>x<nv>: mr output pixels × nv vectors of
// output channels, for p[fwdNTiles] tiles; see FwdRef.
func convFwdKernel(s isa, mr, nv int) { convFwdKernelPrec(s, mr, nv, false) }

// convFwdKernelPrec emits the forward kernel in float32 or, with bf16, its
// bfloat16 form convFwd<ISA>BF16_<mr>x<nv> (x and w hold pairs of bf16 along
// the reduction; see FwdBF16Ref).
func convFwdKernelPrec(s isa, mr, nv int, bf16 bool) {
	name := fmt.Sprintf("convFwd%s_%dx%d", convPrecName(s, bf16), mr, nv)
	twin := fmt.Sprintf("FwdRef(%d, %d, ...)", mr, nv*s.lanes)
	kind := s.name
	if bf16 {
		twin = fmt.Sprintf("FwdBF16Ref(%d, %d, ...)", mr, nv*s.lanes)
		kind = s.name + "-bf16"
	}
	routine(name, "func(x, w, y, bias []float32, p []int)", twin,
		fmt.Sprintf("%s is the %s forward kernel for tiles of %d pixels × %d output channels; %s is its specification.",
			name, kind, mr, nv*s.lanes, twin))
	if mr*nv+nv+2 > len(s.vec) {
		panic(name + ": too many vector registers")
	}
	acc := func(i, v int) VecPhysical { return s.vec[i*nv+v] }
	wv := s.vec[mr*nv : mr*nv+nv]
	bc := s.vec[mr*nv+nv : mr*nv+nv+2]
	vbytes := 4 * s.lanes

	pp := Load(Param("p").Base(), GP64())
	yLocal := AllocLocal(8)
	cntLocal := AllocLocal(8)
	xrowLocal, yrowLocal, rowsLocal := AllocLocal(8), AllocLocal(8), AllocLocal(8)
	{
		t := Load(Param("x").Base(), GP64())
		MOVQ(t, xrowLocal)
		yt := Load(Param("y").Base(), GP64())
		MOVQ(yt, yrowLocal)
		n := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * fwdNTiles}, n)
		TESTQ(n, n)
		JZ(LabelRef(name + "_done"))
		MOVQ(Mem{Base: pp, Disp: 8 * fwdNRows}, n)
		TESTQ(n, n)
		JZ(LabelRef(name + "_done"))
		MOVQ(n, rowsLocal)
	}

	Label(name + "_row")
	xt := GP64()
	MOVQ(xrowLocal, xt)
	{
		t := GP64()
		MOVQ(yrowLocal, t)
		MOVQ(t, yLocal)
		MOVQ(Mem{Base: pp, Disp: 8 * fwdNTiles}, t)
		MOVQ(t, cntLocal)
	}

	Label(name + "_tile")
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VXORPS(acc(i, v), acc(i, v), acc(i, v))
		}
	}
	wp := Load(Param("w").Base(), GP64())
	ps := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * fwdPixX}, ps)
	SHLQ(U8(2), ps)
	tptr := GP64()
	LEAQ(Mem{Base: pp, Disp: 8 * fwdTaps}, tptr)
	tcnt := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * fwdNTaps}, tcnt)
	TESTQ(tcnt, tcnt)
	JZ(LabelRef(name + "_store"))

	ngroups := (mr + 2) / 3
	bases := make([]GPVirtual, ngroups)
	for g := range bases {
		bases[g] = GP64()
	}
	row := func(i, disp int) Mem {
		m := Mem{Base: bases[i/3], Disp: disp}
		if i%3 != 0 {
			m.Index, m.Scale = ps, uint8(i%3)
		}
		return m
	}
	step := func(u int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(Mem{Base: wp, Disp: (u*nv + v) * vbytes}, wv[v])
		}
		for i := 0; i < mr; i++ {
			t := bc[i%2]
			convBroadcast(bf16, row(i, 4*u), t)
			for v := 0; v < nv; v++ {
				convMulAdd(bf16, wv[v], t, acc(i, v))
			}
		}
	}

	Label(name + "_tap")
	Comment("Row bases of this tap: x + tile + offset, then 3·pixX apart.")
	MOVQ(Mem{Base: tptr}, bases[0])
	SHLQ(U8(2), bases[0])
	ADDQ(xt, bases[0])
	for g := 1; g < ngroups; g++ {
		LEAQ(Mem{Base: bases[g-1], Index: ps, Scale: 2}, bases[g])
		ADDQ(ps, bases[g])
	}
	ccnt := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * fwdNC}, ccnt)
	SHRQ(U8(2), ccnt)
	JZ(LabelRef(name + "_c1"))
	Label(name + "_c4")
	for u := 0; u < 4; u++ {
		step(u)
	}
	for g := range bases {
		ADDQ(U8(16), bases[g])
	}
	ADDQ(U32(4*nv*vbytes), wp)
	DECQ(ccnt)
	JNZ(LabelRef(name + "_c4"))
	Label(name + "_c1")
	MOVQ(Mem{Base: pp, Disp: 8 * fwdNC}, ccnt)
	ANDQ(U8(3), ccnt)
	JZ(LabelRef(name + "_nexttap"))
	Label(name + "_c1loop")
	step(0)
	for g := range bases {
		ADDQ(U8(4), bases[g])
	}
	ADDQ(U32(nv*vbytes), wp)
	DECQ(ccnt)
	JNZ(LabelRef(name + "_c1loop"))
	Label(name + "_nexttap")
	ADDQ(U8(8), tptr)
	DECQ(tcnt)
	JNZ(LabelRef(name + "_tap"))

	Label(name + "_store")
	flags := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * fwdFlags}, flags)
	yp := GP64()
	MOVQ(yLocal, yp)
	ldy := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * fwdLdy}, ldy)
	SHLQ(U8(2), ldy)
	eachRow := func(f func(i, v int, m Mem)) {
		r := GP64()
		MOVQ(yp, r)
		for i := 0; i < mr; i++ {
			for v := 0; v < nv; v++ {
				f(i, v, Mem{Base: r, Disp: v * vbytes})
			}
			if i < mr-1 {
				ADDQ(ldy, r)
			}
		}
	}
	Comment("flags&1: add the old y.")
	TESTQ(U32(1), flags)
	JZ(LabelRef(name + "_nobeta"))
	eachRow(func(i, v int, m Mem) { VADDPS(m, acc(i, v), acc(i, v)) })
	Label(name + "_nobeta")
	Comment("flags&2: add the bias.")
	TESTQ(U32(2), flags)
	JZ(LabelRef(name + "_nobias"))
	bp := Load(Param("bias").Base(), GP64())
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: bp, Disp: v * vbytes}, wv[v])
	}
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VADDPS(wv[v], acc(i, v), acc(i, v))
		}
	}
	Label(name + "_nobias")
	Comment("flags&4: ReLU, max(acc, 0) (NaN and -0 become +0).")
	TESTQ(U32(4), flags)
	JZ(LabelRef(name + "_norelu"))
	VXORPS(bc[0], bc[0], bc[0])
	for i := 0; i < mr; i++ {
		for v := 0; v < nv; v++ {
			VMAXPS(bc[0], acc(i, v), acc(i, v))
		}
	}
	Label(name + "_norelu")
	eachRow(func(i, v int, m Mem) { VMOVUPS(acc(i, v), m) })

	Comment("Next tile.")
	{
		t := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * fwdTileX}, t)
		SHLQ(U8(2), t)
		ADDQ(t, xt)
		t2 := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * fwdTileY}, t2)
		SHLQ(U8(2), t2)
		ADDQ(t2, yLocal)
	}
	DECQ(cntLocal)
	JNZ(LabelRef(name + "_tile"))

	Comment("Next row.")
	{
		t := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * fwdRowX}, t)
		SHLQ(U8(2), t)
		ADDQ(t, xrowLocal)
		MOVQ(Mem{Base: pp, Disp: 8 * fwdRowY}, t)
		SHLQ(U8(2), t)
		ADDQ(t, yrowLocal)
	}
	DECQ(rowsLocal)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// Indices of the dw parameter block p (ints), as documented in ref.go.
const (
	dwNPix = iota
	dwPixX
	dwPixDY
	dwNRows
	dwRowX
	dwRowDY
	dwLdw
	dwFlags
	dwNImg
	dwImgX
	dwImgDY
)

// convDWKernel emits convDW<ISA>_<j>x<nv>: a tile of j consecutive input
// values (of a receptive-field window) × nv vectors of output channels,
// summed over a band of output pixels; see DWRef.
func convDWKernel(s isa, j, nv int) { convDWKernelPrec(s, j, nv, false) }

// convDWKernelPrec emits the weight-gradient kernel in float32 or, with
// bf16, its bfloat16 form convDW<ISA>BF16_<j>x<nv> (x and dy hold pairs of
// bf16 along the pixels; see DWBF16Ref).
func convDWKernelPrec(s isa, j, nv int, bf16 bool) {
	name := fmt.Sprintf("convDW%s_%dx%d", convPrecName(s, bf16), j, nv)
	twin := fmt.Sprintf("DWRef(%d, %d, ...)", j, nv*s.lanes)
	kind := s.name
	if bf16 {
		twin = fmt.Sprintf("DWBF16Ref(%d, %d, ...)", j, nv*s.lanes)
		kind = s.name + "-bf16"
	}
	routine(name, "func(x, dy, dw []float32, p []int)", twin,
		fmt.Sprintf("%s is the %s weight-gradient kernel for tiles of %d window values × %d output channels; %s is its specification.",
			name, kind, j, nv*s.lanes, twin))
	if j*nv+nv+2 > len(s.vec) {
		panic(name + ": too many vector registers")
	}
	acc := func(i, v int) VecPhysical { return s.vec[i*nv+v] }
	gv := s.vec[j*nv : j*nv+nv]
	bc := s.vec[j*nv+nv : j*nv+nv+2]
	vbytes := 4 * s.lanes

	pp := Load(Param("p").Base(), GP64())
	for i := 0; i < j; i++ {
		for v := 0; v < nv; v++ {
			VXORPS(acc(i, v), acc(i, v), acc(i, v))
		}
	}
	ximg, dyimg, imgs, rows := AllocLocal(8), AllocLocal(8), AllocLocal(8), AllocLocal(8)
	{
		t := Load(Param("x").Base(), GP64())
		MOVQ(t, ximg)
		t2 := Load(Param("dy").Base(), GP64())
		MOVQ(t2, dyimg)
		n := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * dwNPix}, n)
		TESTQ(n, n)
		JZ(LabelRef(name + "_store"))
		MOVQ(Mem{Base: pp, Disp: 8 * dwNRows}, n)
		TESTQ(n, n)
		JZ(LabelRef(name + "_store"))
		MOVQ(Mem{Base: pp, Disp: 8 * dwNImg}, n)
		TESTQ(n, n)
		JZ(LabelRef(name + "_store"))
		MOVQ(n, imgs)
	}
	pixX, pixDY, rowX, rowDY := GP64(), GP64(), GP64(), GP64()
	for _, f := range []struct {
		r   GPVirtual
		idx int
	}{{pixX, dwPixX}, {pixDY, dwPixDY}, {rowX, dwRowX}, {rowDY, dwRowDY}} {
		MOVQ(Mem{Base: pp, Disp: 8 * f.idx}, f.r)
		SHLQ(U8(2), f.r)
	}
	Label(name + "_img")
	xrow, dyrow := GP64(), GP64()
	MOVQ(ximg, xrow)
	MOVQ(dyimg, dyrow)
	{
		n := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * dwNRows}, n)
		MOVQ(n, rows)
	}
	Label(name + "_row")
	xp, dyp, cnt := GP64(), GP64(), GP64()
	MOVQ(xrow, xp)
	MOVQ(dyrow, dyp)
	MOVQ(Mem{Base: pp, Disp: 8 * dwNPix}, cnt)
	Label(name + "_pix")
	for v := 0; v < nv; v++ {
		VMOVUPS(Mem{Base: dyp, Disp: v * vbytes}, gv[v])
	}
	for i := 0; i < j; i++ {
		t := bc[i%2]
		convBroadcast(bf16, Mem{Base: xp, Disp: 4 * i}, t)
		for v := 0; v < nv; v++ {
			convMulAdd(bf16, gv[v], t, acc(i, v))
		}
	}
	ADDQ(pixX, xp)
	ADDQ(pixDY, dyp)
	DECQ(cnt)
	JNZ(LabelRef(name + "_pix"))
	ADDQ(rowX, xrow)
	ADDQ(rowDY, dyrow)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	{
		t := GP64()
		MOVQ(Mem{Base: pp, Disp: 8 * dwImgX}, t)
		SHLQ(U8(2), t)
		ADDQ(t, ximg)
		MOVQ(Mem{Base: pp, Disp: 8 * dwImgDY}, t)
		SHLQ(U8(2), t)
		ADDQ(t, dyimg)
	}
	DECQ(imgs)
	JNZ(LabelRef(name + "_img"))

	Label(name + "_store")
	wp := Load(Param("dw").Base(), GP64())
	ldw := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * dwLdw}, ldw)
	SHLQ(U8(2), ldw)
	flags := GP64()
	MOVQ(Mem{Base: pp, Disp: 8 * dwFlags}, flags)
	TESTQ(U32(1), flags)
	JZ(LabelRef(name + "_write"))
	Comment("flags&1: add to the old dw.")
	{
		r := GP64()
		MOVQ(wp, r)
		for i := 0; i < j; i++ {
			for v := 0; v < nv; v++ {
				VADDPS(Mem{Base: r, Disp: v * vbytes}, acc(i, v), acc(i, v))
			}
			if i < j-1 {
				ADDQ(ldw, r)
			}
		}
	}
	Label(name + "_write")
	for i := 0; i < j; i++ {
		for v := 0; v < nv; v++ {
			VMOVUPS(acc(i, v), Mem{Base: wp, Disp: v * vbytes})
		}
		if i < j-1 {
			ADDQ(ldw, wp)
		}
	}
	VZEROUPPER()
	RET()
}

// convColSumKernel emits convColSum<ISA>: acc[0:n] += Σ_{i<rows} m[i·ld : i·ld+n]
// for n = len(acc), a multiple of the vector length; see ColSumRef.
func convColSumKernel(s isa) {
	name := fmt.Sprintf("convColSum%s", titleISA(s.name))
	routine(name, "func(acc, m []float32, rows, ld int)", "ColSumRef",
		fmt.Sprintf("%s adds the column sums of a rows×len(acc) block of m (row stride ld) to acc, %d columns at a time; ColSumRef is its specification.", name, s.lanes))
	vbytes := 4 * s.lanes
	const nb = 4 // vectors per column block
	ap := Load(Param("acc").Base(), GP64())
	n := Load(Param("acc").Len(), GP64())
	mp := Load(Param("m").Base(), GP64())
	rows := Load(Param("rows"), GP64())
	ld := Load(Param("ld"), GP64())
	SHLQ(U8(2), ld)
	TESTQ(rows, rows)
	JZ(LabelRef(name + "_done"))
	block := func(label string, vecs int) {
		Label(label)
		CMPQ(n, U32(vecs*s.lanes))
		JL(LabelRef(label + "_end"))
		for v := 0; v < vecs; v++ {
			VMOVUPS(Mem{Base: ap, Disp: v * vbytes}, s.vec[v])
		}
		r, cnt := GP64(), GP64()
		MOVQ(mp, r)
		MOVQ(rows, cnt)
		Label(label + "_rows")
		for v := 0; v < vecs; v++ {
			VADDPS(Mem{Base: r, Disp: v * vbytes}, s.vec[v], s.vec[v])
		}
		ADDQ(ld, r)
		DECQ(cnt)
		JNZ(LabelRef(label + "_rows"))
		for v := 0; v < vecs; v++ {
			VMOVUPS(s.vec[v], Mem{Base: ap, Disp: v * vbytes})
		}
		ADDQ(U32(vecs*vbytes), ap)
		ADDQ(U32(vecs*vbytes), mp)
		SUBQ(U32(vecs*s.lanes), n)
		JMP(LabelRef(label))
		Label(label + "_end")
	}
	block(name+"_b4", nb)
	block(name+"_b1", 1)
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
