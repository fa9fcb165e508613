package bench

import (
	"regexp"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
)

// BenchmarkSgemm runs the SGEMM case table's default sets and the bf16 set
// (whose names carry prec=bf16, so a pattern naming isa=…/threads=… selects
// float32 cases only); select cases with -bench, e.g.
//
//	go test ./bench -run '^$' -bench 'Sgemm/impl=blocked/isa=avx512/threads=1/m=1024/'
//	go test ./bench -run '^$' -bench 'Sgemm/impl=blocked/isa=avx512/prec=bf16/threads=1/m=1024/'
func BenchmarkSgemm(b *testing.B) {
	f, err := LookupFamily(benchname.Sgemm)
	if err != nil {
		b.Fatal(err)
	}
	RunAll(b, f.Cases(Options{Sets: append(append([]string(nil), f.DefaultSets...), benchname.SetBF16)}))
}

// TestSgemmBF16Set: the opt-in bf16 set names every case prec=bf16 at
// avx512, is not in the default run, and prepares and runs one op where the
// CPU has AVX512_BF16, else fails Prepare (the runner's skip) saying why.
func TestSgemmBF16Set(t *testing.T) {
	f, err := LookupFamily(benchname.Sgemm)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Cases(Options{}) {
		if c.Prec != "" || c.Set == benchname.SetBF16 {
			t.Errorf("default run has %s", c.Name())
		}
	}
	cases := f.Cases(Options{Sets: []string{benchname.SetBF16}, Threads: []int{1}})
	info, _ := cpu.Detect()
	if info.Max() < cpu.AVX512 {
		if len(cases) != 0 {
			t.Errorf("%d bf16 cases without avx512", len(cases))
		}
		return
	}
	if len(cases) != 2*(len(SquareGemmShapes)+len(ModelGemmShapes)) {
		t.Errorf("%d bf16 cases, want two per square and model shape", len(cases))
	}
	impls := map[string]int{}
	for _, c := range cases {
		if !bf16NameRE.MatchString(c.Name()) || c.Set != benchname.SetBF16 {
			t.Errorf("bf16 case %s (set %s)", c.Name(), c.Set)
		}
		impls[c.Impl]++
	}
	if impls["blocked"] != impls[benchname.ImplBlockedBF16In] {
		t.Errorf("bf16 cases by impl: %v, want as many of each", impls)
	}
	for _, c := range cases[:2] {
		op, cleanup, err := c.Prepare()
		if noBF16 := info.CheckBF16(); noBF16 != nil {
			if err == nil || err.Error() != noBF16.Error() {
				t.Fatalf("%s without AVX512_BF16: Prepare error %v, want %v", c.Name(), err, noBF16)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		op()
		cleanup()
	}
}

var bf16NameRE = regexp.MustCompile(`^Sgemm/impl=(blocked|blocked-bf16in)/isa=avx512/prec=bf16/threads=1/m=[0-9]+/n=[0-9]+/k=[0-9]+$`)

// TestSgemmBackpropSet: the opt-in backprop set names its transposes
// (trans=nt, tn; none for the plain products), is not in the default run,
// and every implementation runs transposed operands at the leading
// dimensions operands gives (a wrong one trips Sgemm's size checks).
func TestSgemmBackpropSet(t *testing.T) {
	f, err := LookupFamily(benchname.Sgemm)
	if err != nil {
		t.Fatal(err)
	}
	trans := map[string]int{}
	for _, c := range f.Cases(Options{Sets: []string{benchname.SetBackprop}, Threads: []int{1}}) {
		if c.Set != benchname.SetBackprop || !backpropNameRE.MatchString(c.Name()) {
			t.Errorf("backprop case %s (set %s)", c.Name(), c.Set)
		}
		trans[c.Trans]++
	}
	if trans["nt"] == 0 || trans["tn"] == 0 || trans[""] == 0 {
		t.Errorf("backprop cases by trans= value: %v, want nt, tn and plain ones", trans)
	}
	for _, c := range f.Cases(Options{}) {
		if c.Set == benchname.SetBackprop || c.Trans != "" {
			t.Errorf("default run has %s", c.Name())
		}
	}
	var small []GemmShape
	for _, tr := range [][2]bool{{false, true}, {true, false}, {true, true}} {
		small = append(small, GemmShape{Gemm: shape.Gemm{M: 7, N: 19, K: 5}, TransA: tr[0], TransB: tr[1]})
	}
	for _, c := range SgemmCases(small, Options{Threads: []int{1}}) {
		op, cleanup, err := c.Prepare()
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		op()
		cleanup()
	}
}

var backpropNameRE = regexp.MustCompile(`^Sgemm/impl=[a-z]+/isa=(generic|avx2|avx512|native)/threads=1/m=[0-9]+/n=[0-9]+/k=[0-9]+(/trans=(nt|tn))?$`)
