package main

import (
	"strings"
	"testing"

	"github.com/trainbench/trainbench/costmodel"
	"github.com/trainbench/trainbench/reports"
)

// TestReportInput converts the pricing of the synthetic measured machine
// and the catalog: every estimated option is there with its prices, the
// measured one cites how it was priced, catalogued ones cite the catalog
// figures their estimate used, and the scale-out, buy-vs-rent
// and trend answers arrive as the cost model gave them.
func TestReportInput(t *testing.T) {
	p, err := priceWorkloads(defaultCostFlags(), []string{seedResults})
	if err != nil {
		t.Fatal(err)
	}
	head := reports.Input{Title: "t", BudgetPerEpoch: 1, Notes: []string{"n"}}
	in, err := reportInput(p, head)
	if err != nil {
		t.Fatal(err)
	}
	if in.Title != "t" || in.BudgetPerEpoch != 1 || len(in.Notes) != 1 || len(in.Machine) == 0 || len(in.Kernels) == 0 || len(in.Ceilings.Peaks) == 0 {
		t.Errorf("head or machine lost: title %q, budget %v, notes %v, %d profile lines, %d kernels, %d peaks",
			in.Title, in.BudgetPerEpoch, in.Notes, len(in.Machine), len(in.Kernels), len(in.Ceilings.Peaks))
	}
	c, w := p.Workloads[0], in.Workloads[0]
	byName := map[string]reports.Option{}
	for _, o := range w.Options {
		byName[o.Name] = o
	}
	for _, e := range c.Estimates {
		o, found := byName[e.Name]
		if found == (e.Unavailable != "") {
			t.Errorf("%s: in the report %v, unavailable %q", e.Name, found, e.Unavailable)
			continue
		}
		if !found {
			continue
		}
		if e.OnDemand != nil && o.OnDemand.Mid != e.OnDemand.USD.Mid || e.EpochSeconds.Mid != o.Seconds.Mid {
			t.Errorf("%s: on demand %v, seconds %v; the estimate says %+v, %v", e.Name, o.OnDemand, o.Seconds, e.OnDemand, e.EpochSeconds)
		}
		switch e.Basis {
		case costmodel.BasisMeasured:
			if o.Kind != reports.Measured || len(o.Sources) != 1 || o.Sources[0].Name != e.PriceNote || !strings.HasPrefix(e.PriceNote, "no price given") {
				t.Errorf("measured option %s: kind %s, sources %+v; want the price note %q", o.Name, o.Kind, o.Sources, e.PriceNote)
			}
		default:
			if len(e.Sources) == 0 || len(o.Sources) != len(e.Sources) {
				t.Fatalf("%s: %d sources, the estimate cites %d", o.Name, len(o.Sources), len(e.Sources))
			}
			for i, s := range o.Sources {
				if c := e.Sources[i]; s.Name != c.What+": "+c.Source || s.Date != c.Date {
					t.Errorf("%s: source %+v, want %+v", o.Name, s, c)
				}
			}
		}
	}
	if len(w.ScaleOut) != len(c.ScaleOut) || len(w.ScaleOut) == 0 || w.ScaleOut[0].Option != c.ScaleOut[0].Name ||
		w.ScaleOut[0].Interconnect != p.Interconnect.Describe() {
		t.Errorf("scale-out %+v, want the cost model's %d curves", w.ScaleOut, len(c.ScaleOut))
	}
	if c.BuyVsRent == nil || w.BuyVsRent == nil || w.BuyVsRent.Option != c.BuyVsRent.Name || len(w.BuyVsRent.Points) != len(c.BuyVsRent.Points) {
		t.Errorf("buy-vs-rent %+v, want the cost model's %+v", w.BuyVsRent, c.BuyVsRent)
	}
	tr := c.Trend
	if tr == nil || w.PriceTrend == nil || w.PriceTrend.Slope != tr.Slope || w.PriceTrend.Options != len(tr.Points) ||
		w.PriceTrend.FirstYear != tr.Points[0].Year || w.PriceTrend.LastYear != tr.Points[len(tr.Points)-1].Year {
		t.Errorf("price trend %+v, want the cost model's %+v", w.PriceTrend, tr)
	}
}

func TestFirstURL(t *testing.T) {
	for s, want := range map[string]string{
		"NVIDIA datasheet (https://nvidia.com/h100.pdf), p. 2": "https://nvidia.com/h100.pdf",
		"vendor page; http://a.example/x, read 2025":           "http://a.example/x",
		"sysrqmts.com T4 page":                                 "",
	} {
		if got := firstURL(s); got != want {
			t.Errorf("firstURL(%q) = %q, want %q", s, got, want)
		}
	}
}
