package reports

import (
	"math"
	"strconv"
	"strings"
)

// sig formats v with three significant digits in plain notation, with
// thousands separators ("0.0123", "4.56", "789", "12,300").
func sig(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	a := math.Abs(v)
	digits := 2 - int(math.Floor(math.Log10(a)))
	if digits < 0 {
		p := math.Pow(10, float64(-digits))
		v = math.Round(v/p) * p
		digits = 0
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	return group(s)
}

// group puts commas between thousands in the integer part of s.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if len(intPart) > 3 {
		var b strings.Builder
		for i, r := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(r)
		}
		intPart = b.String()
	}
	if hasFrac {
		intPart += "." + frac
	}
	if neg {
		return "-" + intPart
	}
	return intPart
}

// FormatUSD formats US dollars as the report (and benchrun cost) prints
// them: cents below $100, whole dollars above, three significant digits below
// a dollar.
func FormatUSD(v float64) string {
	switch {
	case v >= 100:
		return "$" + group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case v >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return "$" + sig(v)
	}
}

// fmtMoneyRange formats the low-high span of a price.
func fmtMoneyRange(r Range) string {
	return FormatUSD(r.Low) + "–" + FormatUSD(r.High)
}

// timeUnit is a unit for durations.
type timeUnit struct {
	name    string
	seconds float64
}

var timeUnits = []timeUnit{{"s", 1}, {"min", 60}, {"h", 3600}, {"days", 86400}}

// unitFor picks the largest unit in which v is at least 1.
func unitFor(v float64) timeUnit {
	u := timeUnits[0]
	for _, t := range timeUnits {
		if v >= t.seconds {
			u = t
		}
	}
	return u
}

// FormatSeconds formats a duration given in seconds in the unit that suits it
// ("42.0 s", "3.50 min", "1.25 h").
func FormatSeconds(v float64) string {
	u := unitFor(v)
	return trimZeros(sig(v/u.seconds)) + " " + u.name
}

// FormatSecondsRange formats the low-high span of a duration, in the unit of its
// high end.
func FormatSecondsRange(r Range) string {
	u := unitFor(r.High)
	return trimZeros(sig(r.Low/u.seconds)) + "–" + trimZeros(sig(r.High/u.seconds)) + " " + u.name
}
