// Package benchname is the schema of trainbench's benchmark names: the
// families, the keys of their key=value elements and the order they are
// written in, the shape-set names, the precision names, and the name of a
// network layer's shape. Every package that writes a name (bench) or reads
// one back (costmodel, results) uses it, so that a name means one thing
// everywhere. It is data only: it imports nothing of trainbench.
//
// A case name is Family/key=value/..., keys in the order of CaseName's
// fields, so that benchstat can slice results by any key (-col /impl,
// -row /shape):
//
//	Sgemm/impl=blocked/isa=avx512/threads=1/m=1024/n=1024/k=1024
//	Conv2D/pass=fwd/impl=direct/isa=avx2/threads=2/shape=seed-cnn.conv2
//	Peak/isa=avx512/prec=f32/threads=2
//	Stream/op=triad/threads=1/size=402653184
//	Sgemm/impl=blocked/isa=avx512/prec=bf16/threads=1/m=1024/n=1024/k=1024
//
// The prec key: a Peak name always carries it. A kernel name carries it only
// when the kernel has a precision other than float32 (prec=bf16: bfloat16
// operands, float32 accumulation and output); a kernel name without prec is
// float32. So the names written before bfloat16 kernels existed are the
// float32 names still, and an old results file compares with a new one
// row for row: benchstat lines up the float32 rows, and the bf16 rows are
// new rows (slice them with -col /prec; a missing prec reads as empty, i.e.
// f32).
package benchname

// The benchmark families: Benchmark<Family> in go test, the first element
// of a case name.
const (
	Sgemm       = "Sgemm"
	Conv2D      = "Conv2D"
	Dense       = "Dense"
	MaxPool     = "MaxPool"
	ReLU        = "ReLU"
	BiasAdd     = "BiasAdd"
	SoftmaxCE   = "SoftmaxCE"
	Adam        = "Adam"
	SGDMomentum = "SGDMomentum"
	TrainStep   = "TrainStep" // one whole training step of a network
	Peak        = "Peak"      // the machine's peak FMA rate (a ceiling)
	Stream      = "Stream"    // STREAM bandwidth (a ceiling)
)

// The families of ResNet's layers beyond the seed CNN's.
const (
	BatchNorm     = "BatchNorm"     // batch normalisation, fused as the network runs it (pass=fwd, bwd)
	Add           = "Add"           // element-wise residual add
	GlobalAvgPool = "GlobalAvgPool" // global average pooling
)

// The families of GPT-2's layers beyond the matrix products.
const (
	LayerNorm = "LayerNorm" // layer normalisation (pass=fwd, bwd)
	GELU      = "GELU"      // GELU, tanh approximation (pass=fwd, bwd-data)
	Attention = "Attention" // fused causal multi-head attention (pass=fwd, bwd)
	Embedding = "Embedding" // token + position embedding (pass=fwd, bwd)
	AdamW     = "AdamW"     // AdamW over one transformer block's parameters
)

// The keys of a case name's elements, in the order they are written.
const (
	KeyPass    = "pass"    // a layer's pass: fwd, bwd-data, bwd-weights, or bwd (all gradients at once)
	KeyOp      = "op"      // a STREAM kernel: copy, triad
	KeyImpl    = "impl"    // the implementation, as its registry names it
	KeyISA     = "isa"     // the ISA level (generic, avx2, avx512) or ISANative
	KeyPrec    = "prec"    // the precision (Precision): of a peak loop, always; of a kernel, only when not f32
	KeyThreads = "threads" // the thread count
	KeyShape   = "shape"   // a named shape (LayerShapeName for a network's layer)
	KeyM       = "m"       // a matrix product's rows of C
	KeyN       = "n"       // its columns of C
	KeyK       = "k"       // its inner dimension
	KeyTrans   = "trans"   // a matrix product's transposed operands: nt, tn or tt (absent: neither)
	KeySize    = "size"    // a STREAM working set, bytes
)

