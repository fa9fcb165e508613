package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/workload"
)

// CostInput is what the cost model found, in the form FromCost turns into a
// report: the measured machine's results (nil when none), the catalog and
// assumptions the estimates used, and each workload's estimates.
type CostInput struct {
	Title     string
	Generated time.Time
	Results   *costmodel.Results
	Catalog   costmodel.Catalog
	// Assumptions are the ones the estimates were made with.
	Assumptions costmodel.Assumptions
	// Interconnect is the link of the scale-out plot.
	Interconnect costmodel.Interconnect
	Workloads    []WorkloadEstimates
	// BudgetPerEpoch (US $) and DeadlinePerEpoch (s), when positive, drive
	// the recommendations.
	BudgetPerEpoch, DeadlinePerEpoch float64
	Reproduce                        string
	Notes                            []string
}

// WorkloadEstimates is one workload and its estimates (costmodel.Estimate).
type WorkloadEstimates struct {
	Network   workload.Network
	Estimates []costmodel.EpochEstimate
}

// ScaleOutMachines are the machine counts of the scale-out plot.
var ScaleOutMachines = []int{1, 2, 4, 8, 16, 32, 64}

// FromCost builds a report Input from the cost model's estimates: every
// estimated option with its prices and sources, scale-out of the measured
// machine and of the cheapest and fastest catalogued options, buy against
// rent for the option that is cheapest to own, and the measured machine's
// kernels and ceilings. Options the model could not estimate are listed in
// the workload's notes.
func FromCost(c CostInput) (Input, error) {
	in := Input{
		Title: c.Title, Generated: c.Generated, Reproduce: c.Reproduce, Notes: slices.Clone(c.Notes),
		BudgetPerEpoch: c.BudgetPerEpoch, DeadlinePerEpoch: c.DeadlinePerEpoch,
	}
	if c.Results != nil {
		p := c.Results.Profile
		if p.CPU != "" || c.Results.HasProfile {
			for _, kv := range p.ConfigLines() {
				in.Machine = append(in.Machine, KV{Key: kv.Key, Value: kv.Value})
			}
		}
		for _, k := range p.Peaks {
			if k.Prec == benchname.F32 {
				in.Ceilings.Peaks = append(in.Ceilings.Peaks, Peak{ISA: k.ISA, Threads: k.Threads, GFLOPS: k.GFLOPS})
			}
		}
		for _, b := range p.Caches {
			in.Ceilings.Bandwidths = append(in.Ceilings.Bandwidths, Bandwidth{Level: b.Level, Threads: b.Threads, GBps: b.GBs})
		}
		for _, k := range c.Results.Cases {
			if k.GFLOPS.Center <= 0 || math.IsNaN(k.GFLOPS.Center) {
				continue
			}
			kernel := k.Kernel
			if k.Pass != "" {
				kernel += " " + k.Pass
			}
			shape := k.Shape
			if shape == "" {
				shape = fmt.Sprintf("%dx%dx%d", k.M, k.N, k.K)
			}
			in.Kernels = append(in.Kernels, KernelPoint{Kernel: kernel, Impl: k.Impl, ISA: k.ISA, Threads: k.Threads,
				Shape: shape, GFLOPS: k.GFLOPS.Center, Intensity: max(k.Intensity, 0)})
		}
	}
	for _, d := range c.Assumptions.Describe() {
		in.Assumptions = append(in.Assumptions, Assumption{Name: "cost model", Value: d,
			Source: Source{Name: "trainbench defaults or the command line (costmodel.Assumptions)"}})
	}
	ic := c.Interconnect
	if ic.LinkGBs == 0 {
		ic = costmodel.DefaultInterconnect()
	}
	link := fmt.Sprintf("%.3g GB/s per machine, %.3g µs latency, ring all-reduce of float32 gradients", ic.LinkGBs, ic.LatencyS*1e6)
	if ic.Overlap {
		link += ", overlapped with the backward pass"
	} else {
		link += ", after the backward pass"
	}
	in.Assumptions = append(in.Assumptions, Assumption{Name: "scale-out", Value: link,
		Source: Source{Name: "costmodel.DefaultInterconnect (100 Gb/s Ethernet)"}})

	for _, w := range c.Workloads {
		rw, err := workloadReport(w, c, ic, link)
		if err != nil {
			return Input{}, err
		}
		in.Workloads = append(in.Workloads, rw)
	}
	return in, in.Validate()
}

