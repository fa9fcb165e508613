package reports

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Input is everything a report shows. It is plain data: the caller (benchrun,
// through an adapter from the cost model and the results files) fills it in,
// and Write only sorts, selects and draws it. Every field may be empty; the
// report then says what is missing instead of drawing a blank.
type Input struct {
	// Title heads the page ("trainbench report" when empty).
	Title string `json:"title"`
	// Generated is the time the run was made. It is passed in, never read
	// from the clock, so the same input gives the same bytes.
	Generated time.Time `json:"generated"`
	// Machine is the profile of the measured machine: the configuration
	// lines of its results file (cpu, cores, l1d, peak-gflops-avx512-f32-t1,
	// stream-triad-gbs-t1, ...). The report reads the keys it knows into a
	// few human lines and folds the lines themselves away; lines with other
	// keys are shown as given.
	Machine []KV `json:"machine,omitempty"`
	// Workloads are the networks priced, each with its hardware options.
	Workloads []Workload `json:"workloads,omitempty"`
	// Kernels are the benchmarked kernel results on the measured machine.
	Kernels []KernelPoint `json:"kernels,omitempty"`
	// Ceilings are the machine's measured compute and bandwidth limits.
	Ceilings Ceilings `json:"ceilings"`
	// Assumptions are the inputs the prices rest on (prices with their
	// sources and dates, efficiencies, electricity price, lifetime...).
	Assumptions []Assumption `json:"assumptions,omitempty"`
	// BudgetPerEpoch, when positive, is the most the user will pay for one
	// epoch in US dollars; the recommendation names the fastest option
	// within it.
	BudgetPerEpoch float64 `json:"budget_per_epoch,omitempty"`
	// DeadlinePerEpoch, when positive, is the longest one epoch may take, in
	// seconds; the recommendation names the cheapest option that meets it.
	DeadlinePerEpoch float64 `json:"deadline_per_epoch,omitempty"`
	// Reproduce is the command that makes this report again.
	Reproduce string `json:"reproduce,omitempty"`
	// Notes are free-text remarks shown under the title (what was not
	// measured, what was estimated, warnings from the run).
	Notes []string `json:"notes,omitempty"`
	// Warnings say why the measurements may not be trusted (another
	// process used the machine during the run, results beyond what the
	// machine can do), one line each; the page opens with them as a banner.
	Warnings []string `json:"warnings,omitempty"`
}

// KV is one line of the machine profile.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Range is an interval with a central value: Low <= Mid <= High. A zero Mid
// means the value is not available (an option that cannot be rented on spot,
// say); the report shows it as missing.
type Range struct {
	Low  float64 `json:"low"`
	Mid  float64 `json:"mid"`
	High float64 `json:"high"`
}

// OK reports whether the range holds a value.
func (r Range) OK() bool { return r.Mid > 0 }

// Point returns a range with all three values equal to v.
func Point(v float64) Range { return Range{v, v, v} }

// Kind says where an option's figures come from.
type Kind string

const (
	// Measured options were benchmarked on the machine itself.
	Measured Kind = "measured"
	// Catalogued options are estimated from a catalog of published figures.
	Catalogued Kind = "catalogued"
)

// Workload is one network's costs on every hardware option.
type Workload struct {
	// Name is the workload's name ("seed-cnn"); it also names its plot files.
	Name string `json:"name"`
	// Description is one line about the workload (dataset, batch, FLOPs).
	Description string `json:"description,omitempty"`
	// Options are the hardware options priced for this workload.
	Options []Option `json:"options,omitempty"`
	// ScaleOut are time and price per epoch against the number of machines,
	// one series per option scaled.
	ScaleOut []ScaleSeries `json:"scale_out,omitempty"`
	// BuyVsRent is the cumulative cost of owning against renting one option.
	BuyVsRent *BuyVsRent `json:"buy_vs_rent,omitempty"`
	// PriceTrends are the fitted falls of the price per epoch with hardware
	// release year, one per hardware class (Option.Class) whose options span
	// two years or more; empty when there is none (the report says so).
	PriceTrends []PriceTrend `json:"price_trends,omitempty"`
	// Notes are remarks about this workload (options without a catalog
	// entry, interpolated shapes...).
	Notes []string `json:"notes,omitempty"`
}

// Option is one hardware option's cost for one epoch of a workload.
type Option struct {
	// Name is the option as a buyer knows it ("AWS p5 H100", "this machine").
	Name string `json:"name"`
	// Kind is Measured or Catalogued.
	Kind Kind `json:"kind"`
	// Seconds is the time per epoch.
	Seconds Range `json:"seconds"`
	// OnDemand, Spot and Own are the price per epoch in US dollars when
	// renting on demand, renting spot capacity, and owning (purchase
	// amortised plus energy). A zero Mid means not available.
	OnDemand Range `json:"on_demand"`
	Spot     Range `json:"spot"`
	Own      Range `json:"own"`
	// KWh is the energy per epoch in kilowatt-hours (zero when unknown).
	KWh Range `json:"kwh"`
	// ReleaseYear is the year the hardware came out (zero when unknown).
	ReleaseYear int `json:"release_year,omitempty"`
	// Class is the kind of hardware ("CPU", "GPU or accelerator"; empty when
	// unknown). Price trends are drawn per class: one line through a late
	// but slow CPU instance and fast GPUs would read as prices rising.
	Class string `json:"class,omitempty"`
	// Sources are where the option's figures come from.
	Sources []Source `json:"sources,omitempty"`
	// Note is a remark shown beside the option (how it was estimated).
	Note string `json:"note,omitempty"`
	// DoesNotFit, when set, says why the option cannot run a training step
	// of the workload (its memory is too small). It is shown with its
	// figures but never recommended nor on the Pareto frontier.
	DoesNotFit string `json:"does_not_fit,omitempty"`
}

// Source is a citation: a name, an optional link and the date it was read.
type Source struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
	Date string `json:"date,omitempty"`
}

