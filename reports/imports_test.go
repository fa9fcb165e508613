package reports

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImportsNoModelCode keeps the boundary of the package: reports draws
// its own input types and imports no other package of this module (the
// cost model's answers reach it through cmd/benchrun's adapter) except the
// module's internal utilities, which hold no model code (internal/atomicfile
// names the temporaries of the report folder).
func TestImportsNoModelCode(t *testing.T) {
	const module = "github.com/trainbench/trainbench/"
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, module) && !strings.HasPrefix(path, module+"internal/") {
				t.Errorf("%s imports %s: reports must depend only on its own input types", name, path)
			}
		}
	}
	if files == 0 {
		t.Fatal("no Go files found")
	}
}
