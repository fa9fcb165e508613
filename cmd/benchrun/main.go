// Command benchrun is trainbench's front door: it detects the hardware, runs
// the benchmark suite and prints what it measured.
//
//	go run ./cmd/benchrun            detect the CPU, run the GEMM suite briefly, print a table
//	go run ./cmd/benchrun -h         flags
//
// The cases are bench's case table, the same ones `go test -bench` runs.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/kernels/cpu"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is the whole command, with its arguments and output streams passed in
// so tests can drive it; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	benchtime := fs.Duration("benchtime", 200*time.Millisecond, "time to run each case")
	impls := fs.String("impl", "blocked,gonum", "comma-separated implementations to run")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	info, err := cpu.Detect()
	if err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 2
	}
	fmt.Fprintf(stdout, "cpu: %s (%s family %d model %d), %d cores, L1d %d KiB, L2 %d KiB, L3 %d KiB\n",
		info.Brand, info.Vendor, info.Family, info.Model, info.PhysicalCores, info.L1D>>10, info.L2>>10, info.L3>>10)
	fmt.Fprintf(stdout, "isa levels: %v; features: %s\n\n", info.Levels(), strings.Join(info.Features, " "))

	want := map[string]bool{}
	for _, s := range strings.Split(*impls, ",") {
		want[strings.TrimSpace(s)] = true
	}
	cases := bench.Filter(bench.SgemmCases([]bench.GemmShape{{M: 256, N: 256, K: 256}, {M: 1024, N: 1024, K: 1024}, {M: 3872, N: 64, K: 288}}, bench.Options{}),
		func(c bench.Case) bool { return want[c.Get("impl")] })
	if len(cases) == 0 {
		fmt.Fprintf(stderr, "benchrun: no cases match -impl %q\n", *impls)
		return 2
	}
	testing.Init()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fmt.Fprintln(stderr, "benchrun:", err)
		return 2
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tGFLOP/s\tms/op\t")
	for _, c := range cases {
		r := testing.Benchmark(c.Run)
		fmt.Fprintf(tw, "%s\t%.1f\t%.3f\t\n", c.Name(), r.Extra["GFLOP/s"], float64(r.NsPerOp())/1e6)
		tw.Flush()
	}
	return 0
}
