package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
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

It prints one table per workload, cheapest headline price first (on demand
where the option can be rented, else owned, else spot: the order the report
ranks options in): how each figure was obtained (measured or
catalogued), the precision and software stack assumed, the batch (split into micro-batches when a step does not fit
the option's memory), epoch time with its low-high interval, the price on
demand in one market (--market), spot and owned (the accelerator and its
host), and energy. Prices without a sourced number in that market are shown
as "-" and listed with their other markets below the table; stale prices are
marked. The catalogued times use efficiencies calibrated against published
training runs per workload class, accelerator family and stack (see
benchrun calibrate). Options a step does not fit come after those it fits,
flagged x and explained under the table; they are never recommended. A
merged file, or files of several machines, gives each machine its own
options, named for the machine. --json prints the estimates themselves.`,
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

// byHeadline orders estimates cheapest headline price first (on demand,
// else owned, else spot: costmodel.PriceHeadline, and the rule the report
// ranks options by); unpriced options follow by epoch time, then the
// options a step does not fit (whatever their price: they cannot run it),
// unavailable ones
// last.
func byHeadline(es []costmodel.EpochEstimate) []costmodel.EpochEstimate {
	out := slices.Clone(es)
	key := func(e costmodel.EpochEstimate) (int, float64) {
		switch {
		case e.Unavailable != "":
			return 4, 0
		case e.DoesNotFit != "" && headline(e) == nil:
			return 3, e.EpochSeconds.Mid
		case e.DoesNotFit != "":
			return 2, headline(e).USD.Mid
		case headline(e) == nil:
			return 1, e.EpochSeconds.Mid
		}
		return 0, headline(e).USD.Mid
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
		fmt.Fprintf(&buf, "%s: batch %d, %d samples an epoch, %.3g FLOP an epoch (%s precision on accelerators, %s on catalogued CPUs, %s stack; on demand = %s market)\n",
			n.Name, n.Batch, n.Samples, firstFLOPs(x.Estimates), a.Assumptions.Precision, a.Assumptions.CPUPrecision, a.Assumptions.Stack, a.Assumptions.Market)
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "option\tbasis\tprec\tstack\tbatch\tepoch\tlow–high\ton demand\tspot\town\tenergy\tflags\t")
		var unavailable, marks, tooSmall []string
		for _, e := range byHeadline(x.Estimates) {
			if e.Unavailable != "" {
				unavailable = append(unavailable, fmt.Sprintf("  %s: %s", e.Option, e.Unavailable))
				continue
			}
			kwh := "-"
			if e.EnergyKWh != nil {
				kwh = reports.FormatEnergy(e.EnergyKWh.Mid)
			}
			r := e.EpochSeconds
			var flags []string
			if e.DoesNotFit != "" {
				flags = append(flags, "x")
				tooSmall = append(tooSmall, fmt.Sprintf("  x %s: %s", e.Option, e.DoesNotFit))
			}
			if e.HostBound {
				flags = append(flags, "h")
			}
			if e.Own != nil && !e.OwnSystem && e.Basis != costmodel.BasisMeasured {
				flags = append(flags, "c")
			}
			if len(e.Stale) > 0 {
				flags = append(flags, "s")
				marks = append(marks, fmt.Sprintf("  s %s: stale %s", e.Option, strings.Join(e.Stale, ", ")))
			}
			if len(flags) == 0 {
				flags = []string{"-"}
			}
			stack, batch := "-", fmt.Sprint(e.Batch)
			if e.Stack != "" {
				stack = e.Stack
			}
			if e.MicroSteps > 1 {
				batch = fmt.Sprintf("%d=%dx%d", e.Batch, e.MicroSteps, e.MicroBatch)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Option, e.Basis, e.Precision, stack, batch,
				reports.FormatSeconds(r.Mid), reports.FormatSecondsRange(reports.Range{Low: r.Low, Mid: r.Mid, High: r.High}),
				usd(e.OnDemand), usd(e.Spot), usd(e.Own), kwh, strings.Join(flags, ""))
			if e.OnDemand == nil {
				for _, note := range e.Notes {
					if strings.HasPrefix(note, "no "+a.Assumptions.Market+" price") {
						marks = append(marks, fmt.Sprintf("  - %s: %s", e.Option, note))
					}
				}
			}
		}
		tw.Flush()
		buf.WriteString("flags: h host-bound (framework and launches outlast the device), x a step does not fit its memory (never recommended, below), c owning priced for the chip alone (no host share), s a stale price (below); batch b=kxm: k micro-batches of m with gradient accumulation\n")
		for _, m := range marks {
			buf.WriteString(m + "\n")
		}
		for _, m := range tooSmall {
			buf.WriteString(m + "\n")
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

// headline is the price an estimate is ranked by: on demand, else owned,
// else spot; nil when it has none.
func headline(e costmodel.EpochEstimate) *costmodel.Money {
	for _, m := range []*costmodel.Money{e.OnDemand, e.Own, e.Spot} {
		if m != nil && m.USD.Mid > 0 {
			return m
		}
	}
	return nil
}

// usd formats the middle of a price as the report does, "-" when there is
// none.
func usd(m *costmodel.Money) string {
	if m == nil {
		return "-"
	}
	return reports.FormatUSD(m.USD.Mid)
}
