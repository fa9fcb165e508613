package compare

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBenjaminiHochberg(t *testing.T) {
	// Sorted: 0.005 (1), 0.01 (2), 0.03 (3), 0.04 (4); m·p/rank = 0.02,
	// 0.02, 0.04, 0.04; then the running minimum from the top.
	got := benjaminiHochberg([]float64{0.01, 0.04, 0.03, 0.005, math.NaN()})
	want := []float64{0.02, 0.04, 0.04, 0.02}
	for i, w := range want {
		if math.Abs(got[i]-w) > 1e-12 {
			t.Errorf("q[%d] = %v, want %v (all %v)", i, got[i], w, got)
		}
	}
	if !math.IsNaN(got[4]) {
		t.Errorf("NaN p adjusted to %v", got[4])
	}
	if q := benjaminiHochberg([]float64{0.9, 0.8}); q[0] != 0.9 || q[1] != 0.9 {
		t.Errorf("q = %v, want [0.9 0.9] (monotone, at most 1)", q)
	}
}

func TestSignedRankP(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4, 5, 6}, 2.0 / 64},       // all positive: exact 2·(1/2⁶)
		{[]float64{1, 2, 3, -4, 5, 6}, 14.0 / 64},     // W− = 4: 7 subsets of 1..6 sum ≤ 4
		{[]float64{0.1, -0.2, 0.3, -0.4}, 14.0 / 16},  // W+ = 4: P(W ≤ 4) = 7/16, doubled
		{[]float64{0, 0, 0}, 1},                       // no non-zero value
		{[]float64{-1, -2, -3, -4, -5, -6}, 2.0 / 64}, // symmetric in sign
	} {
		if got := signedRankP(tc.xs); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("signedRankP(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
	// Large samples: the normal approximation. Thirty values all above zero
	// give a tiny p; alternating signs of equal size, p near 1.
	var up, alt []float64
	for i := range 30 {
		up = append(up, float64(i+1))
		alt = append(alt, float64(i/2+1)*float64(1-2*(i%2)))
	}
	if p := signedRankP(up); p > 1e-5 {
		t.Errorf("30 positive values: p = %v, want < 1e-5", p)
	}
	if p := signedRankP(alt); p < 0.8 {
		t.Errorf("symmetric values with ties: p = %v, want near 1", p)
	}
}

// TestFamilySummary: one family 10% slower is found by the family summary,
// the others are not; with the same distribution on both sides no family
// is.
func TestFamilySummary(t *testing.T) {
	dir := t.TempDir()
	old, same, slower := filepath.Join(dir, "old.txt"), filepath.Join(dir, "same.txt"), filepath.Join(dir, "slower.txt")
	few := filepath.Join(dir, "few.txt")
	syntheticShapes(t, old, 1, 6, "", 1, 3)
	syntheticShapes(t, same, 2, 6, "", 1, 3)
	syntheticShapes(t, slower, 3, 6, "ReLU", 1.10, 3)
	synthetic(t, few, 3, 6, "ReLU", 1.10)
	fams := func(b string) map[string]FamilyChange {
		ins, err := ReadInputs([]string{old, b})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := Build(ins, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]FamilyChange{}
		for _, f := range ts.Families {
			m[f.Family] = f
		}
		return m
	}
	// synthetic has 4 cases a family (12 with three shapes): below
	// minFamilyCases, no summary.
	if f := fams(few); len(f) != 0 {
		t.Errorf("families %v from 4 cases each, want none", f)
	}
	f := fams(slower)
	if r := f["ReLU"]; !r.Significant(0.05) || math.Abs(r.Ratio-1.10) > 0.03 || r.Cases != 12 {
		t.Errorf("ReLU 10%% slower: %+v, want significant, ratio near 1.10, 12 cases", r)
	}
	for _, fam := range []string{"Sgemm", "Conv2D", "Adam"} {
		if r := f[fam]; r.Significant(0.05) {
			t.Errorf("%s unchanged but significant: %+v", fam, r)
		}
	}
	for fam, r := range fams(same) {
		if r.Significant(0.05) {
			t.Errorf("same distribution: %s significant: %+v", fam, r)
		}
	}
}

// TestCeilingShiftNote: a DRAM bandwidth 20% lower in the second input is
// named; the same ceilings give no note.
func TestCeilingShiftNote(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, copyGBs float64) string {
		p := filepath.Join(dir, name)
		s := fmt.Sprintf("cpu: X\nisa-max: avx512\npeak-gflops-avx512-f32-t1: 230\nstream-copy-gbs-t1: %g\n\n", copyGBs) +
			"BenchmarkReLU/impl=x/isa=avx512/threads=1/shape=s 100 10 ns/op\n"
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := write("a.txt", 40), write("b.txt", 32), write("c.txt", 41)
	ins, err := ReadInputs([]string{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	notes := ceilingShifts(ins)
	if len(notes) != 1 || !strings.Contains(notes[0], "DRAM copy bandwidth -20%") || !strings.HasPrefix(notes[0], b) {
		t.Errorf("notes %q, want one naming %s's DRAM copy bandwidth -20%%", notes, b)
	}
}

// TestWholeRunMoved: every case 10% slower (a slower machine) shows on the
// all-cases line, with the hint to interleave; one family 10% slower does
// not move the whole run by 3%.
func TestWholeRunMoved(t *testing.T) {
	dir := t.TempDir()
	old, all, one := filepath.Join(dir, "old.txt"), filepath.Join(dir, "all.txt"), filepath.Join(dir, "one.txt")
	syntheticShapes(t, old, 1, 6, "", 1, 3)
	syntheticShapes(t, one, 3, 6, "ReLU", 1.10, 3)
	syntheticShapes(t, all, 4, 6, "", 1, 3)
	b, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	// Scale every time by 1.10 in place: the same cases on a slower machine.
	var out strings.Builder
	for _, line := range strings.SplitAfter(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasPrefix(f[0], "Benchmark") {
			var ns float64
			fmt.Sscan(f[2], &ns)
			f[2] = fmt.Sprintf("%.1f", ns*1.10)
			line = strings.Join(f, " ") + "\n"
		}
		out.WriteString(line)
	}
	if err := os.WriteFile(all, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file  string
		moved bool
	}{{all, true}, {one, false}} {
		ins, err := ReadInputs([]string{old, tc.file})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := Build(ins, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		var w strings.Builder
		if err := ts.WriteText(&w); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(w.String(), "moved as a whole"); got != tc.moved {
			t.Errorf("%s: 'moved as a whole' shown %v, want %v:\n%s", filepath.Base(tc.file), got, tc.moved, w.String()[:min(len(w.String()), 1200)])
		}
		if ts.Families[0].Family != AllFamilies || ts.Families[0].Cases != 48 {
			t.Errorf("first family line %+v, want %s over 48 cases", ts.Families[0], AllFamilies)
		}
	}
}
