package costmodel

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// PriceKind selects which price of an estimate a trend follows.
type PriceKind string

// The prices. PriceHeadline is the price options are compared by when one
// number is needed: on demand where the option can be rented, else owned,
// else spot, so that every priced option takes part in the fit.
const (
	PriceOnDemand PriceKind = "on-demand"
	PriceSpot     PriceKind = "spot"
	PriceOwn      PriceKind = "own"
	PriceHeadline PriceKind = "headline"
)

// TrendPoint is one option's price per epoch (mid) in its release year.
type TrendPoint struct {
	Option string  `json:"option"`
	Year   int     `json:"year"`
	USD    float64 `json:"usd"`
}

// Trend is the least-squares fit log2(USD per epoch) = Intercept + Slope ·
// year over the options that have both a release year and the price.
type Trend struct {
	Price     PriceKind    `json:"price"`
	Points    []TrendPoint `json:"points"`
	Intercept float64      `json:"intercept"`
	Slope     float64      `json:"slope"` // log2 dollars per year
	R2        float64      `json:"r2"`
	// HalvingYears is −1/Slope: the years over which the price per epoch
	// halves. 0 when the price does not fall (Slope ≥ 0).
	HalvingYears float64 `json:"halving_years"`
}

// PriceTrend fits how the price per epoch of a workload falls across
// hardware generations. It needs at least two points in different years.
// Pass estimates of comparable options (GPUs and TPUs, say): a CPU
// instance released late but far slower would read as prices rising.
func PriceTrend(ests []EpochEstimate, kind PriceKind) (Trend, error) {
	t := Trend{Price: kind}
	for _, e := range ests {
		var m *Money
		switch kind {
		case PriceOnDemand:
			m = e.OnDemand
		case PriceSpot:
			m = e.Spot
		case PriceOwn:
			m = e.Own
		case PriceHeadline:
			m = e.headline()
		default:
			return Trend{}, fmt.Errorf("costmodel: unknown price kind %q (want on-demand, spot, own or headline)", kind)
		}
		if m == nil || e.ReleaseYear == 0 || !(m.USD.Mid > 0) {
			continue
		}
		t.Points = append(t.Points, TrendPoint{Option: e.Option, Year: e.ReleaseYear, USD: m.USD.Mid})
	}
	slices.SortStableFunc(t.Points, func(a, b TrendPoint) int { return a.Year - b.Year })
	if len(t.Points) < 2 || t.Points[0].Year == t.Points[len(t.Points)-1].Year {
		return Trend{}, fmt.Errorf("costmodel: a %s price trend needs options from at least two release years (have %d points)", kind, len(t.Points))
	}
	xs, ys := make([]float64, len(t.Points)), make([]float64, len(t.Points))
	for i, p := range t.Points {
		xs[i], ys[i] = float64(p.Year), math.Log2(p.USD)
	}
	t.Intercept, t.Slope = stat.LinearRegression(xs, ys, nil, false)
	t.R2 = stat.RSquared(xs, ys, nil, t.Intercept, t.Slope)
	if math.IsNaN(t.R2) {
		t.R2 = 0
	}
	if t.Slope < 0 {
		t.HalvingYears = -1 / t.Slope
	}
	return t, nil
}

// headline is the estimate's price by PriceHeadline's order, nil when it has
// none.
func (e EpochEstimate) headline() *Money {
	for _, m := range []*Money{e.OnDemand, e.Own, e.Spot} {
		if m != nil && m.USD.Mid > 0 {
			return m
		}
	}
	return nil
}
