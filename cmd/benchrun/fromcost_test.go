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
	// One trend per hardware class, each over that class's options only.
	classOf := map[string]string{}
	for _, o := range w.Options {
		classOf[o.Name] = o.Class
		if o.Class != classCPU && o.Class != classAccelerator {
			t.Errorf("%s: class %q", o.Name, o.Class)
		}
	}
	if len(w.PriceTrends) == 0 {
		t.Fatal("no price trend")
	}
	for _, tr := range w.PriceTrends {
		n := 0
		for _, e := range c.Estimates {
			if classOf[e.Name] == tr.Class && e.ReleaseYear > 0 {
				if o, found := byName[e.Name]; found {
					if _, ok := headlineOf(o); ok {
						n++
					}
				}
			}
		}
		if tr.Options != n || tr.Options < 3 || tr.FirstYear >= tr.LastYear {
			t.Errorf("%s trend over %d options (%d–%d), want the %d priced options of that class", tr.Class, tr.Options, tr.FirstYear, tr.LastYear, n)
		}
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

// headlineOf is an option's price by the report's rule: on demand, else
// owned, else spot.
func headlineOf(o reports.Option) (float64, bool) {
	for _, r := range []reports.Range{o.OnDemand, o.Own, o.Spot} {
		if r.OK() {
			return r.Mid, true
		}
	}
	return 0, false
}
