// Package nn trains a network described by a workload.Network with the
// kernels of package kernels: the model is built from the description (so the
// cost model and the trainer see the same shapes), initialised with seeded
// Glorot-uniform weights and zero biases, and trained with the network's
// optimizer on minibatches shuffled per epoch from the seed.
//
// The trainer fuses what the description allows: a conv2d or dense layer
// followed by ReLU runs as one kernel call (Conv2DForwardReLU,
// DenseForwardReLU); a ReLU followed by max pooling takes its gradient on the
// pooled tensor (max pooling and ReLU commute, and the pooling's backward
// routes each gradient to the element that was the maximum); the first layer
// with weights computes no input gradient; all parameters live in one flat
// vector so the optimizer runs as one call per step; and every buffer is
// allocated once, when the model is built.
//
// Same seed, same ISA level and same thread count give the same loss curve
// to the bit.
package nn
