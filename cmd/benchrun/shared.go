package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/bench/runner"
	"github.com/trainbench/trainbench/ceiling"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

// The pkg key of a results file names the package whose code its lines
// measure, as go test writes the package of the benchmarks it ran.
const (
	benchPkg = "github.com/trainbench/trainbench/bench" // run: bench's case table
	trainPkg = "github.com/trainbench/trainbench/nn"    // train: nn's trainer
)

// The --ceilings modes: how the machine's ceilings are measured for %peak.
const (
	ceilingsOff   = "off"
	ceilingsQuick = "quick" // ceiling.Measure's quick mode, seconds
	ceilingsFull  = "full"
)

// checkCeilings reports a --ceilings value that is no mode as a usage error.
func checkCeilings(mode string) error {
	switch mode {
	case ceilingsOff, ceilingsQuick, ceilingsFull:
		return nil
	}
	return usagef("--ceilings %q: want quick, full or off", mode)
}

// checkThreads reports a thread count outside [1, runner.MaxThreads] as a
// usage error naming --threads, so that a mistake is caught before anything
// is measured.
func checkThreads(info cpu.Info, threads ...int) error {
	limit := runner.MaxThreads(info)
	for _, t := range threads {
		if t < 1 || t > limit {
			return usagef("--threads %d: want 1 to %d (4× the %d logical CPUs)", t, limit, info.LogicalCores)
		}
	}
	return nil
}

// outDir is the folder run and train write into unless -o says otherwise:
// one place for every output, ignored by git (.gitignore), created when
// first needed.
const outDir = "trainbench-out"

// resultsOptions are the options of the commands that measure the machine
// and write a results file (run, train): the machine label, the results
// file, and the ceilings measured for %peak. register adds their flags;
// resolve fills in their defaults and checks them before anything is
// measured, so that a mistake costs no time and leaves no file.
type resultsOptions struct {
	label, output, ceilings string
	prefix                  string    // the default results file is outDir/<prefix>-<label>-<date>.txt
	start                   time.Time // when the command started (resolve): the results' date
	mkdir                   bool      // output is in outDir, which makeDir creates
}

// register adds --label, --output (-o) and --ceilings to f. The default
// results file is outDir/<prefix>-<label>-<date>.txt; ceilings is
// --ceilings' default ("" lets resolve's caller decide) and ceilingsUsage
// its help.
func (o *resultsOptions) register(f *pflag.FlagSet, prefix, ceilings, ceilingsUsage string) {
	o.prefix = prefix
	f.StringVarP(&o.output, "output", "o", "", fmt.Sprintf("results file (default %s/%s-<label>-<date>.txt, the folder created if missing)", outDir, prefix))
	f.StringVar(&o.label, "label", "", "machine label for the results (default from the CPU brand and core count)")
	f.StringVar(&o.ceilings, "ceilings", ceilings, ceilingsUsage)
}

// resolve fills in the defaults (the label from info's CPU, the file name
// in outDir from the label and the start time, ceilings for an empty
// --ceilings) and checks the label, the mode and that the file's directory
// exists (outDir may not yet: makeDir creates it). It writes nothing.
func (o *resultsOptions) resolve(info cpu.Info, ceilings string) error {
	o.start = time.Now().UTC()
	if o.label == "" {
		o.label = ceiling.DefaultLabel(info)
	} else if err := results.CheckLabel(o.label); err != nil {
		return usageError{err}
	}
	if o.ceilings == "" {
		o.ceilings = ceilings
	}
	if err := checkCeilings(o.ceilings); err != nil {
		return err
	}
	if o.output == "" {
		o.output = filepath.Join(outDir, fmt.Sprintf("%s-%s-%s.txt", o.prefix, o.label, o.start.Format("2006-01-02T1504Z")))
		o.mkdir = true
		if st, err := os.Stat(outDir); err == nil && !st.IsDir() {
			return usagef("cannot write %s: %s is not a directory (use -o)", o.output, outDir)
		}
		return nil
	}
	if st, err := os.Stat(filepath.Dir(o.output)); err != nil || !st.IsDir() {
		return usagef("cannot write %s: no directory %s", o.output, filepath.Dir(o.output))
	}
	return nil
}

// makeDir creates outDir when the results file goes there.
func (o *resultsOptions) makeDir() error {
	if !o.mkdir {
		return nil
	}
	return os.MkdirAll(outDir, 0o755)
}

// profile returns the machine profile of info, with the ceilings opt asks
// for measured in --ceilings' mode (none when it is off); what names them in
// the progress line on stderr.
func (o *resultsOptions) profile(stderr io.Writer, info cpu.Info, what string, opt ceiling.Options) (machine.Profile, error) {
	if o.ceilings == ceilingsOff {
		return ceiling.FromInfo(info), nil
	}
	fmt.Fprintf(stderr, "benchrun: measuring %s (%s)\n", what, o.ceilings)
	opt.Quick = o.ceilings == ceilingsQuick
	return ceiling.Measure(opt)
}

// header is the results file's header: the machine, the label, the start
// time, and pkg, the package the lines measure.
func (o *resultsOptions) header(p machine.Profile, pkg string) results.Header {
	return results.Header{Machine: p, Label: o.label, Date: o.start, Pkg: pkg}
}
