package results

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"
)

// ErrNoResults is wrapped by the error for an input without benchmark lines.
var ErrNoResults = errors.New("no benchmark results")

// MaxFileBytes is the largest input Parse reads: far more than any run or
// merged fleet writes (a result line is about 100 bytes), little enough that
// a wrong file given by mistake cannot exhaust memory.
const MaxFileBytes = 256 << 20

var maxFileBytes = MaxFileBytes // lowered by tests

// Parse reads the results in r, which is named name in errors and in
// Result.File. Lines that are neither configuration nor benchmark lines (go
// test's PASS and ok lines, logs) are skipped, as benchstat skips them;
// configuration values are trimmed (go test pads the cpu line).
//
// It is strict where a lenient reader would silently change what the file
// says: a malformed benchmark line, a benchmark without a name, an iteration
// count below 1, a measurement that is negative, NaN or infinite, a name,
// unit or configuration line that is not text (isText), and a
// configuration key given twice with different values in one block (the
// lines between two results; see checkBlocks) are each an error
// "name:line: what is wrong", and so is an input with no benchmark results
// at all (wrapping ErrNoResults) or one larger than MaxFileBytes.
func Parse(r io.Reader, name string) ([]Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(maxFileBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes: not a results file", name, maxFileBytes)
	}
	out, readErr, errLine := parseResults(data, name)
	if err := checkBlocks(data, name, out, errLine); err != nil {
		return nil, err // it lies before readErr
	}
	if readErr != nil {
		return nil, readErr
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrNoResults)
	}
	return out, nil
}

// parseResults reads the benchmark lines of data up to the first error,
// which it returns with its line (0 when there is none, or it has no line).
func parseResults(data []byte, name string) (out []Result, err error, errLine int) {
	br := benchfmt.NewReader(newTextReader(bytes.NewReader(data), name), name)
	var config []KeyValue
	order := map[string]int{}
	for br.Scan() {
		switch rec := br.Result().(type) {
		case *benchfmt.SyntaxError:
			return out, rec, rec.Line
		case *benchfmt.Result:
			config = fileConfig(rec, config, order)
			res := Result{Name: rec.Name.String(), Iters: rec.Iters, Config: config}
			res.File, res.Line = rec.Pos()
			for _, v := range rec.Values {
				if v.OrigUnit != "" { // as written, not tidied (ns/op, not sec/op)
					v.Value, v.Unit = v.OrigValue, v.OrigUnit
				}
				res.Values = append(res.Values, Value{v.Value, v.Unit})
			}
			if err := res.checkRead(); err != nil {
				return out, fmt.Errorf("%s:%d: %w", name, res.Line, err), res.Line
			}
			out = append(out, res)
		}
	}
	if err := br.Err(); err != nil {
		if te := (*TextError)(nil); errors.As(err, &te) {
			return out, te, te.Line // it names its own line and never echoes the bytes
		}
		var se *benchfmt.SyntaxError
		if errors.As(err, &se) {
			return out, err, se.Line
		}
		return out, err, 0
	}
	return out, nil, 0
}

// checkRead reports what makes a result just read unusable: no name, no
// iterations, or a measurement that is not a finite number ≥ 0 (a benchmark
// measures time, rates and sizes; a negative or infinite one can only be a
// corrupted or forged line, and would turn prices negative or infinite).
func (r Result) checkRead() error {
	if r.Name == "" {
		return fmt.Errorf("benchmark without a name")
	}
	if !isText(r.Name) {
		return fmt.Errorf("benchmark name %q is not text (control characters or bytes that are not UTF-8)", r.Name)
	}
	if r.Iters < 1 {
		return fmt.Errorf("%s: iteration count %d, want at least 1", r.Name, r.Iters)
	}
	for _, v := range r.Values {
		if !isText(v.Unit) {
			return fmt.Errorf("%s: unit %q is not text", r.Name, v.Unit)
		}
		if !(v.Value >= 0) || math.IsInf(v.Value, 0) {
			return fmt.Errorf("%s: %s is %v: a measurement must be a finite number ≥ 0", r.Name, v.Unit, v.Value)
		}
	}
	return nil
}