// ScaleSeries is one option scaled out over several machines.
type ScaleSeries struct {
	// Option names the hardware option scaled.
	Option string `json:"option"`
	// Interconnect describes the link the gradients cross ("100 Gb/s
	// Ethernet, ring all-reduce, no overlap").
	Interconnect string `json:"interconnect,omitempty"`
	// Points are per machine count, in any order.
	Points []ScalePoint `json:"points"`
}

// ScalePoint is the time and on-demand price of one epoch on Machines machines.
type ScalePoint struct {
	Machines int   `json:"machines"`
	Seconds  Range `json:"seconds"`
	Price    Range `json:"price"`
}

// BuyVsRent is the cumulative cost of owning one option against renting it,
// at a stated use, month by month.
type BuyVsRent struct {
	// Option names the hardware option.
	Option string `json:"option"`
	// Use describes the use assumed ("8 h/day, 22 days/month").
	Use string `json:"use,omitempty"`
	// Points are cumulative US dollars after Month months of use, sorted by
	// month. A zero OnDemand or Spot in every point means that way of
	// renting is not available.
	Points []CostPoint `json:"points"`
}

// CostPoint is cumulative cost after Month months.
type CostPoint struct {
	Month    float64 `json:"month"`
	Own      float64 `json:"own"`
	OnDemand float64 `json:"on_demand,omitempty"`
	Spot     float64 `json:"spot,omitempty"`
}

// PriceTrend is a least-squares fit of log2(headline price per epoch, US $)
// = Intercept + Slope × release year over Options options of one hardware
// Class released from FirstYear to LastYear. The report draws it as given.
type PriceTrend struct {
	Class     string  `json:"class,omitempty"`
	Options   int     `json:"options"`
	FirstYear int     `json:"first_year"`
	LastYear  int     `json:"last_year"`
	Intercept float64 `json:"intercept"`
	Slope     float64 `json:"slope"` // log2 dollars per year
	// HalvingYears is the years over which the price halves (−1/Slope); 0
	// when it does not fall.
	HalvingYears float64 `json:"halving_years,omitempty"`
}

