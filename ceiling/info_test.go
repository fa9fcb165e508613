package ceiling

import (
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/results"
)

func TestDefaultLabel(t *testing.T) {
	for brand, want := range map[string]string{
		"AMD EPYC 9R45 96-Core Processor":           "amd-epyc-9r45-2c",
		"Intel(R) Xeon(R) Platinum 8488C @ 2.40GHz": "intel-xeon-platinum-8488c-2c",
		"": "cpu-2c",
	} {
		got := DefaultLabel(cpu.Info{Brand: brand, PhysicalCores: 2})
		if got != want {
			t.Errorf("DefaultLabel(%q) = %q, want %q", brand, got, want)
		}
		if err := results.CheckLabel(got); err != nil {
			t.Errorf("default label rejected: %v", err)
		}
	}
}