// Implementation names the schema itself relies on (the others are the
// names kernels' registries give them).
const (
	ImplNaive = "naive" // a kernel's reference loops: its specification, slow on purpose
	ImplNN    = "nn"    // nn's trainer (TrainStep)
	// ImplDirect and ImplIm2col are the Conv2D implementations a trainer's
	// conv passes name (kernels.Context.Conv2DImpl): generated kernels on the
	// data in place, and the lowering to SGEMM.
	ImplDirect = "direct"
	ImplIm2col = "im2col"
	// ImplGemm1x1 is the Conv2D implementation for 1×1 convolutions: on
	// other shapes it runs the direct kernels, so the family measures it on
	// 1×1 shapes only.
	ImplGemm1x1 = "gemm1x1"
	// ImplWinograd is the Conv2D implementation by Winograd's algorithm
	// (F(4×4, 3×3), F(3×3, 4×4) for the weight gradient) for 3×3 stride-1
	// layers (the direct kernels elsewhere); the family measures it on the
	// shapes the Context runs it on (kernels.WinogradChosen), and its %peak
	// is of the FLOPs it does (fewer than the direct form's, which its
	// GFLOP/s counts).
	ImplWinograd = "winograd"
	// ImplArchSIMD is a kernel written in Go with simd/archsimd (built only
	// with GOEXPERIMENT=simd, run only at isa=avx512): Sgemm and ReLU have
	// one, beside their avo-generated assembly.
	ImplArchSIMD = "archsimd"
	// ImplBlockedBF16In is the Sgemm bf16 case of kernels.GemmBF16Impls'
	// blocked implementation, whose operands are bfloat16 already (a bf16
	// tensor's matmul, like for like with a library's), beside
	// impl=blocked/prec=bf16, which rounds float32 operands while packing.
	ImplBlockedBF16In = "blocked-bf16in"
)

// ISANative is the isa= value of a library that picks its own instructions
// (a system BLAS): the case runs on a generic Context.
const ISANative = "native"

// The shape sets cases belong to (Options.Sets in package bench).
const (
	SetSeed      = "seed"      // the seed CNN's layers at its training batch size
	SetSquare    = "square"    // square matrix products
	SetModel     = "model"     // matrix products from real training steps
	SetCustom    = "custom"    // shapes given by the caller (SgemmCases)
	SetResNet50  = "resnet50"  // ResNet-50 conv layers
	SetDeepBench = "deepbench" // DeepBench's training conv shapes
	SetLarge     = "large"     // layer shapes whose data spill the caches
	SetPeak      = "peak"      // the peak FMA loops
	SetDRAM      = "dram"      // STREAM on DRAM-sized arrays
	SetSweep     = "sweep"     // STREAM over working sets from L1 to DRAM
	SetBackprop  = "backprop"  // a training step's matrix products, operands transposed as the trainer runs them
	SetBF16      = "bf16"      // a family's shapes in bfloat16 (prec=bf16), beside its float32 ones
)

// SetResNet50All holds the ResNet-50 layers of a family beyond the few
// representative ones its resnet50 set holds: with it, all of them.
const SetResNet50All = "resnet50-all"

// SetGPT2 holds GPT-2 small's layers at context 1024 and 256, batch 1: the
// transformer families' only set, run by --set gpt2 or --kernel.
const SetGPT2 = "gpt2"

// LayerShapeName is the shape= value of a benchmark case that measures one
// layer of a network: "<network>.<layer>", e.g. "seed-cnn.conv2". The cost
// model finds a layer's measured time by this name.
func LayerShapeName(network, layer string) string { return network + "." + layer }

// SetSteps holds the whole training steps of the larger built-in networks
// at their smallest measured sizes (ResNet-50 at batch 8, GPT-2 small at
// context 256, batch 1): the default run measures them at the highest ISA
// level, so that its summary and report price those networks' epochs from
// a measured step (scaled to the workload's batch and context by the
// kernels' sums) instead of from kernels measured at other shapes.
const SetSteps = "steps"
