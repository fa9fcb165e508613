package costmodel

import (
	"math"

	"github.com/trainbench/trainbench/workload"
)

// Comparison is the model's whole answer for one workload: an estimate per
// option and, drawn from them, the answers a buyer asks next (how it scales
// out, when owning pays off, how prices fall with newer hardware). Which
// options those answers follow is the model's choice, so a report only
// draws them; none follows an option a step does not fit
// (EpochEstimate.DoesNotFit).
type Comparison struct {
	Workload workload.Network `json:"-"`
	// Estimates has one estimate per option, in the order given.
	Estimates []EpochEstimate `json:"estimates"`
	// ScaleOut follows the measured option with the fastest epoch and the
	// cheapest and the fastest catalogued options that can be rented on
	// demand, each once, on ScaleOutMachines machines.
	ScaleOut []ScaleCurve `json:"scale_out,omitempty"`
	// BuyVsRent follows the option cheapest to own among those with a
	// break-even against renting; nil when no option has one.
	BuyVsRent *BuyVsRent `json:"buy_vs_rent,omitempty"`
	// Trend is the headline price per epoch (PriceHeadline) of every
	// estimated option with a release year against that year; nil when they
	// span fewer than two years.
	Trend *Trend `json:"trend,omitempty"`
}

// ScaleCurve is one option's epoch on 1, 2, 4... machines.
type ScaleCurve struct {
	Option string       `json:"option"` // option id
	Name   string       `json:"name"`
	Points []ScalePoint `json:"points"`
}

// BuyVsRent is the cumulative cost of owning one option against renting it,
// month by month over a horizon long enough to show the break-even.
type BuyVsRent struct {
	Option string `json:"option"` // option id
	Name   string `json:"name"`
	// HoursPerMonth is the use a month at the assumed utilisation.
	HoursPerMonth float64     `json:"hours_per_month"`
	Points        []CostPoint `json:"points"`
}

// ScaleOutMachines are the machine counts of Comparison.ScaleOut.
var ScaleOutMachines = []int{1, 2, 4, 8, 16, 32, 64}

// buyVsRentPoints is the number of months BuyVsRent samples, from 0 to
// the horizon.
const buyVsRentPoints = 25

// Compare estimates one epoch of w on every option (Estimate) and draws the
// scale-out curves on interconnect ic, the cumulative cost of buying against
// renting and the price trend from the estimates. The horizon of BuyVsRent
// is twice the break-even, at least a year and at most ten, in whole months,
// so the crossing sits inside the plot. Errors are Estimate's.
func Compare(w workload.Network, opts []Option, a Assumptions, ic Interconnect) (Comparison, error) {
	ests, err := Estimate(w, opts, a)
	if err != nil {
		return Comparison{}, err
	}
	c := Comparison{Workload: w, Estimates: ests}
	var ok []int // indices of the estimated options that can run a step
	for i, e := range ests {
		if e.Unavailable == "" && e.DoesNotFit == "" {
			ok = append(ok, i)
		}
	}
	for _, i := range scaleOutPicks(ests, ok) {
		pts, err := ScaleOut(ests[i], ScaleOutMachines, ic)
		if err != nil {
			return Comparison{}, err
		}
		c.ScaleOut = append(c.ScaleOut, ScaleCurve{Option: ests[i].Option, Name: ests[i].Name, Points: pts})
	}
	if i := cheapestToOwn(ests, ok); i >= 0 {
		horizon := math.Ceil(min(max(2*ests[i].BreakEvenMonths.Mid, 12), 120))
		months := make([]float64, buyVsRentPoints)
		for k := range months {
			months[k] = horizon * float64(k) / float64(len(months)-1)
		}
		pts, err := CumulativeCost(opts[i], a, months)
		if err != nil {
			return Comparison{}, err
		}
		c.BuyVsRent = &BuyVsRent{Option: ests[i].Option, Name: ests[i].Name,
			HoursPerMonth: a.Utilization * hoursPerYear / 12, Points: pts}
	}
	var priced []EpochEstimate
	for _, i := range ok {
		priced = append(priced, ests[i])
	}
	if t, err := PriceTrend(priced, PriceHeadline); err == nil {
		c.Trend = &t
	}
	return c, nil
}

// scaleOutPicks returns the indices (among ok) of the measured option with
// the fastest epoch, then the cheapest and the fastest catalogued options
// with an on-demand price, each once.
func scaleOutPicks(ests []EpochEstimate, ok []int) []int {
	var picks []int
	pick := func(better func(a, b EpochEstimate) bool, keep func(EpochEstimate) bool) {
		best := -1
		for _, i := range ok {
			if keep(ests[i]) && (best < 0 || better(ests[i], ests[best])) {
				best = i
			}
		}
		for _, p := range picks {
			if best >= 0 && ests[p].Option == ests[best].Option {
				return
			}
		}
		if best >= 0 {
			picks = append(picks, best)
		}
	}
	measured := func(e EpochEstimate) bool { return e.Basis == BasisMeasured }
	rentable := func(e EpochEstimate) bool { return !measured(e) && e.OnDemand != nil }
	faster := func(a, b EpochEstimate) bool { return a.EpochSeconds.Mid < b.EpochSeconds.Mid }
	cheaper := func(a, b EpochEstimate) bool { return a.OnDemand.USD.Mid < b.OnDemand.USD.Mid }
	pick(faster, measured)
	pick(cheaper, rentable)
	pick(faster, rentable)
	return picks
}

// cheapestToOwn returns the index (among ok) of the option cheapest to own
// among those priced as a whole machine with a break-even against renting,
// or -1.
func cheapestToOwn(ests []EpochEstimate, ok []int) int {
	best := -1
	for _, i := range ok {
		e := ests[i]
		system := e.OwnSystem || e.Basis == BasisMeasured // a chip without its host is not a machine to buy
		if e.Own != nil && system && e.BreakEvenMonths != nil && (best < 0 || e.Own.USD.Mid < ests[best].Own.USD.Mid) {
			best = i
		}
	}
	return best
}
