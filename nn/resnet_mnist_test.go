package nn

import (
	"os"
	"testing"
	"time"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// mnistResNet is the residual network shipped for MNIST.
func mnistResNet(t *testing.T) workload.Network {
	t.Helper()
	net, err := workload.Load("../networks/mnist-resnet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return net
}

// TestResNetMNIST trains the shipped residual network with batch-norm on
// real MNIST with the file's learning-rate schedule. Always: 500 steps (a
// quarter of an epoch, a few seconds, the schedule then spanning those
// steps) must reach 95% on 2,000 test images, evaluated with batch-norm's
// running statistics. With TRAINBENCH_LONG=1 (and not -short): two whole
// epochs must reach issue 16's 99% on the 10,000 test images (99.2-99.3%
// measured over seeds 1-5, see the network file).
func TestResNetMNIST(t *testing.T) {
	long := os.Getenv("TRAINBENCH_LONG") == "1" && !testing.Short()
	if pureGo && !long {
		t.Skip("the pure-Go kernels take minutes for this; the gradient checks cover the model")
	}
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := mnistResNet(t)
	data := loadMNIST(t)
	opts := TrainOptions{Seed: 1, MaxSteps: 500}
	minAcc := 0.95
	if long {
		opts, minAcc = TrainOptions{Seed: 1, Epochs: 2}, 0.99
	} else {
		data = Dataset{Train: data.Train, Test: data.Test.Slice(0, 2000, 28*28)}
	}
	start := time.Now()
	rep, err := Train(ctx, net, data, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := rep.Epochs[len(rep.Epochs)-1]
	for _, e := range rep.Epochs {
		t.Log(e.Summary())
	}
	t.Logf("%s: %d epochs in %.1f s", net.Name, len(rep.Epochs), time.Since(start).Seconds())
	if last.TestAccuracy < minAcc {
		t.Errorf("test accuracy %.2f%%, want ≥ %.0f%%", 100*last.TestAccuracy, 100*minAcc)
	}
	if first := rep.Loss[0]; first < 1.8 || first > 3.5 {
		t.Errorf("first loss %.3f, want about ln 10 = 2.30 (untrained)", first)
	}
}
