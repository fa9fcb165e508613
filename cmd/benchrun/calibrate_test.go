package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/costmodel"
)

// TestCalibrateTable prints every anchor and a summary whose counts meet
// the calibration goal: at least ten scored anchors within 25 %, none
// beyond 50 %, every published figure inside the interval, the bound and
// the H200/MI300X order respected.
func TestCalibrateTable(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"calibrate"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	out := o.String()
	for _, id := range []string{"resnet50-a100-80gb-eager-amp-1gpu", "gpt2-h100-sxm-fused-llmc", "llm-h200-vs-mi300x-single-gpu-bf16", "resnet50-t4-amp-inference-bound"} {
		if !strings.Contains(out, id) {
			t.Errorf("no row for %s:\n%s", id, out)
		}
	}
	m := regexp.MustCompile(`scored anchors: (\d+) of (\d+) within 25%, (\d+) off by more than 50%, (\d+) of (\d+) published`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line:\n%s", out)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	if n(1) < 10 || n(3) != 0 || n(4) != n(5) {
		t.Errorf("summary %q", m[0])
	}
	if !strings.Contains(out, "bounds respected: 1 of 1; relative orders and ratios inside the published band: 1 of 1") {
		t.Errorf("bound or relative check fails:\n%s", out)
	}
}

// TestCalibrateJSON: --json --fit gives the checks with implied
// efficiencies.
func TestCalibrateJSON(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"calibrate", "--json", "--fit"}, &o, &e); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	var checks []costmodel.AnchorCheck
	if err := json.Unmarshal(o.Bytes(), &checks); err != nil {
		t.Fatal(err)
	}
	implied := 0
	for _, c := range checks {
		if c.Implied > 0 {
			implied++
		}
	}
	if len(checks) < 12 || implied < 10 {
		t.Errorf("%d checks, %d with an implied efficiency", len(checks), implied)
	}
}
