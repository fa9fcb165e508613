// Package workload describes neural networks as data: layers with their
// hyper-parameters, input size, batch size, dataset size and optimizer.
//
// One description serves two uses: the cost model counts its FLOPs and bytes
// per layer and pass, and package nn executes it with the kernels. Resolve
// turns a description into concrete kernel shapes (shape.Conv2D, ...)
// for a batch size, so both uses see exactly the same shapes.
//
// Activations are NHWC, as in package shape. A sequence of T tokens with C
// features is Dims{H: 1, W: T, C: C}.
//
// Layers run in list order. Each reads the output of the layer before it,
// unless Input names an earlier layer; an add layer also reads the layer
// named by With. That is enough for residual blocks: a branch starts with a
// layer whose Input names the block's input, and an add closes it.
//
// Built-in networks: SeedCNN ("seed-cnn"), ResNet50 ("resnet50-imagenet") and
// GPT2Small ("gpt2-small"); Load reads a user's network from a YAML or JSON
// file.
package workload

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/trainbench/trainbench/shape"
)

// Kind is the type of a layer.
type Kind string

// The layer kinds.
const (
	Conv2D        Kind = "conv2d"         // 2-D convolution with bias (unless NoBias)
	MaxPool       Kind = "maxpool"        // max pooling, square window, optional padding
	GlobalAvgPool Kind = "global-avgpool" // average over H×W per channel: N×H×W×C → N×1×1×C
	ReLU          Kind = "relu"           // rectified linear unit, element-wise
	GELU          Kind = "gelu"           // Gaussian error linear unit (tanh approximation), element-wise
	Flatten       Kind = "flatten"        // NHWC → N×(H·W·C), no data movement
	Dense         Kind = "dense"          // fully connected on the whole sample, with bias (unless NoBias)
	Linear        Kind = "linear"         // dense applied at every position (H·W) to the C features
	BatchNorm     Kind = "batchnorm"      // batch normalisation per channel, learned scale and shift
	LayerNorm     Kind = "layernorm"      // layer normalisation per position, learned scale and shift
	Add           Kind = "add"            // element-wise sum of the input and the layer named by With (residual)
	Embedding     Kind = "embedding"      // token ids → Units features, plus learned positions
	Attention     Kind = "attention"      // multi-head attention core on concatenated Q, K, V
	SoftmaxCE     Kind = "softmax-ce"     // softmax + cross-entropy loss (sparse labels), per position
)

// Kinds lists every layer kind.
var Kinds = []Kind{Conv2D, MaxPool, GlobalAvgPool, ReLU, GELU, Flatten, Dense, Linear, BatchNorm, LayerNorm, Add, Embedding, Attention, SoftmaxCE}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// Dims is the shape of one sample's activations: height, width, channels.
// A flat vector has H = W = 1.
type Dims struct {
	H int `json:"h" yaml:"h"`
	W int `json:"w" yaml:"w"`
	C int `json:"c" yaml:"c"`
}

// Len is the number of elements of one sample.
func (d Dims) Len() int { return d.H * d.W * d.C }

// Positions is H·W: the pixels of an image, the tokens of a sequence.
func (d Dims) Positions() int { return d.H * d.W }

func (d Dims) String() string { return fmt.Sprintf("%dx%dx%d", d.H, d.W, d.C) }

