package costmodel

import "math"

// Range is an interval with a central value: Low ≤ Mid ≤ High. For times,
// Low is the optimistic bound; for prices, the cheapest.
type Range struct {
	Low  float64 `json:"low"`
	Mid  float64 `json:"mid"`
	High float64 `json:"high"`
}

// Point is the degenerate range [v, v].
func Point(v float64) Range { return Range{v, v, v} }

// Add returns the element-wise sum.
func (r Range) Add(s Range) Range { return Range{r.Low + s.Low, r.Mid + s.Mid, r.High + s.High} }

// Scale multiplies every bound by f ≥ 0.
func (r Range) Scale(f float64) Range { return Range{r.Low * f, r.Mid * f, r.High * f} }

// Mul multiplies two ranges of non-negative quantities bound by bound.
func (r Range) Mul(s Range) Range { return Range{r.Low * s.Low, r.Mid * s.Mid, r.High * s.High} }

// Inverse is 1/r with the bounds swapped (r positive).
func (r Range) Inverse() Range { return Range{1 / r.High, 1 / r.Mid, 1 / r.Low} }

// finite reports whether every bound is a finite number.
func (r Range) finite() bool {
	for _, v := range []float64{r.Low, r.Mid, r.High} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
