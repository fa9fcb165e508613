package kernels_test

import (
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

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
