package nn_test

import (
	"fmt"
	"log"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/nn"
	"github.com/trainbench/trainbench/workload"
)

// Train the seed CNN for one epoch of MNIST on two threads and print the
// epoch's figures and the time of each layer's passes.
func ExampleTrain() {
	data, err := nn.LoadMNIST("") // the copy in the GoMNIST module
	if err != nil {
		log.Fatal(err)
	}
	ctx, err := kernels.NewDefaultContext(2)
	if err != nil {
		log.Fatal(err)
	}
	defer ctx.Close()
	rep, err := nn.Train(ctx, workload.SeedCNN(), data, nn.TrainOptions{Seed: 1, Timing: true}, func(s nn.Step) {
		if s.Step%500 == 0 {
			fmt.Printf("step %d/%d: loss %.3f\n", s.Step, s.Steps, s.Loss)
		}
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, ep := range rep.Epochs {
		fmt.Println(ep.Summary())
		for _, lt := range ep.Layers {
			fmt.Printf("%-8s %-11s %6.3f s\n", lt.Layer, lt.Pass, lt.Time.Seconds())
		}
	}
}
