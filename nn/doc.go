// Package nn trains a network described by a workload.Network with the
// kernels of package kernels: the model is built from the description (so the
// cost model and the trainer see the same shapes), initialised with seeded
// Glorot-uniform weights, zero biases and unit batch-norm scales (a
// transformer's as GPT-2's: see transformer.go), and trained with the
// network's optimizer (Adam; AdamW with decoupled weight decay on the 2-D
// weights and the gradients clipped to a global norm of 1; or SGD with
// momentum and optional weight decay on the weights) on minibatches
// shuffled per epoch from the seed.
//
// The network may be a graph: a layer's Input names an earlier layer and an
// add's With its second operand (residual blocks, projection shortcuts).
// The trainer runs conv2d (with or without bias, any stride and padding),
// batchnorm (training mode: batch statistics, running statistics updated;
// Evaluate uses the running statistics), relu, maxpool (padded too),
// global-avgpool, add, flatten, dense and a final softmax-ce; and the
// transformer kinds (transformer.go): embedding (token and position
// tables), layernorm, linear (a dense layer at every position, optionally
// tied to an embedding's table, as GPT-2's output layer), causal attention
// on packed Q, K, V, gelu, and softmax-ce at every position. A network with
// an embedding reads int32 token ids (Model.Tokens, Set.Tokens) rather than
// float inputs; ReadCorpus and TextDataset make such sets from the Go
// distribution's own source, byte by byte.
//
// The trainer fuses what the description allows: a conv2d or dense layer
// followed by ReLU runs as one kernel call (Conv2DForwardReLU,
// DenseForwardReLU); a batch-norm followed by ReLU, or by an add and a ReLU
// (the end of a ResNet block), runs as one batch-norm kernel with those
// fusions, when the intermediate tensors have no other reader; a ReLU
// followed by max pooling takes its gradient on the pooled tensor (max
// pooling and ReLU commute, and the pooling's backward routes each gradient
// to the element that was the maximum); the first layer with weights
// computes no input gradient; all parameters live in one flat vector so the
// optimizer runs as one call per step (a few with weight decay). Where a
// tensor feeds two layers, its gradient is the sum of both, in a fixed order.
// Every buffer is planned once, when the model is built, and buffers whose
// lifetimes do not overlap share memory (Memory reports it); a step
// allocates nothing.
//
// Same seed, same ISA level and same thread count give the same loss curve
// to the bit.
package nn
