package costmodel

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

// Basis says where an estimate's times come from.
type Basis string

// The bases.
const (
	BasisCatalogued Basis = "catalogued" // roofline of the catalog's figures
	BasisMeasured   Basis = "measured"   // measured kernel throughput on the machine
)

// Money is the price of an epoch and its inverse.
type Money struct {
	USD          Range `json:"usd"`            // dollars per epoch
	EpochsPerUSD Range `json:"epochs_per_usd"` // 1/USD, bounds swapped
	// Basis explains the price: which quantities, their sources.
	Basis string `json:"basis"`
}

func money(usd Range, basis string) *Money {
	return &Money{USD: usd, EpochsPerUSD: usd.Inverse(), Basis: basis}
}

// EpochEstimate is the time, price and energy of one epoch of a workload on one
// option. When Unavailable is set the option could not be estimated and only
// the identifying fields are filled.
type EpochEstimate struct {
	Option string `json:"option"` // option id
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Basis  Basis  `json:"basis"`
	// Precision the times assume (on measured machines f32, or bf16 for the
	// conv, dense and GEMM passes: MeasuredMachine.Precision).
	Precision   benchname.Precision `json:"precision"`
	ReleaseYear int                 `json:"release_year,omitempty"` // 0 when unsourced
	PeakTFLOPS  float64             `json:"peak_tflops,omitempty"`  // catalogued: the peak used

	Workload      string  `json:"workload"`
	Batch         int     `json:"batch"`
	StepsPerEpoch float64 `json:"steps_per_epoch"`
	Params        int     `json:"params"`
	FLOPsPerEpoch float64 `json:"flops_per_epoch"`

	Passes       []PassTime `json:"passes,omitempty"`
	StepSeconds  Range      `json:"step_seconds"`
	EpochSeconds Range      `json:"epoch_seconds"`
	// OverheadSeconds is the part of a step that does not shrink when the
	// batch is split (launch and step overheads), for ScaleOut.
	OverheadSeconds float64 `json:"overhead_seconds"`
	// Utilization is FLOPsPerEpoch / (EpochSeconds × PeakTFLOPS): the model
	// FLOP utilisation the estimate implies (catalogued only).
	Utilization *Range `json:"utilization,omitempty"`

	OnDemand *Money `json:"on_demand,omitempty"` // nil: no sourced price
	Spot     *Money `json:"spot,omitempty"`
	Own      *Money `json:"own,omitempty"`
	// EnergyKWh per epoch at the option's power (TDP) × PUE; nil if the
	// power is unknown.
	EnergyKWh *Range  `json:"energy_kwh,omitempty"`
	Watts     float64 `json:"watts,omitempty"`
	// BreakEvenHours of use after which owning costs less than renting
	// on demand; BreakEvenMonths at the assumed utilisation. Nil when the
	// option cannot be both bought and rented, or renting never costs more.
	BreakEvenHours  *Range `json:"break_even_hours,omitempty"`
	BreakEvenMonths *Range `json:"break_even_months,omitempty"`

	// MemoryNeededGB is the training memory of a step (weights, gradients,
	// optimizer state, activations); MemoryGB the option's (0 unknown).
	MemoryNeededGB float64 `json:"memory_needed_gb"`
	MemoryGB       float64 `json:"memory_gb,omitempty"`
	// MicroBatch and MicroSteps: a step that does not fit in memory runs
	// as MicroSteps micro-batches of MicroBatch samples with gradient
	// accumulation (1 and the batch when it fits).
	MicroBatch int `json:"micro_batch,omitempty"`
	MicroSteps int `json:"micro_steps,omitempty"`

	// Stack and Class are the software stack and workload class a
	// catalogued estimate assumed; Efficiency the fraction of the dense
	// peak its GEMM-like passes were given, EfficiencyBasis where that
	// comes from (a calibrated cell and its anchors, or the option's own
	// range).
	Stack           string `json:"stack,omitempty"`
	Class           string `json:"class,omitempty"`
	Efficiency      *Range `json:"efficiency,omitempty"`
	EfficiencyBasis string `json:"efficiency_basis,omitempty"`
	// HostBound is set when the host's per-step cost (framework, kernel
	// launches) exceeds the device's time, so the accelerator waits.
	HostBound bool `json:"host_bound,omitempty"`
	// Market is the market OnDemand was priced in; Stale lists the prices
	// older than Assumptions.MaxPriceAgeMonths.
	Market string   `json:"market,omitempty"`
	Stale  []string `json:"stale,omitempty"`
	// OwnSystem is set when Own prices the whole machine (accelerator and
	// host share); unset, Own prices the chip alone and is a lower bound.
	OwnSystem bool `json:"own_system,omitempty"`
	// DoesNotFit, when set, says why a step cannot run on the option: its
	// memory is smaller than MemoryNeededGB. The times and prices are
	// still given (what it would cost with the memory), but the option
	// cannot run the step as the workload states it, so no answer drawn
	// from the estimates (Compare) follows it.
	DoesNotFit string `json:"does_not_fit,omitempty"`

	// Sources cite the catalog figures a catalogued estimate used: the
	// peak at its precision, the memory bandwidth, each price and the power.
	Sources []Citation `json:"sources,omitempty"`
	// PriceNote, on a measured machine the user gave no price for, says
	// how the model priced it instead (MeasuredOption); empty otherwise.
	PriceNote string `json:"price_note,omitempty"`

	// StepFrom, on a measured machine, is Prediction.StepFrom: the step
	// is the sum of its kernels (StepFromKernels) or the named measured
	// training step, scaled by StepScale (Prediction.StepScale) when that
	// step was measured at another batch or context.
	StepFrom     string   `json:"step_from,omitempty"`
	StepScale    float64  `json:"step_scale,omitempty"`
	Interpolated []string `json:"interpolated,omitempty"`
	Notes        []string `json:"notes,omitempty"`
	Unavailable  string   `json:"unavailable,omitempty"`
}

