package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEVEXAgainstGNUAs assembles every register combination class of the
// hand-encoded instructions with GNU as (when installed) and compares the
// bytes with evex512's.
func TestEVEXAgainstGNUAs(t *testing.T) {
	if _, err := exec.LookPath("as"); err != nil {
		t.Skip("GNU as not installed")
	}
	regs := [][3]int{{0, 1, 2}, {31, 30, 29}, {8, 16, 24}, {24, 8, 16}, {15, 7, 23}, {7, 23, 15}, {17, 0, 9}}
	type inst struct {
		att  string
		want []byte
	}
	var list []inst
	for _, r := range regs {
		d, s1, s2 := r[0], r[1], r[2]
		list = append(list,
			inst{fmt.Sprintf("vdpbf16ps %%zmm%d, %%zmm%d, %%zmm%d", s2, s1, d), evex512(opVDPBF16PS, d, s1, s2)},
			inst{fmt.Sprintf("vcvtne2ps2bf16 %%zmm%d, %%zmm%d, %%zmm%d", s2, s1, d), evex512(opVCVTNE2PS2BF16, d, s1, s2)},
			inst{fmt.Sprintf("vcvtneps2bf16 %%zmm%d, %%ymm%d", s2, d), evex512(opVCVTNEPS2BF16, d, 0, s2)})
	}
	dir := t.TempDir()
	var src strings.Builder
	for _, in := range list {
		src.WriteString(in.att + "\n")
	}
	s, o := filepath.Join(dir, "x.s"), filepath.Join(dir, "x.o")
	if err := os.WriteFile(s, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("as", "--64", "-o", o, s).CombinedOutput(); err != nil {
		t.Skipf("as cannot assemble AVX512_BF16 here: %v\n%s", err, out)
	}
	out, err := exec.Command("objdump", "-d", o).Output()
	if err != nil {
		t.Skipf("objdump: %v", err)
	}
	line := regexp.MustCompile(`^\s*[0-9a-f]+:\s+((?:[0-9a-f]{2} )+)`)
	var got [][]byte
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		var b []byte
		for _, h := range strings.Fields(m[1]) {
			var v byte
			fmt.Sscanf(h, "%02x", &v)
			b = append(b, v)
		}
		got = append(got, b)
	}
	if len(got) != len(list) {
		t.Fatalf("objdump shows %d instructions, want %d:\n%s", len(got), len(list), out)
	}
	for i, in := range list {
		if !bytes.Equal(got[i], in.want) {
			t.Errorf("%s: as gives % x, evex512 % x", in.att, got[i], in.want)
		}
	}
}
