package bench

import (
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
)

// GemmShape is one M×N×K matrix product of a benchmark set.
type GemmShape struct {
	shape.Gemm
	Set  string // the shape set it belongs to; "" is benchname.SetCustom
	Note string // where the shape comes from
}

func square(n int) GemmShape {
	return GemmShape{Gemm: shape.Gemm{M: n, N: n, K: n}, Set: benchname.SetSquare, Note: "square"}
}

func model(m, n, k int, note string) GemmShape {
	return GemmShape{Gemm: shape.Gemm{M: m, N: n, K: k}, Set: benchname.SetModel, Note: note}
}

// SquareGemmShapes are the square sizes of the SGEMM sweep.
var SquareGemmShapes = []GemmShape{square(64), square(128), square(256), square(512), square(1024), square(2048)}

// ModelGemmShapes are GEMMs from real training steps.
var ModelGemmShapes = []GemmShape{
	model(128, 64, 288, "seed CNN conv2 im2col, 128 output pixels"),
	model(3872, 64, 288, "seed CNN conv2 im2col at batch 32 (32·11·11 pixels, 64 filters, 32·3·3)"),
	model(32, 128, 1600, "seed CNN dense 1600→128 at batch 32"),
	model(32, 10, 128, "seed CNN dense 128→10 at batch 32"),
	model(256, 1024, 1024, "transformer MLP slice, 256 tokens"),
	model(1024, 4096, 1024, "transformer MLP up-projection, 1024 tokens"),
	model(12544, 64, 147, "ResNet-50 stem 7×7/2 im2col, one image (112·112 pixels, 3·7·7)"),
	model(3136, 256, 64, "ResNet-50 stage-1 1×1 conv, one image (56·56 pixels)"),
}

func init() {
	sets := []string{benchname.SetSquare, benchname.SetModel}
	Register(Family{
		Name:        benchname.Sgemm,
		Doc:         "float32 matrix product C = A·B (row-major), square sizes and shapes from real training steps",
		Sets:        sets,
		DefaultSets: sets,
		Cases: func(opt Options) []Case {
			var shapes []GemmShape
			if opt.wantSet(benchname.SetSquare, sets) {
				shapes = append(shapes, SquareGemmShapes...)
			}
			if opt.wantSet(benchname.SetModel, sets) {
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
		return []implLevel{{cpu.Generic, cpu.Generic.String()}}
	case kernels.Native:
		return []implLevel{{cpu.Generic, benchname.ISANative}}
	}
	var ls []implLevel
	for _, l := range levels {
		ls = append(ls, implLevel{l, l.String()})
	}
	return ls
}

func sgemmCase(impl kernels.Impl[kernels.SgemmFunc], l implLevel, threads int, s GemmShape) Case {
	set := s.Set
	if set == "" {
		set = benchname.SetCustom
	}
	return Case{
		CaseName: benchname.CaseName{Family: benchname.Sgemm, Impl: impl.Name, ISA: l.label, Threads: threads, M: s.M, N: s.N, K: s.K},
		Set:      set,
		FLOPs:    s.FLOPs(),
		Bytes:    s.Bytes(),
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