// Citation is where one figure of an estimate comes from.
type Citation struct {
	What   string `json:"what"` // "bf16 peak", "on-demand price"
	Source string `json:"source"`
	Date   string `json:"date,omitempty"`
}

// Estimate estimates one epoch of w on every option, in order. Options with
// Measured set use their measurements (Predict at their thread count);
// the others use the roofline of their catalogued figures. An option missing
// what its time needs (no sourced peak; no measurement at its thread count,
// or a layer neither measured nor coverable by its profile) comes back with
// Unavailable set, saying why; an invalid workload or assumption is an
// error.
func Estimate(w workload.Network, opts []Option, a Assumptions) ([]EpochEstimate, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	st, err := w.Step(w.Batch)
	if err != nil {
		return nil, err
	}
	var out []EpochEstimate
	for _, o := range opts {
		e := EpochEstimate{Option: o.ID, Name: o.Name, Kind: o.Kind, Basis: BasisCatalogued,
			Workload: w.Name, Batch: w.Batch, StepsPerEpoch: w.StepsPerEpoch(), Params: st.Params,
			FLOPsPerEpoch: st.FLOPs() * w.StepsPerEpoch(), MemoryNeededGB: st.MemoryBytes() / 1e9,
			Notes: slices.Clone(o.Notes)}
		if o.ReleaseYear.Known() {
			e.ReleaseYear = int(o.ReleaseYear.Value)
		}
		if o.MemoryGB.Known() {
			e.MemoryGB = o.MemoryGB.Value
		}
		if o.Measured != nil {
			e.Basis, e.Precision = BasisMeasured, benchname.F32
			if o.Measured.Precision != "" {
				e.Precision = o.Measured.Precision
			}
			e.PriceNote = o.Measured.PriceNote
			p, err := PredictPrecision(w, o.Measured.Results, o.Measured.Threads, w.Batch, e.Precision, a)
			if err != nil {
				e.Unavailable = err.Error()
				out = append(out, e)
				continue
			}
			e.Passes, e.StepSeconds, e.EpochSeconds, e.StepFrom, e.StepScale = p.Passes, p.StepSeconds, p.EpochSeconds, p.StepFrom, p.StepScale
			e.OverheadSeconds = a.StepOverheadS
			e.Interpolated, e.Notes = p.Interpolated, append(e.Notes, p.Notes...)
		} else if !roofline(&e, w, st, o, a) {
			out = append(out, e)
			continue
		}
		// A catalogued option runs a step that does not fit as micro-batches
		// (roofline); a measured machine was measured at the stated batch.
		if e.Basis == BasisMeasured && e.MemoryGB > 0 && e.MemoryNeededGB > e.MemoryGB {
			e.DoesNotFit = fmt.Sprintf("a step needs %.3g GB (weights, gradients, optimizer state, activations at batch %d) but the option has %.3g GB", e.MemoryNeededGB, w.Batch, e.MemoryGB)
			e.Notes = append(e.Notes, e.DoesNotFit)
		}
		price(&e, o, a)
		if err := e.check(); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// peakFor returns the sourced peak (TFLOP/s) at precision prec, falling
// back through Precisions from prec toward f32 and then to any sourced one.
// bf16 and f16 stand in for each other first: every catalogued
// accelerator's dense tensor rate is the same for both.
func peakFor(o Option, prec benchname.Precision) (benchname.Precision, float64) {
	i := slices.Index(Precisions, prec)
	order := append(slices.Clone(Precisions[i:]), Precisions[:i]...)
	switch prec {
	case benchname.BF16:
		order = append([]benchname.Precision{benchname.BF16, benchname.F16}, order...)
	case benchname.F16:
		order = append([]benchname.Precision{benchname.F16, benchname.BF16}, order...)
	}
	for _, p := range order {
		if q, ok := o.PeakTFLOPS[p]; ok && q.Known() {
			return p, q.Value
		}
	}
	return "", 0
}

// elementwise reports whether a layer kind is an element-wise pass a
// fusing stack folds into its neighbours.
func elementwise(k workload.Kind) bool {
	switch k {
	case workload.BatchNorm, workload.ReLU, workload.GELU, workload.LayerNorm, workload.Add:
		return true
	}
	return false
}

// efficiencyFor returns the GEMM efficiency of o for class on stack at
// precision prec and where it comes from: the calibrated cell of o's
// family (times the precision's factor), else o's own range.
func efficiencyFor(o Option, class, stack string, prec benchname.Precision, cal Calibration) (Range, string) {
	if c, ok := cal.Cell(class, o.Family, stack); ok {
		f := cal.precisionFactor(prec)
		r := Range{Low: c.Low * f, Mid: c.Mid * f, High: c.High * f}
		basis := c.Basis()
		if f != 1 {
			basis += fmt.Sprintf(", times %.2g at %s", f, prec)
		}
		return r, basis
	}
	e := o.Efficiency
	return Range{Low: e.Low, Mid: e.Mid, High: e.High}, fmt.Sprintf("the option's own range [%s, %s] (no calibrated %s/%s/%s cell)", e.Source, e.Date, class, o.Family, stack)
}

// microBatch returns the micro-batch and the number of micro-steps a step
// of batch b runs as on an option with usable bytes of memory, given the
// memory that does not scale with the batch (static) and the activations
// of one sample; k = 0 when not even one sample fits.
func microBatch(b int, static, perSample, usable float64) (m, k int) {
	if usable <= 0 || static+perSample*float64(b) <= usable {
		return b, 1
	}
	fit := int(math.Floor((usable - static) / perSample))
	if fit < 1 {
		return 0, 0
	}
	k = (b + fit - 1) / fit
	return (b + k - 1) / k, k
}

// roofline fills e's times from o's catalogued figures and cites them;
// false (with e.Unavailable set) when o has no sourced peak or the step
// does not fit its memory even one sample at a time.
//
// Each layer pass takes max(FLOPs / (peak × eff), bytes' / (bw × memeff)),
// where bytes' are the workload's float32 bytes scaled to the precision's
// element size (and, for element-wise passes on a fusing stack, by the
// stack's element-wise traffic), peak is the precision's for GEMM-like
// layers (conv, dense, linear, attention) and the f32 (vector) peak for the
// rest, and eff is the calibrated efficiency of the workload's class, the
// option's family and the stack (efficiencyFor). The efficiency's high
// bound gives the low time and vice versa.
//
// A step that does not fit MemoryUsable of the option's memory runs as
// micro-batches (microBatch): the forward and backward passes once per
// micro-step, the optimizer once. On an accelerator the step takes the
// longer of the device's time (the passes) and the host's (the stack's
// framework cost per micro-step plus a launch per kernel), because the
// host queues kernels ahead; on a CPU the two add up.
func roofline(e *EpochEstimate, w workload.Network, st workload.Step, o Option, a Assumptions) bool {
	cal := a.calibration()
	accel := o.Kind == KindGPU || o.Kind == KindTPU
	want := a.Precision
	if !accel {
		want = a.CPUPrecision
	}
	prec, peak := peakFor(o, want)
	if peak == 0 {
		e.Unavailable = "no sourced peak FLOP/s at any precision"
		return false
	}
	e.Precision, e.PeakTFLOPS = prec, peak
	// A peak the catalog gives as a range (a derived figure) widens the
	// interval: the low time at its high bound and vice versa.
	peakR := o.PeakTFLOPS[prec].Range()
	if prec != want {
		e.Notes = append(e.Notes, fmt.Sprintf("no sourced %s peak: %s assumed", want, prec))
	}
	stack := a.Stack
	if o.Kind == KindTPU {
		stack = StackCompiled
	}
	stk, _ := cal.Stack(stack)
	e.Stack, e.Class = stack, WorkloadClass(w)
	eff, basis := efficiencyFor(o, e.Class, stack, prec, cal)
	e.Efficiency, e.EfficiencyBasis = &eff, basis
	vector := peak
	if q, ok := o.PeakTFLOPS[benchname.F32]; ok && q.Known() {
		vector = q.Value
	}
	bw := 0.0
	if o.MemoryGBs.Known() {
		memEff := a.MemoryEfficiency
		if o.MemEfficiency != nil && o.MemEfficiency.Known() {
			memEff = o.MemEfficiency.Value
		}
		bw = o.MemoryGBs.Value * 1e9 * memEff
	} else {
		e.Notes = append(e.Notes, "no sourced memory bandwidth: memory-bound passes are timed by their FLOPs only (too fast)")
	}
	scale := elementBytes(prec) / 4

	// Memory: weights, gradients and optimizer state in f32 (mixed
	// precision keeps f32 master weights and moments), activations at the
	// training precision.
	static := st.ParamBytes + st.GradBytes + st.OptimizerBytes
	perSample := st.ActivationBytes * scale / float64(st.Batch)
	e.MemoryNeededGB = (static + perSample*float64(st.Batch)) / 1e9
	usable := 0.0
	if accel && o.MemoryGB.Known() {
		usable = o.MemoryGB.Value * 1e9 * a.MemoryUsable
	}
	mb, k := microBatch(st.Batch, static, perSample, usable)
	if k == 0 {
		e.Unavailable = fmt.Sprintf("weights, gradients and optimizer state (%.3g GB) do not leave room for one sample in %.0f%% of %.3g GB", static/1e9, 100*a.MemoryUsable, o.MemoryGB.Value)
		return false
	}
	e.MicroBatch, e.MicroSteps = mb, k
	micro := st
	if k > 1 {
		var err error
		if micro, err = w.Step(mb); err != nil {
			e.Unavailable = err.Error()
			return false
		}
		e.Notes = append(e.Notes, fmt.Sprintf("a step at batch %d needs %.3g GB, more than %.0f%% of %.3g GB: %d micro-batches of %d with gradient accumulation",
			st.Batch, e.MemoryNeededGB, 100*a.MemoryUsable, o.MemoryGB.Value, k, mb))
	}

	launch := Point(0)
	if accel && a.LaunchOverheadS > 0 {
		f := a.LaunchOverheadS / stk.LaunchS.Value
		launch = stk.LaunchS.Range().Scale(f)
	}
	fused := stack != StackEager
	device := Point(0)
	launches := 0.0
	for _, lw := range micro.Layers {
		p := Point(vector)
		if lw.Conv != nil || lw.Dense != nil || lw.Attention != nil {
			p = peakR
		}
		for _, pw := range lw.Passes {
			times := float64(k) // forward and backward once per micro-step
			if pw.Pass == workload.OptimizerPass {
				times = 1
			}
			bytes := pw.Bytes * scale
			if elementwise(lw.Kind) {
				bytes *= stk.ElementwiseTraffic.Value
			}
			if !(fused && elementwise(lw.Kind)) {
				launches += times
			}
			pt := PassTime{Layer: lw.Name, Kind: lw.Kind, Pass: pw.Pass, FLOPs: pw.FLOPs * times, Bytes: bytes * times, How: HowRoofline}
			tm := 0.0
			if bw > 0 {
				tm = bytes / bw
			}
			at := func(peak, f float64) float64 { return max(pw.FLOPs/(peak*1e12*f), tm) * times }
			pt.Seconds = Range{Low: at(p.High, eff.High), Mid: at(p.Mid, eff.Mid), High: at(p.Low, eff.Low)}
			pt.From = "compute"
			if tm >= pw.FLOPs/(p.Mid*1e12*eff.Mid) {
				pt.From = "memory"
			}
			device = device.Add(pt.Seconds)
			e.Passes = append(e.Passes, pt)
		}
	}
	framework := stk.StepOverheadS.Range().Scale(float64(k))
	host := framework.Add(launch.Scale(launches))
	var step Range
	if accel {
		step = Range{Low: max(device.Low, host.Low), Mid: max(device.Mid, host.Mid), High: max(device.High, host.High)}
		if host.Mid > device.Mid {
			e.HostBound = true
			e.Notes = append(e.Notes, fmt.Sprintf("host-bound: the %s stack's per-step cost and %.0f kernel launches (%.3g ms) exceed the device's %.3g ms a step",
				stack, launches, 1e3*host.Mid, 1e3*device.Mid))
		}
	} else {
		step = device.Add(framework)
	}
	step = step.Add(Point(a.StepOverheadS))
	e.OverheadSeconds = a.StepOverheadS + host.Mid
	e.StepSeconds = step
	e.EpochSeconds = step.Scale(e.StepsPerEpoch)
	u := Range{Low: e.FLOPsPerEpoch / (e.EpochSeconds.High * peak * 1e12), Mid: e.FLOPsPerEpoch / (e.EpochSeconds.Mid * peak * 1e12),
		High: e.FLOPsPerEpoch / (e.EpochSeconds.Low * peak * 1e12)}
	e.Utilization = &u
	e.Sources = append(citations(o, prec, a.Market), Citation{What: "GEMM efficiency", Source: basis})
	return true
}

// hoursPerYear is 365.25 days.
const hoursPerYear = 8766

// price fills the rent, own, energy and break-even fields of e.
//
//	rent      = epoch hours × $/h in Assumptions.Market (and spot)
//	power     = node power per accelerator (else TDP × ChipToNodePower) × PowerDraw
//	own       = epoch hours × (system × annuity(CostOfCapital, lifetime) / (hours per year × utilisation)
//	            + system × maintenance per year / (hours per year × utilisation)
//	            + power × PUE / 1000 × $/kWh)
//	energy    = power × PUE × epoch hours / 1000 kWh
//	break-even hours of use H: system + H × (running $/h) = H × rent $/h
//
// system is the purchase price plus the host share when the catalog gives
// one (else the chip alone, which Own says). Prices older than
// MaxPriceAgeMonths are listed in Stale and noted.
func price(e *EpochEstimate, o Option, a Assumptions) {
	hours := e.EpochSeconds.Scale(1.0 / 3600)
	e.Market = a.Market
	if p, ok := o.PriceIn(a.Market); ok {
		e.OnDemand = money(hours.Mul(p.USDh.Range()), priceBasis(p))
		checkStale(e, a, p.Market+" price", p.USDh)
	} else if others := otherMarkets(o, a.Market); others != "" {
		e.Notes = append(e.Notes, fmt.Sprintf("no %s price; in other markets: %s", a.Market, others))
	}
	if a.Market != MarketSpot {
		if p, ok := o.PriceIn(MarketSpot); ok {
			e.Spot = money(hours.Mul(p.USDh.Range()), priceBasis(p))
			checkStale(e, a, "spot price", p.USDh)
		}
	}
	watts, powerNote := drawnWatts(o, a)
	if watts > 0 {
		e.Watts = watts
		kwh := hours.Scale(e.Watts * a.PUE / 1000)
		e.EnergyKWh = &kwh
	}
	if !o.PurchaseUSD.Known() {
		return
	}
	checkStale(e, a, "purchase price", o.PurchaseUSD)
	buy, system := systemPrice(o)
	e.OwnSystem = system
	running := runningUSDh(o, a) // $/h of use besides the write-off
	energyNote := "no power figure: electricity left out"
	if watts > 0 {
		energyNote = fmt.Sprintf("%.4g W (%s) × PUE %.3g at $%.3g/kWh", watts, powerNote, a.PUE, a.ElectricityUSDkWh)
	}
	what := describe(o.PurchaseUSD, "$") + " for the chip alone (a lower bound: no host machine)"
	if system {
		what = describe(o.PurchaseUSD, "$") + " + host " + describe(*o.HostUSD, "$")
	}
	writeOff := annuity(a.CostOfCapital, a.LifetimeYears) / (hoursPerYear * a.Utilization)
	perHour := buy.Scale(writeOff + a.MaintenancePerYear/(hoursPerYear*a.Utilization)).Add(Point(running))
	e.Own = money(hours.Mul(perHour), fmt.Sprintf("%s written off over %.3g years at %.0f%% utilisation, cost of capital %.3g%%, maintenance %.3g%%/year; %s",
		what, a.LifetimeYears, 100*a.Utilization, 100*a.CostOfCapital, 100*a.MaintenancePerYear, energyNote))
	p, ok := o.PriceIn(a.Market)
	if !ok {
		return
	}
	rent := p.USDh.Range()
	maint := buy.Scale(a.MaintenancePerYear / (hoursPerYear * a.Utilization))
	// Earliest break-even: cheapest purchase against the dearest rent.
	be := func(buy, rent, maint float64) float64 { return buy / (rent - running - maint) }
	if rent.Low-running-maint.High <= 0 {
		e.Notes = append(e.Notes, "at the lowest rent, renting costs no more per hour than running an owned one: no break-even")
		return
	}
	h := Range{Low: be(buy.Low, rent.High, maint.Low), Mid: be(buy.Mid, rent.Mid, maint.Mid), High: be(buy.High, rent.Low, maint.High)}
	e.BreakEvenHours = &h
	months := h.Scale(1 / (a.Utilization * hoursPerYear / 12))
	e.BreakEvenMonths = &months
}

// annuity is the yearly payment that repays 1 over years at rate r (1/years
// when r is 0).
func annuity(r, years float64) float64 {
	if r == 0 {
		return 1 / years
	}
	return r / (1 - math.Pow(1+r, -years))
}

// systemPrice is what owning o costs up front: its purchase price plus the
// host share when the catalog gives one (system true), else the chip alone.
func systemPrice(o Option) (Range, bool) {
	buy := o.PurchaseUSD.Range()
	if o.HostUSD != nil && o.HostUSD.Known() {
		return buy.Add(o.HostUSD.Range()), true
	}
	return buy, false
}

// drawnWatts is the power an owned o draws while training and how it was
// found: a measured machine's is the user's figure; a catalogued option's
// is its node power per accelerator, else its TDP × ChipToNodePower, times
// PowerDraw.
func drawnWatts(o Option, a Assumptions) (float64, string) {
	switch {
	case o.Measured != nil:
		if o.TDPW.Known() {
			return o.TDPW.Value, "as given"
		}
	case o.NodePowerW != nil && o.NodePowerW.Known():
		return o.NodePowerW.Value * a.PowerDraw, fmt.Sprintf("%.0f%% of the node's %.4g W per accelerator", 100*a.PowerDraw, o.NodePowerW.Value)
	case o.TDPW.Known():
		return o.TDPW.Value * a.ChipToNodePower * a.PowerDraw, fmt.Sprintf("%.0f%% of %.3g × the chip's %.4g W", 100*a.PowerDraw, a.ChipToNodePower, o.TDPW.Value)
	}
	return 0, ""
}

// priceBasis describes a rental price: market, provider, offer, region,
// value and source.
func priceBasis(p Price) string {
	s := p.Market + ", " + p.Provider
	if p.Offer != "" {
		s += " " + p.Offer
	}
	if p.Region != "" {
		s += " (" + p.Region + ")"
	}
	return s + ": " + describe(p.USDh, "$/h")
}

// otherMarkets lists o's prices outside market m ("neocloud $2.45/h
// (RunPod)"), for the note of an option not offered in m.
func otherMarkets(o Option, m string) string {
	var parts []string
	for _, q := range Markets {
		if q == m {
			continue
		}
		for _, p := range o.Prices {
			if p.Market == q && p.USDh.Known() {
				parts = append(parts, fmt.Sprintf("%s $%.4g/h (%s)", q, p.USDh.Value, p.Provider))
			}
		}
	}
	return strings.Join(parts, ", ")
}

// checkStale notes a price older than MaxPriceAgeMonths at Assumptions.Today.
func checkStale(e *EpochEstimate, a Assumptions, what string, q Quantity) {
	if !q.Known() || q.Source == "user input" {
		return
	}
	if months, ok := ageMonths(q.Date, a.today()); ok && months > a.MaxPriceAgeMonths {
		e.Stale = append(e.Stale, what)
		e.Notes = append(e.Notes, fmt.Sprintf("stale %s: dated %s, %d months before %s (older than %d)", what, q.Date, months, a.today().Format("2006-01"), a.MaxPriceAgeMonths))
	}
}

// ageMonths is the number of whole months from the start of date (YYYY,
// YYYY-MM or YYYY-MM-DD) to now.
func ageMonths(date string, now time.Time) (int, bool) {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, date); err == nil {
			return (now.Year()-t.Year())*12 + int(now.Month()) - int(t.Month()), true
		}
	}
	return 0, false
}

