package bench

import (
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/nn"
	"github.com/trainbench/trainbench/workload"
)

// The TrainStep family times one whole training step of a workload network
// (forward, loss, backward, optimizer update, as nn.Train runs it) on a
// synthetic minibatch at the network's batch size, at every ISA level and
// thread count: TrainStep/impl=nn/isa=<level>/threads=<t>/shape=<network>.
// GFLOP/s counts the conv2d, dense and max-pool passes by their formulas.
// The cost model predicts an epoch of the network on this machine from it
// (and, for comparison, from the sum of the kernels measured alone).
func init() {
	sets := []string{benchname.SetSeed}
	Register(Family{Name: benchname.TrainStep, Doc: "one whole training step of the seed CNN (batch 32) with nn's trainer",
		Sets: sets, DefaultSets: sets,
		Cases: func(opt Options) []Case {
			if !opt.wantSet(benchname.SetSeed, sets) {
				return nil
			}
			net := workload.SeedCNN()
			flops := trainStepFLOPs(net)
			var cases []Case
			for _, l := range implLevels(kernels.PerISA, opt.levels()) {
				for _, t := range opt.threads() {
					cases = append(cases, Case{
						CaseName: benchname.CaseName{Family: benchname.TrainStep, Impl: benchname.ImplNN, ISA: l.label, Threads: t, Shape: net.Name},
						Set:      benchname.SetSeed, FLOPs: flops,
						Prepare: func() (func(), func(), error) {
							ctx, err := kernels.NewContext(l.level, t)
							if err != nil {
								return nil, nil, err
							}
							s, err := nn.NewStepper(ctx, net, net.Batch, 1)
							if err != nil {
								ctx.Close()
								return nil, nil, err
							}
							s.Step() // fault in every buffer outside the timed region
							return func() { s.Step() }, ctx.Close, nil
						},
					})
				}
			}
			return cases
		}})
}

// trainStepFLOPs is the work of one step of net at its batch size, counted
// by a one-sample model on the generic level (the count depends on neither:
// every pass's FLOPs are linear in the batch), so that listing the cases
// does not allocate a full model.
func trainStepFLOPs(net workload.Network) float64 {
	ctx, err := kernels.NewContext(cpu.Generic, 1)
	if err != nil {
		return 0
	}
	defer ctx.Close()
	s, err := nn.NewStepper(ctx, net, 1, 1)
	if err != nil {
		return 0
	}
	return s.FLOPs() * float64(net.Batch)
}
