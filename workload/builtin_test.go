package workload

import (
	"math"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/shape"
)

func passOf(t *testing.T, lw LayerWork, p shape.Pass) (Work, bool) {
	t.Helper()
	for _, w := range lw.Passes {
		if w.Pass == p {
			return w, true
		}
	}
	return Work{}, false
}

// TestSeedCNNStep checks a training step of the seed CNN at batch 32 against
// counts worked by hand:
//
//	conv1 fwd = bwd-weights = 2·32·26·26·32·9 = 12,460,032; no bwd-data
//	conv2 each pass 2·32·11·11·64·288 = 142,737,408
//	fc1 each pass 2·32·1600·128 = 13,107,200; fc2 2·32·128·10 = 81,920
//	pool1 fwd = bwd = 32·13·13·32·4 = 692,224
//	relu1 fwd 32·26·26·32 = 692,224 and its bwd the same
//	loss fwd 4·32·10 = 1,280, bwd 3·32·10 = 960
//	Adam 12 FLOPs a parameter: conv1 12·320 = 3,840, total 12·225,034 = 2,700,408
//	activations kept: (784 + 2·21,632 + 5,408 + 2·7,744 + 1,600 + 2·128 + 10)
//	floats an image = 66,810 · 32 · 4 B = 8,551,680 B
func TestSeedCNNStep(t *testing.T) {
	n := SeedCNN()
	st, err := n.Step(32)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[shape.Pass]float64{
		"conv1":   {shape.Forward: 12460032, shape.BackwardWeights: 12460032, OptimizerPass: 3840},
		"relu1":   {shape.Forward: 692224, shape.BackwardData: 692224},
		"pool1":   {shape.Forward: 692224, shape.BackwardData: 692224},
		"conv2":   {shape.Forward: 142737408, shape.BackwardData: 142737408, shape.BackwardWeights: 142737408, OptimizerPass: 12 * 18496},
		"fc1":     {shape.Forward: 13107200, shape.BackwardData: 13107200, shape.BackwardWeights: 13107200, OptimizerPass: 12 * 204928},
		"fc2":     {shape.Forward: 81920, shape.BackwardData: 81920, shape.BackwardWeights: 81920, OptimizerPass: 12 * 1290},
		"loss":    {shape.Forward: 1280, shape.BackwardData: 960},
		"flatten": {},
	}
	for _, lw := range st.Layers {
		w, ok := want[lw.Name]
		if !ok {
			continue
		}
		if len(lw.Passes) != len(w) {
			t.Errorf("%s: passes %v, want %v", lw.Name, lw.Passes, w)
		}
		for p, f := range w {
			got, ok := passOf(t, lw, p)
			if !ok || got.FLOPs != f {
				t.Errorf("%s %s: FLOPs %v (present %v), want %v", lw.Name, p, got.FLOPs, ok, f)
			}
		}
	}
	if got := st.FLOPs(OptimizerPass); got != 2700408 {
		t.Errorf("Adam FLOPs %v, want 2700408", got)
	}
	if st.ActivationBytes != 8551680 {
		t.Errorf("activation bytes %v, want 8551680", st.ActivationBytes)
	}
	if st.OptimizerBytes != 8*225034 {
		t.Errorf("optimizer state %v B, want %v", st.OptimizerBytes, 8*225034)
	}
	// The training FLOPs are about 3× forward, less conv1's missing
	// bwd-data: 15.40 MFLOP an image for the GEMM-like layers (forward,
	// counted by hand: conv1 389,376 + conv2 4,460,544 + fc1 409,600 +
	// fc2 2,560 = 5,262,080).
	gemm := 0.0
	for _, lw := range st.Layers {
		if lw.Conv != nil || lw.Dense != nil {
			for _, w := range lw.Passes {
				if w.Pass != OptimizerPass {
					gemm += w.FLOPs
				}
			}
		}
	}
	if got := gemm / 32; got != 15396864 {
		t.Errorf("conv+dense training FLOPs an image %v, want 3·5,262,080 − 389,376 = 15,396,864", got)
	}
	if n.StepsPerEpoch() != 1875 {
		t.Errorf("steps per epoch %v, want 1875", n.StepsPerEpoch())
	}
}