// runningUSDh is the electricity an owned option costs per hour of use (0
// without a power figure).
func runningUSDh(o Option, a Assumptions) float64 {
	w, _ := drawnWatts(o, a)
	return w * a.PUE / 1000 * a.ElectricityUSDkWh
}

// CostPoint is what using an option has cost after Month months at the
// assumed utilisation: owning it (purchase, maintenance and electricity so
// far) against renting it on demand or spot for the same hours. A price the
// option lacks is 0.
type CostPoint struct {
	Month    float64 `json:"month"`
	Hours    float64 `json:"hours"`
	Own      float64 `json:"own"`
	OnDemand float64 `json:"on_demand,omitempty"`
	Spot     float64 `json:"spot,omitempty"`
}

// CumulativeCost returns the cumulative cost of owning option o (the
// system: purchase and host share) against renting it in
// Assumptions.Market and on spot, at each of months (mid values; same
// formulas as Estimate's prices):
//
//	hours(m) = m × Utilization × 8766/12
//	own(m)   = system + m/12 × MaintenancePerYear × system + hours × running $/h
//	rent(m)  = hours × market (or spot) $/h
//
// An option without a sourced purchase price is an error.
func CumulativeCost(o Option, a Assumptions, months []float64) ([]CostPoint, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if !o.PurchaseUSD.Known() {
		return nil, fmt.Errorf("costmodel: option %s has no sourced purchase price", o.ID)
	}
	sys, _ := systemPrice(o)
	buy, running := sys.Mid, runningUSDh(o, a)
	rent, rentOK := o.PriceIn(a.Market)
	spot, spotOK := o.PriceIn(MarketSpot)
	out := make([]CostPoint, len(months))
	for i, m := range months {
		if !(m >= 0) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("costmodel: month %v: want a finite number ≥ 0", m)
		}
		h := m * a.Utilization * hoursPerYear / 12
		p := CostPoint{Month: m, Hours: h, Own: buy*(1+a.MaintenancePerYear*m/12) + h*running}
		if rentOK {
			p.OnDemand = h * rent.USDh.Value
		}
		if spotOK {
			p.Spot = h * spot.USDh.Value
		}
		out[i] = p
	}
	return out, nil
}

