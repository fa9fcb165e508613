package bench

import (
	"slices"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/shape"
)

// GemmShape is one M×N×K matrix product of a benchmark set.
type GemmShape struct {
	shape.Gemm
	// TransA and TransB read A (K×M in memory) or B (N×K) transposed, as
	// the backward passes do; the FLOPs and compulsory bytes are the same.
	TransA, TransB bool
	Set            string // the shape set it belongs to; "" is benchname.SetCustom
	Note           string // where the shape comes from
}

// trans is the shape's trans= value: "nt", "tn" or "tt", "" for neither.
func (s GemmShape) trans() string {
	if !s.TransA && !s.TransB {
		return ""
	}
	letter := func(t bool) string {
		if t {
			return "t"
		}
		return "n"
	}
	return letter(s.TransA) + letter(s.TransB)
}

// operands returns the Sgemm transpose arguments and leading dimensions of
// A and B for a row-major product.
func (s GemmShape) operands() (tA, tB kernels.Transpose, lda, ldb int) {
	tA, tB, lda, ldb = kernels.NoTrans, kernels.NoTrans, s.K, s.N
	if s.TransA {
		tA, lda = kernels.Trans, s.M
	}
	if s.TransB {
		tB, ldb = kernels.Trans, s.K
	}
	return tA, tB, lda, ldb
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

func backprop(tA, tB bool, m, n, k int, note string) GemmShape {
	return GemmShape{Gemm: shape.Gemm{M: m, N: n, K: k}, TransA: tA, TransB: tB, Set: benchname.SetBackprop, Note: note}
}

// BackpropGemmShapes are the matrix products of the seed CNN's training
// step at batch 32 (conv2 lowered by im2col, and fc1) with their operands
// transposed as the trainer passes them: the evidence for the cost model's
// assumption that a transposed product runs as fast as the plain one.
var BackpropGemmShapes = []GemmShape{
	backprop(false, true, 3872, 64, 288, "seed CNN conv2 forward (im2col · Wᵀ)"),
	backprop(false, false, 3872, 288, 64, "seed CNN conv2 backward-data (dY · W)"),
	backprop(true, false, 64, 288, 3872, "seed CNN conv2 backward-weights (dYᵀ · im2col)"),
	backprop(false, true, 32, 128, 1600, "seed CNN fc1 forward (X · Wᵀ)"),
	backprop(false, false, 32, 1600, 128, "seed CNN fc1 backward-data (dY · W)"),
	backprop(true, false, 128, 1600, 32, "seed CNN fc1 backward-weights (dYᵀ · X)"),
}

// The Sgemm family: sets square and model run by default, backprop and bf16
// (the square and model shapes in bfloat16) are opt-in (Options.Sets).
func init() {
	sets := []struct {
		name   string
		shapes []GemmShape
	}{{benchname.SetSquare, SquareGemmShapes}, {benchname.SetModel, ModelGemmShapes}, {benchname.SetBackprop, BackpropGemmShapes}}
	Register(Family{
		Name:        benchname.Sgemm,
		Doc:         "float32 matrix product C = op(A)·op(B) (row-major), square sizes and shapes from real training steps",
		Sets:        []string{benchname.SetSquare, benchname.SetModel, benchname.SetBackprop, benchname.SetBF16},
		DefaultSets: []string{benchname.SetSquare, benchname.SetModel},
		Build: func(opt Options) []Case {
			var shapes []GemmShape
			for _, set := range sets {
				if opt.wantSet(set.name) {
					shapes = append(shapes, set.shapes...)
				}
			}
			cases := SgemmCases(shapes, opt)
			if opt.wantSet(benchname.SetBF16) {
				cases = append(cases, SgemmBF16Cases(append(append([]GemmShape(nil), SquareGemmShapes...), ModelGemmShapes...), opt)...)
			}
			return cases
		},
	})
}

// SgemmCases returns the SGEMM cases for the given shapes: every registered
// implementation, at every selected ISA level for the blocked one
// (isa=generic for naive; isa=native for gonum and openblas, which pick
// their own instructions: gonum its SSE loops), every thread count. Names are Sgemm/impl=<name>/isa=<level>/threads=<t>/m=<m>/n=<n>/k=<k>
// (then /trans=<nt|tn|tt> for a shape with a transposed operand),
// C = op(A)·op(B) row-major with alpha = 1, beta = 0.
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
	case kernels.AVX512Only:
		if slices.Contains(levels, cpu.AVX512) {
			return []implLevel{{cpu.AVX512, cpu.AVX512.String()}}
		}
		return nil
	}
	var ls []implLevel
	for _, l := range levels {
		ls = append(ls, implLevel{l, l.String()})
	}
	return ls
}

