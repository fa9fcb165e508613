package costmodel

import (
	"fmt"
	"slices"

	"github.com/trainbench/trainbench/benchname"
)

// Assumptions are the inputs of the model that are choices, not facts about
// hardware. Start from DefaultAssumptions and change what differs; Estimate
// rejects invalid values with an error naming the field.
type Assumptions struct {
	// Precision of catalogued options' arithmetic: bf16 (default, mixed
	// precision as accelerators train), f16, tf32 or f32 (canonical names,
	// benchname.CanonicalPrecision). An option without a sourced peak at
	// that precision falls back through Precisions (bf16, f16, tf32, f32)
	// and the estimate says so. Memory traffic scales with the element size
	// (2 bytes for bf16/f16, 4 for tf32/f32; the workload counts float32).
	// Measured machines run the float32 kernels they were measured with.
	Precision benchname.Precision
	// MemoryEfficiency is the fraction of catalogued bandwidth a streaming
	// kernel reaches, used where an option has no memory_efficiency.
	// Default 0.896: the H200 calibration point (device copy 4.3 of 4.8
	// TB/s, issue 6).
	MemoryEfficiency float64
	// LaunchOverheadS is added per layer pass on GPUs and TPUs (kernel
	// launch and scheduling). Default 5 µs: an assumption, not a sourced
	// figure; set 0 for a graph-captured or compiled step.
	LaunchOverheadS float64
	// StepOverheadS is added to every step on every option (input
	// pipeline, host synchronisation). Default 0.
	StepOverheadS float64

	// ElectricityUSDkWh is the price of electricity. Default $0.15/kWh (an
	// assumption; state your own).
	ElectricityUSDkWh float64
	// PUE multiplies the power drawn (cooling, power delivery). Default 1.2.
	PUE float64
	// LifetimeYears is the period a purchase is written off over. Default 3.
	LifetimeYears float64
	// Utilization is the fraction of the lifetime an owned machine trains.
	// Default 0.5.
	Utilization float64
	// MaintenancePerYear is yearly upkeep as a fraction of the purchase
	// price. Default 0.
	MaintenancePerYear float64

	// Confidence is the level of the confidence intervals of measured
	// kernel throughput (benchmath). Default 0.95.
	Confidence float64
}

// DefaultAssumptions returns the documented defaults.
func DefaultAssumptions() Assumptions {
	return Assumptions{
		Precision:         benchname.BF16,
		MemoryEfficiency:  0.896,
		LaunchOverheadS:   5e-6,
		ElectricityUSDkWh: 0.15,
		PUE:               1.2,
		LifetimeYears:     3,
		Utilization:       0.5,
		Confidence:        0.95,
	}
}

// Validate checks every field's range; the error names the field.
func (a Assumptions) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("costmodel: assumptions: %s = %v, %s", field, v, want)
	}
	switch {
	case !slices.Contains(Precisions, a.Precision):
		return bad("Precision", a.Precision, "want one of "+benchname.PrecisionList(Precisions))
	case !(a.MemoryEfficiency > 0 && a.MemoryEfficiency <= 1):
		return bad("MemoryEfficiency", a.MemoryEfficiency, "want (0, 1]")
	case !(a.LaunchOverheadS >= 0 && a.LaunchOverheadS < 1):
		return bad("LaunchOverheadS", a.LaunchOverheadS, "want [0, 1) seconds")
	case !(a.StepOverheadS >= 0 && a.StepOverheadS < 3600):
		return bad("StepOverheadS", a.StepOverheadS, "want [0, 3600) seconds")
	case !(a.ElectricityUSDkWh >= 0 && a.ElectricityUSDkWh < 100):
		return bad("ElectricityUSDkWh", a.ElectricityUSDkWh, "want [0, 100)")
	case !(a.PUE >= 1 && a.PUE < 10):
		return bad("PUE", a.PUE, "want [1, 10)")
	case !(a.LifetimeYears > 0 && a.LifetimeYears < 100):
		return bad("LifetimeYears", a.LifetimeYears, "want (0, 100)")
	case !(a.Utilization > 0 && a.Utilization <= 1):
		return bad("Utilization", a.Utilization, "want (0, 1]")
	case !(a.MaintenancePerYear >= 0 && a.MaintenancePerYear < 10):
		return bad("MaintenancePerYear", a.MaintenancePerYear, "want [0, 10)")
	case !(a.Confidence > 0 && a.Confidence < 1):
		return bad("Confidence", a.Confidence, "want (0, 1)")
	}
	return nil
}

// elementBytes is the size of one element at a precision.
func elementBytes(prec benchname.Precision) float64 { return float64(prec.Size()) }

// Describe states the assumptions in words, one line each, for a report.
func (a Assumptions) Describe() []string {
	return []string{
		fmt.Sprintf("catalogued options compute in %s where they have a sourced peak (else the nearest precision they have); measured machines in f32", a.Precision),
		fmt.Sprintf("memory reaches %.3g of catalogued bandwidth unless the option says otherwise", a.MemoryEfficiency),
		fmt.Sprintf("%.3g µs launch overhead per layer pass on GPUs and TPUs; %.3g s overhead per step", a.LaunchOverheadS*1e6, a.StepOverheadS),
		fmt.Sprintf("owning: purchase written off over %.3g years at %.0f%% utilisation, maintenance %.3g%% a year", a.LifetimeYears, 100*a.Utilization, 100*a.MaintenancePerYear),
		fmt.Sprintf("electricity $%.3g/kWh at PUE %.3g, drawing the option's TDP", a.ElectricityUSDkWh, a.PUE),
		fmt.Sprintf("measured throughput intervals at %.0f%% confidence (benchmath), or the range of the runs when too few", 100*a.Confidence),
	}
}
