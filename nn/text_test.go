package nn

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/workload"
)

// miniGPT is a tied pre-norm GPT of the given sizes in GPT-2's layer
// structure, with the optimizer of networks/gpt2-mini.yaml.
func miniGPT(name string, d, layers, heads, T, vocab int) workload.Network {
	ls := []workload.Layer{{Name: "wte", Kind: workload.Embedding, Vocab: vocab, Units: d, Positions: T}}
	resid := "wte"
	for i := range layers {
		h := "h" + string(rune('0'+i))
		ls = append(ls, workload.TransformerBlock(h, resid, d, heads, 4*d)...)
		resid = h + ".add2"
	}
	ls = append(ls,
		workload.Layer{Name: "ln_f", Kind: workload.LayerNorm},
		workload.Layer{Name: "lm_head", Kind: workload.Linear, Units: vocab, NoBias: true, Tie: "wte"},
		workload.Layer{Name: "loss", Kind: workload.SoftmaxCE})
	return workload.Network{Name: name, Input: workload.Dims{H: 1, W: T, C: 1}, Classes: vocab, Layers: ls, Batch: 16, Samples: 131072,
		Optimizer: workload.Optimizer{Name: "adamw", LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Epsilon: 1e-8, Decay: 0.1}}
}

// TestGPT2MiniFile: networks/gpt2-mini.yaml is the reduced GPT the long
// learning test trains (d 128, 4 layers, 4 heads, context 128, bytes), and
// the trainer runs it.
func TestGPT2MiniFile(t *testing.T) {
	net, err := workload.Load("../networks/gpt2-mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := miniGPT("gpt2-mini", 128, 4, 4, 128, ByteVocab)
	if !reflect.DeepEqual(net.Layers, want.Layers) || net.Input != want.Input || net.Optimizer != want.Optimizer {
		t.Errorf("networks/gpt2-mini.yaml is not miniGPT(128, 4, 4, 128, 256)")
	}
	if err := Check(net, net.Batch); err != nil {
		t.Fatal(err)
	}
}

// unigramEntropy is the entropy, in nats, of the distribution of the
// tokens: the loss of the best model that ignores context, on these very
// tokens.
func unigramEntropy(tokens []int32) float64 {
	var count [ByteVocab]float64
	for _, t := range tokens {
		count[t]++
	}
	h, n := 0.0, float64(len(tokens))
	for _, c := range count {
		if c > 0 {
			h -= c / n * math.Log(c/n)
		}
	}
	return h
}

// TestTextLearning trains a reduced GPT on byte-level Go source (the Go
// distribution's own, GOROOT/src) and checks that the loss on a held-out
// slice (the end of the text read) is clearly below the unigram entropy of
// that slice: the model predicts from context, which no unigram model can.
// Always: a GPT of d 32, 2 layers, 2 heads, context 32 for 300 steps of 16
// sequences (150k tokens; learning rate 3e-3) on generic and the best ISA
// level, one thread (7 s and 2.5 s on the dev machine); it must reach 80%
// of the entropy (73% measured). With TRAINBENCH_LONG=1 (not -short):
// networks/gpt2-mini.yaml (d 128, 4 layers, context 128) for 300 steps of 8
// sequences on every ISA level, one thread, and two at the best, to 75%
// (generic takes minutes).
func TestTextLearning(t *testing.T) {
	long := os.Getenv("TRAINBENCH_LONG") == "1" && !testing.Short()
	net, steps, batch, bound := miniGPT("gpt-ci", 32, 2, 2, 32, ByteVocab), 300, 16, 0.8
	net.Optimizer.LR = 3e-3
	if long {
		var err error
		if net, err = workload.Load("../networks/gpt2-mini.yaml"); err != nil {
			t.Fatal(err)
		}
		steps, batch, bound = 300, 8, 0.75
	}
	T := net.Input.W
	limit := steps*batch*T + 64<<10 // the training steps' text and 64 KiB held out
	tokens, err := ReadCorpus(DefaultCorpusDir(), limit)
	if err != nil {
		t.Skipf("no Go source tree to read: %v", err)
	}
	data, err := TextDataset(tokens, T, float64(64<<10)/float64(len(tokens)))
	if err != nil {
		t.Fatal(err)
	}
	held := data.Test.Tokens
	entropy := unigramEntropy(held)
	t.Logf("%d tokens, %d held out; their unigram entropy %.4f nats", len(tokens), len(held), entropy)
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	levels := info.Levels()
	if !long && len(levels) > 2 {
		levels = []cpu.Level{cpu.Generic, info.Max()}
	}
	for _, l := range levels {
		threads := []int{1}
		if l == info.Max() {
			threads = []int{1, 2}
		}
		for _, th := range threads {
			if th > 1 && !long {
				continue
			}
			ctx, err := kernels.NewContext(l, th)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			rep, err := Train(ctx, net, data, TrainOptions{Batch: batch, MaxSteps: steps, Seed: 1}, nil)
			ctx.Close()
			if err != nil {
				t.Fatal(err)
			}
			e := rep.Epochs[0]
			t.Logf("%s/%d threads: %d steps in %.1f s (%.0f tokens/s), train loss %.4f, held-out loss %.4f (%.3f of the entropy), next-byte accuracy %.1f%%",
				l, th, e.Steps, time.Since(t0).Seconds(), e.TokensPerSec, e.TrainLoss, e.TestLoss, e.TestLoss/entropy, 100*e.TestAccuracy)
			if !(e.TestLoss < bound*entropy) {
				t.Errorf("%s/%d threads: held-out loss %.4f, want below %.2f × the unigram entropy %.4f", l, th, e.TestLoss, bound, entropy)
			}
		}
	}
}

// TestReadCorpus: the .go files in sorted order, cut at the limit, as byte
// ids; a missing folder, a file, or a folder without Go text fail, naming
// it; token ids beyond a network's vocabulary are refused by Train.
func TestReadCorpus(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"b.go": "package b\n", "a/z.go": "package z\n", "a.txt": "not go"} {
		if err := os.MkdirAll(dir+"/a", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dir+"/"+name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadCorpus(dir, 15)
	if err != nil {
		t.Fatal(err)
	}
	var s []byte
	for _, v := range got {
		s = append(s, byte(v))
	}
	if string(s) != "package z\npacka" {
		t.Errorf("corpus %q, want a/z.go then b.go cut at 15 bytes", s)
	}
	empty := t.TempDir()
	for _, c := range []struct{ dir, want string }{
		{dir + "/missing", "does not exist"}, {dir + "/b.go", "is not a folder"}, {empty, "holds no .go text"},
	} {
		if _, err := ReadCorpus(c.dir, 100); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.dir) {
			t.Errorf("ReadCorpus(%s): %v, want an error naming it and saying %q", c.dir, err, c.want)
		}
	}
	if _, err := TextDataset(got, 20, 0.1); err == nil {
		t.Error("15 tokens made a sequence of 20")
	}
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := tinyGPT() // vocabulary 11
	data, err := TextDataset(got, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Train(ctx, net, data, TrainOptions{SkipTest: true}, nil); err == nil || !strings.Contains(err.Error(), "11-token vocabulary of embedding wte") {
		t.Errorf("byte ids into a vocabulary of 11: %v", err)
	}
}
