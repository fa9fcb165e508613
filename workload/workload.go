// Package workload describes neural networks as data: layers with their
// hyper-parameters, input size, batch size, dataset size and optimizer.
//
// One description serves two uses: the cost model counts its FLOPs and bytes
// per layer and pass, and package nn executes it with the kernels. Resolve
// turns a description into concrete kernel shapes (kernels.Conv2DShape, ...)
// for a batch size, so both uses see exactly the same shapes.
//
// Activations are NHWC, as in package kernels.
package workload

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels"
)

// Kind is the type of a layer.
type Kind string

// The layer kinds.
const (
	Conv2D    Kind = "conv2d"     // 2-D convolution with bias
	MaxPool   Kind = "maxpool"    // max pooling, square window
	ReLU      Kind = "relu"       // rectified linear unit, element-wise
	Flatten   Kind = "flatten"    // NHWC → N×(H·W·C), no data movement
	Dense     Kind = "dense"      // fully connected with bias
	SoftmaxCE Kind = "softmax-ce" // softmax + cross-entropy loss (sparse labels)
)

// Dims is the shape of one sample's activations: height, width, channels.
// A flat vector has H = W = 1.
type Dims struct {
	H, W, C int
}

// Len is the number of elements of one sample.
func (d Dims) Len() int { return d.H * d.W * d.C }

func (d Dims) String() string { return fmt.Sprintf("%dx%dx%d", d.H, d.W, d.C) }

// Layer is one layer of a network. Which fields matter depends on Kind:
// conv2d uses Filters, Kernel, Stride, Padding; maxpool uses Kernel (the
// window) and Stride; dense uses Units.
type Layer struct {
	Name    string `json:"name" yaml:"name"`
	Kind    Kind   `json:"kind" yaml:"kind"`
	Filters int    `json:"filters,omitempty" yaml:"filters,omitempty"` // conv2d output channels
	Kernel  int    `json:"kernel,omitempty" yaml:"kernel,omitempty"`   // conv2d filter size, maxpool window
	Stride  int    `json:"stride,omitempty" yaml:"stride,omitempty"`   // conv2d/maxpool stride (default 1 / window)
	Padding int    `json:"padding,omitempty" yaml:"padding,omitempty"` // conv2d zero padding per side
	Units   int    `json:"units,omitempty" yaml:"units,omitempty"`     // dense outputs
}

// Optimizer is the update rule and its hyper-parameters.
type Optimizer struct {
	Name     string  `json:"name" yaml:"name"` // "adam" or "sgd"
	LR       float64 `json:"lr" yaml:"lr"`
	Beta1    float64 `json:"beta1,omitempty" yaml:"beta1,omitempty"`       // adam
	Beta2    float64 `json:"beta2,omitempty" yaml:"beta2,omitempty"`       // adam
	Epsilon  float64 `json:"epsilon,omitempty" yaml:"epsilon,omitempty"`   // adam
	Momentum float64 `json:"momentum,omitempty" yaml:"momentum,omitempty"` // sgd
}

// Network is a trainable network and the job of training it.
type Network struct {
	Name      string    `json:"name" yaml:"name"`
	Input     Dims      `json:"input" yaml:"input"`
	Classes   int       `json:"classes" yaml:"classes"`
	Layers    []Layer   `json:"layers" yaml:"layers"`
	Batch     int       `json:"batch" yaml:"batch"`
	Samples   int       `json:"samples" yaml:"samples"` // training samples per epoch
	Optimizer Optimizer `json:"optimizer" yaml:"optimizer"`
}

// Resolved is a layer with its shapes worked out for one batch size. Exactly
// one of Conv, Pool, Dense is set for the kinds that have a kernel shape.
type Resolved struct {
	Layer
	Index   int  // position in Network.Layers
	In, Out Dims // per-sample activation shapes
	Batch   int  // batch size the shapes are for
	Params  int  // trainable parameters (weights + biases)
	Conv    *kernels.Conv2DShape
	Pool    *kernels.PoolShape
	Dense   *kernels.DenseShape
	First   bool // the first layer with weights: its input needs no gradient
}

