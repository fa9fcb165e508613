package bench

import (
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// GemmShape is one M×N×K matrix product.
type GemmShape struct {
	M, N, K int
	Note    string // where the shape comes from
}

// SquareGemmShapes are the square sizes of the SGEMM sweep.
var SquareGemmShapes = []GemmShape{
	{64, 64, 64, "square"}, {128, 128, 128, "square"}, {256, 256, 256, "square"},
	{512, 512, 512, "square"}, {1024, 1024, 1024, "square"}, {2048, 2048, 2048, "square"},
}

// ModelGemmShapes are GEMMs from real training steps.
var ModelGemmShapes = []GemmShape{
	{128, 64, 288, "seed CNN conv2 im2col, 128 output pixels"},
	{3872, 64, 288, "seed CNN conv2 im2col at batch 32 (32·11·11 pixels, 64 filters, 32·3·3)"},
	{32, 128, 1600, "seed CNN dense 1600→128 at batch 32"},
	{32, 10, 128, "seed CNN dense 128→10 at batch 32"},
	{256, 1024, 1024, "transformer MLP slice, 256 tokens"},
	{1024, 4096, 1024, "transformer MLP up-projection, 1024 tokens"},
	{12544, 64, 147, "ResNet-50 stem 7×7/2 im2col, one image (112·112 pixels, 3·7·7)"},
	{3136, 256, 64, "ResNet-50 stage-1 1×1 conv, one image (56·56 pixels)"},
}

func init() {
	Register(Family{
		Name:        "Sgemm",
		Doc:         "float32 matrix product C = A·B (row-major), square sizes and shapes from real training steps",
		Sets:        []string{"square", "model"},
		DefaultSets: []string{"square", "model"},
		Cases: func(opt Options) []Case {
			var shapes []GemmShape
			if opt.wantSet("square", []string{"square", "model"}) {
				shapes = append(shapes, SquareGemmShapes...)
			}
			if opt.wantSet("model", []string{"square", "model"}) {
				shapes = append(shapes, ModelGemmShapes...)
			}
			return SgemmCases(shapes, opt)
		},
	})
}

// SgemmCases returns the SGEMM cases for the given shapes: every registered
// implementation, at every selected ISA level for the blocked one
// (isa=generic for naive and gonum, isa=native for openblas), every thread
// count. Names are Sgemm/impl=<name>/isa=<level>/threads=<t>/m=<m>/n=<n>/k=<k>,
// C = A·B row-major with alpha = 1, beta = 0.
func SgemmCases(shapes []GemmShape, opt Options) []Case {
	var cases []Case
	for _, impl := range kernels.SgemmImpls.All() {
		for _, l := range implLevels(impl.Mode, opt.levels()) {
			for _, t := range opt.threads() {
				for _, s := range shapes {
					cases = append(cases, sgemmCase(impl, l, t, s))
				}
			}
		}
	}
	return cases
}

// implLevel pairs the ISA level a case's Context runs at with its isa= label.
type implLevel struct {
	level cpu.Level
	label string
}

// implLevels returns the ISA levels an implementation is benchmarked at.
func implLevels(mode kernels.ISAMode, levels []cpu.Level) []implLevel {
	switch mode {
	case kernels.GenericOnly:
		return []implLevel{{cpu.Generic, "generic"}}
	case kernels.Native:
		return []implLevel{{cpu.Generic, "native"}}
	}
	var ls []implLevel
	for _, l := range levels {
		ls = append(ls, implLevel{l, l.String()})
	}
	return ls
}

func sgemmCase(impl kernels.Impl[kernels.SgemmFunc], l implLevel, threads int, s GemmShape) Case {
	set := "square"
	if s.Note != "square" {
		set = "model"
	}
	if s.Note == "" {
		set = "custom"
	}
	return Case{
		Kernel: "Sgemm",
		Params: []Param{
			{"impl", impl.Name}, {"isa", l.label}, {"threads", itoa(threads)},
			{"m", itoa(s.M)}, {"n", itoa(s.N)}, {"k", itoa(s.K)},
		},
		Set:     set,
		FLOPs:   kernels.SgemmFLOPs(s.M, s.N, s.K),
		Bytes:   kernels.SgemmBytes(s.M, s.N, s.K),
		Threads: threads,
		Prepare: func() (func(), func(), error) {
			ctx, err := kernels.NewContext(l.level, threads)
			if err != nil {
				return nil, nil, err
			}
			a := make([]float32, s.M*s.K)
			b := make([]float32, s.K*s.N)
			c := make([]float32, s.M*s.N)
			for i := range a {
				a[i] = float32(i%7) - 3
			}
			for i := range b {
				b[i] = float32(i%5) - 2
			}
			op := func() {
				impl.Fn(ctx, kernels.NoTrans, kernels.NoTrans, s.M, s.N, s.K, 1, a, s.K, b, s.N, 0, c, s.N)
			}
			return op, ctx.Close, nil
		},
	}
}