// citations cites the catalog figures a roofline estimate at precision prec
// used, those with a source: the peak, the bandwidth, the prices in market
// and on spot, the purchase and host prices and the power.
func citations(o Option, prec benchname.Precision, market string) []Citation {
	var out []Citation
	add := func(what string, q Quantity) {
		if q.Known() && q.Source != "" {
			out = append(out, Citation{What: what, Source: q.Source, Date: q.Date})
		}
	}
	if q, ok := o.PeakTFLOPS[prec]; ok {
		add(string(prec)+" peak", q)
	}
	add("memory bandwidth", o.MemoryGBs)
	if p, ok := o.PriceIn(market); ok {
		add(market+" price ("+p.Provider+")", p.USDh)
	}
	if p, ok := o.PriceIn(MarketSpot); ok && market != MarketSpot {
		add("spot price ("+p.Provider+")", p.USDh)
	}
	add("purchase price", o.PurchaseUSD)
	if o.HostUSD != nil {
		add("host share", *o.HostUSD)
	}
	if o.NodePowerW != nil {
		add("node power", *o.NodePowerW)
	}
	add("power", o.TDPW)
	return out
}

// describe renders a quantity with its unit, range and source for a Basis.
func describe(q Quantity, unit string) string {
	s := fmt.Sprintf("%.4g %s", q.Value, unit)
	if q.Low > 0 || q.High > 0 {
		r := q.Range()
		s += fmt.Sprintf(" (%.4g–%.4g)", r.Low, r.High)
	}
	if q.Derived != "" {
		s += ", " + q.Derived
	}
	return s + " [" + q.Source + ", " + q.Date + "]"
}

