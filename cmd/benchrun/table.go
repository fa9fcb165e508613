package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/results"
)

// The --format values: how run and cost print their tables.
const (
	formatText = "text" // aligned columns for a terminal
	formatCSV  = "csv"  // RFC 4180 (encoding/csv), numbers unscaled, for spreadsheets and scripts
	formatMD   = "md"   // GitHub-flavoured Markdown tables
)

// formatFlag is a --format value, checked when it is set so that a mistake
// is a usage error before anything runs.
type formatFlag string

func (f *formatFlag) String() string { return string(*f) }
func (f *formatFlag) Type() string   { return "format" }
func (f *formatFlag) Set(s string) error {
	switch s {
	case formatText, formatCSV, formatMD:
		*f = formatFlag(s)
		return nil
	case "markdown":
		*f = formatMD
		return nil
	}
	return fmt.Errorf("want text, csv or md")
}

// registerFormat adds --format to fs, defaulting to text.
func registerFormat(fs *pflag.FlagSet, f *formatFlag, what string) {
	*f = formatText
	fs.Var(f, "format", what+": text, csv or md (Markdown)")
}

// table is a table of text cells that renders as aligned text, CSV or
// Markdown. A nil row separates groups: a blank line in text, nothing in
// CSV and Markdown.
type table struct {
	header []string
	right  []bool // right-aligned columns (numbers), in text and Markdown
	rows   [][]string
}

// write renders t in format.
func (t *table) write(w io.Writer, format formatFlag) error {
	switch format {
	case formatCSV:
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		for _, r := range t.rows {
			if r != nil {
				cw.Write(r)
			}
		}
		cw.Flush()
		return cw.Error()
	case formatMD:
		var b strings.Builder
		line := func(cells []string) {
			b.WriteString("|")
			for _, c := range cells {
				b.WriteString(" " + mdCell(c) + " |")
			}
			b.WriteString("\n")
		}
		line(t.header)
		sep := make([]string, len(t.header))
		for i := range sep {
			sep[i] = "---"
			if t.isRight(i) {
				sep[i] = "---:"
			}
		}
		b.WriteString("|" + strings.Join(sep, "|") + "|\n")
		for _, r := range t.rows {
			if r != nil {
				line(r)
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	width := make([]int, len(t.header))
	for _, r := range append([][]string{t.header}, t.rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{t.header}, t.rows...) {
		var line strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if t.isRight(i) {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *table) isRight(col int) bool { return col < len(t.right) && t.right[col] }

// mdCell escapes a cell for a Markdown table: a '|' would end the cell.
func mdCell(s string) string {
	if s == "" {
		return " "
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

// tableUnits are the columns of run's table after the case name and time.
// A share of a ceiling above 100 is marked "!": not a result (bench.OverCeiling).
var tableUnits = []string{"GFLOP/s", "GB/s", bench.UnitPeak, bench.UnitBW, "FLOP/byte"}

// caseStats are the runs of one case (results of one name, in the order
// they ran): each unit's values.
type caseStats struct {
	name   string // Result.Name, with the -P suffix
	first  results.Result
	values map[string][]float64
	units  []string // in the order first written
}

// groupCases gathers rs by name, in the order the cases first ran.
func groupCases(rs []results.Result) []*caseStats {
	var out []*caseStats
	byName := map[string]*caseStats{}
	for _, r := range rs {
		c := byName[r.Name]
		if c == nil {
			c = &caseStats{name: r.Name, first: r, values: map[string][]float64{}}
			byName[r.Name] = c
			out = append(out, c)
		}
		for _, v := range r.Values {
			if _, ok := c.values[v.Unit]; !ok {
				c.units = append(c.units, v.Unit)
			}
			c.values[v.Unit] = append(c.values[v.Unit], v.Value)
		}
	}
	return out
}

// median returns the median of unit over the case's runs.
func (c *caseStats) median(unit string) (float64, bool) { return median(c.values[unit]) }

// runs is the number of runs of the case.
func (c *caseStats) runs() int { return len(c.values["ns/op"]) }

// writeTable prints run's full table in format: one row per case (its
// median over the runs) in the order the cases first ran, kernels apart.
// Names are shown without go test's -P suffix. In text and Markdown the
// time is scaled (12.3µs); in CSV it is ns/op and every number unscaled.
func writeTable(w io.Writer, rs []results.Result, format formatFlag) error {
	t := table{header: append(append([]string{"case", "time/op"}, tableUnits...), "runs")}
	if format == formatCSV {
		t.header[1] = "ns/op"
	}
	t.right = make([]bool, len(t.header))
	for i := 1; i < len(t.right); i++ {
		t.right[i] = true
	}
	num := func(v float64) string { return fmt.Sprintf("%.4g", v) }
	if format == formatCSV {
		num = func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	}
	cases := groupCases(rs)
	for i, c := range cases {
		if i > 0 && cases[i-1].first.Kernel() != c.first.Kernel() {
			t.rows = append(t.rows, nil)
		}
		row := []string{c.first.CaseName()}
		switch ns, ok := c.median("ns/op"); {
		case !ok:
			row = append(row, "-")
		case format == formatCSV:
			row = append(row, num(ns))
		default:
			row = append(row, fmtDuration(time.Duration(ns)))
		}
		for _, u := range tableUnits {
			if v, ok := c.median(u); ok && (u == bench.UnitPeak || u == bench.UnitBW) && bench.OverCeiling(v) {
				row = append(row, num(v)+"!")
			} else if ok {
				row = append(row, num(v))
			} else {
				row = append(row, "-")
			}
		}
		t.rows = append(t.rows, append(row, strconv.Itoa(c.runs())))
	}
	return t.write(w, format)
}

func median(xs []float64) (float64, bool) {
	if len(xs) == 0 {
		return 0, false
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// fmtDuration prints d with 3-4 significant digits: 12.3µs, 1.234ms, 2.5s.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.4gµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.4gms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.4gs", d.Seconds())
}
