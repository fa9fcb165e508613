// Package norm holds batch normalisation's passes over NHWC rows: the
// per-channel sums of the forward (Σ(x − shift), Σ(x − shift)²) and backward
// (Σdz, Σdz·(x − μ)) passes in float64, and the element-wise passes that
// apply the per-channel coefficients (y = x·a + b with the residual add and
// ReLU fused; dx = a·dz + k·(x − μ) + d with the ReLU mask fused). Each exists
// as generated assembly for avx2 and avx512 and as a pure-Go twin (ref.go),
// which is the specification, the generic level's implementation, and what
// -tags noasm and other architectures run; the tests check the two bit for
// bit. The methods check their slices, so that a short one panics in Go
// before any assembly runs.
package norm

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/cpu"
)

type sumsFunc func(dy, y, x, dres []float32, mu, s1, s2 []float64, rows, stride int)

type applyFunc func(y, x, res, a, b []float32, rows int)

type dxFunc func(dx, dy, y, x, a, k, d, mu []float32, rows int)

// Kernels are the routines of one ISA level.
type Kernels struct {
	Level cpu.Level
	// dpl is the channel granularity of the sums routines (float64 lanes of
	// a vector); Sums methods run the twins on the channels past the last
	// whole multiple.
	dpl     int
	fwdSums func(x []float32, shift, s1, s2 []float64, rows, stride int)
	bwdSums [2][2]sumsFunc  // [mask][res]
	apply   [2][2]applyFunc // [res][relu]
	dx      [2]dxFunc       // [mask]
}

func twinSums(mask, res bool) sumsFunc {
	return func(dy, y, x, dres []float32, mu, s1, s2 []float64, rows, stride int) {
		bwdSumsGo(mask, res, dy, y, x, dres, mu, s1, s2, rows, stride)
	}
}

func twinApply(res, relu bool) applyFunc {
	return func(y, x, rs, a, b []float32, rows int) { applyGo(res, relu, y, x, rs, a, b, rows) }
}

func twinDX(mask bool) dxFunc {
	return func(dx, dy, y, x, a, k, d, mu []float32, rows int) { bwdDXGo(mask, dx, dy, y, x, a, k, d, mu, rows) }
}

var (
	goKernels = Kernels{Level: cpu.Generic, dpl: 1, fwdSums: fwdSumsGo,
		bwdSums: [2][2]sumsFunc{{twinSums(false, false), twinSums(false, true)}, {twinSums(true, false), twinSums(true, true)}},
		apply:   [2][2]applyFunc{{twinApply(false, false), twinApply(false, true)}, {twinApply(true, false), twinApply(true, true)}},
		dx:      [2]dxFunc{twinDX(false), twinDX(true)}}
	avx2Kernels = Kernels{Level: cpu.AVX2, dpl: 4, fwdSums: fwdSumsAVX2,
		bwdSums: [2][2]sumsFunc{{bwdSumsAVX2, bwdSumsResAVX2}, {bwdSumsMaskAVX2, bwdSumsMaskResAVX2}},
		apply:   [2][2]applyFunc{{applyAVX2, applyReLUAVX2}, {applyResAVX2, applyResReLUAVX2}},
		dx:      [2]dxFunc{bwdDXAVX2, bwdDXMaskAVX2}}
	avx512Kernels = Kernels{Level: cpu.AVX512, dpl: 8, fwdSums: fwdSumsAVX512,
		bwdSums: [2][2]sumsFunc{{bwdSumsAVX512, bwdSumsResAVX512}, {bwdSumsMaskAVX512, bwdSumsMaskResAVX512}},
		apply:   [2][2]applyFunc{{applyAVX512, applyReLUAVX512}, {applyResAVX512, applyResReLUAVX512}},
		dx:      [2]dxFunc{bwdDXAVX512, bwdDXMaskAVX512}}
)

