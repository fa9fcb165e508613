package conv

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// FwdFunc is the signature of the forward kernels (see FwdRef).
type FwdFunc func(x, w, y, bias []float32, p []int)

// DWFunc is the signature of the weight-gradient kernels (see DWRef).
type DWFunc func(x, dy, dw []float32, p []int)

// Set is the kernel family of one ISA level.
type Set struct {
	Level cpu.Level
	Lanes int // float32 lanes per vector: output channels come in multiples of it
	// Fwd[nv][mr] and DW[nv][mr] are the kernels for tiles of mr pixels (or
	// window values) × nv·Lanes output channels; MaxMR[nv] is the largest mr
	// (0: no kernels with nv vectors).
	Fwd   [5][]FwdFunc
	DW    [5][]DWFunc
	MaxMR [5]int
	// InFlight is how many independent multiply-adds the core needs in
	// flight to keep its pipes busy (latency × pipes): tiles with fewer
	// accumulators wait on latency.
	InFlight int
	// BF16: the kernels take pairs of bf16 (FwdBF16Ref, DWBF16Ref).
	BF16   bool
	colSum func(acc, m []float32, rows, ld int)
}

// The sets of each level. The generator's tile list (tables_gen.go) says
// which tiles each level has: as many accumulator rows as fit the register
// file. Level generic runs the specifications at the avx2 tiles; without
// assembly (noasm, other architectures) the avx2 and avx512 kernels are their
// pure-Go twins (conv_noasm.go).
var (
	goSet     = Set{Level: cpu.Generic, Lanes: 8, Fwd: fwdGo, DW: dwGo, MaxMR: heights(fwdGo), InFlight: 8, colSum: ColSumRef}
	avx2Set   = Set{Level: cpu.AVX2, Lanes: 8, Fwd: fwdAVX2, DW: dwAVX2, MaxMR: heights(fwdAVX2), InFlight: 8, colSum: convColSumAVX2}
	avx512Set = Set{Level: cpu.AVX512, Lanes: 16, Fwd: fwdAVX512, DW: dwAVX512, MaxMR: heights(fwdAVX512), InFlight: 8, colSum: convColSumAVX512}

	// The bfloat16 sets (see BF16For): VDPBF16PS has a longer latency than
	// FMA, so more accumulators must be in flight.
	goBF16Set     = Set{Level: cpu.Generic, Lanes: 8, Fwd: fwdGoBF16, DW: dwGoBF16, MaxMR: heights(fwdGoBF16), InFlight: 8, BF16: true, colSum: ColSumRef}
	avx512BF16Set = Set{Level: cpu.AVX512, Lanes: 16, Fwd: fwdAVX512BF16, DW: dwAVX512BF16, MaxMR: heights(fwdAVX512BF16), InFlight: 12, BF16: true, colSum: convColSumAVX512}
)

// BF16For returns the bfloat16 kernel set: the VDPBF16PS kernels when simd
// (the Context runs avx512 on a CPU with AVX512_BF16), else their pure-Go
// forms. Its kernels take pairs of bf16 where the float32 sets take one
// float32 (FwdBF16Ref, DWBF16Ref); accumulators, outputs and the bias stay
// float32.
func BF16For(simd bool) *Set {
	if simd {
		return &avx512BF16Set
	}
	return &goBF16Set
}

// heights returns the largest tile height of each vector count of a table.
func heights(t [5][]FwdFunc) [5]int {
	var h [5]int
	for nv, row := range t {
		h[nv] = max(len(row)-1, 0)
	}
	return h
}

// For returns the kernel set of ISA level l. The caller has checked that l is
// usable on this CPU (cpu.Info.Check).
func For(l cpu.Level) *Set {
	switch l {
	case cpu.AVX512:
		return &avx512Set
	case cpu.AVX2:
		return &avx2Set
	}
	return &goSet
}

// ColSums sets acc[j] += Σ_{i<rows} m[i·ld + j] for every j < len(acc) (see
// ColSumRef), vectorised over whole vectors of acc. It panics if m is too
// short.
func (s *Set) ColSums(acc, m []float32, rows, ld int) {
	if rows <= 0 || len(acc) == 0 {
		return
	}
	if need := (rows-1)*ld + len(acc); len(m) < need || ld < len(acc) {
		panic(fmt.Sprintf("conv: ColSums: %d rows of %d with stride %d need %d values, have %d", rows, len(acc), ld, need, len(m)))
	}
	n := len(acc) / s.Lanes * s.Lanes
	if n > 0 {
		s.colSum(acc[:n], m, rows, ld)
	}
	if n < len(acc) {
		ColSumRef(acc[n:], m[n:], rows, ld)
	}
}
