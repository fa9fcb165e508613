package bench

import (
	"regexp"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/workload"
)

// The ResNet-50 layer families' benchmarks, e.g.
//
//	go test ./bench -run '^$' -bench 'BatchNorm/pass=bwd/impl=simd/isa=avx512/threads=1/shape=resnet50-imagenet.res2b.bn3$'
func BenchmarkBatchNorm(b *testing.B)     { RunAll(b, FamilyCases(benchname.BatchNorm, Options{})) }
func BenchmarkAdd(b *testing.B)           { RunAll(b, FamilyCases(benchname.Add, Options{})) }
func BenchmarkGlobalAvgPool(b *testing.B) { RunAll(b, FamilyCases(benchname.GlobalAvgPool, Options{})) }

var resnetNameRE = regexp.MustCompile(`^(BatchNorm/pass=(fwd|bwd)|(Add|GlobalAvgPool|MaxPool)/pass=(fwd|bwd-data))/impl=[a-z0-9]+/isa=(generic|avx2|avx512)/threads=[0-9]+/shape=resnet50-imagenet\.[a-z0-9.-]+$`)

// TestResNetLayerCases checks the ResNet-50 families' names and formulas,
// that resnet50 and resnet50-all together hold every layer of the kind
// once, that the default is the resnet50 set, and the fusions the batch
// norms get.
func TestResNetLayerCases(t *testing.T) {
	net := workload.ResNet50()
	kinds := map[workload.Kind]int{}
	for _, l := range NetworkLayers(net, ResNet50Batch) {
		kinds[l.Kind]++
	}
	opt := Options{Sets: []string{benchname.SetResNet50, benchname.SetResNet50All}, Levels: cpu.AllLevels(), Threads: []int{1}}
	for _, c := range []struct {
		family string
		kind   workload.Kind
		passes int
	}{{benchname.BatchNorm, workload.BatchNorm, 2}, {benchname.Add, workload.Add, 2}, {benchname.GlobalAvgPool, workload.GlobalAvgPool, 2}} {
		f, err := LookupFamily(c.family)
		if err != nil {
			t.Fatal(err)
		}
		layers := map[string]bool{}
		seen := map[string]bool{}
		for _, cs := range f.Cases(opt) {
			name := cs.Name()
			if !resnetNameRE.MatchString(name) {
				t.Errorf("case name %q does not follow the naming scheme", name)
			}
			if seen[name] {
				t.Errorf("duplicate case %q", name)
			}
			seen[name] = true
			if cs.Bytes <= 0 || cs.FLOPs <= 0 {
				t.Errorf("%s: FLOPs %v, Bytes %v", name, cs.FLOPs, cs.Bytes)
			}
			layers[name[strings.Index(name, "shape="):]] = true
		}
		if len(layers) != kinds[c.kind] {
			t.Errorf("%s: %d layers, the network has %d of kind %s", c.family, len(layers), kinds[c.kind], c.kind)
		}
		for _, cs := range f.Cases(Options{Threads: []int{1}}) {
			if cs.Set != benchname.SetResNet50 {
				t.Errorf("%s: default case %s outside the resnet50 set", c.family, cs.Name())
			}
		}
	}
	// Fusions, as nn runs them: the stem's and each block's first two batch
	// norms take their ReLU; each block's bn3 the add and the ReLU after it,
	// also in the projection blocks, whose proj-bn stays plain (it used to
	// be labelled the other way round: add on proj-bn, bn3 plain).
	layers := NetworkLayers(net, ResNet50Batch)
	relu, add, plain := 0, 0, 0
	for i, l := range layers {
		s := resnetBatchNorm(layers, i)
		if s == nil {
			continue
		}
		name := l.Name[strings.LastIndex(l.Name, ".")+1:]
		want := map[string][2]bool{"bn1": {false, true}, "bn2": {false, true}, "bn3": {true, true}, "proj-bn": {false, false}}[name]
		if got := [2]bool{s.Residual, s.ReLU}; got != want {
			t.Errorf("%s: residual, relu = %v, want %v", l.Name, got, want)
		}
		switch {
		case s.Residual && s.ReLU:
			add++
		case s.ReLU:
			relu++
		default:
			plain++
		}
	}
	if relu != 1+2*16 || add != 16 || plain != 4 {
		t.Errorf("batch-norm fusions: %d with ReLU, %d with add and ReLU, %d plain; want 33, 16, 4", relu, add, plain)
	}
	// The padded stem pool in the MaxPool family.
	var pool []string
	for _, cs := range FamilyCases(benchname.MaxPool, Options{Sets: []string{benchname.SetResNet50}, Threads: []int{1}}) {
		pool = append(pool, cs.Name())
		if !resnetNameRE.MatchString(cs.Name()) {
			t.Errorf("case name %q does not follow the naming scheme", cs.Name())
		}
	}
	if len(pool) == 0 || !strings.HasSuffix(pool[0], "shape=resnet50-imagenet.pool1") {
		t.Errorf("MaxPool resnet50 set: %v", pool)
	}
	if s := resnetPool(layers, 3); s == nil || s.Pad != 1 || s.H != 112 || s.OutH() != 56 {
		t.Errorf("stem pool shape %v", s)
	}
}
