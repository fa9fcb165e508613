// Command _gen writes trainbench's generated assembly with avo
// (github.com/mmcloughlin/avo). It is its own module so that the main module
// does not depend on avo; `go generate ./...` in the main module runs it once
// per unit, and CI checks that the committed .s and stub files are what it
// writes.
//
// Usage (from a package directory, see the go:generate lines):
//
//	go run -C ../../_gen . -unit gemm -out ../internal/gemm/micro_amd64.s -stubs ../internal/gemm/micro_amd64.go -pkg gemm
//
// Each unit is one Go package's assembly: -unit selects it, avo's own flags
// (-out, -stubs, -pkg) say where it goes.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	. "github.com/mmcloughlin/avo/build"
)

// units maps a unit name to the function that emits its routines.
var units = map[string]func(){
	"gemm": genGemm,
	"vec":  genVec,
}

func main() {
	unit := flag.String("unit", "", "which package's assembly to generate")
	flag.Parse()
	gen, ok := units[*unit]
	if !ok {
		var names []string
		for n := range units {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "_gen: unknown -unit %q (valid: %s)\n", *unit, strings.Join(names, ", "))
		os.Exit(2)
	}
	ConstraintExpr("!noasm")
	gen()
	Generate()
}
