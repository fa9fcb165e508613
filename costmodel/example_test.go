package costmodel_test

import (
	"fmt"
	"os"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/workload"
)

// Example prices an epoch of a workload on the catalog and on a measured
// machine, with the answers a report draws (results.txt: a benchrun or go test -bench
// output whose configuration lines carry the machine profile).
func Example() {
	cat, err := costmodel.LoadCatalog() // add file paths to override or extend
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	opts := cat.Options
	if res, err := costmodel.LoadResults("results.txt"); err == nil {
		local, err := costmodel.MeasuredOption("local", "", res, 2, costmodel.LocalPrice{}, cat)
		if err == nil {
			opts = append(opts, local)
			fmt.Println(local.Measured.PriceNote)
		}
	}
	w := workload.SeedCNN()
	c, err := costmodel.Compare(w, opts, costmodel.DefaultAssumptions(), costmodel.DefaultInterconnect())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, e := range c.Estimates {
		if e.Unavailable != "" {
			fmt.Println(e.Option, "unavailable:", e.Unavailable)
			continue
		}
		fmt.Printf("%s (%s): %.3g s an epoch [%.3g, %.3g]\n", e.Option, e.Basis, e.EpochSeconds.Mid, e.EpochSeconds.Low, e.EpochSeconds.High)
		if e.OnDemand != nil {
			fmt.Printf("  $%.3g on demand (%s)\n", e.OnDemand.USD.Mid, e.OnDemand.Basis)
		}
	}
	for _, s := range c.ScaleOut {
		fmt.Println("scale-out of", s.Name)
		for _, p := range s.Points {
			fmt.Printf("  N=%d: %.3g s, efficiency %.2f\n", p.N, p.EpochSeconds.Mid, p.Efficiency)
		}
	}
	if b := c.BuyVsRent; b != nil {
		last := b.Points[len(b.Points)-1]
		fmt.Printf("owning %s: $%.0f after %.0f months, renting $%.0f\n", b.Name, last.Own, last.Month, last.OnDemand)
	}
	if t := c.Trend; t != nil && t.HalvingYears > 0 {
		fmt.Printf("the price of an epoch halves every %.2g years (R² %.2f)\n", t.HalvingYears, t.R2)
	}
}
