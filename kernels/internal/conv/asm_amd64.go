//go:build amd64 && !noasm

package conv

import "github.com/trainbench/trainbench/kernels/cpu"

// asmKernels returns the generated kernels of level l.
func asmKernels(l cpu.Level) (fwd [5][]FwdFunc, dw [5][]DWFunc, colSum func(acc, m []float32, rows, ld int), ok bool) {
	switch l {
	case cpu.AVX2:
		return fwdAVX2, dwAVX2, convColSumAVX2, true
	case cpu.AVX512:
		return fwdAVX512, dwAVX512, convColSumAVX512, true
	}
	return fwd, dw, nil, false
}
