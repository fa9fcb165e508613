package costmodel

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
)

// TestEmbeddedCatalog checks the shipped catalog has the options issue 6
// asks for and that every number is either sourced or marked unsourced
// (Validate, run by EmbeddedCatalog, enforces the latter field by field).
func TestEmbeddedCatalog(t *testing.T) {
	c := EmbeddedCatalog()
	if len(c.Options) < 12 {
		t.Errorf("%d options, want at least a dozen", len(c.Options))
	}
	for _, id := range []string{"nvidia-t4", "nvidia-l4", "nvidia-a10g", "nvidia-a100-40gb", "nvidia-a100-80gb", "nvidia-h100-sxm",
		"nvidia-h200-sxm", "amd-mi300x", "google-tpu-v5e", "nvidia-rtx-4090", "amd-ryzen9-9950x", "aws-c8g-16xlarge"} {
		if _, ok := c.Lookup(id); !ok {
			t.Errorf("catalog lacks %s", id)
		}
	}
	kinds := map[string]int{}
	for _, o := range c.Options {
		kinds[o.Kind]++
		for p, q := range o.PeakTFLOPS {
			if q.Known() && q.Source == "" {
				t.Errorf("%s peak %s has no source", o.ID, p)
			}
		}
	}
	if kinds[KindCPUInstance] < 2 || kinds[KindCPU] < 1 || kinds[KindTPU] < 1 {
		t.Errorf("kinds %v: want cloud CPU instances, a CPU to buy and a TPU", kinds)
	}
	// Spot-check values against ANCHORS.md part C.
	h100, _ := c.Lookup("nvidia-h100-sxm")
	if h100.PeakTFLOPS[benchname.BF16].Value != 989 || h100.MemoryGBs.Value != 3350 || h100.TDPW.Value != 700 {
		t.Errorf("H100 figures %+v", h100)
	}
	// The T4 and the TPU v5e are priced by their providers (they used to be
	// unpriced and so always sorted last); every price has a market.
	for _, id := range []string{"nvidia-t4", "google-tpu-v5e"} {
		o, _ := c.Lookup(id)
		if _, ok := o.PriceIn(MarketHyperscaler); !ok {
			t.Errorf("%s has no hyperscaler on-demand price", id)
		}
	}
	cal := EmbeddedCalibration()
	for _, o := range c.Options {
		if o.OnDemandUSDh != (Quantity{}) || o.SpotUSDh != (Quantity{}) {
			t.Errorf("%s: the embedded catalog gives prices in markets (prices), not on_demand_usd_h/spot_usd_h", o.ID)
		}
		// Accelerators have a family the calibration knows.
		if (o.Kind == KindGPU || o.Kind == KindTPU) && !slices.ContainsFunc(cal.Efficiency, func(e EfficiencyCell) bool { return e.Family == o.Family }) {
			t.Errorf("%s: family %q has no calibrated efficiency", o.ID, o.Family)
		}
	}
}

// TestCatalogSources: no catalog number cites internal notes, and no
// price is older than three years at the catalog's as_of date (the
// estimates mark prices older than Assumptions.MaxPriceAgeMonths stale; this
// keeps an aging catalog from passing unnoticed).
func TestCatalogSources(t *testing.T) {
	c := EmbeddedCatalog()
	asOf, err := time.Parse("2006-01", c.AsOf)
	if err != nil {
		t.Fatalf("as_of %q: %v", c.AsOf, err)
	}
	check := func(id, what string, q Quantity) {
		for _, bad := range []string{"ANCHORS", "../shared", "desk research", "issue 6"} {
			if strings.Contains(q.Source+q.Note+q.Derived, bad) {
				t.Errorf("%s %s cites internal notes (%q): %+v", id, what, bad, q)
			}
		}
	}
	for _, o := range c.Options {
		for p, q := range o.PeakTFLOPS {
			check(o.ID, string(p)+" peak", q)
		}
		for _, q := range []Quantity{o.ReleaseYear, o.MemoryGBs, o.MemoryGB, o.TDPW, o.PurchaseUSD} {
			check(o.ID, "figure", q)
		}
		for _, p := range o.Prices {
			check(o.ID, p.Market+" price", p.USDh)
			if m, ok := ageMonths(p.USDh.Date, asOf); !ok || m > 36 {
				t.Errorf("%s: %s price dated %s is more than three years before as_of %s", o.ID, p.Market, p.USDh.Date, c.AsOf)
			}
		}
	}
}

