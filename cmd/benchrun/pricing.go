package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/workload"
)

// costFlags are the inputs of the cost model that cost and report share:
// which workloads, which catalog, what the measured machine costs and the
// assumptions that are choices rather than facts.
type costFlags struct {
	workloads    []string
	catalogs     []string
	threads      []int
	pricePerHour float64
	purchaseUSD  float64
	watts        float64
	precision    string
	stack        string
	market       string
	pue          float64
	electricity  float64
	lifetime     float64
	utilization  float64
}

func (c *costFlags) register(f *pflag.FlagSet) {
	d := costmodel.DefaultAssumptions()
	c.precision = string(d.Precision)
	c.electricity, c.lifetime, c.utilization, c.pue = d.ElectricityUSDkWh, d.LifetimeYears, d.Utilization, d.PUE
	f.StringSliceVar(&c.workloads, "workload", []string{"seed-cnn"}, "workloads: built-in names ("+fmt.Sprint(workload.Builtins())+") or YAML/JSON files")
	f.StringSliceVar(&c.catalogs, "catalog", nil, "catalog files that override or extend the embedded hardware catalog (same ids replace entries)")
	f.Var(&threadsFlag{&c.threads, false}, "threads", "thread counts of the measured machine to price (default: every count in the results)")
	f.Var(&rangeFlag{&c.pricePerHour, flagRanges["price-per-hour"]}, "price-per-hour", "what the measured machine costs per hour (default: priced per core like the nearest catalogued CPU instance)")
	f.Var(&rangeFlag{&c.purchaseUSD, flagRanges["purchase"]}, "purchase", "purchase price of the measured machine in USD, to price owning it")
	f.Var(&rangeFlag{&c.watts, flagRanges["watts"]}, "watts", "power the measured machine draws while training, for energy and owning")
	f.Var(precisionFlag{&c.precision}, "precision", "arithmetic precision of catalogued accelerators: bf16, f16, tf32 or f32 (fp16, fp32 accepted)")
	f.StringVar(&c.stack, "stack", d.Stack, "software stack of catalogued accelerators: eager (PyTorch eager, AMP), compiled (torch.compile, XLA) or fused (hand-fused kernels, llm.c, NVIDIA's MLPerf code)")
	f.StringVar(&c.market, "market", d.Market, "rental market of the on-demand prices: "+strings.Join(costmodel.Markets, ", "))
	f.Var(&rangeFlag{&c.pue, flagRanges["pue"]}, "pue", "power usage effectiveness of an owned machine's site")
	f.Var(&rangeFlag{&c.electricity, flagRanges["electricity"]}, "electricity", "electricity price in USD per kWh")
	f.Var(&rangeFlag{&c.lifetime, flagRanges["lifetime"]}, "lifetime", "years a purchase is written off over")
	f.Var(&rangeFlag{&c.utilization, flagRanges["utilization"]}, "utilization", "fraction of its lifetime an owned machine trains")
}

// A valueRange is the range of a numeric flag: finite, above min (or at it
// if minIncluded), at most max, with its unit, and what 0 means when 0 is
// accepted as "not given" outside the range.
type valueRange struct {
	min, max    float64
	minIncluded bool
	unit        string
	zero        string // what 0 means ("if unknown"), or "" when 0 is not accepted
}

// flagRanges are the ranges of the cost and report flags: wide enough for
// any one machine, narrow enough that a slip of a few digits or a NaN is
// refused at the command line instead of printed as a price of 300 digits.
var flagRanges = map[string]valueRange{
	"price-per-hour": {max: 1e4, unit: "$/h", zero: "to price it per core"},
	"purchase":       {max: 1e7, unit: "$", zero: "not to price owning it"},
	"watts":          {max: 1e6, unit: "W", zero: "if unknown"},
	"electricity":    {max: 10, minIncluded: true, unit: "$/kWh"},
	"lifetime":       {max: 50, unit: "years"},
	"utilization":    {max: 1, unit: "(a fraction)"},
	"budget":         {max: 1e9, unit: "$ per epoch", zero: "for no budget"},
	"deadline":       {max: 1e9, unit: "seconds per epoch", zero: "for no deadline"},
	"pue":            {min: 1, max: 3, minIncluded: true, unit: "(facility power over IT power)"},
}

