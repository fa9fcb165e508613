package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// setsUnderTest returns the kernel sets this machine can run.
func setsUnderTest(t *testing.T) []*Set {
	info, _ := cpu.Detect()
	var out []*Set
	for _, l := range cpu.AllLevels() {
		if info.Hardware >= l {
			out = append(out, For(l))
		} else {
			t.Logf("skipping level %v: CPU lacks it", l)
		}
	}
	out = append(out, BF16For(false))
	if info.Hardware >= cpu.AVX512 && info.BF16() {
		out = append(out, BF16For(true))
	} else {
		t.Logf("skipping the avx512-bf16 kernels: CPU lacks AVX512_BF16")
	}
	return out
}

// kernelRefs returns the specifications of set s's kernels, the random
// operand maker (pairs of bf16 in a float32's bits for the bfloat16 sets)
// and the absolute value of such an operand, for the error scale.
func kernelRefs(s *Set) (fwd func(mr, nr int, x, w, y, bias []float32, p []int), dw func(mr, nr int, x, dy, dw []float32, p []int),
	operands func(rng *rand.Rand, n int) []float32, absOp func(v float32) float32, perTerm int) {
	if !s.BF16 {
		return FwdRef, DWRef, randFloats, func(v float32) float32 { return float32(math.Abs(float64(v))) }, 1
	}
	pairs := func(rng *rand.Rand, n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			lo := math.Float32bits(rng.Float32()*2-1) >> 16
			hi := math.Float32bits(rng.Float32()*2-1) >> 16
			v[i] = math.Float32frombits(lo | hi<<16)
		}
		return v
	}
	abs := func(v float32) float32 { return math.Float32frombits(math.Float32bits(v) & 0x7fff7fff) }
	return FwdBF16Ref, DWBF16Ref, pairs, abs, 2
}

func randFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

const guard = float32(-12345.5)

// within reports whether got and want agree to (terms+2)·2⁻²⁴·scale, the
// bound for two roundings orders of a terms-long sum with scale = Σ|terms|
// (FMA in the assembly, separate multiply and add in the twin).
func within(got, want, scale float32, terms int) bool {
	return math.Abs(float64(got-want)) <= float64(terms+2)*0x1p-24*float64(scale)*2+1e-30
}

// TestTablesComplete checks that the generated tables give every level a
// forward and a weight-gradient kernel for each tile size it advertises.
func TestTablesComplete(t *testing.T) {
	for _, l := range cpu.AllLevels() {
		s := For(l)
		for nv, maxMR := range s.MaxMR {
			if maxMR == 0 {
				continue
			}
			if len(s.Fwd[nv]) != maxMR+1 || len(s.DW[nv]) != maxMR+1 {
				t.Fatalf("%v nv=%d: %d fwd and %d dw kernels, want %d", l, nv, len(s.Fwd[nv])-1, len(s.DW[nv])-1, maxMR)
			}
			for mr := 1; mr <= maxMR; mr++ {
				if s.Fwd[nv][mr] == nil || s.DW[nv][mr] == nil {
					t.Errorf("%v: no kernel for %dx%d", l, mr, nv)
				}
			}
		}
	}
}

