package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// kernelsUnderTest returns every micro-kernel this machine can run, with the
// level it needs.
func kernelsUnderTest(t *testing.T) []Kernel {
	info, _ := cpu.Detect()
	var ks []Kernel
	for _, l := range cpu.AllLevels() {
		if info.Hardware >= l { // the twins run everywhere; the asm needs the hardware
			ks = append(ks, KernelFor(l))
		} else {
			t.Logf("skipping %v kernel: CPU lacks %v", KernelFor(l).Name, l)
		}
	}
	return ks
}

const guard = float32(-12345.5)

// extraMicroKernels are packed-only micro-kernels that build tags add (the
// archsimd ones under GOEXPERIMENT=simd): TestMicroKernelsMatchReference
// checks them too.
var extraMicroKernels []Kernel

// TestMicroKernelsMatchReference runs each micro-kernel (generated assembly on
// amd64, its twin elsewhere) against microRef on random panels, for k from 0 to
// past the unrolled loop's multiples, beta zero and not, and checks that the
// kernel writes only its tile (guard values around and between rows of C).
func TestMicroKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kern := range append(kernelsUnderTest(t), extraMicroKernels...) {
		for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 64, 129, 300} {
			for _, beta := range []float32{0, 1, 0.5, -2} {
				t.Run(fmt.Sprintf("%s/k=%d/beta=%v", kern.Name, k, beta), func(t *testing.T) {
					mr, nr := kern.MR, kern.NR
					a := randFloats(rng, mr*k)
					b := randFloats(rng, nr*k)
					ldc := nr + 3
					c := make([]float32, mr*ldc+8)
					for i := range c {
						c[i] = guard
					}
					want := make([]float32, len(c))
					for i := 0; i < mr; i++ {
						for j := 0; j < nr; j++ {
							v := rng.Float32()*2 - 1
							if beta == 0 {
								v = float32(math.NaN()) // must not leak
							}
							c[4+i*ldc+j] = v
						}
					}
					copy(want, c)
					a0, b0 := append([]float32(nil), a...), append([]float32(nil), b...)
					microRef(mr, nr, k, a, b, nr, want[4:], ldc, beta)
					kern.Fn(k, a, b, nr, c[4:], ldc, beta)
					for i := range c {
						if !closeTo(c[i], want[i], k) {
							t.Fatalf("c[%d] (row %d col %d of the tile) = %v, want %v", i, (i-4)/ldc, (i-4)%ldc, c[i], want[i])
						}
					}
					if !equal(a, a0) || !equal(b, b0) {
						t.Fatal("kernel modified its packed inputs")
					}
				})
			}
		}
	}
}

