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
	F32 Precision = iota // float32 throughout (the default)
	// BF16: bfloat16 operands where it pays, float32 sums: every dense
	// layer, and conv2d layers of at least 32 products an output (see
	// bf16Pays); shallower conv2d layers stay float32.
	BF16
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

// bf16Pays reports whether conv2d shape s runs in bfloat16 under BF16: a
// reduction of at least 32 products an output. Shallower layers (the seed
// CNN's first, R·S·C = 9) give VDPBF16PS's pairs almost nothing to do, and
// rounding their operands costs more than the float32 kernel itself, so
// they stay float32.
func bf16Pays(s kernels.Conv2DShape) bool { return s.R*s.S*s.C >= 32 }

// layerKernels are the kernel calls the planner gives conv2d and dense ops,
// chosen by the model's precision.
type layerKernels struct {
	convFwd, convFwdReLU   func(s kernels.Conv2DShape, x, w, b, y []float32)
	convBwdData            func(s kernels.Conv2DShape, dy, w, dx []float32)
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
		fwd := func(f32, bf16 func(s kernels.Conv2DShape, x, w, b, y []float32)) func(s kernels.Conv2DShape, x, w, b, y []float32) {
			return func(s kernels.Conv2DShape, x, w, b, y []float32) {
				if bf16Pays(s) {
					bf16(s, x, w, b, y)
				} else {
					f32(s, x, w, b, y)
				}
			}
		}
		return layerKernels{
			convFwd: fwd(ctx.Conv2DForward, ctx.Conv2DForwardBF16), convFwdReLU: fwd(ctx.Conv2DForwardReLU, ctx.Conv2DForwardReLUBF16),
			convBwdData: func(s kernels.Conv2DShape, dy, w, dx []float32) {
				if bf16Pays(s) {
					ctx.Conv2DBackwardDataBF16(s, dy, w, dx)
				} else {
					ctx.Conv2DBackwardData(s, dy, w, dx)
				}
			},
			convBwdWeights: func(s kernels.Conv2DShape, x, dy, dw, db []float32) {
				if bf16Pays(s) {
					ctx.Conv2DBackwardWeightsBF16(s, x, dy, dw, db)
				} else {
					ctx.Conv2DBackwardWeights(s, x, dy, dw, db)
				}
			},
			denseFwd: ctx.DenseForwardBF16, denseFwdReLU: ctx.DenseForwardReLUBF16,
			denseBwdData: ctx.DenseBackwardDataBF16, denseBwdWeights: ctx.DenseBackwardWeightsBF16,
		}
	}
	return layerKernels{
		convFwd: ctx.Conv2DForward, convFwdReLU: ctx.Conv2DForwardReLU,
		convBwdData: ctx.Conv2DBackwardData, convBwdWeights: ctx.Conv2DBackwardWeights,
		denseFwd: ctx.DenseForward, denseFwdReLU: ctx.DenseForwardReLU,
		denseBwdData: ctx.DenseBackwardData, denseBwdWeights: ctx.DenseBackwardWeights,
	}
}
