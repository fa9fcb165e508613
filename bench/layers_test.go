package bench

import (
	"regexp"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// The layer families' benchmarks; select cases with -bench, e.g.
//
//	go test ./bench -run '^$' -bench 'ReLU/pass=fwd/impl=simd/isa=avx512/threads=1/shape=seed-cnn.relu1$'
func BenchmarkDense(b *testing.B)       { RunAll(b, FamilyCases(benchname.Dense, Options{})) }
func BenchmarkMaxPool(b *testing.B)     { RunAll(b, FamilyCases(benchname.MaxPool, Options{})) }
func BenchmarkReLU(b *testing.B)        { RunAll(b, FamilyCases(benchname.ReLU, Options{})) }
func BenchmarkBiasAdd(b *testing.B)     { RunAll(b, FamilyCases(benchname.BiasAdd, Options{})) }
func BenchmarkSoftmaxCE(b *testing.B)   { RunAll(b, FamilyCases(benchname.SoftmaxCE, Options{})) }
func BenchmarkAdam(b *testing.B)        { RunAll(b, FamilyCases(benchname.Adam, Options{})) }
func BenchmarkSGDMomentum(b *testing.B) { RunAll(b, FamilyCases(benchname.SGDMomentum, Options{})) }

var layerNameRE = regexp.MustCompile(`^(Dense|MaxPool|ReLU)/pass=(fwd|bwd-data|bwd-weights)/impl=[a-z0-9]+/isa=(generic|avx2|avx512)/threads=[0-9]+/shape=[a-z0-9.x-]+$|` +
	`^(BiasAdd|SoftmaxCE|Adam|SGDMomentum)/impl=[a-z0-9]+/isa=(generic|avx2|avx512)/threads=[0-9]+/shape=[a-z0-9.x-]+$`)

// TestLayerCaseNames checks the layer families' names, sets and formulas,
// and that the seed set holds the seed CNN's layers.
func TestLayerCaseNames(t *testing.T) {
	want := map[string]bool{
		"Dense/pass=fwd/impl=naive/isa=generic/threads=1/shape=seed-cnn.fc1":               false,
		"Dense/pass=bwd-weights/impl=gemm/isa=avx2/threads=2/shape=head.4096x1000-b64":     false,
		"MaxPool/pass=bwd-data/impl=simd/isa=avx512/threads=1/shape=seed-cnn.pool2":        false,
		"ReLU/pass=fwd/impl=simd/isa=generic/threads=1/shape=large.8m":                     false,
		"ReLU/pass=bwd-data/impl=naive/isa=generic/threads=2/shape=seed-cnn.relu3":         false,
		"BiasAdd/impl=simd/isa=avx2/threads=1/shape=seed-cnn.conv1":                        false,
		"SoftmaxCE/impl=parallel/isa=generic/threads=1/shape=seed-cnn.loss":                false,
		"Adam/impl=simd/isa=avx512/threads=2/shape=seed-cnn.fc1":                           false,
		"SGDMomentum/impl=naive/isa=generic/threads=1/shape=large.8m":                      false,
		"MaxPool/pass=fwd/impl=naive/isa=generic/threads=1/shape=resnet50.stem-pool-3x3s2": false,
	}
	seen := map[string]bool{}
	for _, fam := range []string{benchname.Dense, benchname.MaxPool, benchname.ReLU, benchname.BiasAdd, benchname.SoftmaxCE, benchname.Adam, benchname.SGDMomentum} {
		f, err := LookupFamily(fam)
		if err != nil {
			t.Fatal(err)
		}
		sets := map[string]int{}
		all := f.Cases(Options{Sets: f.Sets, Levels: cpu.AllLevels(), Threads: []int{1, 2}})
		for _, c := range all {
			if !layerNameRE.MatchString(c.Name()) {
				t.Errorf("case name %q does not follow the naming scheme", c.Name())
			}
			if seen[c.Name()] {
				t.Errorf("duplicate case %q", c.Name())
			}
			seen[c.Name()] = true
			if _, ok := want[c.Name()]; ok {
				want[c.Name()] = true
			}
			sets[c.Set]++
			if c.FLOPs <= 0 || c.Bytes <= 0 {
				t.Errorf("%s: FLOPs %v, Bytes %v", c.Name(), c.FLOPs, c.Bytes)
			}
		}
		for _, s := range f.Sets {
			if sets[s] == 0 {
				t.Errorf("%s: set %s has no cases", fam, s)
			}
		}
		for _, c := range f.Cases(Options{Threads: []int{1}}) {
			if c.Set != benchname.SetSeed {
				t.Errorf("%s: default case %s outside the seed set", fam, c.Name())
			}
		}
	}
	for name, ok := range want {
		if !ok {
			t.Errorf("no case %s", name)
		}
	}
}
