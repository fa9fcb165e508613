package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/reports"
)

type reportOptions struct {
	costFlags
	output            string
	budget, deadline  float64
	title             string
	generatedOverride string // for tests: a fixed generation time (RFC 3339)
}

func newReportCmd() *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report [RESULTS...] -o DIR",
		Short: "Write the report folder (PNG plots, index.html, summary.md) from results files and the cost model",
		Long: `report prices every workload on the measured machine(s) of the results files
and on the hardware catalog (as benchrun cost does) and writes the report
folder: index.html and summary.md with the recommendation per workload, the
tables behind every plot and the assumptions with their sources, and one PNG
per plot (price per epoch, time against price, buy against rent, price trend,
scale-out; thread scaling, roofline and ISA speed-up of the measured kernels).

The folder is replaced atomically, and only by a complete report; a folder
holding any file a report does not write (or a folder inside it) is refused
and left as it is, and so is the working directory itself (-o .).`,
		Example: `  benchrun report -o report benchrun-mybox-2026-11-28T1200Z.txt
  benchrun report -o report --workload seed-cnn,resnet50-imagenet --budget 0.5 results.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.output == "" {
				return usagef("report: -o DIR is required")
			}
			gen := time.Now().UTC()
			if o.generatedOverride != "" {
				t, err := time.Parse(time.RFC3339, o.generatedOverride)
				if err != nil {
					return usagef("--generated: %v", err)
				}
				gen = t
			}
			return writeReport(cmd.ErrOrStderr(), o, args, gen, "benchrun report "+strings.Join(cmdArgs(cmd), " "))
		},
	}
	f := cmd.Flags()
	o.register(f)
	f.StringVarP(&o.output, "output", "o", "", "report folder to write (replaced only when the new report is complete)")
	f.Var(&rangeFlag{&o.budget, flagRanges["budget"]}, "budget", "most you will pay for an epoch, US $: the report names the fastest option within it")
	f.Var(&rangeFlag{&o.deadline, flagRanges["deadline"]}, "deadline", "longest an epoch may take, seconds: the report names the cheapest option that meets it")
	f.StringVar(&o.title, "title", "", "page title")
	f.StringVar(&o.generatedOverride, "generated", "", "generation time to print (RFC 3339; default now), for reproducible pages")
	return cmd
}

// cmdArgs returns the command line as the user typed it after the
// subcommand's name, for the report's "reproduce" line.
func cmdArgs(cmd *cobra.Command) []string {
	var out []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	return append(out, cmd.Flags().Args()...)
}

// writeReport runs the cost model on the results files and writes the
// report folder; progress goes to log.
func writeReport(log io.Writer, o reportOptions, resultFiles []string, generated time.Time, reproduce string) error {
	if !(o.budget >= 0) || !(o.deadline >= 0) || math.IsInf(o.budget, 0) || math.IsInf(o.deadline, 0) {
		return usagef("--budget %v, --deadline %v: want finite numbers ≥ 0", o.budget, o.deadline)
	}
	p, err := priceWorkloads(o.costFlags, resultFiles)
	if err != nil {
		return err
	}
	head := reports.Input{Title: o.title, Generated: generated, BudgetPerEpoch: o.budget, DeadlinePerEpoch: o.deadline,
		Reproduce: reproduce}
	if head.Warnings, err = interferenceWarnings(resultFiles); err != nil {
		return err
	}
	if len(p.Machines) == 0 {
		head.Notes = append(head.Notes, "no results file given: every option is a catalogued estimate (run benchrun to measure this machine)")
	}
	in, err := reportInput(p, head)
	if err != nil {
		// What the report refuses comes from the inputs (a catalog file
		// naming two options alike, say).
		return usageError{err}
	}
	if err := reports.Write(o.output, in); err != nil {
		return err
	}
	abs, _ := filepath.Abs(filepath.Join(o.output, "index.html"))
	fmt.Fprintf(log, "benchrun: report in %s (open %s)\n", o.output, abs)
	return nil
}
