package costmodel

import (
	"fmt"
	"slices"
	"strings"
	"time"

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
	// LaunchOverheadS is the host's cost of one kernel launch on GPUs and
	// TPUs. Default 5 µs, the calibrated stacks' launch cost, whose range
	// (scaled by LaunchOverheadS over it) gives the interval; 0 leaves
	// launches out.
	LaunchOverheadS float64
	// StepOverheadS is added to every step on every option besides the
	// stack's framework cost (an input pipeline, host synchronisation).
	// Default 0.
	StepOverheadS float64
	// Stack is the software catalogued accelerators are assumed to train
	// with: StackEager (default: PyTorch eager with AMP, what a stock
	// training script gets), StackCompiled or StackFused. It decides the
	// calibrated efficiency, how much element-wise traffic is fused away and
	// the per-step framework cost. TPUs always compile (XLA).
	Stack string
	// Calibration holds the calibrated efficiencies and stack costs; nil is
	// the embedded calibration (EmbeddedCalibration).
	Calibration *Calibration `json:"-"`
	// CPUPrecision is the precision catalogued CPUs compute in. Default f32,
	// like the measured machine (whose kernels are float32), so CPU rows
	// compare like for like.
	CPUPrecision benchname.Precision
	// MemoryUsable is the fraction of an accelerator's memory a training
	// step may fill (the rest: the framework's context and fragmentation).
	// Default 0.9, an assumption. A step that does not fit is split into
	// micro-batches with gradient accumulation.
	MemoryUsable float64

	// Market is the rental market on-demand prices are taken from, so the
	// options of one table are priced in one market (Markets). Default
	// MarketHyperscaler.
	Market string
	// MaxPriceAgeMonths is the age after which a price is reported stale.
	// Default 12.
	MaxPriceAgeMonths int
	// Today is the date prices' age is measured at; zero is the current
	// date.
	Today time.Time `json:"-"`

	// ElectricityUSDkWh is the price of electricity. Default $0.15/kWh (an
	// assumption; state your own).
	ElectricityUSDkWh float64
	// PUE multiplies the power drawn (cooling, power delivery). Default
	// 1.25, Epoch AI's figure for operators other than hyperscalers (the
	// Uptime Institute's industry average is about 1.56).
	PUE float64
	// PowerDraw is the fraction of an owned node's maximum power it draws
	// while training. Default 0.75 (Epoch AI's server power fraction for
	// GPUs).
	PowerDraw float64
	// ChipToNodePower is the node's power per accelerator as a multiple of
	// the chip's TDP, for options without a catalogued node power. Default
	// 1.8 (Epoch AI's default chip-to-server power factor).
	ChipToNodePower float64
	// CostOfCapital is the yearly interest rate a purchase is financed at;
	// the write-off becomes an annuity over the lifetime. Default 0.
	CostOfCapital float64
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
		Stack:             StackEager,
		CPUPrecision:      benchname.F32,
		MemoryUsable:      0.9,
		Market:            MarketHyperscaler,
		MaxPriceAgeMonths: 12,
		ElectricityUSDkWh: 0.15,
		PUE:               1.25,
		PowerDraw:         0.75,
		ChipToNodePower:   1.8,
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
	case !slices.Contains(Stacks, a.Stack):
		return bad("Stack", a.Stack, "want one of "+strings.Join(Stacks, ", "))
	case !slices.Contains(Precisions, a.CPUPrecision):
		return bad("CPUPrecision", a.CPUPrecision, "want one of "+benchname.PrecisionList(Precisions))
	case !(a.MemoryUsable > 0 && a.MemoryUsable <= 1):
		return bad("MemoryUsable", a.MemoryUsable, "want (0, 1]")
	case !slices.Contains(Markets, a.Market):
		return bad("Market", a.Market, "want one of "+strings.Join(Markets, ", "))
	case a.MaxPriceAgeMonths < 1:
		return bad("MaxPriceAgeMonths", a.MaxPriceAgeMonths, "want ≥ 1")
	case !(a.PowerDraw > 0 && a.PowerDraw <= 1):
		return bad("PowerDraw", a.PowerDraw, "want (0, 1]")
	case !(a.ChipToNodePower >= 1 && a.ChipToNodePower < 10):
		return bad("ChipToNodePower", a.ChipToNodePower, "want [1, 10)")
	case !(a.CostOfCapital >= 0 && a.CostOfCapital < 1):
		return bad("CostOfCapital", a.CostOfCapital, "want [0, 1)")
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
		fmt.Sprintf("catalogued accelerators compute in %s, catalogued CPUs in %s, where they have a sourced peak (else the nearest precision they have); measured machines in f32, and in bf16 too (conv, dense and GEMM passes from their prec=bf16 cases) where their results hold bf16 cases", a.Precision, a.CPUPrecision),
		fmt.Sprintf("software stack: %s (efficiency per workload class, accelerator family and stack calibrated against published training runs; TPUs compile with XLA)", a.Stack),
		fmt.Sprintf("memory reaches %.3g of catalogued bandwidth unless the option says otherwise; a step may fill %.0f%% of an accelerator's memory, else it is split into micro-batches", a.MemoryEfficiency, 100*a.MemoryUsable),
		fmt.Sprintf("%.3g µs host cost per kernel launch on GPUs and TPUs plus the stack's per-step framework cost; a step takes the longer of the host's and the device's time; %.3g s extra per step", a.LaunchOverheadS*1e6, a.StepOverheadS),
		fmt.Sprintf("rental prices from the %s market (spot separately); a price older than %d months is marked stale", a.Market, a.MaxPriceAgeMonths),
		fmt.Sprintf("owning: the accelerator and its host written off over %.3g years at %.0f%% utilisation, cost of capital %.3g%% a year, maintenance %.3g%% a year", a.LifetimeYears, 100*a.Utilization, 100*a.CostOfCapital, 100*a.MaintenancePerYear),
		fmt.Sprintf("electricity $%.3g/kWh at PUE %.3g, drawing %.0f%% of the node's power (the catalogued node power, else %.3g × the chip's TDP)", a.ElectricityUSDkWh, a.PUE, 100*a.PowerDraw, a.ChipToNodePower),
		fmt.Sprintf("measured throughput intervals at %.0f%% confidence (benchmath), or the range of the runs when too few", 100*a.Confidence),
	}
}

// calibration returns the calibration the assumptions use.
func (a Assumptions) calibration() Calibration {
	if a.Calibration != nil {
		return *a.Calibration
	}
	return embedded()
}

// today is the date prices' age is measured at.
func (a Assumptions) today() time.Time {
	if a.Today.IsZero() {
		return time.Now().UTC()
	}
	return a.Today
}