// Layer is one layer of a network. Which fields matter depends on Kind:
// conv2d uses Filters, Kernel, Stride, Padding, NoBias; maxpool uses Kernel
// (the window), Stride and Padding; dense and linear use Units, NoBias and
// Tie; embedding uses Vocab, Units and Positions; attention uses Heads and
// Causal; add uses With. Input works for every kind.
type Layer struct {
	Name    string `json:"name" yaml:"name"`
	Kind    Kind   `json:"kind" yaml:"kind"`
	Input   string `json:"input,omitempty" yaml:"input,omitempty"`     // layer whose output this one reads (default: the one before)
	With    string `json:"with,omitempty" yaml:"with,omitempty"`       // add: the other operand
	Filters int    `json:"filters,omitempty" yaml:"filters,omitempty"` // conv2d output channels
	Kernel  int    `json:"kernel,omitempty" yaml:"kernel,omitempty"`   // conv2d filter size, maxpool window
	Stride  int    `json:"stride,omitempty" yaml:"stride,omitempty"`   // conv2d/maxpool stride (default 1 / window)
	Padding int    `json:"padding,omitempty" yaml:"padding,omitempty"` // conv2d zero padding, maxpool −∞ padding, per side
	Units   int    `json:"units,omitempty" yaml:"units,omitempty"`     // dense/linear outputs, embedding width
	NoBias  bool   `json:"no_bias,omitempty" yaml:"no_bias,omitempty"` // conv2d/dense/linear without bias
	Tie     string `json:"tie,omitempty" yaml:"tie,omitempty"`         // dense/linear: weights shared with this embedding layer
	Vocab   int    `json:"vocab,omitempty" yaml:"vocab,omitempty"`     // embedding table rows
	// Positions is the number of learned position embeddings (0: none).
	Positions int  `json:"positions,omitempty" yaml:"positions,omitempty"`
	Heads     int  `json:"heads,omitempty" yaml:"heads,omitempty"`   // attention heads
	Causal    bool `json:"causal,omitempty" yaml:"causal,omitempty"` // attention: causal mask, masked pairs skipped
}

// Optimizer is the update rule and its hyper-parameters.
type Optimizer struct {
	Name     string  `json:"name" yaml:"name"` // "adam", "adamw" or "sgd"
	LR       float64 `json:"lr" yaml:"lr"`
	Beta1    float64 `json:"beta1,omitempty" yaml:"beta1,omitempty"`               // adam
	Beta2    float64 `json:"beta2,omitempty" yaml:"beta2,omitempty"`               // adam
	Epsilon  float64 `json:"epsilon,omitempty" yaml:"epsilon,omitempty"`           // adam
	Momentum float64 `json:"momentum,omitempty" yaml:"momentum,omitempty"`         // sgd
	Decay    float64 `json:"weight_decay,omitempty" yaml:"weight_decay,omitempty"` // adamw (decoupled), sgd (L2, added to the gradient)
	// Schedule varies the learning rate over a training run (nil: LR
	// throughout).
	Schedule *Schedule `json:"schedule,omitempty" yaml:"schedule,omitempty"`
}

// Schedule kinds.
const (
	ScheduleConstant = "constant" // LR throughout (after the warm-up)
	ScheduleCosine   = "cosine"   // half a cosine from LR down to MinLR at the run's last step
	ScheduleStep     = "step"     // LR × Gamma^⌊epoch/Every⌋
)

// Schedule is a learning-rate schedule, as in the ResNet recipes: a linear
// warm-up from LR/100 to LR over the first WarmupEpochs, then the Kind's
// decay. Epochs may be fractions; the decay of a cosine spans the steps of
// the whole run (epochs × steps an epoch as the trainer runs them), as
// PyTorch's CosineAnnealingLR with T_max the run's length.
type Schedule struct {
	Kind         string  `json:"kind" yaml:"kind"` // constant, cosine or step
	WarmupEpochs float64 `json:"warmup_epochs,omitempty" yaml:"warmup_epochs,omitempty"`
	MinLR        float64 `json:"min_lr,omitempty" yaml:"min_lr,omitempty"` // cosine: the rate at the end, < LR
	Every        float64 `json:"every,omitempty" yaml:"every,omitempty"`   // step: epochs between decays, > 0
	Gamma        float64 `json:"gamma,omitempty" yaml:"gamma,omitempty"`   // step: factor of each decay, in (0, 1)
}

// warmupStart is the fraction of the learning rate a warm-up starts from.
const warmupStart = 0.01

