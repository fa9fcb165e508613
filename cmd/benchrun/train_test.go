package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
)

// TestTrain trains a few steps of the seed CNN on MNIST with a prediction
// from the synthetic results: the results file holds a Train line per epoch
// and a TrainLayer line per layer pass, and the table compares the two.
func TestTrain(t *testing.T) {
	out := filepath.Join(t.TempDir(), "train.txt")
	var o, e bytes.Buffer
	args := []string{"train", "--threads", "1", "--max-steps", "20", "--skip-test", "--ceilings", "off", "--predict", seedResults, "-o", out}
	if code := run(args, &o, &e); code != 0 {
		if strings.Contains(e.String(), "GoMNIST") {
			t.Skipf("MNIST not available: %s", e.String())
		}
		t.Fatalf("%v: exit %d\n%s", args, code, e.String())
	}
	if !strings.Contains(o.String(), "epoch 1: 20 steps") || !strings.Contains(e.String(), "the cost model predicts") {
		t.Errorf("output lacks the epoch summary or the prediction:\nstdout:\n%s\nstderr:\n%s", o.String(), e.String())
	}
	rs, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	var train, layers int
	for _, r := range rs {
		switch {
		case strings.HasPrefix(r.Name, "Train/net=seed-cnn/isa="):
			train++
			if r.Values[0].Unit != "ns/op" || !(r.Values[0].Value > 0) {
				t.Errorf("Train line %s: first value %+v, want ns/op > 0", r.Name, r.Values[0])
			}
		case strings.HasPrefix(r.Name, "TrainLayer/net=seed-cnn/layer="):
			layers++
		}
	}
	if train != 1 || layers < 10 {
		t.Errorf("results file has %d Train and %d TrainLayer lines, want 1 and at least 10:\n%v", train, layers, rs)
	}
}

// TestTrainBadInput: bad flags are usage errors, one line naming the flag
// and its value, before anything is loaded or measured; no results file.
func TestTrainBadInput(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	tooMany := strconv.Itoa(4*info.LogicalCores + 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "t.txt")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--threads", "-1"}, "--threads -1: want 1 to"},
		{[]string{"--threads", "0"}, "--threads 0: want 1 to"},
		{[]string{"--threads", tooMany}, "--threads " + tooMany + ": want 1 to"},
		{[]string{"--epochs", "0"}, "--epochs 0: want at least 1"},
		{[]string{"--epochs", "-3"}, "--epochs -3: want at least 1"},
		{[]string{"--batch", "0"}, "--batch 0: want at least 1"},
		{[]string{"--batch", "-8"}, "--batch -8: want at least 1"},
		{[]string{"--max-steps", "-1"}, "--max-steps -1"},
		{[]string{"--isa", "sse9"}, "sse9"},
		{[]string{"--ceilings", "some"}, "--ceilings"},
		{[]string{"--label", "My Box"}, "bad machine label"},
		{[]string{"--workload", "no-such-net"}, "no-such-net"},
		{[]string{"--predict", filepath.Join(dir, "missing.txt")}, "missing.txt"},
	} {
		var o, e bytes.Buffer
		args := append(append([]string{"train"}, c.args...), "-o", out)
		code := run(args, &o, &e)
		if msg := e.String(); code != exitUsage || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", c.args, code, msg, c.want)
		}
	}
	// Reading the data comes later: its errors name the folder.
	var o, e bytes.Buffer
	if code := run([]string{"train", "--data", dir, "--ceilings", "off", "-o", out}, &o, &e); code != exitUsage || !strings.Contains(e.String(), dir) {
		t.Errorf("--data %s: exit %d, stderr %q; want exit 2 naming the folder", dir, code, e.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote a results file")
	}
}

// TestTrainBatchLargerThanData: a minibatch larger than the training set is
// a usage error naming --batch and the set's size, found before any
// training; no results file.
func TestTrainBatchLargerThanData(t *testing.T) {
	out := filepath.Join(t.TempDir(), "t.txt")
	var o, e bytes.Buffer
	code := run([]string{"train", "--batch", "1000000", "--ceilings", "off", "-o", out}, &o, &e)
	if strings.Contains(e.String(), "GoMNIST") {
		t.Skipf("MNIST not available: %s", e.String())
	}
	if code != exitUsage || !strings.Contains(e.String(), "--batch 1000000: want at most 60000") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming --batch and the 60000 training images", code, e.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote a results file")
	}
}

