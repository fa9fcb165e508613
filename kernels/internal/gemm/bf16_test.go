package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// hasBF16Hardware reports whether the AVX512_BF16 routines can run here
// (their twins run everywhere, and stand in for them under noasm).
func hasBF16Hardware(t *testing.T) bool {
	info, _ := cpu.Detect()
	if info.Hardware < cpu.AVX512 || !info.HardwareBF16 {
		t.Logf("not testing the AVX512_BF16 routines: %v", info.CheckBF16())
		return false
	}
	return true
}

// TestToBF16SpecialValues pins the rounding of ToBF16 on values whose
// answer is known: ties to even both ways, carries into the exponent,
// overflow to infinity, signed zeros, denormals flushed, NaN made quiet.
func TestToBF16SpecialValues(t *testing.T) {
	for _, tc := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f80_0000, 0x3f80}, // 1
		{0x3f80_8000, 0x3f80}, // 1 + 2⁻⁸: a tie, to even (down)
		{0x3f81_8000, 0x3f82}, // 1 + 3·2⁻⁸: a tie, to even (up)
		{0x3f80_8001, 0x3f81}, // just above the tie: up
		{0x3f80_7fff, 0x3f80}, // just below: down
		{0xbf80_8001, 0xbf81}, // negative, up in magnitude
		{0x3fff_ffff, 0x4000}, // carries into the exponent
		{0x7f7f_ffff, 0x7f80}, // the largest float32 rounds to +Inf
		{0x7f7f_7fff, 0x7f7f}, // ...but just below the tie stays finite
		{0x7f80_0000, 0x7f80}, // +Inf
		{0xff80_0000, 0xff80}, // -Inf
		{0x0000_0000, 0x0000}, // +0
		{0x8000_0000, 0x8000}, // -0
		{0x0040_0000, 0x0000}, // a denormal: zero
		{0x807f_ffff, 0x8000}, // a negative denormal: -0
		{0x0080_0000, 0x0080}, // the least normal stays
		{0x7fc0_0000, 0x7fc0}, // quiet NaN
		{0x7f80_0001, 0x7fc0}, // signalling NaN, payload in the low half: quiet
		{0xff81_2345, 0xffc1}, // negative signalling NaN keeps its top payload bits
		{0x7fff_ffff, 0x7fff}, // NaN that would round to... stays NaN, no carry
	} {
		if got := ToBF16(math.Float32frombits(tc.in)); got != tc.want {
			t.Errorf("ToBF16(%#08x) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
	for h := 0; h < 1<<16; h++ {
		f := FromBF16(uint16(h))
		back := ToBF16(f)
		exact := back == uint16(h)
		if f != f { // NaN: the quiet bit set, the rest kept
			exact = back == uint16(h)|0x40
		} else if h&0x7f80 == 0 { // denormal or zero: signed zero
			exact = back == uint16(h)&0x8000
		}
		if !exact {
			t.Fatalf("bf16 %#04x: FromBF16 then ToBF16 gives %#04x", h, back)
		}
	}
}

// TestConversionsMatchSpec compares the AVX-512 conversions with ToBF16 and
// FromBF16 on every bf16 value and, for float32 → bf16, on every top half
// with low halves at and around the rounding tie (so every rounding case of
// every exponent, denormals, NaN payloads) and random ones, on lengths that
// leave tails.
func TestConversionsMatchSpec(t *testing.T) {
	simd := hasBF16Hardware(t)
	rng := rand.New(rand.NewPCG(11, 12))
	lows := []uint32{0, 1, 0x7fff, 0x8000, 0x8001, 0xffff}
	src := make([]float32, 0, (1<<16)*(len(lows)+2)+5)
	for h := uint32(0); h < 1<<16; h++ {
		for _, lo := range lows {
			src = append(src, math.Float32frombits(h<<16|lo))
		}
		src = append(src, math.Float32frombits(h<<16|rng.Uint32()&0xffff), math.Float32frombits(rng.Uint32()))
	}
	src = append(src, 1, 2, 3, 4, 5) // a tail
	for _, n := range []int{len(src), 15, 16, 17, 33, 64, 99, 16*9 + 5} {
		got := make([]uint16, n+3)
		got[n], got[n+1], got[n+2] = 0xdead, 0xdead, 0xdead
		ConvertToBF16(got, src[:n], simd)
		for i, v := range src[:n] {
			if want := ToBF16(v); got[i] != want {
				t.Fatalf("n=%d: float32 %#08x → %#04x, ToBF16 gives %#04x", n, math.Float32bits(v), got[i], want)
			}
		}
		if got[n] != 0xdead || got[n+2] != 0xdead {
			t.Fatalf("n=%d: wrote past the end", n)
		}
	}
	all := make([]uint16, 1<<16+7)
	for i := range all {
		all[i] = uint16(i)
	}
	out := make([]float32, len(all))
	ConvertFromBF16(out, all, simd)
	for i, h := range all {
		if math.Float32bits(out[i]) != math.Float32bits(FromBF16(h)) || math.Float32bits(out[i]) != uint32(h)<<16 {
			t.Fatalf("bf16 %#04x → %#08x", h, math.Float32bits(out[i]))
		}
	}
}

// bf16Rand returns n random float32 in [-1, 1) (no denormals).
func bf16Rand(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

func TestPackPairsMatchesSpec(t *testing.T) {
	hasBF16Hardware(t)
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kp := range []int{0, 1, 2, 5, 64} {
		for _, ldb := range []int{32, 33, 100} {
			b := bf16Rand(rng, 2*kp*ldb+32)
			got, want := make([]uint32, kp*BF16Panel+1), make([]uint32, kp*BF16Panel+1)
			got[kp*BF16Panel], want[kp*BF16Panel] = 7, 7
			packPairsBF16AVX512(kp, b, ldb, got)
			packPairsRef(kp, b, ldb, want)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("kp=%d ldb=%d: element %d = %#08x, want %#08x", kp, ldb, i, got[i], want[i])
				}
			}
		}
	}
}

func TestPackPairsFromBF16MatchesSpec(t *testing.T) {
	hasBF16Hardware(t)
	rng := rand.New(rand.NewPCG(23, 24))
	for _, kp := range []int{0, 1, 2, 5, 64} {
		for _, ldb := range []int{32, 33, 100} {
			b := make([]uint16, 2*kp*ldb+32)
			for i := range b {
				b[i] = uint16(rng.Uint32())
			}
			got, want := make([]uint32, kp*BF16Panel+1), make([]uint32, kp*BF16Panel+1)
			got[kp*BF16Panel], want[kp*BF16Panel] = 7, 7
			packPairsFromBF16AVX512(kp, b, ldb, got)
			packPairsFromBF16Ref(kp, b, ldb, want)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("kp=%d ldb=%d: element %d = %#08x, want %#08x", kp, ldb, i, got[i], want[i])
				}
			}
		}
	}
}

