package bench

import (
	"regexp"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// BenchmarkConv2D runs the conv2d case table; select cases with -bench, e.g.
//
//	go test ./bench -run '^$' -bench 'Conv2D/pass=fwd/impl=direct/isa=avx512/threads=1/shape=seed-cnn.conv2$'
func BenchmarkConv2D(b *testing.B) {
	f, _ := LookupFamily(benchname.Conv2D)
	RunAll(b, f.Cases(Options{Sets: append(append([]string(nil), f.DefaultSets...), benchname.SetBF16)}))
}

var convNameRE = regexp.MustCompile(`^Conv2D/pass=(fwd|bwd-data|bwd-weights)/impl=[a-z0-9]+/isa=(generic|avx2|avx512|native)(/prec=bf16)?/threads=[0-9]+/shape=[a-z0-9.x-]+$`)

func TestConv2DCaseNames(t *testing.T) {
	f, err := LookupFamily("conv2d")
	if err != nil {
		t.Fatal(err)
	}
	// Every level by name (the cases of levels this build cannot run skip
	// themselves), so that the names do not depend on the machine.
	levels := cpu.AllLevels()
	all := f.Cases(Options{Sets: f.Sets, Levels: levels})
	seen := map[string]bool{}
	sets := map[string]int{}
	for _, c := range all {
		if !convNameRE.MatchString(c.Name()) {
			t.Errorf("case name %q does not follow the naming scheme", c.Name())
		}
		if seen[c.Name()] {
			t.Errorf("duplicate case %q", c.Name())
		}
		seen[c.Name()] = true
		sets[c.Set]++
		if c.FLOPs <= 0 || c.Bytes <= 0 {
			t.Errorf("%s: FLOPs %v, Bytes %v", c.Name(), c.FLOPs, c.Bytes)
		}
		if c.Impl == benchname.ImplNaive && c.Set != benchname.SetSeed {
			t.Errorf("%s: naive outside the seed set", c.Name())
		}
	}
	for _, s := range f.Sets {
		if sets[s] == 0 {
			t.Errorf("set %s has no cases", s)
		}
	}
	for _, want := range []string{
		"Conv2D/pass=fwd/impl=naive/isa=generic/threads=1/shape=seed-cnn.conv1",
		"Conv2D/pass=bwd-weights/impl=im2col/isa=generic/threads=1/shape=seed-cnn.conv2",
		"Conv2D/pass=bwd-data/impl=im2col/isa=avx2/threads=1/shape=resnet50.res2-3x3",
		"Conv2D/pass=fwd/impl=direct/isa=avx512/threads=2/shape=deepbench.700x161x1-n4-k32-5x20s2",
		"Conv2D/pass=bwd-weights/impl=winograd/isa=avx512/threads=1/shape=resnet50.res2-3x3",
	} {
		if !seen[want] {
			t.Errorf("no case %s", want)
		}
	}
	// Winograd is measured where the Context runs it, not on the seed CNN's
	// 3×3 layers (32 input channels or fewer) nor on strided ones.
	for _, no := range []string{
		"Conv2D/pass=fwd/impl=winograd/isa=avx512/threads=1/shape=seed-cnn.conv2",
		"Conv2D/pass=fwd/impl=winograd/isa=avx512/threads=1/shape=resnet50.res3-3x3s2",
	} {
		if seen[no] {
			t.Errorf("case %s: winograd does not run there", no)
		}
	}
	// The first layer's input gradient is never computed in training.
	for name := range seen {
		if strings.Contains(name, "pass=bwd-data") && strings.HasSuffix(name, "shape=seed-cnn.conv1") {
			t.Errorf("unexpected case %s", name)
		}
	}
	if d := f.Cases(Options{Levels: levels}); len(d) >= len(all) {
		t.Errorf("default sets give %d cases, all sets %d: deepbench should be opt-in", len(d), len(all))
	}
	for _, c := range f.Cases(Options{}) {
		if c.ISA == "generic" && c.Set != benchname.SetSeed {
			t.Errorf("%s: isa=generic on a big shape without being asked for", c.Name())
		}
	}
	gen := f.Cases(Options{Sets: []string{benchname.SetResNet50}, Levels: []cpu.Level{cpu.Generic}, Threads: []int{1}})
	if len(gen) == 0 || gen[0].ISA != "generic" {
		t.Errorf("asking for level generic on resnet50 gives %d cases", len(gen))
	}
}

// TestSeedConvShapes checks that the seed set is the seed CNN's conv layers at
// batch 32, as scripts/pytorch/mnist_cnn.py trains them.
func TestSeedConvShapes(t *testing.T) {
	got := SeedConvShapes()
	want := []shape.Conv2D{
		{N: 32, H: 28, W: 28, C: 1, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
		{N: 32, H: 13, W: 13, C: 32, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("%d seed conv shapes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Shape != want[i] {
			t.Errorf("seed conv %d (%s) = %v, want %v", i, got[i].Name, got[i].Shape, want[i])
		}
	}
	for _, s := range append(ResNet50ConvShapes, DeepBenchConvShapes...) {
		if err := s.Shape.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
}

// TestConv2DCasesRun runs every pass, implementation and level once on a small
// shape, so a broken Prepare shows up in go test, not only in benchmarks.
func TestConv2DCasesRun(t *testing.T) {
	small := []ConvShape{{Name: "small", Shape: convSq(2, 9, 5, 17, 3, 1, 1)}}
	cases := Conv2DCases(benchname.SetSeed, small, Options{Threads: []int{1, 2}})
	passes := map[string]bool{}
	for _, c := range cases {
		op, cleanup, err := c.Prepare()
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		op()
		cleanup()
		passes[string(c.Pass)+"/"+c.Impl] = true
	}
	for _, p := range []string{"fwd", "bwd-data", "bwd-weights"} {
		for _, impl := range []string{"naive", "im2col"} {
			if !passes[p+"/"+impl] {
				t.Errorf("no case for pass %s impl %s", p, impl)
			}
		}
	}
}

// TestResNet50ConvShapesCoverNetwork holds ResNet50ConvShapes to the network
// it describes: every conv layer of workload.ResNet50 at batch 8 has its
// geometry in the list, every listed geometry is some layer's, and no
// geometry or name is listed twice (a missing one is priced by interpolation,
// a stale one measured for nothing).
func TestResNet50ConvShapesCoverNetwork(t *testing.T) {
	listed := map[shape.Conv2D]string{}
	names := map[string]bool{}
	for _, s := range ResNet50ConvShapes {
		if prev, ok := listed[s.Shape]; ok {
			t.Errorf("%s: geometry %v listed already as %s", s.Name, s.Shape, prev)
		}
		if names[s.Name] {
			t.Errorf("%s listed twice", s.Name)
		}
		listed[s.Shape], names[s.Name] = s.Name, true
	}
	used := map[shape.Conv2D]bool{}
	for _, l := range NetworkLayers(workload.ResNet50(), 8) {
		if l.Conv == nil {
			continue
		}
		used[*l.Conv] = true
		if _, ok := listed[*l.Conv]; !ok {
			t.Errorf("layer %s: geometry %v is not in ResNet50ConvShapes", l.Name, *l.Conv)
		}
	}
	for _, s := range ResNet50ConvShapes {
		if !used[s.Shape] {
			t.Errorf("%s: geometry %v is no layer's of %s at batch 8", s.Name, s.Shape, workload.ResNet50().Name)
		}
	}
}
