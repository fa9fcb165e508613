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

// microRefDirect is microRef with A read in place: rows i of a row-major
// matrix with row stride lda (a[i*lda+l]) instead of a packed panel. It is
// the specification of the Direct micro-kernels.
func microRefDirect(mr, nr, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var panel [32 * 512]float32
	for l0 := 0; l0 < k || l0 == 0; l0 += 512 {
		kk := min(512, k-l0)
		p := panel[:mr*kk]
		for l := 0; l < kk; l++ {
			for i := 0; i < mr; i++ {
				p[l*mr+i] = a[i*lda+l0+l]
			}
		}
		bet := beta
		if l0 > 0 {
			bet = 1
		}
		microRef(mr, nr, kk, p, b[l0*ldb:], ldb, c, ldc, bet)
		if k == 0 {
			break
		}
	}
}
