package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
)

// TestTrainPrecision: --precision takes f32 or bf16; bf16 is refused with
// one line naming why (the CPU lacks AVX512_BF16, or --isa is below
// avx512) and exit 2, writing nothing; where the CPU has it, a few bf16
// steps run and the results name carries prec=bf16.
func TestTrainPrecision(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "t.txt")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--precision", "fp8"}, "--precision fp8: want f32 or bf16"},
		{[]string{"--precision", "bf16", "--isa", "generic"}, "--precision bf16: "},
	}
	noBF16 := info.CheckBF16()
	if noBF16 != nil {
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"--precision", "bf16"}, "--precision bf16: " + noBF16.Error()})
	}
	for _, c := range cases {
		var o, e bytes.Buffer
		code := run(append(append([]string{"train"}, c.args...), "--ceilings", "off", "-o", out), &o, &e)
		if msg := e.String(); code != exitUsage || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", c.args, code, msg, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a refused run wrote a results file")
	}
	if noBF16 != nil {
		t.Skipf("the bf16 run: %v", noBF16)
	}
	var o, e bytes.Buffer
	if code := run([]string{"train", "--precision", "bf16", "--max-steps", "3", "--skip-test", "--threads", "1", "--ceilings", "off", "-o", out}, &o, &e); code != 0 {
		t.Fatalf("bf16 run: exit %d, stderr %s", code, e.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "BenchmarkTrain/net=seed-cnn/isa=avx512/prec=bf16/threads=1/batch=32") {
		t.Errorf("results lack the bf16 Train line:\n%s", b)
	}
}
