// Package shape holds the shapes of the kernels training is made of (conv2d,
// dense, max-pool, batch norm, global average pooling, matrix product, the
// element-wise kernels) and their FLOP
// and byte formulas, as plain data: the kernels run them, the benchmark
// table names them, the workload descriptions count with them and the cost
// model prices them, all from this one definition. It imports nothing of
// trainbench and measures nothing.
package shape

import (
	"fmt"
	"math"
)

// Pass names one of the computations a layer does in a training step.
type Pass string

// The passes of a training step, as used in benchmark names (pass=...) and
// in the cost model.
const (
	Forward         Pass = "fwd"
	BackwardData    Pass = "bwd-data"    // gradient with respect to the layer's input
	BackwardWeights Pass = "bwd-weights" // gradient with respect to the weights (and bias)
)

// Conv2D describes a 2-D convolution on NHWC activations.
//
// Layouts (row-major, as the kernels use them):
//
//	input   X  [N][H][W][C]
//	weights Wt [K][R][S][C]   (output channel, filter row, filter column, input channel)
//	bias    B  [K]
//	output  Y  [N][P][Q][K]   P = OutH(), Q = OutW()
//
// With this layout the im2col lowering is one GEMM over the whole batch:
// Y[N·P·Q × K] = col(X)[N·P·Q × R·S·C] · Wtᵀ[R·S·C × K].
type Conv2D struct {
	N, H, W, C       int // batch, input height, width, channels
	K, R, S          int // output channels, filter height, width
	StrideH, StrideW int // ≥ 1
	PadH, PadW       int // zero padding on each side, ≥ 0
	DilH, DilW       int // dilation, ≥ 1 (1 = dense filter)
}

// OutH is P, the output height.
func (s Conv2D) OutH() int {
	return (s.H+2*s.PadH-s.DilH*(s.R-1)-1)/s.StrideH + 1
}

// OutW is Q, the output width.
func (s Conv2D) OutW() int {
	return (s.W+2*s.PadW-s.DilW*(s.S-1)-1)/s.StrideW + 1
}

// Validate returns an *Error naming the first field that makes the shape
// unusable: a field out of range, a filter that does not fit the padded
// input, or a tensor of more than MaxElems elements (the input N·H·W·C, the
// weights K·R·S·C, the output N·P·Q·K, and the im2col matrix N·P·Q·R·S·C the
// im2col lowering multiplies). Every length and FLOP count of a valid shape
// is computed without overflow.
func (s Conv2D) Validate() error {
	if f, bad := belowMin(field{"N", s.N, 1}, field{"H", s.H, 1}, field{"W", s.W, 1}, field{"C", s.C, 1},
		field{"K", s.K, 1}, field{"R", s.R, 1}, field{"S", s.S, 1}, field{"StrideH", s.StrideH, 1}, field{"StrideW", s.StrideW, 1},
		field{"PadH", s.PadH, 0}, field{"PadW", s.PadW, 0}, field{"DilH", s.DilH, 1}, field{"DilW", s.DilW, 1}); bad {
		return f.err(s.name())
	}
	for _, d := range []struct {
		pad, dil, filter string
		in, p, dl, fs    int
	}{{"PadH", "DilH", "R", s.H, s.PadH, s.DilH, s.R}, {"PadW", "DilW", "S", s.W, s.PadW, s.DilW, s.S}} {
		padded, ok1 := Add(d.in, d.p, d.p)
		span, ok2 := Mul(d.dl, d.fs-1)
		if !ok1 {
			return &Error{Shape: s.name(), Field: d.pad, Msg: "makes the padded input larger than an int counts"}
		}
		if !ok2 {
			return &Error{Shape: s.name(), Field: d.dil, Msg: "makes the dilated filter larger than an int counts"}
		}
		if span >= padded {
			return &Error{Shape: s.name(), Field: d.filter,
				Msg: fmt.Sprintf("the %dx%d filter (dilation %dx%d) does not fit the padded input", s.R, s.S, s.DilH, s.DilW)}
		}
	}
	p, q := s.OutH(), s.OutW()
	if pr, bad := tooLarge(
		product{"N·H·W·C", "the input", elems(s.N, s.H, s.W, s.C)},
		product{"K·R·S·C", "the weights", elems(s.K, s.R, s.S, s.C)},
		product{"N·P·Q·K", "the output", elems(s.N, p, q, s.K)},
		product{"N·P·Q·R·S·C", "the im2col matrix", elems(s.N, p, q, s.R, s.S, s.C)}); bad {
		return pr.err(s.name())
	}
	return nil
}

