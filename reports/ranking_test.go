package reports

import (
	"math"
	"strings"
	"testing"
)

func opt(name string, secs, onDemand float64) Option {
	return Option{Name: name, Kind: Catalogued, Seconds: Point(secs), OnDemand: Point(onDemand)}
}

func TestPareto(t *testing.T) {
	opts := []Option{
		opt("slow-cheap", 100, 1),
		opt("fast-dear", 10, 10),
		opt("dominated", 50, 20), // slower and dearer than fast-dear
		opt("middle", 40, 4),
		opt("tie-dearer", 40, 5), // same time as middle, dearer
		{Name: "unpriced", Seconds: Point(1)},
	}
	var got []string
	for _, o := range pareto(opts) {
		got = append(got, o.Name)
	}
	if want := "fast-dear middle slow-cheap"; strings.Join(got, " ") != want {
		t.Errorf("frontier %v, want %s", got, want)
	}
}

func TestBreakEven(t *testing.T) {
	// Own: $1,200 up front, then $20 a month; rent: $120 a month. Owning
	// catches up when 1200 + 20m = 120m, at m = 12 months ($1,440).
	var pts []CostPoint
	for m := 0.0; m <= 24; m += 6 {
		pts = append(pts, CostPoint{Month: m, Own: 1200 + 20*m, OnDemand: 120 * m})
	}
	m, d, ok := breakEven(pts, func(p CostPoint) float64 { return p.OnDemand })
	if !ok || math.Abs(m-12) > 1e-9 || math.Abs(d-1440) > 1e-9 {
		t.Errorf("break-even at %v months, $%v (%v), want 12 months, $1440", m, d, ok)
	}
	if _, _, ok := breakEven(pts, func(p CostPoint) float64 { return p.Spot }); ok {
		t.Error("break-even against a spot series that was not given")
	}
	// Renting at $30 a month never catches up within 24 months.
	for i := range pts {
		pts[i].Spot = 30 * pts[i].Month
	}
	if m, _, ok := breakEven(pts, func(p CostPoint) float64 { return p.Spot }); ok {
		t.Errorf("break-even at %v months against cheap spot, want none", m)
	}
}

func TestRecommend(t *testing.T) {
	w := Workload{Name: "w", Options: []Option{
		opt("fast-dear", 10, 10),
		opt("middle", 40, 4),
		opt("slow-cheap", 100, 1),
	}}
	w.Options[2].Spot = Point(0.5)
	pick := func(budget, deadline float64) []string {
		var out []string
		for _, r := range recommend(&w, budget, deadline, 1) {
			out = append(out, r.Label+"="+r.Option)
		}
		return out
	}
	cases := []struct {
		budget, deadline float64
		want             string
	}{
		{0, 0, "Cheapest=slow-cheap Fastest=fast-dear"},
		{5, 0, "Cheapest=slow-cheap Fastest=fast-dear Fastest within $5.00 per epoch=middle"},
		{0, 60, "Cheapest=slow-cheap Fastest=fast-dear Cheapest within 1 min per epoch=middle"},
		{5, 20, "Cheapest=slow-cheap Fastest=fast-dear Cheapest within $5.00 and 20 s per epoch="},
	}
	for _, c := range cases {
		if got := strings.Join(pick(c.budget, c.deadline), " "); got != c.want {
			t.Errorf("budget %v, deadline %v: %s, want %s", c.budget, c.deadline, got, c.want)
		}
	}
	// The headline rule: on demand where rentable, even though slow-cheap
	// is cheaper still on spot; benchrun cost sorts by the same rule.
	if d := recommend(&w, 0, 0, 1)[0].Detail; !strings.Contains(d, "rent on demand") || !strings.Contains(d, "$1.00") {
		t.Errorf("cheapest detail %q should name on demand at $1.00", d)
	}
	// A measured machine is placed among the options.
	w.Options = append(w.Options, Option{Name: "mine", Kind: Measured, Seconds: Point(50), Own: Point(2)})
	var mine []string
	for _, r := range recommend(&w, 0, 0, 1000) {
		if r.Label == "Your machine" {
			mine = append(mine, r.Option+": "+r.Detail)
		}
	}
	if want := "mine: 50 s an epoch, $2,000 per 1,000 epochs (own): rank 2 of 4 by price, 3 of 4 by time"; len(mine) != 1 || mine[0] != want {
		t.Errorf("measured machine %q, want %q", mine, want)
	}
}

