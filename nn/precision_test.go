package nn

import (
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// TestBF16TrainingTracksF32 trains the seed CNN on a slice of MNIST twice
// from the same seed, in float32 and in bfloat16 (bf16 operands for the
// conv2d and dense products, everything else float32), and holds the bf16
// loss curve to a band around the float32 one: in every window of 10 steps
// the mean losses differ by at most 0.03 + 5% of the float32 mean (bf16's
// 8-bit mantissa perturbs each step by about 2⁻⁹ relative, and the two runs'
// trajectories drift apart slowly, but training must not slow or stall).
// It also checks the bf16 run learns (last window below 0.6) and that its
// losses are not the float32 ones (the bf16 kernels ran). 150 steps on a
// Context with AVX512_BF16; 40 on the pure-Go bf16 kernels (2 s).
func TestBF16TrainingTracksF32(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	steps, maxLast := 150, 0.6
	if !ctx.HasBF16() || pureGo {
		steps, maxLast = 40, 1.3
	}
	data := subset(loadMNIST(t), steps*32, 200)
	run := func(p Precision) []float32 {
		rep, err := Train(ctx, workload.SeedCNN(), data, TrainOptions{Seed: 3, MaxSteps: steps, SkipTest: true, Precision: p}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Precision != p {
			t.Fatalf("report precision %v, want %v", rep.Precision, p)
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
		if lo == 0 || lo+2*w > steps {
			t.Logf("steps %d-%d: float32 %.4f, bf16 %.4f", lo+1, lo+w, a, b)
		}
	}
	if last := mean(bf16[steps-w:]); last > maxLast {
		t.Errorf("bf16 loss over the last %d steps %.3f, want < %v", w, last, maxLast)
	}
}

func TestParsePrecision(t *testing.T) {
	for s, want := range map[string]Precision{"f32": F32, "": F32, "bf16": BF16} {
		if p, err := ParsePrecision(s); err != nil || p != want {
			t.Errorf("ParsePrecision(%q) = %v, %v", s, p, err)
		}
		if want.String() != s && s != "" {
			t.Errorf("%v.String() = %q", want, want.String())
		}
	}
	if _, err := ParsePrecision("fp8"); err == nil {
		t.Error("fp8 accepted")
	}
}

// TestBF16PackedDenseEqualsPerCall checks that BF16 training with the dense
// weights packed once per step (the trainer's way) gives the losses of the
// kernels that convert the weights on every call, bit for bit: on the seed
// CNN (two dense layers) and on a small GPT whose token table is tied to
// its output layer (one matrix, two products a step, updated every step).
func TestBF16PackedDenseEqualsPerCall(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	const steps = 12
	compare := func(t *testing.T, net workload.Network, data Dataset, batch int) {
		run := func(pack bool) []float32 {
			defer func(old bool) { bf16PackDense = old }(bf16PackDense)
			bf16PackDense = pack
			rep, err := Train(ctx, net, data, TrainOptions{Seed: 7, Batch: batch, MaxSteps: steps, SkipTest: true, Precision: BF16}, nil)
			if err != nil {
				t.Fatal(err)
			}
			return rep.Loss
		}
		packed, perCall := run(true), run(false)
		if len(packed) != steps || len(perCall) != steps {
			t.Fatalf("%d and %d losses, want %d", len(packed), len(perCall), steps)
		}
		for i := range packed {
			if math.Float32bits(packed[i]) != math.Float32bits(perCall[i]) {
				t.Fatalf("step %d: loss %v with packed weights, %v converting per call", i+1, packed[i], perCall[i])
			}
		}
	}
	t.Run("seed-cnn", func(t *testing.T) {
		compare(t, workload.SeedCNN(), subset(loadMNIST(t), steps*32, 100), 32)
	})
	t.Run("gpt-tied", func(t *testing.T) {
		net := miniGPT("gpt-bf16-pack", 32, 2, 2, 32, ByteVocab)
		const batch = 4
		T := net.Input.W
		tokens, err := ReadCorpus(DefaultCorpusDir(), steps*batch*T+16<<10)
		if err != nil {
			t.Skipf("no Go source tree to read: %v", err)
		}
		data, err := TextDataset(tokens, T, float64(16<<10)/float64(len(tokens)))
		if err != nil {
			t.Fatal(err)
		}
		compare(t, net, data, batch)
	})
}