// check makes sure no NaN or Inf leaves the model.
func (e EpochEstimate) check() error {
	rs := []Range{e.StepSeconds, e.EpochSeconds}
	for _, m := range []*Money{e.OnDemand, e.Spot, e.Own} {
		if m != nil {
			rs = append(rs, m.USD, m.EpochsPerUSD)
		}
	}
	for _, r := range []*Range{e.EnergyKWh, e.BreakEvenHours, e.BreakEvenMonths, e.Utilization} {
		if r != nil {
			rs = append(rs, *r)
		}
	}
	for _, p := range e.Passes {
		rs = append(rs, p.Seconds)
	}
	for _, r := range rs {
		if !r.finite() || r.Low > r.Mid*(1+1e-12) || r.Mid > r.High*(1+1e-12) || r.Low < 0 {
			return fmt.Errorf("costmodel: option %s: internal error: range %+v is not finite and ordered", e.Option, r)
		}
	}
	return nil
}

// MeasuredMachine is a measured machine as an option: its results, the
// thread count to predict at and, when the user gave no price, how the
// model priced it instead.
type MeasuredMachine struct {
	Results   *Results
	Threads   int
	PriceNote string // carried into the estimate's PriceNote
	// Precision the machine is priced at (MeasuredPrecisions; empty is
	// f32): at bf16 its conv, dense and GEMM passes come from its prec=bf16
	// cases (MeasuredPrecisionOption, PredictPrecision).
	Precision benchname.Precision
}

