package workload

import (
	"strings"
	"testing"

	"github.com/trainbench/trainbench/shape"
)

// TestSeedCNNShapes checks the seed network against shapes and counts worked
// by hand: 28→26 (conv 3×3) →13 (pool) →11 (conv) →5 (pool), 5·5·64 = 1600;
// parameters 320 + 18,496 + 204,928 + 1,290 = 225,034; forward FLOPs per image
// 389,376 + 4,460,544 + 409,600 + 2,560 = 5,262,080.
func TestSeedCNNShapes(t *testing.T) {
	rs, err := SeedCNN().Resolve(32)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Dims{
		"conv1": {26, 26, 32}, "pool1": {13, 13, 32}, "conv2": {11, 11, 64}, "pool2": {5, 5, 64},
		"flatten": {1, 1, 1600}, "fc1": {1, 1, 128}, "fc2": {1, 1, 10},
	}
	var fwd float64
	params := 0
	for _, r := range rs {
		if w, ok := want[r.Name]; ok && r.Out != w {
			t.Errorf("%s: out %v, want %v", r.Name, r.Out, w)
		}
		if r.Conv != nil {
			fwd += r.Conv.FLOPs(shape.Forward)
		}
		if r.Dense != nil {
			fwd += r.Dense.FLOPs(shape.Forward)
		}
		params += r.Params
		if r.First != (r.Name == "conv1") {
			t.Errorf("%s: First = %v", r.Name, r.First)
		}
	}
	if params != 225034 {
		t.Errorf("params = %d, want 225034", params)
	}
	if got := fwd / 32; got != 5262080 {
		t.Errorf("forward FLOPs per image = %v, want 5262080", got)
	}
	conv2 := rs[3].Conv
	if conv2.N*conv2.OutH()*conv2.OutW() != 3872 || conv2.C*conv2.R*conv2.S != 288 {
		t.Errorf("conv2 im2col GEMM is not 3872×64×288: %v", conv2)
	}
}

func TestResolveNamesTheBadLayer(t *testing.T) {
	n := SeedCNN()
	n.Layers[3].Kernel = 30
	_, err := n.Resolve(32)
	if err == nil || !strings.Contains(err.Error(), "layer 3 (conv2") {
		t.Fatalf("error %v does not name layer 3 (conv2)", err)
	}
	n = SeedCNN()
	n.Layers[7].Units = 0
	if _, err := n.Resolve(1); err == nil || !strings.Contains(err.Error(), "units") {
		t.Fatalf("error %v does not name the units field", err)
	}
	n = SeedCNN()
	n.Layers[9].Units = 11
	if _, err := n.Resolve(1); err == nil || !strings.Contains(err.Error(), "classes") {
		t.Fatalf("error %v does not mention the class count", err)
	}
}
