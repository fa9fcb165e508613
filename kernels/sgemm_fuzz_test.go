package kernels_test

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
	"github.com/trainbench/trainbench/shape"
)

// sgemmValid says, in exact arithmetic, whether SgemmFunc's contract accepts
// a call: flags N or T, no negative dimension, no operand over
// shape.MaxElems elements, strides at least their rows, and each slice at
// least (rows−1)·ld + cols long for an operand with elements.
func sgemmValid(tA, tB kernels.Transpose, m, n, k, lda, ldb, ldc, la, lb, lc int) bool {
	okT := func(t kernels.Transpose) bool { return t == kernels.NoTrans || t == kernels.Trans }
	if !okT(tA) || !okT(tB) || m < 0 || n < 0 || k < 0 {
		return false
	}
	maxElems := big.NewInt(shape.MaxElems)
	b := func(v int) *big.Int { return big.NewInt(int64(v)) }
	for _, p := range [][2]int{{m, k}, {k, n}, {m, n}} {
		if new(big.Int).Mul(b(p[0]), b(p[1])).Cmp(maxElems) > 0 {
			return false
		}
	}
	ar, ac := m, k
	if tA == kernels.Trans {
		ar, ac = k, m
	}
	br, bc := k, n
	if tB == kernels.Trans {
		br, bc = n, k
	}
	for _, op := range [][4]int{{ar, ac, lda, la}, {br, bc, ldb, lb}, {m, n, ldc, lc}} {
		rows, cols, ld, have := op[0], op[1], op[2], op[3]
		if ld < max(1, cols) {
			return false
		}
		if rows == 0 || cols == 0 {
			continue
		}
		need := new(big.Int).Mul(b(rows-1), b(ld))
		if need.Add(need, b(cols)).Cmp(b(have)) > 0 {
			return false
		}
	}
	return true
}

// FuzzSgemmShape calls every SGEMM implementation with arbitrary dimensions
// and strides (huge ones included) on guarded slices of up to 4096 elements.
// A call the contract accepts (sgemmValid, exactly) must run without a panic
// and write nothing outside C; any other must panic with a kernels message
// before touching memory: the guards and C unchanged.
func FuzzSgemmShape(f *testing.F) {
	f.Add(uint8(0), int64(2), int64(3), int64(4), int64(4), int64(3), int64(3), uint16(8), uint16(12), uint16(6))
	f.Add(uint8(0), int64(1<<32), int64(1<<32), int64(0), int64(1), int64(1<<32), int64(1<<32), uint16(0), uint16(0), uint16(0))
	f.Add(uint8(0), int64(5), int64(3), int64(2), int64(2), int64(3), int64(1<<62), uint16(10), uint16(6), uint16(3))
	f.Add(uint8(1), int64(5), int64(3), int64(2), int64(1<<62), int64(3), int64(3), uint16(2), uint16(6), uint16(15))
	f.Add(uint8(3), int64(0), int64(0), int64(math.MaxInt64), int64(1), int64(1), int64(1), uint16(0), uint16(0), uint16(0))
	f.Add(uint8(2), int64(7), int64(0), int64(5), int64(7), int64(5), int64(1), uint16(35), uint16(0), uint16(0))
	defer kernels.SetMinFLOPsPerThread(0)()
	info, _ := cpu.Detect()
	ctx, err := kernels.NewContext(info.Max(), 2)
	if err != nil {
		f.Fatal(err)
	}
	defer ctx.Close()
	impls := kernels.SgemmImpls.All()
	trans := []kernels.Transpose{'N', 'T', 'N', 'T', 'X'}
	f.Fuzz(func(t *testing.T, flags uint8, m, n, k, lda, ldb, ldc int64, la, lb, lc uint16) {
		tA, tB := trans[int(flags)%len(trans)], trans[int(flags/8)%len(trans)]
		la, lb, lc = la%4097, lb%4097, lc%4097
		valid := sgemmValid(tA, tB, int(m), int(n), int(k), int(lda), int(ldb), int(ldc), int(la), int(lb), int(lc))
		for _, impl := range impls {
			one := func(int, int) float32 { return 1 }
			a := kerneltest.NewGuarded(1, int(la), max(int(la), 1), 16, one)
			b := kerneltest.NewGuarded(1, int(lb), max(int(lb), 1), 16, one)
			c := kerneltest.NewGuarded(1, int(lc), max(int(lc), 1), 16, one)
			c0 := kerneltest.Snapshot(c.Data)
			msg := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg = fmt.Sprint(r)
					}
				}()
				impl.Fn(ctx, tA, tB, int(m), int(n), int(k), 1, a.Data, int(lda), b.Data, int(ldb), 0, c.Data, int(ldc))
				return ""
			}()
			call := fmt.Sprintf("%s %v%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d len=%d,%d,%d", impl.Name, tA, tB, m, n, k, lda, ldb, ldc, la, lb, lc)
			switch {
			case valid && msg != "":
				t.Fatalf("%s: a valid call panicked: %s", call, msg)
			case !valid && !strings.HasPrefix(msg, "kernels: Sgemm"):
				t.Fatalf("%s: an invalid call was not refused (panic %q)", call, msg)
			}
			for _, g := range []*kerneltest.Guarded{a, b, c} {
				g.CheckGuards(t, call)
			}
			if !valid {
				kerneltest.CheckUnchanged(t, "C", c.Data, c0)
			}
			if t.Failed() {
				return
			}
		}
	})
}
