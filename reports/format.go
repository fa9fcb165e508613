package reports

import (
	"math"
	"strconv"
	"strings"
)

// sig formats v with three significant digits in plain notation, with
// thousands separators ("0.0123", "4.56", "789", "12,300"). It rounds first
// and counts the digits of the rounded value, so 9.99996e-6 prints as
// "0.0000100", not with a fourth digit.
func sig(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	e := strconv.FormatFloat(v, 'e', 2, 64) // "-1.00e-05": rounded to three digits
	exp, err := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if err != nil {
		return e
	}
	r, _ := strconv.ParseFloat(e, 64)
	return group(strconv.FormatFloat(r, 'f', max(2-exp, 0), 64))
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
// them, in the unit that keeps the leading zeros away: whole dollars from
// $100, cents of a dollar from $1, three significant digits from $0.10
// ("$0.456"), cents below ("4.56¢", "0.123¢") and millionths of a dollar
// below a tenth of a cent ("15.8 µ$").
func FormatUSD(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return "$" + group(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case a >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.1 || v == 0:
		return "$" + sig(v)
	case a >= 0.001:
		return sig(100*v) + "¢"
	default:
		return sig(1e6*v) + " µ$"
	}
}

// FormatEnergy formats an energy given in kilowatt-hours in the unit that
// suits it ("1.23 kWh", "40.3 Wh", "512 mWh", "1.50 MWh").
func FormatEnergy(kwh float64) string {
	a := math.Abs(kwh)
	switch {
	case a >= 1000:
		return sig(kwh/1000) + " MWh"
	case a >= 1 || kwh == 0:
		return sig(kwh) + " kWh"
	case a >= 0.001:
		return sig(1000*kwh) + " Wh"
	default:
		return sig(1e6*kwh) + " mWh"
	}
}

// perEpochs is how many epochs a workload's prices and energies are quoted
// for: one, or a thousand or a million when one epoch costs under a cent,
// so that the figures a buyer compares read as cents and dollars rather
// than strings of zeros.
type perEpochs float64

// quoteFor picks the quote of a workload: the fewest epochs (1, 1,000 or
// 1,000,000) for which its cheapest priced option costs at least a cent.
func quoteFor(w *Workload) perEpochs {
	cheapest := math.Inf(1)
	for _, o := range w.Options {
		for _, k := range priceKinds {
			if r := o.price(k); r.OK() {
				cheapest = min(cheapest, r.Mid)
			}
		}
	}
	for _, s := range []perEpochs{1, 1e3} {
		if math.IsInf(cheapest, 1) || cheapest*float64(s) >= 0.01 {
			return s
		}
	}
	return 1e6
}

// String is the quote's unit: "per epoch", "per 1,000 epochs".
func (q perEpochs) String() string {
	switch q {
	case 1:
		return "per epoch"
	case 1e6:
		return "per million epochs"
	}
	return "per " + group(strconv.FormatFloat(float64(q), 'f', 0, 64)) + " epochs"
}

// usd formats a price per epoch for the quote's number of epochs.
func (q perEpochs) usd(v float64) string { return FormatUSD(v * float64(q)) }

// energy formats an energy per epoch (kWh) for the quote's number of epochs.
func (q perEpochs) energy(v float64) string { return FormatEnergy(v * float64(q)) }

// fmtMoneyRange formats the low-high span of a price.
func fmtMoneyRange(r Range, q perEpochs) string {
	return q.usd(r.Low) + "–" + q.usd(r.High)
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
// ("42 s", "3.5 min", "1.25 h").
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