// Factor is the multiplier of the optimizer's LR at step (0-based) of a run
// of total steps with stepsPerEpoch steps an epoch. A nil schedule is
// constant: 1 at every step.
func (s *Schedule) Factor(lr float64, step, total, stepsPerEpoch int) float64 {
	if s == nil || stepsPerEpoch < 1 {
		return 1
	}
	epoch := float64(step) / float64(stepsPerEpoch)
	warm := int(math.Round(s.WarmupEpochs * float64(stepsPerEpoch)))
	if step < warm {
		return warmupStart + (1-warmupStart)*float64(step)/float64(warm)
	}
	switch s.Kind {
	case ScheduleCosine:
		span := total - warm
		if span <= 1 {
			return 1
		}
		t := float64(step-warm) / float64(span-1)
		lo := s.MinLR / lr
		return lo + (1-lo)*0.5*(1+math.Cos(math.Pi*t))
	case ScheduleStep:
		return math.Pow(s.Gamma, math.Floor(epoch/s.Every))
	}
	return 1
}

// Network is a trainable network and the job of training it.
type Network struct {
	Name      string    `json:"name" yaml:"name"`
	Input     Dims      `json:"input" yaml:"input"`
	Classes   int       `json:"classes" yaml:"classes"`
	Layers    []Layer   `json:"layers" yaml:"layers"`
	Batch     int       `json:"batch" yaml:"batch"`
	Samples   int       `json:"samples" yaml:"samples"` // training samples (images, sequences) per epoch
	Optimizer Optimizer `json:"optimizer" yaml:"optimizer"`
	// Note says where the network and its dataset size come from.
	Note string `json:"note,omitempty" yaml:"note,omitempty"`
}

// Resolved is a layer with its shapes worked out for one batch size. The
// shape field of the layer's kind is set: Conv (conv2d), Pool (maxpool),
// Dense (dense, linear), Eltwise (relu, gelu, add), Norm (batchnorm,
// layernorm), GlobalPool, Embedding, Attention, Loss (softmax-ce); flatten
// has none.
type Resolved struct {
	Layer
	Index   int  // position in Network.Layers
	In, Out Dims // per-sample activation shapes (In of the Input operand)
	Batch   int  // batch size the shapes are for
	Params  int  // trainable parameters (weights + biases) this layer owns
	// Inputs are the indexes of the layers this one reads, -1 for the
	// network input: one, or two for add (Input, then With).
	Inputs []int
	Conv   *shape.Conv2D
	// Pool is a max-pool's shape. With padding, H and W are the padded
	// input (H+2·Padding): what a kernel reads after padding with −∞; In
	// keeps the unpadded size.
	Pool       *shape.Pool
	Dense      *shape.Dense
	Eltwise    *EltwiseShape
	Norm       *NormShape
	GlobalPool *GlobalPoolShape
	Embedding  *EmbeddingShape
	Attention  *AttentionShape
	Loss       *LossShape
	First      bool // the first layer with weights: its input needs no gradient
	// InputGrad is whether training needs the gradient with respect to this
	// layer's input (its backward-data pass): false when nothing upstream
	// has weights, as for the first conv or an embedding.
	InputGrad bool
}

// FieldError is an invalid field of a network description. Field is its
// path in the file ("batch", "layers[3].filters"); Layer is the layer's index
// or -1.
type FieldError struct {
	Network   string
	Field     string
	Layer     int
	LayerName string
	Kind      Kind
	Msg       string
}

func (e *FieldError) Error() string {
	if e.Layer >= 0 {
		return fmt.Sprintf("network %s: layer %d (%s, %s): %s: %s", e.Network, e.Layer, e.LayerName, e.Kind, e.Field, e.Msg)
	}
	return fmt.Sprintf("network %s: %s: %s", e.Network, e.Field, e.Msg)
}

func (n Network) fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Network: n.Name, Field: field, Layer: -1, Msg: fmt.Sprintf(format, args...)}
}

