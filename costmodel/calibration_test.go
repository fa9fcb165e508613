package costmodel

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// TestCalibrationAnchors is the calibration's acceptance test: every scored
// anchor's estimate lies within ±25 % of its published rate (and none
// beyond ±50 %), the published figure lies inside the estimate's interval,
// the T4 training estimate does not beat a third of its published
// inference rate, and the H200 is estimated faster than the MI300X by a
// ratio inside the published band. At least ten anchors are scored.
func TestCalibrationAnchors(t *testing.T) {
	checks := Calibrate(EmbeddedCatalog(), EmbeddedCalibration(), DefaultAssumptions(), false)
	scored := 0
	for _, c := range checks {
		if c.Err != "" {
			t.Errorf("%s: %s", c.Anchor.ID, c.Err)
			continue
		}
		switch c.Anchor.Use {
		case UseScored:
			scored++
			if d := math.Abs(c.Ratio - 1); d > ScoreTolerance {
				t.Errorf("%s: estimate %.4g vs published %.4g %s (ratio %.2f), beyond ±%.0f%%", c.Anchor.ID, c.Rate.Mid, c.Anchor.Rate.Value, c.Anchor.Rate.Unit, c.Ratio, 100*ScoreTolerance)
			}
			if !c.Inside {
				t.Errorf("%s: published %.4g outside the estimate's interval %.4g–%.4g", c.Anchor.ID, c.Anchor.Rate.Value, c.Rate.Low, c.Rate.High)
			}
		case UseBound, UseRelative:
			if !c.Pass {
				t.Errorf("%s (%s): estimate %+v, ratio %.3g fails", c.Anchor.ID, c.Anchor.Use, c.Rate, c.Ratio)
			}
		}
	}
	if scored < 10 {
		t.Errorf("%d scored anchors, want at least 10", scored)
	}
}

// TestCalibrationFails shows the acceptance test can fail: halving one
// fitted cell moves its anchor out of tolerance, and a cell that makes the
// MI300X as fast as the H200 inverts the relative anchor.
func TestCalibrationFails(t *testing.T) {
	cal := EmbeddedCalibration()
	cal.Efficiency = append([]EfficiencyCell(nil), cal.Efficiency...)
	for i, e := range cal.Efficiency {
		if e.Class == ClassConvnet && e.Family == "nvidia-ampere" && e.Stack == StackEager {
			cal.Efficiency[i].Low, cal.Efficiency[i].Mid, cal.Efficiency[i].High = e.Low/2, e.Mid/2, e.High/2
		}
		if e.Class == ClassTransformer && e.Family == "amd-cdna3" && e.Stack == StackEager {
			cal.Efficiency[i].Low, cal.Efficiency[i].Mid, cal.Efficiency[i].High = 0.5, 0.5, 0.5
		}
	}
	failed := map[string]bool{}
	for _, c := range Calibrate(EmbeddedCatalog(), cal, DefaultAssumptions(), false) {
		if !c.Pass {
			failed[c.Anchor.ID] = true
		}
	}
	for _, id := range []string{"resnet50-a100-80gb-eager-amp-1gpu", "llm-h200-vs-mi300x-single-gpu-bf16"} {
		if !failed[id] {
			t.Errorf("%s passed with a broken cell", id)
		}
	}
}

// TestImpliedEfficiency: the fit recovers the efficiency that reproduces
// an anchor, so the stored cell of a single-anchor fit is its implied
// value (within the 3 significant digits the YAML keeps).
func TestImpliedEfficiency(t *testing.T) {
	cal := EmbeddedCalibration()
	for _, c := range Calibrate(EmbeddedCatalog(), cal, DefaultAssumptions(), true) {
		if c.Anchor.ID != "gpt2-a100-80gb-fused-llmc" {
			continue
		}
		cell, _ := cal.Cell(ClassTransformer, "nvidia-ampere", StackFused)
		if !near(c.Implied, cell.Mid, 0.01) {
			t.Errorf("implied %.4g, stored cell %.4g", c.Implied, cell.Mid)
		}
		return
	}
	t.Fatal("anchor gpt2-a100-80gb-fused-llmc not checked")
}

