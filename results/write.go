package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/trainbench/trainbench/internal/atomicfile"
)

// Write writes rs in the Go benchmark format with benchfmt.Writer: a
// configuration block before the first result and again wherever the
// configuration changes (a key that disappears is cleared with an empty
// "key:" line, so it does not leak into the next machine's block), then one
// line per result. It checks every key, name and value first and writes
// nothing if one is not representable.
func Write(w io.Writer, rs []Result) error {
	recs := make([]*benchfmt.Result, len(rs))
	var prev []KeyValue
	var prevCfg []benchfmt.Config
	for i, r := range rs {
		if err := r.check(); err != nil {
			return err
		}
		if prevCfg == nil || !slices.Equal(r.Config, prev) {
			prevCfg = make([]benchfmt.Config, len(r.Config))
			for j, c := range r.Config {
				prevCfg[j] = benchfmt.Config{Key: c.Key, Value: []byte(c.Value), File: true}
			}
			prev = r.Config
		}
		rec := &benchfmt.Result{Config: prevCfg, Name: benchfmt.Name(r.Name), Iters: r.Iters}
		for _, v := range r.Values {
			rec.Values = append(rec.Values, benchfmt.Value{Value: v.Value, Unit: v.Unit})
		}
		recs[i] = rec
	}
	bw := benchfmt.NewWriter(w)
	for _, rec := range recs {
		if err := bw.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

// check reports why r cannot be written so that it reads back the same.
func (r Result) check() error {
	switch {
	case r.Name == "" || strings.ContainsFunc(r.Name, isSpace):
		return fmt.Errorf("results: bad benchmark name %q", r.Name)
	case r.Iters < 1:
		return fmt.Errorf("results: %s: iteration count %d, want at least 1", r.Name, r.Iters)
	case len(r.Values) == 0:
		return fmt.Errorf("results: %s: no measurements", r.Name)
	}
	for _, v := range r.Values {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			return fmt.Errorf("results: %s: %s is %v", r.Name, v.Unit, v.Value)
		}
		if v.Unit == "" || strings.ContainsFunc(v.Unit, isSpace) {
			return fmt.Errorf("results: %s: bad unit %q", r.Name, v.Unit)
		}
	}
	seen := map[string]bool{}
	for _, c := range r.Config {
		switch {
		case !ValidKey(c.Key):
			return fmt.Errorf("results: bad configuration key %q (lowercase first letter, no spaces or uppercase)", c.Key)
		case seen[c.Key]:
			return fmt.Errorf("results: configuration key %q given twice", c.Key)
		case c.Value == "" || strings.ContainsAny(c.Value, "\r\n") || c.Value != strings.TrimSpace(c.Value):
			return fmt.Errorf("results: configuration %s: value %q must be one non-empty line without surrounding spaces", c.Key, c.Value)
		}
		seen[c.Key] = true
	}
	return nil
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// WriteFile writes rs to path atomically: into a temporary file in the same
// directory, synced, then renamed over path. A reader sees the old file or the
// new one, never a truncated one; on error path is untouched.
func WriteFile(path string, rs []Result) error {
	var buf bytes.Buffer
	if err := Write(&buf, rs); err != nil {
		return err
	}
	return WriteFileAtomic(path, buf.Bytes())
}

// WriteFileAtomic writes data to path through a temporary file renamed into
// place, with mode 0644 for a new file (internal/atomicfile: the temporary is
// removed on every error, and those a killed earlier write of path left
// behind are removed first).
func WriteFileAtomic(path string, data []byte) error {
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Merge reads the results files srcs in order and writes all their results to
// dst (atomically). Each file's configuration blocks are kept, so results
// from several machines stay told apart by their machine keys (Identity). A
// file given twice is refused (ReadFiles), as its samples would count
// double. dst may be one of srcs: every input is read before dst is
// replaced, so "merge -o all.txt all.txt new.txt" adds new.txt to all.txt.
func Merge(dst string, srcs ...string) error {
	rs, err := ReadFiles(srcs...)
	if err != nil {
		return err
	}
	return WriteFile(dst, rs)
}

// JSON is the shape WriteJSON writes: results grouped into runs that share a
// configuration.
type JSON struct {
	Runs []JSONRun `json:"runs"`
}

// JSONRun is one configuration block and its results.
type JSONRun struct {
	Config  map[string]string `json:"config"`
	Results []JSONResult      `json:"results"`
}

// JSONResult is one result line.
type JSONResult struct {
	Name    string             `json:"name"`   // full name with the -P suffix
	Kernel  string             `json:"kernel"` // benchmark family
	Params  map[string]string  `json:"params"` // the name's key=value elements
	Procs   int                `json:"procs"`  // GOMAXPROCS suffix
	Iters   int                `json:"iterations"`
	Metrics map[string]float64 `json:"metrics"` // unit to value: ns/op, GFLOP/s, ...
}

// ToJSON groups rs into runs of consecutive results that share a
// configuration.
func ToJSON(rs []Result) JSON {
	out := JSON{Runs: []JSONRun{}}
	var prev []KeyValue
	for i, r := range rs {
		if i == 0 || !slices.Equal(r.Config, prev) {
			cfg := map[string]string{}
			for _, c := range r.Config {
				cfg[c.Key] = c.Value
			}
			out.Runs = append(out.Runs, JSONRun{Config: cfg})
			prev = r.Config
		}
		jr := JSONResult{Name: r.Name, Kernel: r.Kernel(), Params: map[string]string{}, Procs: r.Procs(), Iters: r.Iters, Metrics: map[string]float64{}}
		for _, p := range r.Params() {
			jr.Params[p.Key] = p.Value
		}
		for _, v := range r.Values {
			jr.Metrics[v.Unit] = v.Value
		}
		run := &out.Runs[len(out.Runs)-1]
		run.Results = append(run.Results, jr)
	}
	return out
}

// WriteJSON writes rs as indented JSON (see JSON) for scripts.
func WriteJSON(w io.Writer, rs []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(rs))
}
