package workload

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// builtins maps each built-in network's name to its constructor.
var builtins = map[string]func() Network{
	"seed-cnn":          SeedCNN,
	"resnet50-imagenet": ResNet50,
	"gpt2-small":        GPT2Small,
}

// Builtins returns the names of the built-in networks, sorted.
func Builtins() []string {
	var names []string
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Builtin returns the named built-in network.
func Builtin(name string) (Network, error) {
	if f, ok := builtins[name]; ok {
		return f(), nil
	}
	return Network{}, fmt.Errorf("unknown network %q (built-in: %s; or give a .yaml/.json file)", name, strings.Join(Builtins(), ", "))
}

// Lookup returns the built-in network of that name, or else loads the file
// at that path (see Load).
func Lookup(nameOrPath string) (Network, error) {
	if f, ok := builtins[nameOrPath]; ok {
		return f(), nil
	}
	if _, err := os.Stat(nameOrPath); err != nil {
		_, err := Builtin(nameOrPath)
		return Network{}, err
	}
	return Load(nameOrPath)
}

// ResNet50 is ResNet-50 v1.5 (the torchvision layout: the stride of a
// down-sampling bottleneck sits on its 3×3 conv) for ImageNet-1k: 224×224×3
// images, 1000 classes, 1.28 million training images per epoch, batch 256,
// SGD with momentum 0.9 and lr 0.1 (Goyal et al., "Accurate, Large Minibatch
// SGD", 2017). Convolutions have no bias; each is followed by batch
// normalisation.
//
//	conv 7×7/2 64 → bn → relu → maxpool 3×3/2 pad 1 →
//	bottlenecks [3, 4, 6, 3] of width [64, 128, 256, 512] (out 4×width) →
//	global average pool → dense 1000 → softmax cross-entropy
func ResNet50() Network {
	layers := []Layer{
		{Name: "conv1", Kind: Conv2D, Filters: 64, Kernel: 7, Stride: 2, Padding: 3, NoBias: true},
		{Name: "bn1", Kind: BatchNorm},
		{Name: "relu1", Kind: ReLU},
		{Name: "pool1", Kind: MaxPool, Kernel: 3, Stride: 2, Padding: 1},
	}
	in := "pool1"
	for si, stage := range []struct{ blocks, width int }{{3, 64}, {4, 128}, {6, 256}, {3, 512}} {
		for b := 0; b < stage.blocks; b++ {
			name := fmt.Sprintf("res%d%c", si+2, 'a'+b)
			stride := 1
			if b == 0 && si > 0 {
				stride = 2
			}
			layers = append(layers, Bottleneck(name, in, stage.width, stride, b == 0)...)
			in = name + ".out"
		}
	}
	layers = append(layers,
		Layer{Name: "avgpool", Kind: GlobalAvgPool},
		Layer{Name: "fc", Kind: Dense, Units: 1000},
		Layer{Name: "loss", Kind: SoftmaxCE},
	)
	return Network{
		Name:      "resnet50-imagenet",
		Input:     Dims{224, 224, 3},
		Classes:   1000,
		Layers:    layers,
		Batch:     256,
		Samples:   1280000,
		Optimizer: Optimizer{Name: "sgd", LR: 0.1, Momentum: 0.9},
		Note:      "ResNet-50 v1.5 on ImageNet-1k (1.28M training images, 224x224), batch 256, SGD momentum 0.9",
	}
}

// Bottleneck returns the layers of one ResNet bottleneck block named name
// reading layer in: 1×1 conv to width, 3×3 conv (stride) and 1×1 conv to
// 4·width, each with batch norm (ReLU after the first two); the shortcut is
// in itself or, with project, a strided 1×1 conv and batch norm; then the
// add and a ReLU named name+".out".
func Bottleneck(name, in string, width, stride int, project bool) []Layer {
	ls := []Layer{
		{Name: name + ".conv1", Kind: Conv2D, Input: in, Filters: width, Kernel: 1, NoBias: true},
		{Name: name + ".bn1", Kind: BatchNorm},
		{Name: name + ".relu1", Kind: ReLU},
		{Name: name + ".conv2", Kind: Conv2D, Filters: width, Kernel: 3, Stride: stride, Padding: 1, NoBias: true},
		{Name: name + ".bn2", Kind: BatchNorm},
		{Name: name + ".relu2", Kind: ReLU},
		{Name: name + ".conv3", Kind: Conv2D, Filters: 4 * width, Kernel: 1, NoBias: true},
		{Name: name + ".bn3", Kind: BatchNorm},
	}
	if project {
		ls = append(ls,
			Layer{Name: name + ".proj", Kind: Conv2D, Input: in, Filters: 4 * width, Kernel: 1, Stride: stride, NoBias: true},
			Layer{Name: name + ".proj-bn", Kind: BatchNorm},
			Layer{Name: name + ".add", Kind: Add, With: name + ".bn3"},
		)
	} else {
		ls = append(ls, Layer{Name: name + ".add", Kind: Add, With: in})
	}
	return append(ls, Layer{Name: name + ".out", Kind: ReLU})
}

// GPT2Small is GPT-2 small (124M parameters: 12 layers, 12 heads, 768
// features, 1024-token context, 50,257-token vocabulary, the output layer
// tied to the token embedding) trained as llm.c reproduces it: 10 billion
// tokens of FineWeb per epoch (9,765,625 sequences of 1024), batches of 512
// sequences (524,288 tokens), AdamW (karpathy/llm.c discussion #481, 2024-05).
// Attention is causal and counts only the unmasked query-key pairs, as
// FlashAttention-style kernels compute them.
func GPT2Small() Network {
	const d, layers, heads, ctx, vocab = 768, 12, 12, 1024, 50257
	ls := []Layer{{Name: "wte", Kind: Embedding, Vocab: vocab, Units: d, Positions: ctx}}
	resid := "wte"
	for i := 0; i < layers; i++ {
		h := fmt.Sprintf("h%d", i)
		ls = append(ls, TransformerBlock(h, resid, d, heads, 4*d)...)
		resid = h + ".add2"
	}
	ls = append(ls,
		Layer{Name: "ln_f", Kind: LayerNorm},
		Layer{Name: "lm_head", Kind: Linear, Units: vocab, NoBias: true, Tie: "wte"},
		Layer{Name: "loss", Kind: SoftmaxCE},
	)
	return Network{
		Name:      "gpt2-small",
		Input:     Dims{1, ctx, 1},
		Classes:   vocab,
		Layers:    ls,
		Batch:     512,
		Samples:   9765625,
		Optimizer: Optimizer{Name: "adamw", LR: 6e-4, Beta1: 0.9, Beta2: 0.95, Epsilon: 1e-8, Decay: 0.1},
		Note:      "GPT-2 small (124M) per epoch of 10B tokens (FineWeb sample, as llm.c trains it), 1024-token context, batch 512 sequences",
	}
}

// TransformerBlock returns the layers of one pre-norm GPT-2 block named name
// whose residual stream of d features is the output of layer resid (the
// layer before the block): layernorm → linear to Q, K, V → causal attention → linear
// projection → add; layernorm → linear to hidden → GELU → linear back →
// add (named name+".add2").
func TransformerBlock(name, resid string, d, heads, hidden int) []Layer {
	return []Layer{
		{Name: name + ".ln1", Kind: LayerNorm, Input: resid},
		{Name: name + ".attn.qkv", Kind: Linear, Units: 3 * d},
		{Name: name + ".attn", Kind: Attention, Heads: heads, Causal: true},
		{Name: name + ".attn.proj", Kind: Linear, Units: d},
		{Name: name + ".add1", Kind: Add, With: resid},
		{Name: name + ".ln2", Kind: LayerNorm},
		{Name: name + ".mlp.fc", Kind: Linear, Units: hidden},
		{Name: name + ".mlp.gelu", Kind: GELU},
		{Name: name + ".mlp.proj", Kind: Linear, Units: d},
		{Name: name + ".add2", Kind: Add, With: name + ".add1"},
	}
}
