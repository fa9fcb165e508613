package costmodel

import (
	"fmt"
	"math"
	"slices"

	"github.com/trainbench/trainbench/workload"
)

// Calibration tolerances: a scored anchor passes within ScoreTolerance of
// its published rate (and inside the printed interval); none may be off by
// more than MaxDeviation.
const (
	ScoreTolerance = 0.25
	MaxDeviation   = 0.50
)

// AnchorCheck is one anchor of the calibration set against the model's
// estimate for it.
type AnchorCheck struct {
	Anchor Anchor `json:"anchor"`
	// Estimate is the model's estimate at the anchor's precision, stack and
	// per-accelerator batch (for a relative anchor, of Anchor.Option).
	Estimate EpochEstimate `json:"estimate"`
	// Rate is the estimated per-accelerator throughput in the anchor's
	// unit: Mid from the epoch's mid time, Low from its high bound.
	Rate Range `json:"rate"`
	// Ratio is the estimated epoch time over the published one (published
	// rate over estimated rate): above 1 the model is too slow. For a
	// relative anchor it is the estimated speed ratio of the two options.
	Ratio float64 `json:"ratio"`
	// Inside reports whether the published figure lies inside the
	// estimate's interval (for a relative anchor: the estimated ratio
	// inside the published band).
	Inside bool `json:"inside"`
	// Pass reports whether the anchor meets its use: scored within
	// ScoreTolerance and inside; a bound not beaten; a relative ratio in
	// its band; reference anchors always pass.
	Pass bool `json:"pass"`
	// Implied is the GEMM efficiency of the anchor's cell that would
	// reproduce the published figure exactly (0 when not computed).
	Implied float64 `json:"implied,omitempty"`
	Err     string  `json:"error,omitempty"`
}

// Calibrate checks every anchor of cal against the model: the catalog's
// option, the built-in workload at the anchor's per-accelerator batch, the
// anchor's precision and stack, the rest of a. With fit, each scored,
// bound and relative anchor also gets the efficiency that reproduces it
// (Implied). Anchors measured on the local machine are skipped.
func Calibrate(cat Catalog, cal Calibration, a Assumptions, fit bool) []AnchorCheck {
	var out []AnchorCheck
	for _, an := range cal.Anchors {
		if an.Option == "local" {
			continue
		}
		c := AnchorCheck{Anchor: an}
		if err := c.run(cat, cal, a); err != nil {
			c.Err = err.Error()
		} else if fit && an.Use != UseReference {
			c.Implied = impliedEfficiency(c, cat, cal, a)
		}
		out = append(out, c)
	}
	return out
}

// anchorSetup returns the option, workload and assumptions an anchor is
// estimated with.
func anchorSetup(an Anchor, option string, cat Catalog, cal Calibration, a Assumptions) (Option, workload.Network, Assumptions, error) {
	o, ok := cat.Lookup(option)
	if !ok {
		return Option{}, workload.Network{}, a, fmt.Errorf("no catalog option %s", option)
	}
	w, err := workload.Builtin(an.Workload)
	if err != nil {
		return Option{}, workload.Network{}, a, err
	}
	if an.Batch > 0 && an.Use != UseRelative {
		w.Batch = an.Batch
	}
	a.Precision, a.Stack, a.Calibration = an.Precision, an.Stack, &cal
	return o, w, a, nil
}

// unitsPerSample is how many of the anchor's units one sample of w is:
// tokens per sequence for tokens/s, 1 for images/s.
func unitsPerSample(w workload.Network, unit string) float64 {
	if unit == "tokens/s" {
		return float64(w.Input.H * w.Input.W)
	}
	return 1
}

func estimateOne(o Option, w workload.Network, a Assumptions) (EpochEstimate, error) {
	es, err := Estimate(w, []Option{o}, a)
	if err != nil {
		return EpochEstimate{}, err
	}
	if es[0].Unavailable != "" {
		return es[0], fmt.Errorf("%s: %s", o.ID, es[0].Unavailable)
	}
	return es[0], nil
}

