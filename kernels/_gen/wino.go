package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The wino unit: the transforms of Winograd's F(4×4, 3×3) convolution for
// package kernels/internal/wino, at avx2 and avx512. A transform maps an n×n
// patch D of vectors of channels to the m×m patch L·D·Lᵀ (L is m×n), one
// block of channels at a time, a column pass into a stack buffer and a row
// pass out of it. The three matrices (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016, with the points 0, ±1, ±2 and ∞):
//
//   - input: Bᵀ (6×6) on a 6×6 input tile, the pixels outside the image
//     (given as row and column ranges) read as zero;
//   - filter: G (6×3) on a 3×3 filter;
//   - output: Aᵀ (4×6) on a 6×6 tile of products, writing the rows × cols
//     pixels of a 4×4 output tile that fall inside the output, with the bias
//     added, ReLU, or added into what dst holds.
//
// Every entry of L·D is evaluated the same way by the routines and their
// twin (xformGo): the terms of a row in column order, zero coefficients
// skipped, +1 and −1 as additions and subtractions, other coefficients as a
// product rounded to float32 and then added; no FMA. The tables these
// matrices come from are written into the package (tables_gen.go), so the
// twin reads the same numbers the assembly was generated from.

// The matrices, float32 as the routines use them.
var (
	winoBT = [][]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	winoG = [][]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}
	winoAT = [][]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
	// F(3×3, 4×4), the weight gradient: a 3×3 correlation of a 6×6 input
	// patch with a 4×4 tile of the output gradient. Same points, so the same
	// Bᵀ; G′ and A′ᵀ are G and Aᵀ with the powers up to 3 and 2.
	winoGW = [][]float64{
		{1.0 / 4, 0, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6, 1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 3},
		{1.0 / 24, -1.0 / 12, 1.0 / 6, -1.0 / 3},
		{0, 0, 0, 1},
	}
	winoAWT = [][]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 1},
	}
)

// winoKind is one generated transform: its matrix, whether the input has
// row and column ranges, and the output epilogue.
type winoKind struct {
	base, twin, what string
	mat              [][]float64
	ranged, out      bool
	bias, relu, acc  bool
}

var winoKinds = []winoKind{
	{base: "input", twin: "xformGo(&Input, ...)", what: "writes Bᵀ·D·B of the 6×6 input tile D (rows [r0, r1) and columns [c0, c1) read, the rest zero)", mat: winoBT, ranged: true},
	{base: "filter", twin: "xformGo(&Filter, ...)", what: "writes G·g·Gᵀ of the 3×3 filter g", mat: winoG},
	{base: "output", twin: "xformGo(&Output, ...)", what: "writes the rows × cols pixels of Aᵀ·M·A", mat: winoAT, out: true},
	{base: "outputBias", twin: "xformGo(&OutputBias, ...)", what: "writes the rows × cols pixels of Aᵀ·M·A + bias", mat: winoAT, out: true, bias: true},
	{base: "outputReLU", twin: "xformGo(&OutputReLU, ...)", what: "writes the rows × cols pixels of max(Aᵀ·M·A, 0)", mat: winoAT, out: true, relu: true},
	{base: "outputBiasReLU", twin: "xformGo(&OutputBiasReLU, ...)", what: "writes the rows × cols pixels of max(Aᵀ·M·A + bias, 0)", mat: winoAT, out: true, bias: true, relu: true},
	{base: "outputAcc", twin: "xformGo(&OutputAcc, ...)", what: "adds the rows × cols pixels of Aᵀ·M·A to dst", mat: winoAT, out: true, acc: true},
	{base: "gradTile", twin: "xformGo(&GradTile, ...)", what: "writes G′·D·G′ᵀ of the 4×4 output-gradient tile D (rows [r0, r1) and columns [c0, c1) read, the rest zero)", mat: winoGW, ranged: true},
	{base: "weightOut", twin: "xformGo(&WeightOut, ...)", what: "writes A′ᵀ·M·A′, the 3×3 weight gradient of a 6×6 tile of products", mat: winoAWT},
}

const winoSig = "func(dst []float32, doff, drow, dpix, rows, cols int, src []float32, soff, srow, spix, r0, r1, c0, c1 int, bias []float32, c int)"

