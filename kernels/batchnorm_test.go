package kernels_test

import (
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

func TestBatchNormFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.BatchNormFwdImpls, kerneltest.TestBatchNormFwd)
}

func TestBatchNormInferConformance(t *testing.T) {
	forEachImpl(t, kernels.BatchNormInferImpls, kerneltest.TestBatchNormInfer)
}

func TestBatchNormBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.BatchNormBwdImpls, kerneltest.TestBatchNormBwd)
}

func TestBatchNormRunningStats(t *testing.T) {
	forEachImpl(t, kernels.BatchNormFwdImpls, kerneltest.TestBatchNormRunningStats)
}

func TestAddFwdConformance(t *testing.T) { forEachImpl(t, kernels.AddFwdImpls, kerneltest.TestAddFwd) }

func TestAddBwdConformance(t *testing.T) { forEachImpl(t, kernels.AddBwdImpls, kerneltest.TestAddBwd) }

func TestGlobalAvgPoolFwdConformance(t *testing.T) {
	forEachImpl(t, kernels.GlobalAvgPoolFwdImpls, kerneltest.TestGlobalAvgPoolFwd)
}

func TestGlobalAvgPoolBwdConformance(t *testing.T) {
	forEachImpl(t, kernels.GlobalAvgPoolBwdImpls, kerneltest.TestGlobalAvgPoolBwd)
}

// TestResNetGradients checks the backward implementations of batch norm
// (with each fusion, against every forward implementation), the add and
// global average pooling against central differences.
func TestResNetGradients(t *testing.T) {
	t.Run("batchnorm", func(t *testing.T) {
		forEachImpl(t, kernels.BatchNormBwdImpls, func(t *testing.T, ctx *kernels.Context, bwd kernels.BatchNormBwdFunc) {
			for _, fwd := range kernels.BatchNormFwdImpls.All() {
				kerneltest.TestBatchNormGradients(t, ctx, fwd.Fn, bwd)
			}
		})
	})
	t.Run("add", func(t *testing.T) { forEachImpl(t, kernels.AddBwdImpls, kerneltest.TestAddGradients) })
	t.Run("global-avgpool", func(t *testing.T) {
		forEachImpl(t, kernels.GlobalAvgPoolBwdImpls, kerneltest.TestGlobalAvgPoolGradients)
	})
}
