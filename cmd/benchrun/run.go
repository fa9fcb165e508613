package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/bench/runner"
	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/workload"
)

// benchPkg is the package of the case table: the pkg key go test writes for
// the same benchmarks.
const benchPkg = "github.com/trainbench/trainbench/bench"

type runOptions struct {
	kernels, impls, isas, sets []string
	match                      string
	threads                    []int
	benchtime                  string
	count                      int
	quick, full                bool
	ceilings                   string
	output, label              string
	json                       bool
	report                     bool
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Detect the machine, measure its ceilings, run the benchmark suite, write a results file (the default)",
		Long: `run detects the hardware, measures its ceilings, runs the selected benchmark
cases (bench's case table, the same cases go test -bench runs) and writes the
results file in the Go benchmark format, with configuration lines describing
the machine. It prints a table of the results on stdout (JSON with --json)
and its progress on stderr.

Presets (filters narrow them further):
  default   the seed workload's kernels and the GEMM shapes at every ISA
            level and thread count, 3 runs each; about 2.5 minutes on 2 cores
  --quick   the same shapes at the highest ISA level, 1 and all cores,
            one short run each; under a minute
  --full    every shape set, implementation (naive too), level and thread
            count, 5 runs each; long (it says how long before it starts)

Ctrl-C stops after the case in progress; the results file keeps every
completed case (it is rewritten atomically after each one).`,
		Example: `  benchrun --quick
  benchrun run --kernel Sgemm --impl blocked --threads 1 --set square -o sgemm.txt
  benchrun run --kernel Conv2D --isa avx2,avx512 --count 5 --benchtime 200ms`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd.Context(), cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.kernels, "kernel", nil, "benchmark families to run, comma-separated (default: every kernel family; Peak and Stream only when named)")
	f.StringSliceVar(&o.impls, "impl", nil, "implementations (default: all but naive; --full: all)")
	f.StringSliceVar(&o.isas, "isa", nil, "ISA levels: generic, avx2, avx512 (default: every usable one; --quick: the highest)")
	f.IntSliceVar(&o.threads, "threads", nil, "thread counts (default: 1, powers of two, the core count; --quick: 1 and the core count)")
	f.StringSliceVar(&o.sets, "set", nil, `shape sets (default: a kernel's "seed" set if it has one, else its default sets; --full: all)`)
	f.StringVar(&o.match, "match", "", "run only the cases whose name matches this regular expression, e.g. 'm=1024/' (names as in go test, without Benchmark)")
	f.StringVar(&o.benchtime, "benchtime", "", "time per case, or an iteration count like 10x (default by preset: 100ms, 50ms --quick, less when there are many cases; 1s --full)")
	f.IntVar(&o.count, "count", 0, "runs of each case, interleaved (default by preset: 3, 1 --quick, 5 --full)")
	f.BoolVar(&o.quick, "quick", false, "the quick preset: under a minute")
	f.BoolVar(&o.full, "full", false, "the full preset: everything, long")
	f.StringVar(&o.ceilings, "ceilings", "", "measure the ceilings: quick, full or off (default: quick with --quick, else full)")
	f.StringVarP(&o.output, "output", "o", "", "results file (default benchrun-<label>-<date>.txt in the current directory)")
	f.StringVar(&o.label, "label", "", "machine label for the results (default from the CPU brand and core count)")
	f.BoolVar(&o.json, "json", false, "print the results as JSON on stdout instead of the table")
	f.BoolVar(&o.report, "report", true, "write the cost report folder (<results file without .txt>-report/) for the built-in workloads after the run")
	return cmd
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && cmd.HasSubCommands() {
		return usagef("unknown command %q (see %s --help)", args[0], cmd.CommandPath())
	}
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q (see %s --help)", cmd.CommandPath(), strings.Join(args, " "), cmd.CommandPath())
	}
	return nil
}

