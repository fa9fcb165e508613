package cpu

import (
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
)

func TestParseLevelRoundTrip(t *testing.T) {
	for _, l := range AllLevels() {
		got, err := ParseLevel(strings.ToUpper(l.String()))
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", l.String(), got, err, l)
		}
	}
	if _, err := ParseLevel("sse9"); err == nil || !strings.Contains(err.Error(), "avx512") {
		t.Errorf("ParseLevel(sse9) error = %v; want one listing the valid levels", err)
	}
}

func TestDetectIsSane(t *testing.T) {
	info, err := detect(cpuid.CPU, compiledLevel, "")
	if err != nil {
		t.Fatal(err)
	}
	if info.LogicalCores < 1 || info.PhysicalCores < 1 || info.PhysicalCores > info.LogicalCores {
		t.Errorf("cores: physical %d logical %d", info.PhysicalCores, info.LogicalCores)
	}
	if info.Max() > info.Hardware || info.Max() > info.Compiled {
		t.Errorf("Max %v above hardware %v or compiled %v", info.Max(), info.Hardware, info.Compiled)
	}
	ls := info.Levels()
	if ls[0] != Generic || ls[len(ls)-1] != info.Max() {
		t.Errorf("Levels() = %v, want generic..%v", ls, info.Max())
	}
	if info.Hardware >= AVX2 && !contains(info.Features, "avx2") {
		t.Errorf("hardware level %v but features %v lack avx2", info.Hardware, info.Features)
	}
}

func TestCapFromEnvironment(t *testing.T) {
	info, err := detect(cpuid.CPU, compiledLevel, "generic")
	if err != nil {
		t.Fatal(err)
	}
	if info.Max() != Generic {
		t.Fatalf("capped at generic, Max() = %v", info.Max())
	}
	if err := info.Check(Generic); err != nil {
		t.Errorf("Check(generic) = %v", err)
	}
	if info.Hardware >= AVX2 && info.Compiled >= AVX2 {
		err := info.Check(AVX2)
		if err == nil || !strings.Contains(err.Error(), EnvISA) {
			t.Errorf("Check(avx2) under cap = %v; want an error naming %s", err, EnvISA)
		}
	}
	if _, err := detect(cpuid.CPU, compiledLevel, "avx1024"); err == nil {
		t.Error("detect(avx1024) accepted an unknown level")
	}
}

func TestCheckNamesTheReason(t *testing.T) {
	info := Info{Brand: "Test CPU", Hardware: AVX2, Compiled: AVX512, Cap: AVX512, Arch: "amd64"}
	err := info.Check(AVX512)
	if err == nil || !strings.Contains(err.Error(), "not supported by this CPU") {
		t.Errorf("Check(avx512) on an AVX2 CPU = %v", err)
	}
	info = Info{Hardware: AVX512, Compiled: Generic, Cap: AVX512, Arch: "arm64"}
	if err := info.Check(AVX2); err == nil || !strings.Contains(err.Error(), "not compiled") {
		t.Errorf("Check(avx2) without assembly = %v", err)
	}
	if err := info.Check(Level(7)); err == nil {
		t.Error("Check(7) accepted an unknown level")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fakeCPU is an amd64 CPU with exactly the given features (and the baseline
// SSE ones that make it x86-64).
func fakeCPU(ids ...cpuid.FeatureID) cpuid.CPUInfo {
	c := cpuid.CPUInfo{BrandName: "Fake CPU", VendorID: cpuid.AMD}
	c.Enable(cpuid.CMOV, cpuid.CMPXCHG8, cpuid.FXSR, cpuid.MMX, cpuid.SYSCALL, cpuid.SSE, cpuid.SSE2, cpuid.X87)
	c.Enable(ids...)
	return c
}

var avx512Features = []cpuid.FeatureID{cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.BMI2,
	cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL}

// TestBF16Capability checks the BF16 capability on made-up CPUs: present
// only with AVX512_BF16 and a usable avx512 level, turned off by a cap below
// avx512 or a build without assembly, and each refusal says why.
func TestBF16Capability(t *testing.T) {
	withBF16 := append(append([]cpuid.FeatureID(nil), avx512Features...), cpuid.AVX512BF16)
	for _, tc := range []struct {
		name     string
		cpu      cpuid.CPUInfo
		compiled Level
		env      string
		want     string // "" usable, else a part of the reason
	}{
		{"zen4-like", fakeCPU(withBF16...), AVX512, "", ""},
		{"cap avx512", fakeCPU(withBF16...), AVX512, "avx512", ""},
		{"no bf16", fakeCPU(avx512Features...), AVX512, "", "lacks AVX512_BF16"},
		{"avx2 only", fakeCPU(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.BMI2), AVX512, "", "lacks AVX512_BF16"},
		{"capped avx2", fakeCPU(withBF16...), AVX512, "avx2", EnvISA},
		{"capped generic", fakeCPU(withBF16...), AVX512, "generic", EnvISA},
		{"noasm", fakeCPU(withBF16...), Generic, "", "not compiled"},
		{"bf16 without avx512bw", fakeCPU(cpuid.AVX, cpuid.AVX2, cpuid.FMA3, cpuid.BMI2, cpuid.AVX512F, cpuid.AVX512BF16), AVX512, "", "not supported by this CPU"},
	} {
		info, err := detect(tc.cpu, tc.compiled, tc.env)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		err = info.CheckBF16()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: CheckBF16 = %v, want usable", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: CheckBF16 = %v, want an error naming %q", tc.name, err, tc.want)
		}
		if info.BF16() != (err == nil) {
			t.Errorf("%s: BF16() = %v disagrees with CheckBF16 = %v", tc.name, info.BF16(), err)
		}
	}
	// The made-up CPUs' levels come out as the features say.
	if info, _ := detect(fakeCPU(withBF16...), AVX512, ""); info.Hardware != AVX512 || !info.HardwareBF16 || !contains(info.Features, "avx512bf16") {
		t.Errorf("zen4-like: hardware %v, bf16 %v, features %v", info.Hardware, info.HardwareBF16, info.Features)
	}
}
