package nn

import (
	"math"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
	"github.com/trainbench/trainbench/workload"
)

// tinyNets are small networks for the whole-network gradient check: between
// them they cover conv2d with and without a fused ReLU, padding, a ReLU whose
// gradient is taken on the pooled tensor, a standalone ReLU, overlapping and
// non-overlapping max pooling (with a dropped border), flatten, dense with
// and without ReLU, and the loss.
func tinyNets() []workload.Network {
	return []workload.Network{
		{Name: "tiny-a", Input: workload.Dims{H: 7, W: 6, C: 2}, Classes: 3, Layers: []workload.Layer{
			{Name: "conv1", Kind: workload.Conv2D, Filters: 4, Kernel: 3, Padding: 1},
			{Name: "relu1", Kind: workload.ReLU},
			{Name: "pool1", Kind: workload.MaxPool, Kernel: 2},
			{Name: "conv2", Kind: workload.Conv2D, Filters: 5, Kernel: 2},
			{Name: "relu2", Kind: workload.ReLU},
			{Name: "flatten", Kind: workload.Flatten},
			{Name: "fc1", Kind: workload.Dense, Units: 6},
			{Name: "relu3", Kind: workload.ReLU},
			{Name: "fc2", Kind: workload.Dense, Units: 3},
			{Name: "loss", Kind: workload.SoftmaxCE},
		}},
		{Name: "tiny-b", Input: workload.Dims{H: 6, W: 6, C: 1}, Classes: 4, Layers: []workload.Layer{
			{Name: "pool0", Kind: workload.MaxPool, Kernel: 1},
			{Name: "conv1", Kind: workload.Conv2D, Filters: 3, Kernel: 3},
			{Name: "pool1", Kind: workload.MaxPool, Kernel: 2, Stride: 1},
			{Name: "relu1", Kind: workload.ReLU},
			{Name: "conv2", Kind: workload.Conv2D, Filters: 2, Kernel: 2},
			{Name: "relu2", Kind: workload.ReLU},
			{Name: "pool2", Kind: workload.MaxPool, Kernel: 2},
			{Name: "flatten", Kind: workload.Flatten},
			{Name: "fc1", Kind: workload.Dense, Units: 4},
			{Name: "loss", Kind: workload.SoftmaxCE},
		}},
		// A first conv without a ReLU whose output a pool of windows 3 tiles
		// but for its last row: its backward runs inside the pool's.
		{Name: "tiny-c", Input: workload.Dims{H: 9, W: 8, C: 2}, Classes: 3, Layers: []workload.Layer{
			{Name: "conv1", Kind: workload.Conv2D, Filters: 3, Kernel: 2},
			{Name: "pool1", Kind: workload.MaxPool, Kernel: 3},
			{Name: "flatten", Kind: workload.Flatten},
			{Name: "fc1", Kind: workload.Dense, Units: 3},
			{Name: "loss", Kind: workload.SoftmaxCE},
		}},
	}
}

