package bench

import (
	"fmt"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
	"github.com/trainbench/trainbench/workload"
)

// ConvShape is one named conv2d shape of a benchmark set.
type ConvShape struct {
	Name  string // the shape= value of case names
	Shape shape.Conv2D
	// First marks the first layer of a network: training never computes its
	// input gradient, so the set has no bwd-data case for it.
	First bool
}

// SeedConvShapes are the conv layers of the seed CNN at its training batch
// size (32), resolved from the one description of the network
// (workload.SeedCNN) and named by benchname.LayerShapeName ("seed-cnn.conv1").
func SeedConvShapes() []ConvShape {
	net := workload.SeedCNN()
	var out []ConvShape
	for _, l := range NetworkLayers(net, net.Batch) {
		if l.Conv != nil {
			out = append(out, ConvShape{Name: benchname.LayerShapeName(net.Name, l.Name), Shape: *l.Conv, First: l.First})
		}
	}
	return out
}

// convSq is a square-image, square-filter conv shape in NHWC with dilation 1.
func convSq(n, hw, c, k, rs, stride, pad int) shape.Conv2D {
	return shape.Conv2D{N: n, H: hw, W: hw, C: c, K: k, R: rs, S: rs, StrideH: stride, StrideW: stride,
		PadH: pad, PadW: pad, DilH: 1, DilW: 1}
}

// ResNet50ConvShapes are the distinct convolution geometries of ResNet-50
// (v1.5, workload.ResNet50) at batch 8, each measured once for every layer
// that has it: the 7×7/2 stem; per stage the bottleneck's 1×1 reduce, 3×3
// and 1×1 expand; and where a stage begins, the reduce reading the previous
// stage's resolution (res3a-res5a), the stride-2 3×3 and the stride-2
// projection shortcut. A test holds the list to the network's layers, so that
// the cost model prices every conv pass of the step from its own shape.
var ResNet50ConvShapes = []ConvShape{
	{Name: "resnet50.stem-7x7s2", Shape: convSq(8, 224, 3, 64, 7, 2, 3), First: true},
	{Name: "resnet50.res2-1x1-64", Shape: convSq(8, 56, 64, 64, 1, 1, 0)},
	{Name: "resnet50.res2-3x3", Shape: convSq(8, 56, 64, 64, 3, 1, 1)},
	{Name: "resnet50.res2-1x1-256", Shape: convSq(8, 56, 64, 256, 1, 1, 0)},
	{Name: "resnet50.res2-1x1-reduce", Shape: convSq(8, 56, 256, 64, 1, 1, 0)},
	{Name: "resnet50.res3a-1x1-reduce", Shape: convSq(8, 56, 256, 128, 1, 1, 0)},
	{Name: "resnet50.res3-3x3s2", Shape: convSq(8, 56, 128, 128, 3, 2, 1)},
	{Name: "resnet50.res3-proj-1x1s2", Shape: convSq(8, 56, 256, 512, 1, 2, 0)},
	{Name: "resnet50.res3-3x3", Shape: convSq(8, 28, 128, 128, 3, 1, 1)},
	{Name: "resnet50.res3-1x1-512", Shape: convSq(8, 28, 128, 512, 1, 1, 0)},
	{Name: "resnet50.res3-1x1-reduce", Shape: convSq(8, 28, 512, 128, 1, 1, 0)},
	{Name: "resnet50.res4a-1x1-reduce", Shape: convSq(8, 28, 512, 256, 1, 1, 0)},
	{Name: "resnet50.res4-3x3s2", Shape: convSq(8, 28, 256, 256, 3, 2, 1)},
	{Name: "resnet50.res4-proj-1x1s2", Shape: convSq(8, 28, 512, 1024, 1, 2, 0)},
	{Name: "resnet50.res4-3x3", Shape: convSq(8, 14, 256, 256, 3, 1, 1)},
	{Name: "resnet50.res4-1x1-1024", Shape: convSq(8, 14, 256, 1024, 1, 1, 0)},
	{Name: "resnet50.res4-1x1-reduce", Shape: convSq(8, 14, 1024, 256, 1, 1, 0)},
	{Name: "resnet50.res5a-1x1-reduce", Shape: convSq(8, 14, 1024, 512, 1, 1, 0)},
	{Name: "resnet50.res5-3x3s2", Shape: convSq(8, 14, 512, 512, 3, 2, 1)},
	{Name: "resnet50.res5-proj-1x1s2", Shape: convSq(8, 14, 1024, 2048, 1, 2, 0)},
	{Name: "resnet50.res5-3x3", Shape: convSq(8, 7, 512, 512, 3, 1, 1)},
	{Name: "resnet50.res5-1x1-2048", Shape: convSq(8, 7, 512, 2048, 1, 1, 0)},
	{Name: "resnet50.res5-1x1-reduce", Shape: convSq(8, 7, 2048, 512, 1, 1, 0)},
}

