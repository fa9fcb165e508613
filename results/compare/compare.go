// Package compare prints benchstat tables of trainbench results files: the
// median of each benchmark with its confidence interval and, against the
// first column, the change and its p-value. It is benchstat's model
// (golang.org/x/perf/cmd/benchstat) built from the same x/perf pieces:
// benchproc projects each result into a table, row and column with
// benchstat's key syntax (-col /impl, -row /shape, -filter "/isa:avx2"),
// benchmath summarises and compares the samples, benchunit scales the
// numbers.
//
// The defaults differ from benchstat's in three places. Tables are split by
// unit only (benchstat splits by every configuration key, which puts two
// machines in two tables with nothing to compare), and the run date and the
// -P (GOMAXPROCS) suffix are ignored (cases set their own thread count,
// named threads=), both so that files from different machines and runs line
// up. And only the measured metrics are compared unless asked for
// (Options.Metrics): time, GFLOP/s and GB/s, not the constants (FLOP/byte)
// and the shares of a ceiling (%peak, %bw) every result also carries.
package compare

import (
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"

	"github.com/trainbench/trainbench/interference"
	"github.com/trainbench/trainbench/results"
)

// Options are benchstat's slicing and statistics flags.
type Options struct {
	Table  string // split results into tables by this projection (benchstat -table); the unit always splits too
	Row    string // rows by this projection (-row)
	Col    string // columns by this projection (-col); the first column is the baseline
	Ignore string // keys to ignore when grouping (-ignore)
	Filter string // benchproc filter query (-filter)
	// Alpha is the significance level: a change with p >= Alpha shows "~".
	Alpha float64
	// Confidence is the confidence level of the ± ranges.
	Confidence float64
	// Correction is how p-values are adjusted for the many cases compared
	// at once: CorrectionFDR (the default) or CorrectionNone.
	Correction string
	// Metrics are the units compared, as written or tidied ("ns/op" or
	// "sec/op"); nil means DefaultMetrics, unless Filter selects units
	// itself (".unit:..."), and AllMetrics every unit.
	Metrics []string
}

// DefaultMetrics are the units compared by default: what a run measures.
// The other units a result carries are a constant of the case (FLOP/byte)
// or one of these divided by a ceiling (%peak, %bw), which would only
// repeat the comparison in more tables.
var DefaultMetrics = []string{"sec/op", "GFLOP/s", "GB/s"}

// AllMetrics, as Options.Metrics, compares every unit.
var AllMetrics = []string{"all"}

// DefaultOptions returns the defaults: one table per unit, rows by full name,
// columns by input, ignoring the date, the interference findings (both
// differ between runs of the same build) and GOMAXPROCS, alpha 0.05, 95%
// intervals.
func DefaultOptions() Options {
	ignore := append([]string{results.KeyDate}, interference.Keys()...)
	return Options{Table: "", Row: ".fullname", Col: ".file", Ignore: strings.Join(append(ignore, "/gomaxprocs"), ","), Filter: "*",
		Alpha: benchmath.DefaultThresholds.CompareAlpha, Confidence: 0.95, Correction: CorrectionFDR}
}