func (r valueRange) allows(v float64) bool {
	return v == 0 && r.zero != "" || (v > r.min || r.minIncluded && v == r.min) && v <= r.max
}

func (r valueRange) String() string {
	lo := "> "
	if r.minIncluded {
		lo = "≥ "
	}
	s := fmt.Sprintf("want a number %s%s and ≤ %s %s", lo, plain(r.min), plain(r.max), r.unit)
	if r.zero != "" {
		s += ", or 0 " + r.zero
	}
	return s
}

// plain prints a bound without an exponent: 1000000, not 1e+06.
func plain(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// A rangeFlag is a float flag that refuses, as it is parsed, any value
// outside its range (NaN and ±Inf included), so the error names the flag.
type rangeFlag struct {
	v *float64
	r valueRange
}

func (f *rangeFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return errors.New("not a number")
	}
	if err != nil || !f.r.allows(v) {
		return errors.New(f.r.String())
	}
	*f.v = v
	return nil
}

func (f *rangeFlag) String() string { return strconv.FormatFloat(*f.v, 'g', -1, 64) }

func (f *rangeFlag) Type() string { return "float64" } // "float" in the help, as pflag's own

// maxThreads is the largest thread count a flag accepts.
const maxThreads = 1 << 16

// A threadsFlag is a list of thread counts, comma-separated or repeated,
// each from 1 to maxThreads and none twice (each count names an option).
type threadsFlag struct {
	v   *[]int
	set bool // a first Set replaces the default, later ones append
}

func (f *threadsFlag) Set(s string) error {
	var ts []int
	if f.set {
		ts = *f.v
	}
	for _, field := range strings.Split(s, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || t < 1 || t > maxThreads {
			return fmt.Errorf("want thread counts from 1 to %d, comma-separated", maxThreads)
		}
		if slices.Contains(ts, t) {
			return fmt.Errorf("%d threads given twice", t)
		}
		ts = append(ts, t)
	}
	*f.v, f.set = ts, true
	return nil
}

func (f *threadsFlag) String() string {
	s := make([]string, len(*f.v))
	for i, t := range *f.v {
		s[i] = strconv.Itoa(t)
	}
	return strings.Join(s, ",")
}

func (f *threadsFlag) Type() string { return "intSlice" } // "ints" in the help

// A precisionFlag is a precision the catalog gives peaks for, kept in its
// canonical spelling.
type precisionFlag struct{ v *string }

func (f precisionFlag) Set(s string) error {
	p := benchname.CanonicalPrecision(s)
	if !slices.Contains(costmodel.Precisions, p) {
		return fmt.Errorf("want one of %s (fp16, fp32 accepted)", benchname.PrecisionList(costmodel.Precisions))
	}
	*f.v = string(p)
	return nil
}

func (f precisionFlag) String() string { return *f.v }

func (f precisionFlag) Type() string { return "string" }

// defaultCostFlags returns the flags' defaults, for commands that run the
// cost model without exposing its flags.
func defaultCostFlags() costFlags {
	var c costFlags
	c.register(pflag.NewFlagSet("cost", pflag.ContinueOnError))
	return c
}

// assumptions returns the model's assumptions with the flags applied.
func (c *costFlags) assumptions() costmodel.Assumptions {
	a := costmodel.DefaultAssumptions()
	a.Precision = benchname.CanonicalPrecision(c.precision)
	a.Stack, a.Market, a.PUE = c.stack, c.market, c.pue
	a.ElectricityUSDkWh = c.electricity
	a.LifetimeYears = c.lifetime
	a.Utilization = c.utilization
	return a
}

