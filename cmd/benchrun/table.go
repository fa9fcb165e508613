package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/results"
)

// tableUnits are the columns of run's table after the case name and time.
// A share of a ceiling above 100 is marked "!": not a result (bench.OverCeiling).
var tableUnits = []string{"GFLOP/s", "GB/s", bench.UnitPeak, bench.UnitBW, "FLOP/byte"}

// writeTable prints one row per case (its median over the runs), in the
// order the cases first ran, a blank line between kernels. Names are shown
// without go test's -P suffix.
func writeTable(w io.Writer, rs []results.Result) {
	type row struct {
		name   string
		kernel string
		values map[string][]float64
	}
	var rows []*row
	byName := map[string]*row{}
	for _, r := range rs {
		rw := byName[r.Name]
		if rw == nil {
			rw = &row{name: r.CaseName(), kernel: r.Kernel(), values: map[string][]float64{}}
			byName[r.Name] = rw
			rows = append(rows, rw)
		}
		for _, v := range r.Values {
			rw.values[v.Unit] = append(rw.values[v.Unit], v.Value)
		}
	}
	nw := 0
	for _, rw := range rows {
		nw = max(nw, len(rw.name))
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := fmt.Sprintf("%-*s\ttime/op\t", nw, "case")
	for _, u := range tableUnits {
		header += u + "\t"
	}
	fmt.Fprintln(tw, header+"runs\t")
	for i, rw := range rows {
		if i > 0 && rows[i-1].kernel != rw.kernel {
			fmt.Fprintln(tw, "\t\t\t\t\t\t\t\t")
		}
		line := fmt.Sprintf("%-*s\t", nw, rw.name)
		if ns, ok := median(rw.values["ns/op"]); ok {
			line += fmtDuration(time.Duration(ns)) + "\t"
		} else {
			line += "-\t"
		}
		for _, u := range tableUnits {
			if v, ok := median(rw.values[u]); ok && (u == bench.UnitPeak || u == bench.UnitBW) && bench.OverCeiling(v) {
				line += fmt.Sprintf("%.4g!\t", v)
			} else if ok {
				line += fmt.Sprintf("%.4g\t", v)
			} else {
				line += "-\t"
			}
		}
		fmt.Fprintf(tw, "%s%d\t\n", line, len(rw.values["ns/op"]))
	}
	tw.Flush()
	// Right alignment pads the name column on the left too; drop that.
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		io.WriteString(w, strings.TrimPrefix(line, "  "))
	}
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
