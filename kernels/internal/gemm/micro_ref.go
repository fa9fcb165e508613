package gemm

// microRef is the specification of every micro-kernel: C[mr×nr] = A·B + beta·C
// with A an mr-high packed panel (a[l*mr+i]), B k rows of nr values with row
// stride ldb (b[l*ldb+j]: a packed panel when ldb = nr) and C row stride ldc;
// C is not read when beta == 0. Each generated assembly kernel is tested
// against it, and builds without assembly run it directly.
func microRef(mr, nr, k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var acc [32 * 32]float32
	t := acc[:mr*nr]
	for l := 0; l < k; l++ {
		ap := a[l*mr : l*mr+mr]
		bp := b[l*ldb : l*ldb+nr]
		for i, av := range ap {
			row := t[i*nr : i*nr+nr]
			for j, bv := range bp {
				row[j] += av * bv
			}
		}
	}
	for i := 0; i < mr; i++ {
		row := c[i*ldc : i*ldc+nr]
		for j := range row {
			if beta == 0 {
				row[j] = t[i*nr+j]
			} else {
				row[j] = t[i*nr+j] + beta*row[j]
			}
		}
	}
}

// microRefDirect is the specification of the direct micro-kernels: microRef
// with A read in place, rows i of a row-major matrix with row stride lda
// (a[i*lda+l]) instead of a packed panel, and only the first cols ≤ nr
// columns of B read and of C written.
func microRefDirect(mr, nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32, cols int) {
	if cols < 1 || cols > nr {
		panic("gemm: microRefDirect: cols out of range")
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < cols; j++ {
			var sum float32
			for l := 0; l < k; l++ {
				sum += a[i*lda+l] * b[l*ldb+j]
			}
			if beta == 0 {
				c[i*ldc+j] = sum
			} else {
				c[i*ldc+j] = sum + beta*c[i*ldc+j]
			}
		}
	}
}

// transposeRef is the specification of the transpose routines: for l < cols
// and r < rows, dst[l*dstStride+r] = src[r*ld+l].
func transposeRef(rows, cols int, src []float32, ld int, dst []float32, dstStride int) {
	for r := 0; r < rows; r++ {
		for l := 0; l < cols; l++ {
			dst[l*dstStride+r] = src[r*ld+l]
		}
	}
}
