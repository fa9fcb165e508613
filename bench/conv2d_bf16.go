package bench

import (
	"slices"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
)

// BF16ConvShapes are the shapes of the Conv2D family's bf16 set: the seed
// CNN's conv2 (its heavier layer; conv1 has one input channel, too little
// depth for any GEMM) and ResNet-50's stage-3 3×3, the shapes issue 21's
// bf16-versus-f32 target names.
func BF16ConvShapes() []ConvShape {
	var out []ConvShape
	for _, cs := range SeedConvShapes() {
		if !cs.First {
			out = append(out, cs)
		}
	}
	for _, cs := range ResNet50ConvShapes {
		if cs.Name == "resnet50.res3-3x3" {
			out = append(out, cs)
		}
	}
	return out
}

// Conv2DBF16Cases returns the Conv2D family's bf16 cases:
// Conv2D/pass=<fwd|bwd-data|bwd-weights>/impl=<name>/isa=avx512/prec=bf16/threads=<t>/shape=<name>
// for every PerISA implementation of the bf16 registries
// (kernels.Conv2DFwdBF16Impls and its twins) at avx512 when it is selected,
// on BF16ConvShapes. On a CPU without AVX512_BF16 the cases skip, saying
// so. FLOPs and compulsory bytes are the float32 pass's (the tensors
// handed over are float32).
func Conv2DBF16Cases(opt Options) []Case {
	if !slices.Contains(opt.levels(), cpu.AVX512) {
		return nil
	}
	var cases []Case
	add := func(pass shape.Pass, impl string, mode kernels.ISAMode, prep func(ctx *kernels.Context, s shape.Conv2D) func()) {
		if mode != kernels.PerISA {
			return // naive, the specification, takes minutes on these shapes
		}
		for _, t := range opt.threads() {
			for _, cs := range BF16ConvShapes() {
				build := onContext(cpu.AVX512, t, func(ctx *kernels.Context) (func(), error) { return prep(ctx, cs.Shape), nil })
				cases = append(cases, Case{
					CaseName: benchname.CaseName{Family: benchname.Conv2D, Pass: pass, Impl: impl, ISA: cpu.AVX512.String(),
						Prec: benchname.BF16, Threads: t, Shape: cs.Name},
					Set:   benchname.SetBF16,
					FLOPs: cs.Shape.FLOPs(pass),
					Bytes: cs.Shape.Bytes(pass),
					Prepare: func() (func(), func(), error) {
						info, _ := cpu.Detect()
						if err := info.CheckBF16(); err != nil {
							return nil, nil, err
						}
						return build()
					},
				})
			}
		}
	}
	for _, impl := range kernels.Conv2DFwdBF16Impls.All() {
		add(shape.Forward, impl.Name, impl.Mode, func(ctx *kernels.Context, s shape.Conv2D) func() {
			x, w, b, y := filled(s.InputLen()), filled(s.WeightLen()), filled(s.K), make([]float32, s.OutputLen())
			return func() { impl.Fn(ctx, s, x, w, b, y) }
		})
	}
	for _, impl := range kernels.Conv2DBwdDataBF16Impls.All() {
		add(shape.BackwardData, impl.Name, impl.Mode, func(ctx *kernels.Context, s shape.Conv2D) func() {
			dy, w, dx := filled(s.OutputLen()), filled(s.WeightLen()), make([]float32, s.InputLen())
			return func() { impl.Fn(ctx, s, dy, w, dx) }
		})
	}
	for _, impl := range kernels.Conv2DBwdWeightsBF16Impls.All() {
		add(shape.BackwardWeights, impl.Name, impl.Mode, func(ctx *kernels.Context, s shape.Conv2D) func() {
			x, dy, dw, db := filled(s.InputLen()), filled(s.OutputLen()), make([]float32, s.WeightLen()), make([]float32, s.K)
			return func() { impl.Fn(ctx, s, x, dy, dw, db) }
		})
	}
	return cases
}
