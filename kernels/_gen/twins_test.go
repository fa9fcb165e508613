package main

import "testing"

func TestTwinCall(t *testing.T) {
	for _, c := range []struct {
		r    asmRoutine
		want string
	}{
		{asmRoutine{"reluFwdAVX2", "func(dst, src []float32)", "reluGo"}, "reluGo(dst, src)"},
		{asmRoutine{"convFwdAVX2_1x1", "func(x, w, y, bias []float32, p []int)", "FwdRef(1, 8, ...)"}, "FwdRef(1, 8, x, w, y, bias, p)"},
		{asmRoutine{"d", "func(k int, c []float32, ldc int)", "microRefDirect(1, 16, ..., 16)"}, "microRefDirect(1, 16, k, c, ldc, 16)"},
		{asmRoutine{"transpose8x8", "func(blocks int, src []float32)", "transposeRef(8, 8*blocks, src)"}, "transposeRef(8, 8*blocks, src)"},
		{asmRoutine{"addChain", "func(n int) int", "addChainRef"}, "return addChainRef(n)"},
	} {
		got, err := twinCall(c.r)
		if err != nil || got != c.want {
			t.Errorf("twinCall(%+v) = %q, %v; want %q", c.r, got, err, c.want)
		}
	}
	if _, err := twinCall(asmRoutine{"bad", "func(", "x"}); err == nil {
		t.Error("twinCall accepted a malformed signature")
	}
}
