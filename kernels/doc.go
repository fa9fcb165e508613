// Package kernels is trainbench's library of float32 training kernels: the
// operations one step of training a neural network is made of.
//
// Every kernel runs on a Context, which fixes the ISA level (generic, avx2,
// avx512; see package cpu) and the thread count, and owns the long-lived
// worker threads and scratch buffers the kernels use. Thread count is
// explicit and independent of GOMAXPROCS, and for a given thread count results
// are bit-for-bit repeatable.
//
// Each kernel has several implementations, listed in registries with stable
// names (the impl= key of benchmark names): a naive reference written exactly
// as the definition in the kernel's documentation, fast paths that follow the
// Context's ISA level, and reference libraries for comparison. The
// implementations are reached through the registries (SgemmImpls,
// Conv2DFwdImpls, ...), not by name. The Context methods spell the passes out
// (Conv2DForward, DenseBackwardData); the registries and function types
// abbreviate them as benchmark names do (Conv2DFwdImpls, DenseBwdDataFunc).
// The FLOP and byte counts of each kernel live beside it (SgemmFLOPs,
// Conv2DShape, DenseShape, PoolShape, BatchNormShape, ElementwiseOp) so
// that benchmarks, the roofline and the cost model use the same formulas.
//
// The kernels of a training step: Sgemm; conv2d forward (optionally fused
// with ReLU), backward-data and backward-weights; dense likewise; max-pool
// (optionally padded) forward (with argmax) and backward; ReLU and its
// gradient; bias add; batch normalisation (training forward, backward and
// inference, fused with a residual add and ReLU), the residual add and its
// gradient fan-out, and global average pooling; fused softmax cross-entropy
// with its gradient; and the Adam and SGD-momentum updates. The Context methods (Conv2DForward, DenseForward, MaxPoolForward,
// ReLUForward, SoftmaxCrossEntropy, Adam, ...) pick the fastest
// implementation and do not allocate after their first call.
//
// Matrices are row-major. Activations are NHWC (batch, height, width,
// channels: channels contiguous, which suits SIMD along channels) and conv
// weights KRSC; see Conv2DShape. Callers holding NCHW data convert at the
// edges. Shape errors panic with a message naming the
// offending argument and shapes, as slice indexing does: they are programming
// errors, and checking them is cheap next to the work.
package kernels
