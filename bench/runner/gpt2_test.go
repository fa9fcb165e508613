package runner

import (
	"testing"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// TestGPT2FamiliesBySet: the default preset leaves out the GPT-2 layer
// families; --set gpt2 and --kernel bring them back.
func TestGPT2FamiliesBySet(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	gpt2 := map[string]bool{benchname.LayerNorm: true, benchname.GELU: true, benchname.Attention: true, benchname.Embedding: true, benchname.AdamW: true}
	def, err := Select(Selection{}, Default, info)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range def {
		if gpt2[c.Family] {
			t.Fatalf("the default preset runs %s", c.Name())
		}
	}
	set, err := Select(Selection{Sets: []string{benchname.SetGPT2}}, Default, info)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, c := range set {
		got[c.Family] = true
	}
	for f := range gpt2 {
		if !got[f] {
			t.Errorf("--set gpt2: no %s case", f)
		}
	}
	at, err := Select(Selection{Kernels: []string{benchname.Attention}}, Default, info)
	if err != nil || len(at) == 0 {
		t.Fatalf("--kernel Attention: %d cases, %v", len(at), err)
	}
}
