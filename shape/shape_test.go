package shape

import "testing"

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
