package nn

import (
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// TestResNet50Memory: the planned memory of a ResNet-50 step at batch 8 is
// within 1.3× of what the workload package counts (parameters, gradients,
// optimizer state, every layer's output), computed from the plan alone.
// Sharing must pay: the gradients take far less than if each had its own
// buffer.
func TestResNet50Memory(t *testing.T) {
	net := workload.ResNet50()
	mem, err := PlanMemory(net, 8)
	if err != nil {
		t.Fatal(err)
	}
	st, err := net.Step(8)
	if err != nil {
		t.Fatal(err)
	}
	want := st.MemoryBytes()
	ratio := mem.Total / want
	t.Logf("ResNet-50 b8: planned %.0f MB (params %.0f, grads %.0f, optimizer %.0f, input %.1f, arena %.0f of activations %.0f + gradients %.0f + scratch %.0f unshared); workload counts %.0f MB: %.3f×",
		mem.Total/1e6, mem.Params/1e6, mem.Grads/1e6, mem.Optimizer/1e6, mem.Input/1e6, mem.Arena/1e6, mem.Activations/1e6, mem.Gradients/1e6, mem.Scratch/1e6, want/1e6, ratio)
	if ratio > 1.3 || ratio < 0.5 {
		t.Errorf("planned memory %.0f MB is %.2f× the workload's count %.0f MB, want within 1.3× (and not below half: a count that small misses something)", mem.Total/1e6, ratio, want/1e6)
	}
	if mem.Arena >= mem.Activations+0.5*mem.Gradients {
		t.Errorf("arena %.0f MB: the gradient buffers (%.0f MB) hardly share memory", mem.Arena/1e6, mem.Gradients/1e6)
	}
	if mem.Params != 4*float64(st.Params) || mem.Optimizer != mem.Params {
		t.Errorf("params %.0f bytes, optimizer %.0f; want 4×%d and one SGD velocity per parameter", mem.Params, mem.Optimizer, st.Params)
	}
}

// TestMemoryMatchesAllocation: the planned memory of a built model is what
// it allocated.
func TestMemoryMatchesAllocation(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := tinyResNet()
	m, err := NewModel(ctx, net, 4)
	if err != nil {
		t.Fatal(err)
	}
	mem := m.Memory()
	planned, err := PlanMemory(net, 4)
	if err != nil {
		t.Fatal(err)
	}
	if mem != planned {
		t.Errorf("model's memory %+v, planned %+v", mem, planned)
	}
	got := 4 * float64(len(m.params)+len(m.grads)+len(m.arena)+len(m.x)+len(m.labels))
	for _, a := range m.args {
		got += 4 * float64(len(a))
	}
	for _, bn := range m.bn {
		if bn != nil {
			got += 4 * 4 * float64(bn.c) // running mean and variance, batch mean and 1/σ
		}
	}
	got += mem.Optimizer
	if got != mem.Total {
		t.Errorf("allocated %.0f bytes, Memory().Total %.0f", got, mem.Total)
	}
	// No two buffers alive at the same time overlap.
	for i, a := range m.bufs {
		for _, b := range m.bufs[i+1:] {
			if a.first <= b.last && b.first <= a.last && a.off < b.off+b.n && b.off < a.off+a.n {
				t.Fatalf("buffers at %d (%d elements, times %d-%d) and %d (%d, %d-%d) overlap", a.off, a.n, a.first, a.last, b.off, b.n, b.first, b.last)
			}
		}
	}
}
