package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/reports"
)

type costOptions struct {
	costFlags
	json   bool
	format formatFlag
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
  benchrun cost --catalog my-prices.yaml --price-per-hour 0.35 results.txt
  benchrun cost --format csv --workload seed-cnn,resnet50-imagenet > cost.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.json && o.format != formatText {
				return usagef("--json prints JSON: --format applies to the tables")
			}
			a, err := priceWorkloads(o.costFlags, args)
			if err != nil {
				return err
			}
			if o.json {
				return writeCostJSON(cmd.OutOrStdout(), a)
			}
			return writeCostTables(cmd.OutOrStdout(), a, o.format)
		},
	}
	o.register(cmd.Flags())
	cmd.Flags().BoolVar(&o.json, "json", false, "print the estimates as JSON")
	registerFormat(cmd.Flags(), &o.format, "format of the tables (csv: one table of every workload, numbers unscaled in s, US$ and kWh)")
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

// costFlagsLegend explains the flags column of cost's tables.
const costFlagsLegend = "flags: h host-bound (framework and launches outlast the device), x a step does not fit its memory (never recommended, below), c owning priced for the chip alone (no host share), s a stale price (below); batch b=kxm: k micro-batches of m with gradient accumulation"

// costTable is one workload's table of cost, as the text and Markdown
// formats print it, and the notes under it.
type costTable struct {
	title string
	table table
	notes []string
}

// costTables builds the table of every workload: the options cheapest
// headline price first (byHeadline), unavailable ones listed in the notes.
func costTables(a *pricing) []costTable {
	var out []costTable
	for _, x := range a.Workloads {
		n := x.Workload
		ct := costTable{title: fmt.Sprintf("%s: batch %d, %d samples an epoch, %.3g FLOP an epoch (%s precision on accelerators, %s on catalogued CPUs, %s stack; on demand = %s market)",
			n.Name, n.Batch, n.Samples, firstFLOPs(x.Estimates), a.Assumptions.Precision, a.Assumptions.CPUPrecision, a.Assumptions.Stack, a.Assumptions.Market)}
		ct.table.header = []string{"option", "basis", "prec", "stack", "batch", "epoch", "low–high", "on demand", "spot", "own", "energy", "flags"}
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
			if e.DoesNotFit != "" {
				tooSmall = append(tooSmall, fmt.Sprintf("  x %s: %s", e.Option, e.DoesNotFit))
			}
			if len(e.Stale) > 0 {
				marks = append(marks, fmt.Sprintf("  s %s: stale %s", e.Option, strings.Join(e.Stale, ", ")))
			}
			stack, batch := "-", fmt.Sprint(e.Batch)
			if e.Stack != "" {
				stack = e.Stack
			}
			if e.MicroSteps > 1 {
				batch = fmt.Sprintf("%d=%dx%d", e.Batch, e.MicroSteps, e.MicroBatch)
			}
			basis := string(e.Basis)
			if e.StepFrom == costmodel.StepFromKernels {
				basis += " kernels"
			} else if e.StepFrom != "" {
				basis += " step"
			}
			ct.table.rows = append(ct.table.rows, []string{e.Option, basis, string(e.Precision), stack, batch,
				reports.FormatSeconds(r.Mid), reports.FormatSecondsRange(reports.Range{Low: r.Low, Mid: r.Mid, High: r.High}),
				usd(e.OnDemand), usd(e.Spot), usd(e.Own), kwh, costFlagsOf(e)})
			if e.OnDemand == nil {
				for _, note := range e.Notes {
					if strings.HasPrefix(note, "no "+a.Assumptions.Market+" price") {
						marks = append(marks, fmt.Sprintf("  - %s: %s", e.Option, note))
					}
				}
			}
		}
		ct.notes = append(append([]string{costFlagsLegend}, marks...), tooSmall...)
		if len(unavailable) > 0 {
			ct.notes = append(append(ct.notes, "not estimated:"), unavailable...)
		}
		for _, e := range x.Estimates {
			if e.Basis == costmodel.BasisMeasured && e.Unavailable == "" {
				if e.PriceNote != "" {
					ct.notes = append(ct.notes, fmt.Sprintf("note (%s): %s", e.Option, e.PriceNote))
				}
				for _, note := range e.Notes {
					ct.notes = append(ct.notes, fmt.Sprintf("note (%s): %s", e.Option, note))
				}
				if len(e.Interpolated) > 0 {
					ct.notes = append(ct.notes, fmt.Sprintf("note (%s): interpolated from nearby measured shapes: %s", e.Option, costmodel.Abbreviate(e.Interpolated, 8)))
				}
			}
		}
		ct.notes = append(ct.notes, precisionNotes(a, x)...)
		out = append(out, ct)
	}
	return out
}

