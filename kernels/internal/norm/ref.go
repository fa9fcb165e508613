package norm

import "math"

// The pure-Go twins: the specification of each generated routine, the
// implementation at ISA level generic, and the routine itself under noasm.
// float32 products are rounded explicitly (float32(a*b)) so that no compiler
// fuses them into a multiply-add, which would round differently from the
// assembly; the float64 sums use math.FMA where the assembly uses
// VFMADD231PD.

// fwdSumsGo adds d = x[r·stride+c] − shift[c] to s1[c] and d² to s2[c]
// (fused), in float64, for rows r < rows and channels c < len(s1), row by row.
func fwdSumsGo(x []float32, shift, s1, s2 []float64, rows, stride int) {
	n := len(s1)
	shift, s2 = shift[:n], s2[:n]
	for r := 0; r < rows; r++ {
		row := x[r*stride : r*stride+n]
		for c, v := range row {
			d := float64(v) - shift[c]
			s1[c] += d
			s2[c] = math.FMA(d, d, s2[c])
		}
	}
}

// bwdSumsGo adds dz and dz·(x − mu[c]) (fused) to s1[c] and s2[c], in
// float64, for rows r < rows and channels c < len(s1), row by row, with
// element (r, c) at r·stride+c of dy, y, x and dres: dz = dy, or with mask
// dy where y > 0 and +0 elsewhere (NaN included); with res it stores dz to
// dres. y (without mask) and dres (without res) are not read.
func bwdSumsGo(mask, res bool, dy, y, x, dres []float32, mu, s1, s2 []float64, rows, stride int) {
	n := len(s1)
	mu, s2 = mu[:n], s2[:n]
	for r := 0; r < rows; r++ {
		o := r * stride
		dyr, xr := dy[o:o+n], x[o:o+n]
		for c, v := range dyr {
			if mask && !(y[o+c] > 0) {
				v = 0
			}
			if res {
				dres[o+c] = v
			}
			d := float64(v)
			s1[c] += d
			s2[c] = math.FMA(d, float64(xr[c])-mu[c], s2[c])
		}
	}
}

// applyGo sets y = x·a[c] + b[c], then + res with res, then max(·, 0) with
// relu (y < 0 becomes 0; NaN and −0 pass through), rounding after every
// operation, for rows rows of len(a) channels. y may be x or res.
func applyGo(res, relu bool, y, x, rs, a, b []float32, rows int) {
	n := len(a)
	b = b[:n]
	for r := 0; r < rows; r++ {
		xr, yr := x[r*n:r*n+n], y[r*n:r*n+n]
		for c, v := range xr {
			o := float32(v*a[c]) + b[c]
			if res {
				o += rs[r*n+c]
			}
			if relu && o < 0 {
				o = 0
			}
			yr[c] = o
		}
	}
}

// bwdDXGo sets dx = a[c]·dz + k[c]·(x − mu[c]) + d[c], rounding after every
// operation and adding left to right, for rows rows of len(a) channels; dz
// = dy, or with mask dy where y > 0 and +0 elsewhere. dx may be dy.
func bwdDXGo(mask bool, dx, dy, y, x, a, k, d, mu []float32, rows int) {
	n := len(a)
	k, d, mu = k[:n], d[:n], mu[:n]
	for r := 0; r < rows; r++ {
		o := r * n
		xr, dyr, dxr := x[o:o+n], dy[o:o+n], dx[o:o+n]
		for c, v := range xr {
			dz := dyr[c]
			if mask && !(y[o+c] > 0) {
				dz = 0
			}
			dxr[c] = float32(a[c]*dz) + float32(k[c]*(v-mu[c])) + d[c]
		}
	}
}