func TestFormat(t *testing.T) {
	cases := []struct{ got, want string }{
		{sig(0.0123456), "0.0123"},
		{sig(4.5678), "4.57"},
		{sig(789.4), "789"},
		{sig(12345), "12,300"},
		{FormatUSD(1849.4), "$1,849"},
		{FormatUSD(2.5), "$2.50"},
		{FormatUSD(0.456), "$0.456"},
		{FormatUSD(0.0456), "4.56¢"},
		{FormatUSD(0.00123), "0.123¢"},
		{FormatUSD(0.000126), "126 µ$"},
		{FormatUSD(0.0000158), "15.8 µ$"},
		{FormatUSD(0), "$0"},
		{sig(9.99996e-6), "0.0000100"},
		{sig(0.0009996), "0.00100"},
		{sig(999.6), "1,000"},
		{sig(-0.0123456), "-0.0123"},
		{FormatEnergy(9.99996e-6), "10.0 mWh"},
		{FormatEnergy(0.0403), "40.3 Wh"},
		{FormatEnergy(2.5), "2.50 kWh"},
		{FormatEnergy(1500), "1.50 MWh"},
		{perEpochs(1).String(), "per epoch"},
		{perEpochs(1000).String(), "per 1,000 epochs"},
		{perEpochs(1000).usd(0.0000158), "1.58¢"},
		{fmtMoneyTick(0.05), "5¢"},
		{fmtMoneyTick(0.0002), "200 µ$"},
		{FormatSeconds(4.4), "4.4 s"},
		{FormatSeconds(90), "1.5 min"},
		{FormatSeconds(7200), "2 h"},
		{FormatSeconds(3 * 86400), "3 days"},
		{FormatSecondsRange(Range{30, 60, 5400}), "0.00833–1.5 h"},
		{fmtMoneyTick(0.5), "$0.50"},
		{fmtMoneyTick(2), "$2"},
		{fmtTick(0.100), "0.1"},
		{slug("ResNet-50 / ImageNet!"), "resnet-50-imagenet"},
		{slug("***"), "workload"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestQuote checks that a workload whose epochs cost under a cent is quoted
// per 1,000 (or a million) epochs, and one that costs more per epoch.
func TestQuote(t *testing.T) {
	for _, c := range []struct {
		cheapest float64
		want     perEpochs
	}{{2.5, 1}, {0.01, 1}, {0.0099, 1000}, {0.0000158, 1000}, {0.000009, 1e6}} {
		w := Workload{Options: []Option{opt("a", 1, 3), {Name: "b", Kind: Catalogued, Own: Point(c.cheapest)}}}
		if got := quoteFor(&w); got != c.want {
			t.Errorf("cheapest $%v: quoted %s, want %s", c.cheapest, got, c.want)
		}
	}
	if got := quoteFor(&Workload{}); got != 1 {
		t.Errorf("no prices: quoted %s, want per epoch", got)
	}
}

func TestTicks(t *testing.T) {
	labels := func(ts []struct {
		v float64
		l string
	}) string {
		var s []string
		for _, x := range ts {
			if x.l != "" {
				s = append(s, x.l)
			}
		}
		return strings.Join(s, " ")
	}
	conv := func(lo, hi float64, log bool) string {
		var out []struct {
			v float64
			l string
		}
		if log {
			for _, x := range (logTicks{fmtTick}).Ticks(lo, hi) {
				out = append(out, struct {
					v float64
					l string
				}{x.Value, x.Label})
			}
		} else {
			for _, x := range (linTicks{fmtTick}).Ticks(lo, hi) {
				out = append(out, struct {
					v float64
					l string
				}{x.Value, x.Label})
			}
		}
		return labels(out)
	}
	cases := []struct {
		lo, hi float64
		log    bool
		want   string
	}{
		{0.1, 100, true, "0.1 1 10 100"},
		{0.2, 20, true, "0.2 0.5 1 2 5 10 20"},
		{0.01, 1e5, true, "0.01 0.1 1 10 100 1,000 10,000 100,000"},
		{3, 5, true, "3 5"},
		{0, 4.9, false, "0 1 2 3 4"},
		{0, 0.0018, false, "0 0.0005 0.001 0.0015"},
	}
	for _, c := range cases {
		if got := conv(c.lo, c.hi, c.log); got != c.want {
			t.Errorf("ticks %v..%v (log %v): %s, want %s", c.lo, c.hi, c.log, got, c.want)
		}
	}
}

func TestKernelViews(t *testing.T) {
	k := func(impl, isa string, threads int, shape string, g float64) KernelPoint {
		return KernelPoint{Kernel: "Sgemm", Impl: impl, ISA: isa, Threads: threads, Shape: shape, GFLOPS: g, Intensity: 10}
	}
	ks := []KernelPoint{
		k("naive", "generic", 1, "a", 1), k("naive", "generic", 1, "b", 2),
		k("blocked", "avx2", 1, "a", 4), k("blocked", "avx2", 1, "b", 32), // 4x and 16x: geomean 8x
		k("blocked", "avx512", 1, "a", 10), // only shape a: 10x
		k("blocked", "avx512", 2, "a", 19), k("blocked", "avx2", 2, "a", 7),
		k("gonum", "generic", 1, "c", 5), // no naive on shape c: left out
	}
	sps, threads := isaSpeedups(ks)
	if threads != 1 {
		t.Errorf("speed-ups at %d threads, want 1", threads)
	}
	var got []string
	for _, s := range sps {
		got = append(got, s.Variant+"="+sig(s.Factor))
	}
	if want := "naive=1.00 blocked avx2=8.00 blocked avx512=10.0"; strings.Join(got, " ") != want {
		t.Errorf("speed-ups %v, want %s", got, want)
	}
	series := threadScaling(ks)
	if len(series) != 2 || series[0].ISA != "avx2" || series[1].ISA != "avx512" || len(series[1].Points) != 2 {
		t.Errorf("scaling series %+v, want avx2 and avx512 at 1 and 2 threads", series)
	}
	v := roofline(ks, Ceilings{Peaks: []Peak{{"avx512", 1, 100}}, Bandwidths: []Bandwidth{{"DRAM", 1, 20}}})
	if v.Threads != 2 || len(v.Points) != 2 || len(v.Peaks) != 1 || !strings.Contains(v.Note, "ceilings measured at 1 thread, kernels at 2") {
		t.Errorf("roofline view %+v, want the 2-thread points against the 1-thread ceilings, with a note", v)
	}
}

// TestCitation checks that the report prints sources without the project's
// internal references, and marks a source with nothing else left unsourced.
func TestCitation(t *testing.T) {
	for in, want := range map[string]string{
		"on-demand price: ANCHORS C row 8: Vultr $1.85, TensorWave $1.71 (~2025)":  "on-demand price: Vultr $1.85, TensorWave $1.71 (~2025)",
		"power: ANCHORS C row 14 (semivoice.com; chipsandcheese)":                  "power: semivoice.com; chipsandcheese",
		"efficiency: publicly reported training MFU 35-60% (issue 6; ANCHORS C.2)": "efficiency: publicly reported training MFU 35-60%",
		"high: OpenBLAS sgemm on Zen 5 (shared/anchors/RESULTS.md section 3)":      "high: OpenBLAS sgemm on Zen 5",
		"see ../shared/research/ANCHORS.md":                                        "see",
		"power: ANCHORS C row 14":                                                  "",
		"NVIDIA datasheet (oneDNN#1992)":                                           "NVIDIA datasheet (oneDNN#1992)",
		"github.com/epoch-research/training-cost-trends, hardware.py":              "github.com/epoch-research/training-cost-trends, hardware.py",
		"see ../research/ANCHORS.md":                                               "see",
	} {
		if got := citation(in); got != want {
			t.Errorf("citation(%q) = %q, want %q", in, got, want)
		}
	}
	c := sourcesCell([]Source{{Name: "power: ANCHORS C row 14", Date: "2024"}, {Name: "ANCHORS C.2"}})
	if len(c.Links) != 2 || c.Links[0].Text != "power: unsourced (2024)" || c.Links[1].Text != "unsourced" {
		t.Errorf("sources %+v, want power: unsourced (2024), unsourced", c.Links)
	}
}

// TestShare: no share above 100% is printed as a fact.
func TestShare(t *testing.T) {
	for r, want := range map[float64]string{0.5: "50%", 1: "100%", 1.004: "100%", 1.07: "flagged (107%)", 5.13: "flagged (513%)"} {
		if got := share(r); got != want {
			t.Errorf("share(%v) = %q, want %q", r, got, want)
		}
	}
}
