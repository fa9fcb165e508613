package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/reports"
)

type costOptions struct {
	costFlags
	json bool
}

func newCostCmd() *cobra.Command {
	var o costOptions
	cmd := &cobra.Command{
		Use:   "cost [RESULTS...]",
		Short: "Time, price and energy of an epoch of each workload on this machine and on the hardware catalog",
		Long: `cost prices one epoch of each workload on every hardware option: the
machines measured in the results files given (benchrun run or go test -bench
output, one option per thread count) and the sourced hardware catalog (the
embedded one plus --catalog files), whose times are roofline estimates from
datasheet peaks at a range of efficiencies.

It prints one table per workload, cheapest on-demand price first: epoch time
with its low-high interval, price on demand, spot and owned, energy, how
each figure was obtained (measured or catalogued) and whether a training
step fits the option's memory; options it does not fit come after those it
does, marked "too small*" and explained under the table. Prices without a
sourced number are shown as "-". A merged file, or files of several
machines, gives each machine its own options, named for the machine.
--json prints the estimates themselves.`,
		Example: `  benchrun cost benchrun-mybox-2026-11-28T1200Z.txt
  benchrun cost --workload seed-cnn,resnet50-imagenet --precision fp16
  benchrun cost --catalog my-prices.yaml --price-per-hour 0.35 results.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := priceWorkloads(o.costFlags, args)
			if err != nil {
				return err
			}
			if o.json {
				return writeCostJSON(cmd.OutOrStdout(), a)
			}
			return writeCostTables(cmd.OutOrStdout(), a)
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().BoolVar(&o.json, "json", false, "print the estimates as JSON")
	return cmd
}

// writeCostJSON prints every workload's estimates as one JSON document.
func writeCostJSON(w io.Writer, a *pricing) error {
	type wl struct {
		Workload  string                    `json:"workload"`
		Estimates []costmodel.EpochEstimate `json:"estimates"`
	}
	doc := struct {
		Assumptions costmodel.Assumptions `json:"assumptions"`
		Workloads   []wl                  `json:"workloads"`
	}{Assumptions: a.Assumptions}
	for _, x := range a.Workloads {
		doc.Workloads = append(doc.Workloads, wl{x.Workload.Name, x.Estimates})
	}
	return writeJSON(w, doc)
}

// byOnDemand orders estimates cheapest on-demand epoch first; unpriced
// options follow by epoch time, then the options a step does not fit
// (whatever their price: they cannot run it), unavailable ones last.
func byOnDemand(es []costmodel.EpochEstimate) []costmodel.EpochEstimate {
	out := slices.Clone(es)
	key := func(e costmodel.EpochEstimate) (int, float64) {
		switch {
		case e.Unavailable != "":
			return 4, 0
		case e.DoesNotFit != "" && e.OnDemand == nil:
			return 3, e.EpochSeconds.Mid
		case e.DoesNotFit != "":
			return 2, e.OnDemand.USD.Mid
		case e.OnDemand == nil:
			return 1, e.EpochSeconds.Mid
		}
		return 0, e.OnDemand.USD.Mid
	}
	slices.SortStableFunc(out, func(x, y costmodel.EpochEstimate) int {
		gx, vx := key(x)
		gy, vy := key(y)
		if gx != gy {
			return gx - gy
		}
		switch {
		case vx < vy:
			return -1
		case vx > vy:
			return 1
		}
		return 0
	})
	return out
}

// writeCostTables prints a table per workload.
func writeCostTables(w io.Writer, a *pricing) error {
	var buf bytes.Buffer
	for i, x := range a.Workloads {
		if i > 0 {
			buf.WriteString("\n")
		}
		n := x.Workload
		fmt.Fprintf(&buf, "%s: batch %d, %d samples an epoch, %.3g FLOP an epoch (%s precision on accelerators)\n",
			n.Name, n.Batch, n.Samples, firstFLOPs(x.Estimates), a.Assumptions.Precision)
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "option\tbasis\tepoch\tlow–high\ton demand\tspot\town\tkWh\tmemory\t")
		var unavailable, tooSmall []string
		for _, e := range byOnDemand(x.Estimates) {
			if e.Unavailable != "" {
				unavailable = append(unavailable, fmt.Sprintf("  %s: %s", e.Option, e.Unavailable))
				continue
			}
			kwh := "-"
			if e.EnergyKWh != nil {
				kwh = fmt.Sprintf("%.3g", e.EnergyKWh.Mid)
			}
			mem := "-" // unknown: a measured machine's memory is not measured
			switch {
			case e.DoesNotFit != "":
				mem = "too small*"
				tooSmall = append(tooSmall, fmt.Sprintf("  %s: %s", e.Option, e.DoesNotFit))
			case e.MemoryGB > 0:
				mem = "fits"
			}
			r := e.EpochSeconds
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Option, e.Basis,
				reports.FormatSeconds(r.Mid), reports.FormatSecondsRange(reports.Range{Low: r.Low, Mid: r.Mid, High: r.High}),
				usd(e.OnDemand), usd(e.Spot), usd(e.Own), kwh, mem)
		}
		tw.Flush()
		if len(tooSmall) > 0 {
			buf.WriteString("* a step does not fit the option's memory: it cannot run the workload as stated (listed for reference, never recommended):\n")
			for _, u := range tooSmall {
				buf.WriteString(u + "\n")
			}
		}
		if len(unavailable) > 0 {
			buf.WriteString("not estimated:\n")
			for _, u := range unavailable {
				buf.WriteString(u + "\n")
			}
		}
		for _, e := range x.Estimates {
			if e.Basis == costmodel.BasisMeasured && e.Unavailable == "" {
				if e.PriceNote != "" {
					fmt.Fprintf(&buf, "note (%s): %s\n", e.Option, e.PriceNote)
				}
				for _, note := range e.Notes {
					fmt.Fprintf(&buf, "note (%s): %s\n", e.Option, note)
				}
				if len(e.Interpolated) > 0 {
					fmt.Fprintf(&buf, "note (%s): interpolated from nearby measured shapes: %v\n", e.Option, e.Interpolated)
				}
			}
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func firstFLOPs(es []costmodel.EpochEstimate) float64 {
	for _, e := range es {
		if e.FLOPsPerEpoch > 0 {
			return e.FLOPsPerEpoch
		}
	}
	return 0
}

// usd formats the middle of a price as the report does, "-" when there is
// none.
func usd(m *costmodel.Money) string {
	if m == nil {
		return "-"
	}
	return reports.FormatUSD(m.USD.Mid)
}
