package bench

import (
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// The layer families: Dense, MaxPool, ReLU, BiasAdd, SoftmaxCE, Adam and
// SGDMomentum, each crossing its registry's implementations with the ISA
// levels and thread counts on two shape sets:
//
//   - seed (default): the seed CNN's layers at its training batch size (32),
//     resolved from workload.SeedCNN and named by benchname.LayerShapeName
//     ("seed-cnn.fc1"); the optimizer cases update one layer's parameters
//     (weights and biases).
//   - large (opt-in): shapes whose data spill the caches (tens of MB), for
//     comparing the memory-bound kernels with the Stream family's
//     bandwidth, and bigger dense layers.
//   - resnet50 (opt-in, MaxPool only): ResNet-50's padded stem pool at
//     batch 8 (resnet_layers.go).
//
// Names are <Kernel>/pass=<pass>/impl=<name>/isa=<level>/threads=<t>/shape=<name>
// (no pass= for the one-pass kernels BiasAdd, SoftmaxCE, Adam and
// SGDMomentum). FLOPs and bytes come from the kernels' own formulas
// (package shape).
// layerItem is one (pass, shape) of a layer family; op allocates the inputs
// for an implementation and returns the operation to time.
type layerItem[F any] struct {
	pass         shape.Pass // "" for one-pass kernels
	shape, set   string
	flops, bytes float64
	op           func(ctx *kernels.Context, fn F) func()
}

// layerCases crosses items with every implementation of reg, its ISA levels
// and opt's thread counts, keeping the items of the selected sets.
func layerCases[F any](family string, reg *kernels.Registry[F], items []layerItem[F], opt Options) []Case {
	var cases []Case
	for _, impl := range reg.All() {
		for _, l := range implLevels(impl.Mode, opt.levels()) {
			for _, t := range opt.threads() {
				for _, it := range items {
					if !opt.wantSet(it.set) {
						continue
					}
					cases = append(cases, Case{
						CaseName: benchname.CaseName{Family: family, Pass: it.pass, Impl: impl.Name, ISA: l.label, Threads: t, Shape: it.shape},
						Set:      it.set, FLOPs: it.flops, Bytes: it.bytes,
						Prepare: onContext(l.level, t, func(ctx *kernels.Context) (func(), error) {
							op := it.op(ctx, impl.Fn)
							op() // fault in the outputs' pages outside the timed region
							return op, nil
						}),
					})
				}
			}
		}
	}
	return cases
}

// registerLayerFamily registers a layer family whose cases are those of
// cases (each a layerCases call over one registry), concatenated, on the
// seed (default) and large sets.
func registerLayerFamily(name, doc string, cases ...func(opt Options) []Case) {
	registerFamily(name, doc, []string{benchname.SetSeed, benchname.SetLarge}, []string{benchname.SetSeed}, cases...)
}

// registerFamily registers a family with the given sets whose cases are
// those of cases, concatenated.
func registerFamily(name, doc string, sets, defaults []string, cases ...func(opt Options) []Case) {
	Register(Family{Name: name, Doc: doc, Sets: sets, DefaultSets: defaults,
		Build: func(opt Options) []Case {
			var all []Case
			for _, c := range cases {
				all = append(all, c(opt)...)
			}
			return all
		}})
}

// seedLayers are the seed CNN's layers at its training batch size.
func seedLayers() (string, []workload.Resolved) {
	net := workload.SeedCNN()
	return net.Name, NetworkLayers(net, net.Batch)
}

func init() {
	registerFamily(benchname.Dense, "fully connected layer: forward (with bias), backward-data, backward-weights (with bias gradient) on the seed CNN's and larger layers, and GPT-2 small's linear layers (gpt2)",
		[]string{benchname.SetSeed, benchname.SetLarge, benchname.SetGPT2}, []string{benchname.SetSeed},
		func(opt Options) []Case {
			return layerCases(benchname.Dense, kernels.DenseFwdImpls, append(denseItems(denseFwdOp), gpt2DenseItems(denseFwdOp)...), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.Dense, kernels.DenseBwdDataImpls, append(denseItems(denseBwdDataOp), gpt2DenseItems(denseBwdDataOp)...), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.Dense, kernels.DenseBwdWeightsImpls, append(denseItems(denseBwdWeightsOp), gpt2DenseItems(denseBwdWeightsOp)...), opt)
		})
	registerFamily(benchname.MaxPool, "max-pooling (NHWC) forward with argmax and backward on the seed CNN's, ResNet-50's padded stem and larger layers",
		[]string{benchname.SetSeed, benchname.SetLarge, benchname.SetResNet50}, []string{benchname.SetSeed},
		func(opt Options) []Case {
			return layerCases(benchname.MaxPool, kernels.MaxPoolFwdImpls, poolItems(poolFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.MaxPool, kernels.MaxPoolBwdImpls, poolItems(poolBwdOp), opt)
		})
	registerLayerFamily(benchname.ReLU, "ReLU forward and backward over the seed CNN's activations and over arrays larger than the caches",
		func(opt Options) []Case {
			return layerCases(benchname.ReLU, kernels.ReLUFwdImpls, eltItems(shape.OpReLU, reluFwdOp), opt)
		},
		func(opt Options) []Case {
			return layerCases(benchname.ReLU, kernels.ReLUBwdImpls, eltItems(shape.OpReLUBwd, reluBwdOp), opt)
		})
	registerLayerFamily(benchname.BiasAdd, "bias add over the rows of the seed CNN's layer outputs and a larger one",
		func(opt Options) []Case { return layerCases(benchname.BiasAdd, kernels.BiasAddImpls, biasItems(), opt) })
	registerFamily(benchname.SoftmaxCE, "fused softmax + cross-entropy loss and gradient on the seed CNN's logits, a 1000-class batch and GPT-2 small's 50257 classes at every position (gpt2)",
		[]string{benchname.SetSeed, benchname.SetLarge, benchname.SetGPT2}, []string{benchname.SetSeed},
		func(opt Options) []Case {
			return layerCases(benchname.SoftmaxCE, kernels.SoftmaxCEImpls, softmaxItems(), opt)
		},
		func(opt Options) []Case {
			// parallel (float64 exponentials, one level) stays at t1024 as
			// the reference the simd path is measured against.
			return Filter(layerCases(benchname.SoftmaxCE, withoutNaive(kernels.SoftmaxCEImpls, "softmax-ce"), gpt2SoftmaxItems(), opt), func(c Case) bool {
				return c.Impl == "parallel" || len(notGenericT1024([]Case{c})) == 1
			})
		})
	registerLayerFamily(benchname.Adam, "Adam update of each seed CNN layer's parameters and of 8M parameters",
		func(opt Options) []Case {
			return layerCases(benchname.Adam, kernels.AdamImpls, optimItems(shape.OpAdam, adamOp), opt)
		})
	registerLayerFamily(benchname.SGDMomentum, "SGD-with-momentum update of each seed CNN layer's parameters and of 8M parameters",
		func(opt Options) []Case {
			return layerCases(benchname.SGDMomentum, kernels.SGDMomentumImpls, optimItems(shape.OpSGDMomentum, sgdOp), opt)
		})
}

// namedShape is a layer shape of a benchmark set, named by its shape= value.
type namedShape[S any] struct {
	Name  string
	Shape S
}

// passShape is a layer shape with per-pass FLOP and byte formulas
// (shape.Dense, shape.Pool).
type passShape interface {
	FLOPs(shape.Pass) float64
	Bytes(shape.Pass) float64
}

// shapeItems returns the items of one pass of a layer kernel: the seed CNN's
// layers that seed picks out (nil for other kinds), then the large shapes; op
// gives the pass and the operation for a shape.
func shapeItems[S passShape, F any](seed func(workload.Resolved) *S, large []namedShape[S],
	op func(s S) (shape.Pass, func(ctx *kernels.Context, fn F) func())) []layerItem[F] {
	var items []layerItem[F]
	add := func(name, set string, s S) {
		pass, fn := op(s)
		items = append(items, layerItem[F]{pass: pass, shape: name, set: set, flops: s.FLOPs(pass), bytes: s.Bytes(pass), op: fn})
	}
	net, layers := seedLayers()
	for _, l := range layers {
		if s := seed(l); s != nil {
			add(benchname.LayerShapeName(net, l.Name), benchname.SetSeed, *s)
		}
	}
	for _, d := range large {
		add(d.Name, benchname.SetLarge, d.Shape)
	}
	return items
}

// LargeDenseShapes are the large set's dense layers: an MNIST MLP layer at
// batch 512, a 1024-wide layer at batch 128 and an ImageNet classifier head
// (4096 → 1000) at batch 64.
var LargeDenseShapes = []namedShape[shape.Dense]{
	{"mlp.784x256-b512", shape.Dense{Batch: 512, In: 784, Out: 256}},
	{"fc.1024x1024-b128", shape.Dense{Batch: 128, In: 1024, Out: 1024}},
	{"head.4096x1000-b64", shape.Dense{Batch: 64, In: 4096, Out: 1000}},
}

// denseItems returns the dense items of one pass.
func denseItems[F any](op func(s shape.Dense) (shape.Pass, func(ctx *kernels.Context, fn F) func())) []layerItem[F] {
	return shapeItems(func(l workload.Resolved) *shape.Dense { return l.Dense }, LargeDenseShapes, op)
}

func denseFwdOp(s shape.Dense) (shape.Pass, func(*kernels.Context, kernels.DenseFwdFunc) func()) {
	return shape.Forward, func(ctx *kernels.Context, fn kernels.DenseFwdFunc) func() {
		x, w, b, y := filled(s.Batch*s.In), filled(s.Out*s.In), filled(s.Out), make([]float32, s.Batch*s.Out)
		if s.Out == gpt2Vocab {
			b = nil // GPT-2's tied output projection has no bias
		}
		return func() { fn(ctx, s, x, w, b, y) }
	}
}

func denseBwdDataOp(s shape.Dense) (shape.Pass, func(*kernels.Context, kernels.DenseBwdDataFunc) func()) {
	return shape.BackwardData, func(ctx *kernels.Context, fn kernels.DenseBwdDataFunc) func() {
		dy, w, dx := filled(s.Batch*s.Out), filled(s.Out*s.In), make([]float32, s.Batch*s.In)
		return func() { fn(ctx, s, dy, w, dx) }
	}
}

func denseBwdWeightsOp(s shape.Dense) (shape.Pass, func(*kernels.Context, kernels.DenseBwdWeightsFunc) func()) {
	return shape.BackwardWeights, func(ctx *kernels.Context, fn kernels.DenseBwdWeightsFunc) func() {
		x, dy, dw, db := filled(s.Batch*s.In), filled(s.Batch*s.Out), make([]float32, s.Out*s.In), make([]float32, s.Out)
		if s.Out == gpt2Vocab {
			db = nil
		}
		return func() { fn(ctx, s, x, dy, dw, db) }
	}
}

// LargePoolShapes are the large set's pooling layers (batch 8): a VGG-style
// 2×2/2 on 112×112×128 (51 MB in) and ResNet-50's stem pool (3×3/2 on
// 112×112×64, without its padding).
var LargePoolShapes = []namedShape[shape.Pool]{
	{"vgg.112x112x128-2x2s2", shape.Pool{N: 8, H: 112, W: 112, C: 128, Window: 2, Stride: 2}},
	{"resnet50.stem-pool-3x3s2", shape.Pool{N: 8, H: 112, W: 112, C: 64, Window: 3, Stride: 2}},
}

// poolItems returns the max-pool items of one pass: the seed CNN's, the
// large ones and ResNet-50's padded stem pool.
func poolItems[F any](op func(s shape.Pool) (shape.Pass, func(ctx *kernels.Context, fn F) func())) []layerItem[F] {
	items := shapeItems(func(l workload.Resolved) *shape.Pool { return l.Pool }, LargePoolShapes, op)
	return append(items, resnetItems(resnetPool, op)...)
}

func poolFwdOp(s shape.Pool) (shape.Pass, func(*kernels.Context, kernels.MaxPoolFwdFunc) func()) {
	return shape.Forward, func(ctx *kernels.Context, fn kernels.MaxPoolFwdFunc) func() {
		x, y, arg := filled(s.InputLen()), make([]float32, s.OutputLen()), make([]int32, s.OutputLen())
		return func() { fn(ctx, s, x, y, arg) }
	}
}

func poolBwdOp(s shape.Pool) (shape.Pass, func(*kernels.Context, kernels.MaxPoolBwdFunc) func()) {
	return shape.BackwardData, func(ctx *kernels.Context, fn kernels.MaxPoolBwdFunc) func() {
		x, y, arg := filled(s.InputLen()), make([]float32, s.OutputLen()), make([]int32, s.OutputLen())
		ctx.MaxPoolForward(s, x, y, arg) // a valid argmax
		return func() { fn(ctx, s, y, arg, x) }
	}
}

// LargeElements is the large set's element count for the element-wise
// kernels and the optimizers: 8 Mi float32, 32 MiB an array, so that the two
// to four arrays a kernel touches are at least twice the 32 MiB L3 of the dev
// machine.
const LargeElements = 8 << 20

// eltItems are the ReLU items: the seed CNN's ReLU layers (batch × the
// layer's activations) and LargeElements.
func eltItems[F any](op shape.ElementwiseOp, mk func(n int) func(ctx *kernels.Context, fn F) func()) []layerItem[F] {
	pass := shape.Forward
	if op == shape.OpReLUBwd {
		pass = shape.BackwardData
	}
	var items []layerItem[F]
	add := func(name, set string, n int) {
		items = append(items, layerItem[F]{pass: pass, shape: name, set: set, flops: op.FLOPs(n), bytes: op.Bytes(n), op: mk(n)})
	}
	net, layers := seedLayers()
	for _, l := range layers {
		if l.Kind == workload.ReLU {
			add(benchname.LayerShapeName(net, l.Name), benchname.SetSeed, l.Batch*l.In.Len())
		}
	}
	add("large.8m", benchname.SetLarge, LargeElements)
	return items
}

func reluFwdOp(n int) func(*kernels.Context, kernels.ReLUFwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.ReLUFwdFunc) func() {
		x, y := filled(n), make([]float32, n)
		return func() { fn(ctx, x, y) }
	}
}

func reluBwdOp(n int) func(*kernels.Context, kernels.ReLUBwdFunc) func() {
	return func(ctx *kernels.Context, fn kernels.ReLUBwdFunc) func() {
		y, dy, dx := filled(n), filled(n), make([]float32, n)
		return func() { fn(ctx, y, dy, dx) }
	}
}

// biasItems are the bias adds of the seed CNN's conv and dense layers
// (rows = batch × output pixels, row length = output channels) and a large
// one (8×56×56 rows of 256).
func biasItems() []layerItem[kernels.BiasAddFunc] {
	var items []layerItem[kernels.BiasAddFunc]
	add := func(name, set string, rows, cols int) {
		items = append(items, layerItem[kernels.BiasAddFunc]{shape: name, set: set,
			flops: shape.OpBiasAdd.FLOPs(rows * cols), bytes: shape.OpBiasAdd.Bytes(rows * cols),
			op: func(ctx *kernels.Context, fn kernels.BiasAddFunc) func() {
				y, b := filled(rows*cols), filled(cols)
				return func() { fn(ctx, y, b, rows) }
			}})
	}
	net, layers := seedLayers()
	for _, l := range layers {
		if l.Conv != nil || l.Dense != nil {
			add(benchname.LayerShapeName(net, l.Name), benchname.SetSeed, l.Batch*l.Out.H*l.Out.W, l.Out.C)
		}
	}
	add("resnet50.res2-256", benchname.SetLarge, 8*56*56, 256)
	return items
}

// softmaxItems are the seed CNN's loss layer and a 1000-class batch of 256.
func softmaxItems() []layerItem[kernels.SoftmaxCEFunc] {
	var items []layerItem[kernels.SoftmaxCEFunc]
	add := func(name, set string, batch, classes int) {
		items = append(items, layerItem[kernels.SoftmaxCEFunc]{shape: name, set: set,
			flops: shape.OpSoftmaxCE.FLOPs(batch * classes), bytes: shape.OpSoftmaxCE.Bytes(batch * classes),
			op: func(ctx *kernels.Context, fn kernels.SoftmaxCEFunc) func() {
				l, d, labels := filled(batch*classes), make([]float32, batch*classes), make([]int32, batch)
				for i := range labels {
					labels[i] = int32(i % classes)
				}
				return func() { fn(ctx, batch, classes, l, labels, d) }
			}})
	}
	net, layers := seedLayers()
	for _, l := range layers {
		if l.Kind == workload.SoftmaxCE {
			add(benchname.LayerShapeName(net, l.Name), benchname.SetSeed, l.Batch, l.In.Len())
		}
	}
	add("imagenet.b256x1000", benchname.SetLarge, 256, 1000)
	return items
}

// gpt2SoftmaxItems are GPT-2 small's loss at contexts 1024 and 256 (batch
// 1): 50257 logits at every position, "gpt2-small.t<T>b1.loss", set gpt2
// (the logits and their gradient take 206 MB each at context 1024).
func gpt2SoftmaxItems() []layerItem[kernels.SoftmaxCEFunc] {
	var items []layerItem[kernels.SoftmaxCEFunc]
	for _, t := range gpt2Contexts {
		n := t * gpt2Vocab
		items = append(items, layerItem[kernels.SoftmaxCEFunc]{shape: gpt2Shape(t, "loss"), set: benchname.SetGPT2,
			flops: shape.OpSoftmaxCE.FLOPs(n), bytes: shape.OpSoftmaxCE.Bytes(n),
			op: func(ctx *kernels.Context, fn kernels.SoftmaxCEFunc) func() {
				l, d, labels := make([]float32, n), make([]float32, n), gpt2Tokens(t)
				for i := range l {
					l[i] = float32(i%1013)*0.01 - 5 // logits spread over [−5, 5.12]
				}
				return func() { fn(ctx, t, gpt2Vocab, l, labels, d) }
			}})
	}
	return items
}

// optimItems are the optimizer updates of each seed CNN layer's parameters
// (weights and biases as one array) and of LargeElements parameters.
func optimItems[F any](op shape.ElementwiseOp, mk func(n int) func(ctx *kernels.Context, fn F) func()) []layerItem[F] {
	var items []layerItem[F]
	add := func(name, set string, n int) {
		items = append(items, layerItem[F]{shape: name, set: set, flops: op.FLOPs(n), bytes: op.Bytes(n), op: mk(n)})
	}
	net, layers := seedLayers()
	for _, l := range layers {
		if l.Params > 0 {
			add(benchname.LayerShapeName(net, l.Name), benchname.SetSeed, l.Params)
		}
	}
	add("large.8m", benchname.SetLarge, LargeElements)
	return items
}

func adamOp(n int) func(*kernels.Context, kernels.AdamFunc) func() {
	return func(ctx *kernels.Context, fn kernels.AdamFunc) func() {
		p, g, m, v := filled(n), filled(n), make([]float32, n), make([]float32, n)
		h := kernels.DefaultAdam()
		return func() { fn(ctx, p, g, m, v, h, 10) }
	}
}

func sgdOp(n int) func(*kernels.Context, kernels.SGDMomentumFunc) func() {
	return func(ctx *kernels.Context, fn kernels.SGDMomentumFunc) func() {
		p, g, vel := filled(n), filled(n), make([]float32, n)
		return func() { fn(ctx, p, g, vel, 0.01, 0.9) }
	}
}
