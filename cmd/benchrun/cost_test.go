package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/workload"
)

const seedResults = "testdata/seed-results.txt"

// TestCostTable prices the seed CNN on the synthetic measured machine and
// the catalog: the measured option is there, priced per core, and the rows
// run cheapest headline price (on demand, else owned, else spot) first, as
// the report ranks them.
func TestCostTable(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"cost", seedResults}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	out := o.String()
	if !strings.HasPrefix(out, "seed-cnn: batch 32, 60000 samples") {
		t.Errorf("table does not start with the workload line:\n%s", out)
	}
	var prices []float64
	measured := false
	var cols []int // where the on-demand, own and spot columns start (tabwriter aligns the cells)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "option ") {
			cols = []int{strings.Index(line, "on demand"), strings.Index(line, "own"), strings.Index(line, "spot")}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 7 || f[1] != "measured" && f[1] != "catalogued" {
			continue
		}
		if len(cols) == 0 || len(line) <= cols[2] {
			t.Fatalf("row before the header, or shorter than it: %q", line)
		}
		measured = measured || f[0] == "measured-1t" && f[1] == "measured"
		for _, col := range cols {
			if v, ok := parseUSD(t, line[col:]); ok {
				prices = append(prices, v)
				break
			}
		}
	}
	if !measured {
		t.Errorf("no measured-1t row:\n%s", out)
	}
	if len(prices) < 5 {
		t.Fatalf("only %d priced rows:\n%s", len(prices), out)
	}
	for i := 1; i < len(prices); i++ {
		if prices[i] < prices[i-1] {
			t.Errorf("rows not cheapest first: %v", prices)
			break
		}
	}
	if !strings.Contains(out, "note (measured-1t): no price given") {
		t.Errorf("the per-core pricing of the measured machine is not explained:\n%s", out)
	}
}

// TestCostJSON checks the JSON estimates against the cost model called
// directly on the same inputs.
func TestCostJSON(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"cost", "--json", "--workload", "seed-cnn", seedResults}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	var doc struct {
		Workloads []struct {
			Workload  string
			Estimates []costmodel.EpochEstimate
		}
	}
	if err := json.Unmarshal(o.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	res, err := costmodel.LoadResults(seedResults)
	if err != nil {
		t.Fatal(err)
	}
	p, err := costmodel.Predict(workload.SeedCNN(), res, 1, costmodel.DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Workloads) != 1 || doc.Workloads[0].Workload != "seed-cnn" {
		t.Fatalf("workloads: %+v", doc.Workloads)
	}
	got := doc.Workloads[0].Estimates[0]
	if got.Option != "measured-1t" || got.Basis != costmodel.BasisMeasured {
		t.Fatalf("first estimate is %s (%s), want the measured machine", got.Option, got.Basis)
	}
	if math.Abs(got.EpochSeconds.Mid-p.EpochSeconds.Mid) > 1e-9*p.EpochSeconds.Mid {
		t.Errorf("measured epoch %g s, Predict says %g s", got.EpochSeconds.Mid, p.EpochSeconds.Mid)
	}
}

// TestCostBadInput: unknown workloads, bad catalogs and bad assumptions are
// usage errors that name what is wrong, with nothing on stdout.
func TestCostBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("options:\n  - id: x\n    release_year: {value: 2020, date: soon, source: me}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"cost", "--workload", "no-such-net"}, "no-such-net"},
		{[]string{"cost", "--catalog", bad}, "bad.yaml"},
		{[]string{"cost", "--utilization", "2"}, `"--utilization" flag`},
		{[]string{"cost", "--precision", "int4"}, `"--precision" flag`},
		{[]string{"cost", "no-such-file.txt"}, "no-such-file.txt"},
	} {
		var o, e bytes.Buffer
		code := run(c.args, &o, &e)
		if code != exitUsage || !strings.Contains(e.String(), c.want) || o.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit 2 naming %q", c.args, code, e.String(), o.Len(), c.want)
		}
	}
}

// parseUSD reads the price at the start of cell as FormatUSD writes it
// ("$1,234", "$0.456", "4.56¢", "15.8 µ$"); ok is false for "-".
func parseUSD(t *testing.T, cell string) (float64, bool) {
	t.Helper()
	f := strings.Fields(cell)
	if len(f) == 0 || f[0] == "-" {
		return 0, false
	}
	num, scale := f[0], 1.0
	switch {
	case strings.HasPrefix(num, "$"):
		num = num[1:]
	case strings.HasSuffix(num, "¢"):
		num, scale = strings.TrimSuffix(num, "¢"), 0.01
	case len(f) > 1 && f[1] == "µ$":
		scale = 1e-6
	default:
		t.Fatalf("price %q in no unit FormatUSD writes", cell)
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
	if err != nil {
		t.Fatalf("price %q: %v", cell, err)
	}
	return v * scale, true
}

// TestCostFormats: --format csv is one table of every workload that
// encoding/csv reads back with unscaled numbers; --format md is, per
// workload, a title, a table goldmark parses with one row per option, and
// the notes as a list after it (not swallowed as rows).
func TestCostFormats(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"cost", "--format", "csv", "--workload", "seed-cnn,resnet50-imagenet", seedResults}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	recs, err := csv.NewReader(&o).ReadAll()
	if err != nil || len(recs) < 10 {
		t.Fatalf("CSV: %d records, %v", len(recs), err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	workloads := map[string]bool{}
	for _, r := range recs[1:] {
		workloads[r[col["workload"]]] = true
		if r[col["option"]] == "measured-1t" && r[col["workload"]] == "seed-cnn" {
			if v, err := strconv.ParseFloat(r[col["epoch_s"]], 64); err != nil || !(v > 0) {
				t.Errorf("measured epoch_s %q", r[col["epoch_s"]])
			}
		}
	}
	if !workloads["seed-cnn"] || !workloads["resnet50-imagenet"] {
		t.Errorf("workloads in the CSV: %v", workloads)
	}

	o.Reset()
	if code := run([]string{"cost", "--format", "md", seedResults}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	doc := goldmark.New(goldmark.WithExtensions(extension.Table)).Parser().Parse(text.NewReader(o.Bytes()))
	var kinds []string
	rows := 0
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		kinds = append(kinds, n.Kind().String())
		if n.Kind() == east.KindTable {
			rows = n.ChildCount() - 1
		}
	}
	if strings.Join(kinds, ",") != "Paragraph,Table,List" {
		t.Errorf("Markdown blocks %v, want a title, a table and a list of notes:\n%s", kinds, o.String())
	}
	var plain bytes.Buffer
	run([]string{"cost", seedResults}, &plain, &e)
	want := 0
	for _, line := range strings.Split(plain.String(), "\n") {
		if f := strings.Fields(line); len(f) > 1 && (f[1] == "measured" || f[1] == "catalogued") {
			want++
		}
	}
	if rows != want || want < 5 {
		t.Errorf("Markdown table of %d options, the text table has %d", rows, want)
	}
	if code := run([]string{"cost", "--json", "--format", "csv", seedResults}, &o, &e); code != exitUsage {
		t.Errorf("--json --format csv: exit %d", code)
	}
}
