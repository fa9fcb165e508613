package gemm

// kernelGo2x3 is the pure-Go micro-kernel used at ISA level generic: a 2×3
// tile of C in six scalar accumulators, the k loop unrolled twice. It meets
// microRef's specification for mr = 2, nr = 3.
//
// The odd shape is measured, not chosen: the Go compiler keeps six
// accumulators and five operands in registers, but spills larger tiles (4×4
// runs at a third of the speed), and the two-step unroll hides the loop
// overhead (go test -bench TuneGoKernel in this package compares shapes).
func kernelGo2x3(k int, a, b []float32, ldb int, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c10, c11, c12 float32
	if ldb != 3 {
		// Only packed panels reach the generic kernel; keep the spec anyway.
		microRef(2, 3, k, a, b, ldb, c, ldc, beta)
		return
	}
	a = a[:2*k]
	b = b[:3*k]
	l := 0
	for ; l+1 < k; l += 2 {
		ap := a[2*l : 2*l+4 : 2*l+4]
		bp := b[3*l : 3*l+6 : 3*l+6]
		a0, a1, b0, b1, b2 := ap[0], ap[1], bp[0], bp[1], bp[2]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		a0, a1, b0, b1, b2 = ap[2], ap[3], bp[3], bp[4], bp[5]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
	}
	if l < k {
		a0, a1, b0, b1, b2 := a[2*l], a[2*l+1], b[3*l], b[3*l+1], b[3*l+2]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
	}
	store3(c[0:3], c00, c01, c02, beta)
	store3(c[ldc:ldc+3], c10, c11, c12, beta)
}

func store3(c []float32, v0, v1, v2, beta float32) {
	c = c[:3]
	if beta == 0 {
		c[0], c[1], c[2] = v0, v1, v2
		return
	}
	c[0] = v0 + beta*c[0]
	c[1] = v1 + beta*c[1]
	c[2] = v2 + beta*c[2]
}