// KernelPoint is one benchmarked kernel case on the measured machine.
type KernelPoint struct {
	// Kernel names the kernel and, where it has one, the pass ("Sgemm",
	// "Conv2D bwd-data").
	Kernel string `json:"kernel"`
	// Impl is the implementation (naive, blocked, im2col, direct, gonum,
	// openblas).
	Impl string `json:"impl"`
	// ISA is the ISA level it ran at (generic, avx2, avx512, native).
	ISA string `json:"isa"`
	// Threads is the thread count.
	Threads int `json:"threads"`
	// Shape names the shape ("1024x1024x1024", "seed-cnn.conv2").
	Shape string `json:"shape"`
	// GFLOPS is the measured throughput in GFLOP/s.
	GFLOPS float64 `json:"gflops"`
	// Intensity is the arithmetic intensity in FLOP per byte of compulsory
	// traffic.
	Intensity float64 `json:"intensity"`
	// Bytes is that compulsory traffic of one call (the working set), zero
	// when unknown. The roofline holds the point against the bandwidth of
	// the memory level the working set fits in, not always DRAM's.
	Bytes float64 `json:"bytes,omitempty"`
}

// Ceilings are the measured limits of the machine.
type Ceilings struct {
	// Peaks are compute ceilings in GFLOP/s per ISA level and thread count.
	Peaks []Peak `json:"peaks,omitempty"`
	// Bandwidths are memory ceilings in GB/s per level (L1, L2, L3, DRAM)
	// and thread count.
	Bandwidths []Bandwidth `json:"bandwidths,omitempty"`
}

