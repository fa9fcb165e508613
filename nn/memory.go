package nn

import "github.com/trainbench/trainbench/workload"

// Memory is what a model allocates, in bytes of float32 (and int32)
// elements. Activations, gradients and scratch are counted as if no two
// buffers shared memory; Arena is what they take together once buffers
// whose lifetimes do not overlap share it; Total is everything the model
// and its optimizer allocate: the peak, since nothing is allocated per
// step. (The kernels' own per-Context workspace is not counted.)
type Memory struct {
	Params, Grads, Optimizer float64
	Input                    float64 // the input minibatch and its labels
	Activations              float64 // the materialised layer outputs (a fused or in-place layer has none of its own)
	Gradients                float64 // the activations' gradients
	Scratch                  float64 // gradients summed into another, max-pool argmax indexes, batch-norm and layer-norm statistics, attention's log-sum-exps
	Arena                    float64 // activations, gradients and transients, sharing memory
	Total                    float64 // Params + Grads + Optimizer + Input + Arena + indexes and statistics
}

// Memory reports the model's memory (see Memory).
func (m *Model) Memory() Memory {
	var mem Memory
	mem.Params = 4 * float64(m.nParams)
	mem.Grads = mem.Params
	mem.Optimizer = mem.Params * float64(stateFloats(m.net.Optimizer))
	mem.Input = 4 * float64(m.batch*m.sample+m.batch*m.rows)
	for _, b := range m.bufs {
		v := 4 * float64(b.n)
		switch b.role {
		case roleAct:
			mem.Activations += v
		case roleGrad:
			mem.Gradients += v
		default:
			mem.Scratch += v
		}
	}
	side := 0.0 // outside the arena
	for _, n := range m.argLen {
		side += 4 * float64(n)
	}
	for _, bn := range m.bn {
		if bn != nil {
			side += 4 * 4 * float64(bn.c)
		}
	}
	for _, l := range m.tf {
		if l != nil {
			side += 4 * float64(l.statLen)
		}
	}
	mem.Scratch += side
	mem.Arena = 4 * float64(m.arenaLen)
	mem.Total = mem.Params + mem.Grads + mem.Optimizer + mem.Input + mem.Arena + side
	return mem
}

// PlanMemory is the Memory of net's model at the batch size, computed from
// the plan without allocating it.
func PlanMemory(net workload.Network, batch int) (Memory, error) {
	m, err := planModel(nil, net, batch)
	if err != nil {
		return Memory{}, err
	}
	return m.Memory(), nil
}

// Check reports whether the trainer can run net at the batch size, with
// the error NewModel would give (a *workload.FieldError naming the layer
// and field for what the trainer does not support), without allocating.
func Check(net workload.Network, batch int) error {
	_, err := planModel(nil, net, batch)
	return err
}