// costFlagsOf returns an estimate's flags (costFlagsLegend), "-" for none.
func costFlagsOf(e costmodel.EpochEstimate) string {
	var flags string
	if e.DoesNotFit != "" {
		flags += "x"
	}
	if e.HostBound {
		flags += "h"
	}
	if e.Own != nil && !e.OwnSystem && e.Basis != costmodel.BasisMeasured {
		flags += "c"
	}
	if len(e.Stale) > 0 {
		flags += "s"
	}
	if flags == "" {
		return "-"
	}
	return flags
}

// writeCostTables prints a table per workload in format: text and Markdown
// with its title and the notes under it; CSV as one table of every
// workload's options with unscaled numbers (seconds, US dollars, kWh), the
// notes left out.
func writeCostTables(w io.Writer, a *pricing, format formatFlag) error {
	if format == formatCSV {
		return writeCostCSV(w, a)
	}
	var buf bytes.Buffer
	for i, ct := range costTables(a) {
		if i > 0 {
			buf.WriteString("\n")
		}
		if format == formatMD {
			// A blank line after the table: a line right under it would
			// be read as one more row.
			fmt.Fprintf(&buf, "%s\n\n", ct.title)
			if err := ct.table.write(&buf, format); err != nil {
				return err
			}
			buf.WriteString("\n")
			for _, n := range ct.notes {
				fmt.Fprintf(&buf, "- %s\n", mdCell(strings.TrimSpace(n)))
			}
			continue
		}
		buf.WriteString(ct.title + "\n")
		if err := ct.table.write(&buf, format); err != nil {
			return err
		}
		for _, n := range ct.notes {
			buf.WriteString(n + "\n")
		}
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeCostCSV prints every workload's estimates as one CSV table, in
// byHeadline order per workload; empty cells are unknown.
func writeCostCSV(w io.Writer, a *pricing) error {
	t := table{header: []string{"workload", "option", "name", "basis", "precision", "stack", "batch", "micro_batches",
		"epoch_s", "epoch_low_s", "epoch_high_s", "on_demand_usd", "spot_usd", "own_usd", "energy_kwh", "flags", "unavailable"}}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	money := func(m *costmodel.Money) string {
		if m == nil {
			return ""
		}
		return num(m.USD.Mid)
	}
	for _, x := range a.Workloads {
		for _, e := range byHeadline(x.Estimates) {
			row := []string{x.Workload.Name, e.Option, e.Name, string(e.Basis), string(e.Precision), e.Stack}
			if e.Unavailable != "" {
				row = append(row, make([]string, len(t.header)-len(row))...)
				row[len(row)-1] = e.Unavailable
				t.rows = append(t.rows, row)
				continue
			}
			kwh := ""
			if e.EnergyKWh != nil {
				kwh = num(e.EnergyKWh.Mid)
			}
			t.rows = append(t.rows, append(row, strconv.Itoa(e.Batch), strconv.Itoa(max(e.MicroSteps, 1)),
				num(e.EpochSeconds.Mid), num(e.EpochSeconds.Low), num(e.EpochSeconds.High),
				money(e.OnDemand), money(e.Spot), money(e.Own), kwh, costFlagsOf(e), ""))
		}
	}
	return t.write(w, formatCSV)
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

// precisionNotes are the lines saying at which precision the measured rows
// compare with the catalogued ones (costmodel.LikeForLike) and why a
// measured machine has no bf16 row.
func precisionNotes(a *pricing, x costmodel.Comparison) []string {
	var out []string
	if s := costmodel.LikeForLike(x.Estimates); s != "" {
		out = append(out, s)
	}
	for _, r := range a.NoBF16 {
		out = append(out, "note: "+r)
	}
	return out
}