func (s Conv2D) name() string { return "conv2d " + s.String() }

// String formats the shape compactly, benchdnn style:
// "n32h28w28c1_k32r3s3_st1x1_pad0x0".
func (s Conv2D) String() string {
	str := fmt.Sprintf("n%dh%dw%dc%d_k%dr%ds%d_st%dx%d_pad%dx%d", s.N, s.H, s.W, s.C, s.K, s.R, s.S, s.StrideH, s.StrideW, s.PadH, s.PadW)
	if s.DilH != 1 || s.DilW != 1 {
		str += fmt.Sprintf("_dil%dx%d", s.DilH, s.DilW)
	}
	return str
}

// InputLen, WeightLen and OutputLen are the element counts of X, Wt and Y
// (of a shape that validates; others may overflow).
func (s Conv2D) InputLen() int  { return s.N * s.H * s.W * s.C }
func (s Conv2D) WeightLen() int { return s.K * s.R * s.S * s.C }
func (s Conv2D) OutputLen() int { return s.N * s.OutH() * s.OutW() * s.K }

// macs is the number of multiply-accumulates of the forward pass.
func (s Conv2D) macs() float64 {
	return float64(s.N) * float64(s.OutH()) * float64(s.OutW()) * float64(s.K) * float64(s.C) * float64(s.R) * float64(s.S)
}

// FLOPs returns the floating-point work of one pass: 2·N·P·Q·K·C·R·S for each
// of forward, backward-data and backward-weights (each output element, input
// gradient element or weight gradient is a sum of the same products). Bias
// (N·P·Q·K adds) is left out, as is customary; it is under 1% for every
// shape here.
func (s Conv2D) FLOPs(p Pass) float64 { return 2 * s.macs() }

// Bytes returns the compulsory memory traffic of one pass (each operand read
// once and each result written once, 4 bytes an element):
// fwd reads X and Wt and writes Y; bwd-data reads dY and Wt and writes dX;
// bwd-weights reads X and dY and writes dWt (and dB).
func (s Conv2D) Bytes(p Pass) float64 {
	x, w, y := float64(s.InputLen()), float64(s.WeightLen()), float64(s.OutputLen())
	switch p {
	case BackwardData:
		return 4 * (y + w + x)
	case BackwardWeights:
		return 4 * (x + y + w + float64(s.K))
	}
	return 4 * (x + w + float64(s.K) + y)
}

// Dense describes a fully connected layer Y[Batch×Out] = X[Batch×In] ·
// Wᵀ + b with W stored [Out][In] (as PyTorch's Linear) and b [Out].
type Dense struct {
	Batch, In, Out int
}

// FLOPs returns 2·Batch·In·Out for each pass (forward, backward-data,
// backward-weights); bias add and bias gradient (Batch·Out) are left out.
func (s Dense) FLOPs(p Pass) float64 {
	return 2 * float64(s.Batch) * float64(s.In) * float64(s.Out)
}

// Bytes returns the compulsory traffic of one pass, 4 bytes an element.
func (s Dense) Bytes(p Pass) float64 {
	b, i, o := float64(s.Batch), float64(s.In), float64(s.Out)
	x, w, y := b*i, i*o, b*o
	switch p {
	case BackwardData:
		return 4 * (y + w + x)
	case BackwardWeights:
		return 4 * (x + y + w + float64(s.Out))
	}
	return 4 * (x + w + float64(s.Out) + y)
}

