package bench

import (
	"testing"

	"github.com/trainbench/trainbench/benchname"
)

// BenchmarkSgemm runs the SGEMM case table; select cases with -bench, e.g.
//
//	go test ./bench -run '^$' -bench 'Sgemm/impl=blocked/isa=avx512/threads=1/m=1024/'
func BenchmarkSgemm(b *testing.B) { RunAll(b, FamilyCases(benchname.Sgemm, Options{})) }