// For returns the kernels of ISA level l. The caller has checked that l is
// usable on this CPU (cpu.Info.Check).
func For(l cpu.Level) *Kernels {
	switch l {
	case cpu.AVX512:
		return &avx512Kernels
	case cpu.AVX2:
		return &avx2Kernels
	}
	return &goKernels
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// need panics unless the named slice has at least n elements.
func need(what string, l, n int) {
	if l < n {
		panic(fmt.Sprintf("norm: %s has %d elements, want at least %d", what, l, n))
	}
}

// span is the elements rows rows of n channels with row stride stride reach.
func span(rows, n, stride int) int {
	if rows <= 0 || n == 0 {
		return 0
	}
	return (rows-1)*stride + n
}

func checkRows(rows, n, stride int) {
	if rows < 0 || stride < n {
		panic(fmt.Sprintf("norm: rows = %d, stride = %d for %d channels", rows, stride, n))
	}
}

// FwdSums adds d = x[r·stride+c] − shift[c] to s1[c] and d² to s2[c], in
// float64 and row order, for r < rows and c < len(s1) (see fwdSumsGo).
func (k *Kernels) FwdSums(x []float32, shift, s1, s2 []float64, rows, stride int) {
	n := len(s1)
	checkRows(rows, n, stride)
	need("shift", len(shift), n)
	need("s2", len(s2), n)
	need("x", len(x), span(rows, n, stride))
	if rows == 0 {
		return
	}
	n0 := n / k.dpl * k.dpl
	if n0 > 0 {
		k.fwdSums(x, shift[:n0], s1[:n0], s2[:n0], rows, stride)
	}
	if n0 < n {
		fwdSumsGo(x[n0:], shift[n0:n], s1[n0:n], s2[n0:n], rows, stride)
	}
}

// BwdSums adds dz and dz·(x − mu[c]) to s1[c] and s2[c], in float64 and row
// order, for rows r < rows and channels c < len(s1), element (r, c) being at
// r·stride+c of dy, y, x and dres: dz = dy, or with mask dy where y > 0 and
// +0 elsewhere; with res it stores dz to dres (see bwdSumsGo). y and dres
// are read or written only with mask and res.
func (k *Kernels) BwdSums(mask, res bool, dy, y, x, dres []float32, mu, s1, s2 []float64, rows, stride int) {
	n := len(s1)
	checkRows(rows, n, stride)
	need("mu", len(mu), n)
	need("s2", len(s2), n)
	sp := span(rows, n, stride)
	need("dy", len(dy), sp)
	need("x", len(x), sp)
	if mask {
		need("y", len(y), sp)
	}
	if res {
		need("dres", len(dres), sp)
	}
	if rows == 0 {
		return
	}
	from := func(v []float32, i int) []float32 {
		if len(v) < i {
			return nil
		}
		return v[i:]
	}
	n0 := n / k.dpl * k.dpl
	if n0 > 0 {
		k.bwdSums[b2i(mask)][b2i(res)](dy, y, x, dres, mu[:n0], s1[:n0], s2[:n0], rows, stride)
	}
	if n0 < n {
		bwdSumsGo(mask, res, dy[n0:], from(y, n0), x[n0:], from(dres, n0), mu[n0:n], s1[n0:n], s2[n0:n], rows, stride)
	}
}

// Apply sets y = x·a[c] + b[c], then adds rs with res, then applies ReLU
// with relu, for rows rows of len(a) channels (see applyGo). y may be x or
// rs; rs is read only with res.
func (k *Kernels) Apply(res, relu bool, y, x, rs, a, b []float32, rows int) {
	n := len(a)
	checkRows(rows, n, n)
	need("b", len(b), n)
	need("x", len(x), rows*n)
	need("y", len(y), rows*n)
	if res {
		need("res", len(rs), rows*n)
	}
	k.apply[b2i(res)][b2i(relu)](y, x, rs, a, b, rows)
}

// BwdDX sets dx = a[c]·dz + kc[c]·(x − mu[c]) + d[c] for rows rows of len(a)
// channels, dz = dy, or with mask dy where y > 0 and +0 elsewhere (see
// bwdDXGo). dx may be dy; y is read only with mask.
func (k *Kernels) BwdDX(mask bool, dx, dy, y, x, a, kc, d, mu []float32, rows int) {
	n := len(a)
	checkRows(rows, n, n)
	need("k", len(kc), n)
	need("d", len(d), n)
	need("mu", len(mu), n)
	need("dx", len(dx), rows*n)
	need("dy", len(dy), rows*n)
	need("x", len(x), rows*n)
	if mask {
		need("y", len(y), rows*n)
	}
	k.dx[b2i(mask)](dx, dy, y, x, a, kc, d, mu, rows)
}
