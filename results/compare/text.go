package compare

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/perf/benchunit"
)

// WriteText writes the tables as benchstat lays them out:
//
//	         │   parent    │                head                 │
//	         │   sec/op    │   sec/op     vs base                │
//	Sgemm/…    1.718µ ± 1%   1.423µ ± 1%  -17.20% (p=0.000 n=10)
//	geomean    2.295µ        2.090µ        -8.94%
//
// "~" marks a change that is not significant at the chosen alpha; notes
// (¹ ²) under a table explain its warnings. Table key changes are printed
// above each table as "key: value" lines.
func (ts *Tables) WriteText(w io.Writer) error {
	if len(ts.Tables) == 0 {
		_, err := fmt.Fprintln(w, "no benchmark results matched")
		return err
	}
	for _, n := range ts.Notes {
		if _, err := fmt.Fprintf(w, "note: %s\n", n); err != nil {
			return err
		}
	}
	if len(ts.Notes) > 0 {
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	if ts.Method != "" {
		if _, err := fmt.Fprintf(w, "%s\n\n", ts.Method); err != nil {
			return err
		}
	}
	if err := ts.writeFamilies(w); err != nil {
		return err
	}
	var prev []string
	for i, t := range ts.Tables {
		if i > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		key := ts.Keys[i]
		fields := key.Projection().FlattenedFields()
		var vals []string
		for j, f := range fields {
			if f.Name == ".unit" {
				continue
			}
			v := key.Get(f)
			vals = append(vals, v)
			if prev == nil || prev[len(vals)-1] != v {
				if _, err := fmt.Fprintf(w, "%s: %s\n", fields[j].Name, v); err != nil {
					return err
				}
			}
		}
		prev = vals
		if err := t.writeText(w); err != nil {
			return err
		}
	}
	return nil
}

// The sub-columns of a column group: center ± range notes, then for groups
// after the first: delta (test) notes.
const (
	subCenter = iota
	subRange
	subNote
	subDelta
	subTest
	subDeltaNote
	nSub
)

type grid struct {
	label []string
	cells [][]([nSub]string) // [row][group]
}

func (t *Table) writeText(w io.Writer) error {
	var notes []string
	noteIndex := map[string]int{}
	note := func(msgs []string) string {
		var marks []string
		for _, m := range msgs {
			i, ok := noteIndex[m]
			if !ok {
				notes = append(notes, m)
				i = len(notes)
				noteIndex[m] = i
			}
			marks = append(marks, superscript(i))
		}
		return strings.Join(marks, " ")
	}
	errs := func(es ...[]error) []string {
		var s []string
		for _, e := range es {
			for _, x := range e {
				s = append(s, x.Error())
			}
		}
		return s
	}

	ng := len(t.Cols)
	var g grid
	cls := benchunit.ClassOf(t.Unit)
	for _, row := range t.Rows {
		cells := make([][nSub]string, ng)
		var centers []float64
		for _, col := range t.Cols {
			if c, ok := t.Cells[CellKey{row, col}]; ok {
				centers = append(centers, c.Summary.Center)
			}
		}
		scale := benchunit.CommonScale(centers, cls)
		for j, col := range t.Cols {
			c, ok := t.Cells[CellKey{row, col}]
			if !ok {
				continue
			}
			cells[j][subCenter] = scale.Format(c.Summary.Center)
			cells[j][subRange] = c.Summary.PctRangeString()
			cells[j][subNote] = note(errs(c.Sample.Warnings, c.Summary.Warnings))
			if j > 0 && c.Baseline != nil {
				cells[j][subDelta] = c.Comparison.FormatDelta(c.Baseline.Summary.Center, c.Summary.Center)
				cells[j][subTest] = "(" + c.Comparison.String() + ")"
				cells[j][subDeltaNote] = note(errs(c.Comparison.Warnings))
			}
		}
		g.label = append(g.label, row.StringValues())
		g.cells = append(g.cells, cells)
	}
	if t.Geomean != nil {
		cells := make([][nSub]string, ng)
		for j, col := range t.Cols {
			s := t.Geomean[col]
			if s.Center == s.Center { // not NaN
				cells[j][subCenter] = benchunit.Scale(s.Center, cls)
			}
			if j > 0 {
				if s.Ratio == s.Ratio {
					cells[j][subDelta] = fmt.Sprintf("%+.2f%%", (s.Ratio-1)*100)
				} else {
					cells[j][subDelta] = "?"
				}
			}
			cells[j][subDeltaNote] = note(s.Warnings)
		}
		g.label = append(g.label, "geomean")
		g.cells = append(g.cells, cells)
	}

	// Widths of the label column and of every sub-column.
	lw := 0
	for _, l := range g.label {
		lw = max(lw, width(l))
	}
	sw := make([][nSub]int, ng)
	for _, cells := range g.cells {
		for j := range cells {
			for k, s := range cells[j] {
				sw[j][k] = max(sw[j][k], width(s))
			}
		}
	}
	// A group's body: center " ± " range [" " note] ["  " delta " " test [" " note]].
	body := func(j int, c [nSub]string, rangeSep string) string {
		var b strings.Builder
		b.WriteString(pad(c[subCenter], sw[j][subCenter], true))
		b.WriteString(rangeSep)
		b.WriteString(pad(c[subRange], sw[j][subRange], true))
		if sw[j][subNote] > 0 {
			b.WriteString(" " + pad(c[subNote], sw[j][subNote], false))
		}
		if j > 0 {
			b.WriteString("  " + pad(c[subDelta], sw[j][subDelta], true))
			b.WriteString(" " + pad(c[subTest], sw[j][subTest], false))
			if sw[j][subDeltaNote] > 0 {
				b.WriteString(" " + pad(c[subDeltaNote], sw[j][subDeltaNote], false))
			}
		}
		return b.String()
	}
	// A group is as wide as its body, its column label and its unit header;
	// extra width goes to the center sub-column, so the body stays right
	// against the next group, as benchstat lays it out.
	centerWidth := func(j int) int {
		cw := sw[j][subCenter] + 3 + sw[j][subRange]
		if sw[j][subNote] > 0 {
			cw += 1 + sw[j][subNote]
		}
		return cw
	}
	gw := make([]int, ng)
	for j := range gw {
		bw := width(body(j, [nSub]string{}, " ± "))
		need := max(width(t.Cols[j].StringValues()), width(t.Unit))
		if j > 0 {
			need = max(need, width(t.Unit)+len("  vs base"))
		}
		if need > bw {
			sw[j][subCenter] += need - bw
			bw = need
		}
		gw[j] = bw
	}

	var out strings.Builder
	line := func(s string) { out.WriteString(strings.TrimRight(s, " ") + "\n") }
	// Header: column labels centered over their groups, then the unit and
	// "vs base".
	var h1, h2 strings.Builder
	h1.WriteString(strings.Repeat(" ", lw))
	h2.WriteString(strings.Repeat(" ", lw))
	for j, col := range t.Cols {
		h1.WriteString(" │ " + center(col.StringValues(), gw[j]))
		if j == 0 {
			h2.WriteString(" │ " + center(t.Unit, gw[j]))
		} else {
			h2.WriteString(" │ " + pad(center(t.Unit, centerWidth(j))+"  vs base", gw[j], false))
		}
	}
	h1.WriteString(" │")
	h2.WriteString(" │")
	line(h1.String())
	line(h2.String())
	for i, cells := range g.cells {
		var b strings.Builder
		b.WriteString(pad(g.label[i], lw, false))
		for j := range cells {
			sep := " ± "
			if cells[j][subCenter] == "" || cells[j][subRange] == "" {
				sep = "   "
			}
			b.WriteString("   " + pad(body(j, cells[j], sep), gw[j], false))
		}
		line(b.String())
	}
	for i, n := range notes {
		line(superscript(i+1) + " " + n)
	}
	_, err := io.WriteString(w, out.String())
	return err
}

func width(s string) int { return utf8.RuneCountInString(s) }

// pad pads s to width w, on the left when right is set.
func pad(s string, w int, right bool) string {
	n := w - width(s)
	if n <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", n) + s
	}
	return s + strings.Repeat(" ", n)
}

func center(s string, w int) string {
	n := w - width(s)
	if n <= 0 {
		return s
	}
	l := n / 2
	return strings.Repeat(" ", l) + s + strings.Repeat(" ", n-l)
}

var superDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

func superscript(i int) string {
	var r []rune
	for ; i > 0; i /= 10 {
		r = append([]rune{superDigits[i%10]}, r...)
	}
	if len(r) == 0 {
		return string(superDigits[0])
	}
	return string(r)
}
