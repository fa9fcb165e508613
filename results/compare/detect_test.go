package compare

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// synthetic writes a results file of runs interleaved runs of a few kernel
// families, each run's time the case's base time times (1 + noise), noise
// normal with a standard deviation of 1-3% by case; the cases of family slow
// take factor times as long.
func synthetic(t *testing.T, path string, seed uint64, runs int, slow string, factor float64) {
	t.Helper()
	syntheticShapes(t, path, seed, runs, slow, factor, 1)
}

// syntheticShapes is synthetic with shapes cases (shape=s0, s1, ...) for
// each family, ISA level and thread count instead of one (shape=s).
func syntheticShapes(t *testing.T, path string, seed uint64, runs int, slow string, factor float64, shapes int) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\ncpu: AMD EPYC 9R45 96-Core Processor\ncores: 2\nmachine: zen5-2c\n\n")
	type kase struct {
		name   string
		ns     float64
		spread float64
		flops  float64
	}
	var cases []kase
	for i, fam := range []string{"Sgemm", "Conv2D", "ReLU", "Adam"} {
		for j, isa := range []string{"avx2", "avx512"} {
			for k, threads := range []int{1, 2} {
				for s := range shapes {
					shape := "s"
					if shapes > 1 {
						shape = fmt.Sprintf("s%d", s)
					}
					cases = append(cases, kase{
						name:   fmt.Sprintf("%s/impl=x/isa=%s/threads=%d/shape=%s", fam, isa, threads, shape),
						ns:     1e5 * float64(1+i+s) / float64(1+j) / float64(threads),
						spread: []float64{0.01, 0.02, 0.03}[(i+j+k)%3],
						flops:  1e6 * float64(1+i),
					})
				}
			}
		}
	}
	for range runs {
		for _, c := range cases {
			ns := c.ns * (1 + c.spread*r.NormFloat64())
			if strings.HasPrefix(c.name, slow+"/") {
				ns *= factor
			}
			fmt.Fprintf(&b, "Benchmark%s-2 100 %.1f ns/op %.4g GFLOP/s %.4g %%peak 2 FLOP/byte\n", c.name, ns, c.flops/ns, 100*c.flops/ns/300)
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDetectsAChangedFamily: six runs a side of synthetic results with 1-3%
// noise. A build 10% slower on one family shows exactly that family's cases
// as significant regressions, in time and GFLOP/s; two files drawn from the
// same distribution show none beyond 5%.
func TestDetectsAChangedFamily(t *testing.T) {
	dir := t.TempDir()
	old, same, slower := filepath.Join(dir, "old.txt"), filepath.Join(dir, "same.txt"), filepath.Join(dir, "slower.txt")
	synthetic(t, old, 1, 6, "", 1)
	synthetic(t, same, 2, 6, "", 1)
	synthetic(t, slower, 3, 6, "Conv2D", 1.10)
	build := func(a, b string) *Tables {
		ins, err := ReadInputs([]string{a, b})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := Build(ins, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if len(ts.Notes) != 0 {
			t.Errorf("notes %q on six runs a side", ts.Notes)
		}
		return ts
	}
	regs := build(old, slower).Regressions(5, 0.05)
	if len(regs) != 2*4 { // 4 Conv2D cases, sec/op and GFLOP/s
		t.Errorf("%d regressions, want the 4 Conv2D cases in 2 units: %v", len(regs), regs)
	}
	for _, r := range regs {
		if !strings.HasPrefix(r.Row, "Conv2D/") || math.Abs(r.Change) < 5 {
			t.Errorf("regression %v: not a Conv2D case 10%% slower", r)
		}
	}
	if regs := build(old, same).Regressions(5, 0.05); len(regs) != 0 {
		t.Errorf("the same distribution shows regressions: %v", regs)
	}
}

// TestTooFewRuns: with three runs a side the note says no change can be
// significant, and even a 20% change is no regression.
func TestTooFewRuns(t *testing.T) {
	dir := t.TempDir()
	old, slower := filepath.Join(dir, "old.txt"), filepath.Join(dir, "slower.txt")
	synthetic(t, old, 1, 3, "", 1)
	synthetic(t, slower, 3, 3, "Sgemm", 1.2)
	ins, err := ReadInputs([]string{old, slower})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Build(ins, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(ts.Notes) != 1 || !strings.Contains(ts.Notes[0], "every comparison has too few runs") || !strings.Contains(ts.Notes[0], "0.100") {
		t.Errorf("notes %q, want one saying no change can be significant at n=3", ts.Notes)
	}
	if regs := ts.Regressions(5, 0.05); len(regs) != 0 {
		t.Errorf("regressions at n=3: %v", regs)
	}
}

func TestMinPValue(t *testing.T) {
	for _, tc := range []struct {
		n, m int
		want float64
	}{{3, 3, 0.1}, {4, 4, 2.0 / 70}, {6, 6, 2.0 / 924}, {1, 1, 1}, {0, 5, 1}} {
		if got := MinPValue(tc.n, tc.m); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("MinPValue(%d, %d) = %v, want %v", tc.n, tc.m, got, tc.want)
		}
	}
	if got := MinRuns(0.05); got != 4 {
		t.Errorf("MinRuns(0.05) = %d, want 4", got)
	}
	if got := MinRuns(0.01); got != 5 {
		t.Errorf("MinRuns(0.01) = %d, want 5", got)
	}
}

// TestMetrics: the derived units only on request, by --metrics or a filter
// on .unit.
func TestMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.txt")
	synthetic(t, path, 1, 2, "", 1)
	ins, err := ReadInputs([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	units := func(f func(*Options)) string {
		opt := DefaultOptions()
		f(&opt)
		ts, err := Build(ins, opt)
		if err != nil {
			t.Fatal(err)
		}
		var us []string
		for _, tb := range ts.Tables {
			us = append(us, tb.Unit)
		}
		return strings.Join(us, " ")
	}
	for _, tc := range []struct {
		opt  func(*Options)
		want string
	}{
		{func(*Options) {}, "sec/op GFLOP/s"},
		{func(o *Options) { o.Metrics = AllMetrics }, "sec/op GFLOP/s %peak FLOP/byte"},
		{func(o *Options) { o.Metrics = []string{"%peak", "ns/op"} }, "sec/op %peak"},
		{func(o *Options) { o.Filter = ".unit:%peak" }, "%peak"},
	} {
		if got := units(tc.opt); got != tc.want {
			t.Errorf("units %q, want %q", got, tc.want)
		}
	}
}

// TestStdinAndCSV: "-" reads standard input, labelled as benchstat labels
// it, and the CSV has benchstat's header.
func TestStdinAndCSV(t *testing.T) {
	dir := t.TempDir()
	old, slower := filepath.Join(dir, "old.txt"), filepath.Join(dir, "slower.txt")
	synthetic(t, old, 1, 6, "", 1)
	synthetic(t, slower, 3, 6, "ReLU", 1.1)
	f, err := os.Open(slower)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = stdin }()
	ins, err := ReadInputs([]string{"base=" + old, "new=-"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 2 || ins[1].Label != "new" || len(ins[1].Results) != len(ins[0].Results) {
		t.Fatalf("inputs %d, second %q with %d results", len(ins), ins[1].Label, len(ins[1].Results))
	}
	ts, err := Build(ins, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var out, warn bytes.Buffer
	if err := ts.WriteCSV(&out, &warn); err != nil {
		t.Fatal(err)
	}
	csv := out.String()
	for _, want := range []string{",base,,new,", ",sec/op,CI,sec/op,CI,vs base,P\n", "ReLU/impl=x/isa=avx2/threads=1/shape=s,", "geomean,"} {
		if !strings.Contains(csv, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csv)
		}
	}
	if !strings.Contains(csv, "+10.") && !strings.Contains(csv, "+9.") && !strings.Contains(csv, "+11.") {
		t.Errorf("CSV shows no ReLU change near +10%%:\n%s", csv)
	}
}
