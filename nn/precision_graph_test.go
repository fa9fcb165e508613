package nn

import (
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// TestBF16GraphNetsTrackF32 trains the two graph networks the trainer runs
// besides the seed CNN, each twice from the same seed, in float32 and in
// bfloat16, and holds the bf16 loss curve to the band of
// TestBF16TrainingTracksF32 (every window of 10 steps within 0.03 + 5% of
// the float32 mean): networks/mnist-resnet.yaml (conv2d and dense through
// the bf16 kernels beside batch-norm, residual adds and pooling in float32)
// at learning rate 0.01 (at the file's 0.05 with momentum 0.9 the first 50
// steps are chaotic: the two runs part by up to 25% there, both learning)
// and a small GPT on Go source (every linear layer, the tied output layer
// included, through the bf16 dense kernels; embeddings, layer-norm,
// attention and GELU in float32). It also checks that the bf16 losses are
// not the float32 ones (the bf16 kernels ran) and that the bf16 run learns
// (its last window below its first). 60 steps each on a Context with
// AVX512_BF16 (about 4 s); on the pure-Go kernels only the GPT, 20 steps (5 s).
func TestBF16GraphNetsTrackF32(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	steps := 60
	if !ctx.HasBF16() || pureGo {
		steps = 20
	}
	check := func(t *testing.T, net workload.Network, data Dataset, batch int) {
		run := func(p Precision) []float32 {
			rep, err := Train(ctx, net, data, TrainOptions{Seed: 5, Batch: batch, MaxSteps: steps, SkipTest: true, Precision: p}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Loss) != steps {
				t.Fatalf("%d losses, want %d", len(rep.Loss), steps)
			}
			return rep.Loss
		}
		f32, bf16 := run(F32), run(BF16)
		same := true
		for i := range f32 {
			same = same && f32[i] == bf16[i]
		}
		if same {
			t.Fatal("bf16 losses equal the float32 ones bit for bit: the bf16 kernels did not run")
		}
		const w = 10
		for lo := 0; lo+w <= steps; lo += w {
			a, b := mean(f32[lo:lo+w]), mean(bf16[lo:lo+w])
			if d := b - a; d > 0.03+0.05*a || -d > 0.03+0.05*a {
				t.Errorf("steps %d-%d: bf16 mean loss %.4f, float32 %.4f: outside the band ±(0.03 + 5%%)", lo+1, lo+w, b, a)
			}
			t.Logf("steps %d-%d: float32 %.4f, bf16 %.4f", lo+1, lo+w, a, b)
		}
		if first, last := mean(bf16[:w]), mean(bf16[steps-w:]); !(last < first) {
			t.Errorf("bf16 loss did not fall: first %d steps %.4f, last %.4f", w, first, last)
		}
	}
	t.Run("mnist-resnet", func(t *testing.T) {
		if pureGo {
			t.Skip("15 s on the pure-Go kernels; the gpt case runs the pure-Go bf16 dense kernels")
		}
		data := subset(loadMNIST(t), steps*32, 100)
		net := mnistResNet(t)
		net.Optimizer.LR = 0.01
		check(t, net, data, 32)
	})
	t.Run("gpt", func(t *testing.T) {
		net := miniGPT("gpt-bf16", 32, 2, 2, 32, ByteVocab)
		net.Optimizer.LR = 3e-3
		const batch = 16
		T := net.Input.W
		tokens, err := ReadCorpus(DefaultCorpusDir(), steps*batch*T+16<<10)
		if err != nil {
			t.Skipf("no Go source tree to read: %v", err)
		}
		data, err := TextDataset(tokens, T, float64(16<<10)/float64(len(tokens)))
		if err != nil {
			t.Fatal(err)
		}
		check(t, net, data, batch)
	})
}
