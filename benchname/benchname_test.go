package benchname

import (
	"reflect"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/shape"
)

func TestCaseNameFormatParse(t *testing.T) {
	for _, tc := range []struct {
		c    CaseName
		name string
	}{
		{CaseName{Family: Sgemm, Impl: "blocked", ISA: "avx512", Threads: 1, M: 1024, N: 512, K: 64},
			"Sgemm/impl=blocked/isa=avx512/threads=1/m=1024/n=512/k=64"},
		{CaseName{Family: Sgemm, Impl: "naive", ISA: "generic", Threads: 2, M: 64, N: 288, K: 3872, Trans: "tn"},
			"Sgemm/impl=naive/isa=generic/threads=2/m=64/n=288/k=3872/trans=tn"},
		{CaseName{Family: Conv2D, Pass: shape.BackwardData, Impl: "direct", ISA: "avx2", Threads: 2, Shape: LayerShapeName("seed-cnn", "conv2")},
			"Conv2D/pass=bwd-data/impl=direct/isa=avx2/threads=2/shape=seed-cnn.conv2"},
		{CaseName{Family: Peak, ISA: "generic", Prec: F64, Threads: 2}, "Peak/isa=generic/prec=f64/threads=2"},
		{CaseName{Family: Peak, ISA: "avx512", Prec: BF16, Threads: 1}, "Peak/isa=avx512/prec=bf16/threads=1"},
		{CaseName{Family: Sgemm, Impl: "blocked", ISA: "avx512", Prec: BF16, Threads: 1, M: 1024, N: 1024, K: 1024},
			"Sgemm/impl=blocked/isa=avx512/prec=bf16/threads=1/m=1024/n=1024/k=1024"},
		{CaseName{Family: Sgemm, Impl: "naive", ISA: "generic", Prec: BF16, Threads: 3, M: 5, N: 7, K: 9, Trans: "tt"},
			"Sgemm/impl=naive/isa=generic/prec=bf16/threads=3/m=5/n=7/k=9/trans=tt"},
		{CaseName{Family: Stream, Op: "triad", Threads: 1, Size: 3072}, "Stream/op=triad/threads=1/size=3072"},
		{CaseName{Family: "Toy", Impl: "x", Extra: []Param{{"batch", "8"}, {"", "pos"}}}, "Toy/impl=x/batch=8/pos"},
		{CaseName{Family: "Toy"}, "Toy"},
	} {
		if got := tc.c.Format(); got != tc.name {
			t.Errorf("Format = %q, want %q", got, tc.name)
		}
		back, err := Parse(tc.name)
		if err != nil || !reflect.DeepEqual(back, tc.c) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.name, back, err, tc.c)
		}
	}
}

// TestKernelPrecisionDefault pins the contract that keeps old results files
// comparable: a float32 kernel's name carries no prec (it is the name written
// before bfloat16 kernels existed), and the bf16 name differs from it only
// by the prec element.
func TestKernelPrecisionDefault(t *testing.T) {
	f32 := CaseName{Family: Sgemm, Impl: "blocked", ISA: "avx512", Threads: 1, M: 64, N: 64, K: 64}
	old := "Sgemm/impl=blocked/isa=avx512/threads=1/m=64/n=64/k=64"
	if got := f32.Format(); got != old {
		t.Errorf("f32 name %q, want the pre-bf16 name %q", got, old)
	}
	back, err := Parse(old)
	if err != nil || back.Prec != "" {
		t.Errorf("Parse(%q).Prec = %q, %v; want empty (f32)", old, back.Prec, err)
	}
	bf := f32
	bf.Prec = BF16
	if got, want := bf.Format(), strings.Replace(old, "isa=avx512/", "isa=avx512/prec=bf16/", 1); got != want {
		t.Errorf("bf16 name %q, want %q", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, name := range []string{"Sgemm/threads=0", "Sgemm/m=x", "Stream/size=-1", "Peak/prec=f8"} {
		_, err := Parse(name)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Parse(%q): error %v does not name it", name, err)
		}
	}
	if c, err := Parse("Peak/prec=FP32"); err != nil || c.Prec != F32 {
		t.Errorf("Parse(prec=FP32) = %+v, %v; want the canonical f32", c, err)
	}
}

func TestPrecisions(t *testing.T) {
	for s, want := range map[string]Precision{"f32": F32, "fp32": F32, "FP16": F16, "f16": F16, "bf16": BF16, "tf32": TF32, "float64": F64} {
		if got, err := ParsePrecision(s); err != nil || got != want {
			t.Errorf("ParsePrecision(%q) = %q, %v; want %q", s, got, err, want)
		}
	}
	if _, err := ParsePrecision("int4"); err == nil || !strings.Contains(err.Error(), "bf16") {
		t.Errorf("ParsePrecision(int4): error %v does not list the valid names", err)
	}
	if p := CanonicalPrecision("int4"); p != "int4" || p.Known() {
		t.Errorf("CanonicalPrecision(int4) = %q (known %v), want it unchanged and unknown", p, p.Known())
	}
	for p, size := range map[Precision]int{F64: 8, F32: 4, TF32: 4, BF16: 2, F16: 2} {
		if p.Size() != size {
			t.Errorf("%s: size %d, want %d", p, p.Size(), size)
		}
	}
}