// deepbench converts an entry of DeepBench's training_set
// (baidu-research/DeepBench code/kernels/conv_problems.h: w, h, c, n, k, s, r,
// pad_w, pad_h, stride_w, stride_h, NCHW) to an NHWC shape named
// "deepbench.<w>x<h>x<c>-n<n>-k<k>-<r>x<s>[s<stride>]".
func deepbench(w, h, c, n, k, s, r, padW, padH, strideW, strideH int) ConvShape {
	name := fmt.Sprintf("deepbench.%dx%dx%d-n%d-k%d-%dx%d", w, h, c, n, k, r, s)
	if strideW != 1 || strideH != 1 {
		name += fmt.Sprintf("s%d", strideH)
	}
	return ConvShape{Name: name, Shape: shape.Conv2D{N: n, H: h, W: w, C: c, K: k, R: r, S: s,
		StrideH: strideH, StrideW: strideW, PadH: padH, PadW: padW, DilH: 1, DilW: 1}}
}

// DeepBenchConvShapes are a dozen of DeepBench's training conv shapes: the
// speech front end (DeepSpeech), VGG-style 3×3 layers, GoogLeNet 5×5 and 1×1
// layers, and ResNet layers at batch 8 and 16.
var DeepBenchConvShapes = []ConvShape{
	deepbench(700, 161, 1, 4, 32, 20, 5, 0, 0, 2, 2),
	deepbench(341, 79, 32, 4, 32, 10, 5, 0, 0, 2, 2),
	deepbench(480, 48, 1, 16, 16, 3, 3, 1, 1, 1, 1),
	deepbench(240, 24, 16, 16, 32, 3, 3, 1, 1, 1, 1),
	deepbench(108, 108, 3, 8, 64, 3, 3, 1, 1, 2, 2),
	deepbench(54, 54, 64, 8, 64, 3, 3, 1, 1, 1, 1),
	deepbench(27, 27, 128, 8, 128, 3, 3, 1, 1, 1, 1),
	deepbench(14, 14, 128, 8, 256, 3, 3, 1, 1, 1, 1),
	deepbench(28, 28, 192, 16, 32, 5, 5, 2, 2, 1, 1),
	deepbench(14, 14, 512, 16, 48, 5, 5, 2, 2, 1, 1),
	deepbench(7, 7, 832, 16, 256, 1, 1, 0, 0, 1, 1),
	deepbench(56, 56, 64, 8, 256, 1, 1, 0, 0, 2, 2),
	deepbench(14, 14, 256, 8, 256, 3, 3, 1, 1, 1, 1),
}

// The Conv2D family: shape sets seed and resnet50 run by default, deepbench is opt-in
// (Options.Sets). To keep a run of every case cheap (go test -bench .
// -benchtime=1x takes about 15 s for this family), the big shapes skip the
// plain-Go paths unless asked for: naive runs only on the seed set (it needs
// minutes per case on the others), and isa=generic runs on resnet50 and
// deepbench only when Options.Levels lists it explicitly (seconds per case).
func init() {
	Register(Family{
		Name: benchname.Conv2D,
		Doc:  "2-D convolution (NHWC, KRSC weights): forward, backward-data and backward-weights on the seed CNN, ResNet-50 and DeepBench shapes",
		Sets: []string{benchname.SetSeed, benchname.SetResNet50, benchname.SetDeepBench, benchname.SetBF16}, DefaultSets: []string{benchname.SetSeed, benchname.SetResNet50},
		Build: func(opt Options) []Case {
			var cases []Case
			for _, set := range []struct {
				name   string
				shapes []ConvShape
			}{{benchname.SetSeed, SeedConvShapes()}, {benchname.SetResNet50, ResNet50ConvShapes}, {benchname.SetDeepBench, DeepBenchConvShapes}} {
				if opt.wantSet(set.name) {
					cases = append(cases, Conv2DCases(set.name, set.shapes, opt)...)
				}
			}
			if opt.wantSet(benchname.SetBF16) {
				cases = append(cases, Conv2DBF16Cases(opt)...)
			}
			return cases
		},
	})
}

