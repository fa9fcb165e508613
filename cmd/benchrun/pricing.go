package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/costmodel"
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
	f.StringSliceVar(&c.workloads, "workload", []string{"seed-cnn"}, "workloads: built-in names ("+fmt.Sprint(workload.Builtins())+") or YAML/JSON files")
	f.StringSliceVar(&c.catalogs, "catalog", nil, "catalog files that override or extend the embedded hardware catalog (same ids replace entries)")
	f.IntSliceVar(&c.threads, "threads", nil, "thread counts of the measured machine to price (default: every count in the results)")
	f.Float64Var(&c.pricePerHour, "price-per-hour", 0, "what the measured machine costs per hour (default: priced per core like the nearest catalogued CPU instance)")
	f.Float64Var(&c.purchaseUSD, "purchase", 0, "purchase price of the measured machine in USD, to price owning it")
	f.Float64Var(&c.watts, "watts", 0, "power the measured machine draws while training, for energy and owning")
	f.StringVar(&c.precision, "precision", string(d.Precision), "arithmetic precision of catalogued accelerators: bf16, f16, tf32 or f32 (fp16, fp32 accepted)")
	f.StringVar(&c.stack, "stack", d.Stack, "software stack of catalogued accelerators: eager (PyTorch eager, AMP), compiled (torch.compile, XLA) or fused (hand-fused kernels, llm.c, NVIDIA's MLPerf code)")
	f.StringVar(&c.market, "market", d.Market, "rental market of the on-demand prices: "+strings.Join(costmodel.Markets, ", "))
	f.Float64Var(&c.pue, "pue", d.PUE, "power usage effectiveness of an owned machine's site")
	f.Float64Var(&c.electricity, "electricity", d.ElectricityUSDkWh, "electricity price in USD per kWh")
	f.Float64Var(&c.lifetime, "lifetime", d.LifetimeYears, "years a purchase is written off over")
	f.Float64Var(&c.utilization, "utilization", d.Utilization, "fraction of its lifetime an owned machine trains")
}

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
// measured machine's options first.
type pricing struct {
	Assumptions  costmodel.Assumptions
	Interconnect costmodel.Interconnect // of the scale-out curves
	Catalog      costmodel.Catalog
	Results      *costmodel.Results // nil without results files
	Workloads    []costmodel.Comparison
}

// priceWorkloads loads the workloads, the catalog and the results files
// (which may be none) and prices an epoch of every workload on every option
// (costmodel.Compare). Bad input (an unknown workload, a malformed file, an
// invalid assumption) is a usage error naming it.
func priceWorkloads(c costFlags, resultFiles []string) (*pricing, error) {
	a := &pricing{Assumptions: c.assumptions(), Interconnect: costmodel.DefaultInterconnect()}
	if err := a.Assumptions.Validate(); err != nil {
		return nil, usageError{err}
	}
	if c.pricePerHour < 0 || c.purchaseUSD < 0 || c.watts < 0 {
		return nil, usagef("--price-per-hour, --purchase and --watts must not be negative")
	}
	cat, err := costmodel.LoadCatalog(c.catalogs...)
	if err != nil {
		return nil, usageError{err}
	}
	a.Catalog = cat
	var opts []costmodel.Option
	if len(resultFiles) > 0 {
		res, err := costmodel.LoadResults(resultFiles...)
		if err != nil {
			return nil, usageError{err}
		}
		a.Results = res
		threads := c.threads
		if len(threads) == 0 {
			threads = res.Threads()
		}
		if len(threads) == 0 {
			return nil, usagef("%v: no kernel measurements the cost model can use", resultFiles)
		}
		price := costmodel.LocalPrice{USDPerHour: c.pricePerHour, PurchaseUSD: c.purchaseUSD, Watts: c.watts}
		for _, t := range threads {
			name := res.Profile.CPU
			if name == "" {
				name = "this machine"
			}
			name += fmt.Sprintf(", %d thread", t)
			if t > 1 {
				name += "s"
			}
			o, err := costmodel.MeasuredOption(fmt.Sprintf("measured-%dt", t), name, res, t, price, cat)
			if err != nil {
				return nil, err
			}
			opts = append(opts, o)
		}
	}
	opts = append(opts, cat.Options...)
	if len(c.workloads) == 0 {
		return nil, usagef("--workload: name at least one workload")
	}
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
