package costmodel

import (
	"fmt"
	"math"
)

// Interconnect is the network between machines when scaling out.
type Interconnect struct {
	// LinkGBs is each machine's all-reduce bandwidth, GB/s in each
	// direction. Default 12.5 (100 Gb/s Ethernet).
	LinkGBs float64
	// LatencyS is the latency of one message. Default 10 µs.
	LatencyS float64
	// Overlap is whether the all-reduce overlaps the backward pass (the
	// step takes the longer of the two) or follows it (the sum). Default
	// false.
	Overlap bool
	// GradientBytes is the size of one gradient element. Default 4
	// (float32 gradients).
	GradientBytes float64
}

// DefaultInterconnect returns the documented defaults: 12.5 GB/s, 10 µs,
// no overlap, float32 gradients.
func DefaultInterconnect() Interconnect {
	return Interconnect{LinkGBs: 12.5, LatencyS: 10e-6, GradientBytes: 4}
}

// Describe states the interconnect in words, for a report.
func (ic Interconnect) Describe() string {
	grad := "float32"
	if ic.GradientBytes != 4 {
		grad = fmt.Sprintf("%.3g-byte", ic.GradientBytes)
	}
	s := fmt.Sprintf("%.3g GB/s per machine, %.3g µs latency, ring all-reduce of %s gradients", ic.LinkGBs, ic.LatencyS*1e6, grad)
	if ic.Overlap {
		return s + ", overlapped with the backward pass"
	}
	return s + ", after the backward pass"
}

// ScalePoint is one epoch on N machines.
type ScalePoint struct {
	N             int     `json:"n"`
	StepSeconds   Range   `json:"step_seconds"`
	CommSeconds   float64 `json:"comm_seconds"` // all-reduce per step
	StepsPerEpoch float64 `json:"steps_per_epoch"`
	EpochSeconds  Range   `json:"epoch_seconds"`
	// Speedup is the single machine's mid epoch time over this one's;
	// Efficiency is Speedup / N.
	Speedup    float64 `json:"speedup"`
	Efficiency float64 `json:"efficiency"`
	OnDemand   *Range  `json:"on_demand_usd,omitempty"` // all N machines
	Spot       *Range  `json:"spot_usd,omitempty"`
}

// ScaleOut prices an epoch of e's workload on N identical machines for each
// N in ns, with data parallelism as distributed training usually runs it:
// every machine keeps the workload's batch (the global batch is N × batch, so
// an epoch has 1/N of the steps) and the gradients are summed by a ring
// all-reduce after every step:
//
//	comm = 2·(N−1)/N · params · GradientBytes / LinkGBs + 2·(N−1) · LatencyS
//	step = compute + comm (or max(compute, comm) with Overlap)
//	epoch = steps/N · step; price = N · $/h · epoch hours
//
// N = 1 is the estimate itself (no communication).
func ScaleOut(e EpochEstimate, ns []int, ic Interconnect) ([]ScalePoint, error) {
	if e.Unavailable != "" {
		return nil, fmt.Errorf("costmodel: %s: %s", e.Option, e.Unavailable)
	}
	if !(ic.LinkGBs > 0) || ic.LatencyS < 0 || !(ic.GradientBytes > 0) {
		return nil, fmt.Errorf("costmodel: interconnect %+v: LinkGBs and GradientBytes must be positive, LatencyS ≥ 0", ic)
	}
	var out []ScalePoint
	grad := float64(e.Params) * ic.GradientBytes
	for _, n := range ns {
		if n < 1 {
			return nil, fmt.Errorf("costmodel: scale-out to %d machines", n)
		}
		nf := float64(n)
		comm := 0.0
		if n > 1 {
			comm = 2*(nf-1)/nf*grad/(ic.LinkGBs*1e9) + 2*(nf-1)*ic.LatencyS
		}
		step := e.StepSeconds
		if n > 1 {
			step = Range{combine(e.StepSeconds.Low, comm, ic.Overlap), combine(e.StepSeconds.Mid, comm, ic.Overlap), combine(e.StepSeconds.High, comm, ic.Overlap)}
		}
		p := ScalePoint{N: n, StepSeconds: step, CommSeconds: comm, StepsPerEpoch: e.StepsPerEpoch / nf}
		p.EpochSeconds = step.Scale(p.StepsPerEpoch)
		p.Speedup = e.EpochSeconds.Mid / p.EpochSeconds.Mid
		p.Efficiency = p.Speedup / nf
		// Each bound of the price scales by its own bound's time ratio, all
		// three computed alike, so a price whose bounds are equal keeps
		// them equal (bitwise) and an ordered one stays ordered when the
		// ratios are equal.
		scale := Range{p.EpochSeconds.Low / e.EpochSeconds.Low * nf, p.EpochSeconds.Mid / e.EpochSeconds.Mid * nf, p.EpochSeconds.High / e.EpochSeconds.High * nf}
		if e.OnDemand != nil {
			r := e.OnDemand.USD.Mul(scale)
			p.OnDemand = &r
		}
		if e.Spot != nil {
			r := e.Spot.USD.Mul(scale)
			p.Spot = &r
		}
		if !p.EpochSeconds.finite() || math.IsNaN(p.Speedup) || math.IsInf(p.Speedup, 0) {
			return nil, fmt.Errorf("costmodel: %s: scale-out to %d is not finite", e.Option, n)
		}
		out = append(out, p)
	}
	return out, nil
}

// combine is a step's time from its compute and communication.
func combine(compute, comm float64, overlap bool) float64 {
	if overlap {
		return max(compute, comm)
	}
	return compute + comm
}
