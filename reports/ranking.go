package reports

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// This file ranks and selects what Input gives: sorting, the Pareto
// frontier, break-even crossings on the given cumulative series and the
// recommendations. Nothing here models cost (the price trend, for one, comes
// fitted in Workload.PriceTrend).

// slug turns a name into a file-name and anchor friendly word.
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "workload"
	}
	return out
}

// priceKind names one way of paying for an option.
type priceKind int

const (
	onDemand priceKind = iota
	spot
	own
)

var priceKinds = []priceKind{onDemand, spot, own}

func (k priceKind) String() string {
	return [...]string{"rent on demand", "rent spot", "own"}[k]
}

func (o *Option) price(k priceKind) Range {
	return [...]Range{o.OnDemand, o.Spot, o.Own}[k]
}

// headline is the price an option is compared by when one number is needed:
// on demand where it can be rented, else owned, else spot.
func (o *Option) headline() (Range, priceKind, bool) {
	for _, k := range []priceKind{onDemand, own, spot} {
		if r := o.price(k); r.OK() {
			return r, k, true
		}
	}
	return Range{}, 0, false
}

// byPrice returns the options sorted cheapest first by headline price, with
// the unpriced last and names breaking ties.
func byPrice(opts []Option) []Option {
	out := append([]Option(nil), opts...)
	sort.SliceStable(out, func(i, j int) bool {
		a, _, aok := out[i].headline()
		b, _, bok := out[j].headline()
		if aok != bok {
			return aok
		}
		if aok && a.Mid != b.Mid {
			return a.Mid < b.Mid
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// plotted reports whether an option has both a time and a headline price.
func plotted(o *Option) bool {
	_, _, ok := o.headline()
	return ok && o.Seconds.OK()
}

// pareto returns the options no other option beats on both time and headline
// price, sorted fastest first.
func pareto(opts []Option) []Option {
	var cand []Option
	for _, o := range opts {
		if plotted(&o) && o.DoesNotFit == "" {
			cand = append(cand, o)
		}
	}
	sort.SliceStable(cand, func(i, j int) bool {
		if cand[i].Seconds.Mid != cand[j].Seconds.Mid {
			return cand[i].Seconds.Mid < cand[j].Seconds.Mid
		}
		pi, _, _ := cand[i].headline()
		pj, _, _ := cand[j].headline()
		if pi.Mid != pj.Mid {
			return pi.Mid < pj.Mid
		}
		return cand[i].Name < cand[j].Name
	})
	var front []Option
	best := math.Inf(1)
	for _, o := range cand {
		p, _, _ := o.headline()
		if p.Mid < best {
			front = append(front, o)
			best = p.Mid
		}
	}
	return front
}

// breakEven finds the first month at which owning has cost no more than
// renting, interpolating linearly between the points, from the cumulative
// series given. rent picks the renting series; ok is false when renting is not
// available or owning never catches up within the series.
func breakEven(pts []CostPoint, rent func(CostPoint) float64) (month, dollars float64, ok bool) {
	if !hasSeries(pts, rent) {
		return 0, 0, false
	}
	for i, p := range pts {
		d := p.Own - rent(p)
		if d > 0 {
			continue
		}
		if i == 0 {
			return p.Month, p.Own, true
		}
		q := pts[i-1]
		dq := q.Own - rent(q)
		f := dq / (dq - d)
		return q.Month + f*(p.Month-q.Month), q.Own + f*(p.Own-q.Own), true
	}
	return 0, 0, false
}

// priceRule says how options are compared when one price is needed; the
// page states it and benchrun cost sorts its table by the same rule.
const priceRule = "Options are compared by their headline price: on demand where the hardware can be rented, else owned (purchase spread over its lifetime, plus energy), else spot."

// recommendation is one headline line for a workload.
type recommendation struct {
	Label  string // "Cheapest", "Fastest", "Best under $5/epoch"
	Option string // empty when nothing qualifies
	Detail string // the numbers behind it, or why nothing qualifies
}

// recommend names the cheapest and the fastest option, where each measured
// machine ranks among them, and the best option under the user's budget
// and deadline. Every price is the headline price (priceRule), quoted for
// q epochs; budget is per epoch.
// Only the options that can run a step (no DoesNotFit) are recommended.
func recommend(w *Workload, budget, deadline float64, q perEpochs) []recommendation {
	w = runnable(w)
	var recs []recommendation
	var cheap *Option
	var cheapR Range
	var cheapK priceKind
	for i := range w.Options {
		o := &w.Options[i]
		if r, k, ok := o.headline(); ok && (cheap == nil || r.Mid < cheapR.Mid || r.Mid == cheapR.Mid && o.Name < cheap.Name) {
			cheap, cheapR, cheapK = o, r, k
		}
	}
	if cheap != nil {
		recs = append(recs, recommendation{"Cheapest", cheap.Name,
			q.usd(cheapR.Mid) + " " + q.String() + " (" + cheapK.String() + "; " + fmtMoneyRange(cheapR, q) + "), " + fmtSecondsOr(cheap.Seconds) + " an epoch"})
	} else {
		recs = append(recs, recommendation{"Cheapest", "", "no option has a price"})
	}
	var fast *Option
	for i := range w.Options {
		o := &w.Options[i]
		if o.Seconds.OK() && (fast == nil || o.Seconds.Mid < fast.Seconds.Mid || o.Seconds.Mid == fast.Seconds.Mid && o.Name < fast.Name) {
			fast = o
		}
	}
	if fast != nil {
		d := FormatSeconds(fast.Seconds.Mid) + " an epoch (" + FormatSecondsRange(fast.Seconds) + ")"
		if p, k, ok := fast.headline(); ok {
			d += ", " + q.usd(p.Mid) + " " + q.String() + " " + k.String()
		}
		recs = append(recs, recommendation{"Fastest", fast.Name, d})
	} else {
		recs = append(recs, recommendation{"Fastest", "", "no option has a time per epoch"})
	}
	recs = append(recs, measuredRanks(w, q)...)
	if budget <= 0 && deadline <= 0 {
		return recs
	}
	var label string
	switch {
	case budget > 0 && deadline > 0:
		label = "Cheapest within " + FormatUSD(budget) + " and " + FormatSeconds(deadline) + " per epoch"
	case budget > 0:
		label = "Fastest within " + FormatUSD(budget) + " per epoch"
	default:
		label = "Cheapest within " + FormatSeconds(deadline) + " per epoch"
	}
	var best *Option
	var bestR Range
	var bestK priceKind
	for i := range w.Options {
		o := &w.Options[i]
		r, k, ok := o.headline()
		if !ok || !o.Seconds.OK() {
			continue
		}
		if budget > 0 && r.Mid > budget || deadline > 0 && o.Seconds.Mid > deadline {
			continue
		}
		better := best == nil
		if !better {
			if deadline > 0 { // cheapest that meets the deadline
				better = r.Mid < bestR.Mid || r.Mid == bestR.Mid && o.Seconds.Mid < best.Seconds.Mid
			} else { // fastest within the budget
				better = o.Seconds.Mid < best.Seconds.Mid || o.Seconds.Mid == best.Seconds.Mid && r.Mid < bestR.Mid
			}
		}
		if better {
			best, bestR, bestK = o, r, k
		}
	}
	if best == nil {
		recs = append(recs, recommendation{label, "", "no option meets it"})
		return recs
	}
	d := q.usd(bestR.Mid) + " " + q.String() + " (" + bestK.String() + "), " + FormatSeconds(best.Seconds.Mid) + " an epoch"
	if budget > 0 && bestR.High > budget || deadline > 0 && best.Seconds.High > deadline {
		d += "; its interval reaches past the limit"
	}
	recs = append(recs, recommendation{label, best.Name, d})
	return recs
}

// measuredRanks places each measured machine among all the options: its
// time and headline price per epoch, its rank by price among the priced
// options and by time among the timed ones (1 is the cheapest or fastest;
// ties share the better rank).
func measuredRanks(w *Workload, q perEpochs) []recommendation {
	var priced, timed []float64
	for _, o := range w.Options {
		if p, _, ok := o.headline(); ok {
			priced = append(priced, p.Mid)
		}
		if o.Seconds.OK() {
			timed = append(timed, o.Seconds.Mid)
		}
	}
	rankOf := func(v float64, all []float64) int {
		r := 1
		for _, x := range all {
			if x < v {
				r++
			}
		}
		return r
	}
	var recs []recommendation
	for _, o := range w.Options {
		if o.Kind != Measured {
			continue
		}
		var parts []string
		if o.Seconds.OK() {
			parts = append(parts, FormatSeconds(o.Seconds.Mid)+" an epoch")
		}
		p, k, priceOK := o.headline()
		if priceOK {
			parts = append(parts, q.usd(p.Mid)+" "+q.String()+" ("+k.String()+")")
		}
		var ranks []string
		if priceOK {
			ranks = append(ranks, "rank "+strconv.Itoa(rankOf(p.Mid, priced))+" of "+strconv.Itoa(len(priced))+" by price")
		}
		if o.Seconds.OK() {
			ranks = append(ranks, strconv.Itoa(rankOf(o.Seconds.Mid, timed))+" of "+strconv.Itoa(len(timed))+" by time")
		}
		d := strings.Join(parts, ", ")
		if len(ranks) > 0 {
			d += ": " + strings.Join(ranks, ", ")
		}
		if d == "" {
			d = "neither timed nor priced"
		}
		recs = append(recs, recommendation{"Your machine", o.Name, d})
	}
	return recs
}

// runnable returns w with only the options that can run a step.
func runnable(w *Workload) *Workload {
	out := *w
	out.Options = nil
	for _, o := range w.Options {
		if o.DoesNotFit == "" {
			out.Options = append(out.Options, o)
		}
	}
	return &out
}

// fmtSecondsOr formats a time range's middle, or says it is unknown.
func fmtSecondsOr(r Range) string {
	if !r.OK() {
		return "time unknown"
	}
	return FormatSeconds(r.Mid)
}

// hasSeries reports whether a cumulative series is given: all zeros means
// that way of paying is not available.
func hasSeries(pts []CostPoint, get func(CostPoint) float64) bool {
	for _, p := range pts {
		if get(p) > 0 {
			return true
		}
	}
	return false
}
