package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// ErrNoResults is wrapped by the error for an input without benchmark lines.
var ErrNoResults = errors.New("no benchmark results")

// Parse reads the results in r, which is named name in errors and in
// Result.File. Lines that are neither configuration nor benchmark lines (go
// test's PASS and ok lines, logs) are skipped, as benchstat skips them;
// configuration values are trimmed (go test pads the cpu line). A
// malformed benchmark line is an error "name:line: what is wrong", and so is
// an input with no benchmark results at all, or one that is not text (a
// *TextError, which never echoes the offending bytes).
func Parse(r io.Reader, name string) ([]Result, error) {
	br := benchfmt.NewReader(newTextReader(r, name), name)
	var out []Result
	var config []KeyValue
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return nil, rec
		case *benchfmt.Result:
			config = fileConfig(rec, config)
			res := Result{Name: rec.Name.String(), Iters: rec.Iters, Config: config}
			res.File, res.Line = rec.Pos()
			for _, v := range rec.Values {
				if v.OrigUnit != "" { // as written, not tidied (ns/op, not sec/op)
					res.Values = append(res.Values, Value{v.OrigValue, v.OrigUnit})
				} else {
					res.Values = append(res.Values, Value{v.Value, v.Unit})
				}
			}
			out = append(out, res)
		}
	}
	if err := br.Err(); err != nil {
		if te := (*TextError)(nil); errors.As(err, &te) {
			return nil, te // it names its own line
		}
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoResults)
	}
	return out, nil
}

// fileConfig returns the file configuration of rec, reusing prev when it is
// the same so that the results of one block share a slice.
func fileConfig(rec *benchfmt.Result, prev []KeyValue) []KeyValue {
	var kv []KeyValue
	for _, c := range rec.Config {
		if c.File {
			kv = append(kv, KeyValue{Key: c.Key, Value: strings.TrimSpace(string(c.Value))})
		}
	}
	if prev != nil && slices.Equal(kv, prev) {
		return prev
	}
	return kv
}

// Read reads the results file at path (see Parse).
func Read(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// ReadFiles reads several results files and returns their results in order.
// It stops at the first file that cannot be read or parsed.
func ReadFiles(paths ...string) ([]Result, error) {
	var out []Result
	for _, p := range paths {
		rs, err := Read(p)
		if err != nil {
			return nil, err
		}
		out = append(out, rs...)
	}
	return out, nil
}
