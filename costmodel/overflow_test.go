package costmodel

import (
	"errors"
	"testing"

	"github.com/trainbench/trainbench/workload"
)

// TestEstimateRefusesOverflowingNetwork: a dense layer of 2⁵⁸ units on the
// seed CNN's 1600 features has 1600·2⁵⁸ weights, 0 in 64-bit arithmetic; such
// a network used to be priced at milliseconds an epoch. It must be an error
// naming the field, not an estimate.
func TestEstimateRefusesOverflowingNetwork(t *testing.T) {
	w := workload.SeedCNN()
	w.Layers[7].Units = 1 << 58
	es, err := Estimate(w, []Option{testOption()}, testAssumptions())
	var fe *workload.FieldError
	if !errors.As(err, &fe) || fe.Field != "layers[7].units" {
		t.Fatalf("Estimate = %v, %v; want an error naming layers[7].units", es, err)
	}
}