// TestCalibrationErrors: a broken calibration file names the field.
func TestCalibrationErrors(t *testing.T) {
	good := string(embeddedCalibration)
	for _, tc := range []struct{ old, new, want string }{
		{"use: scored", "use: sometimes", "anchors[0].use"},
		{"stack: eager\n    framework", "stack: jit\n    framework", "anchors[0].stack"},
		{"authority: primary\n    use: scored", "authority: famous\n    use: scored", "anchors[0].authority"},
		{"anchors: [resnet50-a100-80gb-eager-amp-1gpu", "anchors: [no-such-anchor", "no anchor"},
	} {
		bad := strings.Replace(good, tc.old, tc.new, 1)
		if bad == good {
			t.Fatalf("replacement %q not applied", tc.old)
		}
		if _, err := ParseCalibration("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to name %q", tc.new, err, tc.want)
		}
	}
}

// TestStepOverhead: the seed CNN's GPU step is a fraction of a millisecond
// of device work, so on the eager stack the host's framework cost (0.377 ms
// measured with PyTorch) and launches set the pace, the same on every GPU;
// the fused stack, without that cost (its kernels still launch one by
// one), is several times faster.
func TestStepOverhead(t *testing.T) {
	cat := EmbeddedCatalog()
	a100, _ := cat.Lookup("nvidia-a100-80gb")
	h100, _ := cat.Lookup("nvidia-h100-sxm")
	w := workload.SeedCNN()
	eager, err := Estimate(w, []Option{a100, h100}, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	stk, _ := EmbeddedCalibration().Stack(StackEager)
	floor := w.StepsPerEpoch() * stk.StepOverheadS.Value
	for _, e := range eager {
		if !e.HostBound || e.EpochSeconds.Low < floor {
			t.Errorf("%s eager: host-bound %v, epoch %+v; want host-bound and at least %.3g s (the framework cost alone)", e.Option, e.HostBound, e.EpochSeconds, floor)
		}
	}
	if !near(eager[0].EpochSeconds.Mid, eager[1].EpochSeconds.Mid, 1e-9) {
		t.Errorf("host-bound epochs differ: %v vs %v", eager[0].EpochSeconds.Mid, eager[1].EpochSeconds.Mid)
	}
	a := DefaultAssumptions()
	a.Stack = StackFused
	fused, _ := Estimate(w, []Option{a100}, a)
	if !(fused[0].EpochSeconds.Mid < eager[0].EpochSeconds.Mid/2) {
		t.Errorf("fused %+v should be well under eager %+v", fused[0].EpochSeconds, eager[0].EpochSeconds)
	}
}

// TestMicroBatching: GPT-2 small at batch 512 does not fit a 24 GB RTX
// 4090, so the step runs as micro-batches that fit; the optimizer still
// runs once a step; an option too small for the weights is unavailable.
func TestMicroBatching(t *testing.T) {
	cat := EmbeddedCatalog()
	g, _ := cat.Lookup("nvidia-rtx-4090")
	w := workload.GPT2Small()
	es, err := Estimate(w, []Option{g}, DefaultAssumptions())
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	if e.MicroSteps < 2 || e.MicroBatch*e.MicroSteps < w.Batch || e.MicroBatch*(e.MicroSteps-1) >= w.Batch {
		t.Fatalf("micro-batching %d x %d for batch %d", e.MicroSteps, e.MicroBatch, w.Batch)
	}
	st, _ := w.Step(e.MicroBatch)
	fits := (st.ParamBytes + st.GradBytes + st.OptimizerBytes + st.ActivationBytes/2) <= 24e9*DefaultAssumptions().MemoryUsable
	if !fits {
		t.Errorf("micro-batch %d does not fit 90%% of 24 GB", e.MicroBatch)
	}
	for _, p := range e.Passes {
		if p.Pass == workload.OptimizerPass && p.FLOPs > 1e10 {
			t.Errorf("optimizer pass counted %v FLOPs: once a step, not once a micro-step", p.FLOPs)
		}
	}
	tiny := g
	tiny.MemoryGB = Quantity{Value: 1, Source: "test", Date: "2026"}
	es, _ = Estimate(w, []Option{tiny}, DefaultAssumptions())
	if !strings.Contains(es[0].Unavailable, "do not leave room") {
		t.Errorf("1 GB option: unavailable %q", es[0].Unavailable)
	}
}

// TestMarkets: the A100 80GB has no hyperscaler price in the catalog, so
// the default market leaves it unpriced with a note naming its other
// markets; asking for the neocloud market prices it there.
func TestMarkets(t *testing.T) {
	o, _ := EmbeddedCatalog().Lookup("nvidia-a100-80gb")
	es, _ := Estimate(workload.ResNet50(), []Option{o}, DefaultAssumptions())
	if es[0].OnDemand != nil || !strings.Contains(strings.Join(es[0].Notes, ";"), "neocloud $2.45/h (RunPod)") {
		t.Errorf("hyperscaler market: on demand %+v, notes %v", es[0].OnDemand, es[0].Notes)
	}
	a := DefaultAssumptions()
	a.Market = MarketNeocloud
	es, _ = Estimate(workload.ResNet50(), []Option{o}, a)
	if es[0].OnDemand == nil || !strings.HasPrefix(es[0].OnDemand.Basis, "neocloud, RunPod") || es[0].Market != MarketNeocloud {
		t.Errorf("neocloud market: %+v", es[0].OnDemand)
	}
	a.Market = "bazaar"
	if err := a.Validate(); err == nil || !strings.Contains(err.Error(), "Market") {
		t.Errorf("error %v does not name Market", err)
	}
}

// TestStalePrices: a price older than MaxPriceAgeMonths is kept but listed
// in Stale with a note; measured at an earlier date it is not stale.
func TestStalePrices(t *testing.T) {
	o := testOption()
	o.OnDemandUSDh.Date = "2024-10"
	a := testAssumptions()
	a.Today = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	es, _ := Estimate(oneDense(), []Option{o}, a)
	if len(es[0].Stale) != 1 || es[0].OnDemand == nil || !strings.Contains(strings.Join(es[0].Notes, ";"), "stale hyperscaler-on-demand price: dated 2024-10, 26 months") {
		t.Errorf("stale %v, notes %v", es[0].Stale, es[0].Notes)
	}
	a.Today = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	es, _ = Estimate(oneDense(), []Option{o}, a)
	if len(es[0].Stale) != 0 {
		t.Errorf("stale %v at 2025-06", es[0].Stale)
	}
}

// TestOwnSystem: owning an H100 is priced as its share of a server (module
// plus host share) drawing 75 % of the node's 1,275 W per GPU, not the bare
// module at its TDP; a cost of capital raises the price.
func TestOwnSystem(t *testing.T) {
	o, _ := EmbeddedCatalog().Lookup("nvidia-h100-sxm")
	a := DefaultAssumptions()
	e := EpochEstimate{Option: o.ID, EpochSeconds: Point(3600), StepSeconds: Point(1)}
	price(&e, o, a)
	sys := o.PurchaseUSD.Value + o.HostUSD.Value
	want := sys/(a.LifetimeYears*hoursPerYear*a.Utilization) + 0.75*1275*a.PUE/1000*a.ElectricityUSDkWh
	if !e.OwnSystem || !near(e.Own.USD.Mid, want, 1e-9) || e.Watts != 0.75*1275 {
		t.Errorf("own %+v (system %v), watts %v; want $%.4g an hour at %v W", e.Own.USD, e.OwnSystem, e.Watts, want, 0.75*1275)
	}
	a.CostOfCapital = 0.08
	f := EpochEstimate{Option: o.ID, EpochSeconds: Point(3600), StepSeconds: Point(1)}
	price(&f, o, a)
	if !(f.Own.USD.Mid > e.Own.USD.Mid) {
		t.Errorf("8%% cost of capital: own %v, without %v", f.Own.USD.Mid, e.Own.USD.Mid)
	}
	if annuity(0, 3) != 1.0/3 || !near(annuity(0.08, 3), 0.388034, 1e-5) {
		t.Errorf("annuity(0, 3) = %v, annuity(0.08, 3) = %v", annuity(0, 3), annuity(0.08, 3))
	}
}

// TestCPUPrecision: catalogued CPUs compute in f32 by default, like the
// measured machine, even when they list a bf16 peak; asked for bf16 they
// use it.
func TestCPUPrecision(t *testing.T) {
	o, _ := EmbeddedCatalog().Lookup("amd-ryzen9-9950x")
	es, _ := Estimate(workload.SeedCNN(), []Option{o}, DefaultAssumptions())
	if es[0].Precision != benchname.F32 {
		t.Errorf("Ryzen at %s by default, want f32", es[0].Precision)
	}
	a := DefaultAssumptions()
	a.CPUPrecision = benchname.BF16
	bf, _ := Estimate(workload.SeedCNN(), []Option{o}, a)
	if bf[0].Precision != benchname.BF16 || !(bf[0].EpochSeconds.Mid < es[0].EpochSeconds.Mid) {
		t.Errorf("Ryzen at bf16: %s, %v s vs f32 %v s", bf[0].Precision, bf[0].EpochSeconds.Mid, es[0].EpochSeconds.Mid)
	}
}