// TestResultsOptions: run and train share one resolution of --label,
// --output and --ceilings: the default label from the CPU, the default file
// trainbench-out/<prefix>-<label>-<date>.txt (the folder made by makeDir,
// not resolve), the command's ceilings for an empty --ceilings, and usage
// errors naming the bad value.
func TestResultsOptions(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	o := resultsOptions{prefix: "train"}
	if err := o.resolve(info, ceilingsQuick); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(outDir); !os.IsNotExist(err) {
		t.Errorf("resolve made %s (%v)", outDir, err)
	}
	if err := o.makeDir(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(outDir); err != nil || !st.IsDir() {
		t.Errorf("makeDir did not make %s (%v)", outDir, err)
	}
	if !strings.HasPrefix(o.output, filepath.Join(outDir, "train-"+o.label+"-")) || !strings.HasSuffix(o.output, ".txt") || o.label == "" || o.ceilings != ceilingsQuick {
		t.Errorf("resolved to label %q, output %q, ceilings %q", o.label, o.output, o.ceilings)
	}
	if h := o.header(machine.Profile{}, trainPkg); h.Label != o.label || h.Pkg != trainPkg || !h.Date.Equal(o.start) {
		t.Errorf("header %+v", h)
	}
	for _, tc := range []struct {
		o    resultsOptions
		want string
	}{
		{resultsOptions{label: "bad label"}, "bad label"},
		{resultsOptions{ceilings: "always"}, `--ceilings "always"`},
		{resultsOptions{output: filepath.Join(t.TempDir(), "no", "r.txt")}, "no directory"},
	} {
		var ue usageError
		if err := tc.o.resolve(info, ceilingsFull); !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("resolve(%+v) = %v, want a usage error with %q", tc.o, err, tc.want)
		}
	}
}

// TestTrainBadNetwork: a network file the trainer cannot run is a usage
// error on one line naming the file, the layer and the field, found before
// any data is loaded; no results file. The description errors come from
// workload's validation, the trainer's limits from nn.Check.
func TestTrainBadNetwork(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "t.txt")
	head := "name: bad\ninput: {h: 8, w: 8, c: 3}\nclasses: 4\nbatch: 4\nsamples: 100\noptimizer: {name: sgd, lr: 0.1, momentum: 0.9}\nlayers:\n"
	conv := "  - {name: conv1, kind: conv2d, filters: 4, kernel: 3, padding: 1}\n"
	tail := "  - {name: gap, kind: global-avgpool}\n  - {name: fc, kind: dense, units: 4}\n  - {name: loss, kind: softmax-ce}\n"
	for _, c := range []struct {
		name, layers string
		want         []string
	}{
		{"with-shape", conv + "  - {name: pool, kind: maxpool, kernel: 2}\n  - {name: add, kind: add, with: conv1}\n" + tail, []string{"layers[2].with", "conv1"}},
		{"later", conv + "  - {name: c2, kind: conv2d, filters: 4, kernel: 1, input: c3}\n  - {name: c3, kind: conv2d, filters: 4, kernel: 1}\n" + tail, []string{"layers[1].input", "c3"}},
		{"cycle", conv + "  - {name: c2, kind: conv2d, filters: 4, kernel: 1, input: c2}\n" + tail, []string{"layers[1].input", "c2"}},
		{"causal", strings.Replace(conv, "filters: 4", "filters: 6", 1) + "  - {name: act, kind: attention, heads: 2}\n" + tail, []string{"layer 1 (act, attention)", "layers[1].causal"}},
		{"flat-bn", conv + "  - {name: flat, kind: flatten}\n  - {name: bn, kind: batchnorm}\n  - {name: fc, kind: dense, units: 4}\n  - {name: loss, kind: softmax-ce}\n", []string{"layer 2 (bn, batchnorm)", "layers[2].input", "no channels"}},
		{"dangling", conv + "  - {name: side, kind: conv2d, filters: 2, kernel: 1}\n  - {name: main, kind: relu, input: conv1}\n" + tail, []string{"layer 1 (side, conv2d)", "nothing reads"}},
	} {
		file := filepath.Join(dir, c.name+".yaml")
		if err := os.WriteFile(file, []byte(head+c.layers), 0o644); err != nil {
			t.Fatal(err)
		}
		var o, e bytes.Buffer
		code := run([]string{"train", "--workload", file, "--ceilings", "off", "-o", out}, &o, &e)
		msg := e.String()
		if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.Contains(msg, file) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line naming %s", c.name, code, msg, file)
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: stderr %q does not name %q", c.name, msg, w)
			}
		}
		if strings.Contains(msg, "loading") {
			t.Errorf("%s: the data were loaded before the network was checked", c.name)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote a results file")
	}
}