// TestResNet50 checks the built-in ResNet-50 against torchvision's published
// figures for resnet50 (IMAGENET1K_V1 weights: 25,557,032 parameters, 4.09
// GFLOPS, which torchvision counts as multiply-adds of the convolutions and
// the final dense layer at 224×224).
func TestResNet50(t *testing.T) {
	n := ResNet50()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := n.Step(1)
	if err != nil {
		t.Fatal(err)
	}
	if st.Params != 25557032 {
		t.Errorf("params %d, want 25,557,032", st.Params)
	}
	macs := 0.0
	out := map[string]Dims{}
	for _, lw := range st.Layers {
		out[lw.Name] = lw.Out
		if lw.Conv != nil {
			macs += lw.Conv.FLOPs(shape.Forward) / 2
		}
		if lw.Dense != nil {
			macs += lw.Dense.FLOPs(shape.Forward) / 2
		}
		_, hasBwdData := passOf(t, lw, shape.BackwardData)
		if lw.Name == "conv1" && (hasBwdData || !lw.First) {
			t.Errorf("conv1: bwd-data %v, first %v; want no bwd-data, first", hasBwdData, lw.First)
		}
		if (lw.Name == "res2a.conv1" || lw.Name == "bn1" || lw.Name == "res3a.add") && !hasBwdData {
			t.Errorf("%s has no bwd-data pass", lw.Name)
		}
	}
	if got := math.Round(macs/1e7) / 100; got != 4.09 {
		t.Errorf("forward multiply-adds %.4g G (%v), want 4.09 G", macs/1e9, macs)
	}
	for name, d := range map[string]Dims{"conv1": {112, 112, 64}, "pool1": {56, 56, 64}, "res2c.out": {56, 56, 256},
		"res3a.conv2": {28, 28, 128}, "res4f.out": {14, 14, 1024}, "res5c.out": {7, 7, 2048}, "avgpool": {1, 1, 2048}, "fc": {1, 1, 1000}} {
		if out[name] != d {
			t.Errorf("%s: out %v, want %v", name, out[name], d)
		}
	}
	if n.StepsPerEpoch() != 5000 {
		t.Errorf("steps per epoch %v, want 1,280,000/256 = 5000", n.StepsPerEpoch())
	}
}

// TestGPT2Small checks GPT-2 small against its published parameter count
// (124,439,808 with the output layer tied to the token embedding) and its
// per-layer FLOPs against the 6·N·D rule: the matrix products of every
// linear layer (the tied output layer included) do exactly 6 FLOPs per
// weight per token (2 forward, 2 backward-data, 2 backward-weights); the
// causal attention is counted per unmasked query-key pair; the whole step is
// within 10% above 6 × parameters × tokens.
func TestGPT2Small(t *testing.T) {
	n := GPT2Small()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	const batch = 2
	st, err := n.Step(batch)
	if err != nil {
		t.Fatal(err)
	}
	if st.Params != 124439808 {
		t.Errorf("params %d, want 124,439,808", st.Params)
	}
	tokens := float64(batch * 1024)
	matmulWeights, matmulFLOPs, attn := 0.0, 0.0, 0.0
	for _, lw := range st.Layers {
		if lw.Dense != nil {
			matmulWeights += float64(lw.Dense.In * lw.Dense.Out)
			for _, w := range lw.Passes {
				if w.Pass != OptimizerPass {
					matmulFLOPs += w.FLOPs
				}
			}
		}
		if lw.Attention != nil {
			for _, w := range lw.Passes {
				attn += w.FLOPs
			}
		}
	}
	if matmulWeights != 123532032 {
		t.Errorf("matmul weights %v, want 12·7,077,888 + 768·50,257 = 123,532,032", matmulWeights)
	}
	if want := 6 * matmulWeights * tokens; matmulFLOPs != want {
		t.Errorf("linear-layer FLOPs %v, want 6·weights·tokens = %v", matmulFLOPs, want)
	}
	// Causal: 1024·1025/2 pairs per head; (4·64+5) forward + (8·64+3)
	// backward FLOPs a pair; 12 heads, 12 layers.
	if want := 12.0 * batch * 12 * (1024 * 1025 / 2) * (4*64 + 5 + 8*64 + 3); attn != want {
		t.Errorf("attention FLOPs %v, want %v", attn, want)
	}
	ratio := st.FLOPs() / (6 * float64(st.Params) * tokens)
	if ratio < 1 || ratio > 1.1 {
		t.Errorf("step FLOPs / (6·params·tokens) = %.4f, want within [1, 1.1]", ratio)
	}
	if n.Tokens() != 1e10 {
		t.Errorf("tokens per epoch %v, want 1e10", n.Tokens())
	}
	for _, lw := range st.Layers {
		if lw.Name == "wte" {
			if _, ok := passOf(t, lw, shape.BackwardData); ok {
				t.Error("the embedding has a bwd-data pass")
			}
		}
		if lw.Name == "lm_head" && lw.Params != 0 {
			t.Errorf("tied lm_head owns %d params", lw.Params)
		}
	}
}

func TestResidualErrorsNameTheField(t *testing.T) {
	n := ResNet50()
	for i := range n.Layers {
		if n.Layers[i].Name == "res2b.add" {
			n.Layers[i].With = "nope"
		}
	}
	err := n.Validate()
	fe, ok := err.(*FieldError)
	if !ok || fe.LayerName != "res2b.add" || !strings.Contains(fe.Field, ".with") {
		t.Fatalf("error %v does not name res2b.add's with field", err)
	}
	n = ResNet50()
	n.Layers[5].Input = "res9z"
	if err := n.Validate(); err == nil || !strings.Contains(err.Error(), "input") {
		t.Fatalf("error %v does not name the input field", err)
	}
}
