package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/trainbench/trainbench/results/compare"
)

// compareOptions are compare's flags beyond benchstat's.
type compareOptions struct {
	metrics string
	format  string
	failPct float64
}

func newCompareCmd() *cobra.Command {
	opt := compare.DefaultOptions()
	var co compareOptions
	cmd := &cobra.Command{
		Use:   "compare [flags] [[LABEL=]FILE... | -]",
		Short: "Print benchstat tables of results files",
		Long: `compare prints benchstat's tables of one or more results files (benchrun's
or go test -bench output; - or no file reads standard input): the median of
each benchmark with its 95% confidence interval and, against the first
column, the change and its p-value. Slice the results with benchstat's keys:
-col /impl puts the implementations side by side, -row /shape ... (a key is
a .config key such as .file or machine, or /name-key of the benchmark name).
Inputs given as LABEL=FILE are labelled LABEL; several files with one label
are pooled.

It compares what a run measures: time (sec/op), GFLOP/s and GB/s. The
shares of a ceiling (%peak, %bw) and the constant FLOP/byte come with
--metrics all (or --metrics %peak,%bw, or a -filter on .unit).

A default run compares hundreds of cases, so the p-values of each column
are adjusted for their number (Benjamini–Hochberg; --correction none gives
benchstat's per-case p): of the changes marked significant, at most alpha
are expected to be chance. Above the tables, a summary by kernel family
tests each family's change across its cases (Wilcoxon signed-rank): a change
in the code moves every case of a family, which shows there even when one
case's runs spread too widely to. A note says when the machine's measured
ceilings (FLOP peak, DRAM bandwidth) moved between the inputs.

A change is significant (a p-value below --alpha) only with enough runs a
side: with 3 against 3 no change can be (p cannot go below 0.100), and
compare says so. benchrun's presets record 6 runs of each case: a change is
then found 4 times in 5 when it is about 1.8 times the spread of the runs
(their standard deviation as a share of the median), so a 5% change on a
case whose runs spread by up to about 2.7%; 10 runs (--full) find about
1.3 times the spread.

Unlike benchstat, tables split by unit only (not by machine or date), so
files from different machines line up; a cell never pools two machines.

--fail-on-regression PCT exits with status 1 when a case or a family got
significantly worse by more than PCT percent (slower in sec/op, lower in GFLOP/s or GB/s),
after printing the tables and one line per regression on stderr.`,
		Example: `  benchrun compare old.txt new.txt
  go test ./bench -run '^$' -bench Sgemm -count 6 | benchrun compare base=old.txt new=-
  benchrun compare -col /isa -row /shape -filter '/impl:blocked' run.txt
  benchrun compare -col machine zen5.txt spr.txt
  benchrun compare --fail-on-regression 5 --format csv old.txt new.txt > cmp.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && term.IsTerminal(int(os.Stdin.Fd())) {
				return usagef("compare needs results files, or results on standard input")
			}
			switch strings.TrimSpace(co.metrics) {
			case "":
			case "all":
				opt.Metrics = compare.AllMetrics
			default:
				opt.Metrics = strings.Split(co.metrics, ",")
			}
			if co.format != "text" && co.format != "csv" {
				return usagef("--format %q: want text or csv", co.format)
			}
			if !(co.failPct >= 0) {
				return usagef("--fail-on-regression %v: want a percentage ≥ 0", co.failPct)
			}
			ins, err := compare.ReadInputs(args)
			if err != nil {
				return usageError{err}
			}
			ts, err := compare.Build(ins, opt)
			if err != nil {
				return usageError{err}
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if co.format == "csv" {
				for _, n := range compare.Notes(ins) {
					fmt.Fprintln(errOut, n)
				}
				err = ts.WriteCSV(out, errOut)
			} else {
				err = compare.Write(out, ins, ts)
			}
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("fail-on-regression") {
				regs := append(ts.FamilyRegressions(co.failPct), ts.Regressions(co.failPct, opt.Alpha)...)
				for _, r := range regs {
					fmt.Fprintln(errOut, "regression:", r)
				}
				if len(regs) > 0 {
					return fmt.Errorf("%d significant regressions of more than %g%%", len(regs), co.failPct)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Col, "col", opt.Col, "split columns by this projection (benchstat -col)")
	f.StringVar(&opt.Row, "row", opt.Row, "split rows by this projection (benchstat -row)")
	f.StringVar(&opt.Table, "table", opt.Table, "split tables by this projection besides the unit (benchstat -table)")
	f.StringVar(&opt.Ignore, "ignore", opt.Ignore, "ignore these keys when grouping (benchstat -ignore)")
	f.StringVar(&opt.Filter, "filter", opt.Filter, "use only the benchmarks matching this query (benchstat -filter)")
	f.Float64Var(&opt.Alpha, "alpha", opt.Alpha, "significance level: changes with p >= alpha show ~")
	f.Float64Var(&opt.Confidence, "confidence", opt.Confidence, "confidence level of the ± ranges")
	f.StringVar(&opt.Correction, "correction", opt.Correction, "adjust p-values for the many cases compared: fdr (Benjamini–Hochberg, per column) or none (benchstat's per-case p)")
	f.StringVar(&co.metrics, "metrics", "", "units to compare, comma-separated, or all (default sec/op, GFLOP/s, GB/s)")
	f.StringVar(&co.format, "format", "text", "output format: text or csv (benchstat -format; notes and warnings go to stderr)")
	f.Float64Var(&co.failPct, "fail-on-regression", 0, "exit 1 when a case got significantly worse by more than this percentage")
	return cmd
}