// TestTrainSynthetic trains two steps of a small network whose input is
// not MNIST's on synthetic data: the output says so, and shows the step
// time, the split by layer kind and the peak memory.
func TestTrainSynthetic(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "net.yaml")
	net := `name: tiny-rgb
input: {h: 16, w: 16, c: 3}
classes: 5
batch: 4
samples: 100
optimizer: {name: sgd, lr: 0.1, momentum: 0.9, weight_decay: 1.0e-4}
layers:
  - {name: conv1, kind: conv2d, filters: 8, kernel: 3, stride: 2, padding: 1, no_bias: true}
  - {name: bn1, kind: batchnorm}
  - {name: relu1, kind: relu}
  - {name: pool1, kind: maxpool, kernel: 3, stride: 2, padding: 1}
  - {name: c2, kind: conv2d, filters: 8, kernel: 3, padding: 1, no_bias: true}
  - {name: bn2, kind: batchnorm}
  - {name: add, kind: add, with: pool1}
  - {name: out, kind: relu}
  - {name: gap, kind: global-avgpool}
  - {name: fc, kind: dense, units: 5}
  - {name: loss, kind: softmax-ce}
`
	if err := os.WriteFile(file, []byte(net), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "t.txt")
	var o, e bytes.Buffer
	if code := run([]string{"train", "--workload", file, "--threads", "1", "--max-steps", "2", "--ceilings", "off", "-o", out}, &o, &e); code != 0 {
		t.Fatalf("exit %d\n%s", code, e.String())
	}
	for _, w := range []string{"synthetic data: 8 seeded random images of 16x16x3, 5 classes", "does not depend on the pixel values"} {
		if !strings.Contains(e.String(), w) {
			t.Errorf("stderr lacks %q:\n%s", w, e.String())
		}
	}
	for _, w := range []string{"epoch 1: 2 steps", "step 0.", "by layer kind", "batchnorm", "peak memory", "the workload counts", "GFLOP/s  impl", "direct"} {
		if !strings.Contains(o.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, o.String())
		}
	}
	if strings.Contains(o.String(), "test accuracy") {
		t.Errorf("a synthetic run reports a test accuracy:\n%s", o.String())
	}
}

// TestTrainWinograd: a network with 3×3 convolutions of 64 channels runs
// them by winograd above level generic, and the output says so: the layer
// table names the implementation, and a line gives the FLOPs executed
// beside the direct form's count.
func TestTrainWinograd(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	if info.Max() == cpu.Generic {
		t.Skip("level generic runs no winograd")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "net.yaml")
	net := `name: wide
input: {h: 8, w: 8, c: 64}
classes: 3
batch: 2
samples: 8
optimizer: {name: sgd, lr: 0.01}
layers:
  - {name: c1, kind: conv2d, filters: 64, kernel: 3, padding: 1}
  - {name: r1, kind: relu}
  - {name: c2, kind: conv2d, filters: 64, kernel: 3, padding: 1}
  - {name: gap, kind: global-avgpool}
  - {name: fc, kind: dense, units: 3}
  - {name: loss, kind: softmax-ce}
`
	if err := os.WriteFile(file, []byte(net), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := run([]string{"train", "--workload", file, "--threads", "1", "--max-steps", "2", "--ceilings", "quick", "-o", filepath.Join(dir, "t.txt")}, &o, &e); code != 0 {
		t.Fatalf("exit %d\n%s", code, e.String())
	}
	// c1's input needs no gradient: forward and backward-weights; c2: all three.
	for _, w := range []string{"5 conv passes ran by winograd", "GFLOP a step executed", "winograd"} {
		if !strings.Contains(o.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, o.String())
		}
	}
}

