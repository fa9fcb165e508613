package compare

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/trainbench/trainbench/results"
)

// Input is one input of a comparison: its results and the label that is its
// .file key (the column name by default).
type Input struct {
	Label   string
	Results []results.Result
}

// ReadInputs reads the inputs named by args as benchstat does
// (benchfmt.Files): "-" is standard input, and so is an empty args; an
// argument may be "label=path" to set the input's label; an unlabelled path
// given twice is labelled path#0, path#1. Several inputs may share a label,
// which pools their results (interleaved runs of one build), but not the
// same file, whose results would count double.
//
// Unlike benchstat it is strict, so that a comparison never rests on half a
// file: a malformed benchmark line, a measurement that is not a finite
// number ≥ 0, and an input with no results are each an error naming the
// input. Files are first checked by results.Read, whose rules are stricter
// still (a configuration key set twice in one block); standard input, read
// once, gets the rules above.
func ReadInputs(args []string) ([]Input, error) {
	type want struct{ label, path string }
	var wants []want
	count := map[string]int{}
	for _, a := range args {
		if !strings.Contains(a, "=") {
			count[a]++
		}
	}
	seen := map[string]int{}
	byLabel := map[string][]string{}
	for _, a := range args {
		label, path, ok := strings.Cut(a, "=")
		if !ok {
			label, path = a, a
			if count[path] > 1 {
				label = fmt.Sprintf("%s#%d", path, seen[path])
				seen[path]++
			}
		}
		if label == "" || path == "" {
			return nil, fmt.Errorf("bad input %q: want FILE, LABEL=FILE or - (standard input)", a)
		}
		if ok && path != "-" {
			byLabel[label] = append(byLabel[label], path)
			if err := results.Distinct(byLabel[label]...); err != nil {
				return nil, fmt.Errorf("label %s: %w", label, err)
			}
		}
		if path != "-" {
			if _, err := results.Read(path); err != nil {
				return nil, err
			}
		}
		wants = append(wants, want{label, path})
	}
	if len(wants) == 0 {
		wants = []want{{"-", "-"}}
	}

	files := benchfmt.Files{Paths: args, AllowStdin: true, AllowLabels: true}
	var ins []Input
	next := 0 // the index in wants of the input being read
	for files.Scan() {
		var rec *benchfmt.Result
		switch r := files.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, r
		case *benchfmt.Result:
			rec = r
		}
		file, _ := rec.Pos()
		w := want{rec.GetConfig(".file"), file}
		if len(ins) == 0 || wants[next] != w {
			if len(ins) > 0 {
				next++
			}
			if next < len(wants) && wants[next] != w {
				return nil, noResults(wants[next].path)
			}
			if next == len(wants) { // cannot happen: Files reads them in order
				return nil, fmt.Errorf("%s: input out of order", file)
			}
			ins = append(ins, Input{Label: w.label})
		}
		r, err := fromRecord(rec)
		if err != nil {
			return nil, err
		}
		ins[len(ins)-1].Results = append(ins[len(ins)-1].Results, r)
	}
	if err := files.Err(); err != nil {
		return nil, err
	}
	if len(ins) < len(wants) {
		return nil, noResults(wants[len(ins)].path)
	}
	return ins, nil
}

func noResults(path string) error {
	if path == "-" {
		path = "standard input"
	}
	return fmt.Errorf("%s: %w", path, results.ErrNoResults)
}

// fromRecord converts a record read by benchfmt to a result: its file
// configuration (keys set to blanks are unset) and its values as written
// (ns/op, not benchfmt's tidied sec/op).
func fromRecord(rec *benchfmt.Result) (results.Result, error) {
	r := results.Result{Name: rec.Name.String(), Iters: rec.Iters}
	r.File, r.Line = rec.Pos()
	for _, c := range rec.Config {
		if v := strings.TrimSpace(string(c.Value)); c.File && v != "" {
			r.Config = append(r.Config, results.KeyValue{Key: c.Key, Value: v})
		}
	}
	for _, v := range rec.Values {
		if v.OrigUnit != "" {
			v.Value, v.Unit = v.OrigValue, v.OrigUnit
		}
		if !(v.Value >= 0) || math.IsInf(v.Value, 0) {
			return r, fmt.Errorf("%s:%d: %s: %s is %v: a measurement must be a finite number ≥ 0", r.File, r.Line, r.Name, v.Unit, v.Value)
		}
		r.Values = append(r.Values, results.Value{Value: v.Value, Unit: v.Unit})
	}
	if r.Name == "" || r.Iters < 1 {
		return r, fmt.Errorf("%s:%d: a benchmark line without a name or iterations", r.File, r.Line)
	}
	return r, nil
}
