// Package layering holds the test that keeps trainbench's import graph
// running one way: data at the bottom (machine, shape, benchname, workload),
// the file format (results) and the cost model (costmodel) above it, and
// none of them linking the code that measures (ceiling, the kernels, the
// benchmark table, the trainer).
package layering

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/trainbench/trainbench"

// rules say, for each package, which packages it must not depend on,
// directly or through others. A forbidden path also forbids every package
// below it ("kernels" forbids "kernels/cpu").
var rules = []struct {
	pkgs      []string
	forbidden []string
	why       string
}{
	{[]string{"costmodel"}, []string{"bench", "kernels", "ceiling", "nn"},
		"the cost model prices measurements; it runs no benchmark or kernel"},
	{[]string{"results", "results/compare"}, []string{"ceiling", "kernels"},
		"the results format is data; it measures nothing"},
	{[]string{"machine", "shape", "benchname", "workload"}, []string{"kernels", "ceiling", "bench", "nn", "costmodel"},
		"the data at the bottom imports no executing code"},
	{[]string{"interference"}, []string{"kernels", "ceiling", "bench", "nn", "costmodel"},
		"the interference detector reads counters and results; it measures nothing by running kernels"},
	{[]string{"reports"}, []string{"costmodel", "ceiling", "bench", "kernels", "nn", "results", "workload"},
		"the report draws the plain Input it is given; the cost model hands it finished answers"},
}

// pkg is what go list -json says about a package.
type pkg struct {
	ImportPath string
	Imports    []string
}

// graph returns the import graph of roots and all their dependencies (not
// their tests): import path to direct imports.
func graph(t *testing.T, roots []string) map[string][]string {
	t.Helper()
	args := append([]string{"list", "-deps", "-json=ImportPath,Imports"}, roots...)
	cmd := exec.Command("go", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	g := map[string][]string{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		g[p.ImportPath] = p.Imports
	}
	return g
}

// forbiddenPath returns an import chain from root to a package under one of
// forbidden (module-relative paths), or nil when there is none. The search
// is breadth first, so the chain is a shortest one.
func forbiddenPath(g map[string][]string, root string, forbidden []string) []string {
	bad := func(p string) bool {
		rel, ok := strings.CutPrefix(p, module+"/")
		return ok && slices.ContainsFunc(forbidden, func(f string) bool { return rel == f || strings.HasPrefix(rel, f+"/") })
	}
	from := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if bad(p) {
			chain := []string{p}
			for q := from[p]; q != ""; q = from[q] {
				chain = append([]string{q}, chain...)
			}
			return chain
		}
		for _, q := range g[p] {
			if _, seen := from[q]; !seen {
				from[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}

// TestLayering fails, naming the chain of imports, when a package depends on
// one its rule forbids.
func TestLayering(t *testing.T) {
	var roots []string
	for _, r := range rules {
		for _, p := range r.pkgs {
			roots = append(roots, module+"/"+p)
		}
	}
	g := graph(t, roots)
	for _, r := range rules {
		for _, p := range r.pkgs {
			root := module + "/" + p
			if _, ok := g[root]; !ok {
				t.Errorf("%s: not in go list's output", root)
				continue
			}
			if chain := forbiddenPath(g, root, r.forbidden); chain != nil {
				t.Errorf("%s imports %s (%s): %s", p, chain[len(chain)-1], r.why, strings.Join(chain, " → "))
			}
		}
	}
}

// TestLayeringSeesImports checks the check itself: the benchmark table does
// depend on the kernels, through a chain that starts at it.
func TestLayeringSeesImports(t *testing.T) {
	root := module + "/bench"
	chain := forbiddenPath(graph(t, []string{root}), root, []string{"kernels"})
	if len(chain) < 2 || chain[0] != root || !strings.HasPrefix(chain[len(chain)-1], module+"/kernels") {
		t.Errorf("bench → kernels not found: %v", chain)
	}
}
