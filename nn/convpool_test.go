package nn

import (
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// TestConvPoolPlanned checks where the trainer runs a conv's backward inside
// the max-pool after it: the seed CNN's conv1 (its input, the image, needs
// no gradient) and not conv2 (whose input gradient reads the output
// gradient), nor under bf16; the fused conv's output gradient takes no
// memory, and the step's work still counts the pool's backward.
func TestConvPoolPlanned(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := workload.SeedCNN()
	m, err := NewModel(ctx, net, 8)
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, r := range m.layers {
		idx[r.Name] = i
	}
	if got := m.fusedPool[idx["conv1"]]; got != idx["pool1"] {
		t.Errorf("conv1's backward runs in layer %d, want pool1 (%d)", got, idx["pool1"])
	}
	if got := m.fusedPool[idx["conv2"]]; got != -1 {
		t.Errorf("conv2's backward runs in layer %d, want its own", got)
	}
	for _, tk := range m.bwd {
		if tk.layer == idx["pool1"] && tk.pass == dataPass {
			t.Errorf("pool1 has a backward-data task of its own")
		}
	}
	convOut := m.layers[idx["conv1"]].Out.Len() * 8
	for _, b := range m.bufs {
		if b.role == roleGrad && b.n == convOut {
			t.Errorf("a %d-element gradient buffer (conv1's output) is planned", b.n)
		}
	}
	p := m.layers[idx["pool1"]].Pool
	if got, want := m.taskFLOPs(idx["conv1"], weightsPass, 8)-m.passFLOPs(idx["conv1"], weightsPass, 8), p.FLOPs("bwd-data")*8/float64(p.N); got != want {
		t.Errorf("the fused task counts %v FLOPs beyond conv1's, want pool1's backward %v", got, want)
	}
	// The gradient check's tiny-c: a first conv without a ReLU, windows of 3.
	mc, err := NewModel(ctx, tinyNets()[2], 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := mc.fusedPool[0]; got != 1 {
		t.Errorf("tiny-c: conv1's backward runs in layer %d, want pool1 (1)", got)
	}
	if ctx.HasBF16() {
		mb, err := NewModelPrecision(ctx, net, 8, BF16)
		if err != nil {
			t.Fatal(err)
		}
		if got := mb.fusedPool[idx["conv1"]]; got != -1 {
			t.Errorf("bf16: conv1's backward runs in layer %d, want its own", got)
		}
	}
}
