package main

import (
	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/results/compare"
)

func newCompareCmd() *cobra.Command {
	opt := compare.DefaultOptions()
	cmd := &cobra.Command{
		Use:   "compare [flags] [LABEL=]FILE...",
		Short: "Print benchstat tables of results files",
		Long: `compare prints benchstat's tables of one or more results files (benchrun's
or go test -bench output): the median of each benchmark with its 95%
confidence interval and, against the first column, the change and its
p-value. Slice the results with benchstat's keys: -col /impl puts the
implementations side by side, -row /shape ... (a key is a .config key such
as .file or machine, or /name-key of the benchmark name). Inputs given as
LABEL=FILE are labelled LABEL; several files with one label are pooled.

Unlike benchstat, tables split by unit only (not by machine or date), so
files from different machines line up.`,
		Example: `  benchrun compare old.txt new.txt
  benchrun compare -col /isa -row /shape -filter '/impl:blocked' run.txt
  benchrun compare -col machine zen5.txt spr.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("compare needs at least one results file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ins, err := compare.ReadInputs(args)
			if err != nil {
				return usageError{err}
			}
			if err := compare.Write(cmd.OutOrStdout(), ins, opt); err != nil {
				return usageError{err}
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
	return cmd
}
