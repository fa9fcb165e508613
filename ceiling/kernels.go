package ceiling

import "github.com/trainbench/trainbench/kernels/cpu"

// kernelSet is the timed routines of one ISA level.
type kernelSet struct {
	peak32 func(n int, c []float32, a, b float32)
	peak64 func(n int, c []float64, a, b float64)
	bf16   func(n int, c []float32, a, b uint32) // nil: no bf16 loop at this level
	copy   func(dst, src []float64)
	triad  func(a, b, c []float64, s float64)
}

// The routines of each level: plain Go at generic (peakGeneric and the STREAM
// twins), the generated routines at avx2 and avx512. Without assembly
// (noasm, other architectures) those are their pure-Go twins
// (kernels_noasm.go), never timed as avx2 or avx512 because cpu.Info.Check
// refuses those levels there; addChain's twin does no dependent work, so the
// clock is not estimated either.
var (
	goKernels     = kernelSet{peak32: peakGeneric[float32], peak64: peakGeneric[float64], copy: copyRef, triad: triadRef}
	avx2Kernels   = kernelSet{peak32: peakFMAAVX2F32, peak64: peakFMAAVX2F64, copy: copyAVX2, triad: triadAVX2}
	avx512Kernels = kernelSet{peak32: peakFMAAVX512F32, peak64: peakFMAAVX512F64, bf16: peakDPBF16AVX512, copy: copyAVX512, triad: triadAVX512}
)

// kernelsFor returns the routines of ISA level l. The caller has checked that
// l is usable on this CPU (cpu.Info.Check).
func kernelsFor(l cpu.Level) *kernelSet {
	switch l {
	case cpu.AVX512:
		return &avx512Kernels
	case cpu.AVX2:
		return &avx2Kernels
	}
	return &goKernels
}
