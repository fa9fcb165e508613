package nn

import (
	"math"
	"sync"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
	"github.com/trainbench/trainbench/workload"
)

// tinyResNet is a small residual network with batch-norm for the whole-
// network gradient check. Between its layers: conv2d with and without bias,
// stride and padding; a conv+ReLU whose gradient mask runs in a padded
// max-pool; batch-norm fused with ReLU (bn1, bn2), with add and ReLU (bn3,
// whose residual is a standalone batch-norm, proj-bn; bn4, whose residual
// b.out a convolution also reads) and alone (bn5); tensors read by two
// convolutions (pool0: conv1 and the projection), by a convolution and a
// fused add (b.out) and by a convolution and an unfused add (relu4), so
// gradients are summed; an unfused add and a standalone ReLU; global
// average pooling; dense; loss.
func tinyResNet() workload.Network {
	return workload.Network{Name: "tiny-res", Input: workload.Dims{H: 8, W: 7, C: 2}, Classes: 3, Layers: []workload.Layer{
		{Name: "conv0", Kind: workload.Conv2D, Filters: 4, Kernel: 3, Padding: 1},
		{Name: "relu0", Kind: workload.ReLU},
		{Name: "pool0", Kind: workload.MaxPool, Kernel: 3, Stride: 2, Padding: 1},
		{Name: "b.conv1", Kind: workload.Conv2D, Filters: 3, Kernel: 1, NoBias: true},
		{Name: "b.bn1", Kind: workload.BatchNorm},
		{Name: "b.relu1", Kind: workload.ReLU},
		{Name: "b.conv2", Kind: workload.Conv2D, Filters: 3, Kernel: 3, Stride: 2, Padding: 1, NoBias: true},
		{Name: "b.bn2", Kind: workload.BatchNorm},
		{Name: "b.relu2", Kind: workload.ReLU},
		{Name: "b.conv3", Kind: workload.Conv2D, Filters: 5, Kernel: 1, NoBias: true},
		{Name: "b.bn3", Kind: workload.BatchNorm},
		{Name: "b.proj", Kind: workload.Conv2D, Input: "pool0", Filters: 5, Kernel: 1, Stride: 2, NoBias: true},
		{Name: "b.proj-bn", Kind: workload.BatchNorm},
		{Name: "b.add", Kind: workload.Add, With: "b.bn3"},
		{Name: "b.out", Kind: workload.ReLU},
		{Name: "conv4", Kind: workload.Conv2D, Filters: 5, Kernel: 3, Padding: 1},
		{Name: "bn4", Kind: workload.BatchNorm},
		{Name: "add2", Kind: workload.Add, With: "b.out"},
		{Name: "relu4", Kind: workload.ReLU},
		{Name: "conv5", Kind: workload.Conv2D, Filters: 5, Kernel: 1},
		{Name: "add3", Kind: workload.Add, With: "relu4"},
		{Name: "relu5", Kind: workload.ReLU},
		{Name: "bn5", Kind: workload.BatchNorm},
		{Name: "gap", Kind: workload.GlobalAvgPool},
		{Name: "fc", Kind: workload.Dense, Units: 3},
		{Name: "loss", Kind: workload.SoftmaxCE},
	}, Batch: 4, Samples: 100, Optimizer: workload.Optimizer{Name: "sgd", LR: 0.1, Momentum: 0.9, Decay: 1e-4}}
}