func runRun(ctx context.Context, cmd *cobra.Command, o runOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	info, err := cpu.Detect()
	if err != nil {
		return err
	}
	preset := runner.Default
	switch {
	case o.quick && o.full:
		return usagef("--quick and --full exclude each other")
	case o.quick:
		preset = runner.Quick
	case o.full:
		preset = runner.Full
	}
	sel := runner.Selection{Kernels: o.kernels, Impls: o.impls, Sets: o.sets, Threads: o.threads}
	if o.match != "" {
		re, err := regexp.Compile(o.match)
		if err != nil {
			return usagef("--match: %v", err)
		}
		sel.Match = re
	}
	for _, s := range o.isas {
		l, err := cpu.ParseLevel(s)
		if err != nil {
			return usageError{err}
		}
		sel.Levels = append(sel.Levels, l)
	}
	if o.label == "" {
		o.label = ceiling.DefaultLabel(info)
	} else if err := results.CheckLabel(o.label); err != nil {
		return usageError{err}
	}
	if o.benchtime != "" {
		if err := runner.CheckBenchtime(o.benchtime); err != nil {
			return usageError{err}
		}
	}
	count := o.count
	if cmd.Flags().Changed("count") && count < 1 {
		return usagef("--count %d: want at least 1", count)
	} else if count == 0 {
		count = preset.Count()
	}
	measure, quickCeil := true, preset.QuickCeilings()
	switch o.ceilings {
	case "":
	case "quick", "full":
		quickCeil = o.ceilings == "quick"
	case "off":
		measure = false
	default:
		return usagef("--ceilings %q: want quick, full or off", o.ceilings)
	}
	cases, err := runner.Select(sel, preset, info)
	if err != nil {
		return usageError{err}
	}
	benchtime := o.benchtime
	if benchtime == "" {
		benchtime = preset.Benchtime(len(cases) * count)
	}
	start := time.Now().UTC()
	if o.output == "" {
		o.output = fmt.Sprintf("benchrun-%s-%s.txt", o.label, start.Format("2006-01-02T1504Z"))
	}
	if st, err := os.Stat(filepath.Dir(o.output)); err != nil || !st.IsDir() {
		return usagef("cannot write %s: no directory %s", o.output, filepath.Dir(o.output))
	}

	fmt.Fprintf(stderr, "benchrun: %s (%d cores), %s preset: %d cases × %d at -benchtime %s → %s\n",
		info.Brand, info.PhysicalCores, preset, len(cases), count, benchtime, o.output)
	if preset == runner.Full {
		fmt.Fprintf(stderr, "benchrun: the full preset takes at least %s (%d runs of at least %s each, slow cases longer); Ctrl-C keeps what is done\n",
			runner.Estimate(cases, benchtime, count).Round(time.Minute), len(cases)*count, benchtime)
	}

	profile := ceiling.FromInfo(info)
	if measure {
		mode := "full"
		if quickCeil {
			mode = "quick"
		}
		fmt.Fprintf(stderr, "benchrun: measuring the ceilings (%s)\n", mode)
		p, err := ceiling.Measure(ceiling.Options{Quick: quickCeil, Threads: caseThreads(cases), Progress: prefixWriter{stderr}, Context: ctx})
		if err != nil {
			return err
		}
		profile = p
		bench.UseProfile(p)
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	hdr := results.Header{Machine: profile, Label: o.label, Date: start, Pkg: benchPkg}
	prog := newProgress(stderr)
	var done []results.Result
	var writeErr error
	ctx, stopRun := context.WithCancel(ctx) // stops the run when the file cannot be written
	defer stopRun()
	r := runner.Runner{Benchtime: benchtime, Count: count, Config: hdr.Config(), Events: func(e runner.Event) {
		prog.event(e)
		if e.Kind == runner.Done {
			done = append(done, e.Result)
			// The file holds every completed case at all times.
			if err := results.WriteFile(o.output, done); err != nil && writeErr == nil {
				writeErr = err
				stopRun()
			}
		}
	}}
	rs, runErr := r.Run(ctx, cases)
	prog.finish()
	if writeErr != nil {
		return writeErr
	}
	if len(rs) > 0 {
		if o.json {
			if err := results.WriteJSON(stdout, rs); err != nil {
				return err
			}
		} else {
			writeTable(stdout, rs)
		}
		fmt.Fprintf(stderr, "benchrun: %d results in %s (took %s; compare runs with: benchrun compare OLD %s)\n",
			len(rs), o.output, time.Since(start).Round(time.Second), o.output)
	}
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintf(stderr, "benchrun: stopped after %d of %d runs\n", len(rs), len(cases)*count)
		}
		return runErr
	}
	if len(rs) == 0 {
		return fmt.Errorf("no case could run here (see the skipped cases above)")
	}
	if o.report {
		ro := reportOptions{costFlags: defaultCostFlags(), output: strings.TrimSuffix(o.output, ".txt") + "-report"}
		ro.workloads = workload.Builtins()
		reproduce := "benchrun report -o " + ro.output + " --workload " + strings.Join(ro.workloads, ",") + " " + o.output
		if err := writeReport(stderr, ro, []string{o.output}, start, reproduce); err != nil {
			return fmt.Errorf("the results are in %s, but the report failed: %w", o.output, err)
		}
	}
	return nil
}

// caseThreads returns the thread counts of the cases, ascending, for the
// ceilings their %peak is held against.
func caseThreads(cases []bench.Case) []int {
	seen := map[int]bool{}
	var ts []int
	for _, c := range cases {
		if t := max(c.Threads, 1); !seen[t] {
			seen[t] = true
			ts = append(ts, t)
		}
	}
	slices.Sort(ts)
	return ts
}

// prefixWriter passes ceiling.Measure's progress lines on to w.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, "benchrun: "+string(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}
