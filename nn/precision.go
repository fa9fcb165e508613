package nn

import (
	"fmt"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/workload"
)

// Precision is the arithmetic a model runs its convolution and dense
// products in. Whatever it is, the parameters (the master weights), the
// optimizer state, activations, gradients and the loss are float32; BF16
// only rounds the operands of each product to bfloat16 and sums the
// products in float32 (mixed-precision training, as accelerators and CPUs
// with AVX512_BF16 run it: twice float32's arithmetic rate there).
type Precision int

const (
	F32  Precision = iota // float32 throughout (the default)
	BF16                  // bfloat16 operands for conv2d and dense, float32 sums
)

// String is the precision's name: "f32" or "bf16", as benchname spells it.
func (p Precision) String() string {
	switch p {
	case F32:
		return "f32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision returns the precision named s ("f32" or "bf16").
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "f32", "":
		return F32, nil
	case "bf16":
		return BF16, nil
	}
	return 0, fmt.Errorf("precision %q: want f32 or bf16", s)
}

// NewModelPrecision is NewModel with the conv2d and dense products in
// precision prec. On a Context without the AVX512_BF16 paths BF16 runs the
// kernels' pure-Go forms: the same results, slowly (callers that want the
// speed check Context.HasBF16).
func NewModelPrecision(ctx *kernels.Context, net workload.Network, batch int, prec Precision) (*Model, error) {
	if prec != F32 && prec != BF16 {
		return nil, fmt.Errorf("nn: %v: want F32 or BF16", prec)
	}
	m, err := planModelPrec(ctx, net, batch, prec)
	if err != nil {
		return nil, err
	}
	m.allocate()
	return m, nil
}

// Precision is the arithmetic of the model's conv2d and dense products.
func (m *Model) Precision() Precision { return m.prec }

// layerKernels are the kernel calls the planner gives conv2d and dense ops,
// chosen by the model's precision.
type layerKernels struct {
	convFwd, convFwdReLU func(s kernels.Conv2DShape, x, w, b, y []float32)
	convBwdData          func(s kernels.Conv2DShape, dy, w, dx []float32)
	// convBwdDataAdd adds the input gradient into dx (nil: not available,
	// the trainer then sums through a scratch tensor).
	convBwdDataAdd         func(s kernels.Conv2DShape, dy, w, dx []float32)
	convBwdWeights         func(s kernels.Conv2DShape, x, dy, dw, db []float32)
	denseFwd, denseFwdReLU func(s kernels.DenseShape, x, w, b, y []float32)
	denseBwdData           func(s kernels.DenseShape, dy, w, dx []float32)
	denseBwdWeights        func(s kernels.DenseShape, x, dy, dw, db []float32)
}

// kernels returns the model's conv2d and dense kernel calls (method values
// of m.ctx, which may be nil while only planning).
func (m *Model) kernels() layerKernels {
	ctx := m.ctx
	if m.prec == BF16 {
		return layerKernels{
			convFwd: ctx.Conv2DForwardBF16, convFwdReLU: ctx.Conv2DForwardReLUBF16,
			convBwdData: ctx.Conv2DBackwardDataBF16, convBwdWeights: ctx.Conv2DBackwardWeightsBF16,
			denseFwd: ctx.DenseForwardBF16, denseFwdReLU: ctx.DenseForwardReLUBF16,
			denseBwdData: ctx.DenseBackwardDataBF16, denseBwdWeights: ctx.DenseBackwardWeightsBF16,
		}
	}
	return layerKernels{
		convFwd: ctx.Conv2DForward, convFwdReLU: ctx.Conv2DForwardReLU,
		convBwdData: ctx.Conv2DBackwardData, convBwdDataAdd: ctx.Conv2DBackwardDataAdd, convBwdWeights: ctx.Conv2DBackwardWeights,
		denseFwd: ctx.DenseForward, denseFwdReLU: ctx.DenseForwardReLU,
		denseBwdData: ctx.DenseBackwardData, denseBwdWeights: ctx.DenseBackwardWeights,
	}
}
