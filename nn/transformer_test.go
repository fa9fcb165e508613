package nn

import (
	"math"
	"sync"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
	"github.com/trainbench/trainbench/workload"
)

// tinyGPT is a GPT-2 in miniature for the whole-network gradient check:
// d = 8, 2 heads, 2 pre-norm blocks, a context of 5 tokens out of a
// position table of 6, a vocabulary of 11 and the output layer tied to the
// token table.
func tinyGPT() workload.Network {
	const d, heads, T, vocab = 8, 2, 5, 11
	ls := []workload.Layer{{Name: "wte", Kind: workload.Embedding, Vocab: vocab, Units: d, Positions: T + 1}}
	resid := "wte"
	for _, h := range []string{"h0", "h1"} {
		ls = append(ls, workload.TransformerBlock(h, resid, d, heads, 4*d)...)
		resid = h + ".add2"
	}
	ls = append(ls,
		workload.Layer{Name: "ln_f", Kind: workload.LayerNorm},
		workload.Layer{Name: "lm_head", Kind: workload.Linear, Units: vocab, NoBias: true, Tie: "wte"},
		workload.Layer{Name: "loss", Kind: workload.SoftmaxCE})
	return workload.Network{Name: "tiny-gpt", Input: workload.Dims{H: 1, W: T, C: 1}, Classes: vocab, Layers: ls,
		Batch: 3, Samples: 30, Optimizer: workload.Optimizer{Name: "adamw", LR: 1e-3, Beta1: 0.9, Beta2: 0.95, Epsilon: 1e-8, Decay: 0.1}}
}

// refTransformerLoss is the mean loss over every position of n sequences,
// computed in float64 from the definitions of the transformer kinds (as
// refGraphLoss for the others), with the parameters p laid out as
// Model.Params: an embedding's token table then its position table; a
// linear layer's [Out][In] weights then its bias, or, tied, only its bias
// (its weights are the embedding's token table); a layer-norm's γ then β.
func refTransformerLoss(rs []workload.Resolved, p []float64, tokens, labels []int32, n int) float64 {
	outs := make([][]float64, len(rs))
	offs := make([]int, len(rs))
	byName := map[string]int{}
	off := 0
	for i, r := range rs {
		offs[i] = off
		off += r.Params
		byName[r.Name] = i
	}
	for li, r := range rs {
		var a []float64
		if j := r.Inputs[0]; j >= 0 {
			a = outs[j]
		}
		P, C := r.In.Positions(), r.In.C
		w := p[offs[li] : offs[li]+r.Params]
		var y []float64
		switch r.Kind {
		case workload.Embedding:
			D := r.Units
			wte, wpe := w[:r.Vocab*D], w[r.Vocab*D:]
			y = make([]float64, n*P*D)
			for b := range n {
				for t := range P {
					tok := int(tokens[b*P+t])
					for c := range D {
						y[(b*P+t)*D+c] = wte[tok*D+c] + wpe[t*D+c]
					}
				}
			}
		case workload.LayerNorm:
			g, be := w[:C], w[C:]
			y = make([]float64, len(a))
			for row := range n * P {
				x := a[row*C : (row+1)*C]
				mean, sq := 0.0, 0.0
				for _, v := range x {
					mean += v
				}
				mean /= float64(C)
				for _, v := range x {
					sq += (v - mean) * (v - mean)
				}
				rstd := 1 / math.Sqrt(sq/float64(C)+kernels.LayerNormEps)
				for c, v := range x {
					y[row*C+c] = (v-mean)*rstd*g[c] + be[c]
				}
			}
		case workload.Linear:
			in, out := r.Dense.In, r.Dense.Out
			wt, bias := w, []float64(nil)
			if r.Tie != "" {
				e := byName[r.Tie]
				wt, bias = p[offs[e]:offs[e]+in*out], w
			} else {
				wt, bias = w[:in*out], w[in*out:]
			}
			y = make([]float64, n*P*out)
			for row := range n * P {
				for o := range out {
					v := 0.0
					if len(bias) > 0 {
						v = bias[o]
					}
					for k := range in {
						v += a[row*in+k] * wt[o*in+k]
					}
					y[row*out+o] = v
				}
			}
		case workload.Attention:
			H, hd := r.Attention.Heads, r.Attention.HeadDim
			d := H * hd
			y = make([]float64, n*P*d)
			scale := 1 / math.Sqrt(float64(hd))
			for b := range n {
				for h := range H {
					for t := range P {
						q := a[(b*P+t)*3*d+h*hd:]
						s := make([]float64, t+1)
						mx := math.Inf(-1)
						for k := range t + 1 {
							kk := a[(b*P+k)*3*d+d+h*hd:]
							v := 0.0
							for c := range hd {
								v += q[c] * kk[c]
							}
							s[k] = v * scale
							mx = max(mx, s[k])
						}
						sum := 0.0
						for k := range s {
							s[k] = math.Exp(s[k] - mx)
							sum += s[k]
						}
						for k := range s {
							vv := a[(b*P+k)*3*d+2*d+h*hd:]
							for c := range hd {
								y[(b*P+t)*d+h*hd+c] += s[k] / sum * vv[c]
							}
						}
					}
				}
			}
		case workload.GELU:
			y = make([]float64, len(a))
			for i, x := range a {
				y[i] = 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
			}
		case workload.Add:
			b := outs[r.Inputs[1]]
			y = make([]float64, len(a))
			for i := range a {
				y[i] = a[i] + b[i]
			}
		case workload.SoftmaxCE:
			var loss float64
			for row := range n * P {
				x := a[row*C : (row+1)*C]
				mx := math.Inf(-1)
				for _, v := range x {
					mx = max(mx, v)
				}
				sum := 0.0
				for _, v := range x {
					sum += math.Exp(v - mx)
				}
				loss += math.Log(sum) + mx - x[labels[row]]
			}
			return loss / float64(n*P)
		default:
			panic("refTransformerLoss: no reference for " + string(r.Kind))
		}
		outs[li] = y
	}
	panic("no loss layer")
}

