package compare

import (
	"encoding/csv"
	"fmt"
	"io"
)

// WriteCSV writes the tables as benchstat -format csv does: for each table
// its configuration line, the column labels, a header (unit, CI, then vs
// base and P for every column after the first) and one line per row, the
// center as a plain number; a blank line between tables. Notes and the
// warnings of cells go to warnings, cells named spreadsheet-style (B4: ...),
// as benchstat writes them to stderr.
func (ts *Tables) WriteCSV(w, warnings io.Writer) error {
	for _, n := range ts.Notes {
		fmt.Fprintf(warnings, "note: %s\n", n)
	}
	o := csv.NewWriter(w)
	line := 1
	for i, t := range ts.Tables {
		if i > 0 {
			o.Write([]string{""})
			line++
		}
		key := ts.Keys[i]
		for _, f := range key.Projection().FlattenedFields() {
			if f.Name != ".unit" {
				o.Write([]string{f.Name + ": " + key.Get(f)})
				line++
			}
		}
		line += t.writeCSV(o, line, warnings)
	}
	o.Flush()
	return o.Error()
}

// writeCSV writes one table starting at spreadsheet row start and returns
// the rows written (benchtab's Table.ToCSV).
func (t *Table) writeCSV(o *csv.Writer, start int, warnings io.Writer) (rows int) {
	startCol := func(j int) int { // label, then center+CI, then center+CI+delta+P each
		if j == 0 {
			return 1
		}
		return 3 + (j-1)*4
	}
	var row []string
	clearTo := func(col int) {
		for len(row) < col {
			row = append(row, "")
		}
	}
	emit := func() {
		o.Write(row)
		row = row[:0]
		rows++
	}
	warn := func(msgs []error) {
		for _, m := range msgs {
			fmt.Fprintf(warnings, "%s%d: %s\n", colName(len(row)), start+rows, m)
		}
	}
	for _, f := range t.Cols[0].Projection().FlattenedFields() {
		for j, k := range t.Cols {
			clearTo(startCol(j))
			row = append(row, k.Get(f))
		}
		clearTo(startCol(len(t.Cols)))
		emit()
	}
	for j := range t.Cols {
		clearTo(startCol(j))
		row = append(row, t.Unit, "CI")
		if j > 0 {
			row = append(row, "vs base", "P")
		}
	}
	emit()
	for _, r := range t.Rows {
		row = append(row, r.StringValues())
		for j, col := range t.Cols {
			c, ok := t.Cells[CellKey{r, col}]
			if !ok {
				continue
			}
			clearTo(startCol(j))
			warn(c.Sample.Warnings)
			warn(c.Summary.Warnings)
			row = append(row, fmt.Sprint(c.Summary.Center), c.Summary.PctRangeString())
			if j > 0 && c.Baseline != nil {
				warn(c.Comparison.Warnings)
				row = append(row, c.Comparison.FormatDelta(c.Baseline.Summary.Center, c.Summary.Center), c.Comparison.String())
			}
		}
		emit()
	}
	if t.Geomean != nil {
		row = append(row, "geomean")
		for j, col := range t.Cols {
			s := t.Geomean[col]
			clearTo(startCol(j))
			if s.Center == s.Center {
				row = append(row, fmt.Sprint(s.Center))
			}
			if j > 0 {
				clearTo(startCol(j) + 2)
				if s.Ratio == s.Ratio {
					row = append(row, fmt.Sprintf("%+.2f%%", (s.Ratio-1)*100))
				} else {
					row = append(row, "?")
				}
			}
		}
		clearTo(startCol(len(t.Cols)))
		emit()
	}
	return rows
}

// colName is the spreadsheet name of 0-based column x: A, B, ..., Z, AA.
func colName(x int) string {
	name := ""
	for x++; x > 0; x = (x - 1) / 26 {
		name = string(rune('A'+(x-1)%26)) + name
	}
	return name
}
