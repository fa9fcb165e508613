package bench

import (
	"slices"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/nn"
	"github.com/trainbench/trainbench/workload"
)

// The TrainStep family times one whole training step of a workload network
// (forward, loss, backward, optimizer update, as nn.Train runs it) on a
// synthetic minibatch, at every ISA level and thread count:
// TrainStep/impl=nn/isa=<level>/threads=<t>/shape=<network>, or
// shape=<network>.b<batch> when the batch is not the network's own. The
// seed set has the seed CNN at its batch of 32; the resnet50 set has
// ResNet-50 at batch 8 (about a second a step on one core; 1 GB), and
// resnet50-all adds batch 32 (4 GB); the gpt2 set has GPT-2 small at batch
// 1 with contexts of 256 and 1024 tokens (shape=gpt2-small.t256b1,
// .t1024b1; 3 GB), on seeded token ids; the steps set has ResNet-50's batch
// 8 and GPT-2's context 256 (benchname.SetSteps). GFLOP/s counts the passes nn
// counts (conv2d, dense, linear, max-pool, batch-norm, layer-norm,
// global-avgpool, add, embedding, attention, GELU) by their formulas. The cost model predicts an epoch of the network on this machine
// from it (and, for comparison, from the sum of the kernels measured
// alone).
func init() {
	Register(Family{Name: benchname.TrainStep, Doc: "one whole training step with nn's trainer: the seed CNN (batch 32), ResNet-50 (batch 8; 32 in resnet50-all), GPT-2 small (batch 1, context 256 and 1024; gpt2)",
		Sets:        []string{benchname.SetSeed, benchname.SetResNet50, benchname.SetResNet50All, benchname.SetGPT2, benchname.SetSteps},
		DefaultSets: []string{benchname.SetSeed},
		Build: func(opt Options) []Case {
			var cases []Case
			for _, st := range trainStepNets() {
				if i := slices.IndexFunc(st.sets, opt.wantSet); i >= 0 {
					cs := trainStepCases(st.net, st.batch, st.sets[i], opt)
					if st.sets[i] == benchname.SetSteps {
						// Seconds to set up and to run each: three
						// runs price the network (runner.CaseRuns).
						for j := range cs {
							cs[j].MaxRuns = stepsRuns
						}
					}
					cases = append(cases, cs...)
				}
			}
			return cases
		}})
}

// stepsRuns is how many rounds of a run measure a case of the steps set.
const stepsRuns = 3

// trainStepNet is a network of the TrainStep family, its batch and the
// sets it is in (its case is labelled with the first the options want).
type trainStepNet struct {
	net   workload.Network
	batch int
	sets  []string
}

func trainStepNets() []trainStepNet {
	seed, resnet := workload.SeedCNN(), workload.ResNet50()
	return []trainStepNet{
		{seed, seed.Batch, []string{benchname.SetSeed}},
		{resnet, 8, []string{benchname.SetResNet50, benchname.SetSteps}},
		{resnet, 32, []string{benchname.SetResNet50All}},
		{gpt2Context(256), 1, []string{benchname.SetGPT2, benchname.SetSteps}},
		{gpt2Context(1024), 1, []string{benchname.SetGPT2}},
	}
}

// gpt2Context is GPT-2 small with a context of t tokens (its position
// table keeps 1024).
func gpt2Context(t int) workload.Network {
	n := workload.GPT2Small()
	n.Input.W = t
	return n
}

// trainStepCases are the cases of net at batch size batch, one per ISA
// level and thread count of opt.
func trainStepCases(net workload.Network, batch int, set string, opt Options) []Case {
	flops := trainStepFLOPs(net, batch)
	var cases []Case
	for _, l := range implLevels(kernels.PerISA, opt.levels()) {
		for _, t := range opt.threads() {
			cases = append(cases, Case{
				CaseName: benchname.CaseName{Family: benchname.TrainStep, Impl: benchname.ImplNN, ISA: l.label, Threads: t, Shape: workload.TrainStepShape(net, batch)},
				Set:      set, FLOPs: flops,
				Prepare: onContext(l.level, t, func(ctx *kernels.Context) (func(), error) {
					s, err := nn.NewStepper(ctx, net, batch, 1)
					if err != nil {
						return nil, err
					}
					// Case.Run's untimed first call faults in every buffer.
					return func() { s.Step() }, nil
				}),
			})
		}
	}
	return cases
}

// trainStepFLOPs is the work of one step of net at the batch size, counted
// from nn's plan without allocating the model, so that listing the cases
// stays cheap.
func trainStepFLOPs(net workload.Network, batch int) float64 {
	f, err := nn.StepFLOPs(net, batch)
	if err != nil {
		return 0
	}
	return f
}