type gptCase struct {
	params         []float32
	tokens, labels []int32
	loss           float64
	num            []float64
	scale          float64
}

var (
	tinyGPTOnce sync.Once
	tinyGPTCase gptCase
)

// tinyGPTReference draws the gradient check's parameters (GPT-2's
// initialisation, then γ, β and biases moved off 1 and 0, and weights
// enlarged so that attention is not nearly uniform) and sequences, and
// computes the float64 central differences, once.
func tinyGPTReference(t *testing.T) gptCase {
	tinyGPTOnce.Do(func() {
		ctx, err := kernels.NewDefaultContext(1)
		if err != nil {
			t.Fatal(err)
		}
		defer ctx.Close()
		m, err := NewModel(ctx, tinyGPT(), gradN+1)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(7)
		rng := kerneltest.Rand(13)
		for i := range m.params {
			if m.params[i] == 0 || m.params[i] == 1 {
				m.params[i] += float32(rng.NormFloat64() * 0.2)
			} else {
				m.params[i] *= 15
			}
		}
		T := m.sample
		c := gptCase{params: append([]float32(nil), m.params...), tokens: make([]int32, gradN*T), labels: make([]int32, gradN*T)}
		for i := range c.tokens {
			c.tokens[i] = int32(rng.IntN(11))
			c.labels[i] = int32(rng.IntN(11))
		}
		p := make([]float64, len(m.params))
		for i, v := range m.params {
			p[i] = float64(v)
		}
		c.loss = refTransformerLoss(m.layers, p, c.tokens, c.labels, gradN)
		const h = 1e-6
		c.num = make([]float64, len(p))
		for i := range p {
			v := p[i]
			p[i] = v + h
			lp := refTransformerLoss(m.layers, p, c.tokens, c.labels, gradN)
			p[i] = v - h
			lm := refTransformerLoss(m.layers, p, c.tokens, c.labels, gradN)
			p[i] = v
			c.num[i] = (lp - lm) / (2 * h)
			c.scale = max(c.scale, math.Abs(c.num[i]))
		}
		tinyGPTCase = c
	})
	if tinyGPTCase.num == nil {
		t.Fatal("no reference (failed before)")
	}
	return tinyGPTCase
}

// TestTransformerGradientCheck compares the tiny GPT's whole gradient (every
// parameter: both embedding tables, the tied output layer's share of the
// token table, layer-norms, linear weights and biases), computed by the
// kernels in float32, with float64 central differences of the reference
// loss, on every ISA level and thread count, on a partial minibatch.
func TestTransformerGradientCheck(t *testing.T) {
	ref := tinyGPTReference(t)
	if ref.scale == 0 {
		t.Fatal("every numerical gradient is zero: the check would prove nothing")
	}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		m, err := NewModel(ctx, tinyGPT(), gradN+1)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(7)
		copy(m.params, ref.params)
		ids, labels := m.Tokens(gradN)
		copy(ids, ref.tokens)
		copy(labels, ref.labels)
		for range 2 { // twice: the gradients must not accumulate across steps
			loss := m.Forward(gradN)
			m.Backward(gradN)
			if math.Abs(float64(loss)-ref.loss) > 1e-5*max(1, math.Abs(ref.loss)) {
				t.Errorf("loss %v, float64 reference %v", loss, ref.loss)
			}
		}
		// float32 sums of a few dozen terms through two blocks, GELU and
		// attention's float32 exponentials: 1e-4 of the largest gradient.
		bad := 0
		for i, g := range m.Grads() {
			if d := math.Abs(float64(g) - ref.num[i]); d > 1e-4*ref.scale {
				if bad++; bad <= 5 {
					t.Errorf("%s: dparam[%d] = %v, central difference %v", layerOf(m, i), i, g, ref.num[i])
				}
			}
		}
		if bad > 5 {
			t.Errorf("... %d of %d gradients wrong", bad, len(ref.num))
		}
	})
}