// refGraphLoss is the network's mean loss on n samples, computed in float64
// from the layers' definitions over the graph (each layer reads
// Resolved.Inputs), with the parameters p laid out as Model.Params and
// batch-norm in training mode (statistics of the n samples, ε = 1e-5).
func refGraphLoss(rs []workload.Resolved, p []float64, x []float32, labels []int32, n int) float64 {
	outs := make([][]float64, len(rs))
	input := make([]float64, n*rs[0].In.Len())
	for i := range input {
		input[i] = float64(x[i])
	}
	get := func(j int) []float64 {
		if j < 0 {
			return input
		}
		return outs[j]
	}
	off := 0
	for li, r := range rs {
		in, out := r.In, r.Out
		a := get(r.Inputs[0])
		var y []float64
		switch r.Kind {
		case workload.Conv2D:
			s := *r.Conv
			w := p[off : off+s.WeightLen()]
			bias := p[off+s.WeightLen() : off+r.Params]
			y = make([]float64, n*out.Len())
			for i := range n {
				for op := range out.H {
					for oq := range out.W {
						for k := range s.K {
							v := 0.0
							if len(bias) > 0 {
								v = bias[k]
							}
							for fr := range s.R {
								h := op*s.StrideH - s.PadH + fr
								for fs := range s.S {
									c := oq*s.StrideW - s.PadW + fs
									if h < 0 || h >= in.H || c < 0 || c >= in.W {
										continue
									}
									for ch := range in.C {
										v += a[((i*in.H+h)*in.W+c)*in.C+ch] * w[((k*s.R+fr)*s.S+fs)*in.C+ch]
									}
								}
							}
							y[((i*out.H+op)*out.W+oq)*out.C+k] = v
						}
					}
				}
			}
		case workload.BatchNorm:
			C := in.C
			g, b := p[off:off+C], p[off+C:off+2*C]
			M := n * in.Positions()
			y = make([]float64, len(a))
			for c := range C {
				mean, sq := 0.0, 0.0
				for r := range M {
					mean += a[r*C+c]
				}
				mean /= float64(M)
				for r := range M {
					d := a[r*C+c] - mean
					sq += d * d
				}
				inv := 1 / math.Sqrt(sq/float64(M)+kernels.BatchNormEps)
				for r := range M {
					y[r*C+c] = g[c]*(a[r*C+c]-mean)*inv + b[c]
				}
			}
		case workload.Dense:
			s := *r.Dense
			w, b := p[off:off+s.In*s.Out], p[off+s.In*s.Out:off+r.Params]
			y = make([]float64, n*s.Out)
			for i := range n {
				for o := range s.Out {
					v := b[o]
					for j := range s.In {
						v += a[i*s.In+j] * w[o*s.In+j]
					}
					y[i*s.Out+o] = v
				}
			}
		case workload.ReLU:
			y = make([]float64, len(a))
			for i, v := range a {
				y[i] = max(v, 0)
			}
		case workload.Add:
			b := get(r.Inputs[1])
			y = make([]float64, len(a))
			for i := range a {
				y[i] = a[i] + b[i]
			}
		case workload.MaxPool:
			win, st, pad := r.Pool.Window, r.Pool.Stride, r.Padding
			y = make([]float64, n*out.Len())
			for i := range n {
				for op := range out.H {
					for oq := range out.W {
						for ch := range in.C {
							v := math.Inf(-1)
							for dh := range win {
								for dw := range win {
									h, c := op*st-pad+dh, oq*st-pad+dw
									if h >= 0 && h < in.H && c >= 0 && c < in.W {
										v = max(v, a[((i*in.H+h)*in.W+c)*in.C+ch])
									}
								}
							}
							y[((i*out.H+op)*out.W+oq)*out.C+ch] = v
						}
					}
				}
			}
		case workload.GlobalAvgPool:
			y = make([]float64, n*in.C)
			for i := range n {
				for pos := range in.Positions() {
					for c := range in.C {
						y[i*in.C+c] += a[(i*in.Positions()+pos)*in.C+c] / float64(in.Positions())
					}
				}
			}
		case workload.Flatten:
			y = a
		case workload.SoftmaxCE:
			k := in.Len()
			var loss float64
			for i := range n {
				row := a[i*k : (i+1)*k]
				mx := math.Inf(-1)
				for _, v := range row {
					mx = max(mx, v)
				}
				var sum float64
				for _, v := range row {
					sum += math.Exp(v - mx)
				}
				loss += math.Log(sum) + mx - row[labels[i]]
			}
			return loss / float64(n)
		default:
			panic("refGraphLoss: no reference for " + string(r.Kind))
		}
		off += r.Params
		outs[li] = y
	}
	panic("no loss layer")
}

// graphCase is the fixed input, parameters and float64 central-difference
// gradient of a gradient check, computed once and shared by every ISA
// level and thread count.
type graphCase struct {
	params []float32
	x      []float32
	labels []int32
	loss   float64
	num    []float64
	scale  float64
}

var (
	tinyResOnce sync.Once
	tinyResCase graphCase
)

const gradN = 3 // samples in the gradient check (the model is built for one more)

func tinyResReference(t *testing.T) graphCase {
	tinyResOnce.Do(func() {
		ctx, err := kernels.NewDefaultContext(1)
		if err != nil {
			t.Fatal(err)
		}
		defer ctx.Close()
		m, err := NewModel(ctx, tinyResNet(), gradN+1)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(7)
		rng := kerneltest.Rand(11)
		for i := range m.params { // γ ≠ 1, β and biases ≠ 0, so they matter
			if m.params[i] == 0 || m.params[i] == 1 {
				m.params[i] += float32(rng.NormFloat64() * 0.2)
			}
		}
		c := graphCase{params: append([]float32(nil), m.params...), x: make([]float32, gradN*m.sample), labels: make([]int32, gradN)}
		for i := range c.x {
			c.x[i] = rng.Float32()
		}
		for i := range c.labels {
			c.labels[i] = int32(rng.IntN(m.classes))
		}
		p := make([]float64, len(m.params))
		for i, v := range m.params {
			p[i] = float64(v)
		}
		c.loss = refGraphLoss(m.layers, p, c.x, c.labels, gradN)
		const h = 1e-6
		c.num = make([]float64, len(p))
		for i := range p {
			v := p[i]
			p[i] = v + h
			lp := refGraphLoss(m.layers, p, c.x, c.labels, gradN)
			p[i] = v - h
			lm := refGraphLoss(m.layers, p, c.x, c.labels, gradN)
			p[i] = v
			c.num[i] = (lp - lm) / (2 * h)
			c.scale = max(c.scale, math.Abs(c.num[i]))
		}
		tinyResCase = c
	})
	if tinyResCase.num == nil {
		t.Fatal("no reference (failed before)")
	}
	return tinyResCase
}

