package main

// The Go tables of the units that index their routines by tile: which
// generated routine serves which tile, written from the same lists that
// emit the routines, so that no hand-written table can miss one.

import (
	"fmt"
	"go/format"
	"os"
	"strings"
)

// writeGemmGo writes package gemm's tables_gen.go into dir: the tables that
// map a row count and width to a direct kernel, so that the kernel list has
// one source, this generator.
func writeGemmGo(dir string) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\npackage gemm\n\n", generatedHeader("gemm"))
	for _, t := range gemmTiles {
		for _, nv := range []int{t.nv, t.nv / 2} {
			w := nv * t.s.lanes
			fmt.Fprintf(&sb, "// direct%s_%d lists the %s direct kernels %d wide, by row count.\n", t.s.title, w, t.s.name, w)
			if t.s.name == "avx512" {
				fmt.Fprintf(&sb, "var direct%s_%d = [...]DirectFn{nil", t.s.title, w)
			} else {
				fmt.Fprintf(&sb, "var direct%s_%d = [...]FullWidthFn{nil", t.s.title, w)
			}
			for mr := 1; mr <= t.mr; mr++ {
				fmt.Fprintf(&sb, ", %s", kernelName(t.s, mr, w, true))
			}
			sb.WriteString("}\n\n")
		}
	}
	for _, nv := range []int{bf16NV, 1} {
		w := nv * isaAVX512.lanes
		fmt.Fprintf(&sb, "// bf16AVX512_%d lists the avx512-bf16 kernels %d wide, by row count.\n", w, w)
		fmt.Fprintf(&sb, "var bf16AVX512_%d = [...]BF16Fn{nil", w)
		for mr := 1; mr <= bf16MR; mr++ {
			fmt.Fprintf(&sb, ", %s", bf16KernelName(mr, w))
		}
		sb.WriteString("}\n\n")
	}
	return writeFormatted(dir+"/tables_gen.go", sb.String())
}

// writeConvGo writes package conv's tables_gen.go into dir: for each ISA
// level the forward and weight-gradient kernels by vectors per row (nv) and
// tile height (mr), so that the kernel list has one source, convTiles. Level
// generic gets the avx2 tiles as named calls of FwdRef and DWRef.
func writeConvGo(dir string) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s\n\npackage conv\n\n", generatedHeader("conv"))
	sb.WriteString("// The kernels of each ISA level, by vectors per row (nv) and tile height (mr).\n\n")
	type level struct {
		title string // the level in Go names
		s     isa    // the tiles and lanes
	}
	tables := func(levels []level) {
		for _, kind := range []struct{ table, fn, typ string }{{"fwd", "convFwd", "FwdFunc"}, {"dw", "convDW", "DWFunc"}} {
			for _, l := range levels {
				fmt.Fprintf(&sb, "var %s%s = [5][]%s{\n", kind.table, l.title, kind.typ)
				tiles := convTiles(l.s)
				for nv := 1; nv <= 4; nv++ {
					if tiles[nv] == 0 {
						continue
					}
					fmt.Fprintf(&sb, "\t%d: {nil", nv)
					for mr := 1; mr <= tiles[nv]; mr++ {
						fmt.Fprintf(&sb, ", %s%s_%dx%d", kind.fn, l.title, mr, nv)
					}
					sb.WriteString("},\n")
				}
				sb.WriteString("}\n\n")
			}
		}
	}
	tables([]level{{"Go", isaAVX2}, {"AVX2", isaAVX2}, {"AVX512", isaAVX512}})
	sb.WriteString("// The bfloat16 kernels (AVX512_BF16) at the avx512 tiles, and their pure-Go\n// forms at the avx2 tiles for CPUs without it.\n\n")
	tables([]level{{"GoBF16", isaAVX2}, {"AVX512BF16", isaAVX512}})
	sb.WriteString("// Level generic's kernels are the specifications at the avx2 tile sizes.\n\n")
	tiles := convTiles(isaAVX2)
	for nv := 1; nv <= 4; nv++ {
		nr := nv * isaAVX2.lanes
		for mr := 1; mr <= tiles[nv]; mr++ {
			fmt.Fprintf(&sb, "func convFwdGo_%dx%d(x, w, y, bias []float32, p []int) { FwdRef(%d, %d, x, w, y, bias, p) }\n", mr, nv, mr, nr)
		}
	}
	sb.WriteString("\n")
	for nv := 1; nv <= 4; nv++ {
		nr := nv * isaAVX2.lanes
		for mr := 1; mr <= tiles[nv]; mr++ {
			fmt.Fprintf(&sb, "func convDWGo_%dx%d(x, dy, dw []float32, p []int) { DWRef(%d, %d, x, dy, dw, p) }\n", mr, nv, mr, nr)
		}
	}
	sb.WriteString("\n")
	for nv := 1; nv <= 4; nv++ {
		nr := nv * isaAVX2.lanes
		for mr := 1; mr <= tiles[nv]; mr++ {
			fmt.Fprintf(&sb, "func convFwdGoBF16_%dx%d(x, w, y, bias []float32, p []int) { FwdBF16Ref(%d, %d, x, w, y, bias, p) }\n", mr, nv, mr, nr)
		}
	}
	sb.WriteString("\n")
	for nv := 1; nv <= 4; nv++ {
		nr := nv * isaAVX2.lanes
		for mr := 1; mr <= tiles[nv]; mr++ {
			fmt.Fprintf(&sb, "func convDWGoBF16_%dx%d(x, dy, dw []float32, p []int) { DWBF16Ref(%d, %d, x, dy, dw, p) }\n", mr, nv, mr, nr)
		}
	}
	return writeFormatted(dir+"/tables_gen.go", sb.String())
}

// writeFormatted gofmts src and writes it to path.
func writeFormatted(path, src string) error {
	out, err := format.Source([]byte(src))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}
