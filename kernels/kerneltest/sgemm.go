package kerneltest

import (
	"fmt"
	"math"
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
	mr, nr := kern.MR, kern.NR
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
	// alpha = 0 and k = 0 only scale C.
	for _, tt := range [][2]kernels.Transpose{{'N', 'N'}, {'T', 'T'}} {
		cases = append(cases,
			GemmCase{TA: tt[0], TB: tt[1], M: 5, N: 7, K: 3, Alpha: 0, Beta: 0},
			GemmCase{TA: tt[0], TB: tt[1], M: 5, N: 7, K: 3, Alpha: 0, Beta: 0.5},
			GemmCase{TA: tt[0], TB: tt[1], M: 5, N: 7, K: 0, Alpha: 1, Beta: 1},
			GemmCase{TA: tt[0], TB: tt[1], M: 0, N: 7, K: 3, Alpha: 1, Beta: 1},
			GemmCase{TA: tt[0], TB: tt[1], M: 5, N: 0, K: 3, Alpha: 1, Beta: 1})
	}
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
	for _, c := range GemmCases(ctx.ISA(), testing.Short()) {
		if !checkSgemmCase(t, ctx, fn, c, rng) {
			return // one failing case tells enough; don't flood the log
		}
	}
}

func checkSgemmCase(t *testing.T, ctx *kernels.Context, fn kernels.SgemmFunc, c GemmCase, rng interface{ Float32() float32 }) bool {
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
	a := make([]float32, max(0, (ar-1)*lda+ac))
	b := make([]float32, max(0, (br-1)*ldb+bc))
	for i := range a {
		a[i] = rng.Float32()*2 - 1
	}
	for i := range b {
		b[i] = rng.Float32()*2 - 1
	}
	cg := NewGuarded(c.M, c.N, ldc, 17, func(i, j int) float32 {
		if c.Beta == 0 {
			return float32(math.NaN()) // must not leak
		}
		return rng.Float32()*2 - 1
	})
	c0 := Snapshot(cg.Data)
	a0, b0 := Snapshot(a), Snapshot(b)

	fn(ctx, c.TA, c.TB, c.M, c.N, c.K, c.Alpha, a, lda, b, ldb, c.Beta, cg.Data, ldc)

	opA := func(i, p int) float64 {
		if c.TA == kernels.NoTrans {
			return float64(a[i*lda+p])
		}
		return float64(a[p*lda+i])
	}
	opB := func(p, j int) float64 {
		if c.TB == kernels.NoTrans {
			return float64(b[p*ldb+j])
		}
		return float64(b[j*ldb+p])
	}
	tol := float64(c.K+4) * U
	ok := true
	for i := 0; i < c.M && ok; i++ {
		for j := 0; j < c.N; j++ {
			var sum, abs float64
			for p := 0; p < c.K; p++ {
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