// TestGPT2Memory: the planned memory of a GPT-2 small step at context 1024,
// batch 1, is within 1.3× of what the workload package counts (parameters,
// gradients, AdamW's two moments, every layer's output), from the plan
// alone; the per-position logits and their gradient (50257 a token) must
// not be held more than once each.
func TestGPT2Memory(t *testing.T) {
	net := workload.GPT2Small()
	mem, err := PlanMemory(net, 1)
	if err != nil {
		t.Fatal(err)
	}
	st, err := net.Step(1)
	if err != nil {
		t.Fatal(err)
	}
	want := st.MemoryBytes()
	ratio := mem.Total / want
	t.Logf("GPT-2 small t1024 b1: planned %.0f MB (params %.0f, grads %.0f, optimizer %.0f, input %.2f, arena %.0f of activations %.0f + gradients %.0f + scratch %.0f unshared); workload counts %.0f MB: %.3f×",
		mem.Total/1e6, mem.Params/1e6, mem.Grads/1e6, mem.Optimizer/1e6, mem.Input/1e6, mem.Arena/1e6, mem.Activations/1e6, mem.Gradients/1e6, mem.Scratch/1e6, want/1e6, ratio)
	if ratio > 1.3 || ratio < 0.5 {
		t.Errorf("planned memory %.0f MB is %.2f× the workload's count %.0f MB, want within 1.3×", mem.Total/1e6, ratio, want/1e6)
	}
	if mem.Params != 4*float64(st.Params) || mem.Optimizer != 2*mem.Params {
		t.Errorf("params %.0f bytes, optimizer %.0f; want 4×%d and AdamW's two moments per parameter", mem.Params, mem.Optimizer, st.Params)
	}
}

// TestTransformerStepAllocates: a training step of the tiny GPT (full and
// partial minibatches, AdamW with clipping, timing on, then an evaluation
// forward) allocates nothing, on every ISA level; and the planned memory is
// what the model allocated.
func TestTransformerStepAllocates(t *testing.T) {
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		net := tinyGPT()
		m, err := NewModel(ctx, net, 4)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(1)
		ids, labels := m.Tokens(4)
		for i := range ids {
			ids[i], labels[i] = int32(i%11), int32((i+1)%11)
		}
		opt, err := newModelOptimizer(net.Optimizer, m)
		if err != nil {
			t.Fatal(err)
		}
		m.SetTiming(true)
		step := func() {
			for _, n := range []int{4, 3} {
				m.Forward(n)
				m.Backward(n)
				opt.step(ctx, m.params, m.grads)
			}
			m.forwardInference(2)
		}
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%v allocations per step, want 0", a)
		}
		if opt.norm <= 0 || math.IsNaN(opt.norm) {
			t.Errorf("gradient norm %v", opt.norm)
		}
		mem := m.Memory()
		got := 4*float64(len(m.params)+len(m.grads)+len(m.arena)+len(m.tokens)+len(m.labels)) + mem.Optimizer
		for _, l := range m.tf {
			if l != nil {
				got += 4 * float64(len(l.stats))
			}
		}
		if got != mem.Total {
			t.Errorf("allocated %.0f bytes, Memory().Total %.0f", got, mem.Total)
		}
	})
}

// TestAdamWDecaySpans: with a zero gradient, AdamW's decoupled decay
// shrinks the 2-D weights (linear layers, both embedding tables) and leaves
// biases and layer-norm γ and β alone.
func TestAdamWDecaySpans(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := tinyGPT()
	net.Optimizer.Decay = 0.5
	m, err := NewModel(ctx, net, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.params {
		m.params[i] = 1
	}
	opt, err := newModelOptimizer(net.Optimizer, m)
	if err != nil {
		t.Fatal(err)
	}
	clear(m.grads)
	opt.step(ctx, m.params, m.grads)
	lr := net.Optimizer.LR
	shrunk, kept := 0, 0
	for i, r := range m.layers {
		off, nw := m.paramsOf(i)
		for j := off; j < off+r.Params; j++ {
			want := float32(1)
			if j < off+nw && r.Kind != workload.LayerNorm {
				want = float32(1 - lr*0.5)
				shrunk++
			} else {
				kept++
			}
			if math.Abs(float64(m.params[j]-want)) > 1e-6 {
				t.Fatalf("%s parameter %d: %v after one decay step, want %v", r.Name, j-off, m.params[j], want)
			}
		}
	}
	if shrunk == 0 || kept == 0 {
		t.Errorf("%d decayed and %d undecayed parameters, want both", shrunk, kept)
	}
}