// TestFwdMatchesRef runs every forward kernel against FwdRef on random
// parameter blocks: 0 to 3 tiles, 0 to 3 taps at random offsets, reduction
// lengths 0 to 9 (across the 4× unrolled loop and its remainder), every flag
// combination, strides with gaps, and guard values around every output.
func TestFwdMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range setsUnderTest(t) {
		fwdRef, _, operands, absOp, perTerm := kernelRefs(s)
		for nv, maxMR := range s.MaxMR {
			for mr := 1; mr <= maxMR; mr++ {
				nr := nv * s.Lanes
				for trial := 0; trial < 6; trial++ {
					ntiles, ntaps, nc, nrows := rng.IntN(4), rng.IntN(4), rng.IntN(10), rng.IntN(3)
					if trial == 0 {
						ntiles, ntaps, nc, nrows = 2, 3, 9, 2
					}
					flags := trial % 8
					pixX := nc + rng.IntN(3)
					ldy := nr + rng.IntN(5)
					p := make([]int, FwdTaps)
					p[FwdNTiles], p[FwdTileX], p[FwdTileY] = ntiles, mr*pixX+rng.IntN(3), mr*ldy+rng.IntN(3)
					p[FwdPixX], p[FwdLdy], p[FwdNTaps], p[FwdNC], p[FwdFlags], p[FwdNRows] = pixX, ldy, ntaps, nc, flags, nrows
					p[FwdRowX], p[FwdRowY] = ntiles*p[FwdTileX]+rng.IntN(3), ntiles*p[FwdTileY]+rng.IntN(3)
					maxOff := 0
					for range ntaps {
						off := rng.IntN(20)
						maxOff = max(maxOff, off)
						p = append(p, off)
					}
					x := operands(rng, nrows*p[FwdRowX]+ntiles*p[FwdTileX]+mr*pixX+maxOff+nc+1)
					w := operands(rng, ntaps*nc*nr)
					bias := randFloats(rng, nr)
					ylen := nrows*p[FwdRowY] + ntiles*p[FwdTileY] + mr*ldy + 8
					y0 := make([]float32, ylen)
					for i := range y0 {
						y0[i] = guard
					}
					for r := 0; r < nrows; r++ {
						for tt := 0; tt < ntiles; tt++ {
							for i := 0; i < mr; i++ {
								for j := 0; j < nr; j++ {
									y0[r*p[FwdRowY]+tt*p[FwdTileY]+i*ldy+j] = rng.Float32()*2 - 1
								}
							}
						}
					}
					got, want := append([]float32(nil), y0...), append([]float32(nil), y0...)
					s.Fwd[nv][mr](x, w, got, bias, p)
					fwdRef(mr, nr, x, w, want, bias, p)
					// Scale: the same sum of absolute values.
					absWith := func(v []float32, f func(float32) float32) []float32 {
						a := make([]float32, len(v))
						for i, e := range v {
							a[i] = f(e)
						}
						return a
					}
					absF := func(v float32) float32 { return float32(math.Abs(float64(v))) }
					scale := absWith(y0, absF)
					pa := append([]int(nil), p...)
					pa[FwdFlags] &^= FlagReLU
					fwdRef(mr, nr, absWith(x, absOp), absWith(w, absOp), scale, absWith(bias, absF), pa)
					name := fmt.Sprintf("%v convFwd %dx%d nrows=%d ntiles=%d ntaps=%d nc=%d flags=%d", s.Level, mr, nv, nrows, ntiles, ntaps, nc, flags)
					for i := range got {
						if y0[i] == guard {
							if got[i] != guard {
								t.Fatalf("%s: guard element %d overwritten with %v", name, i, got[i])
							}
							continue
						}
						if !within(got[i], want[i], scale[i], perTerm*ntaps*nc+2) {
							t.Fatalf("%s: y[%d] = %v, want %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestDWMatchesRef runs every weight-gradient kernel against DWRef on random
// bands: 0 to 3 rows of 0 to 6 pixels, strides with gaps, with and without
// accumulation, guard values around every output.
func TestDWMatchesRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range setsUnderTest(t) {
		_, dwRef, operands, _, perTerm := kernelRefs(s)
		for nv, maxMR := range s.MaxMR {
			for mr := 1; mr <= maxMR; mr++ {
				nr := nv * s.Lanes
				for trial := 0; trial < 5; trial++ {
					nrows, npix, nimg := rng.IntN(4), rng.IntN(7), rng.IntN(3)
					if trial == 0 {
						nrows, npix, nimg = 3, 5, 2
					}
					pixX, pixDY := mr+rng.IntN(3), nr+rng.IntN(3)
					p := make([]int, DWParams)
					p[DWNPix], p[DWPixX], p[DWPixDY], p[DWNRows] = npix, pixX, pixDY, nrows
					p[DWRowX], p[DWRowDY] = npix*pixX+rng.IntN(4), npix*pixDY+rng.IntN(4)
					p[DWLdw], p[DWFlags] = nr+rng.IntN(4), trial%2
					p[DWNImg], p[DWImgX], p[DWImgDY] = nimg, nrows*p[DWRowX]+rng.IntN(5), nrows*p[DWRowDY]+rng.IntN(5)
					x := operands(rng, nimg*p[DWImgX]+nrows*p[DWRowX]+npix*pixX+mr)
					dy := operands(rng, nimg*p[DWImgDY]+nrows*p[DWRowDY]+npix*pixDY+nr)
					dw0 := make([]float32, mr*p[DWLdw]+5)
					for i := range dw0 {
						dw0[i] = guard
					}
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							dw0[i*p[DWLdw]+j] = rng.Float32()*2 - 1
						}
					}
					got, want := append([]float32(nil), dw0...), append([]float32(nil), dw0...)
					s.DW[nv][mr](x, dy, got, p)
					dwRef(mr, nr, x, dy, want, p)
					name := fmt.Sprintf("%v convDW %dx%d imgs=%d rows=%d pix=%d flags=%d", s.Level, mr, nv, nimg, nrows, npix, p[DWFlags])
					for i := range got {
						if dw0[i] == guard {
							if got[i] != guard {
								t.Fatalf("%s: guard element %d overwritten with %v", name, i, got[i])
							}
							continue
						}
						if !within(got[i], want[i], float32(perTerm*nimg*nrows*npix+1)*2, perTerm*nimg*nrows*npix+1) {
							t.Fatalf("%s: dw[%d] = %v, want %v", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestColSumsMatchRef checks ColSums (vector part and scalar tail) bit for
// bit against ColSumRef, which sums in the same order.
func TestColSumsMatchRef(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range setsUnderTest(t) {
		for _, n := range []int{1, 7, 8, 15, 16, 17, 33, 64, 65, 100, 130} {
			for _, rows := range []int{0, 1, 2, 5} {
				ld := n + rng.IntN(3)
				m := randFloats(rng, max(0, (rows-1)*ld+n))
				acc := randFloats(rng, n+3)
				want := append([]float32(nil), acc...)
				s.ColSums(acc[:n], m, rows, ld)
				ColSumRef(want[:n], m, rows, ld)
				for i := range acc {
					if math.Float32bits(acc[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v ColSums n=%d rows=%d: acc[%d] = %v, want %v", s.Level, n, rows, i, acc[i], want[i])
					}
				}
			}
		}
	}
}
