// Package cpu says what this CPU is and which kernel ISA levels may run on it.
//
// It wraps github.com/klauspost/cpuid/v2 with the facts trainbench needs
// (vendor, brand, family/model, cores, cache sizes, the vector features that
// matter for float32 training kernels) and derives the ISA levels kernels are
// written for:
//
//	generic  pure Go, runs everywhere
//	avx2     AVX2 + FMA3 (256-bit vectors, fused multiply-add)
//	avx512   AVX-512 F + DQ + BW + VL (512-bit vectors), with BMI2
//
// A level is usable when the CPU has its features, the assembly for it is
// compiled in (not under the noasm build tag, amd64 only), and it is not above
// the cap set by the TRAINBENCH_ISA environment variable (for example
// TRAINBENCH_ISA=avx2 runs a whole process without AVX-512). Asking for a level
// that is not usable is an error that says why, never a crash.
//
// Beside the levels stands one capability, BF16: the AVX512_BF16 instructions
// (VDPBF16PS, VCVTNE2PS2BF16), which the bfloat16 kernels need. It is not a
// level because CPUs with AVX-512 may lack it (Intel Ice Lake, Skylake-SP); it
// is usable when the CPU has it, level avx512 is usable (its instructions are
// EVEX-encoded AVX-512), and so a cap below avx512 turns it off too.
package cpu

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/klauspost/cpuid/v2"
)

// Level is an instruction-set level that kernels are written for.
// Higher levels include the lower ones.
type Level int

// The ISA levels, lowest first.
const (
	Generic Level = iota // pure Go
	AVX2                 // AVX2 + FMA3
	AVX512               // AVX-512 F, DQ, BW, VL
)

// EnvISA is the environment variable that caps the ISA level of a whole run.
const EnvISA = "TRAINBENCH_ISA"

var levelNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512"}

// String returns the level's stable name: "generic", "avx2" or "avx512".
func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// AllLevels lists every level trainbench knows, lowest first.
func AllLevels() []Level { return []Level{Generic, AVX2, AVX512} }

// ParseLevel parses a level name as printed by String (case-insensitive).
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("unknown ISA level %q (valid: %s)", s, strings.Join(levelNames[:], ", "))
}

// Info describes the CPU the process runs on.
type Info struct {
	Vendor         string   // vendor, e.g. "AMD" or "Intel"
	Brand          string   // brand string, e.g. "AMD EPYC 9655"
	Family         int      // family number (AMD Zen 5 is 26)
	Model          int      // model number
	Stepping       int      // stepping
	PhysicalCores  int      // physical cores visible to this process
	LogicalCores   int      // logical CPUs visible to this process
	ThreadsPerCore int      // hardware threads per core (1 when unknown)
	L1D            int      // L1 data cache per core, bytes (0 when unknown)
	L2             int      // L2 cache per core, bytes (0 when unknown)
	L3             int      // L3 cache, bytes (0 when unknown)
	Features       []string // the vector and matrix features relevant to training kernels, sorted
	Hardware       Level    // highest level the hardware supports
	Compiled       Level    // highest level this binary has code for (generic under noasm or off amd64)
	Cap            Level    // cap from TRAINBENCH_ISA (AVX512 when unset)
	Arch           string   // GOARCH
	HardwareBF16   bool     // the CPU has AVX512_BF16 (see BF16 for whether it is usable)
}

// BF16 reports whether the bfloat16 instructions may run: see CheckBF16.
func (i Info) BF16() bool { return i.CheckBF16() == nil }

// CheckBF16 returns nil if the AVX512_BF16 capability is usable and otherwise
// an error saying why not: the CPU lacks it, or level avx512, whose
// encoding it shares, is not usable (not compiled in, or capped by
// TRAINBENCH_ISA). Callers skip their bfloat16 paths with this reason.
func (i Info) CheckBF16() error {
	if !i.HardwareBF16 {
		return fmt.Errorf("this CPU (%s) lacks AVX512_BF16 (VDPBF16PS), which the bfloat16 kernels need", i.Brand)
	}
	if err := i.Check(AVX512); err != nil {
		return fmt.Errorf("AVX512_BF16 needs ISA level avx512: %w", err)
	}
	return nil
}

// Max returns the highest usable level: the lowest of Hardware, Compiled and Cap.
func (i Info) Max() Level { return min(i.Hardware, i.Compiled, i.Cap) }

// Levels returns the usable levels, lowest first (always at least Generic).
func (i Info) Levels() []Level {
	var ls []Level
	for _, l := range AllLevels() {
		if l <= i.Max() {
			ls = append(ls, l)
		}
	}
	return ls
}

