package ceiling

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// levelsUnderTest returns the levels whose routines this machine can run: the
// twins run everywhere, the assembly needs the hardware (TRAINBENCH_ISA does
// not matter to these tests).
func levelsUnderTest(t *testing.T) []cpu.Level {
	info, _ := cpu.Detect()
	var ls []cpu.Level
	for _, l := range cpu.AllLevels() {
		if l <= info.Hardware {
			ls = append(ls, l)
		} else {
			t.Logf("skipping %v: the CPU lacks it", l)
		}
	}
	return ls
}

var iterCounts = []int{0, 1, 2, 3, 7, 64, 1001}

// TestPeakLoopsCountIterations checks with exact arithmetic (a = 1, b = 1)
// that every lane of every accumulator of each peak loop is updated exactly n
// times, and with a = 0.5 (exact product, so fused or not makes no
// difference) that the loops equal peakRef bit for bit.
func TestPeakLoopsCountIterations(t *testing.T) {
	for _, l := range levelsUnderTest(t) {
		for _, n := range iterCounts {
			loop := PeakLoop{l, benchname.F32}
			t.Run(fmt.Sprintf("%v/n=%d", loop, n), func(t *testing.T) {
				checkPeakExact(t, n, loop.Lanes()*loop.Accumulators(), loop.run32())
			})
			loop = PeakLoop{l, benchname.F64}
			t.Run(fmt.Sprintf("%v/n=%d", loop, n), func(t *testing.T) {
				checkPeakExact(t, n, loop.Lanes()*loop.Accumulators(), loop.run64())
			})
		}
	}
}

func checkPeakExact[F float32 | float64](t *testing.T, n, size int, fn func(int, []F, F, F)) {
	c := make([]F, size)
	for i := range c {
		c[i] = F(i)
	}
	fn(n, c, 1, 1)
	for i, v := range c {
		if v != F(i+n) {
			t.Fatalf("a=1 b=1: c[%d] = %v after %d iterations from %d, want %d", i, v, n, i, i+n)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	want := make([]F, size)
	for i := range c {
		c[i] = F(rng.Float64()*4 - 2)
		want[i] = c[i]
	}
	b := F(rng.Float64())
	fn(n, c, 0.5, b)
	peakRef(n, want, 0.5, b)
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("a=0.5: c[%d] = %v, peakRef gives %v", i, c[i], want[i])
		}
	}
}

// TestPeakBF16Loop checks the bf16 peak loop against peakBF16Ref bit for
// bit: counting (a = (1, 1), b = (1, 0): c += 1 an iteration), and with
// random bf16 operands one of whose products is zero (then VDPBF16PS's order
// of additions cannot matter). Where the CPU lacks AVX512_BF16 it says so and
// tests nothing but the twin.
func TestPeakBF16Loop(t *testing.T) {
	info, _ := cpu.Detect()
	loop := PeakLoop{cpu.AVX512, benchname.BF16}
	if info.Hardware < cpu.AVX512 || !info.HardwareBF16 {
		t.Skipf("the CPU lacks AVX512_BF16: %v", loop.Check(info))
	}
	fn := loop.runBF16()
	size := loop.Accumulators() * 16
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range iterCounts {
		c := make([]float32, size)
		for i := range c {
			c[i] = float32(i)
		}
		fn(n, c, 0x3f80_3f80, 0x3f80_0000)
		for i, v := range c {
			if v != float32(i+n) {
				t.Fatalf("n=%d: c[%d] = %v after counting from %d, want %d", n, i, v, i, i+n)
			}
		}
		c, want := randSlice[float32](rng, size), make([]float32, size)
		copy(want, c)
		bf := func() uint32 { return math.Float32bits(float32(rng.Float64()*2-1)) >> 16 }
		a, b := bf()|bf()<<16, bf()
		if n%2 == 1 {
			b <<= 16 // the high product, not the low, is the nonzero one
		}
		fn(n, c, a, b)
		peakBF16Ref(n, want, a, b)
		for i := range c {
			if c[i] != want[i] {
				t.Fatalf("n=%d a=%#x b=%#x: c[%d] = %v, peakBF16Ref gives %v", n, a, b, i, c[i], want[i])
			}
		}
	}
	if err := (PeakLoop{cpu.AVX2, benchname.BF16}).Check(info); err == nil {
		t.Error("a bf16 loop at avx2 passed Check")
	}
}

