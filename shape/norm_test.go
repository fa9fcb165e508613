package shape

import (
	"math"
	"testing"
)

// TestPoolPadding: the padded output size, the validation of the padding
// and the name, which is unchanged for unpadded shapes.
func TestPoolPadding(t *testing.T) {
	stem := Pool{N: 8, H: 112, W: 112, C: 64, Window: 3, Stride: 2, Pad: 1}
	if err := stem.Validate(); err != nil || stem.OutH() != 56 || stem.OutW() != 56 || stem.OutputLen() != 8*56*56*64 {
		t.Errorf("%v: Validate %v, out %dx%d", stem, err, stem.OutH(), stem.OutW())
	}
	if stem.String() != "n8h112w112c64_win3st2_pad1" {
		t.Errorf("String = %q", stem.String())
	}
	if s := (Pool{N: 1, H: 4, W: 4, C: 1, Window: 2, Stride: 2}).String(); s != "n1h4w4c1_win2st2" {
		t.Errorf("unpadded String = %q", s)
	}
	if (Pool{N: 1, H: 1, W: 1, C: 1, Window: 3, Stride: 1, Pad: 1}).Validate() != nil {
		t.Error("a 3×3 window on a 1×1 image padded by 1 was refused")
	}
	checkRefused(t, "pad over half", Pool{N: 1, H: 4, W: 4, C: 1, Window: 3, Stride: 1, Pad: 2}.Validate(), "Pad")
	checkRefused(t, "negative pad", Pool{N: 1, H: 4, W: 4, C: 1, Window: 3, Stride: 1, Pad: -1}.Validate(), "Pad")
	checkRefused(t, "padded input overflows", Pool{N: 1, H: math.MaxInt - 1, W: 1, C: 1, Window: math.MaxInt, Stride: 1, Pad: math.MaxInt / 2}.Validate(), "Pad")
	checkRefused(t, "window over the padded input", Pool{N: 1, H: 2, W: 2, C: 1, Window: 5, Stride: 1, Pad: 1}.Validate(), "Window")
}

func TestBatchNorm(t *testing.T) {
	s := BatchNorm{N: 2, H: 3, W: 4, C: 5}
	e := 2.0 * 3 * 4 * 5
	if err := s.Validate(); err != nil || s.Rows() != 24 || s.Len() != 120 || s.String() != "n2h3w4c5" {
		t.Errorf("%v: Validate %v, Rows %d, Len %d", s, err, s.Rows(), s.Len())
	}
	for _, c := range []struct {
		s            BatchNorm
		p            Pass
		flops, bytes float64
	}{
		{s, Forward, 7 * e, 4 * (2*e + 8*5)},
		{s, Backward, 11 * e, 4 * (3*e + 5*5)},
		{s, BackwardData, 6 * e, 4 * (3*e + 5*5)},
		{s, BackwardWeights, 5 * e, 4 * (2*e + 5*5)},
		{BatchNorm{N: 2, H: 3, W: 4, C: 5, ReLU: true}, Forward, 8 * e, 4 * (2*e + 8*5)},
		{BatchNorm{N: 2, H: 3, W: 4, C: 5, ReLU: true, Residual: true}, Forward, 9 * e, 4 * (3*e + 8*5)},
		{BatchNorm{N: 2, H: 3, W: 4, C: 5, ReLU: true, Residual: true}, Backward, 12 * e, 4 * (5*e + 5*5)},
	} {
		if f, b := c.s.FLOPs(c.p), c.s.Bytes(c.p); f != c.flops || b != c.bytes {
			t.Errorf("%v %s: FLOPs %v bytes %v, want %v and %v", c.s, c.p, f, b, c.flops, c.bytes)
		}
	}
	if n := (BatchNorm{N: 1, H: 1, W: 1, C: 1, ReLU: true, Residual: true}).String(); n != "n1h1w1c1_add_relu" {
		t.Errorf("fused String = %q", n)
	}
	checkRefused(t, "batchnorm C", BatchNorm{N: 1, H: 1, W: 1, C: 0}.Validate(), "C")
	checkRefused(t, "batchnorm wraps", BatchNorm{N: 1 << 16, H: 1 << 16, W: 1 << 16, C: 1 << 16}.Validate(), "N·H·W·C")
	if err := (BatchNorm{N: MaxElems, H: 1, W: 1, C: 1}).Validate(); err != nil {
		t.Errorf("batchnorm at the limit: %v", err)
	}
}

func TestGlobalAvgPool(t *testing.T) {
	s := GlobalAvgPool{N: 8, H: 7, W: 7, C: 2048}
	in, out := 8.0*7*7*2048, 8.0*2048
	if err := s.Validate(); err != nil || s.InputLen() != int(in) || s.OutputLen() != int(out) || s.String() != "n8h7w7c2048" {
		t.Errorf("%v: Validate %v, lengths %d, %d", s, err, s.InputLen(), s.OutputLen())
	}
	if s.FLOPs(Forward) != in+out || s.FLOPs(BackwardData) != out || s.Bytes(Forward) != 4*(in+out) || s.Bytes(BackwardData) != 4*(in+out) {
		t.Errorf("%v: FLOPs %v, %v; bytes %v, %v", s, s.FLOPs(Forward), s.FLOPs(BackwardData), s.Bytes(Forward), s.Bytes(BackwardData))
	}
	checkRefused(t, "gap wraps", GlobalAvgPool{N: 1 << 32, H: 1 << 32, W: 1, C: 1}.Validate(), "N·H·W·C")
	checkRefused(t, "gap W", GlobalAvgPool{N: 1, H: 1, W: -1, C: 1}.Validate(), "W")
}

func TestAddOps(t *testing.T) {
	for op, want := range map[ElementwiseOp][2]float64{OpAdd: {10, 120}, OpAddBwd: {0, 120}, OpAddBwdAcc: {20, 200}} {
		if f, b := op.FLOPs(10), op.Bytes(10); f != want[0] || b != want[1] {
			t.Errorf("%s: FLOPs %v bytes %v, want %v", op, f, b, want)
		}
	}
}

// TestNormValidateDoesNotAllocate: the kernels validate their shape on
// every call.
func TestNormValidateDoesNotAllocate(t *testing.T) {
	b, g, p := BatchNorm{N: 8, H: 56, W: 56, C: 256}, GlobalAvgPool{N: 8, H: 7, W: 7, C: 2048}, Pool{N: 8, H: 112, W: 112, C: 64, Window: 3, Stride: 2, Pad: 1}
	if a := testing.AllocsPerRun(100, func() { _, _, _ = b.Validate(), g.Validate(), p.Validate() }); a != 0 {
		t.Errorf("%v allocations per round of Validate calls", a)
	}
}