// Check returns nil if level l is usable and otherwise an error saying why.
func (i Info) Check(l Level) error {
	switch {
	case l < Generic || l > AVX512:
		return fmt.Errorf("unknown ISA level %d", int(l))
	case l > i.Hardware:
		return fmt.Errorf("ISA level %s is not supported by this CPU (%s; highest is %s)", l, i.Brand, i.Hardware)
	case l > i.Compiled:
		return fmt.Errorf("ISA level %s is not compiled into this binary (GOARCH=%s or the noasm build tag; highest is %s)", l, i.Arch, i.Compiled)
	case l > i.Cap:
		return fmt.Errorf("ISA level %s is above the cap %s=%s", l, EnvISA, i.Cap)
	}
	return nil
}

var (
	detectOnce sync.Once
	detected   Info
	detectErr  error
)

// Detect returns the description of this CPU, computed once. The error is
// non-nil only when TRAINBENCH_ISA holds an unknown level name; the Info is
// still valid then, capped at Generic.
func Detect() (Info, error) {
	detectOnce.Do(func() { detected, detectErr = detect(cpuid.CPU, compiledLevel, os.Getenv(EnvISA)) })
	return detected, detectErr
}

// relevant lists the cpuid features reported in Info.Features.
var relevant = []cpuid.FeatureID{
	cpuid.SSE2, cpuid.SSE42, cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.F16C,
	cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL, cpuid.AVX512CD,
	cpuid.AVX512VNNI, cpuid.AVX512BF16, cpuid.AVX512FP16, cpuid.AVXVNNI,
	cpuid.AMXTILE, cpuid.AMXBF16, cpuid.AMXINT8,
	cpuid.ASIMD, cpuid.FPHP, cpuid.ASIMDHP, cpuid.SVE,
}

// detect builds the Info of the CPU c describes, for a binary with
// assembly up to compiled, capped by env (TRAINBENCH_ISA's value). Tests
// pass CPUs with made-up feature sets.
func detect(c cpuid.CPUInfo, compiled Level, env string) (Info, error) {
	info := Info{
		Vendor:         vendorName(c),
		Brand:          strings.TrimSpace(c.BrandName),
		Family:         c.Family,
		Model:          c.Model,
		Stepping:       c.Stepping,
		ThreadsPerCore: max(c.ThreadsPerCore, 1),
		L1D:            max(c.Cache.L1D, 0),
		L2:             max(c.Cache.L2, 0),
		L3:             max(c.Cache.L3, 0),
		Compiled:       compiled,
		Cap:            AVX512,
		Arch:           runtime.GOARCH,
	}
	if info.Brand == "" {
		info.Brand = "unknown " + runtime.GOARCH + " CPU"
	}
	// cpuid reports the host's topology inside some virtual machines (hundreds
	// of cores on a 2-vCPU guest): trust what the OS lets this process see.
	info.LogicalCores = runtime.NumCPU()
	info.PhysicalCores = c.PhysicalCores
	if info.PhysicalCores <= 0 || info.PhysicalCores > info.LogicalCores {
		info.PhysicalCores = max(info.LogicalCores/info.ThreadsPerCore, 1)
	}
	for _, f := range relevant {
		if c.Supports(f) {
			info.Features = append(info.Features, strings.ToLower(f.String()))
		}
	}
	sort.Strings(info.Features)
	info.Hardware = hardwareLevel(c)
	info.HardwareBF16 = c.X64Level() >= 1 && c.Supports(cpuid.AVX512BF16)
	if env == "" {
		return info, nil
	}
	capLevel, err := ParseLevel(env)
	if err != nil {
		info.Cap = Generic
		return info, fmt.Errorf("%s: %w", EnvISA, err)
	}
	info.Cap = capLevel
	return info, nil
}

func hardwareLevel(c cpuid.CPUInfo) Level {
	if c.X64Level() < 1 { // not amd64: no x86 SIMD levels
		return Generic
	}
	switch {
	case c.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.BMI2, cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL):
		return AVX512
	case c.Supports(cpuid.AVX2, cpuid.FMA3):
		return AVX2
	}
	return Generic
}

func vendorName(c cpuid.CPUInfo) string {
	switch c.VendorID {
	case cpuid.AMD:
		return "AMD"
	case cpuid.Intel:
		return "Intel"
	case cpuid.VendorUnknown:
		if c.VendorString != "" {
			return c.VendorString
		}
		return "unknown"
	}
	return c.VendorID.String()
}