// TestBF16MicroKernelsMatchReference runs every generated bf16 kernel (row
// counts 1-12, 32 and 16 wide) against microBF16Ref bit for bit on random
// data (no denormals, where VDPBF16PS's flushing would differ), for kp
// around the unrolled loop, every column count, beta 0 and not, and checks
// that nothing outside the tile's columns is written.
func TestBF16MicroKernelsMatchReference(t *testing.T) {
	hasBF16Hardware(t)
	rng := rand.New(rand.NewPCG(15, 16))
	kern := AVX512BF16Kernel
	for _, w := range []struct {
		table []BF16Fn
		nr    int
		cols  []int // the kernel's contract: nr-16 < cols ≤ nr
	}{{kern.Full, kern.NR, []int{17, 30, 32}}, {kern.Half, kern.NR / 2, []int{1, 9, 16}}} {
		table, nr := w.table, w.nr
		for mr := 1; mr <= kern.MR; mr++ {
			for _, kp := range []int{0, 1, 3, 4, 5, 9, 64} {
				for _, cols := range w.cols {
					for _, beta := range []float32{0, 1, -0.5} {
						name := fmt.Sprintf("%dx%d/kp=%d/cols=%d/beta=%v", mr, nr, kp, cols, beta)
						lda := 2*kp + 3
						a := make([]uint16, mr*lda)
						for i, v := range bf16Rand(rng, len(a)) {
							a[i] = ToBF16(v)
						}
						b := make([]uint32, kp*BF16Panel)
						for i := range b {
							b[i] = uint32(ToBF16(rng.Float32()*2-1)) | uint32(ToBF16(rng.Float32()*2-1))<<16
						}
						ldc := nr + 5
						c := bf16Rand(rng, mr*ldc)
						want := append([]float32(nil), c...)
						table[mr](kp, a, lda, b, c, ldc, 0.75, beta, cols)
						microBF16Ref(mr, nr, kp, a, lda, b, want, ldc, 0.75, beta, cols)
						for i := range c {
							if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s: C[%d][%d] = %v, want %v", name, i/ldc, i%ldc, c[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestPairRowsMatchesSpec checks PairRowsBF16 (the assembly for whole
// blocks of 16 when the CPU has AVX512_BF16, ToBF16 for the tail) bit for
// bit against pairRowsRef's element rule, on row counts and lengths around
// the block size, with strides that leave gaps, and a guard after every row
// that must stay untouched.
func TestPairRowsMatchesSpec(t *testing.T) {
	simd := hasBF16Hardware(t)
	rng := rand.New(rand.NewPCG(15, 16))
	const guard = 0xdeadbeef
	for _, rows := range []int{0, 1, 2, 5} {
		for _, n := range []int{0, 1, 15, 16, 17, 33, 64, 70} {
			for _, off := range []int{n, n + 3, 2*n + 1} {
				lds, ldd := off+n+rng.IntN(3), n+1+rng.IntN(3)
				src := bf16Rand(rng, max(1, rows*lds+off+n))
				dst := make([]uint32, rows*ldd+1)
				for i := range dst {
					dst[i] = guard
				}
				PairRowsBF16(rows, n, src, lds, off, dst, ldd, simd)
				for r := 0; r < rows; r++ {
					for i := 0; i < ldd; i++ {
						got, want := dst[r*ldd+i], uint32(guard)
						if i < n {
							want = uint32(ToBF16(src[r*lds+i])) | uint32(ToBF16(src[r*lds+off+i]))<<16
						}
						if got != want {
							t.Fatalf("rows=%d n=%d off=%d: dst[%d][%d] = %#08x, want %#08x", rows, n, off, r, i, got, want)
						}
					}
				}
			}
		}
	}
}