// Conv2DCases returns the cases for the given shapes of set: each pass, each
// registered implementation (naive only for the seed set), every selected ISA
// level (generic only for the seed set unless opt.Levels is given) and thread
// count. Names are
// Conv2D/pass=<fwd|bwd-data|bwd-weights>/impl=<name>/isa=<level>/threads=<t>/shape=<name>.
// The forward pass includes the bias; backward-weights computes the bias
// gradient too.
func Conv2DCases(set string, shapes []ConvShape, opt Options) []Case {
	var cases []Case
	add := func(pass shape.Pass, impl string, mode kernels.ISAMode, prep func(ctx *kernels.Context, s shape.Conv2D) func()) {
		if impl == benchname.ImplNaive && set != benchname.SetSeed {
			return
		}
		for _, l := range implLevels(mode, opt.levels()) {
			if mode == kernels.PerISA && l.level == cpu.Generic && opt.Levels == nil && set != benchname.SetSeed {
				continue
			}
			for _, t := range opt.threads() {
				for _, cs := range shapes {
					if pass == shape.BackwardData && cs.First {
						continue
					}
					if impl == benchname.ImplGemm1x1 && !(cs.Shape.R == 1 && cs.Shape.S == 1 && cs.Shape.PadH == 0 && cs.Shape.PadW == 0) {
						continue // the direct kernels again
					}
					var exec float64
					if impl == benchname.ImplWinograd {
						if !kernels.WinogradChosen(cs.Shape) {
							continue // measured where the Context runs it
						}
						exec = kernels.WinogradFLOPs(cs.Shape, pass)
					}
					cases = append(cases, Case{
						CaseName:  benchname.CaseName{Family: benchname.Conv2D, Pass: pass, Impl: impl, ISA: l.label, Threads: t, Shape: cs.Name},
						Set:       set,
						FLOPs:     cs.Shape.FLOPs(pass),
						ExecFLOPs: exec,
						Bytes:     cs.Shape.Bytes(pass),
						Prepare: onContext(l.level, t, func(ctx *kernels.Context) (func(), error) {
							return prep(ctx, cs.Shape), nil
						}),
					})
				}
			}
		}
	}
	for _, impl := range kernels.Conv2DFwdImpls.All() {
		add(shape.Forward, impl.Name, impl.Mode, func(ctx *kernels.Context, s shape.Conv2D) func() {
			x, w, b, y := filled(s.InputLen()), filled(s.WeightLen()), filled(s.K), make([]float32, s.OutputLen())
			return func() { impl.Fn(ctx, s, x, w, b, y) }
		})
	}
	for _, impl := range kernels.Conv2DBwdDataImpls.All() {
		add(shape.BackwardData, impl.Name, impl.Mode, func(ctx *kernels.Context, s shape.Conv2D) func() {
			dy, w, dx := filled(s.OutputLen()), filled(s.WeightLen()), make([]float32, s.InputLen())
			return func() { impl.Fn(ctx, s, dy, w, dx) }
		})
	}
	for _, impl := range kernels.Conv2DBwdWeightsImpls.All() {
		add(shape.BackwardWeights, impl.Name, impl.Mode, func(ctx *kernels.Context, s shape.Conv2D) func() {
			x, dy, dw, db := filled(s.InputLen()), filled(s.OutputLen()), make([]float32, s.WeightLen()), make([]float32, s.K)
			return func() { impl.Fn(ctx, s, x, dy, dw, db) }
		})
	}
	return cases
}
