package compare

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// FamilyChange is how one kernel family (the first element of the
// benchmark names: Sgemm, Conv2D, ...) moved between the baseline column
// and another column of a time table. One case's runs on a shared machine
// spread too widely to show a small change, but a change in the code moves
// every case of the family one way: the test is across the cases.
type FamilyChange struct {
	Unit   string
	Family string
	Col    string // the column's label
	Cases  int    // cases with both a baseline and this column
	// Ratio is the geometric mean over the cases of the ratio of their
	// centers (medians), this column to the baseline.
	Ratio float64
	// P is the Wilcoxon signed-rank test's two-sided p-value for the cases'
	// log ratios being centred on zero, adjusted across the families of the
	// column (Benjamini–Hochberg) unless the correction is none.
	P float64
}

// minFamilyCases is the fewest cases a family needs in the summary: below
// six the signed-rank test cannot reach p < 0.05 (its smallest two-sided p
// with five cases is 1/16).
const minFamilyCases = 6

// familyMinChange is the smallest family change the summary calls
// significant: the test across dozens of cases finds shifts far smaller
// than a run can be trusted to (a machine whose bandwidth drifts moves
// whole families by a few percent between runs of one build).
const familyMinChange = 0.03

// Significant reports whether the family moved: p below alpha and a
// change of at least familyMinChange either way.
func (f FamilyChange) Significant(alpha float64) bool {
	return f.P < alpha && math.Abs(math.Log(f.Ratio)) >= math.Log1p(familyMinChange)
}

// AllFamilies is the FamilyChange.Family of the line over every case.
const AllFamilies = "(all cases)"

// familyUnit is the unit whose tables get a family summary: time, the unit
// every case has (GFLOP/s and GB/s are the same change, inverted).
const familyUnit = "sec/op"

// families computes the family summary of every sec/op table whose rows
// are full benchmark names, for Tables.Families.
func (ts *Tables) families(alpha float64, correction string) {
	for _, t := range ts.Tables {
		if t.Unit != familyUnit || len(t.Cols) < 2 {
			continue
		}
		for _, col := range t.Cols[1:] {
			byFam := map[string][]float64{}
			var order []string
			for _, row := range t.Rows {
				c, ok := t.Cells[CellKey{row, col}]
				if !ok || c.Baseline == nil {
					continue
				}
				r := c.Summary.Center / c.Baseline.Summary.Center
				if !(r > 0) || math.IsInf(r, 0) {
					continue
				}
				fam, _, _ := strings.Cut(row.StringValues(), "/")
				if _, ok := byFam[fam]; !ok {
					order = append(order, fam)
				}
				byFam[fam] = append(byFam[fam], math.Log(r))
			}
			if len(order) > 1 {
				// Every case at once: whether the whole run moved (the
				// machine, or a change everywhere) against which a family's
				// own move reads.
				for _, fam := range order {
					byFam[AllFamilies] = append(byFam[AllFamilies], byFam[fam]...)
				}
				order = append([]string{AllFamilies}, order...)
			}
			var fcs []FamilyChange
			var ps []float64
			for _, fam := range order {
				ls := byFam[fam]
				if len(ls) < minFamilyCases {
					continue
				}
				var sum float64
				for _, l := range ls {
					sum += l
				}
				p := signedRankP(ls)
				fcs = append(fcs, FamilyChange{Unit: t.Unit, Family: fam, Col: col.StringValues(), Cases: len(ls),
					Ratio: math.Exp(sum / float64(len(ls))), P: p})
				ps = append(ps, p)
			}
			if correction == CorrectionFDR {
				for i, q := range benjaminiHochberg(ps) {
					fcs[i].P = q
				}
			}
			ts.Families = append(ts.Families, fcs...)
		}
	}
	ts.familyAlpha = alpha
}

