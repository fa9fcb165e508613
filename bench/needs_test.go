package bench

import (
	"strings"
	"testing"

	"github.com/trainbench/trainbench/workload"
)

// TestNeededShapes: the seed CNN needs its two conv layers (conv1 without
// bwd-data) under the names the Conv2D seed set uses, and six distinct
// GEMMs: fc1 32×128×1600, 32×1600×128, 128×1600×32 and fc2 32×10×128,
// 32×128×10, 10×128×32.
func TestNeededShapes(t *testing.T) {
	convs, gemms, err := NeededShapes(workload.SeedCNN())
	if err != nil {
		t.Fatal(err)
	}
	want := SeedConvShapes()
	if len(convs) != len(want) {
		t.Fatalf("convs %+v, want %+v", convs, want)
	}
	for i := range want {
		if convs[i] != want[i] {
			t.Errorf("conv %d: %+v, want %+v", i, convs[i], want[i])
		}
	}
	wantG := [][3]int{{32, 128, 1600}, {32, 1600, 128}, {128, 1600, 32}, {32, 10, 128}, {32, 128, 10}, {10, 128, 32}}
	if len(gemms) != len(wantG) {
		t.Fatalf("gemms %+v", gemms)
	}
	for i, g := range gemms {
		if [3]int{g.M, g.N, g.K} != wantG[i] || !strings.HasPrefix(g.Note, "seed-cnn.fc") {
			t.Errorf("gemm %d: %+v, want %v", i, g, wantG[i])
		}
	}
}