// workloadReport converts one workload's estimates.
func workloadReport(w WorkloadEstimates, c CostInput, ic costmodel.Interconnect, link string) (Workload, error) {
	n := w.Network
	rw := Workload{Name: n.Name, Description: fmt.Sprintf("batch %d, %d samples an epoch", n.Batch, n.Samples)}
	var ok []costmodel.EpochEstimate
	for _, e := range w.Estimates {
		if e.Unavailable != "" {
			rw.Notes = append(rw.Notes, fmt.Sprintf("%s: not estimated: %s", e.Name, e.Unavailable))
			continue
		}
		ok = append(ok, e)
	}
	if len(ok) > 0 {
		e := ok[0]
		rw.Description += fmt.Sprintf(", %.3g FLOP an epoch, %d parameters; %s precision on catalogued accelerators, f32 on measured machines",
			e.FLOPsPerEpoch, e.Params, c.Assumptions.Precision)
	}
	for _, e := range ok {
		o := Option{Name: e.Name, Kind: Catalogued, Seconds: rng(e.EpochSeconds), ReleaseYear: e.ReleaseYear}
		if e.Basis == costmodel.BasisMeasured {
			o.Kind = Measured
			o.Note = "predicted from the kernels measured on this machine"
			if len(e.Interpolated) > 0 {
				o.Note += fmt.Sprintf(" (%d layer passes interpolated from nearby shapes)", len(e.Interpolated))
			}
			for _, note := range e.Notes {
				if strings.HasPrefix(note, "no price given") {
					o.Sources = append(o.Sources, Source{Name: note})
				}
			}
		} else if e.Utilization != nil {
			o.Note = fmt.Sprintf("roofline estimate: %.2g–%.2g%% of the %.4g TFLOP/s peak", 100*e.Utilization.Low, 100*e.Utilization.High, e.PeakTFLOPS)
		}
		if e.OnDemand != nil {
			o.OnDemand = rng(e.OnDemand.USD)
		}
		if e.Spot != nil {
			o.Spot = rng(e.Spot.USD)
		}
		if e.Own != nil {
			o.Own = rng(e.Own.USD)
		}
		if e.EnergyKWh != nil {
			o.KWh = rng(*e.EnergyKWh)
		}
		if co, found := c.Catalog.Lookup(e.Option); found {
			o.Sources = append(o.Sources, catalogSources(co, e.Precision)...)
		}
		rw.Options = append(rw.Options, o)
	}

	// Scale-out: the measured machine with the most threads, the cheapest
	// and the fastest catalogued options.
	var picks []costmodel.EpochEstimate
	pick := func(better func(a, b costmodel.EpochEstimate) bool, keep func(costmodel.EpochEstimate) bool) {
		var best *costmodel.EpochEstimate
		for i := range ok {
			if keep(ok[i]) && (best == nil || better(ok[i], *best)) {
				best = &ok[i]
			}
		}
		if best != nil && !slices.ContainsFunc(picks, func(p costmodel.EpochEstimate) bool { return p.Option == best.Option }) {
			picks = append(picks, *best)
		}
	}
	measured := func(e costmodel.EpochEstimate) bool { return e.Basis == costmodel.BasisMeasured }
	cataloguedPriced := func(e costmodel.EpochEstimate) bool { return !measured(e) && e.OnDemand != nil }
	pick(func(a, b costmodel.EpochEstimate) bool { return a.EpochSeconds.Mid < b.EpochSeconds.Mid }, measured)
	pick(func(a, b costmodel.EpochEstimate) bool { return a.OnDemand.USD.Mid < b.OnDemand.USD.Mid }, cataloguedPriced)
	pick(func(a, b costmodel.EpochEstimate) bool { return a.EpochSeconds.Mid < b.EpochSeconds.Mid }, cataloguedPriced)
	for _, e := range picks {
		pts, err := costmodel.ScaleOut(e, ScaleOutMachines, ic)
		if err != nil {
			return Workload{}, err
		}
		s := ScaleSeries{Option: e.Name, Interconnect: link}
		for _, p := range pts {
			sp := ScalePoint{Machines: p.N, Seconds: rng(p.EpochSeconds)}
			if p.OnDemand != nil {
				sp.Price = rng(*p.OnDemand)
			}
			s.Points = append(s.Points, sp)
		}
		rw.ScaleOut = append(rw.ScaleOut, s)
	}

	// Buy against rent: the option cheapest to own that can also be rented.
	var own *costmodel.EpochEstimate
	for i, e := range ok {
		if e.Own != nil && e.BreakEvenMonths != nil && (own == nil || e.Own.USD.Mid < own.Own.USD.Mid) {
			own = &ok[i]
		}
	}
	if own != nil {
		co, found := c.Catalog.Lookup(own.Option)
		if found {
			horizon := math.Ceil(min(max(2*own.BreakEvenMonths.Mid, 12), 120))
			months := make([]float64, 25)
			for i := range months {
				months[i] = horizon * float64(i) / float64(len(months)-1)
			}
			pts, err := costmodel.CumulativeCost(co, c.Assumptions, months)
			if err != nil {
				return Workload{}, err
			}
			b := &BuyVsRent{Option: own.Name, Use: fmt.Sprintf("%.0f h a month (%.0f%% utilisation)",
				pts[len(pts)-1].Hours/horizon, 100*c.Assumptions.Utilization)}
			for _, p := range pts {
				b.Points = append(b.Points, CostPoint{Month: p.Month, Own: p.Own, OnDemand: p.OnDemand, Spot: p.Spot})
			}
			rw.BuyVsRent = b
		}
	}
	return rw, nil
}

// catalogSources cites the catalog figures an estimate used: the peak at its
// precision, the bandwidth and each price.
func catalogSources(o costmodel.Option, prec benchname.Precision) []Source {
	var out []Source
	add := func(what string, q costmodel.Quantity) {
		if !q.Known() || q.Source == "" {
			return
		}
		out = append(out, Source{Name: what + ": " + q.Source, URL: firstURL(q.Source), Date: q.Date})
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

// firstURL returns the first http(s) address in s, or "".
func firstURL(s string) string {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '(' || r == ')' || r == ',' || r == ';' }) {
		if strings.HasPrefix(f, "https://") || strings.HasPrefix(f, "http://") {
			return f
		}
	}
	return ""
}

// rng converts a cost-model range.
func rng(r costmodel.Range) Range { return Range{Low: r.Low, Mid: r.Mid, High: r.High} }
