package kerneltest

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// GemmCase is one SGEMM call of the conformance suite.
type GemmCase struct {
	TA, TB      kernels.Transpose
	M, N, K     int
	Alpha, Beta float32
	// Extra row stride beyond the minimum, for A, B and C as stored.
	PadA, PadB, PadC int
}

func (c GemmCase) String() string {
	return fmt.Sprintf("%v%v/m=%d/n=%d/k=%d/alpha=%v/beta=%v/pad=%d,%d,%d", c.TA, c.TB, c.M, c.N, c.K, c.Alpha, c.Beta, c.PadA, c.PadB, c.PadC)
}

// GemmCases returns the conformance shapes for an implementation run at ISA
// level l: dimensions 1, 2, the micro-tile sizes ± 1 and the cache-block sizes
// ± 1 of that level's kernel, primes and larger sizes, in all four transpose
// combinations, with alpha and beta including 0 and 1 and padded strides.
// short trims the list for -short and -race runs.
func GemmCases(l cpu.Level, short bool) []GemmCase {
	kern := gemm.KernelFor(l)
	info, _ := cpu.Detect()
	bl := gemm.BlockingFor(kern, gemm.Caches{L2: info.L2, L3: info.L3})
	return gemmCasesFor(kern.MR, kern.NR, bl, short)
}

// GemmCasesBF16 returns the conformance shapes of the bf16 products:
// GemmCases's rules for the bf16 kernel's tile and blocking (its KC is even
// and twice the float32 one), plus odd k around KC so that a block ends on
// half a pair.
func GemmCasesBF16(short bool) []GemmCase {
	kern := gemm.AVX512BF16Kernel
	info, _ := cpu.Detect()
	bl := gemm.BF16BlockingFor(kern, gemm.Caches{L2: info.L2, L3: info.L3})
	cases := gemmCasesFor(kern.MR, kern.NR, bl, short)
	if short { // every other short case: the race detector's run of the pure-Go kernels stays within seconds
		kept := cases[:0]
		for i, c := range cases {
			if i%2 == 0 {
				kept = append(kept, c)
			}
		}
		cases = kept
	}
	for i := range cases {
		// Two blocks of k are enough to cross a block's edge; the float32
		// rule's 2·KC+3 costs the float64 reference seconds at this KC.
		if cases[i].K > bl.KC+3 {
			cases[i].K = bl.KC + 3
		}
	}
	for i, k := range []int{3, 65, bl.KC - 1, bl.KC + 1} {
		cases = append(cases, GemmCase{TA: kernels.Transpose("NT"[i%2]), TB: kernels.Transpose("NT"[i/2%2]), M: kern.MR + 1, N: kern.NR/2 + 1, K: k, Alpha: 1.5, Beta: 1, PadA: 1, PadB: 1, PadC: 1})
	}
	return cases
}

func gemmCasesFor(mr, nr int, bl gemm.Blocking, short bool) []GemmCase {
	small := uniq(1, 2, 3, mr-1, mr, mr+1, nr-1, nr, nr+1, 13, 37)
	ks := uniq(1, 2, 7, 16, 37)
	trans := []kernels.Transpose{kernels.NoTrans, kernels.Trans}
	var cases []GemmCase
	// Every small m×n against a few k, cycling transposes, scalars and
	// padding so that each combination is hit many times.
	i := 0
	scalars := [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {2, 0}, {0.75, -1}}
	for _, m := range small {
		for _, n := range small {
			for _, k := range ks {
				if short && (i%3 != 0) {
					i++
					continue
				}
				s := scalars[i%len(scalars)]
				cases = append(cases, GemmCase{TA: trans[i%2], TB: trans[(i/2)%2], M: m, N: n, K: k,
					Alpha: s[0], Beta: s[1], PadA: i % 3, PadB: (i / 3) % 2, PadC: (i / 2) % 3})
				i++
			}
		}
	}
	cases = append(cases, EdgeGemmCases()...)
	// The cache-block edges of this level's kernel, in every transpose pair.
	for ti, tt := range [][2]kernels.Transpose{{'N', 'N'}, {'N', 'T'}, {'T', 'N'}, {'T', 'T'}} {
		edge := []GemmCase{
			{M: mr + 1, N: nr + 3, K: bl.KC - 1},
			{M: mr + 1, N: nr + 3, K: bl.KC + 1},
			{M: bl.MC + 1, N: nr - 1, K: 9},
			{M: 3, N: bl.NC + 1, K: 5},
			{M: 101, N: 103, K: 2*bl.KC + 3},
		}
		if short {
			edge = edge[ti%len(edge) : ti%len(edge)+1]
		}
		for j, c := range edge {
			c.TA, c.TB = tt[0], tt[1]
			c.Alpha, c.Beta = 1, float32(j%2)
			c.PadA, c.PadC = 1, 2
			cases = append(cases, c)
		}
	}
	if !short {
		cases = append(cases,
			GemmCase{TA: 'N', TB: 'N', M: 256, N: 250, K: 300, Alpha: 1, Beta: 0},
			GemmCase{TA: 'T', TB: 'N', M: 289, N: 64, K: 128, Alpha: 1, Beta: 1},
			GemmCase{TA: 'N', TB: 'T', M: 64, N: 289, K: 121, Alpha: 1, Beta: 0})
	}
	return cases
}