// TestGraphGradientCheck compares the whole residual network's gradient,
// computed by the kernels in float32 (with every fusion the planner makes),
// with float64 central differences of the reference loss, for every
// parameter, on every ISA level and thread count. Batch-norm's statistics
// make each sample's loss depend on the whole minibatch; the reference
// computes them over the same n samples, so the check is exact for that.
func TestGraphGradientCheck(t *testing.T) {
	ref := tinyResReference(t)
	if ref.scale == 0 {
		t.Fatal("every numerical gradient is zero: the check would prove nothing")
	}
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		m, err := NewModel(ctx, tinyResNet(), gradN+1) // a partial batch
		if err != nil {
			t.Fatal(err)
		}
		m.Init(7)
		copy(m.params, ref.params)
		x, labels := m.Input(gradN)
		copy(x, ref.x)
		copy(labels, ref.labels)
		loss := m.Forward(gradN)
		m.Backward(gradN)
		if math.Abs(float64(loss)-ref.loss) > 1e-5*max(1, math.Abs(ref.loss)) {
			t.Errorf("loss %v, float64 reference %v", loss, ref.loss)
		}
		// float32 passes over a few dozen terms, and batch-norm's division
		// by a batch deviation of a few values: 2e-4 of the largest
		// gradient.
		bad := 0
		for i, g := range m.Grads() {
			if d := math.Abs(float64(g) - ref.num[i]); d > 2e-4*ref.scale {
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

// TestGraphPlan checks the planner's fusions on the tiny residual network:
// which layers run a forward kernel of their own.
func TestGraphPlan(t *testing.T) {
	m, err := planModel(nil, tinyResNet(), 4)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range m.fwd {
		got = append(got, m.layers[tk.layer].Name)
	}
	want := []string{"conv0", "pool0", "b.conv1", "b.bn1", "b.conv2", "b.bn2", "b.conv3", "b.proj", "b.proj-bn", "b.bn3", "conv4", "bn4", "conv5", "add3", "relu5", "bn5", "gap", "fc"}
	if len(got) != len(want) {
		t.Fatalf("forward kernels of %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("forward kernels of %v, want %v", got, want)
		}
	}
	fused := map[string]string{}
	for _, o := range m.ops {
		if o.relu >= 0 {
			fused[m.layers[o.relu].Name] = m.layers[o.layer].Name
		}
		if o.add >= 0 {
			fused[m.layers[o.add].Name] = m.layers[o.layer].Name
		}
	}
	for l, into := range map[string]string{"relu0": "conv0", "b.relu1": "b.bn1", "b.relu2": "b.bn2", "b.add": "b.bn3", "b.out": "b.bn3", "add2": "bn4", "relu4": "bn4"} {
		if fused[l] != into {
			t.Errorf("%s fused into %q, want %s", l, fused[l], into)
		}
	}
	if !m.folded[1] {
		t.Error("relu0's gradient mask does not run in pool0's backward")
	}
}

// TestGraphStepAllocates: a training step of the tiny residual network
// (full and partial minibatches, forward, backward and the SGD update with
// weight decay, timing on) allocates nothing at all, on every ISA level.
func TestGraphStepAllocates(t *testing.T) {
	kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
		net := tinyResNet()
		m, err := NewModel(ctx, net, 6)
		if err != nil {
			t.Fatal(err)
		}
		m.Init(1)
		x, labels := m.Input(6)
		for i := range x {
			x[i] = float32(i%17) / 17
		}
		for i := range labels {
			labels[i] = int32(i % m.classes)
		}
		opt, err := newModelOptimizer(net.Optimizer, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(opt.spans) < 2 {
			t.Fatalf("%d decay spans, want the weights and the rest apart", len(opt.spans))
		}
		m.SetTiming(true)
		step := func() {
			for _, n := range []int{6, 5} {
				m.Forward(n)
				m.Backward(n)
				opt.step(ctx, m.params, m.grads)
			}
			m.forwardInference(3)
		}
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("%v allocations per step, want 0", a)
		}
	})
}

// TestWeightDecaySpans: with a zero gradient, SGD's weight decay shrinks
// the weights of convolutions and dense layers and leaves biases and
// batch-norm's γ and β alone.
func TestWeightDecaySpans(t *testing.T) {
	ctx, err := kernels.NewDefaultContext(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	net := tinyResNet()
	net.Optimizer.Decay = 0.5
	m, err := NewModel(ctx, net, 4)
	if err != nil {
		t.Fatal(err)
	}
	m.Init(3)
	for i := range m.params {
		m.params[i] = 1
	}
	opt, err := newModelOptimizer(net.Optimizer, m)
	if err != nil {
		t.Fatal(err)
	}
	clear(m.grads)
	opt.step(ctx, m.params, m.grads)
	shrunk, kept := 0, 0
	for i, r := range m.layers {
		off, nw := m.paramsOf(i)
		for j := off; j < off+r.Params; j++ {
			weight := j < off+nw && (r.Kind == workload.Conv2D || r.Kind == workload.Dense)
			want := float32(1)
			if weight {
				want = 1 - 0.1*0.5
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
