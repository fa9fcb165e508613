package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// bf16Results writes seed-results.txt plus a prec=bf16 copy of each of its
// Conv2D and Sgemm lines, twice the GFLOP/s in half the time, and returns
// the file's path.
func bf16Results(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(seedResults)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	num := regexp.MustCompile(`\t ([0-9.]+) ns/op\t ([0-9.]+) GFLOP/s`)
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "BenchmarkConv2D/") && !strings.HasPrefix(line, "BenchmarkSgemm/") {
			continue
		}
		m := num.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("unexpected line %q", line)
		}
		ns, _ := strconv.ParseFloat(m[1], 64)
		g, _ := strconv.ParseFloat(m[2], 64)
		l := strings.Replace(line, "/isa=avx512/", "/isa=avx512/prec=bf16/", 1)
		l = strings.Replace(l, m[0], "\t "+strconv.FormatFloat(ns/2, 'g', -1, 64)+" ns/op\t "+strconv.FormatFloat(2*g, 'g', -1, 64)+" GFLOP/s", 1)
		out += l + "\n"
	}
	p := filepath.Join(t.TempDir(), "bf16-results.txt")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCostBF16Row: benchrun cost on results with bf16 cases shows the
// measured machine twice, measured-1t at f32 and measured-1t-bf16 at bf16
// with a shorter epoch, and says bf16 is compared with bf16; on results
// without them, one line says why there is no bf16 row.
func TestCostBF16Row(t *testing.T) {
	epoch := map[string]string{}
	var o, e bytes.Buffer
	if code := run([]string{"cost", "--format", "csv", bf16Results(t)}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	recs, err := csv.NewReader(strings.NewReader(o.String())).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("no csv (%v):\n%s", err, o.String())
	}
	head := recs[0]
	col := func(name string) int {
		for i, h := range head {
			if h == name {
				return i
			}
		}
		t.Fatalf("no %s column in %q", name, head)
		return -1
	}
	opt, prec, sec := col("option"), col("precision"), col("epoch_s")
	for _, f := range recs[1:] {
		if len(f) > sec && strings.HasPrefix(f[opt], "measured-") {
			epoch[f[opt]+" "+f[prec]] = f[sec]
		}
	}
	s32, err1 := strconv.ParseFloat(epoch["measured-1t f32"], 64)
	s16, err2 := strconv.ParseFloat(epoch["measured-1t-bf16 bf16"], 64)
	if err1 != nil || err2 != nil || !(s16 < s32) {
		t.Errorf("measured rows %v: want measured-1t at f32 and a faster measured-1t-bf16 at bf16", epoch)
	}
	o.Reset()
	if code := run([]string{"cost", bf16Results(t)}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if !strings.Contains(o.String(), "bf16 is compared with bf16") || strings.Contains(o.String(), "no bf16 row") {
		t.Errorf("table does not say bf16 is compared with bf16:\n%s", o.String())
	}
	o.Reset()
	if code := run([]string{"cost", seedResults}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	if n := strings.Count(o.String(), "no bf16 row"); n != 1 || strings.Contains(o.String(), "-bf16") {
		t.Errorf("f32-only results: %d lines saying no bf16 row, want 1 and no bf16 option:\n%s", n, o.String())
	}
}
