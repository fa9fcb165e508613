package kernels

import "github.com/trainbench/trainbench/shape"

// The shapes and their FLOP and byte formulas are defined in package shape,
// which measures nothing and is shared with the benchmark table, the
// workloads and the cost model; these names keep the kernels' signatures
// short.

// Pass names one of the computations a layer does in a training step.
type Pass = shape.Pass

// The passes of a training step.
const (
	Forward         = shape.Forward
	BackwardData    = shape.BackwardData
	BackwardWeights = shape.BackwardWeights
)

// Conv2DShape describes a 2-D convolution on NHWC activations (shape.Conv2D).
type Conv2DShape = shape.Conv2D

// DenseShape describes a fully connected layer (shape.Dense).
type DenseShape = shape.Dense

// PoolShape describes max-pooling of NHWC activations (shape.Pool).
type PoolShape = shape.Pool

// ElementwiseOp names one of the element-wise kernels (shape.ElementwiseOp).
type ElementwiseOp = shape.ElementwiseOp

// The element-wise kernels.
const (
	OpReLU        = shape.OpReLU
	OpReLUBwd     = shape.OpReLUBwd
	OpBiasAdd     = shape.OpBiasAdd
	OpSoftmaxCE   = shape.OpSoftmaxCE
	OpAdam        = shape.OpAdam
	OpSGDMomentum = shape.OpSGDMomentum
	// OpSGDMomentumDecay is SGDMomentumDecay's formula.
	OpSGDMomentumDecay = shape.OpSGDMomentumDecay
)

// SgemmFLOPs is the floating-point work of one m×n×k GEMM (shape.Gemm.FLOPs).
func SgemmFLOPs(m, n, k int) float64 { return shape.Gemm{M: m, N: n, K: k}.FLOPs() }

// SgemmBytes is the compulsory memory traffic of one m×n×k GEMM with beta = 0
// (shape.Gemm.Bytes).
func SgemmBytes(m, n, k int) float64 { return shape.Gemm{M: m, N: n, K: k}.Bytes() }