// SgemmBF16Cases returns the bf16 cases of the given shapes at avx512 when
// it is selected, two per shape and thread count:
//
//   - Sgemm/impl=blocked/isa=avx512/prec=bf16/threads=<t>/m=.../n=.../k=...:
//     kernels.SgemmBF16Impls' blocked implementation, float32 operands
//     rounded to bf16 while packing (what the mixed-precision trainer's
//     products do); compulsory bytes as the float32 product's;
//   - Sgemm/impl=blocked-bf16in/... (benchname.ImplBlockedBF16In):
//     kernels.GemmBF16Impls' blocked implementation on operands already in
//     bf16, the like-for-like case against a library's bf16 matmul;
//     compulsory bytes shape.Gemm.BytesBF16.
//
// Both sum in float32 and write float32 C; FLOPs as the float32 product's.
// On a CPU without AVX512_BF16 the cases skip, saying so. Set bf16.
func SgemmBF16Cases(shapes []GemmShape, opt Options) []Case {
	impl, err := kernels.SgemmBF16Impls.Lookup("blocked")
	if err != nil || !slices.Contains(opt.levels(), cpu.AVX512) {
		return nil
	}
	bimpl, err := kernels.GemmBF16Impls.Lookup("blocked")
	if err != nil {
		return nil
	}
	l := implLevel{cpu.AVX512, cpu.AVX512.String()}
	var cases []Case
	for _, t := range opt.threads() {
		for _, s := range shapes {
			s.Set = benchname.SetBF16
			cases = append(cases, needBF16(sgemmCase(impl, l, t, s)), needBF16(gemmBF16Case(bimpl, l, t, s)))
		}
	}
	return cases
}

// needBF16 names c prec=bf16 and makes its Prepare fail, saying why, on a
// CPU without AVX512_BF16 (the runner's skip).
func needBF16(c Case) Case {
	c.Prec = benchname.BF16
	prepare := c.Prepare
	c.Prepare = func() (func(), func(), error) {
		info, _ := cpu.Detect()
		if err := info.CheckBF16(); err != nil {
			return nil, nil, err
		}
		return prepare()
	}
	return c
}

// gemmBF16Case is the case of GemmBF16 implementation impl (named
// benchname.ImplBlockedBF16In) at level l: sgemmCase's operands rounded to
// bf16 once, before timing.
func gemmBF16Case(impl kernels.Impl[kernels.GemmBF16Func], l implLevel, threads int, s GemmShape) Case {
	return Case{
		CaseName: benchname.CaseName{Family: benchname.Sgemm, Impl: benchname.ImplBlockedBF16In, ISA: l.label, Threads: threads, M: s.M, N: s.N, K: s.K, Trans: s.trans()},
		Set:      s.Set,
		FLOPs:    s.FLOPs(),
		Bytes:    s.BytesBF16(),
		Prepare: onContext(l.level, threads, func(ctx *kernels.Context) (func(), error) {
			a := make([]kernels.BF16, s.M*s.K)
			b := make([]kernels.BF16, s.K*s.N)
			c := make([]float32, s.M*s.N)
			for i := range a {
				a[i] = kernels.ToBF16(float32(i%7) - 3)
			}
			for i := range b {
				b[i] = kernels.ToBF16(float32(i%5) - 2)
			}
			tA, tB, lda, ldb := s.operands()
			return func() { impl.Fn(ctx, tA, tB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) }, nil
		}),
	}
}

func sgemmCase(impl kernels.Impl[kernels.SgemmFunc], l implLevel, threads int, s GemmShape) Case {
	set := s.Set
	if set == "" {
		set = benchname.SetCustom
	}
	return Case{
		CaseName: benchname.CaseName{Family: benchname.Sgemm, Impl: impl.Name, ISA: l.label, Threads: threads, M: s.M, N: s.N, K: s.K, Trans: s.trans()},
		Set:      set,
		FLOPs:    s.FLOPs(),
		Bytes:    s.Bytes(),
		Prepare: onContext(l.level, threads, func(ctx *kernels.Context) (func(), error) {
			a := make([]float32, s.M*s.K)
			b := make([]float32, s.K*s.N)
			c := make([]float32, s.M*s.N)
			for i := range a {
				a[i] = float32(i%7) - 3
			}
			for i := range b {
				b[i] = float32(i%5) - 2
			}
			tA, tB, lda, ldb := s.operands()
			return func() { impl.Fn(ctx, tA, tB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) }, nil
		}),
	}
}
