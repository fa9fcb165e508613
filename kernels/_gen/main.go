// Command _gen writes trainbench's generated assembly with avo
// (github.com/mmcloughlin/avo). It is its own module so that the main module
// does not depend on avo; `go generate ./...` in the main module runs it once
// per unit, and CI checks that the committed .s and stub files are what it
// writes.
//
// Usage (from a package directory, see the go:generate lines):
//
//	go run -C ../../_gen . -unit vec -out ../internal/vec/vec_amd64.s -stubs ../internal/vec/vec_amd64.go -pkg vec
//
// Each unit is one Go package's assembly: -unit selects it, avo's own flags
// (-out, -stubs, -pkg) say where it goes. Beside the stubs file (x_amd64.go,
// build tag !noasm) the generator writes x_noasm.go (build tag !amd64 ||
// noasm), which defines the same names as calls of their pure-Go twins (see
// routine); some units also write Go tables of their routines.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	. "github.com/mmcloughlin/avo/build"
)

// unit is one package's generated code: asm emits its assembly routines
// through avo (declaring each with routine); goFiles, if set, writes further
// generated Go files (tables of the routines) into the package directory: -dir,
// or by default the directory of -stubs.
type unit struct {
	asm     func()
	goFiles func(dir string) error
}

// units maps a unit name to its generators.
var units = map[string]unit{
	"gemm":    {asm: func() { genGemm(); genTranspose(); genGemmBF16() }, goFiles: writeGemmGo},
	"ceiling": {asm: genCeiling},
	"conv":    {asm: genConv, goFiles: writeConvGo},
	"vec":     {asm: genVec},
	"norm":    {asm: genNorm},
	"tfvec":   {asm: genTFVec},
	"wino":    {asm: genWino, goFiles: writeWinoGo},
}

func main() {
	unitName := flag.String("unit", "", "which package's assembly to generate")
	dir := flag.String("dir", "", "package directory for generated Go files (default: the directory of -stubs)")
	flag.Parse()
	gen, ok := units[*unitName]
	if !ok {
		var names []string
		for n := range units {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "_gen: unknown -unit %q (valid: %s)\n", *unitName, strings.Join(names, ", "))
		os.Exit(2)
	}
	ConstraintExpr("!noasm")
	gen.asm()
	if err := writeNoasm(*unitName); err != nil {
		fmt.Fprintln(os.Stderr, "_gen:", err)
		os.Exit(1)
	}
	if gen.goFiles != nil {
		if *dir == "" {
			*dir = filepath.Dir(flag.Lookup("stubs").Value.String())
		}
		if err := gen.goFiles(*dir); err != nil {
			fmt.Fprintln(os.Stderr, "_gen:", err)
			os.Exit(1)
		}
	}
	Generate()
}
