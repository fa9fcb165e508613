package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/workload"
)

const seedResults = "testdata/seed-results.txt"

// TestCostTable prices the seed CNN on the synthetic measured machine and
// the catalog: the measured option is there, priced per core, and the rows
// run cheapest on-demand first.
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
	col := -1 // where the on-demand column starts (tabwriter aligns the cells)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "option ") {
			col = strings.Index(line, "on demand")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 7 || f[1] != "measured" && f[1] != "catalogued" {
			continue
		}
		if col < 0 || len(line) <= col {
			t.Fatalf("row before the header, or shorter than it: %q", line)
		}
		measured = measured || f[0] == "measured-1t" && f[1] == "measured"
		cell := strings.Fields(line[col:])[0]
		if p, ok := strings.CutPrefix(cell, "$"); ok {
			v, err := strconv.ParseFloat(strings.ReplaceAll(p, ",", ""), 64)
			if err != nil {
				t.Fatalf("price %q: %v", cell, err)
			}
			prices = append(prices, v)
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