// Pool describes max-pooling of NHWC activations with a square window.
// Pad pads each side of the image with −∞ (which no window's maximum is
// taken from: every window holds at least one image element, since Pad is
// at most half the window), as PyTorch's MaxPool2d pads; ResNet's stem pool
// is 3×3 stride 2 padding 1.
type Pool struct {
	N, H, W, C     int
	Window, Stride int
	Pad            int // ≥ 0 and ≤ Window/2; 0 (the zero value) for none
}

// OutH and OutW are the output height and width: windows that would
// overhang the padded input are dropped, as in Keras "valid" pooling.
func (s Pool) OutH() int { return (s.H+2*s.Pad-s.Window)/s.Stride + 1 }
func (s Pool) OutW() int { return (s.W+2*s.Pad-s.Window)/s.Stride + 1 }

// InputLen and OutputLen are the element counts of the input and output (of
// a shape that validates; others may overflow).
func (s Pool) InputLen() int  { return s.N * s.H * s.W * s.C }
func (s Pool) OutputLen() int { return s.N * s.OutH() * s.OutW() * s.C }

// FLOPs counts one comparison per window element, padding included:
// N·P·Q·C·Window².
func (s Pool) FLOPs(p Pass) float64 {
	return float64(s.N) * float64(s.OutH()) * float64(s.OutW()) * float64(s.C) * float64(s.Window) * float64(s.Window)
}

