package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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

type runOptions struct {
	resultsOptions
	kernels, impls, isas, sets []string
	match                      string
	threads                    []int
	benchtime                  string
	count                      int
	quick, full                bool
	json                       bool
	table                      bool
	format                     formatFlag
	list                       bool
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
the machine, and the cost report beside it, both in ./trainbench-out/ unless
-o says otherwise. Its progress goes to stderr (-q: errors only).

On stdout it prints a summary of about 20 lines: the machine and its
ceilings, the best case of each kernel family, and the seed CNN's epoch on
this machine with its price and rank among the catalogued options (as
benchrun cost prices it), and those of ResNet-50 and GPT-2 small when the
run measured their whole steps (the default does, at a small size that the
cost model scales up). --table adds the full table of every case (its
median over the runs); --format csv or md prints that table as CSV or
Markdown instead, and --json the results as JSON (schema: docs/results-json.md),
with the summary on stderr. --list prints the names of the cases the flags
select, and how long they take, without running them.

Presets (filters narrow them further):
  default   the seed workload's kernels and the GEMM shapes at every ISA
            level and thread count, 6 short interleaved runs each (enough for
            compare to find a 5% change), and ResNet-50's and GPT-2's
            whole steps at the highest level; about 3.5 minutes on 2 cores
  --quick   the same shapes at the highest ISA level, 1 and all cores,
            6 shorter runs each (the steps once); about a minute
  --full    every shape set, implementation (naive too), level and thread
            count, 10 runs each; long
Every run says how long it should take before it starts.

Ctrl-C stops after the case in progress; the results file keeps every
completed case (it is rewritten atomically after each one).`,
		Example: `  benchrun --quick
  benchrun run --list --kernel Conv2D
  benchrun --quick --format csv > cases.csv
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
	f.StringVar(&o.benchtime, "benchtime", "", "time per case, or an iteration count like 10x (default by preset: 100ms, 50ms --quick, less when there are many cases; 500ms --full)")
	f.IntVar(&o.count, "count", 0, "runs of each case, interleaved (default by preset: 6, 6 --quick, 10 --full; compare needs at least 4)")
	f.BoolVar(&o.quick, "quick", false, "the quick preset: about a minute")
	f.BoolVar(&o.full, "full", false, "the full preset: everything, long")
	o.register(f, "benchrun", "", "measure the ceilings: quick, full or off (default: quick with --quick, else full)")
	f.BoolVar(&o.json, "json", false, "print the results as JSON on stdout, with per-case median, min, max and spread (schema: docs/results-json.md); the summary goes to stderr")
	f.BoolVar(&o.table, "table", false, "print the full table of every case (its median over the runs) before the summary")
	registerFormat(f, &o.format, "format of the full table; csv and md print the table alone on stdout, the summary on stderr")
	f.BoolVar(&o.list, "list", false, "print the names of the selected cases, one a line, and the time they take; run nothing")
	f.BoolVar(&o.report, "report", true, "write the cost report folder (<results file without .txt>-report/, beside it) for the built-in workloads after the run")
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
	p, err := o.plan(cmd.Flags().Changed("count"))
	if err != nil {
		return err
	}
	if o.list {
		p.announce(stderr, "")
		for _, c := range p.cases {
			fmt.Fprintln(stdout, c.Name())
		}
		return nil
	}
	if o.json && (o.table || o.format != formatText) {
		return usagef("--json prints JSON: --table and --format apply to the table")
	}
	p.announce(stderr, o.output)
	if err := o.makeDir(); err != nil {
		return err
	}
	watch := startWatch() // samples the machine around the ceilings and every case
	profile, err := o.profile(stderr, p.info, "the ceilings", ceiling.Options{Threads: caseThreads(p.cases), Progress: prefixWriter{stderr}, Context: ctx})
	if err != nil {
		return err
	}
	if o.ceilings != ceilingsOff {
		bench.UseProfile(profile)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	config := o.header(profile, benchPkg).Config()
	rs, runErr, writeErr := p.measure(ctx, stderr, o.output, config, watch.event)
	if writeErr != nil {
		return writeErr
	}
	rs, err = watch.finish(ctx, stderr, rs, watchEnd{profile: profile, probe: o.ceilings != ceilingsOff, quick: o.ceilings == ceilingsQuick,
		level: p.info.Max(), threads: caseThreads(p.cases), config: config, output: o.output})
	if err != nil {
		return err
	}
	if len(rs) > 0 {
		hint := fmt.Sprintf("compare runs with: benchrun compare OLD %s", o.output)
		if p.count < runner.MinCount {
			hint = fmt.Sprintf("%d runs of each case: too few to compare (at least %d)", p.count, runner.MinCount)
		}
		fmt.Fprintf(stderr, "benchrun: %d results in %s (took %s; %s)\n", len(rs), o.output, time.Since(o.start).Round(time.Second), hint)
	}
	sum := runSummary{profile: profile, ceilings: o.ceilings, rs: rs, output: o.output}
	if runErr != nil {
		if len(rs) > 0 {
			if err := o.print(stdout, stderr, sum); err != nil {
				return err
			}
		}
		if errors.Is(runErr, context.Canceled) {
			fmt.Fprintf(stderr, "benchrun: stopped after %d of %d runs\n", len(rs), runner.Runs(p.cases, p.count))
		}
		return runErr
	}
	if len(rs) == 0 {
		return fmt.Errorf("no case could run here (see the skipped cases above)")
	}
	var reportErr error
	if o.report {
		if reportErr = o.writeReport(stderr); reportErr == nil {
			sum.report = o.reportDir()
		}
	}
	if err := o.print(stdout, stderr, sum); err != nil {
		return err
	}
	return reportErr
}

// runPlan is what a run does, resolved from the flags and checked before
// anything is measured.
type runPlan struct {
	info      cpu.Info
	preset    runner.Preset
	cases     []bench.Case
	benchtime string
	count     int
	ceilings  string // the --ceilings mode
}

// plan checks the flags, fills in the preset's defaults and selects the
// cases; countSet says whether --count was given. Every error is a usage
// error naming the flag.
func (o *runOptions) plan(countSet bool) (runPlan, error) {
	info, err := cpu.Detect()
	if err != nil {
		return runPlan{}, err
	}
	p := runPlan{info: info, preset: runner.Default}
	switch {
	case o.quick && o.full:
		return p, usagef("--quick and --full exclude each other")
	case o.quick:
		p.preset = runner.Quick
	case o.full:
		p.preset = runner.Full
	}
	sel, err := o.selection(info)
	if err != nil {
		return p, err
	}
	if o.benchtime != "" {
		if err := runner.CheckBenchtime(o.benchtime); err != nil {
			return p, usagef("--benchtime: %v", err)
		}
	}
	p.count = o.count
	if countSet && p.count < 1 {
		return p, usagef("--count %d: want at least 1", p.count)
	} else if p.count == 0 {
		p.count = p.preset.Count()
	}
	ceilings := ceilingsFull
	if p.preset.QuickCeilings() {
		ceilings = ceilingsQuick
	}
	if err := o.resolve(info, ceilings); err != nil {
		return p, err
	}
	p.ceilings = o.ceilings
	if p.cases, err = runner.Select(sel, p.preset, info); err != nil {
		return p, usageError{err}
	}
	p.benchtime = o.benchtime
	if p.benchtime == "" {
		p.benchtime = p.preset.Benchtime(runner.Runs(p.cases, p.count))
	}
	return p, nil
}

// selection is the case selection of the --kernel, --impl, --set,
// --threads, --match and --isa flags.
func (o *runOptions) selection(info cpu.Info) (runner.Selection, error) {
	sel := runner.Selection{Kernels: o.kernels, Impls: o.impls, Sets: o.sets, Threads: o.threads}
	if err := checkThreads(info, o.threads...); err != nil {
		return sel, err
	}
	if o.match != "" {
		re, err := regexp.Compile(o.match)
		if err != nil {
			return sel, usagef("--match: %v", err)
		}
		sel.Match = re
	}
	for _, s := range o.isas {
		l, err := cpu.ParseLevel(s)
		if err != nil {
			return sel, usageError{err}
		}
		sel.Levels = append(sel.Levels, l)
	}
	return sel, nil
}

// announce says on stderr what the run will do (into output, "" for a
// --list that runs nothing) and how long it takes.
func (p runPlan) announce(stderr io.Writer, output string) {
	into := ""
	if output != "" {
		into = " → " + output
	}
	fmt.Fprintf(stderr, "benchrun: %s (%d cores), %s preset: %d cases × %d at -benchtime %s%s\n",
		p.info.Brand, p.info.PhysicalCores, p.preset, len(p.cases), p.count, p.benchtime, into)
	fmt.Fprintf(stderr, "benchrun: %s\n", p.estimate())
}

// The time measuring the ceilings takes in each --ceilings mode, about (on
// 2 cores; more thread counts take longer).
var ceilingsTime = map[string]time.Duration{ceilingsOff: 0, ceilingsQuick: 5 * time.Second, ceilingsFull: 30 * time.Second}

// estimate says how long the run takes: at least every run's benchtime
// (runner.Estimate) plus the ceilings, and typically 2-4 times the
// benchtime, which b.Loop's ramp-up and each case's set-up add to.
func (p runPlan) estimate() string {
	runs := runner.Runs(p.cases, p.count)
	least := runner.Estimate(p.cases, p.benchtime, p.count)
	if least == 0 {
		return fmt.Sprintf("%d runs of a fixed iteration count (-benchtime %s): no time estimate", runs, p.benchtime)
	}
	ceil := ceilingsTime[p.ceilings]
	round := func(d time.Duration) time.Duration {
		if d < time.Minute {
			return d.Round(time.Second)
		}
		return d.Round(10 * time.Second)
	}
	return fmt.Sprintf("the %s preset takes at least %s, typically %s-%s (%d runs of at least %s each, slow cases longer, and the ceilings); Ctrl-C keeps what is done",
		p.preset, round(least+ceil), round(2*least+ceil), round(4*least+ceil), runs, p.benchtime)
}

// measure runs the cases with progress on stderr, rewriting the results
// file at output (with configuration lines config) after each completed
// case. It returns the results and the run's error (a cancelled run keeps
// the results so far), and writeErr, a failure to write the file, which
// stops the run. Every event also goes to observe (the interference watch).
func (p runPlan) measure(ctx context.Context, stderr io.Writer, output string, config []results.KeyValue, observe func(runner.Event)) (rs []results.Result, runErr, writeErr error) {
	prog := newProgress(stderr)
	var done []results.Result
	ctx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	r := runner.Runner{Benchtime: p.benchtime, Count: p.count, Config: config, Events: func(e runner.Event) {
		observe(e)
		prog.event(e)
		if e.Kind != runner.Done || writeErr != nil {
			return
		}
		done = append(done, e.Result)
		// The file holds every completed case at all times.
		if writeErr = results.WriteFile(output, done); writeErr != nil {
			stopRun()
		}
	}}
	rs, runErr = r.Run(ctx, p.cases)
	prog.finish()
	return rs, runErr, writeErr
}

// print writes the results: on stdout the summary, after the full table
// with --table; with --json or --format csv or md, stdout gets the JSON or
// the table alone, for scripts, and the summary goes to stderr. The summary
// prices summaryWorkloads from the results file just written, as benchrun
// cost does: milliseconds, no measurement.
func (o *runOptions) print(stdout, stderr io.Writer, sum runSummary) error {
	summaryTo := stdout
	switch {
	case o.json:
		if err := writeRunJSON(stdout, sum.rs); err != nil {
			return err
		}
		summaryTo = stderr
	case o.format != formatText:
		if err := writeTable(stdout, sum.rs, o.format); err != nil {
			return err
		}
		summaryTo = stderr
	case o.table:
		if err := writeTable(stdout, sum.rs, formatText); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	cf := defaultCostFlags()
	cf.workloads = summaryWorkloads(sum.rs)
	sum.price, sum.priceErr = priceWorkloads(cf, []string{o.output})
	return sum.write(summaryTo)
}

// reportDir is the report folder beside the results file.
func (o *runOptions) reportDir() string { return strings.TrimSuffix(o.output, ".txt") + "-report" }

// writeReport writes the cost report folder of the built-in workloads
// beside the results file.
func (o *runOptions) writeReport(stderr io.Writer) error {
	ro := reportOptions{costFlags: defaultCostFlags(), output: o.reportDir()}
	ro.workloads = workload.Builtins()
	reproduce := "benchrun report -o " + ro.output + " --workload " + strings.Join(ro.workloads, ",") + " " + o.output
	if err := writeReport(stderr, ro, []string{o.output}, o.start, reproduce); err != nil {
		return fmt.Errorf("the results are in %s, but the report failed: %w", o.output, err)
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
