package hugepage

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestAdviseBacksWithHugePages: a large slice advised before its first
// touch keeps its contents and, where the kernel runs transparent huge pages
// on advice (or always), is backed by huge pages once touched, as
// /proc/self/smaps counts them (AnonHugePages of its mapping).
func TestAdviseBacksWithHugePages(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(mode), "[never]") {
		t.Skipf("transparent huge pages off or unknown here (%q, %v)", mode, err)
	}
	v := make([]float32, 64<<20/4) // 64 MiB, fresh from the OS: untouched
	if !Advise(v) {
		t.Fatal("Advise refused a 64 MiB slice")
	}
	for i := 0; i < len(v); i += 1024 {
		v[i] = float32(i)
	}
	for i := 0; i < len(v); i += 1024 {
		if v[i] != float32(i) {
			t.Fatalf("v[%d] = %v after advice and writes, want %d", i, v[i], i)
		}
	}
	kb, err := anonHugeKB(uintptr(unsafe.Pointer(&v[len(v)/2])))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the mapping holding the slice has %d kB in huge pages", kb)
	if kb < 32<<10 {
		t.Errorf("%d kB of huge pages in the slice's mapping, want at least half its 64 MiB", kb)
	}
	if Advise(v[:100]) {
		t.Error("Advise took a slice that spans no whole huge page")
	}
}

// anonHugeKB reads the AnonHugePages of the mapping of /proc/self/smaps
// that holds address a.
func anonHugeKB(a uintptr) (int, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := mappingRange(line); ok {
			in = lo <= a && a < hi
			continue
		}
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok && in {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no mapping of /proc/self/smaps holds %#x", a)
}

// mappingRange parses a mapping's header line ("7f00-7f80 rw-p ...").
func mappingRange(line string) (lo, hi uintptr, ok bool) {
	f := strings.Fields(line)
	if len(f) < 2 || !strings.Contains(f[0], "-") || strings.HasSuffix(f[0], ":") {
		return 0, 0, false
	}
	a, b, _ := strings.Cut(f[0], "-")
	x, err1 := strconv.ParseUint(a, 16, 64)
	y, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uintptr(x), uintptr(y), true
}