// Resolve works out every layer's shapes for the given batch size, checking
// that each layer fits its input. Errors name the layer and field.
func (n Network) Resolve(batch int) ([]Resolved, error) {
	if batch < 1 {
		return nil, fmt.Errorf("network %s: batch %d < 1", n.Name, batch)
	}
	if n.Input.H < 1 || n.Input.W < 1 || n.Input.C < 1 {
		return nil, fmt.Errorf("network %s: input %v must be positive in every dimension", n.Name, n.Input)
	}
	if len(n.Layers) == 0 {
		return nil, fmt.Errorf("network %s: no layers", n.Name)
	}
	var out []Resolved
	in := n.Input
	seenWeights := false
	for i, l := range n.Layers {
		r := Resolved{Layer: l, Index: i, In: in, Batch: batch}
		where := fmt.Sprintf("network %s: layer %d (%s, %s)", n.Name, i, l.Name, l.Kind)
		switch l.Kind {
		case Conv2D:
			if l.Filters < 1 || l.Kernel < 1 || l.Stride < 0 || l.Padding < 0 {
				return nil, fmt.Errorf("%s: filters %d, kernel %d, stride %d, padding %d: filters and kernel must be ≥ 1, stride and padding ≥ 0", where, l.Filters, l.Kernel, l.Stride, l.Padding)
			}
			s := kernels.Conv2DShape{N: batch, H: in.H, W: in.W, C: in.C, K: l.Filters, R: l.Kernel, S: l.Kernel,
				StrideH: orOne(l.Stride), StrideW: orOne(l.Stride), PadH: l.Padding, PadW: l.Padding, DilH: 1, DilW: 1}
			if err := s.Validate(); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			r.Conv = &s
			r.Out = Dims{s.OutH(), s.OutW(), l.Filters}
			r.Params = s.WeightLen() + l.Filters
		case MaxPool:
			if l.Kernel < 1 || l.Stride < 0 {
				return nil, fmt.Errorf("%s: kernel (window) %d must be ≥ 1 and stride %d ≥ 0", where, l.Kernel, l.Stride)
			}
			stride := l.Stride
			if stride == 0 {
				stride = l.Kernel
			}
			s := kernels.PoolShape{N: batch, H: in.H, W: in.W, C: in.C, Window: l.Kernel, Stride: stride}
			if s.OutH() < 1 || s.OutW() < 1 {
				return nil, fmt.Errorf("%s: window %d does not fit the %v input", where, l.Kernel, in)
			}
			r.Pool = &s
			r.Out = Dims{s.OutH(), s.OutW(), in.C}
		case ReLU:
			r.Out = in
		case Flatten:
			r.Out = Dims{1, 1, in.Len()}
		case Dense:
			if l.Units < 1 {
				return nil, fmt.Errorf("%s: units %d must be ≥ 1", where, l.Units)
			}
			s := kernels.DenseShape{Batch: batch, In: in.Len(), Out: l.Units}
			r.Dense = &s
			r.Out = Dims{1, 1, l.Units}
			r.Params = s.In*s.Out + s.Out
		case SoftmaxCE:
			if i != len(n.Layers)-1 {
				return nil, fmt.Errorf("%s: softmax-ce must be the last layer", where)
			}
			if n.Classes > 0 && in.Len() != n.Classes {
				return nil, fmt.Errorf("%s: %d inputs but the network has %d classes", where, in.Len(), n.Classes)
			}
			r.Out = Dims{1, 1, 1}
		default:
			return nil, fmt.Errorf("%s: unknown kind %q (valid: conv2d, maxpool, relu, flatten, dense, softmax-ce)", where, l.Kind)
		}
		if r.Params > 0 && !seenWeights {
			r.First, seenWeights = true, true
		}
		out = append(out, r)
		in = r.Out
	}
	return out, nil
}

func orOne(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// Params returns the number of trainable parameters.
func (n Network) Params() (int, error) {
	rs, err := n.Resolve(1)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, r := range rs {
		total += r.Params
	}
	return total, nil
}

// SeedCNN is the seed workload: the small MNIST CNN of the Keras example,
// trained with Adam (lr 1e-3, Keras defaults) at batch 32 on MNIST's 60,000
// training images.
//
//	conv 3×3×32 ReLU → maxpool 2×2 → conv 3×3×64 ReLU → maxpool 2×2 →
//	flatten (1600) → dense 128 ReLU → dense 10 → softmax cross-entropy
func SeedCNN() Network {
	return Network{
		Name:    "seed-cnn",
		Input:   Dims{28, 28, 1},
		Classes: 10,
		Layers: []Layer{
			{Name: "conv1", Kind: Conv2D, Filters: 32, Kernel: 3},
			{Name: "relu1", Kind: ReLU},
			{Name: "pool1", Kind: MaxPool, Kernel: 2},
			{Name: "conv2", Kind: Conv2D, Filters: 64, Kernel: 3},
			{Name: "relu2", Kind: ReLU},
			{Name: "pool2", Kind: MaxPool, Kernel: 2},
			{Name: "flatten", Kind: Flatten},
			{Name: "fc1", Kind: Dense, Units: 128},
			{Name: "relu3", Kind: ReLU},
			{Name: "fc2", Kind: Dense, Units: 10},
			{Name: "loss", Kind: SoftmaxCE},
		},
		Batch:     32,
		Samples:   60000,
		Optimizer: Optimizer{Name: "adam", LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
	}
}