// EdgeGemmCases are the edges of SgemmFunc's contract, in every transpose
// pair: every m, n, k in {0, 1, 5} with at least one of them 0, and alpha = 0
// on non-empty products, each with beta 0, 1 and 0.5 (and alpha 1 or 0).
// TestSgemm passes them operands of the least length the contract allows
// (empty for an operand without elements), NaN in A and B where alpha = 0 or
// k = 0 (they must not be read) and NaN in C where beta = 0.
func EdgeGemmCases() []GemmCase {
	var cases []GemmCase
	dims := []int{0, 1, 5}
	for _, tt := range [][2]kernels.Transpose{{'N', 'N'}, {'N', 'T'}, {'T', 'N'}, {'T', 'T'}} {
		for _, m := range dims {
			for _, n := range dims {
				for _, k := range dims {
					alphas := []float32{1, 0}
					if m != 0 && n != 0 && k != 0 {
						alphas = []float32{0} // only alpha = 0 is an edge here
					}
					for _, alpha := range alphas {
						for _, beta := range []float32{0, 1, 0.5} {
							cases = append(cases, GemmCase{TA: tt[0], TB: tt[1], M: m, N: n, K: k, Alpha: alpha, Beta: beta})
						}
					}
				}
			}
		}
	}
	return cases
}

// nan is a NaN with a payload of its own, for operands that must not be read.
var nan = math.Float32frombits(0x7fc0_0bad)

// minLen is the length a rows×cols matrix with row stride ld needs: none if
// it has no elements.
func minLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// TestSgemmBF16 runs fn, an SGEMM in bfloat16 (kernels.SgemmBF16Impls),
// through every case of GemmCasesBF16 on ctx.
//
// Bound: the reference rounds A and B to bfloat16 (kernels.ToBF16) and sums
// their products exactly in float64, so the rounding of the inputs, which
// the product's contract includes, is no error; what is left is float32
// accumulation: |got − ref| ≤ (k + 2⌈k/64⌉ + 4)·2⁻²⁴·(|alpha|·Σ|a·b| +
// |beta·C|), one rounding per addition of the k products, two per KC block
// (alpha times the block's sum, added to C; KC ≥ 64), and those of alpha
// and beta.
//
// The full case list runs only on a Context with the AVX512_BF16 kernels
// (ctx.HasBF16); elsewhere the pure-Go kernels, which are one code at every
// level, get the short list, lest CI's pure-Go runs take minutes.
func TestSgemmBF16(t *testing.T, ctx *kernels.Context, fn kernels.SgemmFunc) {
	rng := Rand(uint64(ctx.ISA())*1000 + uint64(ctx.Threads()) + 16)
	spec := gemmSpec{in: roundBF16, tol: bf16Tol}
	for _, c := range GemmCasesBF16(testing.Short() || !ctx.HasBF16()) {
		spec.call = func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
			fn(ctx, c.TA, c.TB, c.M, c.N, c.K, c.Alpha, a, lda, b, ldb, c.Beta, cm, ldc)
		}
		if !checkGemmCase(t, c, rng, spec) {
			return
		}
	}
}

// TestGemmBF16 runs fn, a GEMM on bfloat16 operands (kernels.GemmBF16Impls),
// through the short list of GemmCasesBF16 on ctx, with TestSgemmBF16's bound:
// the operands are the suite's float32 ones rounded to bfloat16.
func TestGemmBF16(t *testing.T, ctx *kernels.Context, fn kernels.GemmBF16Func) {
	rng := Rand(uint64(ctx.ISA())*1000 + uint64(ctx.Threads()) + 17)
	spec := gemmSpec{in: roundBF16, tol: bf16Tol}
	// The short list: the loop nest is TestSgemmBF16's; what differs is the
	// operands' reading (A in place, B packed from bf16).
	for _, c := range GemmCasesBF16(true) {
		spec.call = func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
			a16, b16 := toBF16(a), toBF16(b)
			fn(ctx, c.TA, c.TB, c.M, c.N, c.K, c.Alpha, a16, lda, b16, ldb, c.Beta, cm, ldc)
			for i, h := range a16 { // the operands are inputs: unchanged
				if h != kernels.ToBF16(a[i]) {
					t.Errorf("%v: input A modified at %d", c, i)
					break
				}
			}
		}
		if !checkGemmCase(t, c, rng, spec) {
			return
		}
	}
}