// TestPeakLoopsMatchReference compares the loops with peakRef for random a
// and b: bit for bit in f64 (both round once), within 1e-5 relative in f32
// (peakRef rounds twice, the generic loop may not fuse).
func TestPeakLoopsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, l := range levelsUnderTest(t) {
		for _, n := range iterCounts {
			a, b := 0.5+0.49*rng.Float64(), rng.Float64()*2-1
			loop := PeakLoop{l, benchname.F32}
			size := loop.Lanes() * loop.Accumulators()
			c, want := randSlice[float32](rng, size), make([]float32, size)
			copy(want, c)
			loop.run32()(n, c, float32(a), float32(b))
			peakRef(n, want, float32(a), float32(b))
			for i := range c {
				if d := math.Abs(float64(c[i] - want[i])); d > 1e-5*max(1, math.Abs(float64(want[i]))) {
					t.Fatalf("%v n=%d: c[%d] = %v, peakRef gives %v", loop, n, i, c[i], want[i])
				}
			}
			loop = PeakLoop{l, benchname.F64}
			size = loop.Lanes() * loop.Accumulators()
			c64, want64 := randSlice[float64](rng, size), make([]float64, size)
			copy(want64, c64)
			loop.run64()(n, c64, a, b)
			peakRef(n, want64, a, b)
			for i := range c64 {
				ok := c64[i] == want64[i]
				if l == cpu.Generic { // Go may not fuse c·a + b
					ok = math.Abs(c64[i]-want64[i]) <= 1e-13*max(1, math.Abs(want64[i]))
				}
				if !ok {
					t.Fatalf("%v n=%d: c[%d] = %v, peakRef gives %v", loop, n, i, c64[i], want64[i])
				}
			}
		}
	}
}

func randSlice[F float32 | float64](rng *rand.Rand, n int) []F {
	s := make([]F, n)
	for i := range s {
		s[i] = F(rng.Float64()*4 - 2)
	}
	return s
}

// TestPeakRunner runs a peak loop on every thread and checks its work count
// and that every thread's accumulators moved as peakRef says.
func TestPeakRunner(t *testing.T) {
	info, _ := cpu.Detect()
	for _, l := range info.Levels() {
		for _, loop := range Loops(info, l) {
			prec := loop.Prec
			for _, threads := range []int{1, 3} {
				ctx, err := kernels.NewContext(l, threads)
				if err != nil {
					t.Fatal(err)
				}
				r, err := NewPeakRunner(ctx, prec, 1000)
				if err != nil {
					t.Fatal(err)
				}
				loop := r.Loop()
				before := r.Sum()
				r.Run()
				if got, want := r.FLOPs(), float64(threads)*1000*loop.FLOPsPerIter(); got != want {
					t.Errorf("%v threads=%d: FLOPs() = %v, want %v", loop, threads, got, want)
				}
				want := 0.0
				if prec == benchname.BF16 {
					ref := peakStart[float32](len(r.c32[0]))
					peakBF16Ref(1000, ref, peakBF16A, peakBF16B)
					for _, v := range ref {
						want += float64(v)
					}
				} else {
					ref := peakStart[float64](loop.Lanes() * loop.Accumulators())
					peakRef(1000, ref, peakA, peakB)
					for _, v := range ref {
						want += v
					}
				}
				want *= float64(threads)
				if got := r.Sum(); math.Abs(got-want) > 1e-4*want || got == before {
					t.Errorf("%v threads=%d: accumulators sum to %v after Run (%v before), want %v", loop, threads, got, before, want)
				}
				ctx.Close()
			}
		}
	}
	if _, err := NewPeakRunner(nil, "f16", 1); err == nil {
		t.Error("NewPeakRunner accepted precision f16")
	}
}

// TestStreamKernelsMatchReference runs copy and triad at every level on
// lengths around the unrolled block sizes and on misaligned slices, against
// the twins (bit for bit: both triads round once), and checks that nothing
// past the end is written.
func TestStreamKernelsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	lengths := []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100}
	for range 5 {
		lengths = append(lengths, rng.IntN(5000))
	}
	const guard = -7.25
	for _, l := range levelsUnderTest(t) {
		for _, n := range lengths {
			for _, off := range []int{0, 1, 3} {
				src := randSlice[float64](rng, n+off)[off:]
				dst := make([]float64, n+off+4)
				for i := range dst {
					dst[i] = guard
				}
				copyAt(l, dst[off:off+n], src)
				for i := 0; i < n; i++ {
					if dst[off+i] != src[i] {
						t.Fatalf("copy %v n=%d off=%d: dst[%d] = %v, want %v", l, n, off, i, dst[off+i], src[i])
					}
				}
				checkGuards(t, fmt.Sprintf("copy %v n=%d off=%d", l, n, off), dst, off, n, guard)

				b, c := randSlice[float64](rng, n), randSlice[float64](rng, n+off)[off:]
				a := make([]float64, n+off+4)
				for i := range a {
					a[i] = guard
				}
				want := make([]float64, n)
				s := rng.Float64()*4 - 2
				triadAt(l, a[off:off+n], b, c, s)
				triadRef(want, b, c, s)
				for i := 0; i < n; i++ {
					if a[off+i] != want[i] {
						t.Fatalf("triad %v n=%d off=%d: a[%d] = %v, want %v", l, n, off, i, a[off+i], want[i])
					}
				}
				checkGuards(t, fmt.Sprintf("triad %v n=%d off=%d", l, n, off), a, off, n, guard)
			}
		}
	}
}

