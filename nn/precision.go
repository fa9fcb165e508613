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
	// BF16: bfloat16 operands where it pays, float32 sums: conv2d layers
	// of at least 32 products an output (bf16Pays) and dense products of at
	// least 32 rows (denseBF16Pays); the others stay float32.
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

// denseBF16Pays reports whether dense shape s runs in bfloat16 under BF16:
// at least 32 rows (samples, or tokens). With fewer (ResNet-50's classifier
// at batch 8) the per-step rounding and packing of the weights costs more
// than the float32 product.
func denseBF16Pays(s kernels.DenseShape) bool { return s.Batch >= 32 }

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

// bf16State is the model's kernel calls, built once (so that a step does
// not allocate), and under BF16 its dense layers' weights
// rounded to bfloat16 and packed (kernels.DenseWeightsBF16), keyed by the
// weights' first element (a tied matrix is packed once). Each forward pass
// starts a generation; a dense product repacks its weights the first time
// it runs in a generation, so the packing runs once per optimizer step
// however many products read the weights (a tied token table: two), and
// never misses an update.
type bf16State struct {
	lk    *layerKernels // see kernels
	gen   int
	dense map[*float32]*bf16Dense
}

// bf16Dense is one weight matrix packed for the bf16 dense products.
type bf16Dense struct {
	gen, out, in int
	w            kernels.DenseWeightsBF16
}

// bf16PackDense turns the packed dense weights on (tests turn it off to
// compare with the kernels that convert the weights on every call).
var bf16PackDense = true

// packedDense returns w (s.Out×s.In) packed for the bf16 dense kernels,
// packing it if this generation has not.
func (m *Model) packedDense(s kernels.DenseShape, w []float32) *kernels.DenseWeightsBF16 {
	st := &m.bf16
	if st.dense == nil {
		st.dense = make(map[*float32]*bf16Dense)
	}
	e := st.dense[&w[0]]
	if e == nil {
		e = &bf16Dense{gen: st.gen - 1}
		st.dense[&w[0]] = e
	}
	if e.gen != st.gen || e.out != s.Out || e.in != s.In {
		m.ctx.PackDenseWeightsBF16(s, w, &e.w)
		e.gen, e.out, e.in = st.gen, s.Out, s.In
	}
	return &e.w
}

// kernels returns the model's conv2d and dense kernel calls: under F32
// method values of m.ctx (which may be nil while only planning); under
// BF16 closures over the model, built once, that choose per shape.
// Built once per model with a Context (the transformer's tasks ask for
// them on every call, and a step must not allocate).
func (m *Model) kernels() layerKernels {
	if m.bf16.lk != nil {
		return *m.bf16.lk
	}
	ctx := m.ctx
	lk := &layerKernels{
		convFwd: ctx.Conv2DForward, convFwdReLU: ctx.Conv2DForwardReLU,
		convBwdData: ctx.Conv2DBackwardData, convBwdDataAdd: ctx.Conv2DBackwardDataAdd, convBwdWeights: ctx.Conv2DBackwardWeights,
		denseFwd: ctx.DenseForward, denseFwdReLU: ctx.DenseForwardReLU,
		denseBwdData: ctx.DenseBackwardData, denseBwdWeights: ctx.DenseBackwardWeights,
	}
	if m.prec == BF16 {
		lk = m.bf16Kernels()
	}
	if ctx != nil {
		m.bf16.lk = lk
	}
	return *lk
}

// bf16Kernels builds the BF16 kernel calls: conv2d in bfloat16 where it
// pays (bf16Pays), float32 otherwise; dense in bfloat16, forward and
// backward-data on the packed weights.
func (m *Model) bf16Kernels() *layerKernels {
	fwd := func(relu bool) func(s kernels.Conv2DShape, x, w, b, y []float32) {
		return func(s kernels.Conv2DShape, x, w, b, y []float32) {
			switch {
			case !bf16Pays(s) && relu:
				m.ctx.Conv2DForwardReLU(s, x, w, b, y)
			case !bf16Pays(s):
				m.ctx.Conv2DForward(s, x, w, b, y)
			case relu:
				m.ctx.Conv2DForwardReLUBF16(s, x, w, b, y)
			default:
				m.ctx.Conv2DForwardBF16(s, x, w, b, y)
			}
		}
	}
	dense := func(relu bool) func(s kernels.DenseShape, x, w, b, y []float32) {
		return func(s kernels.DenseShape, x, w, b, y []float32) {
			switch {
			case !denseBF16Pays(s) && relu:
				m.ctx.DenseForwardReLU(s, x, w, b, y)
			case !denseBF16Pays(s):
				m.ctx.DenseForward(s, x, w, b, y)
			case !bf16PackDense && relu:
				m.ctx.DenseForwardReLUBF16(s, x, w, b, y)
			case !bf16PackDense:
				m.ctx.DenseForwardBF16(s, x, w, b, y)
			case relu:
				m.ctx.DenseForwardReLUBF16Packed(s, x, m.packedDense(s, w), b, y)
			default:
				m.ctx.DenseForwardBF16Packed(s, x, m.packedDense(s, w), b, y)
			}
		}
	}
	return &layerKernels{
		convFwd: fwd(false), convFwdReLU: fwd(true),
		convBwdData: func(s kernels.Conv2DShape, dy, w, dx []float32) {
			if bf16Pays(s) {
				m.ctx.Conv2DBackwardDataBF16(s, dy, w, dx)
			} else {
				m.ctx.Conv2DBackwardData(s, dy, w, dx)
			}
		},
		convBwdWeights: func(s kernels.Conv2DShape, x, dy, dw, db []float32) {
			if bf16Pays(s) {
				m.ctx.Conv2DBackwardWeightsBF16(s, x, dy, dw, db)
			} else {
				m.ctx.Conv2DBackwardWeights(s, x, dy, dw, db)
			}
		},
		denseFwd: dense(false), denseFwdReLU: dense(true),
		denseBwdData: func(s kernels.DenseShape, dy, w, dx []float32) {
			if !denseBF16Pays(s) {
				m.ctx.DenseBackwardData(s, dy, w, dx)
			} else if bf16PackDense {
				m.ctx.DenseBackwardDataBF16Packed(s, dy, m.packedDense(s, w), dx)
			} else {
				m.ctx.DenseBackwardDataBF16(s, dy, w, dx)
			}
		},
		denseBwdWeights: func(s kernels.DenseShape, x, dy, dw, db []float32) {
			if denseBF16Pays(s) {
				m.ctx.DenseBackwardWeightsBF16(s, x, dy, dw, db)
			} else {
				m.ctx.DenseBackwardWeights(s, x, dy, dw, db)
			}
		},
	}
}
