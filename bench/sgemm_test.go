package bench

import (
	"regexp"
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/shape"
)

// BenchmarkSgemm runs the SGEMM case table; select cases with -bench, e.g.
//
//	go test ./bench -run '^$' -bench 'Sgemm/impl=blocked/isa=avx512/threads=1/m=1024/'
func BenchmarkSgemm(b *testing.B) { RunAll(b, FamilyCases(benchname.Sgemm, Options{})) }

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
