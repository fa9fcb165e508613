package costmodel_test

import (
	"fmt"
	"os"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/workload"
)

// Example shows how a report prices an epoch of a workload on the catalog
// and on a measured machine (results.txt: a benchrun or go test -bench
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
	ests, err := costmodel.Estimate(w, opts, costmodel.DefaultAssumptions())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, e := range ests {
		if e.Unavailable != "" {
			fmt.Println(e.Option, "unavailable:", e.Unavailable)
			continue
		}
		fmt.Printf("%s (%s): %.3g s an epoch [%.3g, %.3g]\n", e.Option, e.Basis, e.EpochSeconds.Mid, e.EpochSeconds.Low, e.EpochSeconds.High)
		if e.OnDemand != nil {
			fmt.Printf("  $%.3g on demand (%s)\n", e.OnDemand.USD.Mid, e.OnDemand.Basis)
		}
	}
	if h100, ok := find(ests, "nvidia-h100-sxm"); ok {
		points, _ := costmodel.ScaleOut(h100, []int{1, 2, 4, 8, 16, 32, 64}, costmodel.DefaultInterconnect())
		for _, p := range points {
			fmt.Printf("  N=%d: %.3g s, efficiency %.2f\n", p.N, p.EpochSeconds.Mid, p.Efficiency)
		}
	}
}

func find(es []costmodel.EpochEstimate, id string) (costmodel.EpochEstimate, bool) {
	for _, e := range es {
		if e.Option == id {
			return e, true
		}
	}
	return costmodel.EpochEstimate{}, false
}
