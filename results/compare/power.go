package compare

import (
	"fmt"
	"math"
	"strings"
)

// MinPValue is the smallest p-value the two-sided Mann-Whitney U test that
// compares cells (benchmath.AssumeNothing) can give for samples of n and m
// values: every value of one sample beyond every value of the other, one of
// C(n+m, n) orderings, on either side. No change between samples that small
// can be significant at an alpha at or below it.
func MinPValue(n, m int) float64 {
	if n < 1 || m < 1 {
		return 1
	}
	// log C(n+m, n) by lgamma: exact enough far beyond any sample size.
	lc := lgamma(n+m+1) - lgamma(n+1) - lgamma(m+1)
	return math.Min(1, 2*math.Exp(-lc))
}

func lgamma(x int) float64 {
	v, _ := math.Lgamma(float64(x))
	return v
}

// MinRuns is the fewest values a side at which MinPValue falls below alpha:
// the runs of each case a comparison needs to be able to find anything (4 at
// alpha 0.05).
func MinRuns(alpha float64) int {
	n := 1
	for MinPValue(n, n) >= alpha && n < 1000 {
		n++
	}
	return n
}

// tooFew returns a note when some comparisons have too few values for any
// change to be significant at alpha, naming the smallest samples; "" when
// every comparison could find a change.
func (ts *Tables) tooFew(alpha float64) string {
	total, few := 0, 0
	var worst [2]int
	for _, t := range ts.Tables {
		for _, c := range t.Cells {
			if c.Baseline == nil {
				continue
			}
			total++
			n, m := len(c.Baseline.Sample.Values), len(c.Sample.Values)
			if MinPValue(n, m) < alpha {
				continue
			}
			few++
			if few == 1 || n+m < worst[0]+worst[1] {
				worst = [2]int{n, m}
			}
		}
	}
	if few == 0 {
		return ""
	}
	what := "every comparison has"
	if few < total {
		what = fmt.Sprintf("%d of %d comparisons have", few, total)
	}
	return strings.Join([]string{
		fmt.Sprintf("%s too few runs for any change to be significant at alpha %g", what, alpha),
		fmt.Sprintf("(n=%d against %d: p cannot go below %.3f); record at least %d runs of each case (benchrun run --count 6)",
			worst[0], worst[1], MinPValue(worst[0], worst[1]), MinRuns(alpha)),
	}, " ")
}
