package main

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/costmodel"
)

type calibrateOptions struct {
	catalogs []string
	fit      bool
	json     bool
}

func newCalibrateCmd() *cobra.Command {
	var o calibrateOptions
	cmd := &cobra.Command{
		Use:   "calibrate",
		Short: "The catalogued estimates against published training runs",
		Long: `calibrate estimates every anchor of the calibration set (costmodel/calibration.yaml:
published training measurements, one accelerator each) with the catalog and
prints the estimate beside the published figure: the estimated rate and its
interval, the published rate, their ratio (estimated epoch time over the
published one: above 1 the model is too slow), whether the published figure
lies inside the interval, and whether the anchor passes its use (scored:
within 25% and inside; bound: not beaten; relative: the ratio of two
options inside the published band). --fit adds, per anchor, the GEMM
efficiency of its calibration cell that would reproduce it exactly.

The exit code is 1 when a scored anchor is off by more than 50%.`,
		Example: `  benchrun calibrate
  benchrun calibrate --fit
  benchrun calibrate --catalog my-prices.yaml --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := costmodel.LoadCatalog(o.catalogs...)
			if err != nil {
				return usageError{err}
			}
			checks := costmodel.Calibrate(cat, costmodel.EmbeddedCalibration(), costmodel.DefaultAssumptions(), o.fit)
			if o.json {
				if err := writeJSON(cmd.OutOrStdout(), checks); err != nil {
					return err
				}
			} else if err := writeCalibration(cmd.OutOrStdout(), checks, o.fit); err != nil {
				return err
			}
			for _, c := range checks {
				if c.Anchor.Use == costmodel.UseScored && (c.Err != "" || math.Abs(c.Ratio-1) > costmodel.MaxDeviation) {
					return fmt.Errorf("anchor %s is off by more than %.0f%%", c.Anchor.ID, 100*costmodel.MaxDeviation)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&o.catalogs, "catalog", nil, "catalog files that override or extend the embedded hardware catalog")
	cmd.Flags().BoolVar(&o.fit, "fit", false, "also print the efficiency that would reproduce each anchor")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the checks as JSON")
	return cmd
}

// writeCalibration prints the anchors' table and a summary of the scored,
// bound and relative checks.
func writeCalibration(w io.Writer, checks []costmodel.AnchorCheck, fit bool) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	head := "anchor\tuse\tstack\tprec\tbatch\testimate\tinterval\tpublished\tratio\tinside\tpass"
	if fit {
		head += "\timplied eff"
	}
	fmt.Fprintln(tw, head+"\t")
	var scored, within, inside, over, bounds, boundsOK, rel, relOK int
	for _, c := range checks {
		a := c.Anchor
		if c.Err != "" {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\terror: %s\t\t\t\t\t\t\n", a.ID, a.Use, a.Stack, a.Precision, a.Batch, c.Err)
			if a.Use == costmodel.UseScored {
				scored++
				over++
			}
			continue
		}
		est, interval, pub := "-", "-", "-"
		if a.Rate != nil && a.Use != costmodel.UseRelative {
			est = rate(c.Rate.Mid, a.Rate.Unit)
			interval = rate(c.Rate.Low, "") + "–" + rate(c.Rate.High, "")
			pub = rate(a.Rate.Value, a.Rate.Unit)
			if a.Rate.Low > 0 || a.Rate.High > 0 {
				pub += fmt.Sprintf(" (%s–%s)", rate(max(a.Rate.Low, 0), ""), rate(max(a.Rate.High, a.Rate.Value), ""))
			}
		}
		if a.Use == costmodel.UseRelative {
			est = fmt.Sprintf("%s %.2fx faster than %s", a.Option, c.Ratio, a.Relative.Slower)
			r := a.Relative.Ratio
			pub = fmt.Sprintf("%.2fx (%.2f–%.2f)", r.Value, r.Low, r.High)
		}
		ratio := fmt.Sprintf("%.2f", c.Ratio)
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s", a.ID, a.Use, a.Stack, a.Precision, a.Batch, est, interval, pub, ratio, yes(c.Inside), yes(c.Pass))
		if fit {
			imp := "-"
			if c.Implied > 0 {
				imp = fmt.Sprintf("%.3g", c.Implied)
			}
			line += "\t" + imp
		}
		fmt.Fprintln(tw, line+"\t")
		switch a.Use {
		case costmodel.UseScored:
			scored++
			if math.Abs(c.Ratio-1) <= costmodel.ScoreTolerance {
				within++
			}
			if math.Abs(c.Ratio-1) > costmodel.MaxDeviation {
				over++
			}
			if c.Inside {
				inside++
			}
		case costmodel.UseBound:
			bounds++
			if c.Pass {
				boundsOK++
			}
		case costmodel.UseRelative:
			rel++
			if c.Pass {
				relOK++
			}
		}
	}
	tw.Flush()
	fmt.Fprintf(&buf, "\nscored anchors: %d of %d within %.0f%%, %d off by more than %.0f%%, %d of %d published figures inside the estimate's interval\n",
		within, scored, 100*costmodel.ScoreTolerance, over, 100*costmodel.MaxDeviation, inside, scored)
	fmt.Fprintf(&buf, "bounds respected: %d of %d; relative orders and ratios inside the published band: %d of %d\n", boundsOK, bounds, relOK, rel)
	fmt.Fprintf(&buf, "ratio = estimated epoch time / published (above 1: the model is too slow); rates per accelerator\n")
	_, err := w.Write(buf.Bytes())
	return err
}

// rate formats a throughput with k/M suffixes and an optional unit.
func rate(v float64, unit string) string {
	s := fmt.Sprintf("%.3g", v)
	switch {
	case v >= 1e6:
		s = fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e4:
		s = fmt.Sprintf("%.3gk", v/1e3)
	}
	if unit != "" {
		s += " " + unit
	}
	return s
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
