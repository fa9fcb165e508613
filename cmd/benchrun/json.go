package main

import (
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/trainbench/trainbench/results"
)

// runJSONSchema is the schema_version of run's --json document
// (docs/results-json.md). Version 1 was the document without the field:
// runs only. Fields are added, never removed or retyped, so a reader of an
// older version reads a newer one.
const runJSONSchema = 2

// runJSON is what run --json prints: the results as results.ToJSON groups
// them, each block's configuration once more with numbers as numbers, and
// per case the median, min, max and spread of every metric over its runs.
type runJSON struct {
	SchemaVersion int         `json:"schema_version"`
	Runs          []jsonRun   `json:"runs"`
	Aggregates    []aggregate `json:"aggregates"`
}

// jsonRun is a results.JSONRun (config as strings, results) with
// ConfigValues: the same keys, a value that parses as a finite number given
// as a number, any other as its string.
type jsonRun struct {
	results.JSONRun
	ConfigValues map[string]any `json:"config_values"`
}

// aggregate is one case over its runs.
type aggregate struct {
	Name    string                   `json:"name"`   // full name with the -P suffix, as in results
	Case    string                   `json:"case"`   // without the -P suffix
	Kernel  string                   `json:"kernel"` // benchmark family
	Params  map[string]string        `json:"params"`
	Procs   int                      `json:"procs"`
	Runs    int                      `json:"runs"`
	Metrics map[string]metricSummary `json:"metrics"` // unit to its summary
}

// metricSummary summarises one metric of a case over its runs.
type metricSummary struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Spread is Max/Min: 1 when every run agreed; left out when Min is 0.
	Spread *float64 `json:"spread,omitempty"`
	N      int      `json:"n"` // runs that reported the metric
}

// toRunJSON builds run's JSON document of rs.
func toRunJSON(rs []results.Result) runJSON {
	doc := runJSON{SchemaVersion: runJSONSchema, Runs: []jsonRun{}, Aggregates: []aggregate{}}
	for _, r := range results.ToJSON(rs).Runs {
		doc.Runs = append(doc.Runs, jsonRun{JSONRun: r, ConfigValues: configValues(r.Config)})
	}
	for _, c := range groupCases(rs) {
		a := aggregate{Name: c.name, Case: c.first.CaseName(), Kernel: c.first.Kernel(), Params: map[string]string{},
			Procs: c.first.Procs(), Runs: c.runs(), Metrics: map[string]metricSummary{}}
		for _, p := range c.first.Params() {
			a.Params[p.Key] = p.Value
		}
		for _, u := range c.units {
			vs := c.values[u]
			m := metricSummary{Min: slices.Min(vs), Max: slices.Max(vs), N: len(vs)}
			m.Median, _ = median(vs)
			if m.Min > 0 {
				s := results.Round(m.Max / m.Min)
				m.Spread = &s
			}
			a.Metrics[u] = m
		}
		doc.Aggregates = append(doc.Aggregates, a)
	}
	return doc
}

// configValues returns cfg with every value that parses as a finite number
// as that number. The machine label stays a string whatever it looks like:
// it is a name.
func configValues(cfg map[string]string) map[string]any {
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[k] = v
		if k == results.KeyLabel {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			out[k] = f
		}
	}
	return out
}

// writeRunJSON prints run's JSON document of rs.
func writeRunJSON(w io.Writer, rs []results.Result) error {
	return writeJSON(w, toRunJSON(rs))
}