// Write writes the tables ts built from ins to w as text, after a note for
// each input whose run was flagged for interference.
func Write(w io.Writer, ins []Input, ts *Tables) error {
	if notes := Notes(ins); len(notes) > 0 {
		for _, n := range notes {
			if _, err := fmt.Fprintln(w, n); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintln(w); err != nil {
			return err
		}
	}
	return ts.WriteText(w)
}

// MachineKey is the key that holds each result's machine (the short name
// results.MachineNames gives its results.Identity): -col .machine puts
// machines side by side, -ignore .machine lets a cell pool them.
const MachineKey = ".machine"

// Notes returns one line for each input whose run was flagged by the
// interference detector (interference.Describe), so that a change it
// shows is not taken for the code's.
func Notes(ins []Input) []string {
	var out []string
	for _, in := range ins {
		if d := interference.Describe(in.Results); d != "" {
			out = append(out, "note: "+in.Label+": "+d)
		}
	}
	return out
}

// Build groups the inputs' results into tables as opt says and computes
// their statistics. A cell never pools results of different machines
// (results.Identity) unless opt.Ignore names MachineKey: when the
// projections would pool them, the columns are split by MachineKey too,
// and Tables.Notes says so. Notes also names the machines when the inputs
// hold more than one.
func Build(ins []Input, opt Options) (*Tables, error) {
	if !(opt.Alpha >= 0 && opt.Alpha <= 1) {
		return nil, fmt.Errorf("alpha %v outside [0, 1]", opt.Alpha)
	}
	if !(opt.Confidence > 0 && opt.Confidence < 1) {
		return nil, fmt.Errorf("confidence %v outside (0, 1)", opt.Confidence)
	}
	if opt.Correction == "" {
		opt.Correction = CorrectionFDR
	}
	if err := checkCorrection(opt.Correction); err != nil {
		return nil, err
	}
	var all []results.Result
	for _, in := range ins {
		all = append(all, in.Results...)
	}
	ids := results.Machines(all)
	names := map[results.Identity]string{}
	for i, n := range results.MachineNames(ids) {
		names[ids[i]] = n
	}
	ts, pooled, err := build(ins, opt, names)
	if err != nil {
		return nil, err
	}
	var notes []string
	if len(ids) > 1 {
		var ns []string
		for _, id := range ids {
			ns = append(ns, names[id])
		}
		notes = append(notes, fmt.Sprintf("the inputs hold results of %d machines: %s", len(ids), strings.Join(ns, "; ")))
	}
	if pooled && !ignores(opt.Ignore, MachineKey) {
		opt.Col = strings.TrimPrefix(opt.Col+","+MachineKey, ",")
		if ts, _, err = build(ins, opt, names); err != nil {
			return nil, err
		}
		notes = append(notes, "columns are split by "+MachineKey+" so that no cell pools two machines (-ignore "+MachineKey+" pools them)")
	}
	m := 0
	for _, t := range ts.Tables {
		m = max(m, t.adjust(opt.Correction))
	}
	if strings.TrimSpace(opt.Row) == ".fullname" {
		ts.families(opt.Alpha, opt.Correction)
	}
	if n := ts.tooFew(opt.Alpha); n != "" {
		notes = append(notes, n)
	}
	ts.Method = correctionNote(opt.Correction, m)
	notes = append(notes, ceilingShifts(ins)...)
	ts.Notes = notes
	return ts, nil
}

// ignores reports whether the -ignore list names key.
func ignores(list, key string) bool {
	for _, f := range strings.Split(list, ",") {
		if strings.TrimSpace(f) == key {
			return true
		}
	}
	return false
}

// build groups and summarises the results as opt says; pooled reports
// whether a cell holds results of more than one machine.
func build(ins []Input, opt Options, names map[results.Identity]string) (ts *Tables, pooled bool, err error) {
	filterQuery := opt.Filter
	if strings.TrimSpace(filterQuery) == "" {
		filterQuery = "*"
	}
	filter, err := benchproc.NewFilter(filterQuery)
	if err != nil {
		return nil, false, fmt.Errorf("parsing -filter: %w", err)
	}
	var parser benchproc.ProjectionParser
	tableBy, _, err := parser.ParseWithUnit(opt.Table, filter)
	if err != nil {
		return nil, false, fmt.Errorf("parsing -table: %w", err)
	}
	rowBy, err := parser.Parse(opt.Row, filter)
	if err != nil {
		return nil, false, fmt.Errorf("parsing -row: %w", err)
	}
	colBy, err := parser.Parse(opt.Col, filter)
	if err != nil {
		return nil, false, fmt.Errorf("parsing -col: %w", err)
	}
	if _, err := parser.Parse(opt.Ignore, filter); err != nil {
		return nil, false, fmt.Errorf("parsing -ignore: %w", err)
	}
	residueBy := parser.Residue()

	thresholds := benchmath.DefaultThresholds
	thresholds.CompareAlpha = opt.Alpha
	keep := metricSet(opt)
	b := builder{tables: map[benchproc.Key]*Table{}}
	for _, in := range ins {
		for _, r := range in.Results {
			rec := toBenchfmt(r, in.Label, keep)
			if len(rec.Values) == 0 {
				continue
			}
			machine := names[r.Machine()]
			rec.SetConfig(MachineKey, machine)
			if ok, _ := filter.Apply(rec); !ok {
				continue
			}
			b.add(rec, machine, tableBy, rowBy, colBy, residueBy)
		}
	}
	var keys []benchproc.Key
	for k := range b.tables {
		keys = append(keys, k)
	}
	benchproc.SortKeys(keys)
	ts = &Tables{}
	for _, k := range keys {
		t := b.tables[k]
		t.finish(&thresholds, opt.Confidence)
		ts.Tables = append(ts.Tables, t)
		ts.Keys = append(ts.Keys, k)
	}
	return ts, b.pooled, nil
}

// metricSet returns the tidied units opt compares, nil for every unit.
func metricSet(opt Options) map[string]bool {
	ms := opt.Metrics
	if ms == nil {
		if strings.Contains(opt.Filter, ".unit") {
			return nil
		}
		ms = DefaultMetrics
	}
	set := map[string]bool{}
	for _, m := range ms {
		m = strings.TrimSpace(m)
		if m == AllMetrics[0] {
			return nil
		}
		_, u := benchunit.Tidy(1, m)
		set[u] = true
	}
	return set
}

// toBenchfmt converts a result to the record benchproc projects: file
// configuration, the internal .file key, and values tidied the way
// benchfmt's reader tidies them (ns/op becomes sec/op), keeping the units
// in keep (every unit when keep is nil).
func toBenchfmt(r results.Result, label string, keep map[string]bool) *benchfmt.Result {
	rec := &benchfmt.Result{Name: benchfmt.Name(r.Name), Iters: r.Iters}
	for _, c := range r.Config {
		rec.Config = append(rec.Config, benchfmt.Config{Key: c.Key, Value: []byte(c.Value), File: true})
	}
	rec.SetConfig(".file", label)
	for _, v := range r.Values {
		tv, tu := benchunit.Tidy(v.Value, v.Unit)
		if keep != nil && !keep[tu] {
			continue
		}
		if tu == v.Unit {
			rec.Values = append(rec.Values, benchfmt.Value{Value: v.Value, Unit: v.Unit})
		} else {
			rec.Values = append(rec.Values, benchfmt.Value{Value: tv, Unit: tu, OrigValue: v.Value, OrigUnit: v.Unit})
		}
	}
	return rec
}

// Tables are the tables of one comparison, in order.
type Tables struct {
	Tables []*Table
	Keys   []benchproc.Key // each table's key; the last field is .unit
	// Notes are remarks about the whole comparison (the machines the
	// inputs come from, how they were kept apart).
	Notes []string
	// Families summarises the time tables by kernel family (rows by full
	// name only): each family's change across its cases.
	// Method says how the p-values were adjusted ("" when they were not).
	Method      string
	Families    []FamilyChange
	familyAlpha float64
}

// Table is one unit's grid: rows by the row projection, columns by the
// column projection, the first column the baseline.
type Table struct {
	Unit       string
	Rows, Cols []benchproc.Key
	Cells      map[CellKey]*Cell
	// Geomean holds the geometric mean of each column's centers and of its
	// ratios to the baseline (only when there is more than one row).
	Geomean map[benchproc.Key]*Summary
}

// CellKey indexes a cell of a Table.
type CellKey struct{ Row, Col benchproc.Key }

// Cell is one sample: the values that project to the same row and column.
type Cell struct {
	Sample     *benchmath.Sample
	Summary    benchmath.Summary
	Baseline   *Cell // the row's cell in the first column; nil in the first column or when absent
	Comparison benchmath.Comparison
	// RawP is the test's own p-value; Comparison.P holds it adjusted for the
	// other cases of the column (Options.Correction).
	RawP     float64
	residues map[benchproc.Key]bool
	machine  string // of the first result
}

// Summary is a geomean row entry.
type Summary struct {
	Center   float64 // geometric mean of the column's centers (NaN if not all > 0)
	Ratio    float64 // geometric mean of the ratios to the baseline (NaN if none)
	Warnings []string
}

type builder struct {
	tables map[benchproc.Key]*Table
	pooled bool // some cell holds results of two machines
}

func (b *builder) add(rec *benchfmt.Result, machine string, tableBy, rowBy, colBy, residueBy *benchproc.Projection) {
	row, col, residue := rowBy.Project(rec), colBy.Project(rec), residueBy.Project(rec)
	for i, tk := range tableBy.ProjectValues(rec) {
		t := b.tables[tk]
		if t == nil {
			t = &Table{Unit: rec.Values[i].Unit, Cells: map[CellKey]*Cell{}}
			b.tables[tk] = t
		}
		ck := CellKey{row, col}
		c := t.Cells[ck]
		if c == nil {
			c = &Cell{Sample: &benchmath.Sample{}, residues: map[benchproc.Key]bool{}, machine: machine}
			t.Cells[ck] = c
			t.Rows = appendNew(t.Rows, row)
			t.Cols = appendNew(t.Cols, col)
		}
		b.pooled = b.pooled || c.machine != machine
		c.Sample.Values = append(c.Sample.Values, rec.Values[i].Value)
		c.residues[residue] = true
	}
}

func appendNew(keys []benchproc.Key, k benchproc.Key) []benchproc.Key {
	for _, have := range keys {
		if have == k {
			return keys
		}
	}
	return append(keys, k)
}

// finish sorts the rows and columns and computes every cell's summary and
// comparison and the geomean row.
func (t *Table) finish(th *benchmath.Thresholds, confidence float64) {
	benchproc.SortKeys(t.Rows)
	benchproc.SortKeys(t.Cols)
	assume := benchmath.AssumeNothing
	for _, c := range t.Cells {
		c.Sample = benchmath.NewSample(c.Sample.Values, th)
		c.Summary = assume.Summary(c.Sample, confidence)
		var rs []benchproc.Key
		for k := range c.residues {
			rs = append(rs, k)
		}
		if fs := benchproc.NonSingularFields(rs); len(fs) > 0 {
			var names []string
			for _, f := range fs {
				names = append(names, f.Name)
			}
			c.Sample.Warnings = append(c.Sample.Warnings, fmt.Errorf("benchmarks vary in %s", strings.Join(names, ", ")))
		}
	}
	base := t.Cols[0]
	for k, c := range t.Cells {
		if k.Col == base {
			continue
		}
		if bc, ok := t.Cells[CellKey{k.Row, base}]; ok {
			c.Baseline = bc
			c.Comparison = assume.Compare(bc.Sample, c.Sample)
		}
	}
	if len(t.Rows) < 2 {
		return
	}
	t.Geomean = map[benchproc.Key]*Summary{}
	nBase := 0
	for _, r := range t.Rows {
		if _, ok := t.Cells[CellKey{r, base}]; ok {
			nBase++
		}
	}
	for i, col := range t.Cols {
		s := &Summary{Ratio: math.NaN()}
		var centers, ratios []float64
		for _, r := range t.Rows {
			c, ok := t.Cells[CellKey{r, col}]
			if !ok {
				continue
			}
			centers = append(centers, c.Summary.Center)
			if c.Baseline != nil {
				ratios = append(ratios, ratio(c.Summary.Center, c.Baseline.Summary.Center))
			}
		}
		s.Center = geomean(centers)
		if math.IsNaN(s.Center) {
			s.Warnings = append(s.Warnings, "summaries must be >0 to compute geomean")
		}
		if i > 0 {
			s.Ratio = geomean(ratios)
			if len(ratios) != nBase {
				s.Warnings = append(s.Warnings, "benchmark set differs from baseline; geomeans may not be comparable")
			}
		}
		t.Geomean[col] = s
	}
}

func ratio(a, b float64) float64 {
	if a == b {
		return 1
	}
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// geomean returns the geometric mean of xs, or NaN if xs is empty or holds a
// value that is not > 0.
func geomean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		if !(x > 0) {
			return math.NaN()
		}
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}