// Bytes is the compulsory traffic: forward reads the input and writes the
// output and a 4-byte argmax per output; backward reads dY and the argmax and
// writes dX.
func (s Pool) Bytes(p Pass) float64 {
	c := float64(s.N) * float64(s.C)
	in, out := c*float64(s.H)*float64(s.W), c*float64(s.OutH())*float64(s.OutW())
	if p == BackwardData {
		return 4 * (2*out + in)
	}
	return 4 * (in + 2*out)
}

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1, or a tensor of more than MaxElems elements (the
// input Batch·In, the weights In·Out, the output Batch·Out).
func (s Dense) Validate() error {
	if f, bad := belowMin(field{"Batch", s.Batch, 1}, field{"In", s.In, 1}, field{"Out", s.Out, 1}); bad {
		return f.err("dense " + s.String())
	}
	if p, bad := tooLarge(
		product{"Batch·In", "the input", elems(s.Batch, s.In)},
		product{"In·Out", "the weights", elems(s.In, s.Out)},
		product{"Batch·Out", "the output", elems(s.Batch, s.Out)}); bad {
		return p.err("dense " + s.String())
	}
	return nil
}

// InputLen, WeightLen and OutputLen are the element counts of X, W and Y (of
// a shape that validates; others may overflow).
func (s Dense) InputLen() int  { return s.Batch * s.In }
func (s Dense) WeightLen() int { return s.In * s.Out }
func (s Dense) OutputLen() int { return s.Batch * s.Out }

// String formats the shape compactly: "b32i1600o128".
func (s Dense) String() string { return fmt.Sprintf("b%di%do%d", s.Batch, s.In, s.Out) }

// Validate returns an *Error naming the first field that makes the shape
// unusable: a size below 1, a negative padding or one more than half the
// window, a window larger than the padded image, or an input whose element
// indices do not fit the int32 argmax.
func (s Pool) Validate() error {
	if f, bad := belowMin(field{"N", s.N, 1}, field{"H", s.H, 1}, field{"W", s.W, 1}, field{"C", s.C, 1},
		field{"Window", s.Window, 1}, field{"Stride", s.Stride, 1}, field{"Pad", s.Pad, 0}); bad {
		return f.err("maxpool " + s.String())
	}
	if s.Pad > s.Window/2 {
		return &Error{Shape: "maxpool " + s.String(), Field: "Pad", Msg: fmt.Sprintf("= %d: more than half the window %d", s.Pad, s.Window)}
	}
	ph, okH := Add(s.H, s.Pad, s.Pad)
	pw, okW := Add(s.W, s.Pad, s.Pad)
	if !okH || !okW {
		return &Error{Shape: "maxpool " + s.String(), Field: "Pad", Msg: fmt.Sprintf("= %d makes the padded input larger than an int counts", s.Pad)}
	}
	if s.Window > ph || s.Window > pw {
		return &Error{Shape: "maxpool " + s.String(), Field: "Window", Msg: fmt.Sprintf("= %d: the window does not fit the %dx%d input padded by %d", s.Window, s.H, s.W, s.Pad)}
	}
	if n, ok := Mul(s.N, s.H, s.W, s.C); !ok || n > math.MaxInt32 {
		return &Error{Shape: "maxpool " + s.String(), Field: "N·H·W·C", Msg: fmt.Sprintf("(the input) is more than %d elements, the most the int32 argmax indexes", math.MaxInt32)}
	}
	return nil
}

// String formats the shape compactly: "n32h26w26c32_win2st2", with
// "_pad1" appended for a padding.
func (s Pool) String() string {
	str := fmt.Sprintf("n%dh%dw%dc%d_win%dst%d", s.N, s.H, s.W, s.C, s.Window, s.Stride)
	if s.Pad != 0 {
		str += fmt.Sprintf("_pad%d", s.Pad)
	}
	return str
}

// ElementwiseOp names one of the element-wise (memory-bound) kernels whose
// cost depends only on an element count: the FLOP and byte formulas of ReLU,
// ReLU backward, bias add, softmax cross-entropy and the optimizer updates
// live here, in one place, for benchmarks, the roofline and the cost model.
type ElementwiseOp string

// The element-wise kernels.
const (
	OpReLU        ElementwiseOp = "relu"         // ReLUForward over n elements
	OpReLUBwd     ElementwiseOp = "relu-bwd"     // ReLUBackward over n elements
	OpBiasAdd     ElementwiseOp = "bias-add"     // BiasAdd of n elements (rows·len(b)); the bias itself is left out
	OpSoftmaxCE   ElementwiseOp = "softmax-ce"   // SoftmaxCrossEntropy over n = batch·classes logits, with the gradient
	OpAdam        ElementwiseOp = "adam"         // Adam over n parameters
	OpSGDMomentum ElementwiseOp = "sgd-momentum" // SGDMomentum over n parameters
	OpAdd         ElementwiseOp = "add"          // AddForward, y = a + b, over n elements
	OpAddBwd      ElementwiseOp = "add-bwd"      // AddBackward copying dy to both inputs' gradients
	OpAddBwdAcc   ElementwiseOp = "add-bwd-acc"  // AddBackward adding dy to both inputs' gradients
)

// OpSGDMomentumDecay is SGDMomentumDecay over n parameters: SGD with
// momentum and L2 weight decay.
const OpSGDMomentumDecay ElementwiseOp = "sgd-momentum-decay"

// FLOPs returns the floating-point operations of op over n elements, counting
// each add, multiply, divide, square root, max and exp as one:
//
//	relu 1 (a max), relu-bwd 1 (a compare), bias-add 1,
//	softmax-ce 5 (max, subtract, exp, sum, scale; the per-row log is left out),
//	adam 12 (m: 3, v: 4, update: sqrt, add, multiply, divide, subtract),
//	sgd-momentum 4 (two multiplies, a subtract, an add),
//	sgd-momentum-decay 6 (sgd-momentum, plus decay·p added to g),
//	add 1, add-bwd 0 (copies), add-bwd-acc 2 (an add into each gradient).
func (op ElementwiseOp) FLOPs(n int) float64 {
	f, _ := op.perElement()
	return f * float64(n)
}

// Bytes returns the compulsory memory traffic of op over n elements, 4 bytes
// an element read or written:
//
//	relu 8 (read x, write y), relu-bwd 12 (read y and dy, write dx),
//	bias-add 8 (read and write y), softmax-ce 8 (read logits, write
//	dlogits; the labels are 4 bytes a row, left out), adam 28 (read p, g, m,
//	v; write p, m, v), sgd-momentum 20 (read p, g, vel; write p, vel),
//	sgd-momentum-decay 20 (the same),
//	add 12 (read a and b, write y), add-bwd 12 (read dy, write da and db),
//	add-bwd-acc 20 (read dy, read and write da and db).
func (op ElementwiseOp) Bytes(n int) float64 {
	_, b := op.perElement()
	return b * float64(n)
}

// perElement is the table behind FLOPs and Bytes (zero for an unknown op).
func (op ElementwiseOp) perElement() (flops, bytes float64) {
	switch op {
	case OpReLU:
		return 1, 8
	case OpReLUBwd:
		return 1, 12
	case OpBiasAdd:
		return 1, 8
	case OpSoftmaxCE:
		return 5, 8
	case OpAdam:
		return 12, 28
	case OpSGDMomentum:
		return 4, 20
	case OpSGDMomentumDecay:
		return 6, 20
	case OpAdd:
		return 1, 12
	case OpAddBwd:
		return 0, 12
	case OpAddBwdAcc:
		return 2, 20
	}
	return transformerOp(op)
}

// Gemm is one matrix product C[M×N] = A[M×K]·B[K×N] in float32, as SGEMM
// computes it with beta = 0.
type Gemm struct {
	M, N, K int
}

// FLOPs is the floating-point work of the product: a multiply and an add for
// each of the M·N·K terms.
func (g Gemm) FLOPs() float64 { return 2 * float64(g.M) * float64(g.N) * float64(g.K) }

// Bytes is the compulsory memory traffic of the product with beta = 0:
// reading A and B once and writing C once, 4 bytes an element.
func (g Gemm) Bytes() float64 {
	return 4 * (float64(g.M)*float64(g.K) + float64(g.K)*float64(g.N) + float64(g.M)*float64(g.N))
}

// BytesBF16 is Bytes with bfloat16 operands: A and B 2 bytes an element,
// C float32.
func (g Gemm) BytesBF16() float64 {
	return 2*(float64(g.M)*float64(g.K)+float64(g.K)*float64(g.N)) + 4*float64(g.M)*float64(g.N)
}

// Validate returns an *Error naming the first field that makes the product
// unusable: a negative dimension (0 is valid: an empty product), or an
// operand of more than MaxElems elements (A M·K, B K·N, C M·N).
func (g Gemm) Validate() error {
	if f, bad := belowMin(field{"M", g.M, 0}, field{"N", g.N, 0}, field{"K", g.K, 0}); bad {
		return f.err(g.name())
	}
	if p, bad := tooLarge(
		product{"M·K", "A", elems(g.M, g.K)},
		product{"K·N", "B", elems(g.K, g.N)},
		product{"M·N", "C", elems(g.M, g.N)}); bad {
		return p.err(g.name())
	}
	return nil
}

func (g Gemm) name() string { return fmt.Sprintf("gemm m=%d n=%d k=%d", g.M, g.N, g.K) }

// Gemm returns the matrix product a pass of the dense layer runs: forward
// y = x·Wᵀ (Batch, Out, In); backward-data dx = dy·W (Batch, In, Out);
// backward-weights dW = dyᵀ·x (Out, In, Batch). ok is false for any other
// pass.
func (s Dense) Gemm(p Pass) (g Gemm, ok bool) {
	switch p {
	case Forward:
		return Gemm{s.Batch, s.Out, s.In}, true
	case BackwardData:
		return Gemm{s.Batch, s.In, s.Out}, true
	case BackwardWeights:
		return Gemm{s.Out, s.In, s.Batch}, true
	}
	return Gemm{}, false
}
