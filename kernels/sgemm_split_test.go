package kernels_test

import (
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// TestSgemmSharesDoNotChangeResults checks that results are bit-identical to
// one thread's however skewed the shares the measured speeds give: rows or
// columns, both directions, up to the speed limit.
func TestSgemmSharesDoNotChangeResults(t *testing.T) {
	defer kernels.SetMinFLOPsPerThread(0)()
	shapes := [][3]int{{157, 301, 413}, {300, 256, 77}, {1000, 40, 64}}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		if ctx.Threads() < 2 {
			t.Skip("one thread has nothing to share")
		}
		one, err := kernels.NewContext(ctx.ISA(), 1)
		if err != nil {
			t.Fatal(err)
		}
		defer one.Close()
		rng := kerneltest.Rand(12)
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			a, b, c0 := make([]float32, k*m), make([]float32, n*k), make([]float32, m*n)
			kerneltest.Fill(rng, a)
			kerneltest.Fill(rng, b)
			kerneltest.Fill(rng, c0)
			want := append([]float32(nil), c0...)
			one.Sgemm(kernels.Trans, kernels.NoTrans, m, n, k, 1.5, a, m, b, n, 0.7, want, n)
			for _, sp := range [][]float64{{0.5, 2, 1}, {2, 0.5, 0.7}, {1.3, 0.8, 2}} {
				ctx.SetGemmSpeeds(sp...)
				cuts, _ := ctx.GemmShares(m, n, k)
				got := append([]float32(nil), c0...)
				ctx.Sgemm(kernels.Trans, kernels.NoTrans, m, n, k, 1.5, a, m, b, n, 0.7, got, n)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%dx%dx%d speeds %v (cuts %v): C[%d] = %v, one thread %v", m, n, k, sp[:ctx.Threads()], cuts, i, got[i], want[i])
					}
				}
			}
		}
	})
}

// TestSgemmSharesFollowSpeeds checks that shares are proportional to the
// threads' speeds, on whole tiles, covering C.
func TestSgemmSharesFollowSpeeds(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	for _, sp := range [][]float64{{1, 1}, {1, 3}, {2, 1}} {
		ctx.SetGemmSpeeds(sp...)
		cuts, rows := ctx.GemmShares(1024, 1024, 1024)
		if len(cuts) != 3 || cuts[0] != 0 || cuts[2] != 1024 {
			t.Fatalf("speeds %v: cuts %v, want 3 boundaries from 0 to 1024", sp, cuts)
		}
		share, want := float64(cuts[1])/1024, sp[0]/(sp[0]+sp[1])
		if math.Abs(share-want) > 0.04 {
			t.Errorf("speeds %v: first share %.3f (cuts %v, rows %v), want %.3f", sp, share, cuts, rows, want)
		}
	}
}