// TestTrainText trains the reduced GPT of networks/gpt2-mini.yaml a few
// steps on a small Go corpus at a shorter context: the output has tokens/s,
// the attention and linear kinds apart, the held-out loss and the peak
// memory; the results file a Train line with tokens/s.
func TestTrainText(t *testing.T) {
	corpus := t.TempDir()
	var src strings.Builder
	for i := range 400 {
		src.WriteString("package p\n\nfunc f" + strconv.Itoa(i) + "(x int) int { return x + " + strconv.Itoa(i) + " }\n")
	}
	if err := os.WriteFile(filepath.Join(corpus, "p.go"), []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "train.txt")
	var o, e bytes.Buffer
	args := []string{"train", "--workload", "../../networks/gpt2-mini.yaml", "--seq", "32", "--batch", "2", "--max-steps", "3",
		"--threads", "1", "--corpus", corpus, "--ceilings", "off", "-o", out}
	if code := run(args, &o, &e); code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, code, e.String())
	}
	for _, want := range []string{"epoch 1: 3 steps", "tokens/s", "held-out loss", "h0.attn ", "attention", "linear", "peak memory"} {
		if !strings.Contains(o.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, o.String())
		}
	}
	rs, err := results.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rs {
		if strings.HasPrefix(r.Name, "Train/net=gpt2-mini/") {
			for _, v := range r.Values {
				found = found || v.Unit == "tokens/s" && v.Value > 0
			}
		}
	}
	if !found {
		t.Errorf("no Train line with tokens/s in %v", rs)
	}
}

// TestTrainTextBadInput: issue 17's bad input for a token network — a
// corpus folder that does not exist or holds no Go text, a context longer
// than the position table, a head count that does not divide d, a
// vocabulary smaller than the largest token id — is one line naming what
// is wrong, exit 2, and no results file.
func TestTrainTextBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("not go"), 0o644); err != nil {
		t.Fatal(err)
	}
	mini, err := os.ReadFile("../../networks/gpt2-mini.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, from, to string) string {
		p := filepath.Join(dir, name)
		if !strings.Contains(string(mini), from) {
			t.Fatalf("gpt2-mini.yaml has no %q", from)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(mini), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	heads := write("heads.yaml", "heads: 4", "heads: 3")
	// A vocabulary of 100: the table, the tied output layer and the classes.
	small := strings.NewReplacer("vocab: 256", "vocab: 100", "classes: 256", "classes: 100", "units: 256, no_bias", "units: 100, no_bias").Replace(string(mini))
	vocab := filepath.Join(dir, "vocab.yaml")
	if err := os.WriteFile(vocab, []byte(small), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "t.txt")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--workload", "gpt2-small", "--corpus", filepath.Join(dir, "missing")}, "corpus folder " + filepath.Join(dir, "missing") + " does not exist"},
		{[]string{"--workload", "gpt2-small", "--corpus", empty}, "corpus folder " + empty + " holds no .go text"},
		{[]string{"--workload", "gpt2-small", "--seq", "2048"}, "--seq 2048: longer than the 1024 positions of wte's table"},
		{[]string{"--workload", "gpt2-small", "--seq", "0"}, "--seq 0: want at least 1"},
		{[]string{"--workload", "seed-cnn", "--seq", "16"}, "--seq 16: network seed-cnn does not read token ids"},
		{[]string{"--workload", heads}, "heads"},
		{[]string{"--workload", vocab, "--max-steps", "1"}, "the vocabulary of wte (100) is smaller than the corpus's largest token id"},
	} {
		var o, e bytes.Buffer
		args := append(append([]string{"train", "--ceilings", "off"}, c.args...), "-o", out)
		code := run(args, &o, &e)
		if msg := e.String(); code != exitUsage || !strings.Contains(msg, c.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %q", c.args, code, msg, c.want)
		}
		t.Logf("%v: %s", c.args[len(c.args)-1], e.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed run wrote a results file")
	}
}
