package cpu

import (
	"strings"
	"testing"
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
	info, err := detect("")
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
	info, err := detect("generic")
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
	if _, err := detect("avx1024"); err == nil {
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