// Peak is a compute ceiling.
type Peak struct {
	ISA     string  `json:"isa"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

// Bandwidth is a memory ceiling.
type Bandwidth struct {
	Level   string  `json:"level"`
	Threads int     `json:"threads"`
	GBps    float64 `json:"gbps"`
}

// Assumption is one input the prices rest on.
type Assumption struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source Source `json:"source"`
}

// Validate checks that every number is finite and not negative, every range
// ordered and every name present, and returns an error naming the first field
// that is not.
func (in *Input) Validate() error {
	num := func(where string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s is %v", where, v)
		}
		if v < 0 {
			return fmt.Errorf("%s is negative (%v)", where, v)
		}
		return nil
	}
	rng := func(where string, r Range) error {
		for _, f := range []struct {
			n string
			v float64
		}{{"low", r.Low}, {"mid", r.Mid}, {"high", r.High}} {
			if err := num(where+"."+f.n, f.v); err != nil {
				return err
			}
		}
		if r.OK() && !(r.Low <= r.Mid && r.Mid <= r.High) {
			return fmt.Errorf("%s is not ordered: low %v, mid %v, high %v", where, r.Low, r.Mid, r.High)
		}
		return nil
	}
	for i, w := range in.Warnings {
		if strings.TrimSpace(w) == "" || strings.ContainsAny(w, "\r\n") {
			return fmt.Errorf("warnings[%d] is %q: want one non-empty line", i, w)
		}
	}
	if err := num("budget_per_epoch", in.BudgetPerEpoch); err != nil {
		return err
	}
	if err := num("deadline_per_epoch", in.DeadlinePerEpoch); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, w := range in.Workloads {
		at := fmt.Sprintf("workloads[%d]", i)
		if w.Name == "" {
			return fmt.Errorf("%s.name is empty", at)
		}
		if seen[slug(w.Name)] {
			return fmt.Errorf("%s.name %q repeats an earlier workload's name", at, w.Name)
		}
		seen[slug(w.Name)] = true
		at = fmt.Sprintf("workload %q", w.Name)
		names := map[string]bool{}
		for j, o := range w.Options {
			if o.Name == "" {
				return fmt.Errorf("%s: options[%d].name is empty", at, j)
			}
			if names[o.Name] {
				return fmt.Errorf("%s: option %q appears twice", at, o.Name)
			}
			names[o.Name] = true
			oat := fmt.Sprintf("%s: option %q", at, o.Name)
			if o.Kind != Measured && o.Kind != Catalogued {
				return fmt.Errorf("%s: kind %q is neither %q nor %q", oat, o.Kind, Measured, Catalogued)
			}
			for _, f := range []struct {
				n string
				r Range
			}{{"seconds", o.Seconds}, {"on_demand", o.OnDemand}, {"spot", o.Spot}, {"own", o.Own}, {"kwh", o.KWh}} {
				if err := rng(oat+": "+f.n, f.r); err != nil {
					return err
				}
			}
			if o.ReleaseYear < 0 {
				return fmt.Errorf("%s: release_year is negative (%d)", oat, o.ReleaseYear)
			}
		}
		for j, s := range w.ScaleOut {
			sat := fmt.Sprintf("%s: scale_out[%d] (%s)", at, j, s.Option)
			for k, p := range s.Points {
				if p.Machines < 1 {
					return fmt.Errorf("%s: points[%d].machines is %d, want at least 1", sat, k, p.Machines)
				}
				if err := rng(fmt.Sprintf("%s: points[%d].seconds", sat, k), p.Seconds); err != nil {
					return err
				}
				if err := rng(fmt.Sprintf("%s: points[%d].price", sat, k), p.Price); err != nil {
					return err
				}
			}
		}
		for j := range w.PriceTrends {
			t := &w.PriceTrends[j]
			tat := fmt.Sprintf("%s: price_trends[%d]", at, j)
			if t.Options < 2 || t.FirstYear <= 0 || t.LastYear <= t.FirstYear {
				return fmt.Errorf("%s: %d options from %d to %d, want at least two in different years", tat, t.Options, t.FirstYear, t.LastYear)
			}
			if math.IsNaN(t.Intercept) || math.IsInf(t.Intercept, 0) || math.IsNaN(t.Slope) || math.IsInf(t.Slope, 0) {
				return fmt.Errorf("%s: intercept %v, slope %v, want finite numbers", tat, t.Intercept, t.Slope)
			}
			if err := num(tat+".halving_years", t.HalvingYears); err != nil {
				return err
			}
		}
		if b := w.BuyVsRent; b != nil {
			for k, p := range b.Points {
				pat := fmt.Sprintf("%s: buy_vs_rent.points[%d]", at, k)
				for _, f := range []struct {
					n string
					v float64
				}{{"month", p.Month}, {"own", p.Own}, {"on_demand", p.OnDemand}, {"spot", p.Spot}} {
					if err := num(pat+"."+f.n, f.v); err != nil {
						return err
					}
				}
				if k > 0 && p.Month <= b.Points[k-1].Month {
					return fmt.Errorf("%s.month %v does not follow the previous month %v", pat, p.Month, b.Points[k-1].Month)
				}
			}
		}
	}
	for i, k := range in.Kernels {
		at := fmt.Sprintf("kernels[%d] (%s %s %s)", i, k.Kernel, k.Impl, k.ISA)
		if k.Kernel == "" || k.Impl == "" {
			return fmt.Errorf("kernels[%d]: kernel and impl must be named", i)
		}
		if k.Threads < 1 {
			return fmt.Errorf("%s: threads is %d, want at least 1", at, k.Threads)
		}
		if err := num(at+": gflops", k.GFLOPS); err != nil {
			return err
		}
		if err := num(at+": intensity", k.Intensity); err != nil {
			return err
		}
		if err := num(at+": bytes", k.Bytes); err != nil {
			return err
		}
	}
	for i, p := range in.Ceilings.Peaks {
		if err := num(fmt.Sprintf("ceilings.peaks[%d] (%s, %d threads): gflops", i, p.ISA, p.Threads), p.GFLOPS); err != nil {
			return err
		}
	}
	for i, b := range in.Ceilings.Bandwidths {
		if err := num(fmt.Sprintf("ceilings.bandwidths[%d] (%s, %d threads): gbps", i, b.Level, b.Threads), b.GBps); err != nil {
			return err
		}
	}
	return nil
}
