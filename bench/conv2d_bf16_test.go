package bench

import (
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// TestConv2DBF16Set: the opt-in bf16 set has every pass of the gemm and
// direct implementations at avx512 on the seed CNN's conv2 and ResNet-50's res3
// 3×3, named prec=bf16, and is not in the default sets.
func TestConv2DBF16Set(t *testing.T) {
	f, err := LookupFamily(benchname.Conv2D)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases(Options{Levels: cpu.AllLevels()}) {
		if c.Prec != "" || c.Set == benchname.SetBF16 {
			t.Errorf("default sets hold bf16 case %s", c.Name())
		}
	}
	cases := f.Cases(Options{Sets: []string{benchname.SetBF16}, Levels: cpu.AllLevels(), Threads: []int{1}})
	want := map[string]bool{}
	for _, pass := range []string{"fwd", "bwd-data", "bwd-weights"} {
		for _, sh := range []string{"seed-cnn.conv2", "resnet50.res3-3x3"} {
			for _, impl := range []string{"gemm", "direct"} {
				want["Conv2D/pass="+pass+"/impl="+impl+"/isa=avx512/prec=bf16/threads=1/shape="+sh] = true
			}
		}
	}
	for _, c := range cases {
		if !want[c.Name()] || c.Set != benchname.SetBF16 || c.Prec != benchname.BF16 {
			t.Errorf("unexpected bf16 case %s (set %s)", c.Name(), c.Set)
		}
		delete(want, c.Name())
	}
	for n := range want {
		t.Errorf("no case %s", n)
	}
}
