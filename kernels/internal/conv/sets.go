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
	// Asm reports whether the kernels are generated assembly (false: the
	// pure-Go twins, at level generic or without assembly).
	Asm    bool
	colSum func(acc, m []float32, rows, ld int)
}

// Tiles returns, for each vector count nv, the tallest tile the generator
// emits at ISA level l: mr·nv accumulators, nv weight vectors and two
// broadcast registers fit the register file (16 YMM at avx2, 32 ZMM at
// avx512), and at most 14 rows. Level generic uses the avx2 tiles in Go.
func Tiles(l cpu.Level) [5]int {
	if l == cpu.AVX512 {
		return [5]int{1: 14, 2: 14, 3: 9, 4: 6}
	}
	return [5]int{1: 12, 2: 6}
}

var sets = map[cpu.Level]*Set{}

func init() {
	for _, l := range cpu.AllLevels() {
		s := &Set{Level: l, Lanes: 8, MaxMR: Tiles(l), colSum: ColSumRef}
		if l == cpu.AVX512 {
			s.Lanes = 16
		}
		if fwd, dw, cs, ok := asmKernels(l); ok {
			s.Fwd, s.DW, s.colSum, s.Asm = fwd, dw, cs, true
		} else {
			for nv, maxMR := range s.MaxMR {
				if maxMR == 0 {
					continue
				}
				s.Fwd[nv] = make([]FwdFunc, maxMR+1)
				s.DW[nv] = make([]DWFunc, maxMR+1)
				for mr := 1; mr <= maxMR; mr++ {
					nr := nv * s.Lanes
					s.Fwd[nv][mr] = func(x, w, y, bias []float32, p []int) { FwdRef(mr, nr, x, w, y, bias, p) }
					s.DW[nv][mr] = func(x, dy, dw []float32, p []int) { DWRef(mr, nr, x, dy, dw, p) }
				}
			}
		}
		sets[l] = s
	}
}

// For returns the kernel set of ISA level l (the caller has checked that the
// level is usable).
func For(l cpu.Level) *Set { return sets[l] }

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
