package compare

import (
	"fmt"
	"math"
	"sort"
)

// The corrections for testing many cases at once (Options.Correction). A
// default run compares hundreds of cases: at alpha 0.05 a per-row test
// flags about one in twenty by chance alone, so by default the p-values of
// each table column are adjusted to control the false discovery rate.
const (
	// CorrectionFDR adjusts the p-values of each column of a table by
	// Benjamini and Hochberg's step-up rule: among the changes called
	// significant at alpha, the expected share of false ones is at most
	// alpha.
	CorrectionFDR = "fdr"
	// CorrectionNone keeps benchstat's per-row p-values.
	CorrectionNone = "none"
)

// Corrections lists the values Options.Correction takes.
var Corrections = []string{CorrectionFDR, CorrectionNone}

// checkCorrection returns an error unless c is one of Corrections.
func checkCorrection(c string) error {
	for _, k := range Corrections {
		if c == k {
			return nil
		}
	}
	return fmt.Errorf("correction %q: want %s or %s", c, CorrectionFDR, CorrectionNone)
}

// adjust applies the correction to every comparison of t, column by column:
// each cell's Comparison.P becomes its adjusted p-value (RawP keeps the
// test's own), so that "~", --fail-on-regression and the printed p all use
// it. It returns how many comparisons the largest column held.
func (t *Table) adjust(correction string) (m int) {
	for _, col := range t.Cols[1:] {
		var cs []*Cell
		for _, row := range t.Rows {
			if c, ok := t.Cells[CellKey{row, col}]; ok && c.Baseline != nil {
				c.RawP = c.Comparison.P
				cs = append(cs, c)
			}
		}
		m = max(m, len(cs))
		if correction != CorrectionFDR {
			continue
		}
		ps := make([]float64, len(cs))
		for i, c := range cs {
			ps[i] = c.RawP
		}
		for i, q := range benjaminiHochberg(ps) {
			cs[i].Comparison.P = q
		}
	}
	return m
}

// benjaminiHochberg returns the Benjamini–Hochberg adjusted p-values of ps
// (in the same order): q_(i) = min over j ≥ i of m·p_(j)/j for the p-values
// sorted ascending, at most 1. A NaN p-value stays NaN and does not count.
func benjaminiHochberg(ps []float64) []float64 {
	q := make([]float64, len(ps))
	var idx []int
	for i, p := range ps {
		if math.IsNaN(p) {
			q[i] = p
			continue
		}
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	m := float64(len(idx))
	run := 1.0
	for j := len(idx) - 1; j >= 0; j-- {
		v := ps[idx[j]] * m / float64(j+1)
		run = math.Min(run, v)
		q[idx[j]] = run
	}
	return q
}

// correctionNote says how the p-values were adjusted, for Tables.Method.
func correctionNote(correction string, m int) string {
	if correction != CorrectionFDR || m < 2 {
		return ""
	}
	return fmt.Sprintf("p-values: adjusted for the %d cases compared in each column (Benjamini–Hochberg: of the changes marked significant, at most alpha are expected to be chance); --correction none gives benchstat's per-case p", m)
}
