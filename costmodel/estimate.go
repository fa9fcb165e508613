package costmodel

import (
	"fmt"
	"math"
	"slices"
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
	// Precision the times assume (f32 on measured machines).
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
			e.PriceNote = o.Measured.PriceNote
			p, err := Predict(w, o.Measured.Results, o.Measured.Threads, a)
			if err != nil {
				e.Unavailable = err.Error()
				out = append(out, e)
				continue
			}
			e.Passes, e.StepSeconds, e.EpochSeconds = p.Passes, p.StepSeconds, p.EpochSeconds
			e.OverheadSeconds = a.StepOverheadS
			e.Interpolated, e.Notes = p.Interpolated, append(e.Notes, p.Notes...)
		} else if !roofline(&e, st, o, a) {
			out = append(out, e)
			continue
		}
		if e.MemoryGB > 0 && e.MemoryNeededGB > e.MemoryGB {
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
func peakFor(o Option, prec benchname.Precision) (benchname.Precision, float64) {
	i := slices.Index(Precisions, prec)
	order := append(slices.Clone(Precisions[i:]), Precisions[:i]...)
	for _, p := range order {
		if q, ok := o.PeakTFLOPS[p]; ok && q.Known() {
			return p, q.Value
		}
	}
	return "", 0
}

// roofline fills e's times from o's catalogued figures and cites them;
// false (with e.Unavailable set) when o has no sourced peak.
//
// Each layer pass takes max(FLOPs / (peak × eff), bytes' / (bw × memeff))
// plus the launch overhead (GPUs, TPUs), where bytes' are the workload's
// float32 bytes scaled to the precision's element size, and peak is the
// precision's for GEMM-like layers (conv, dense, linear, attention) and the
// f32 (vector) peak for the rest when the option has one. The efficiency's
// high bound gives the low time and vice versa.
func roofline(e *EpochEstimate, st workload.Step, o Option, a Assumptions) bool {
	prec, peak := peakFor(o, a.Precision)
	if peak == 0 {
		e.Unavailable = "no sourced peak FLOP/s at any precision"
		return false
	}
	e.Precision, e.PeakTFLOPS = prec, peak
	if prec != a.Precision {
		e.Notes = append(e.Notes, fmt.Sprintf("no sourced %s peak: %s assumed", a.Precision, prec))
	}
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
	launch := 0.0
	if o.Kind == KindGPU || o.Kind == KindTPU {
		launch = a.LaunchOverheadS
	}
	scale := elementBytes(prec) / 4
	eff := o.Efficiency
	step := Point(a.StepOverheadS)
	for _, lw := range st.Layers {
		p := vector
		if lw.Conv != nil || lw.Dense != nil || lw.Attention != nil {
			p = peak
		}
		for _, w := range lw.Passes {
			pt := PassTime{Layer: lw.Name, Kind: lw.Kind, Pass: w.Pass, FLOPs: w.FLOPs, Bytes: w.Bytes * scale, How: HowRoofline}
			tm := 0.0
			if bw > 0 {
				tm = pt.Bytes / bw
			}
			at := func(f float64) float64 { return max(w.FLOPs/(p*1e12*f), tm) + launch }
			pt.Seconds = Range{Low: at(eff.High), Mid: at(eff.Mid), High: at(eff.Low)}
			pt.From = "compute"
			if tm >= w.FLOPs/(p*1e12*eff.Mid) {
				pt.From = "memory"
			}
			step = step.Add(pt.Seconds)
			e.Passes = append(e.Passes, pt)
		}
	}
	e.OverheadSeconds = a.StepOverheadS + launch*float64(len(e.Passes))
	e.StepSeconds = step
	e.EpochSeconds = step.Scale(e.StepsPerEpoch)
	u := Range{Low: e.FLOPsPerEpoch / (e.EpochSeconds.High * peak * 1e12), Mid: e.FLOPsPerEpoch / (e.EpochSeconds.Mid * peak * 1e12),
		High: e.FLOPsPerEpoch / (e.EpochSeconds.Low * peak * 1e12)}
	e.Utilization = &u
	e.Sources = citations(o, prec)
	return true
}

// hoursPerYear is 365.25 days.
const hoursPerYear = 8766

// price fills the rent, own, energy and break-even fields of e.
//
//	rent      = epoch hours × $/h (on demand, spot)
//	own       = epoch hours × (purchase / (lifetime hours × utilisation)
//	            + purchase × maintenance per year / (hours per year × utilisation)
//	            + watts × PUE / 1000 × $/kWh)
//	energy    = watts × PUE × epoch hours / 1000 kWh
//	break-even hours of use H: purchase + H × (running $/h) = H × on-demand $/h
func price(e *EpochEstimate, o Option, a Assumptions) {
	hours := e.EpochSeconds.Scale(1.0 / 3600)
	if o.OnDemandUSDh.Known() {
		e.OnDemand = money(hours.Mul(o.OnDemandUSDh.Range()), "on-demand "+describe(o.OnDemandUSDh, "$/h"))
	}
	if o.SpotUSDh.Known() {
		e.Spot = money(hours.Mul(o.SpotUSDh.Range()), "spot "+describe(o.SpotUSDh, "$/h"))
	}
	if o.TDPW.Known() {
		e.Watts = o.TDPW.Value
		kwh := hours.Scale(e.Watts * a.PUE / 1000)
		e.EnergyKWh = &kwh
	}
	if !o.PurchaseUSD.Known() {
		return
	}
	running := runningUSDh(o, a) // $/h of use besides the write-off
	energyNote := "no power figure: electricity left out"
	if e.Watts > 0 {
		energyNote = fmt.Sprintf("%.4g W × PUE %.3g at $%.3g/kWh", e.Watts, a.PUE, a.ElectricityUSDkWh)
	}
	useHours := a.LifetimeYears * hoursPerYear * a.Utilization
	buy := o.PurchaseUSD.Range()
	perHour := buy.Scale(1/useHours + a.MaintenancePerYear/(hoursPerYear*a.Utilization)).Add(Point(running))
	e.Own = money(hours.Mul(perHour), fmt.Sprintf("%s written off over %.3g years at %.0f%% utilisation, maintenance %.3g%%/year; %s",
		describe(o.PurchaseUSD, "$"), a.LifetimeYears, 100*a.Utilization, 100*a.MaintenancePerYear, energyNote))
	if !o.OnDemandUSDh.Known() {
		return
	}
	rent := o.OnDemandUSDh.Range()
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

// runningUSDh is the electricity an owned option costs per hour of use (0
// without a power figure).
func runningUSDh(o Option, a Assumptions) float64 {
	if !o.TDPW.Known() {
		return 0
	}
	return o.TDPW.Value * a.PUE / 1000 * a.ElectricityUSDkWh
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

// CumulativeCost returns the cumulative cost of owning option o against
// renting it, at each of months (mid values; same formulas as Estimate's
// prices):
//
//	hours(m) = m × Utilization × 8766/12
//	own(m)   = purchase + m/12 × MaintenancePerYear × purchase + hours × running $/h
//	rent(m)  = hours × on-demand (or spot) $/h
//
// An option without a sourced purchase price is an error.
func CumulativeCost(o Option, a Assumptions, months []float64) ([]CostPoint, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if !o.PurchaseUSD.Known() {
		return nil, fmt.Errorf("costmodel: option %s has no sourced purchase price", o.ID)
	}
	buy, running := o.PurchaseUSD.Value, runningUSDh(o, a)
	out := make([]CostPoint, len(months))
	for i, m := range months {
		if !(m >= 0) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("costmodel: month %v: want a finite number ≥ 0", m)
		}
		h := m * a.Utilization * hoursPerYear / 12
		p := CostPoint{Month: m, Hours: h, Own: buy*(1+a.MaintenancePerYear*m/12) + h*running}
		if o.OnDemandUSDh.Known() {
			p.OnDemand = h * o.OnDemandUSDh.Value
		}
		if o.SpotUSDh.Known() {
			p.Spot = h * o.SpotUSDh.Value
		}
		out[i] = p
	}
	return out, nil
}

// citations cites the catalog figures a roofline estimate at precision prec
// used, those with a source.
func citations(o Option, prec benchname.Precision) []Citation {
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
	add("on-demand price", o.OnDemandUSDh)
	add("spot price", o.SpotUSDh)
	add("purchase price", o.PurchaseUSD)
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
		if c.Kind != KindCPUInstance || !c.OnDemandUSDh.Known() || c.Cores == nil || !c.Cores.Known() {
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
	perCore := best.OnDemandUSDh.Value / best.Cores.Value
	o.OnDemandUSDh = Quantity{Value: perCore * cores, Source: best.OnDemandUSDh.Source, Date: best.OnDemandUSDh.Date,
		Derived: fmt.Sprintf("%.0f cores × $%.4g per vCPU-hour of %s", cores, perCore, best.ID)}
	o.Measured.PriceNote = fmt.Sprintf("no price given: priced per core like %s ($%.4g/h for %.0f vCPUs), the catalogued CPU instance nearest in f32 peak per core", best.ID, best.OnDemandUSDh.Value, best.Cores.Value)
	return o, nil
}
