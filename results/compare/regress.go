package compare

import (
	"fmt"
	"strings"
)

// Regression is a cell significantly worse than its baseline by more than
// the threshold given to Regressions.
type Regression struct {
	Unit     string
	Row, Col string  // the cell's row and column labels
	Change   float64 // the change of the median, percent, signed as printed
	P        float64
}

func (r Regression) String() string {
	return fmt.Sprintf("%s: %s: %s %+.2f%% (p=%.3f)", r.Col, r.Row, r.Unit, r.Change, r.P)
}

// lowerIsBetter reports the direction of a unit: times per op (sec/op, and
// B/op, allocs/op) are better lower; rates (GFLOP/s, GB/s) higher. ok is
// false for the units that have no direction (shares, constants).
func lowerIsBetter(unit string) (lower, ok bool) {
	switch {
	case strings.HasSuffix(unit, "/op"):
		return true, true
	case strings.HasSuffix(unit, "/s"):
		return false, true
	}
	return false, false
}

// Regressions returns every cell that got significantly worse than its
// baseline (p < alpha) by more than pct percent: slower in time per op, or
// lower in a rate. Units without a direction (%peak, FLOP/byte) are left
// out, and so is a change the test cannot call significant.
func (ts *Tables) Regressions(pct, alpha float64) []Regression {
	var out []Regression
	for _, t := range ts.Tables {
		lower, ok := lowerIsBetter(t.Unit)
		if !ok {
			continue
		}
		for _, row := range t.Rows {
			for _, col := range t.Cols[1:] {
				c, ok := t.Cells[CellKey{row, col}]
				if !ok || c.Baseline == nil || !(c.Comparison.P < alpha) {
					continue
				}
				old, now := c.Baseline.Summary.Center, c.Summary.Center
				if old == 0 {
					continue
				}
				change := (now/old - 1) * 100
				worse := change
				if !lower {
					worse = -change
				}
				if worse > pct {
					out = append(out, Regression{Unit: t.Unit, Row: row.StringValues(), Col: col.StringValues(), Change: change, P: c.Comparison.P})
				}
			}
		}
	}
	return out
}
