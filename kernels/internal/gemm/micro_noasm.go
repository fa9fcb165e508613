//go:build !amd64 || noasm

package gemm

// Without assembly the generated kernels are their pure-Go twins.

func sgemmKernelAVX2_6x16(k int, a, b, c []float32, ldc int, beta float32) {
	microRef(6, 16, k, a, b, c, ldc, beta)
}

func sgemmKernelAVX512_12x32(k int, a, b, c []float32, ldc int, beta float32) {
	microRef(12, 32, k, a, b, c, ldc, beta)
}

func sgemmKernelAVX2_6x16Direct(k int, a []float32, lda int, b, c []float32, ldc int, beta float32) {
	microRefDirect(6, 16, k, a, lda, b, c, ldc, beta)
}

func sgemmKernelAVX512_12x32Direct(k int, a []float32, lda int, b, c []float32, ldc int, beta float32) {
	microRefDirect(12, 32, k, a, lda, b, c, ldc, beta)
}
