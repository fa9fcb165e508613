package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

// TestTrainBadInput: bad flags are usage errors naming the value.
func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--threads", "-1"}, "--threads"},
		{[]string{"train", "--epochs", "0"}, "--epochs"},
		{[]string{"train", "--isa", "sse9"}, "sse9"},
		{[]string{"train", "--ceilings", "some"}, "--ceilings"},
		{[]string{"train", "--workload", "no-such-net"}, "no-such-net"},
		{[]string{"train", "--predict", filepath.Join(dir, "missing.txt")}, "missing.txt"},
		{[]string{"train", "--data", dir, "--ceilings", "off", "-o", filepath.Join(dir, "t.txt")}, dir},
	} {
		var o, e bytes.Buffer
		if code := run(c.args, &o, &e); code != exitUsage || !strings.Contains(e.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming %q", c.args, code, e.String(), c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "t.txt")); err == nil {
		t.Error("a failed run wrote a results file")
	}
}
