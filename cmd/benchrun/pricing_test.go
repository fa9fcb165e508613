package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/costmodel"
)

// TestCostFlagsRefuseBadValues gives the cost and report flags NaN, ±Inf,
// negative, absurd and non-numeric values and checks each is refused with
// exit 2 and one line naming the flag and its range (issue 15 defect 9:
// --price-per-hour 1e300 printed prices of 300 digits, --threads -1 and NaN
// went through).
func TestCostFlagsRefuseBadValues(t *testing.T) {
	for _, tc := range []struct{ flag, value, want string }{
		{"--price-per-hour", "1e300", "want a number > 0 and ≤ 10000 $/h, or 0 to price it per core"},
		{"--price-per-hour", "-0.5", "≤ 10000 $/h"},
		{"--price-per-hour", "NaN", "≤ 10000 $/h"},
		{"--purchase", "+Inf", "≤ 10000000 $"},
		{"--purchase", "1e400", "≤ 10000000 $"},
		{"--watts", "-1", "≤ 1000000 W, or 0 if unknown"},
		{"--watts", "12 W", "not a number"},
		{"--electricity", "-0.1", "want a number ≥ 0 and ≤ 10 $/kWh"},
		{"--electricity", "inf", "$/kWh"},
		{"--lifetime", "0", "want a number > 0 and ≤ 50 years"},
		{"--lifetime", "nan", "years"},
		{"--utilization", "1.5", "want a number > 0 and ≤ 1 (a fraction)"},
		{"--utilization", "0", "(a fraction)"},
		{"--threads", "-1", "want thread counts from 1 to 65536"},
		{"--threads", "0", "want thread counts from 1 to 65536"},
		{"--threads", "1.5", "want thread counts"},
		{"--threads", "4,4", "4 threads given twice"},
		{"--precision", "fp8", "want one of bf16, f16, tf32, f32"},
		{"--budget", "-1", "want a number > 0 and ≤ 1000000000 $ per epoch, or 0 for no budget"},
		{"--deadline", "Infinity", "seconds per epoch, or 0 for no deadline"},
	} {
		cmds := [][]string{{"cost"}, {"report", "-o", t.TempDir() + "/r"}}
		if tc.flag == "--budget" || tc.flag == "--deadline" {
			cmds = cmds[1:]
		}
		for _, cmd := range cmds {
			var o, e bytes.Buffer
			args := append(slices.Clone(cmd), tc.flag, tc.value)
			code := run(args, &o, &e)
			msg := strings.TrimSuffix(e.String(), "\n")
			if code != exitUsage || !strings.Contains(msg, tc.want) || !strings.Contains(msg, `for "`+tc.flag+`" flag: `) ||
				strings.Contains(msg, "\n") || strings.Contains(msg, "strconv") {
				t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s with %q", args, code, msg, tc.flag, tc.want)
			}
		}
	}
}

