package gemm

import "github.com/trainbench/trainbench/kernels/cpu"

// GoKernel is the pure-Go micro-kernel of ISA level generic.
var GoKernel = Kernel{Name: "go-2x3", MR: 2, NR: 3, Fn: kernelGo2x3}

// KernelFor returns the micro-kernel for ISA level l. The caller has checked
// that l is usable; without assembly (noasm, non-amd64) every level gets the
// generated kernels' pure-Go twins, which are correct but slow.
func KernelFor(l cpu.Level) Kernel {
	switch l {
	case cpu.AVX512:
		return AVX512Kernel
	case cpu.AVX2:
		return AVX2Kernel
	}
	return GoKernel
}

// AVX2Kernel is the generated AVX2+FMA family: a 6×16 tile in twelve YMM
// accumulators (Haswell-style, as in BLIS's haswell configuration), and
// direct kernels for 1-6 rows, 16 and 8 wide.
var AVX2Kernel = Kernel{Name: "avx2-6x16", MR: 6, NR: 16, Fn: sgemmAVX2_6x16,
	FullDirect: directAVX2_16[:], FullDirectHalf: directAVX2_8[:], SIMDPack: true}

// AVX512Kernel is the generated AVX-512 family: a 12×32 tile in 24 ZMM
// accumulators, enough to cover the 4-cycle FMA latency of two FMA pipes, and
// direct kernels for 1-12 rows, 32 and 16 wide.
var AVX512Kernel = Kernel{Name: "avx512-12x32", MR: 12, NR: 32, Fn: sgemmAVX512_12x32,
	Direct: directAVX512_32[:], DirectHalf: directAVX512_16[:], SIMDPack: true}
