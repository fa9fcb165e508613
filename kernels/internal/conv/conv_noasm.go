//go:build !amd64 || noasm

package conv

import "github.com/trainbench/trainbench/kernels/cpu"

// Without assembly every level runs the kernels' pure-Go twins: the
// specifications FwdRef, DWRef and ColSumRef (see sets.go).
func asmKernels(l cpu.Level) (fwd [5][]FwdFunc, dw [5][]DWFunc, colSum func(acc, m []float32, rows, ld int), ok bool) {
	return fwd, dw, nil, false
}
