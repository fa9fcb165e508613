// Package kerneltest is the conformance suite every kernel implementation
// runs through, in the manner of gonum's blas/testblas: the same checks for
// the naive reference, our fast paths at every ISA level and thread count, and
// outside libraries.
//
// The checks: results within a stated bound of a float64 reference, on shapes
// chosen to hit every edge of the blocking (1, 2, tile sizes ± 1, cache-block
// sizes ± 1, primes, larger); guard bands of sentinel values around and
// between the rows of every output, which must be unchanged; inputs unchanged
// after the call; beta = 0 never reading the output (NaN there must not
// leak).
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// Sentinel is the guard value written around outputs. It is a NaN with a
// recognisable payload, so a kernel that reads it into a result also shows.
var Sentinel = math.Float32frombits(0x7fc0_dead)

// ThreadCounts are the thread counts conformance tests run: one, two, and an
// odd count so that uneven splits are exercised.
var ThreadCounts = []int{1, 2, 3}

// ForEachContext runs f as a subtest ("isa=<level>/threads=<t>") for every
// usable ISA level and each of ThreadCounts. A level the hardware lacks is
// logged, so a CI log shows what was not covered.
func ForEachContext(t *testing.T, f func(t *testing.T, ctx *kernels.Context)) {
	t.Helper()
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cpu.AllLevels() {
		if err := info.Check(l); err != nil {
			t.Logf("not testing ISA level %v: %v", l, err)
			continue
		}
		for _, threads := range ThreadCounts {
			t.Run(fmt.Sprintf("isa=%v/threads=%d", l, threads), func(t *testing.T) {
				ctx, err := kernels.NewContext(l, threads)
				if err != nil {
					t.Fatal(err)
				}
				defer ctx.Close()
				f(t, ctx)
			})
		}
	}
}

// Rand returns a deterministic generator for a test.
func Rand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x7261_696e)) }

// Fill sets s to uniform values in [-1, 1).
func Fill(rng *rand.Rand, s []float32) {
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
}

// Guarded is an output buffer with guard bands: Data is the region a kernel
// may write (rows of Cols values, Stride apart), surrounded by Pad sentinels
// on both sides, and the Stride-Cols gap between rows holds sentinels too.
type Guarded struct {
	all               []float32
	Data              []float32
	Rows, Cols        int
	Stride, Pad       int
	initialIsSentinel []bool
}

// NewGuarded allocates a rows×cols buffer with row stride stride ≥ cols and
// pad guard elements before and after, filled with sentinels; fill (if not
// nil) then sets the writable elements.
func NewGuarded(rows, cols, stride, pad int, fill func(i, j int) float32) *Guarded {
	n := 0
	if rows > 0 {
		n = (rows-1)*stride + cols
	}
	g := &Guarded{all: make([]float32, n+2*pad), Rows: rows, Cols: cols, Stride: stride, Pad: pad}
	for i := range g.all {
		g.all[i] = Sentinel
	}
	g.Data = g.all[pad : pad+n : pad+n]
	if fill != nil {
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				g.Data[i*stride+j] = fill(i, j)
			}
		}
	}
	return g
}

// At returns element (i, j).
func (g *Guarded) At(i, j int) float32 { return g.Data[i*g.Stride+j] }

// CheckGuards reports an error for every sentinel a kernel overwrote.
func (g *Guarded) CheckGuards(t *testing.T, name string) {
	t.Helper()
	bad := 0
	for idx, v := range g.all {
		inside := false
		if off := idx - g.Pad; off >= 0 && off < len(g.Data) {
			inside = off%g.Stride < g.Cols
		}
		if !inside && math.Float32bits(v) != math.Float32bits(Sentinel) {
			if bad < 5 {
				t.Errorf("%s: guard element %d (offset %d from the data) overwritten with %v", name, idx, idx-g.Pad, v)
			}
			bad++
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d guard elements overwritten in all", name, bad)
	}
}

// Snapshot copies s, for checking later that an input is unchanged.
func Snapshot(s []float32) []float32 { return append([]float32(nil), s...) }

// CheckUnchanged reports an error if s differs bitwise from its snapshot.
func CheckUnchanged(t *testing.T, name string, s, snap []float32) {
	t.Helper()
	for i := range s {
		if math.Float32bits(s[i]) != math.Float32bits(snap[i]) {
			t.Errorf("input %s modified at element %d: %v, was %v", name, i, s[i], snap[i])
			return
		}
	}
}

// U is the unit roundoff of float32, 2⁻²⁴.
const U = 0x1p-24

// WithinBound reports whether got is within tol of the float64 reference want,
// where the bound is tol·scale (scale is the sum of absolute values of the
// terms that make up want, so the bound is the classic a-priori one for
// summation), and neither is NaN.
func WithinBound(got float32, want, scale, tol float64) bool {
	if math.IsNaN(float64(got)) || math.IsInf(float64(got), 0) {
		return false
	}
	return math.Abs(float64(got)-want) <= tol*scale+1e-30
}

// extraError widens the summation bounds of the checks (see SetExtraError).
var extraError float64

// SetExtraError adds e·Σ|terms| to the error bound of the sum checks (the
// dense and conv tests) until restore is called: the Impl.Error of an
// algorithm that rounds more than a reordered sum, such as winograd's.
func SetExtraError(e float64) (restore func()) {
	old := extraError
	extraError = e
	return func() { extraError = old }
}