// refLoss is the network's mean loss on n samples, computed in float64 from
// the layers' definitions with the parameters p laid out as Model.Params.
func refLoss(rs []workload.Resolved, p []float64, x []float32, labels []int32, n int) float64 {
	a := make([]float64, n*rs[0].In.Len())
	for i := range a {
		a[i] = float64(x[i])
	}
	off := 0
	for _, r := range rs {
		in, out := r.In, r.Out
		var y []float64
		switch r.Kind {
		case workload.Conv2D:
			s := *r.Conv
			w, b := p[off:off+s.WeightLen()], p[off+s.WeightLen():off+r.Params]
			y = make([]float64, n*out.Len())
			for i := range n {
				for op := range out.H {
					for oq := range out.W {
						for k := range s.K {
							v := b[k]
							for fr := range s.R {
								h := op*s.StrideH - s.PadH + fr*s.DilH
								for fs := range s.S {
									c := oq*s.StrideW - s.PadW + fs*s.DilW
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
		case workload.MaxPool:
			s := *r.Pool
			y = make([]float64, n*out.Len())
			for i := range n {
				for op := range out.H {
					for oq := range out.W {
						for ch := range in.C {
							v := math.Inf(-1)
							for dh := range s.Window {
								for dw := range s.Window {
									v = max(v, a[((i*in.H+op*s.Stride+dh)*in.W+oq*s.Stride+dw)*in.C+ch])
								}
							}
							y[((i*out.H+op)*out.W+oq)*out.C+ch] = v
						}
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
		}
		off += r.Params
		a = y
	}
	panic("no loss layer")
}

// wideNet has two 3×3 convolutions of 64 channels each way, which the
// Context runs by winograd above level generic (all three passes of conv2,
// forward and backward-weights of conv1): too many parameters to difference
// them all, so the check samples them.
func wideNet() workload.Network {
	return workload.Network{Name: "tiny-wide", Input: workload.Dims{H: 5, W: 4, C: 64}, Classes: 3, Layers: []workload.Layer{
		{Name: "conv1", Kind: workload.Conv2D, Filters: 64, Kernel: 3, Padding: 1},
		{Name: "relu1", Kind: workload.ReLU},
		{Name: "conv2", Kind: workload.Conv2D, Filters: 64, Kernel: 3, Padding: 1},
		{Name: "relu2", Kind: workload.ReLU},
		{Name: "flatten", Kind: workload.Flatten},
		{Name: "fc1", Kind: workload.Dense, Units: 3},
		{Name: "loss", Kind: workload.SoftmaxCE},
	}}
}

// TestGradientCheck compares the whole network's gradient, computed by the
// kernels in float32, with float64 central differences of the reference
// loss, for every parameter of the tiny networks (a seeded sample of
// wideNet's), on every ISA level and thread count.
func TestGradientCheck(t *testing.T) {
	for _, net := range tinyNets() {
		t.Run(net.Name, func(t *testing.T) {
			kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
				checkGradients(t, ctx, net, 3, 0)
			})
		})
	}
	t.Run(wideNet().Name, func(t *testing.T) {
		kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
			if testing.Short() && ctx.Threads() == 3 {
				t.Skip("short")
			}
			checkGradients(t, ctx, wideNet(), 2, 60)
		})
	})
}

// checkGradients checks the gradient of every parameter of net, or of sample
// parameters drawn with a fixed seed if sample > 0, on a batch of n.
func checkGradients(t *testing.T, ctx *kernels.Context, net workload.Network, n, sample int) {
	m, err := NewModel(ctx, net, n+1) // a partial batch
	if err != nil {
		t.Fatal(err)
	}
	m.Init(7)
	rng := kerneltest.Rand(11)
	for i := range m.params { // non-zero biases, so they matter
		if m.params[i] == 0 {
			m.params[i] = float32(rng.NormFloat64() * 0.1)
		}
	}
	x, labels := m.Input(n)
	for i := range x {
		x[i] = rng.Float32()
	}
	for i := range labels {
		labels[i] = int32(rng.IntN(m.classes))
	}
	loss := m.Forward(n)
	m.Backward(n)
	got := append([]float32(nil), m.Grads()...)

	p := make([]float64, len(m.params))
	for i, v := range m.params {
		p[i] = float64(v)
	}
	want := refLoss(m.layers, p, x, labels, n)
	if math.Abs(float64(loss)-want) > 1e-5*max(1, math.Abs(want)) {
		t.Errorf("loss %v, float64 reference %v", loss, want)
	}
	const h = 1e-6
	num := make([]float64, len(p))
	scale := 0.0
	idx := make([]int, 0, len(p))
	for i := range p {
		idx = append(idx, i)
	}
	if sample > 0 {
		prng := kerneltest.Rand(13)
		prng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		idx = idx[:min(sample, len(idx))]
	}
	for _, i := range idx {
		v := p[i]
		p[i] = v + h
		lp := refLoss(m.layers, p, x, labels, n)
		p[i] = v - h
		lm := refLoss(m.layers, p, x, labels, n)
		p[i] = v
		num[i] = (lp - lm) / (2 * h)
		scale = max(scale, math.Abs(num[i]))
	}
	if scale == 0 {
		t.Fatal("every numerical gradient is zero: the check would prove nothing")
	}
	// float32 backward passes sum a few dozen products; the central
	// difference is accurate to ~1e-9. Allow 1e-4 of the largest gradient.
	bad := 0
	for _, i := range idx {
		if d := math.Abs(float64(got[i]) - num[i]); d > 1e-4*scale {
			if bad++; bad <= 5 {
				t.Errorf("%s: dparam[%d] = %v, central difference %v", layerOf(m, i), i, got[i], num[i])
			}
		}
	}
	if bad > 5 {
		t.Errorf("... %d of %d gradients wrong", bad, len(p))
	}
}

// layerOf names the layer owning parameter i.
func layerOf(m *Model, i int) string {
	off := 0
	for _, r := range m.layers {
		if i < off+r.Params {
			return r.Name
		}
		off += r.Params
	}
	return "?"
}
