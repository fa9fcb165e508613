// Command benchrun is trainbench's front door: it detects the hardware,
// measures the machine's ceilings, runs the benchmark suite and writes a
// results file, and compares and merges results files.
//
//	benchrun [run] [flags]        detect, measure, run the suite, write results (the default)
//	benchrun detect [--json]      print the machine profile
//	benchrun compare FILE...      benchstat tables of results files
//	benchrun merge -o OUT FILE... combine results files (several machines) into one
//	benchrun cost [RESULTS...]    time, price and energy of an epoch per workload and hardware option
//	benchrun calibrate [--fit]    the catalogued estimates against published training runs
//	benchrun report -o DIR [RESULTS...]  the report folder: plots, index.html, summary.md
//	benchrun train [--threads N] [--predict RESULTS]  train the seed CNN on MNIST, time every epoch
//
// The cases are bench's case table, the same ones `go test -bench` runs, and
// results files are in the Go benchmark format: benchstat reads benchrun's
// files, and every subcommand reads `go test -bench` output. Each subcommand
// lives in its own file (run.go, detect.go, compare.go, merge.go, cost.go,
// calibrate.go, report.go, train.go) and is added to the root command in newRoot; the options run and train share
// (--label, --output, --ceilings) are resultsOptions in shared.go.
//
// Long flags take one dash or two (-benchtime 1s, --benchtime 1s, -col
// /impl), as with go test and benchstat. -q (--quiet) leaves only errors on
// stderr; --version prints trainbench's version and commit, as every
// results file records them (trainbench-version).
//
// Exit codes: 0 success, 1 failure, 2 bad usage or input, 130 interrupted
// (Ctrl-C; the results completed so far are kept).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/results"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the whole command, with its arguments and output streams passed in
// so tests can drive it; it returns the exit code. Ctrl-C (SIGINT) and
// SIGTERM cancel the context the subcommands run under: run stops after the
// case in progress. A second Ctrl-C kills the process at once (the results
// file on disk is complete up to the last finished case).
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next signal gets the default action
	}()
	return execute(ctx, args, stdout, stderr)
}

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// usageError marks an error in the command line or the input: exit code 2.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// execute runs the command line args under ctx and returns the exit code.
// Errors are one line on stderr.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(longFlags(root, args))
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "benchrun: interrupted")
		return exitInterrupted
	}
	fmt.Fprintln(stderr, "benchrun:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

// longFlags lets long flags take one dash as well as two, as go test's and
// benchstat's do (-benchtime 1s, -col /impl): "-name" and "-name=value"
// become "--name..." when name is a long flag of a command of root. Anything
// else is left to pflag, so "-oxyz" stays the shorthand -o with the value
// xyz. Arguments after "--" are left alone.
func longFlags(root *cobra.Command, args []string) []string {
	names := longFlagNames(root)
	out := make([]string, len(args))
	for i, a := range args {
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && names[name] {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

// longFlagNames returns the names of the long flags (two letters or more)
// of c and its subcommands, --help included.
func longFlagNames(c *cobra.Command) map[string]bool {
	names := map[string]bool{}
	add := func(f *pflag.Flag) {
		if len(f.Name) > 1 {
			names[f.Name] = true
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		c.Flags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(c)
	return names
}

// newRoot builds the command tree. The bare command is `run`.
func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "benchrun",
		Short: "Benchmark this machine's ML training kernels and compare the results",
		Long: `benchrun detects the hardware, measures its ceilings (peak FLOP/s, memory
bandwidth), runs the benchmark suite and writes a results file in the Go
benchmark format (readable by benchstat). Without a subcommand it runs "run".`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       results.BuildEnv().Version,
	}
	env := results.BuildEnv()
	root.SetVersionTemplate(fmt.Sprintf("benchrun {{.Version}} %s %s/%s\n", env.GoVersion, env.GOOS, env.GOARCH))
	root.InitDefaultVersionFlag() // registered now, so that -version works as --version (longFlags)
	var quiet bool
	root.PersistentFlags().BoolVarP(&quiet, "quiet", "q", false, "errors only on stderr: no progress, notes or warnings (stdout is unchanged)")
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if quiet {
			cmd.SetErr(io.Discard) // execute prints errors to its own stderr
		}
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	runCmd := newRunCmd()
	root.AddCommand(runCmd, newDetectCmd(), newCompareCmd(), newMergeCmd(), newCostCmd(), newCalibrateCmd(), newReportCmd(), newTrainCmd())
	// The bare command is run, with run's flags.
	root.Flags().AddFlagSet(runCmd.Flags())
	root.Args = noArgs
	root.RunE = runCmd.RunE
	return root
}

// writeJSON prints v as indented JSON (the --json output of every subcommand).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