// LocalPrice is what the user says a measured machine costs. Zero fields
// are unknown.
type LocalPrice struct {
	USDPerHour  float64 // rent, or the user's own hourly figure (--price-per-hour)
	PurchaseUSD float64 // to price owning
	Watts       float64 // power drawn while training, for energy and owning
}

// MeasuredOption makes the machine of m an option, estimated from its
// measurements at threads. Its prices are the user's (p, with source "user
// input"); with neither an hourly nor a purchase price it is priced per core
// like the nearest catalogued CPU instance (the one whose sourced f32 peak
// per core is closest to the measured peak per core; the machine's cores
// are its profile's, else threads), and Measured.PriceNote says so (its
// estimate carries the note as PriceNote, so a report can cite it without
// reading prose).
func MeasuredOption(id, name string, m *Results, threads int, p LocalPrice, cat Catalog) (Option, error) {
	if m == nil {
		return Option{}, fmt.Errorf("costmodel: no measurements")
	}
	if id == "" {
		id = "local"
	}
	if name == "" {
		name = m.Profile.CPU
		if name == "" {
			name = "this machine"
		}
		name += fmt.Sprintf(" (measured, %d threads)", threads)
	}
	today := time.Now().UTC().Format("2006-01-02")
	user := func(v float64) Quantity {
		if v <= 0 {
			return Quantity{Unsourced: true, Note: "not given"}
		}
		return Quantity{Value: v, Source: "user input", Date: today}
	}
	cores := float64(m.Profile.Cores)
	if cores == 0 {
		cores = float64(threads)
	}
	o := Option{ID: id, Name: name, Kind: KindCPU, Cores: &Quantity{Value: cores, Source: "measured profile", Date: today},
		ReleaseYear:  Quantity{Unsourced: true, Note: "a measured machine"},
		PeakTFLOPS:   map[benchname.Precision]Quantity{},
		MemoryGBs:    Quantity{Unsourced: true, Note: "measured"},
		MemoryGB:     Quantity{Unsourced: true, Note: "not measured"},
		TDPW:         user(p.Watts),
		OnDemandUSDh: user(p.USDPerHour), SpotUSDh: Quantity{Unsourced: true, Note: "not given"},
		PurchaseUSD: user(p.PurchaseUSD),
		Measured:    &MeasuredMachine{Results: m, Threads: threads},
	}
	if p.USDPerHour > 0 || p.PurchaseUSD > 0 {
		return o, nil
	}
	local := 0.0
	for _, k := range m.Profile.Peaks {
		if k.Prec == benchname.F32 && k.Threads == 1 {
			local = max(local, k.GFLOPS)
		}
	}
	var best *Option
	bestD := math.Inf(1)
	for i, c := range cat.Options {
		if _, ok := c.AnyOnDemand(); c.Kind != KindCPUInstance || !ok || c.Cores == nil || !c.Cores.Known() {
			continue
		}
		d := math.Inf(1) / 2 // instances without a peak rank after those with one
		if q, ok := c.PeakTFLOPS[benchname.F32]; ok && q.Known() && local > 0 {
			d = math.Abs(math.Log(q.Value * 1e3 / c.Cores.Value / local))
		}
		if best == nil || d < bestD {
			best, bestD = &cat.Options[i], d
		}
	}
	if best == nil {
		o.Measured.PriceNote = "no price given and no catalogued CPU instance with a price: the machine is not priced"
		return o, nil
	}
	bp, _ := best.AnyOnDemand()
	perCore := bp.USDh.Value / best.Cores.Value
	o.OnDemandUSDh = Quantity{Value: perCore * cores, Source: bp.USDh.Source, Date: bp.USDh.Date,
		Derived: fmt.Sprintf("%.0f cores × $%.4g per vCPU-hour of %s (%s)", cores, perCore, best.ID, bp.Market)}
	o.Measured.PriceNote = fmt.Sprintf("no price given: priced per core like %s ($%.4g/h for %.0f vCPUs, %s), the catalogued CPU instance nearest in f32 peak per core", best.ID, bp.USDh.Value, best.Cores.Value, bp.Market)
	return o, nil
}
