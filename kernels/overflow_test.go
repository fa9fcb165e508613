package kernels_test

import (
	"math/bits"
	"testing"

	"github.com/trainbench/trainbench/kernels"
)

// TestLayersRefuseOverflow: shapes and lengths whose products wrap around an
// int (2¹⁶·2¹⁶·2¹⁶·2¹⁶ is 0 in 64 bits) used to pass the length checks with
// empty slices; each kernel must refuse them, naming the product.
func TestLayersRefuseOverflow(t *testing.T) {
	const (
		w16     = 1 << (bits.UintSize / 4) // 2¹⁶: four of them multiply to 0
		half    = 1 << (bits.UintSize / 2) // 2³²
		quarter = 1 << (bits.UintSize - 2) // 2⁶²: four of them add to 0
	)
	ctx := genericContext(t)
	conv := kernels.Conv2DShape{N: w16, H: w16, W: w16, C: w16, K: 1, R: 1, S: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}
	pool := kernels.PoolShape{N: w16, H: w16, W: w16, C: w16, Window: 2, Stride: 2}
	dense := kernels.DenseShape{Batch: half, In: half, Out: 1}
	checkPanics(t, []panicCase{
		{"conv2d fwd", func() { ctx.Conv2DForward(conv, nil, []float32{0}, nil, nil) }, "N·H·W·C"},
		{"conv2d bwd-data", func() { ctx.Conv2DBackwardData(conv, nil, []float32{0}, nil) }, "N·H·W·C"},
		{"maxpool", func() { ctx.MaxPoolForward(pool, nil, nil, nil) }, "N·H·W·C"},
		{"dense", func() { ctx.DenseForward(dense, nil, nil, nil, nil) }, "Batch·In"},
		{"bias-add", func() { ctx.BiasAdd(nil, make([]float32, 4), quarter) }, "rows·len(b)"},
		{"softmax-ce", func() { ctx.SoftmaxCrossEntropy(2*half, half/2, nil, nil, nil) }, "batch·classes"},
	})
}
