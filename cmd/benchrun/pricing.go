package main

import (
	"fmt"
	"math"
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
// measured machines' options first.
type pricing struct {
	Assumptions  costmodel.Assumptions
	Interconnect costmodel.Interconnect // of the scale-out curves
	Catalog      costmodel.Catalog
	// Machines are the measured machines of the results files, one each
	// (costmodel.LoadMachines); none without results files.
	Machines  []*costmodel.Results
	Workloads []costmodel.Comparison
}

// priceWorkloads loads the workloads, the catalog and the results files
// (which may be none) and prices an epoch of every workload on every option
// (costmodel.Compare): each measured machine at each thread count is an
// option of its own, named for the machine. Bad input (an unknown workload,
// a malformed file, an invalid assumption or flag value) is a usage error
// naming it.
func priceWorkloads(c costFlags, resultFiles []string) (*pricing, error) {
	a := &pricing{Assumptions: c.assumptions(), Interconnect: costmodel.DefaultInterconnect()}
	if err := a.Assumptions.Validate(); err != nil {
		return nil, usageError{err}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"--price-per-hour", c.pricePerHour}, {"--purchase", c.purchaseUSD}, {"--watts", c.watts}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return nil, usagef("%s %v: want a finite number ≥ 0", f.name, f.v)
		}
	}
	for _, t := range c.threads {
		if t < 1 {
			return nil, usagef("--threads %d: want a thread count ≥ 1", t)
		}
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