func (n Network) layerErr(i int, field, format string, args ...any) *FieldError {
	l := n.Layers[i]
	path := fmt.Sprintf("layers[%d]", i)
	if field != "" {
		path += "." + field
	}
	return &FieldError{Network: n.Name, Field: path, Layer: i, LayerName: l.Name, Kind: l.Kind, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks the whole description: the job fields (name, batch,
// samples, classes, optimizer) and every layer (through Resolve). Numbers
// must be finite and in range: a batch at most the dataset, optimizer
// hyper-parameters in their ranges, no size negative, and no tensor, nor the
// parameters, more than shape.MaxElems elements. Errors are *FieldError
// values naming the field by its path in a file ("optimizer.beta1",
// "layers[3].units").
func (n Network) Validate() error {
	if n.Name == "" {
		return n.fieldErr("name", "missing")
	}
	if n.Batch < 1 {
		return n.fieldErr("batch", "%d, must be ≥ 1", n.Batch)
	}
	if n.Samples < 1 {
		return n.fieldErr("samples", "%d, must be ≥ 1", n.Samples)
	}
	if n.Batch > n.Samples {
		return n.fieldErr("batch", "%d is more than the %d samples of the dataset", n.Batch, n.Samples)
	}
	if n.Classes < 0 {
		return n.fieldErr("classes", "%d, must be ≥ 0 (0: taken from the last layer)", n.Classes)
	}
	if err := n.validateOptimizer(); err != nil {
		return err
	}
	_, err := n.Resolve(n.Batch)
	return err
}

// validateOptimizer checks the optimizer's name and hyper-parameters: each
// finite and in its range, and set only for a rule that uses it (a momentum
// given to adam would be ignored silently). Zero stands for the rule's
// default where a field is optional.
func (n Network) validateOptimizer() error {
	o := n.Optimizer
	adam := o.Name == "adam" || o.Name == "adamw"
	if !adam && o.Name != "sgd" {
		return n.fieldErr("optimizer.name", "%q, must be adam, adamw or sgd", o.Name)
	}
	if !(o.LR > 0 && o.LR <= math.MaxFloat32) {
		return n.fieldErr("optimizer.lr", "%v, must be a finite number > 0", o.LR)
	}
	for _, f := range []struct {
		name    string
		v       float64
		applies bool
	}{
		{"beta1", o.Beta1, adam}, {"beta2", o.Beta2, adam}, {"epsilon", o.Epsilon, adam},
		{"momentum", o.Momentum, o.Name == "sgd"}, {"weight_decay", o.Decay, o.Name == "adamw" || o.Name == "sgd"},
	} {
		if !(f.v >= 0 && f.v < 1) {
			return n.fieldErr("optimizer."+f.name, "%v, must be in [0, 1)", f.v)
		}
		if f.v != 0 && !f.applies {
			return n.fieldErr("optimizer."+f.name, "%v given, but %s does not use %s", f.v, o.Name, f.name)
		}
	}
	return n.validateSchedule()
}

// validateSchedule checks the optimizer's learning-rate schedule: a known
// kind, finite epochs, and only the fields of its kind.
func (n Network) validateSchedule() error {
	s := n.Optimizer.Schedule
	if s == nil {
		return nil
	}
	const p = "optimizer.schedule."
	switch s.Kind {
	case ScheduleConstant, ScheduleCosine, ScheduleStep:
	default:
		return n.fieldErr(p+"kind", "%q, must be constant, cosine or step", s.Kind)
	}
	if !(s.WarmupEpochs >= 0 && s.WarmupEpochs <= 1e6) {
		return n.fieldErr(p+"warmup_epochs", "%v, must be a number of epochs in [0, 1e6]", s.WarmupEpochs)
	}
	for _, f := range []struct {
		name string
		v    float64
		kind string
	}{{"min_lr", s.MinLR, ScheduleCosine}, {"every", s.Every, ScheduleStep}, {"gamma", s.Gamma, ScheduleStep}} {
		if f.v != 0 && s.Kind != f.kind {
			return n.fieldErr(p+f.name, "%v given, but a %s schedule does not use %s", f.v, s.Kind, f.name)
		}
	}
	switch s.Kind {
	case ScheduleCosine:
		if !(s.MinLR >= 0 && s.MinLR < n.Optimizer.LR) {
			return n.fieldErr(p+"min_lr", "%v, must be in [0, lr %v)", s.MinLR, n.Optimizer.LR)
		}
	case ScheduleStep:
		if !(s.Every > 0 && s.Every <= 1e6) {
			return n.fieldErr(p+"every", "%v, must be a number of epochs in (0, 1e6]", s.Every)
		}
		if !(s.Gamma > 0 && s.Gamma < 1) {
			return n.fieldErr(p+"gamma", "%v, must be in (0, 1)", s.Gamma)
		}
	}
	return nil
}

// Resolve works out every layer's shapes for the given batch size, checking
// that each layer fits its input. Errors are *FieldError values naming the
// layer and field.
func (n Network) Resolve(batch int) ([]Resolved, error) {
	if batch < 1 {
		return nil, n.fieldErr("batch", "%d, must be ≥ 1", batch)
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"input.h", n.Input.H}, {"input.w", n.Input.W}, {"input.c", n.Input.C}} {
		if d.v < 1 {
			return nil, n.fieldErr(d.name, "%d, must be ≥ 1", d.v)
		}
	}
	if !fits(batch, n.Input) {
		return nil, n.fieldErr("input", "%v samples at batch %d are more than %d elements", n.Input, batch, shape.MaxElems)
	}
	if len(n.Layers) == 0 {
		return nil, n.fieldErr("layers", "no layers")
	}
	byName := map[string]int{}
	var out []Resolved
	hasGrad := make([]bool, len(n.Layers)) // the layer's output depends on weights
	seenWeights := false
	params := 0 // of the layers so far
	for i, l := range n.Layers {
		if err := n.checkLayerInts(i); err != nil {
			return nil, err
		}
		if l.Name != "" {
			if j, dup := byName[l.Name]; dup {
				return nil, n.layerErr(i, "name", "%q is also the name of layer %d", l.Name, j)
			}
		}
		src := i - 1
		if l.Input != "" {
			j, ok := byName[l.Input]
			if !ok {
				return nil, n.layerErr(i, "input", "%q names no earlier layer", l.Input)
			}
			src = j
		}
		in := n.Input
		if src >= 0 {
			in = out[src].Out
		}
		r := Resolved{Layer: l, Index: i, In: in, Batch: batch, Inputs: []int{src}}
		bias := func(v int) int {
			if l.NoBias {
				return 0
			}
			return v
		}
		switch l.Kind {
		case Conv2D:
			if l.Filters < 1 {
				return nil, n.layerErr(i, "filters", "%d, must be ≥ 1", l.Filters)
			}
			if l.Kernel < 1 || l.Stride < 0 || l.Padding < 0 {
				return nil, n.layerErr(i, "kernel", "kernel %d, stride %d, padding %d: kernel must be ≥ 1, stride and padding ≥ 0", l.Kernel, l.Stride, l.Padding)
			}
			s := shape.Conv2D{N: batch, H: in.H, W: in.W, C: in.C, K: l.Filters, R: l.Kernel, S: l.Kernel,
				StrideH: orOne(l.Stride), StrideW: orOne(l.Stride), PadH: l.Padding, PadW: l.Padding, DilH: 1, DilW: 1}
			if err := s.Validate(); err != nil {
				return nil, n.shapeErr(i, err)
			}
			r.Conv = &s
			r.Out = Dims{s.OutH(), s.OutW(), l.Filters}
			r.Params = s.WeightLen() + bias(l.Filters)
		case MaxPool:
			if l.Kernel < 1 || l.Stride < 0 || l.Padding < 0 || 2*l.Padding > l.Kernel {
				return nil, n.layerErr(i, "kernel", "window %d, stride %d, padding %d: window must be ≥ 1, stride ≥ 0, padding ≥ 0 and at most half the window", l.Kernel, l.Stride, l.Padding)
			}
			stride := l.Stride
			if stride == 0 {
				stride = l.Kernel
			}
			ph, okH := shape.Add(in.H, l.Padding, l.Padding)
			pw, okW := shape.Add(in.W, l.Padding, l.Padding)
			if !okH || !okW || !fits(batch, Dims{ph, pw, in.C}) {
				return nil, n.layerErr(i, "padding", "%d: the padded %v input at batch %d is more than %d elements", l.Padding, in, batch, shape.MaxElems)
			}
			s := shape.Pool{N: batch, H: ph, W: pw, C: in.C, Window: l.Kernel, Stride: stride}
			if s.H < s.Window || s.W < s.Window {
				return nil, n.layerErr(i, "kernel", "window %d does not fit the %v input", l.Kernel, in)
			}
			r.Pool = &s
			r.Out = Dims{s.OutH(), s.OutW(), in.C}
		case GlobalAvgPool:
			r.GlobalPool = &GlobalPoolShape{N: batch, H: in.H, W: in.W, C: in.C}
			r.Out = Dims{1, 1, in.C}
		case ReLU, GELU:
			r.Out = in
			r.Eltwise = &EltwiseShape{Kind: l.Kind, Elems: batch * in.Len()}
		case Flatten:
			r.Out = Dims{1, 1, in.Len()}
		case Dense, Linear:
			if l.Units < 1 {
				return nil, n.layerErr(i, "units", "%d, must be ≥ 1", l.Units)
			}
			s := shape.Dense{Batch: batch, In: in.Len(), Out: l.Units}
			r.Out = Dims{1, 1, l.Units}
			if l.Kind == Linear {
				s = shape.Dense{Batch: batch * in.Positions(), In: in.C, Out: l.Units}
				r.Out = Dims{in.H, in.W, l.Units}
			}
			if err := s.Validate(); err != nil {
				return nil, n.shapeErr(i, err)
			}
			r.Dense = &s
			r.Params = s.In*s.Out + bias(s.Out)
			if l.Tie != "" {
				j, ok := byName[l.Tie]
				if !ok || n.Layers[j].Kind != Embedding {
					return nil, n.layerErr(i, "tie", "%q names no earlier embedding layer", l.Tie)
				}
				if e := n.Layers[j]; e.Vocab != s.Out || e.Units != s.In {
					return nil, n.layerErr(i, "tie", "a %d→%d layer cannot share the %d×%d table of %s", s.In, s.Out, e.Vocab, e.Units, l.Tie)
				}
				r.Params = bias(s.Out) // the weights are counted at the embedding
			}
		case BatchNorm, LayerNorm:
			r.Out = in
			r.Norm = &NormShape{Kind: l.Kind, Rows: batch * in.Positions(), Features: in.C}
			r.Params = 2 * in.C
		case Add:
			j, ok := byName[l.With]
			if l.With == "" || !ok {
				return nil, n.layerErr(i, "with", "%q names no earlier layer", l.With)
			}
			if out[j].Out != in {
				return nil, n.layerErr(i, "with", "%s gives %v but the input is %v", l.With, out[j].Out, in)
			}
			r.Inputs = append(r.Inputs, j)
			r.Out = in
			r.Eltwise = &EltwiseShape{Kind: Add, Elems: batch * in.Len()}
		case Embedding:
			if l.Vocab < 1 {
				return nil, n.layerErr(i, "vocab", "%d, must be ≥ 1", l.Vocab)
			}
			if l.Units < 1 {
				return nil, n.layerErr(i, "units", "%d, must be ≥ 1", l.Units)
			}
			if in.C != 1 {
				return nil, n.layerErr(i, "input", "an embedding reads token ids (1 channel), not %v", in)
			}
			if l.Positions < 0 || l.Positions > 0 && l.Positions < in.Positions() {
				return nil, n.layerErr(i, "positions", "%d, must be 0 or at least the sequence length %d", l.Positions, in.Positions())
			}
			r.Embedding = &EmbeddingShape{Tokens: batch * in.Positions(), SeqLen: in.Positions(), Vocab: l.Vocab, Dim: l.Units, Positions: l.Positions}
			r.Out = Dims{in.H, in.W, l.Units}
			rows, okRows := shape.Add(l.Vocab, l.Positions)
			p, okP := shape.Mul(rows, l.Units)
			if !okRows || !okP || p > shape.MaxElems {
				return nil, n.layerErr(i, "vocab", "%d tokens and %d positions of %d features are more than %d parameters", l.Vocab, l.Positions, l.Units, shape.MaxElems)
			}
			r.Params = p
		case Attention:
			if l.Heads < 1 {
				return nil, n.layerErr(i, "heads", "%d, must be ≥ 1", l.Heads)
			}
			if l.Heads > in.C/3 || in.C%(3*l.Heads) != 0 {
				return nil, n.layerErr(i, "heads", "the input's %d channels are not Q, K and V of %d equal heads", in.C, l.Heads)
			}
			d := in.C / 3
			r.Attention = &AttentionShape{N: batch, T: in.Positions(), Heads: l.Heads, HeadDim: d / l.Heads, Causal: l.Causal}
			r.Out = Dims{in.H, in.W, d}
		case SoftmaxCE:
			if i != len(n.Layers)-1 {
				return nil, n.layerErr(i, "kind", "softmax-ce must be the last layer")
			}
			if n.Classes > 0 && in.C != n.Classes {
				return nil, n.layerErr(i, "", "%d inputs but the network has %d classes", in.C, n.Classes)
			}
			r.Loss = &LossShape{Rows: batch * in.Positions(), Classes: in.C}
			r.Out = Dims{1, 1, 1}
		default:
			return nil, n.layerErr(i, "kind", "unknown kind %q (valid: %s)", l.Kind, kindList())
		}
		if l.Input != "" && l.Kind == Embedding {
			return nil, n.layerErr(i, "input", "an embedding reads the network input")
		}
		if !fits(batch, r.Out) {
			return nil, n.layerErr(i, "", "the %v output at batch %d is more than %d elements", r.Out, batch, shape.MaxElems)
		}
		if p, ok := shape.Add(params, r.Params); ok && p <= shape.MaxElems {
			params = p
		} else {
			return nil, n.layerErr(i, "", "the network's parameters pass %d", shape.MaxElems)
		}
		if r.Params > 0 && !seenWeights {
			r.First, seenWeights = true, true
		}
		for _, j := range r.Inputs {
			if j >= 0 && hasGrad[j] {
				r.InputGrad = true
			}
		}
		hasGrad[i] = r.InputGrad || r.Params > 0 || l.Tie != ""
		if l.Name != "" {
			byName[l.Name] = i
		}
		out = append(out, r)
	}
	return out, nil
}

// fits reports whether batch samples of d have at most shape.MaxElems
// elements, so that every length derived from them (and 4 bytes each) fits
// an int.
func fits(batch int, d Dims) bool {
	v, ok := shape.Mul(batch, d.H, d.W, d.C)
	return ok && v <= shape.MaxElems
}

// checkLayerInts refuses a negative size in any integer field of layer i,
// whichever its kind uses: none means anything below zero.
func (n Network) checkLayerInts(i int) error {
	l := n.Layers[i]
	for _, f := range []struct {
		name string
		v    int
	}{{"filters", l.Filters}, {"kernel", l.Kernel}, {"stride", l.Stride}, {"padding", l.Padding},
		{"units", l.Units}, {"vocab", l.Vocab}, {"positions", l.Positions}, {"heads", l.Heads}} {
		if f.v < 0 {
			return n.layerErr(i, f.name, "%d, must be ≥ 0", f.v)
		}
	}
	return nil
}

// shapeFields maps the fields of the kernel shapes to a layer's fields in a
// network file: a tensor too large maps to the field of the layer that sets
// its size (the filter count for weights and output), the input's size to
// the layer itself.
var shapeFields = map[string]string{
	"K·R·S·C": "filters", "N·P·Q·K": "filters", "N·P·Q·R·S·C": "kernel",
	"K": "filters", "R": "kernel", "S": "kernel", "DilH": "kernel", "DilW": "kernel",
	"StrideH": "stride", "StrideW": "stride", "PadH": "padding", "PadW": "padding",
	"In·Out": "units", "Batch·Out": "units", "Out": "units",
}

// shapeErr is the *FieldError of layer i for err, the error of its kernel
// shape's Validate, naming the layer's field that the shape's field comes
// from.
func (n Network) shapeErr(i int, err error) error {
	var se *shape.Error
	if errors.As(err, &se) {
		return n.layerErr(i, shapeFields[se.Field], "%v", err)
	}
	return n.layerErr(i, "", "%v", err)
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