// winoConsts lists the coefficients the routines multiply by (all but 0
// and 1), each stored as 16 copies so that a memory operand is a vector.
func winoConsts() (Mem, map[float32]int) {
	idx := map[float32]int{}
	var vals []float32
	for _, mat := range [][][]float64{winoBT, winoG, winoAT, winoGW, winoAWT} {
		for _, row := range mat {
			for _, v := range row {
				f := float32(v)
				if _, ok := idx[f]; ok || f == 0 || f == 1 {
					continue
				}
				idx[f] = len(vals)
				vals = append(vals, f)
			}
		}
	}
	m := GLOBL("winoConst", RODATA|NOPTR)
	for i, f := range vals {
		for l := 0; l < 16; l++ {
			DATA(64*i+4*l, U32(math.Float32bits(f)))
		}
	}
	return m, idx
}

func genWino() {
	tabs := tailTables("wino")
	cm, idx := winoConsts()
	for _, s := range []isa{isaAVX2, isaAVX512} {
		g := &winoGen{vecGen: vecGen{isa: s, tabs: tabs}, consts: cm, idx: idx}
		for _, k := range winoKinds {
			g.xform(k)
		}
	}
}

type winoGen struct {
	vecGen
	consts Mem
	idx    map[float32]int
	cp     GPVirtual // the constants' address in the routine being emitted
}

// comb emits Σ_i row[i]·xs[i] in the order the twin evaluates it.
func (g *winoGen) comb(row []float64, xs []VecVirtual) VecVirtual {
	acc := g.vreg()
	first := true
	for i, v := range row {
		k := float32(v)
		if k == 0 {
			continue
		}
		cm := Mem{Base: g.cp, Disp: 64 * g.idx[k]}
		switch {
		case first && k == 1:
			VMOVAPS(xs[i], acc)
		case first:
			VMULPS(cm, xs[i], acc)
		case k == 1:
			VADDPS(xs[i], acc, acc)
		case k == -1:
			VSUBPS(xs[i], acc, acc)
		default:
			t := g.vreg()
			VMULPS(cm, xs[i], t)
			VADDPS(t, acc, acc)
		}
		first = false
	}
	if first {
		VXORPS(acc, acc, acc)
	}
	return acc
}