// TestCostFlagsAccept parses good values, zero where it means "not given",
// and repeated --threads, and checks what the flags hold.
func TestCostFlagsAccept(t *testing.T) {
	var c costFlags
	var r reportOptions
	f := pflag.NewFlagSet("cost", pflag.ContinueOnError)
	c.register(f)
	f.Var(&rangeFlag{&r.budget, flagRanges["budget"]}, "budget", "")
	err := f.Parse([]string{"--price-per-hour", "0.35", "--purchase", "0", "--watts", "250", "--electricity", "0",
		"--lifetime", "4", "--utilization", "1", "--threads", "1,2", "--threads", "8", "--precision", "FP16", "--budget", "0.5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.pricePerHour != 0.35 || c.purchaseUSD != 0 || c.watts != 250 || c.electricity != 0 || c.lifetime != 4 || c.utilization != 1 ||
		!slices.Equal(c.threads, []int{1, 2, 8}) || c.precision != "f16" || r.budget != 0.5 {
		t.Errorf("flags hold %+v, budget %v", c, r.budget)
	}
	if err := c.assumptions().Validate(); err != nil {
		t.Error(err)
	}
	if got := f.Lookup("threads").Value.String(); got != "1,2,8" {
		t.Errorf("--threads prints %q, want 1,2,8 (the report's reproduce line)", got)
	}
	d := defaultCostFlags()
	if a := d.assumptions(); a != costmodel.DefaultAssumptions() {
		t.Errorf("defaults %+v, want costmodel's %+v", a, costmodel.DefaultAssumptions())
	}
}

// FuzzPricingFlags sets every cost and report flag to arbitrary strings.
// A value is either refused with one line naming the flag, or accepted and
// then finite, in the flag's range and giving valid assumptions.
func FuzzPricingFlags(f *testing.F) {
	for _, s := range []string{"0", "0.35", "-1", "NaN", "+Inf", "1e300", "1e-320", "0x1p-2", "1_0", " 3 ", "1,2,3", "2,2", "bf16", "FP32", "", ",", "9223372036854775808", "1e9", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var c costFlags
		var r reportOptions
		fs := pflag.NewFlagSet("cost", pflag.ContinueOnError)
		c.register(fs)
		fs.Var(&rangeFlag{&r.budget, flagRanges["budget"]}, "budget", "")
		fs.Var(&rangeFlag{&r.deadline, flagRanges["deadline"]}, "deadline", "")
		floats := map[string]*float64{"price-per-hour": &c.pricePerHour, "purchase": &c.purchaseUSD, "watts": &c.watts,
			"electricity": &c.electricity, "lifetime": &c.lifetime, "utilization": &c.utilization, "pue": &c.pue, "budget": &r.budget, "deadline": &r.deadline}
		fs.VisitAll(func(fl *pflag.Flag) {
			if fl.Name == "workload" || fl.Name == "catalog" || fl.Name == "stack" || fl.Name == "market" {
				return // file and workload names, checked when read; stack and market names, checked with the assumptions
			}
			err := fs.Set(fl.Name, s)
			if err != nil {
				if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, `"--`+fl.Name+`"`) {
					t.Fatalf("--%s %q: error %q is not one line naming the flag", fl.Name, s, msg)
				}
				return
			}
			switch fl.Name {
			case "threads":
				for i, n := range c.threads {
					if n < 1 || n > maxThreads || slices.Contains(c.threads[:i], n) {
						t.Fatalf("--threads %q accepted as %v", s, c.threads)
					}
				}
			case "precision":
				if !slices.Contains(costmodel.Precisions, c.assumptions().Precision) {
					t.Fatalf("--precision %q accepted as %q", s, c.precision)
				}
			default:
				v := *floats[fl.Name]
				if math.IsNaN(v) || math.IsInf(v, 0) || !flagRanges[fl.Name].allows(v) {
					t.Fatalf("--%s %q accepted as %v", fl.Name, s, v)
				}
			}
		})
		if err := c.assumptions().Validate(); err != nil {
			t.Fatalf("flags set to %q give invalid assumptions: %v", s, err)
		}
	})
}

// TestBinaryInputsAreNotEchoed gives every command that reads a file a
// binary one (escape sequences, NUL, invalid UTF-8) as a results file, a
// catalog and a workload, and checks each is refused with exit 2 and one
// printable line naming the file (issue 15 defect 9: `compare` printed the
// file's bytes, escape sequences included, as a benchmark name).
func TestBinaryInputsAreNotEchoed(t *testing.T) {
	dir := t.TempDir()
	bin := "goos: linux\nBenchmarkX\x1b]0;pwned\x07\x1b[2J\x00\xff 10 5 ns/op\n\x7fELF\x02\x01\x01"
	for _, name := range []string{"bin.txt", "bin.yaml"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(bin), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	txt, yml := filepath.Join(dir, "bin.txt"), filepath.Join(dir, "bin.yaml")
	for _, args := range [][]string{
		{"cost", txt},
		{"compare", txt},
		{"merge", "-o", filepath.Join(dir, "m.txt"), txt},
		{"report", "-o", filepath.Join(dir, "r"), txt},
		{"cost", "--catalog", yml},
		{"cost", "--workload", yml},
	} {
		var o, e bytes.Buffer
		code := run(args, &o, &e)
		msg := strings.TrimSuffix(e.String(), "\n")
		printable := !strings.ContainsFunc(msg, func(r rune) bool { return r == utf8.RuneError || unicode.IsControl(r) })
		if code != exitUsage || !printable || !strings.Contains(msg, filepath.Join(dir, "bin.")) || !strings.Contains(msg, "not") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one printable line naming the file", args, code, msg)
		}
		if strings.Contains(o.String(), "\x1b") {
			t.Errorf("%v: stdout holds an escape sequence: %q", args, o.String())
		}
	}
}
