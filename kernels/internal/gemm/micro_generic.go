package gemm

// kernelGo4x4 is the pure-Go micro-kernel used at ISA level generic: a 4×4
// tile of C held in sixteen scalar accumulators. It meets microRef's
// specification for mr = nr = 4.
func kernelGo4x4(k int, a, b, c []float32, ldc int, beta float32) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	a = a[:4*k]
	b = b[:4*k]
	for l := 0; l < len(a); l += 4 {
		ap := a[l : l+4 : l+4]
		bp := b[l : l+4 : l+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[1]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		a3 := ap[3]
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	store4(c[0*ldc:0*ldc+4], c00, c01, c02, c03, beta)
	store4(c[1*ldc:1*ldc+4], c10, c11, c12, c13, beta)
	store4(c[2*ldc:2*ldc+4], c20, c21, c22, c23, beta)
	store4(c[3*ldc:3*ldc+4], c30, c31, c32, c33, beta)
}

func store4(c []float32, v0, v1, v2, v3, beta float32) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = v0, v1, v2, v3
		return
	}
	c[0] = v0 + beta*c[0]
	c[1] = v1 + beta*c[1]
	c[2] = v2 + beta*c[2]
	c[3] = v3 + beta*c[3]
}
