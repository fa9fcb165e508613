// Package results reads and writes trainbench results files: the Go benchmark
// format (golang.org/x/perf/benchfmt), so `go test -bench` output and
// benchrun output are interchangeable and benchstat reads both.
//
// A file written by benchrun starts with configuration lines describing the
// machine and the run (see Header.Config: the CPU facts and measured
// ceilings, Go version, GOAMD64, OS/arch, the machine label and the date),
// then one line per benchmark result as go test prints them:
//
//	goos: linux
//	goarch: amd64
//	pkg: github.com/trainbench/trainbench/bench
//	cpu: AMD EPYC 9R45
//	...
//	machine: amd-epyc-9r45-2c
//	date: 2026-01-02T15:04:05Z
//
//	BenchmarkSgemm/impl=blocked/isa=avx512/threads=1/m=1024/n=1024/k=1024-2 130 8.9e+06 ns/op 241.3 GFLOP/s
//
// Files merged from several machines hold one configuration block per
// machine; every result carries the configuration in effect where it was
// read, and its Identity (the label and CPU lines) tells which machine it
// was measured on, so that readers never pool two machines. Files are written atomically (a temporary file renamed into place),
// so a reader never sees a truncated file, and read strictly: a malformed
// benchmark line is an error naming the file and line.
package results

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchunit"
)

// Value is one measurement and its unit, as written ("ns/op", "GFLOP/s",
// "GB/s", "%peak", ...).
type Value struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

// Result is one benchmark result line and the file configuration in effect
// for it.
type Result struct {
	// Name is the benchmark name without the "Benchmark" prefix, with the
	// -P (GOMAXPROCS) suffix when go test would write one:
	// "Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64-2".
	Name   string
	Iters  int     // iterations the values are averaged over
	Values []Value // measurements in the order written
	// Config is the file configuration in effect (machine, date, ...).
	// Results of one run share the slice: do not modify it in place.
	Config []KeyValue
	File   string // file read from ("" if not read)
	Line   int    // line number in File (0 if not read)
}

// BenchmarkName returns the name go test gives a benchmark named name (the
// part after "Benchmark") run at GOMAXPROCS procs: name, plus "-procs" unless
// procs is 1.
func BenchmarkName(name string, procs int) string {
	if procs == 1 {
		return name
	}
	return name + "-" + strconv.Itoa(procs)
}

// FromBenchmark converts a testing.Benchmark result of the benchmark named
// name at GOMAXPROCS procs into a Result with the given configuration. The
// values are ns/op, then MB/s when the benchmark set bytes, then the extra
// metrics sorted by unit, as go test prints them. Memory statistics (B/op,
// allocs/op) are left out, as go test leaves them out without -benchmem.
func FromBenchmark(name string, procs int, r testing.BenchmarkResult, config []KeyValue) Result {
	res := Result{Name: BenchmarkName(name, procs), Iters: r.N, Config: config}
	if r.N <= 0 {
		return res
	}
	ns, ok := r.Extra["ns/op"]
	if !ok {
		ns = float64(r.T.Nanoseconds()) / float64(r.N)
	}
	res.Values = append(res.Values, Value{Round(ns), "ns/op"})
	if r.Bytes > 0 && r.T > 0 {
		res.Values = append(res.Values, Value{Round(float64(r.Bytes) * float64(r.N) / 1e6 / r.T.Seconds()), "MB/s"})
	}
	var units []string
	for u := range r.Extra {
		switch u {
		case "ns/op", "MB/s", "B/op", "allocs/op":
			continue
		}
		units = append(units, u)
	}
	slices.Sort(units)
	for _, u := range units {
		res.Values = append(res.Values, Value{Round(r.Extra[u]), u})
	}
	return res
}

// Round keeps 6 significant digits: more than any benchmark resolves, few
// enough that files stay readable.
func Round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return f
}

// Kernel returns the benchmark family, the name's first element: "Sgemm".
func (r Result) Kernel() string {
	return string(benchfmt.Name(r.Name).Base())
}

// CaseName returns the name without the -P (GOMAXPROCS) suffix: the
// bench.Case name the result measured,
// "Sgemm/impl=blocked/isa=avx2/threads=1/m=64/n=64/k=64".
func (r Result) CaseName() string {
	_, parts := benchfmt.Name(r.Name).Parts()
	if n := len(parts); n > 0 && strings.HasPrefix(string(parts[n-1]), "-") {
		return r.Name[:len(r.Name)-len(parts[n-1])]
	}
	return r.Name
}

// Params returns the name's key=value elements in order, without the -P
// suffix. Positional elements (no '=') have an empty key.
func (r Result) Params() []KeyValue {
	_, parts := benchfmt.Name(r.Name).Parts()
	var kv []KeyValue
	for _, p := range parts {
		s := string(p)
		if !strings.HasPrefix(s, "/") {
			continue // the -P suffix
		}
		k, v, ok := strings.Cut(s[1:], "=")
		if !ok {
			k, v = "", s[1:]
		}
		kv = append(kv, KeyValue{Key: k, Value: v})
	}
	return kv
}

// Param returns the value of key in the name (impl= gives "blocked" in
// "Sgemm/impl=blocked/..."), or "".
func (r Result) Param(key string) string {
	for _, p := range r.Params() {
		if p.Key == key {
			return p.Value
		}
	}
	return ""
}

// Procs returns the -P suffix of the name: GOMAXPROCS of the run (1 when
// there is no suffix, as go test writes it).
func (r Result) Procs() int {
	_, parts := benchfmt.Name(r.Name).Parts()
	if n := len(parts); n > 0 && strings.HasPrefix(string(parts[n-1]), "-") {
		if p, err := strconv.Atoi(string(parts[n-1][1:])); err == nil {
			return p
		}
	}
	return 1
}

// Value returns the measurement in unit, as written.
func (r Result) Value(unit string) (float64, bool) {
	for _, v := range r.Values {
		if v.Unit == unit {
			return v.Value, true
		}
	}
	return 0, false
}

// Tidied returns the measurement whose unit tidies to unit, converted to
// it: the base units benchfmt's reader and benchstat report
// (benchunit.Tidy), so Tidied("sec/op") reads "12345 ns/op" as 12345e-9
// and Tidied("B/s") reads MB/s. A unit that needs no tidying (GFLOP/s) is
// found as written.
func (r Result) Tidied(unit string) (float64, bool) {
	for _, v := range r.Values {
		if tv, tu := benchunit.Tidy(v.Value, v.Unit); tu == unit {
			return tv, true
		}
	}
	return 0, false
}

// Get returns the value of configuration key, or "".
func (r Result) Get(key string) string {
	return lookup(r.Config, key)
}

func lookup(kv []KeyValue, key string) string {
	for _, c := range kv {
		if c.Key == key {
			return c.Value
		}
	}
	return ""
}
