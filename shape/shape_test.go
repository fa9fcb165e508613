package shape

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestGemm(t *testing.T) {
	g := Gemm{M: 2, N: 3, K: 4}
	if g.FLOPs() != 48 || g.Bytes() != 4*(8+12+6) {
		t.Errorf("%+v: FLOPs %v bytes %v, want 48 and 104", g, g.FLOPs(), g.Bytes())
	}
	d := Dense{Batch: 32, In: 1600, Out: 128}
	for p, want := range map[Pass]Gemm{Forward: {32, 128, 1600}, BackwardData: {32, 1600, 128}, BackwardWeights: {128, 1600, 32}} {
		got, ok := d.Gemm(p)
		if !ok || got != want {
			t.Errorf("%s: Gemm = %+v, %v; want %+v", p, got, ok, want)
		}
		if got.FLOPs() != d.FLOPs(p) {
			t.Errorf("%s: the GEMM does %v FLOPs, the layer %v", p, got.FLOPs(), d.FLOPs(p))
		}
	}
	if _, ok := d.Gemm("optimizer"); ok {
		t.Error("the optimizer pass has a GEMM")
	}
}

func TestValidate(t *testing.T) {
	good := Conv2D{N: 1, H: 5, W: 5, C: 3, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	if err := good.Validate(); err != nil {
		t.Errorf("%v: %v", good, err)
	}
	bad := good
	bad.R = 7
	if bad.Validate() == nil {
		t.Errorf("%v: a filter larger than the input validated", bad)
	}
	if (Dense{Batch: 1, In: 0, Out: 1}).Validate() == nil || (Pool{N: 1, H: 2, W: 2, C: 1, Window: 3, Stride: 1}).Validate() == nil {
		t.Error("a bad dense or pool shape validated")
	}
}

func TestMulAdd(t *testing.T) {
	for _, c := range []struct {
		f    []int
		want int
		ok   bool
	}{
		{nil, 1, true},
		{[]int{3, 0, 5}, 0, true},
		{[]int{1 << 31, 1 << 31}, 1 << 62, true},
		{[]int{math.MaxInt, 1}, math.MaxInt, true},
		{[]int{1 << 32, 1 << 32}, 0, false},                   // 2⁶⁴ wraps to 0
		{[]int{1 << 16, 1 << 16, 1 << 16, 1 << 16}, 0, false}, // likewise
		{[]int{1 << 62, 2}, 0, false},                         // 2⁶³ is negative as an int
		{[]int{0, -1}, 0, false},
	} {
		if got, ok := Mul(c.f...); got != c.want || ok != c.ok {
			t.Errorf("Mul(%v) = %d, %v; want %d, %v", c.f, got, ok, c.want, c.ok)
		}
	}
	if s, ok := Add(math.MaxInt-1, 1); !ok || s != math.MaxInt {
		t.Errorf("Add(MaxInt-1, 1) = %d, %v", s, ok)
	}
	if _, ok := Add(math.MaxInt, 1); ok {
		t.Error("Add(MaxInt, 1) did not overflow")
	}
	if _, ok := Add(2, -1); ok {
		t.Error("Add accepted a negative term")
	}
}

// conv is a valid 5x5x3 → 3x3x4 convolution for the edge tests to change.
var conv = Conv2D{N: 1, H: 5, W: 5, C: 3, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}

// checkRefused fails unless err is a *Error naming field.
func checkRefused(t *testing.T, what string, err error, field string) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Errorf("%s: Validate = %v, want an error naming %s", what, err, field)
		return
	}
	if se.Field != field || !strings.Contains(err.Error(), field) {
		t.Errorf("%s: Validate = %q (field %q), want one naming %s", what, err, se.Field, field)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("%s: error %q is more than one line", what, err)
	}
}

