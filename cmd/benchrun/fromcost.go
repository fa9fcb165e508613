package main

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/reports"
)

// reportInput converts what the cost model found into the report's input:
// head carries what the command decides (title, generation time, budget,
// deadline, reproduce line, notes) and is returned with the measured
// machine's profile, kernels and ceilings, the assumptions and every
// workload's comparison added. It only converts types: which options scale
// out, which one is bought against rented and the price trend are the cost
// model's answers (costmodel.Compare). Options the model could not estimate
// are listed in the workload's notes.
func reportInput(p *pricing, head reports.Input) (reports.Input, error) {
	in := head
	in.Notes = slices.Clone(head.Notes)
	if len(p.Machines) > 1 {
		// reports.Input has one machine's profile and kernels: the first
		// one's are shown, and every machine is priced as its own options.
		names, _ := machineNames(p.Machines)
		in.Notes = append(in.Notes, fmt.Sprintf("%d machines measured (%s): each is priced as its own options; the profile, kernels and ceilings shown are %s's",
			len(names), strings.Join(names, "; "), names[0]))
	}
	if len(p.Machines) > 0 {
		res := p.Machines[0]
		prof := res.Profile
		if prof.CPU != "" || res.HasProfile {
			for _, kv := range prof.ConfigLines() {
				in.Machine = append(in.Machine, reports.KV{Key: kv.Key, Value: kv.Value})
			}
		}
		for _, k := range prof.Peaks {
			if k.Prec == benchname.F32 {
				in.Ceilings.Peaks = append(in.Ceilings.Peaks, reports.Peak{ISA: k.ISA, Threads: k.Threads, GFLOPS: k.GFLOPS})
			}
		}
		for _, b := range prof.Caches {
			in.Ceilings.Bandwidths = append(in.Ceilings.Bandwidths, reports.Bandwidth{Level: b.Level, Threads: b.Threads, GBps: b.GBs})
		}
		for _, k := range res.Cases {
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
			var bytes float64 // the working set: FLOPs over FLOP/byte
			if k.FLOPs > 0 && k.Intensity > 0 {
				bytes = k.FLOPs / k.Intensity
			}
			in.Kernels = append(in.Kernels, reports.KernelPoint{Kernel: kernel, Impl: k.Impl, ISA: k.ISA, Threads: k.Threads,
				Shape: shape, GFLOPS: k.GFLOPS.Center, Intensity: max(k.Intensity, 0), Bytes: bytes})
		}
	}
	for _, d := range p.Assumptions.Describe() {
		in.Assumptions = append(in.Assumptions, reports.Assumption{Name: "cost model", Value: d,
			Source: reports.Source{Name: "trainbench's defaults, or as set on the command line"}})
	}
	link := p.Interconnect.Describe()
	in.Assumptions = append(in.Assumptions, reports.Assumption{Name: "scale-out", Value: link,
		Source: reports.Source{Name: "trainbench's default interconnect (100 Gb/s Ethernet)"}})
	for _, c := range p.Workloads {
		in.Workloads = append(in.Workloads, workloadReport(c, p.Assumptions, link, p.NoBF16))
	}
	return in, in.Validate()
}

// workloadReport converts one workload's comparison; link describes the
// interconnect of its scale-out curves.
func workloadReport(c costmodel.Comparison, a costmodel.Assumptions, link string, noBF16 []string) reports.Workload {
	n := c.Workload
	rw := reports.Workload{Name: n.Name, Description: fmt.Sprintf("batch %d, %d samples an epoch", n.Batch, n.Samples)}
	var ok []costmodel.EpochEstimate
	for _, e := range c.Estimates {
		if e.Unavailable != "" {
			rw.Notes = append(rw.Notes, fmt.Sprintf("%s: not estimated: %s", e.Name, e.Unavailable))
			continue
		}
		ok = append(ok, e)
	}
	if len(ok) > 0 {
		e := ok[0]
		rw.Description += fmt.Sprintf(", %.3g FLOP an epoch, %d parameters; %s precision on catalogued accelerators, %s on catalogued CPUs, f32 on measured machines and bf16 on their (bf16) rows",
			e.FLOPsPerEpoch, e.Params, a.Precision, a.CPUPrecision)
	}
	for _, e := range ok {
		rw.Options = append(rw.Options, reportOption(e))
	}
	if s := costmodel.LikeForLike(c.Estimates); s != "" {
		rw.Notes = append(rw.Notes, s)
	}
	rw.Notes = append(rw.Notes, noBF16...)
	for _, s := range c.ScaleOut {
		rs := reports.ScaleSeries{Option: s.Name, Interconnect: link}
		for _, p := range s.Points {
			sp := reports.ScalePoint{Machines: p.N, Seconds: rng(p.EpochSeconds)}
			if p.OnDemand != nil {
				sp.Price = rng(*p.OnDemand)
			}
			rs.Points = append(rs.Points, sp)
		}
		rw.ScaleOut = append(rw.ScaleOut, rs)
	}
	if b := c.BuyVsRent; b != nil {
		rb := &reports.BuyVsRent{Option: b.Name, Use: fmt.Sprintf("%.0f h a month (%.0f%% utilisation)", b.HoursPerMonth, 100*a.Utilization)}
		for _, p := range b.Points {
			rb.Points = append(rb.Points, reports.CostPoint{Month: p.Month, Own: p.Own, OnDemand: p.OnDemand, Spot: p.Spot})
		}
		rw.BuyVsRent = rb
	}
	// One trend per hardware class, over three options or more:
	// costmodel.PriceTrend asks for comparable options (a late but slow CPU
	// instance among GPUs reads as prices rising), and a line through two
	// points is no trend.
	for _, class := range []string{classAccelerator, classCPU} {
		var same []costmodel.EpochEstimate
		for _, e := range ok {
			if hardwareClass(e) == class {
				same = append(same, e)
			}
		}
		if t, err := costmodel.PriceTrend(same, costmodel.PriceHeadline); err == nil && len(t.Points) >= 3 {
			rw.PriceTrends = append(rw.PriceTrends, reports.PriceTrend{Class: class, Options: len(t.Points), FirstYear: t.Points[0].Year,
				LastYear: t.Points[len(t.Points)-1].Year, Intercept: t.Intercept, Slope: t.Slope, HalvingYears: t.HalvingYears})
		}
	}
	return rw
}