// checkBlocks refuses a configuration key set twice to different values
// within one block of data, the configuration lines between two results
// (the results are out, read up to line stop, 0 for the whole input): the
// Go benchmark format lets the later line win, so a stray "cores: 64" under
// "cores: 2" would silently multiply a machine's price. The same value
// twice is harmless and allowed, and so is pkg, which go test restates for
// every package it runs, even one whose benchmarks printed no result.
func checkBlocks(data []byte, name string, out []Result, stop int) error {
	isResult := make(map[int]bool, len(out))
	for _, r := range out {
		isResult[r.Line] = true
	}
	type set struct {
		value string
		line  int
	}
	block := map[string]set{}
	s := bufio.NewScanner(bytes.NewReader(data))
	s.Buffer(nil, len(data)+1)
	for line := 1; s.Scan() && (stop == 0 || line < stop); line++ {
		if isResult[line] {
			clear(block)
			continue
		}
		key, val, ok := configLine(s.Bytes())
		if !ok {
			continue
		}
		v := strings.TrimSpace(string(val))
		if !isText(key) || !isText(v) {
			return fmt.Errorf("%s:%d: configuration line %q is not one line of text (control characters or bytes that are not UTF-8)", name, line, key)
		}
		if key == KeyPkg {
			continue
		}
		if prev, ok := block[key]; ok && prev.value != v {
			return fmt.Errorf("%s:%d: configuration key %q given twice in one block: %q (line %d), then %q", name, line, key, prev.value, prev.line, v)
		}
		block[key] = set{v, line}
	}
	return nil
}

// isText reports whether s is UTF-8 without control characters other than
// tabs: what go test writes (testing escapes the rest in benchmark names),
// and what can be echoed to a terminal or page without changing its look.
func isText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return r != '\t' && unicode.IsControl(r) })
}

// configLine reports whether line is a configuration line "key: value" as
// benchfmt reads one (its parseKeyValueLine): a key starting with a
// lowercase letter, without spaces or uppercase letters, then a colon and an
// empty value or blanks and a value.
func configLine(line []byte) (key string, val []byte, ok bool) {
	i := 0
	for i < len(line) {
		r, n := utf8.DecodeRune(line[i:])
		if i == 0 && !unicode.IsLower(r) || unicode.IsSpace(r) || unicode.IsUpper(r) {
			return "", nil, false
		}
		if i > 0 && r == ':' {
			break
		}
		i += n
	}
	if i == 0 || i >= len(line) {
		return "", nil, false
	}
	key, val = string(line[:i]), line[i+1:]
	if len(val) == 0 {
		return key, val, true
	}
	if val[0] != ' ' && val[0] != '\t' {
		return "", nil, false
	}
	return key, bytes.TrimLeft(val, " \t"), true
}

// fileConfig returns the file configuration of rec, in the order its keys
// first appeared in the file (order, updated; benchfmt reorders keys when
// one is cleared, so the same file would otherwise read back in another
// order once written), reusing prev when it is the same so that the results
// of one block share a slice.
func fileConfig(rec *benchfmt.Result, prev []KeyValue, order map[string]int) []KeyValue {
	var kv []KeyValue
	for _, c := range rec.Config {
		v := strings.TrimSpace(string(c.Value))
		if c.File && v != "" { // a value of blanks is no value: the key is unset
			if _, ok := order[c.Key]; !ok {
				order[c.Key] = len(order)
			}
			kv = append(kv, KeyValue{Key: c.Key, Value: v})
		}
	}
	slices.SortFunc(kv, func(a, b KeyValue) int { return order[a.Key] - order[b.Key] })
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
// It stops at the first file that cannot be read or parsed, and refuses a
// file given twice (Distinct), whose samples would count double.
func ReadFiles(paths ...string) ([]Result, error) {
	if err := Distinct(paths...); err != nil {
		return nil, err
	}
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

// Distinct returns an error naming the first file of paths given twice,
// under the same name or another (a link, a relative path: os.SameFile).
// Files that cannot be opened are left to the reader to report.
func Distinct(paths ...string) error {
	infos := make([]os.FileInfo, len(paths))
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		for j := range i {
			if infos[j] != nil && os.SameFile(infos[j], fi) {
				if paths[j] == p {
					return fmt.Errorf("%s given twice: its results would count double", p)
				}
				return fmt.Errorf("%s and %s are the same file: its results would count double", paths[j], p)
			}
		}
		infos[i] = fi
	}
	return nil
}
