package workload

import (
	"fmt"

	"github.com/trainbench/trainbench/shape"
)

// Work is the floating-point work and compulsory memory traffic of one pass
// of one layer.
type Work struct {
	Pass  shape.Pass
	FLOPs float64
	Bytes float64
}

// LayerWork is a resolved layer and the passes a training step runs for it,
// in order: forward; backward-data when its input needs a gradient;
// backward-weights when it has weights; the optimizer update of the weights
// it owns.
type LayerWork struct {
	Resolved
	Passes []Work
}

// Step is the work of one training step of a network at one batch size:
// forward, loss, backward and optimizer, layer by layer, as a trainer runs
// them.
type Step struct {
	Network string
	Batch   int
	Layers  []LayerWork
	Params  int // trainable parameters
	// Memory, bytes (float32): weights, their gradients, the optimizer's
	// state, and the activations the backward pass reads (every layer's
	// output at this batch size, an upper bound without recomputation).
	ParamBytes, GradBytes, OptimizerBytes, ActivationBytes float64
}

// Step counts the work of one training step at the given batch size.
func (n Network) Step(batch int) (Step, error) {
	rs, err := n.Resolve(batch)
	if err != nil {
		return Step{}, err
	}
	opt := OptimizerShape{Rule: n.Optimizer.Name, Momentum: n.Optimizer.Momentum > 0}
	st := Step{Network: n.Name, Batch: batch}
	st.ActivationBytes = 4 * float64(batch) * float64(n.Input.Len())
	for _, r := range rs {
		lw := LayerWork{Resolved: r}
		for _, p := range Passes {
			if w, ok := r.work(p, opt); ok {
				lw.Passes = append(lw.Passes, w)
			}
		}
		st.Layers = append(st.Layers, lw)
		st.Params += r.Params
		if r.Kind != Flatten && r.Kind != SoftmaxCE {
			st.ActivationBytes += 4 * float64(batch) * float64(r.Out.Len())
		}
	}
	opt.Params = st.Params
	st.ParamBytes = 4 * float64(st.Params)
	st.GradBytes = st.ParamBytes
	st.OptimizerBytes = 4 * float64(opt.StateFloats()) * float64(st.Params)
	return st, nil
}

// work returns the work of pass p of the layer, and false if a training step
// does not run that pass for it.
func (r Resolved) work(p shape.Pass, opt OptimizerShape) (Work, bool) {
	type formula interface {
		FLOPs(shape.Pass) float64
		Bytes(shape.Pass) float64
	}
	var f formula
	weights := false // the layer computes a weight gradient
	switch {
	case r.Conv != nil:
		f, weights = r.Conv, true
	case r.Dense != nil:
		f, weights = r.Dense, true
	case r.Pool != nil:
		f = r.Pool
	case r.Eltwise != nil:
		f = r.Eltwise
	case r.Norm != nil:
		f, weights = r.Norm, true
	case r.GlobalPool != nil:
		f = r.GlobalPool
	case r.Embedding != nil:
		f, weights = r.Embedding, true
	case r.Attention != nil:
		f = r.Attention
	case r.Loss != nil:
		f = r.Loss
	default:
		return Work{}, false // flatten: a view, no work
	}
	switch p {
	case shape.Forward:
	case shape.BackwardData:
		if !r.InputGrad || r.Embedding != nil {
			return Work{}, false
		}
	case shape.BackwardWeights:
		if !weights {
			return Work{}, false
		}
	case OptimizerPass:
		if r.Params == 0 {
			return Work{}, false
		}
		opt.Params = r.Params
		f = opt
	default:
		panic(fmt.Sprintf("workload: unknown pass %q", p))
	}
	return Work{Pass: p, FLOPs: f.FLOPs(p), Bytes: f.Bytes(p)}, true
}

// FLOPs returns the step's work summed over layers for the given passes (all
// passes if none are given).
func (s Step) FLOPs(passes ...shape.Pass) float64 { return s.sum(true, passes) }

// Bytes returns the step's compulsory traffic summed over layers for the
// given passes (all if none are given).
func (s Step) Bytes(passes ...shape.Pass) float64 { return s.sum(false, passes) }

func (s Step) sum(flops bool, passes []shape.Pass) float64 {
	t := 0.0
	for _, l := range s.Layers {
		for _, w := range l.Passes {
			if len(passes) > 0 && !containsPass(passes, w.Pass) {
				continue
			}
			if flops {
				t += w.FLOPs
			} else {
				t += w.Bytes
			}
		}
	}
	return t
}

func containsPass(ps []shape.Pass, p shape.Pass) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// MemoryBytes is the training memory of the step: weights, gradients,
// optimizer state and activations.
func (s Step) MemoryBytes() float64 {
	return s.ParamBytes + s.GradBytes + s.OptimizerBytes + s.ActivationBytes
}

// StepsPerEpoch is Samples/Batch; a final partial batch counts as its
// fraction of a step, so the work of an epoch is proportional to Samples.
func (n Network) StepsPerEpoch() float64 { return float64(n.Samples) / float64(n.Batch) }

// Tokens is the number of input positions per epoch (Samples × H·W of the
// input): the token count of a language-model epoch.
func (n Network) Tokens() float64 { return float64(n.Samples) * float64(n.Input.Positions()) }

// ReadsTokens reports whether the network's input is token ids (it has an
// embedding layer): its step depends on the context length, Input.Len().
func (n Network) ReadsTokens() bool {
	for _, l := range n.Layers {
		if l.Kind == Embedding {
			return true
		}
	}
	return false
}

// TrainStepShape is the shape= value of the whole-training-step benchmark
// case (family TrainStep) of network n at batch size batch: the bare name
// at n's own batch, else "<name>.b<batch>"; a network that reads tokens is
// named with its context too, "<name>.t<tokens>b<batch>" (GPT-2 small at
// context 1024, batch 1: "gpt2-small.t1024b1"). The benchmark names its
// cases so and the cost model looks them up so: one spelling for both.
func TrainStepShape(n Network, batch int) string {
	if n.ReadsTokens() {
		return fmt.Sprintf("%s.t%db%d", n.Name, n.Input.Len(), batch)
	}
	if batch == n.Batch {
		return n.Name
	}
	return fmt.Sprintf("%s.b%d", n.Name, batch)
}
