package ceiling

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
)

// FromInfo returns a Profile holding only the CPU facts of info.
func FromInfo(info cpu.Info) machine.Profile {
	return machine.Profile{
		CPU: info.Brand, Vendor: info.Vendor, Family: info.Family, Model: info.Model,
		Cores: info.PhysicalCores, LogicalCPUs: info.LogicalCores,
		L1D: info.L1D, L2: info.L2, L3: info.L3,
		Features: slices.Clone(info.Features), ISA: info.Max().String(),
	}
}

var (
	nonLabel  = regexp.MustCompile(`[^a-z0-9]+`)
	coreCount = regexp.MustCompile(`\b[0-9]+-core\b`)
)

// DefaultLabel derives a machine label from the CPU: its brand in lowercase
// with the vendor's marketing words dropped, and the core count, e.g.
// "amd-epyc-9r45-2c". It passes results.CheckLabel.
func DefaultLabel(info cpu.Info) string {
	brand := strings.ToLower(info.Brand)
	for _, w := range []string{"(r)", "(tm)", " processor", " cpu", " with radeon graphics"} {
		brand = strings.ReplaceAll(brand, w, " ")
	}
	// "12-core" / "96-core" say less than the core count we append.
	brand = coreCount.ReplaceAllString(brand, " ")
	if i := strings.Index(brand, "@"); i >= 0 { // "@ 2.40ghz"
		brand = brand[:i]
	}
	brand = strings.Trim(nonLabel.ReplaceAllString(brand, "-"), "-")
	if brand == "" {
		brand = "cpu"
	}
	if len(brand) > 48 {
		brand = strings.TrimRight(brand[:48], "-")
	}
	return fmt.Sprintf("%s-%dc", brand, info.PhysicalCores)
}