const goodOption = `options:
  - id: test-gpu
    name: Test GPU
    kind: gpu
    release_year: {value: 2024, source: "test", date: "2024-01"}
    peak_tflops:
      fp32: {value: 10, source: "test", date: "2024"}
    memory_gbs: {value: 100, source: "test", date: "2024"}
    memory_gb: {value: 16, source: "test", date: "2024"}
    tdp_w: {value: 300, source: "test", date: "2024"}
    on_demand_usd_h: {value: 1, source: "test", date: "2024"}
    spot_usd_h: {unsourced: true, note: "none"}
    purchase_usd: {value: 1000, source: "test", date: "2024"}
    efficiency: {low: 0.3, mid: 0.4, high: 0.5, source: "test", date: "2024"}
`

// TestCatalogErrors breaks one field at a time and checks the error names
// the file, the line, the option and the field.
func TestCatalogErrors(t *testing.T) {
	if _, err := ParseCatalog("good.yaml", []byte(goodOption)); err != nil {
		t.Fatalf("good catalog: %v", err)
	}
	for _, tc := range []struct {
		old, new string
		want     string // substring of the error
	}{
		{`date: "2024-01"`, `date: "Jan 2024"`, "bad.yaml:5: option test-gpu: options[0].release_year.date"},
		{`fp32: {value: 10, source: "test", date: "2024"}`, `fp32: {value: 10, date: "2024"}`, "bad.yaml:7: option test-gpu: options[0].peak_tflops.fp32.source"},
		{`fp32: {value: 10,`, `fp33: {value: 10,`, "options[0].peak_tflops.fp33: unknown precision"},
		{`memory_gbs: {value: 100,`, `memory_gbs: {value: -100,`, "bad.yaml:8: option test-gpu: options[0].memory_gbs.value"},
		{`spot_usd_h: {unsourced: true, note: "none"}`, `spot_usd_h: {unsourced: true}`, "options[0].spot_usd_h.note"},
		{`kind: gpu`, `kind: fpga`, "bad.yaml:4: option test-gpu: options[0].kind"},
		{`low: 0.3, mid: 0.4`, `low: 0.5, mid: 0.4`, "options[0].efficiency"},
		{`    tdp_w: {value: 300, source: "test", date: "2024"}` + "\n", ``, "options[0].tdp_w: missing"},
		{`kind: gpu`, "kind: gpu\n    colour: red", "bad.yaml"}, // unknown field (strict decoding)
		{`kind: gpu`, "kind: cpu", "options[0].cores: missing"},
		{`fp32: {value: 10, source: "test", date: "2024"}`, `fp32: {value: 10, source: "test", date: "2024"}` + "\n      f32: {value: 11, source: \"test\", date: \"2024\"}", "the f32 peak is given twice"},
		// Numbers out of range, with the range and unit in the error
		// (issue 15 defect 9).
		{`on_demand_usd_h: {value: 1,`, `on_demand_usd_h: {value: 1e300,`, "bad.yaml:11: option test-gpu: options[0].on_demand_usd_h.value: 1e+300, want > 0 and ≤ 10000 $/h"},
		{`on_demand_usd_h: {value: 1,`, `on_demand_usd_h: {value: .inf,`, `bad.yaml:11: options[0].on_demand_usd_h.value: ".inf" is not a finite number`},
		{`fp32: {value: 10,`, `fp32: {value: .nan,`, `bad.yaml:7: options[0].peak_tflops.fp32.value: ".nan" is not a finite number`},
		{`fp32: {value: 10,`, `fp32: {value: 1e9,`, "bad.yaml:7: option test-gpu: options[0].peak_tflops.fp32.value: 1e+09, want > 0 and ≤ 100000 TFLOPS"},
		{`purchase_usd: {value: 1000,`, `purchase_usd: {value: 0,`, "options[0].purchase_usd.value: 0, want > 0 and ≤ 10000000 $"},
		{`tdp_w: {value: 300,`, `tdp_w: {value: -300,`, "bad.yaml:10: option test-gpu: options[0].tdp_w.value: -300, want > 0 and ≤ 1000000 W"},
		{`memory_gb: {value: 16,`, `memory_gb: {value: 16, low: 20,`, "options[0].memory_gb.low: 20, want > 0 and ≤ 100000 GB and ≤ value 16"},
		{`memory_gb: {value: 16,`, `memory_gb: {value: 16, high: 1e99,`, "options[0].memory_gb.high: 1e+99"},
		{`memory_gb: {value: 16,`, `memory_gb: {value: 16, low: -1,`, "options[0].memory_gb.low: -1"},
		{`kind: gpu`, "kind: cpu\n    cores: {value: 0.5, source: \"test\", date: \"2024\"}", "bad.yaml:5: option test-gpu: options[0].cores.value: 0.5, want an integer from 1 to 100000 cores"},
		{`kind: gpu`, "kind: cpu-instance\n    cores: {value: 12.5, source: \"test\", date: \"2024\"}", "options[0].cores.value: 12.5, want an integer"},
		{`release_year: {value: 2024,`, `release_year: {value: 2024.5,`, "options[0].release_year.value: 2024.5, want an integer from 1990 to"},
		{`release_year: {value: 2024,`, `release_year: {value: 2999,`, "options[0].release_year.value: 2999"},
		{`efficiency: {low: 0.3, mid: 0.4, high: 0.5`, `efficiency: {low: 0.3, mid: 0.4, high: 1.5`, "bad.yaml:14: option test-gpu: options[0].efficiency: low 0.3, mid 0.4, high 1.5"},
		{`efficiency: {low: 0.3,`, `efficiency: {low: -.inf,`, `bad.yaml:14: options[0].efficiency.low: "-.inf" is not a finite number`},
		{`efficiency: {low: 0.3,`, "memory_efficiency: {value: 1.5, source: \"test\", date: \"2024\"}\n    efficiency: {low: 0.3,", "bad.yaml:14: option test-gpu: options[0].memory_efficiency.value: 1.5, want > 0 and ≤ 1"},
		// Dates that parse but lie in the future.
		{`fp32: {value: 10, source: "test", date: "2024"}`, `fp32: {value: 10, source: "test", date: "2999"}`, `bad.yaml:7: option test-gpu: options[0].peak_tflops.fp32.date: "2999" is in the future (today is `},
		{`date: "2024-01"`, `date: "2999-01-31"`, `options[0].release_year.date: "2999-01-31" is in the future`},
		{`high: 0.5, source: "test", date: "2024"}`, `high: 0.5, source: "test", date: "2999-12"}`, `bad.yaml:14: option test-gpu: options[0].efficiency.date: "2999-12" is in the future`},
		{`date: "2024-01"`, `date: "2024-13"`, `options[0].release_year.date: "2024-13", want YYYY, YYYY-MM or YYYY-MM-DD`},
		// Ids and names that would not print as one line.
		{`id: test-gpu`, `id: "test\ngpu"`, `bad.yaml:2: options[0].id: "test\ngpu" holds a control or non-printing character`},
		{`name: Test GPU`, `name: "` + strings.Repeat("x", 101) + `"`, `bad.yaml:3: option test-gpu: options[0].name: "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…" is longer than 100 characters`},
	} {
		bad := strings.Replace(goodOption, tc.old, tc.new, 1)
		if bad == goodOption {
			t.Fatalf("replacement %q not applied", tc.old)
		}
		_, err := ParseCatalog("bad.yaml", []byte(bad))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.ContainsAny(err.Error(), "\n\r") {
			t.Errorf("%q → %q: error %v, want it to contain %q", tc.old, tc.new, err, tc.want)
		}
	}
}