func roundBF16(v float32) float64 { return float64(kernels.ToBF16(v).Float32()) }

func bf16Tol(k int) float64 { return float64(k+2*((k+63)/64)+4) * U }

// toBF16 returns s rounded to bfloat16, nil for an empty s (as the
// contract allows).
func toBF16(s []float32) []kernels.BF16 {
	if len(s) == 0 {
		return nil
	}
	out := make([]kernels.BF16, len(s))
	for i, v := range s {
		out[i] = kernels.ToBF16(v)
	}
	return out
}

func uniq(vs ...int) []int {
	seen := map[int]bool{}
	var out []int
	for _, v := range vs {
		if v > 0 && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// TestSgemm runs fn through every case of GemmCases on ctx.
//
// Bound: each element of C is checked against a float64 reference with
// |got − ref| ≤ (k+4)·2⁻²⁴·(|alpha|·Σ_p |opA(i,p)·opB(p,j)| + |beta·C(i,j)|),
// the classic a-priori bound for a k-term float32 dot product (γ_k ≈ k·u)
// plus the roundings of the alpha and beta terms.
func TestSgemm(t *testing.T, ctx *kernels.Context, fn kernels.SgemmFunc) {
	rng := Rand(uint64(ctx.ISA())*1000 + uint64(ctx.Threads()))
	spec := gemmSpec{
		in:  func(v float32) float64 { return float64(v) },
		tol: func(k int) float64 { return float64(k+4) * U },
	}
	for _, c := range GemmCases(ctx.ISA(), testing.Short()) {
		spec.call = func(a []float32, lda int, b []float32, ldb int, cm []float32, ldc int) {
			fn(ctx, c.TA, c.TB, c.M, c.N, c.K, c.Alpha, a, lda, b, ldb, c.Beta, cm, ldc)
		}
		if !checkGemmCase(t, c, rng, spec) {
			return // one failing case tells enough; don't flood the log
		}
	}
}

// gemmSpec is what checkGemmCase checks: how to call the product on float32
// operands, what an operand element is in the reference, and the error
// bound for an inner dimension k (a factor of the sum of |terms|).
type gemmSpec struct {
	call func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int)
	in   func(float32) float64
	tol  func(k int) float64
}

func checkGemmCase(t *testing.T, c GemmCase, rng interface{ Float32() float32 }, spec gemmSpec) bool {
	t.Helper()
	ar, ac := c.M, c.K
	if c.TA == kernels.Trans {
		ar, ac = c.K, c.M
	}
	br, bc := c.K, c.N
	if c.TB == kernels.Trans {
		br, bc = c.N, c.K
	}
	lda, ldb, ldc := max(ac, 1)+c.PadA, max(bc, 1)+c.PadB, max(c.N, 1)+c.PadC
	// Each operand has the least length the contract allows: none for one
	// without elements, so an implementation that indexes it anyway panics.
	a := make([]float32, minLen(ar, ac, lda))
	b := make([]float32, minLen(br, bc, ldb))
	unread := c.Alpha == 0 || c.K == 0 // A and B must not be read
	for i := range a {
		a[i] = rng.Float32()*2 - 1
		if unread {
			a[i] = nan
		}
	}
	for i := range b {
		b[i] = rng.Float32()*2 - 1
		if unread {
			b[i] = nan
		}
	}
	rows := c.M
	if c.N == 0 {
		rows = 0 // C has no elements: an empty slice
	}
	cg := NewGuarded(rows, c.N, ldc, 17, func(i, j int) float32 {
		if c.Beta == 0 {
			return nan // must not leak
		}
		return rng.Float32()*2 - 1
	})
	c0 := Snapshot(cg.Data)
	a0, b0 := Snapshot(a), Snapshot(b)

	spec.call(a, lda, b, ldb, cg.Data, ldc)

	opA := func(i, p int) float64 {
		if c.TA == kernels.NoTrans {
			return spec.in(a[i*lda+p])
		}
		return spec.in(a[p*lda+i])
	}
	opB := func(p, j int) float64 {
		if c.TB == kernels.NoTrans {
			return spec.in(b[p*ldb+j])
		}
		return spec.in(b[j*ldb+p])
	}
	tol := spec.tol(c.K)
	ok := true
	for i := 0; i < c.M && ok; i++ {
		for j := 0; j < c.N; j++ {
			var sum, abs float64
			for p := 0; p < c.K && !unread; p++ {
				v := opA(i, p) * opB(p, j)
				sum += v
				abs += math.Abs(v)
			}
			want := float64(c.Alpha) * sum
			scale := math.Abs(float64(c.Alpha)) * abs
			if c.Beta != 0 {
				old := float64(c0[i*ldc+j])
				want += float64(c.Beta) * old
				scale += math.Abs(float64(c.Beta) * old)
			}
			if got := cg.At(i, j); !WithinBound(got, want, scale, tol) {
				t.Errorf("%v: C[%d,%d] = %v, want %v (bound %.3g)", c, i, j, got, want, tol*scale)
				ok = false
				break
			}
		}
	}
	cg.CheckGuards(t, c.String())
	CheckUnchanged(t, "A", a, a0)
	CheckUnchanged(t, "B", b, b0)
	return ok && !t.Failed()
}

// half and quarter are 2³² and 2⁶² on a 64-bit machine: half·half and
// 4·quarter wrap to 0.
const (
	half    = 1 << (bits.UintSize / 2)
	quarter = 1 << (bits.UintSize - 2)
)

// OverflowCase is an SGEMM call whose sizes overflow an int; Len* are the
// lengths of the slices passed (what a wrapped size check would ask for) and
// Want is what the panic must name.
type OverflowCase struct {
	Name             string
	TA, TB           kernels.Transpose
	M, N, K          int
	LDA, LDB, LDC    int
	LenA, LenB, LenC int
	Want             string
}

// OverflowGemmCases are calls that wrapping size arithmetic let through: C
// of half×half elements, which is 0 in 64 bits, with k = 0 and every
// slice empty; strides that wrap (m−1)·ld to 0, so that a 5-row operand
// seems to need a few elements; and a stride exactly at the limit, which is
// refused for the slice's length rather than an overflow.
func OverflowGemmCases() []OverflowCase {
	return []OverflowCase{
		{Name: "m·n wraps", TA: 'N', TB: 'N', M: half, N: half, K: 0, LDA: 1, LDB: half, LDC: half, Want: "M·N"},
		{Name: "m·k wraps", TA: 'T', TB: 'N', M: half, N: 1, K: half, LDA: half, LDB: 1, LDC: 1, Want: "M·K"},
		{Name: "k·n wraps", TA: 'N', TB: 'T', M: 1, N: half, K: half, LDA: half, LDB: half, LDC: half, Want: "K·N"},
		{Name: "ldc wraps", TA: 'N', TB: 'N', M: 5, N: 3, K: 2, LDA: 2, LDB: 3, LDC: quarter, LenA: 10, LenB: 6, LenC: 3, Want: "ldc"},
		{Name: "lda wraps", TA: 'N', TB: 'N', M: 5, N: 3, K: 2, LDA: quarter, LDB: 3, LDC: 3, LenA: 2, LenB: 6, LenC: 15, Want: "lda"},
		{Name: "ldb wraps", TA: 'N', TB: 'T', M: 5, N: 5, K: 2, LDA: 2, LDB: quarter, LDC: 5, LenA: 10, LenB: 2, LenC: 25, Want: "ldb"},
		{Name: "ldc at the limit", TA: 'N', TB: 'N', M: 2, N: 1, K: 1, LDA: 1, LDB: 1, LDC: math.MaxInt - 1, LenA: 2, LenB: 1, LenC: 1,
			Want: fmt.Sprintf("len(c) = 1 < %d", math.MaxInt)},
		{Name: "ldc one past the limit", TA: 'N', TB: 'N', M: 2, N: 2, K: 1, LDA: 1, LDB: 2, LDC: math.MaxInt - 1, LenA: 2, LenB: 2, LenC: 2, Want: "ldc"},
	}
}

// TestSgemmOverflow runs fn on every OverflowGemmCases call with guarded
// buffers. Each call must panic naming the argument before it touches
// memory: the guards and the elements of C stay as they were.
func TestSgemmOverflow(t *testing.T, ctx *kernels.Context, fn kernels.SgemmFunc) {
	for _, c := range OverflowGemmCases() {
		a, b := NewGuarded(1, c.LenA, max(c.LenA, 1), 17, nil), NewGuarded(1, c.LenB, max(c.LenB, 1), 17, nil)
		cg := NewGuarded(1, c.LenC, max(c.LenC, 1), 17, func(i, j int) float32 { return float32(j) })
		c0 := Snapshot(cg.Data)
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			fn(ctx, c.TA, c.TB, c.M, c.N, c.K, 1, a.Data, c.LDA, b.Data, c.LDB, 0, cg.Data, c.LDC)
			return ""
		}()
		if !strings.Contains(msg, c.Want) || !strings.HasPrefix(msg, "kernels: ") {
			t.Errorf("%s: panic %q, want a kernels panic naming %q", c.Name, msg, c.Want)
		}
		for _, g := range []*Guarded{a, b, cg} {
			g.CheckGuards(t, c.Name)
		}
		CheckUnchanged(t, "C", cg.Data, c0)
	}
}
