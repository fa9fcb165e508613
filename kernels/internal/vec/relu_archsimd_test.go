//go:build goexperiment.simd && amd64 && !noasm

package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestReLUArchSIMDMatchesSpec checks the archsimd ReLU and its gradient
// bit for bit against reluGo and reluBwdGo on every length from 0 to 200
// (all tails, the one-vector loop and the four-vector loop) and a few
// larger ones, with NaN, ±0, ±Inf and subnormals in the input, guard values
// after the output, and in place.
func TestReLUArchSIMDMatchesSpec(t *testing.T) {
	if !ArchSIMDUsable() {
		t.Skip("CPU lacks AVX-512")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	specials := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32}
	const guard = float32(-777.25)
	var lengths []int
	for n := 0; n <= 200; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1023, 4099, 65537)
	for _, n := range lengths {
		src, dy := make([]float32, n), make([]float32, n)
		for i := range src {
			src[i] = rng.Float32()*2 - 1
			dy[i] = rng.Float32()*2 - 1
			if rng.IntN(5) == 0 {
				src[i] = specials[rng.IntN(len(specials))]
			}
		}
		check := func(what string, got, want []float32) {
			t.Helper()
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s n=%d: element %d = %v (input %v), want %v", what, n, i, got[i], src[i], want[i])
				}
			}
			for i := n; i < len(got); i++ {
				if got[i] != guard {
					t.Fatalf("%s n=%d: guard %d overwritten with %v", what, n, i-n, got[i])
				}
			}
		}
		guarded := func() []float32 {
			s := make([]float32, n+17)
			for i := range s {
				s[i] = guard
			}
			return s
		}
		want := make([]float32, n)
		reluGo(want, src)
		got := guarded()
		ReLUArchSIMD(got[:n], src)
		check("relu", got, want)
		inPlace := append([]float32(nil), src...)
		ReLUArchSIMD(inPlace, inPlace)
		check("relu in place", inPlace, want)

		wantDx := make([]float32, n)
		reluBwdGo(wantDx, dy, src)
		gotDx := guarded()
		ReLUBackwardArchSIMD(gotDx[:n], dy, src)
		check("relu-bwd", gotDx, wantDx)
		dyInPlace := append([]float32(nil), dy...)
		ReLUBackwardArchSIMD(dyInPlace, dyInPlace, src)
		check(fmt.Sprint("relu-bwd in place"), dyInPlace, wantDx)
	}
}
