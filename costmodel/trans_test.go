package costmodel

import (
	"strings"
	"testing"
)

// A transposed product of the same m, n, k as a plain one is another
// kernel call: the model must not take it for the plain product, whose
// cases it prices the dense passes from.
func TestTransposedSgemmNotTakenForPlain(t *testing.T) {
	const in = "BenchmarkSgemm/impl=blocked/isa=avx2/threads=1/m=64/n=288/k=3872-2 10 1000000 ns/op 2.2 GFLOP/s\n" +
		"BenchmarkSgemm/impl=blocked/isa=avx2/threads=1/m=64/n=288/k=3872/trans=tn-2 10 100000 ns/op 22 GFLOP/s\n"
	m, err := ReadResults(strings.NewReader(in), "r.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cases) != 1 || strings.Contains(m.Cases[0].Name, "trans=") {
		t.Fatalf("cases %+v, want only the plain product", m.Cases)
	}
}