// signedRankP returns the two-sided p-value of the Wilcoxon signed-rank
// test that the values are symmetric about zero: exact for up to 25
// non-zero values without ties, else the normal approximation with the tie
// correction and a continuity correction. Zeros are dropped; with no
// non-zero value the p-value is 1.
func signedRankP(xs []float64) float64 {
	var d []float64
	for _, x := range xs {
		if x != 0 {
			d = append(d, x)
		}
	}
	n := len(d)
	if n == 0 {
		return 1
	}
	sort.Slice(d, func(i, j int) bool { return math.Abs(d[i]) < math.Abs(d[j]) })
	ranks := make([]float64, n)
	ties := false
	var tieTerm float64
	for i := 0; i < n; {
		j := i
		for j+1 < n && math.Abs(d[j+1]) == math.Abs(d[i]) {
			j++
		}
		t := float64(j - i + 1)
		if t > 1 {
			ties = true
			tieTerm += t*t*t - t
		}
		for k := i; k <= j; k++ {
			ranks[k] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	var wPlus float64
	for i, x := range d {
		if x > 0 {
			wPlus += ranks[i]
		}
	}
	total := float64(n*(n+1)) / 2
	if n <= 25 && !ties {
		// counts[s] = number of subsets of {1..n} with rank sum s.
		counts := make([]float64, int(total)+1)
		counts[0] = 1
		for r := 1; r <= n; r++ {
			for s := int(total); s >= r; s-- {
				counts[s] += counts[s-r]
			}
		}
		all := math.Pow(2, float64(n))
		w := int(math.Round(wPlus))
		var lo, hi float64
		for s, c := range counts {
			if s <= w {
				lo += c
			}
			if s >= w {
				hi += c
			}
		}
		return math.Min(1, 2*math.Min(lo, hi)/all)
	}
	mean := total / 2
	variance := float64(n*(n+1)*(2*n+1))/24 - tieTerm/48
	if variance <= 0 {
		return 1
	}
	z := (math.Abs(wPlus-mean) - 0.5) / math.Sqrt(variance)
	if z < 0 {
		z = 0
	}
	return math.Min(1, math.Erfc(z/math.Sqrt2))
}

// writeFamilies writes the family summary as one line per family and
// column: the geomean change, "~" when it is not significant.
func (ts *Tables) writeFamilies(w io.Writer) error {
	if len(ts.Families) == 0 {
		return nil
	}
	fw, cw := len("family"), 0
	for _, f := range ts.Families {
		fw = max(fw, len(f.Family))
		cw = max(cw, len(f.Col))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "change by kernel family (%s: geomean over the cases of the change of their medians;\n", familyUnit)
	b.WriteString("Wilcoxon signed-rank test across the cases, p adjusted across families;\n")
	fmt.Fprintf(&b, "~ = not significant, or under %g%%):\n", familyMinChange*100)
	for _, f := range ts.Families {
		mark := fmt.Sprintf("%+.2f%%", (f.Ratio-1)*100)
		if !f.Significant(ts.familyAlpha) {
			mark = "~ " + mark
		}
		fmt.Fprintf(&b, "  %-*s  %-*s  %4d cases  %12s  (p=%.3f)\n", fw, f.Family, cw, f.Col, f.Cases, mark, f.P)
	}
	for _, f := range ts.Families {
		if f.Family == AllFamilies && f.Significant(ts.familyAlpha) {
			fmt.Fprintf(&b, "%s moved as a whole (%+.1f%%): separate runs of one build on a shared machine can differ so;\n", f.Col, (f.Ratio-1)*100)
			b.WriteString("to measure a change of the code, run both builds interleaved in one sitting (scripts/bench-ab.sh)\n")
			break
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// FamilyRegressions returns the families that got significantly slower
// (FamilyChange.Significant) by more than pct percent, as Regressions with
// the row "family NAME (N cases)".
func (ts *Tables) FamilyRegressions(pct float64) []Regression {
	var out []Regression
	for _, f := range ts.Families {
		change := (f.Ratio - 1) * 100
		if f.Significant(ts.familyAlpha) && change > pct {
			out = append(out, Regression{Unit: f.Unit, Row: fmt.Sprintf("family %s (%d cases)", f.Family, f.Cases), Col: f.Col, Change: change, P: f.P})
		}
	}
	return out
}