// run estimates the anchor and scores it.
func (c *AnchorCheck) run(cat Catalog, cal Calibration, a Assumptions) error {
	an := c.Anchor
	o, w, aa, err := anchorSetup(an, an.Option, cat, cal, a)
	if err != nil {
		return err
	}
	e, err := estimateOne(o, w, aa)
	if err != nil {
		return err
	}
	c.Estimate = e
	if an.Use == UseRelative {
		slow, _, _, err := anchorSetup(an, an.Relative.Slower, cat, cal, a)
		if err != nil {
			return err
		}
		es, err := estimateOne(slow, w, aa)
		if err != nil {
			return err
		}
		r := an.Relative.Ratio
		c.Ratio = es.EpochSeconds.Mid / e.EpochSeconds.Mid
		lo, hi := r.Value, r.Value
		if r.Low > 0 {
			lo = r.Low
		}
		if r.High > 0 {
			hi = r.High
		}
		c.Inside = c.Ratio >= lo && c.Ratio <= hi
		c.Pass = c.Inside
		return nil
	}
	if an.Rate == nil {
		c.Pass = true
		return nil
	}
	units := float64(w.Samples) * unitsPerSample(w, an.Rate.Unit)
	c.Rate = Range{Low: units / e.EpochSeconds.High, Mid: units / e.EpochSeconds.Mid, High: units / e.EpochSeconds.Low}
	c.Ratio = an.Rate.Value / c.Rate.Mid
	c.Inside = an.Rate.Value >= c.Rate.Low*(1-1e-9) && an.Rate.Value <= c.Rate.High*(1+1e-9)
	switch an.Use {
	case UseScored:
		c.Pass = c.Inside && math.Abs(c.Ratio-1) <= ScoreTolerance
	case UseBound:
		c.Pass = c.Rate.Mid <= an.Rate.Value
	default:
		c.Pass = true
	}
	return nil
}

// impliedEfficiency bisects the GEMM efficiency of the cell an anchor's
// estimate uses (the slower option's cell for a relative anchor) until the
// estimate reproduces the published figure; 0 when the cell is not
// calibrated or no efficiency in (0, 1] reproduces it.
func impliedEfficiency(c AnchorCheck, cat Catalog, cal Calibration, a Assumptions) float64 {
	an := c.Anchor
	target := an.Option
	if an.Use == UseRelative {
		target = an.Relative.Slower
	}
	o, ok := cat.Lookup(target)
	if !ok {
		return 0
	}
	i := slices.IndexFunc(cal.Efficiency, func(e EfficiencyCell) bool {
		return e.Class == an.Class && e.Family == o.Family && e.Stack == an.Stack
	})
	if i < 0 {
		return 0
	}
	// miss returns the signed error at cell efficiency x: positive when
	// the estimate is too slow.
	miss := func(x float64) (float64, bool) {
		trial := cal
		trial.Efficiency = slices.Clone(cal.Efficiency)
		trial.Efficiency[i].Low, trial.Efficiency[i].Mid, trial.Efficiency[i].High = x, x, x
		t := AnchorCheck{Anchor: an}
		if err := t.run(cat, trial, a); err != nil {
			return 0, false
		}
		if an.Use == UseRelative {
			return t.Ratio - an.Relative.Ratio.Value, true // too slow a slower option: ratio too high
		}
		return t.Ratio - 1, true
	}
	lo, hi := 1e-3, 1.0
	mlo, ok1 := miss(lo)
	mhi, ok2 := miss(hi)
	if !ok1 || !ok2 || mlo < 0 || mhi > 0 {
		return 0
	}
	for range 60 {
		mid := math.Sqrt(lo * hi)
		m, ok := miss(mid)
		if !ok {
			return 0
		}
		if m > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return math.Sqrt(lo * hi)
}
