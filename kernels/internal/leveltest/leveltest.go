// Package leveltest gives the tests of the generated-kernel packages the
// ISA levels above generic to check their assembly at.
package leveltest

import (
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// Each returns of(l) for every level above generic whose assembly this CPU
// runs, logging the levels it lacks (under noasm the kernels are the twins,
// and the tests then check the plumbing only).
func Each[K any](t testing.TB, of func(cpu.Level) K) []K {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	var ks []K
	for _, l := range []cpu.Level{cpu.AVX2, cpu.AVX512} {
		if info.Hardware >= l {
			ks = append(ks, of(l))
		} else {
			t.Logf("skipping %v: CPU lacks it", l)
		}
	}
	return ks
}