func checkGuards(t *testing.T, what string, s []float64, off, n int, guard float64) {
	t.Helper()
	for i, v := range s {
		if (i < off || i >= off+n) && v != guard {
			t.Fatalf("%s: wrote element %d outside [%d, %d)", what, i, off, off+n)
		}
	}
}

// TestStreamKernelsPanicOnMismatch checks the length checks.
func TestStreamKernelsPanicOnMismatch(t *testing.T) {
	for name, f := range map[string]func(){
		"copy":  func() { copyAt(cpu.Generic, make([]float64, 3), make([]float64, 2)) },
		"triad": func() { triadAt(cpu.Generic, make([]float64, 3), make([]float64, 3), make([]float64, 2), 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with mismatched lengths did not panic", name)
				}
			}()
			f()
		}()
	}
}

// TestStreamRunner checks the runner's arrays after a Run (copy: y = x = 1;
// triad: x = 2 + 3·0.5) on every thread, and its byte and FLOP counts.
func TestStreamRunner(t *testing.T) {
	info, _ := cpu.Detect()
	for _, l := range info.Levels() {
		for _, op := range machine.Ops() {
			for _, threads := range []int{1, 2, 3} {
				ctx, err := kernels.NewContext(l, threads)
				if err != nil {
					t.Fatal(err)
				}
				size := 3 * 1000 * op.BytesPerElem()
				r, err := NewStreamRunner(ctx, op, size+5)
				if err != nil {
					t.Fatal(err)
				}
				r.Passes = 2
				r.Run()
				if r.Size() != size || r.Bytes() != float64(2*size) || r.FLOPs() != 2*3000*op.FLOPsPerElem() {
					t.Errorf("%s %v threads=%d: Size %d Bytes %v FLOPs %v", op, l, threads, r.Size(), r.Bytes(), r.FLOPs())
				}
				elems := 0
				for tid, arr := range r.arrays {
					elems += len(arr[0])
					got, want := arr[1], 1.0
					if op == machine.Triad {
						got, want = arr[0], 2+triadScalar*0.5
					}
					for i, v := range got {
						if v != want {
							t.Fatalf("%s %v threads=%d: thread %d element %d = %v, want %v", op, l, threads, tid, i, v, want)
						}
					}
				}
				if elems != 3000 {
					t.Errorf("%s threads=%d: %d elements per array over all threads, want 3000", op, threads, elems)
				}
				ctx.Close()
			}
		}
	}
	ctx, _ := kernels.NewContext(cpu.Generic, 4)
	defer ctx.Close()
	if _, err := NewStreamRunner(ctx, machine.Triad, 48); err == nil {
		t.Error("NewStreamRunner accepted fewer elements than threads")
	}
}

// TestAddChain checks the clock loop's result.
func TestAddChain(t *testing.T) {
	for _, n := range []int{0, 1, 5, 1000} {
		if got, want := addChain(n), addChainRef(n); got != want || want != 100*n {
			t.Errorf("addChain(%d) = %d, addChainRef %d, want %d", n, got, want, 100*n)
		}
	}
}

// TestPeakRunnerRunOne checks that RunOne does Iters iterations of thread
// 0's loop and leaves the other threads' accumulators alone: it is what
// sizes a Run, and must not wait for the other threads.
func TestPeakRunnerRunOne(t *testing.T) {
	info, _ := cpu.Detect()
	for _, l := range info.Levels() {
		for _, loop := range Loops(info, l) {
			ctx, err := kernels.NewContext(l, 3)
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewPeakRunner(ctx, loop.Prec, 1000)
			if err != nil {
				t.Fatal(err)
			}
			sums := func() []float64 {
				var s []float64
				for _, c := range r.c32 {
					s = append(s, sum(c))
				}
				for _, c := range r.c64 {
					s = append(s, sum(c))
				}
				return s
			}
			before := sums()
			r.RunOne()
			after := sums()
			if after[0] == before[0] {
				t.Errorf("%v: RunOne left thread 0's accumulators at %v", loop, before[0])
			}
			for tid := 1; tid < len(after); tid++ {
				if after[tid] != before[tid] {
					t.Errorf("%v: RunOne moved thread %d's accumulators %v → %v", loop, tid, before[tid], after[tid])
				}
			}
			r.Run() // every thread now as far as thread 0 was after RunOne
			r.RunOne()
			if got := sums(); got[1] != after[0] || got[2] != after[0] {
				t.Errorf("%v: after RunOne and Run, threads 1 and 2 sum to %v and %v, want thread 0's after one RunOne, %v", loop, got[1], got[2], after[0])
			}
			ctx.Close()
		}
	}
}

func sum[F float32 | float64](c []F) float64 {
	s := 0.0
	for _, v := range c {
		s += float64(v)
	}
	return s
}