// TestConv2DValidateOverflow refuses shapes whose sizes overflow an int or
// exceed MaxElems (Validate used to accept 2¹⁶·2¹⁶·2¹⁶·2¹⁶ = 0 elements)
// and accepts those exactly at the limit.
func TestConv2DValidateOverflow(t *testing.T) {
	const big = 1 << 16
	edit := func(f func(s *Conv2D)) Conv2D { s := conv; f(&s); return s }
	for _, c := range []struct {
		name  string
		s     Conv2D
		field string
	}{
		{"input wraps to 0", edit(func(s *Conv2D) { s.N, s.H, s.W, s.C, s.R, s.S = big, big, big, big, 1, 1 }), "N·H·W·C"},
		{"input one over", edit(func(s *Conv2D) { s.N, s.H, s.W, s.C, s.R, s.S = MaxElems+1, 1, 1, 1, 1, 1 }), "N·H·W·C"},
		{"weights", edit(func(s *Conv2D) { s.K, s.C, s.H, s.W, s.R, s.S = 1<<40, 1<<30, 1, 1, 1, 1 }), "K·R·S·C"},
		{"output", edit(func(s *Conv2D) { s.N, s.K, s.C, s.H, s.W, s.R, s.S = 1<<40, 1<<30, 1, 1, 1, 1, 1 }), "N·P·Q·K"},
		{"im2col", Conv2D{N: 1 << 20, H: 1, W: 1, C: 1 << 10, K: 1, R: 1 << 10, S: 1 << 10, StrideH: 1, StrideW: 1,
			PadH: 1<<10 - 1, PadW: 1<<10 - 1, DilH: 1, DilW: 1}, "N·P·Q·R·S·C"},
		{"padding", edit(func(s *Conv2D) { s.PadH = math.MaxInt/2 + 1 }), "PadH"},
		{"padding W", edit(func(s *Conv2D) { s.PadW = math.MaxInt / 2 }), "PadW"},
		{"padded input at the limit, output too large", edit(func(s *Conv2D) { s.PadH = (math.MaxInt - 5) / 2 }), "N·P·Q·K"},
		{"dilation", edit(func(s *Conv2D) { s.DilH = math.MaxInt/2 + 1 }), "DilH"},
		{"dilation W", edit(func(s *Conv2D) { s.DilW = math.MaxInt }), "DilW"},
		{"dilated filter too large", edit(func(s *Conv2D) { s.DilH = 3 }), "R"},
		{"negative padding", edit(func(s *Conv2D) { s.PadW = -1 }), "PadW"},
		{"most negative N", edit(func(s *Conv2D) { s.N = math.MinInt }), "N"},
	} {
		checkRefused(t, c.name, c.s.Validate(), c.field)
	}
	at := Conv2D{N: MaxElems, H: 1, W: 1, C: 1, K: 1, R: 1, S: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	if err := at.Validate(); err != nil {
		t.Errorf("a shape of exactly MaxElems elements: %v", err)
	} else if at.InputLen() != MaxElems || at.OutputLen() != MaxElems {
		t.Errorf("lengths %d, %d, want %d", at.InputLen(), at.OutputLen(), MaxElems)
	}
}

func TestDensePoolGemmValidateOverflow(t *testing.T) {
	checkRefused(t, "dense input wraps", Dense{Batch: 1 << 32, In: 1 << 32, Out: 1}.Validate(), "Batch·In")
	checkRefused(t, "dense weights", Dense{Batch: 1, In: 1 << 31, Out: 1 << 31}.Validate(), "In·Out")
	checkRefused(t, "dense output", Dense{Batch: MaxElems, In: 1, Out: 2}.Validate(), "Batch·Out")
	checkRefused(t, "dense in", Dense{Batch: 1, In: 0, Out: 1}.Validate(), "In")
	if err := (Dense{Batch: MaxElems, In: 1, Out: 1}).Validate(); err != nil {
		t.Errorf("dense at the limit: %v", err)
	}
	// The old check multiplied in int64, which wraps too.
	checkRefused(t, "pool input wraps", Pool{N: 1 << 16, H: 1 << 16, W: 1 << 16, C: 1 << 16, Window: 2, Stride: 2}.Validate(), "N·H·W·C")
	checkRefused(t, "pool argmax", Pool{N: math.MaxInt32 + 1, H: 1, W: 1, C: 1, Window: 1, Stride: 1}.Validate(), "N·H·W·C")
	checkRefused(t, "pool window", Pool{N: 1, H: 2, W: 2, C: 1, Window: 3, Stride: 1}.Validate(), "Window")
	if err := (Pool{N: math.MaxInt32, H: 1, W: 1, C: 1, Window: 1, Stride: 1}).Validate(); err != nil {
		t.Errorf("pool at the argmax limit: %v", err)
	}
	checkRefused(t, "gemm C wraps", Gemm{M: 1 << 32, N: 1 << 32, K: 0}.Validate(), "M·N")
	checkRefused(t, "gemm A", Gemm{M: 1 << 40, N: 0, K: 1 << 40}.Validate(), "M·K")
	checkRefused(t, "gemm B", Gemm{M: 1, N: MaxElems, K: 2}.Validate(), "K·N")
	checkRefused(t, "gemm negative", Gemm{M: 1, N: 1, K: -1}.Validate(), "K")
	for _, g := range []Gemm{{0, 0, 0}, {MaxElems, 1, 1}, {5, 0, 3}} {
		if err := g.Validate(); err != nil {
			t.Errorf("%+v: %v", g, err)
		}
	}
}

// TestValidateDoesNotAllocate: the kernels validate their shape on every
// call, so a valid shape must cost no allocation.
func TestValidateDoesNotAllocate(t *testing.T) {
	d, p, g := Dense{32, 1600, 128}, Pool{N: 32, H: 26, W: 26, C: 32, Window: 2, Stride: 2}, Gemm{3, 4, 5}
	if a := testing.AllocsPerRun(100, func() { _, _, _, _ = conv.Validate(), d.Validate(), p.Validate(), g.Validate() }); a != 0 {
		t.Errorf("%v allocations per round of Validate calls", a)
	}
}
