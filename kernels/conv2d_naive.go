package kernels

// conv2DFwdNaive is the specification of the forward pass: for every output
// element, in float32,
//
//	sum := 0
//	for r, s, c (in that order, skipping taps in the zero padding):
//		sum += X[n, p·StrideH−PadH+r·DilH, q·StrideW−PadW+s·DilW, c] · Wt[k,r,s,c]
//	Y[n,p,q,k] = sum + bias[k]   (no bias term when bias is nil)
//
// Output rows (n, p) are split across the Context's threads.
func conv2DFwdNaive(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	checkConv2DFwd("conv2d-fwd naive", s, x, w, bias, y)
	P, Q := s.OutH(), s.OutW()
	ctx.ParallelFor(s.N*P, func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			n, p := row/P, row%P
			for q := 0; q < Q; q++ {
				out := y[(row*Q+q)*s.K : (row*Q+q+1)*s.K]
				for k := range out {
					var sum float32
					for r := 0; r < s.R; r++ {
						h := p*s.StrideH - s.PadH + r*s.DilH
						if h < 0 || h >= s.H {
							continue
						}
						for t := 0; t < s.S; t++ {
							wc := q*s.StrideW - s.PadW + t*s.DilW
							if wc < 0 || wc >= s.W {
								continue
							}
							xs := x[((n*s.H+h)*s.W+wc)*s.C:][:s.C]
							ws := w[((k*s.R+r)*s.S+t)*s.C:][:s.C]
							for c, xv := range xs {
								sum += xv * ws[c]
							}
						}
					}
					if bias != nil {
						sum += bias[k]
					}
					out[k] = sum
				}
			}
		}
	})
}

// conv2DBwdDataNaive is the specification of the backward-data pass, in
// gather form: for every input element, in float32,
//
//	sum := 0
//	for r, s (in that order), for the output pixel (p, q) that tap (r, s)
//	reads this input pixel from (if any), for k:
//		sum += dY[n,p,q,k] · Wt[k,r,s,c]
//	dX[n,h,w,c] = sum
//
// Input rows (n, h) are split across the Context's threads.
func conv2DBwdDataNaive(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data naive", s, dy, w, dx)
	convBwdDataNaive(ctx, s, dy, w, dx, false)
}

// conv2DBwdDataAddNaive is the definition of the accumulating
// backward-data pass: dX[n,h,w,c] += the sum above, the old dX added last.
func conv2DBwdDataAddNaive(ctx *Context, s Conv2DShape, dy, w, dx []float32) {
	checkConv2DBwdData("conv2d-bwd-data-add naive", s, dy, w, dx)
	convBwdDataNaive(ctx, s, dy, w, dx, true)
}

func convBwdDataNaive(ctx *Context, s Conv2DShape, dy, w, dx []float32, acc bool) {
	P, Q := s.OutH(), s.OutW()
	// tapOut returns the output index that tap t of a filter with the given
	// stride, padding and dilation reads input index i from, or -1.
	tapOut := func(i, t, stride, pad, dil, out int) int {
		o := i + pad - t*dil
		if o < 0 || o%stride != 0 || o/stride >= out {
			return -1
		}
		return o / stride
	}
	ctx.ParallelFor(s.N*s.H, func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			n, h := row/s.H, row%s.H
			for wc := 0; wc < s.W; wc++ {
				out := dx[(row*s.W+wc)*s.C : (row*s.W+wc+1)*s.C]
				for c := range out {
					var sum float32
					for r := 0; r < s.R; r++ {
						p := tapOut(h, r, s.StrideH, s.PadH, s.DilH, P)
						if p < 0 {
							continue
						}
						for t := 0; t < s.S; t++ {
							q := tapOut(wc, t, s.StrideW, s.PadW, s.DilW, Q)
							if q < 0 {
								continue
							}
							g := dy[((n*P+p)*Q+q)*s.K:][:s.K]
							for k, gv := range g {
								sum += gv * w[((k*s.R+r)*s.S+t)*s.C+c]
							}
						}
					}
					if acc {
						sum += out[c]
					}
					out[c] = sum
				}
			}
		}
	})
}

// conv2DBwdWeightsNaive is the specification of the backward-weights pass:
// for every weight, in float32,
//
//	sum := 0
//	for n, p, q (in that order, skipping pixels whose tap is in the padding):
//		sum += dY[n,p,q,k] · X[n, p·StrideH−PadH+r·DilH, q·StrideW−PadW+s·DilW, c]
//	dWt[k,r,s,c] = sum
//
// and, when db is not nil, dB[k] = Σ_{n,p,q} dY[n,p,q,k] summed in the same
// order. Output channels k are split across the Context's threads.
func conv2DBwdWeightsNaive(ctx *Context, s Conv2DShape, x, dy, dw, db []float32) {
	checkConv2DBwdWeights("conv2d-bwd-weights naive", s, x, dy, dw, db)
	P, Q := s.OutH(), s.OutW()
	ctx.ParallelFor(s.K, func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			for r := 0; r < s.R; r++ {
				for t := 0; t < s.S; t++ {
					for c := 0; c < s.C; c++ {
						var sum float32
						for n := 0; n < s.N; n++ {
							for p := 0; p < P; p++ {
								h := p*s.StrideH - s.PadH + r*s.DilH
								if h < 0 || h >= s.H {
									continue
								}
								for q := 0; q < Q; q++ {
									wc := q*s.StrideW - s.PadW + t*s.DilW
									if wc < 0 || wc >= s.W {
										continue
									}
									sum += dy[((n*P+p)*Q+q)*s.K+k] * x[((n*s.H+h)*s.W+wc)*s.C+c]
								}
							}
						}
						dw[((k*s.R+r)*s.S+t)*s.C+c] = sum
					}
				}
			}
			if db != nil {
				var sum float32
				for i := k; i < len(dy); i += s.K {
					sum += dy[i]
				}
				db[k] = sum
			}
		}
	})
}