// TestDirectKernelsMatchReference checks every direct kernel (each row
// count, full and half width, every column count it accepts) against
// microRefDirect, with row strides of A and B larger than the tile, guard
// values around C, and — for kernels that mask columns — B ending right after
// the last column read, so a read past it would fault or show.
func TestDirectKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, kern := range kernelsUnderTest(t) {
		for _, half := range []bool{false, true} {
			width := kern.NR
			if half {
				width = kern.NR / 2
			}
			masked := kern.Direct != nil
			var table []DirectFn
			switch {
			case masked && half:
				table = kern.DirectHalf
			case masked:
				table = kern.Direct
			default:
				// Full-width kernels take every column: adapt them for the
				// comparison below.
				full := kern.FullDirect
				if half {
					full = kern.FullDirectHalf
				}
				for _, fn := range full {
					fn := fn
					table = append(table, func(k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, beta float32, cols int) {
						if fn != nil {
							fn(k, a, lda, b, ldb, c, ldc, beta)
						}
					})
				}
			}
			minCols := 1
			if !half {
				minCols = kern.NR/2 + 1
			}
			if !masked {
				minCols = width
			}
			for rows := 1; rows < len(table); rows++ {
				for _, k := range []int{0, 1, 3, 4, 5, 9, 64, 131} {
					for _, beta := range []float32{0, 1.5} {
						for cols := minCols; cols <= width; cols += 1 + rng.IntN(5) {
							lda, ldb, ldc := k+5, width+7, width+1
							if masked {
								ldb = cols + rng.IntN(2)
							}
							a := randFloats(rng, rows*lda)
							b := randFloats(rng, max(0, (k-1)*ldb+cols))
							if k == 0 {
								b = nil
							}
							if !masked {
								b = randFloats(rng, k*ldb)
							}
							c := make([]float32, rows*ldc+3)
							for i := range c {
								c[i] = guard
								if i%ldc < cols && i < rows*ldc {
									c[i] = rng.Float32()
									if beta == 0 {
										c[i] = float32(math.NaN())
									}
								}
							}
							want := append([]float32(nil), c...)
							microRefDirect(rows, width, k, a, lda, b, ldb, want, ldc, beta, cols)
							table[rows](k, a, lda, b, ldb, c, ldc, beta, cols)
							for i := range c {
								if !closeTo(c[i], want[i], k) {
									t.Fatalf("%s direct %dx%d cols=%d k=%d beta=%v: c[%d] = %v, want %v", kern.Name, rows, width, cols, k, beta, i, c[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

func randFloats(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// closeTo allows for FMA versus separate multiply-add rounding: the error of a
// k-term float32 dot product of values in [-1, 1] is below k·2⁻²³ in absolute
// terms (plus the beta term).
func closeTo(got, want float32, k int) bool {
	if got == want {
		return true
	}
	if math.IsNaN(float64(got)) || math.IsNaN(float64(want)) {
		return false
	}
	return math.Abs(float64(got-want)) <= float64(k+4)*0x1p-22
}

func equal(x, y []float32) bool {
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return len(x) == len(y)
}

func TestBlockingIsConsistent(t *testing.T) {
	for _, kern := range []Kernel{GoKernel, AVX2Kernel, AVX512Kernel} {
		for _, c := range []Caches{{}, {L2: 1 << 20, L3: 32 << 20}, {L2: 1, L3: 1}, {L2: 1 << 30, L3: 1 << 30}} {
			bl := BlockingFor(kern, c)
			if bl.MC%kern.MR != 0 || bl.NC%kern.NR != 0 || bl.KC <= 0 || bl.MC <= 0 || bl.NC <= 0 {
				t.Errorf("%s %+v: blocking %+v not a positive multiple of the %dx%d tile", kern.Name, c, bl, kern.MR, kern.NR)
			}
		}
	}
}

// TestBlockingRule checks BlockingFor's rule on the dev VM's caches (1 MiB L2,
// L3 hidden) and its limits: the B micro-panel within an eighth
// of L2, the A block within half of L2, and an unknown L3 taken as 8 MiB.
func TestBlockingRule(t *testing.T) {
	c := Caches{L2: 1 << 20}
	for _, kern := range []Kernel{AVX2Kernel, AVX512Kernel} {
		bl := BlockingFor(kern, c)
		if micro := 4 * bl.KC * kern.NR; micro > c.L2/8 || bl.KC > 1024 {
			t.Errorf("%s: KC %d: B micro-panel %d bytes, want at most L2/8 = %d and KC at most 1024", kern.Name, bl.KC, micro, c.L2/8)
		}
		if block := 4 * bl.MC * bl.KC; block > c.L2/2 || block+4*kern.MR*bl.KC <= c.L2/2 {
			t.Errorf("%s: MC %d: A block %d bytes, want the most MR-row multiple within L2/2 = %d", kern.Name, bl.MC, block, c.L2/2)
		}
		if panel := 4 * bl.KC * bl.NC; panel > 4<<20 || panel+4*kern.NR*bl.KC <= 4<<20 {
			t.Errorf("%s: NC %d: B panel %d bytes, want the most NR-column multiple within 4 MiB (half the assumed 8 MiB L3)", kern.Name, bl.NC, panel)
		}
	}
	if got, want := BlockingFor(AVX512Kernel, c), (Blocking{MC: 120, KC: 1024, NC: 1024}); got != want {
		t.Errorf("AVX-512 on the dev VM's caches: %+v, want %+v", got, want)
	}
	c.L3 = 32 << 20
	if big, bl := BlockingFor(AVX512Kernel, c), BlockingFor(AVX512Kernel, Caches{L2: 1 << 20}); big.NC <= bl.NC {
		t.Errorf("a known 32 MiB L3 gives NC %d, not wider than %d with the assumed 8 MiB", big.NC, bl.NC)
	}
}

// TestTransposeRowsMatchesReference checks the packing transposes (assembly on
// amd64 when the CPU has AVX2) against transposeRef on odd shapes: row counts
// around the groups of 8 and 4, column counts around the blocks of 8.
func TestTransposeRowsMatchesReference(t *testing.T) {
	info, _ := cpu.Detect()
	if info.Hardware < cpu.AVX2 {
		t.Skip("the transposes need AVX")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{1, 3, 4, 5, 7, 8, 9, 12, 13, 16, 32} {
		for _, cols := range []int{0, 1, 7, 8, 9, 15, 16, 17, 64, 67} {
			ld, stride := cols+3, rows+2
			src := randFloats(rng, rows*ld)
			got := make([]float32, cols*stride+1)
			want := make([]float32, len(got))
			for i := range got {
				got[i], want[i] = guard, guard
			}
			transposeRows(got, src, ld, rows, cols, stride)
			transposeRef(rows, cols, src, ld, want, stride)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("rows=%d cols=%d: dst[%d] = %v, want %v", rows, cols, i, got[i], want[i])
				}
			}
			for _, simd := range []bool{false, true} {
				exp := make([]float32, len(got))
				for i := range exp {
					exp[i] = guard
				}
				Transpose(exp, src, ld, rows, cols, stride, simd)
				for i := range exp {
					if exp[i] != want[i] {
						t.Fatalf("Transpose simd=%v rows=%d cols=%d: dst[%d] = %v, want %v", simd, rows, cols, i, exp[i], want[i])
					}
				}
			}
		}
	}
}