// pricing is what the cost model says about the workloads, with the inputs
// it said it from: one comparison per workload, whose estimates list the
// measured machines' options first.
type pricing struct {
	Assumptions  costmodel.Assumptions
	Interconnect costmodel.Interconnect // of the scale-out curves
	Catalog      costmodel.Catalog
	// Machines are the measured machines of the results files, one each
	// (costmodel.LoadMachines); none without results files.
	Machines  []*costmodel.Results
	Workloads []costmodel.Comparison
	// NoBF16 says, one line each, why a measured machine at a thread
	// count has no bf16 row (costmodel.MeasuredPrecisionOption).
	NoBF16 []string
}

// priceWorkloads loads the workloads, the catalog and the results files
// (which may be none) and prices an epoch of every workload on every option
// (costmodel.Compare): each measured machine at each thread count is an
// option of its own, named for the machine, and a second, its bf16 row,
// where its results hold bf16 conv or GEMM cases at that count (else
// NoBF16 says why). Bad input (an unknown workload, a malformed file, an
// invalid assumption or flag value) is a usage error naming it.
func priceWorkloads(c costFlags, resultFiles []string) (*pricing, error) {
	a := &pricing{Assumptions: c.assumptions(), Interconnect: costmodel.DefaultInterconnect()}
	if err := a.Assumptions.Validate(); err != nil {
		return nil, usageError{err}
	}
	if len(c.workloads) == 0 {
		return nil, usagef("--workload: name at least one workload")
	}
	cat, err := costmodel.LoadCatalog(c.catalogs...)
	if err != nil {
		return nil, usageError{err}
	}
	a.Catalog = cat
	var opts []costmodel.Option
	if len(resultFiles) > 0 {
		ms, err := costmodel.LoadMachines(resultFiles...)
		if err != nil {
			return nil, usageError{err}
		}
		a.Machines = ms
		price := costmodel.LocalPrice{USDPerHour: c.pricePerHour, PurchaseUSD: c.purchaseUSD, Watts: c.watts}
		names, ids := machineNames(ms)
		for i, m := range ms {
			threads := c.threads
			if len(threads) == 0 {
				threads = m.Threads()
			}
			for _, t := range threads {
				name := fmt.Sprintf("%s, %d thread", names[i], t)
				if t > 1 {
					name += "s"
				}
				o, err := costmodel.MeasuredOption(fmt.Sprintf("measured-%s%dt", ids[i], t), name, m, t, price, cat)
				if err != nil {
					return nil, err
				}
				opts = append(opts, o)
				if o16, ok, reason := costmodel.MeasuredPrecisionOption(o, benchname.BF16); ok {
					opts = append(opts, o16)
				} else {
					a.NoBF16 = append(a.NoBF16, reason)
				}
			}
		}
		if len(opts) == 0 {
			return nil, usagef("%s: no kernel measurements the cost model can use", strings.Join(resultFiles, ", "))
		}
	}
	opts = append(opts, cat.Options...)
	for _, name := range c.workloads {
		w, err := workload.Lookup(name)
		if err != nil {
			return nil, usageError{err}
		}
		cmp, err := costmodel.Compare(w, opts, a.Assumptions, a.Interconnect)
		if err != nil {
			return nil, usageError{fmt.Errorf("workload %s: %w", name, err)}
		}
		a.Workloads = append(a.Workloads, cmp)
	}
	return a, nil
}

// machineNames names the measured machines as results.MachineNames does
// ("this machine" for one whose files name nothing) and gives each the
// part of its options' ids that tells it apart: "" for a single machine
// (measured-1t, as before there were several), else its label or its
// position ("zen5-", "m2-").
func machineNames(ms []*costmodel.Results) (names, ids []string) {
	idents := make([]results.Identity, len(ms))
	for i, m := range ms {
		idents[i] = m.Machine
	}
	names = results.MachineNames(idents)
	ids = make([]string, len(ms))
	if len(ms) == 1 {
		if names[0] == "unknown machine" {
			names[0] = "this machine"
		}
		return names, ids
	}
	seen := map[string]bool{}
	for i, id := range idents {
		l := id.Get(results.KeyLabel)
		for k := i + 1; l == "" || seen[l] || results.CheckLabel(l) != nil; k++ {
			l = fmt.Sprintf("m%d", k)
		}
		seen[l] = true
		ids[i] = l + "-"
	}
	return names, ids
}
