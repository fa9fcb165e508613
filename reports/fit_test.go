package reports

import (
	"testing"
)

// TestOptionsThatDoNotFit: an option a step does not fit is never
// recommended nor on the Pareto frontier, however cheap and fast it is.
func TestOptionsThatDoNotFit(t *testing.T) {
	w := Workload{Name: "w", Options: []Option{
		{Name: "tiny", Kind: Catalogued, Seconds: Point(1), OnDemand: Point(0.01), DoesNotFit: "a step needs 9 GB but it has 1 GB"},
		{Name: "real", Kind: Catalogued, Seconds: Point(10), OnDemand: Point(1)},
		{Name: "slow", Kind: Catalogued, Seconds: Point(100), OnDemand: Point(2)},
	}}
	for _, r := range recommend(&w, 5, 50, 1) {
		if r.Option != "real" {
			t.Errorf("%s: %q, want real", r.Label, r.Option)
		}
	}
	for _, o := range pareto(w.Options) {
		if o.Name == "tiny" {
			t.Error("the option that does not fit is on the Pareto frontier")
		}
	}
	if len(w.Options) != 3 {
		t.Errorf("recommend changed the workload's options: %d", len(w.Options))
	}
}