// TestValidateAtDates checks the future-date rule against a fixed clock: a
// source dated June 2026 is valid from the first of June and refused the day
// before, and a release year after the clock's is refused.
func TestValidateAtDates(t *testing.T) {
	c, err := ParseCatalog("good.yaml", []byte(strings.Replace(goodOption, `date: "2024-01"`, `date: "2026-06"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if err := c.ValidateAt(at("2026-06-01")); err != nil {
		t.Errorf("on the date itself: %v", err)
	}
	if err := c.ValidateAt(at("2026-05-31")); err == nil || !strings.Contains(err.Error(), `options[0].release_year.date: "2026-06" is in the future (today is 2026-05-31)`) {
		t.Errorf("the day before: error %v", err)
	}
	if err := c.ValidateAt(at("2023-12-31")); err == nil || !strings.Contains(err.Error(), "options[0].release_year.value: 2024, want an integer from 1990 to 2023") {
		t.Errorf("release year after the clock's: error %v", err)
	}
}

// TestLoadCatalogOverride replaces one embedded option and adds another from
// a user file.
func TestLoadCatalogOverride(t *testing.T) {
	dir := t.TempDir()
	user := strings.Replace(goodOption, "test-gpu", "nvidia-h100-sxm", 1) +
		strings.Replace(strings.TrimPrefix(goodOption, "options:\n"), "test-gpu", "my-gpu", 1)
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte(user), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalog(path)
	if err != nil {
		t.Fatal(err)
	}
	emb := EmbeddedCatalog()
	if len(c.Options) != len(emb.Options)+1 {
		t.Errorf("%d options, want %d (one replaced, one added)", len(c.Options), len(emb.Options)+1)
	}
	h, _ := c.Lookup("nvidia-h100-sxm")
	if h.Name != "Test GPU" || h.PeakTFLOPS[benchname.F32].Value != 10 {
		t.Errorf("H100 not overridden: %+v", h)
	}
	if c.Options[len(c.Options)-1].ID != "my-gpu" {
		t.Errorf("new option not appended: %v", c.IDs())
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(goodOption, `date: "2024-01"`, `date: "soon"`, 1)), 0o644)
	if _, err := LoadCatalog(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml:5") {
		t.Errorf("error %v does not name bad.yaml:5", err)
	}
}

// TestCatalogRefusesAliasBombs gives LoadCatalog a billion-laughs catalog of
// under 1 KB (its aliases expand to 10^9 strings) and a catalog over 1 MiB,
// and checks both are refused quickly, with one-line errors and bounded
// memory. Before the fix the first ran the process to tens of GB.
func TestCatalogRefusesAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("o0: &o0 [lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "o%d: &o%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*o%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("options: !!str *o9\n") // the tag made go-yaml print the whole expansion
	bomb := b.String()
	if len(bomb) >= 1024 {
		t.Fatalf("the bomb is %d bytes, want under 1 KB", len(bomb))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lol.yaml")
	if err := os.WriteFile(path, []byte(bomb), 0o644); err != nil {
		t.Fatal(err)
	}
	EmbeddedCatalog() // parse the embedded catalog outside the measurement
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadCatalog(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), path+":1: anchors and aliases") || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q, want one line naming %s:1 and the anchor", err, path)
	}
	// The embedded catalog, parsed again by LoadCatalog, costs a few MiB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB to refuse a %d-byte file", alloc>>20, len(bomb))
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(goodOption+strings.Repeat("# padding\n", 110_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCatalog(big); err == nil || err.Error() != big+": larger than 1048576 bytes" {
		t.Errorf("error %v, want %s: larger than 1048576 bytes", err, big)
	}
	if _, err := ParseCatalog("bin.yaml", []byte("\x00\x01binary")); err == nil || err.Error() != "bin.yaml: not a YAML or JSON file (byte 0 is 0x00, not text)" {
		t.Errorf("binary catalog: error %q", err)
	}
}
