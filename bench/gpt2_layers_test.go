package bench

import (
	"regexp"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// The GPT-2 layer families' benchmarks, e.g.
//
//	go test ./bench -run '^$' -bench 'Attention/pass=bwd/impl=flash/isa=avx512/threads=1/shape=gpt2-small.t1024b1.attn$'
func BenchmarkLayerNorm(b *testing.B) { RunAll(b, FamilyCases(benchname.LayerNorm, Options{})) }
func BenchmarkGELU(b *testing.B)      { RunAll(b, FamilyCases(benchname.GELU, Options{})) }
func BenchmarkAttention(b *testing.B) { RunAll(b, FamilyCases(benchname.Attention, Options{})) }
func BenchmarkEmbedding(b *testing.B) { RunAll(b, FamilyCases(benchname.Embedding, Options{})) }
func BenchmarkAdamW(b *testing.B)     { RunAll(b, FamilyCases(benchname.AdamW, Options{})) }

var gpt2NameRE = regexp.MustCompile(`^((LayerNorm|Attention|Embedding)/pass=(fwd|bwd)/|GELU/pass=(fwd|bwd-data)/|AdamW/)impl=[a-z0-9]+/isa=(generic|avx2|avx512)/threads=[0-9]+/shape=gpt2-small\.(t(1024|256)b1\.(ln|gelu|attn|wte)|block)$`)

// TestGPT2LayerCases checks the GPT-2 families' names, that every case is
// in the gpt2 set with positive FLOPs and bytes, that each family has both
// contexts and both passes, and that the naive attention and the generic
// level's attention at t1024 are left out.
func TestGPT2LayerCases(t *testing.T) {
	opt := Options{Levels: cpu.AllLevels(), Threads: []int{1}}
	for _, fam := range []string{benchname.LayerNorm, benchname.GELU, benchname.Attention, benchname.Embedding, benchname.AdamW} {
		f, err := LookupFamily(fam)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		shapes := map[string]bool{}
		for _, c := range f.Cases(opt) {
			name := c.Name()
			if !gpt2NameRE.MatchString(name) {
				t.Errorf("case name %q does not follow the naming scheme", name)
			}
			if seen[name] {
				t.Errorf("duplicate case %q", name)
			}
			seen[name] = true
			shapes[string(c.Pass)+" "+c.Shape] = true
			if c.Set != benchname.SetGPT2 || c.FLOPs <= 0 || c.Bytes <= 0 {
				t.Errorf("%s: set %q, FLOPs %v, bytes %v", name, c.Set, c.FLOPs, c.Bytes)
			}
			if fam == benchname.Attention && (c.Impl == benchname.ImplNaive || c.ISA == "generic" && c.Shape == "gpt2-small.t1024b1.attn") {
				t.Errorf("%s: should be left out", name)
			}
		}
		want := 4
		if fam == benchname.AdamW {
			want = 1
		}
		if len(shapes) != want {
			t.Errorf("%s: %d (pass, shape) pairs %v, want %d", fam, len(shapes), shapes, want)
		}
	}
}