// The hardware classes options are grouped in for the price trends.
const (
	classAccelerator = "GPU or accelerator"
	classCPU         = "CPU"
)

// hardwareClass is the class of an estimate: measured machines and CPU
// kinds are CPUs, GPUs and TPUs accelerators.
func hardwareClass(e costmodel.EpochEstimate) string {
	if e.Basis == costmodel.BasisMeasured || e.Kind == costmodel.KindCPU || e.Kind == costmodel.KindCPUInstance {
		return classCPU
	}
	return classAccelerator
}

// reportOption converts one estimated option, with its sources.
func reportOption(e costmodel.EpochEstimate) reports.Option {
	o := reports.Option{Name: e.Name, Kind: reports.Catalogued, Seconds: rng(e.EpochSeconds), ReleaseYear: e.ReleaseYear, Class: hardwareClass(e)}
	if e.Basis == costmodel.BasisMeasured {
		o.Kind = reports.Measured
		o.Note = "predicted from the kernels measured on this machine, in " + string(e.Precision)
		if e.Precision == benchname.BF16 {
			o.Note += " (conv, dense and GEMM measured in bf16, the rest f32)"
		}
		if e.StepFrom != "" && e.StepFrom != costmodel.StepFromKernels {
			o.Note = "the training step measured on this machine (" + e.StepFrom + ")"
			if e.StepScale > 0 {
				o.Note = fmt.Sprintf("the training step measured on this machine at another size (%s), scaled by the kernels' ratio (×%s)", e.StepFrom, num3(e.StepScale))
			}
		}
		if len(e.Interpolated) > 0 {
			o.Note += fmt.Sprintf(" (%d layer passes interpolated from nearby shapes)", len(e.Interpolated))
		}
		if e.PriceNote != "" {
			o.Sources = append(o.Sources, reports.Source{Name: e.PriceNote})
		}
	} else if e.Utilization != nil {
		o.Note = fmt.Sprintf("roofline estimate at %s on the %s stack: %.2g–%.2g%% of the %.4g TFLOP/s peak", e.Precision, e.Stack, 100*e.Utilization.Low, 100*e.Utilization.High, e.PeakTFLOPS)
		if e.MicroSteps > 1 {
			o.Note += fmt.Sprintf("; %d micro-batches of %d (the step does not fit memory)", e.MicroSteps, e.MicroBatch)
		}
		if e.HostBound {
			o.Note += "; host-bound (framework and launch overhead)"
		}
		if e.OnDemand != nil {
			o.Note += "; on demand in the " + e.Market + " market"
		}
		if len(e.Stale) > 0 {
			o.Note += "; stale: " + strings.Join(e.Stale, ", ")
		}
	}
	if e.DoesNotFit != "" {
		o.DoesNotFit = e.DoesNotFit
		o.Note = "does not fit, not recommended: " + e.DoesNotFit + "; " + o.Note
	}
	if e.OnDemand != nil {
		o.OnDemand = rng(e.OnDemand.USD)
	}
	if e.Spot != nil {
		o.Spot = rng(e.Spot.USD)
	}
	// Owning a chip without its host is not comparable with renting a
	// whole machine, so the report only gets system prices.
	if e.Own != nil && (e.OwnSystem || e.Basis == costmodel.BasisMeasured) {
		o.Own = rng(e.Own.USD)
	}
	if e.EnergyKWh != nil {
		o.KWh = rng(*e.EnergyKWh)
	}
	for _, c := range e.Sources {
		o.Sources = append(o.Sources, reports.Source{Name: c.What + ": " + c.Source, URL: firstURL(c.Source), Date: c.Date})
	}
	return o
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
func rng(r costmodel.Range) reports.Range { return reports.Range{Low: r.Low, Mid: r.Mid, High: r.High} }
