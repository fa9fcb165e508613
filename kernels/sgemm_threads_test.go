package kernels_test

import (
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestSgemmThreadsDoNotChangeResults checks that the blocked SGEMM's results are
// bit-identical to one thread's whatever the thread count and however skewed
// the shares the measured speeds give (sgemm_split.go): C cut by rows or by
// columns, shares that fall below the width under which A is read in place
// (n = 256 cut in two), every transpose, alpha and beta other than 0 and 1.
func TestSgemmThreadsDoNotChangeResults(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	shapes := [][3]int{{157, 301, 413}, {300, 256, 77}, {64, 1000, 50}, {1000, 40, 64}, {13, 7, 5}}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		if ctx.Threads() < 2 {
			t.Skip("one thread has nothing to share")
		}
		one, err := kernels.NewContext(ctx.ISA(), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer one.Close()
		rng := kerneltest.Rand(11)
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a, b := make([]float32, m*k), make([]float32, k*n)
			c0 := make([]float32, m*n)
			kerneltest.Fill(rng, a)
			kerneltest.Fill(rng, b)
			kerneltest.Fill(rng, c0)
			for _, tr := range [][2]kernels.Transpose{{'N', 'N'}, {'N', 'T'}, {'T', 'N'}, {'T', 'T'}} {
				tA, tB := tr[0], tr[1]
				lda, ldb := k, n
				if tA == kernels.Trans {
					lda = m
				}
				if tB == kernels.Trans {
					ldb = k
				}
				for _, ab := range [][2]float32{{1, 0}, {1.5, 0.7}} {
					want := append([]float32(nil), c0...)
					one.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, n)
					for _, sp := range [][]float64{{1, 1, 1}, {0.5, 2, 1}, {2, 0.5, 0.7}} {
						ctx.SetGemmSpeeds(sp...)
						got := append([]float32(nil), c0...)
						ctx.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, n)
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%dx%dx%d %v%v alpha=%v beta=%v speeds %v: C[%d] = %v, one thread %v",
									m, n, k, tA, tB, ab[0], ab[1], sp[:ctx.Threads()], i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	})
}