func (g *winoGen) xform(k winoKind) {
	m, n := len(k.mat), len(k.mat[0])
	name := k.base + titleISA(g.name)
	// The stack buffer is too large for NOSPLIT.
	routineAttr(name, winoSig, k.twin, fmt.Sprintf("%s %s, for each channel below c, with %s instructions; %s is its specification.", name, k.what, g.name, k.twin), 0)
	tmp := AllocLocal(m * n * g.vb())
	g.cp = GP64()
	LEAQ(g.consts, g.cp)
	left := asGP(Load(Param("c"), GP64()))
	dp := asGP(Load(Param("dst").Base(), GP64()))
	off := asGP(Load(Param("doff"), GP64()))
	LEAQ(Mem{Base: dp, Index: off, Scale: 4}, dp)
	sp := asGP(Load(Param("src").Base(), GP64()))
	off = asGP(Load(Param("soff"), GP64()))
	LEAQ(Mem{Base: sp, Index: off, Scale: 4}, sp)
	bytes := func(p string) GPVirtual {
		r := asGP(Load(Param(p), GP64()))
		SHLQ(U8(2), r)
		return r
	}
	drow, dpix, srow, spix := bytes("drow"), bytes("dpix"), bytes("srow"), bytes("spix")
	var bp GPVirtual
	if k.bias {
		bp = asGP(Load(Param("bias").Base(), GP64()))
	}
	ch := GP64()
	XORQ(ch, ch)

	body := func(t tail, lbl string) {
		// Column pass: T[a][j] = Σ_i L[a][i]·D[i][j] into tmp.
		colp := GP64()
		LEAQ(Mem{Base: sp, Index: ch, Scale: 1}, colp)
		for j := 0; j < n; j++ {
			zl := fmt.Sprintf("%s_%s_zc%d", name, lbl, j)
			nl := fmt.Sprintf("%s_%s_nc%d", name, lbl, j)
			if k.ranged {
				CMPQ(paramAddr("c0"), U32(j))
				JG(LabelRef(zl))
				CMPQ(paramAddr("c1"), U32(j))
				JLE(LabelRef(zl))
			}
			rowp := GP64()
			MOVQ(colp, rowp)
			d := make([]VecVirtual, n)
			for i := 0; i < n; i++ {
				d[i] = g.vreg()
				if k.ranged {
					sl := fmt.Sprintf("%s_%s_s%d_%d", name, lbl, j, i)
					VXORPS(d[i], d[i], d[i])
					CMPQ(paramAddr("r0"), U32(i))
					JG(LabelRef(sl))
					CMPQ(paramAddr("r1"), U32(i))
					JLE(LabelRef(sl))
					t.load(Mem{Base: rowp}, d[i])
					Label(sl)
				} else {
					t.load(Mem{Base: rowp}, d[i])
				}
				if i < n-1 {
					ADDQ(srow, rowp)
				}
			}
			for a := 0; a < m; a++ {
				VMOVUPS(g.comb(k.mat[a], d), tmp.Offset((a*n+j)*g.vb()))
			}
			if k.ranged {
				JMP(LabelRef(nl))
				Label(zl)
				z := g.zero()
				for a := 0; a < m; a++ {
					VMOVUPS(z, tmp.Offset((a*n+j)*g.vb()))
				}
				Label(nl)
			}
			ADDQ(spix, colp)
		}
		// Row pass: O[a][b] = Σ_j L[b][j]·T[a][j], the epilogue, the store.
		var bv, zv VecVirtual
		if k.bias {
			bv = g.vreg()
			t.load(Mem{Base: bp, Index: ch, Scale: 1}, bv)
		}
		if k.relu {
			zv = g.zero()
		}
		end := fmt.Sprintf("%s_%s_rows", name, lbl)
		rowp := GP64()
		LEAQ(Mem{Base: dp, Index: ch, Scale: 1}, rowp)
		for a := 0; a < m; a++ {
			na := fmt.Sprintf("%s_%s_na%d", name, lbl, a)
			if k.out {
				CMPQ(paramAddr("rows"), U32(a))
				JLE(LabelRef(end))
			}
			tr := make([]VecVirtual, n)
			for j := range tr {
				tr[j] = g.vreg()
				VMOVUPS(tmp.Offset((a*n+j)*g.vb()), tr[j])
			}
			pb := GP64()
			MOVQ(rowp, pb)
			for b := 0; b < m; b++ {
				if k.out {
					CMPQ(paramAddr("cols"), U32(b))
					JLE(LabelRef(na))
				}
				o := g.comb(k.mat[b], tr)
				if k.bias {
					VADDPS(bv, o, o)
				}
				if k.relu {
					VMAXPS(zv, o, o)
				}
				if k.acc {
					old := g.vreg()
					t.load(Mem{Base: pb}, old)
					VADDPS(o, old, o)
				}
				t.store(o, Mem{Base: pb})
				if b < m-1 {
					ADDQ(dpix, pb)
				}
			}
			Label(na)
			if a < m-1 {
				ADDQ(drow, rowp)
			}
		}
		Label(end)
	}

	Label(name + "_block")
	CMPQ(left, U32(g.lanes))
	JB(LabelRef(name + "_tail"))
	body(tail{g: &g.vecGen}, "f")
	ADDQ(U32(g.vb()), ch)
	SUBQ(U32(g.lanes), left)
	JMP(LabelRef(name + "_block"))
	Label(name + "_tail")
	TESTQ(left, left)
	JZ(LabelRef(name + "_done"))
	body(g.newTail(left), "t")
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// writeWinoGo writes package wino's tables_gen.go: the matrices the routines
// were generated from, as the twin reads them.
func writeWinoGo(dir string) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\npackage wino\n\n", generatedHeader("wino"))
	for _, t := range []struct {
		name, doc string
		mat       [][]float64
	}{{"matBT", "Bᵀ, the input transform", winoBT}, {"matG", "G, the filter transform", winoG}, {"matAT", "Aᵀ, the output transform", winoAT},
		{"matGW", "G′, the output-gradient transform of F(3×3, 4×4)", winoGW}, {"matAWT", "A′ᵀ, the weight-gradient transform of F(3×3, 4×4)", winoAWT}} {
		fmt.Fprintf(&sb, "// %s is %s, in float32.\nvar %s = [][]float32{\n", t.name, t.doc, t.name)
		for _, row := range t.mat {
			sb.WriteString("\t{")
			for i, v := range row {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(strconv.FormatFloat(float64(float32(v)), 'g', -1, 32))
			}
			sb.WriteString("},\n")
		}
		sb.WriteString("}\n\n")
	}
	return writeFormatted(dir+"/tables_gen.go", sb.String())
}
