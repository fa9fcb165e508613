package reports

import (
	"bytes"
	_ "embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// section is one plot with the tables and sentences behind it.
type section struct {
	ID     string
	Fig    figure
	Text   []string
	Tables []*table
}

// workloadPage is one workload's part of the page.
type workloadPage struct {
	Name, ID, Description string
	Quote                 string // "per 1,000 epochs": what the prices are for
	Recs                  []recommendation
	Notes                 []string
	Options               *table
	Sources               *table
	Sections              []section
}

// page is everything the HTML and Markdown templates show.
type page struct {
	Title       string
	Generated   string
	PriceRule   string
	Notes       []string
	Warnings    []string
	Missing     []string
	Machine     []KV // the machine in a few human lines
	MachineRaw  []KV // every configuration line, folded away; empty when Machine holds them as given
	Workloads   []workloadPage
	Kernels     []section
	Ceilings    *table
	Assumptions *table
	Budget      string
	Reproduce   string
}

// figures returns every figure of the page in order.
func (p *page) figures() []figure {
	var fs []figure
	for _, w := range p.Workloads {
		for _, s := range w.Sections {
			fs = append(fs, s.Fig)
		}
	}
	for _, s := range p.Kernels {
		fs = append(fs, s.Fig)
	}
	return fs
}

// build computes the page: views, tables and rendered figures.
func build(in *Input) (*page, error) {
	p := &page{Title: in.Title, Notes: in.Notes, Warnings: in.Warnings, Reproduce: in.Reproduce, PriceRule: priceRule}
	m := readMachine(in.Machine)
	p.Machine = m.summary()
	if m.known > 0 {
		p.MachineRaw = in.Machine
	}
	if p.Title == "" {
		p.Title = "trainbench report"
	}
	if in.Generated.IsZero() {
		p.Generated = "unknown time"
	} else {
		p.Generated = in.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	var limits []string
	if in.BudgetPerEpoch > 0 {
		limits = append(limits, "a budget of "+FormatUSD(in.BudgetPerEpoch)+" per epoch")
	}
	if in.DeadlinePerEpoch > 0 {
		limits = append(limits, "a deadline of "+FormatSeconds(in.DeadlinePerEpoch)+" per epoch")
	}
	p.Budget = strings.Join(limits, " and ")

	anyMeasured := false
	for i := range in.Workloads {
		w := &in.Workloads[i]
		q := quoteFor(w)
		wp := workloadPage{Name: w.Name, ID: "w-" + slug(w.Name), Description: w.Description, Notes: w.Notes, Quote: q.String()}
		wp.Recs = recommend(w, in.BudgetPerEpoch, in.DeadlinePerEpoch, q)
		wp.Notes = append(wp.Notes, workloadGaps(w)...)
		for _, o := range w.Options {
			anyMeasured = anyMeasured || o.Kind == Measured
		}
		wp.Options = optionsTable(w, q)
		wp.Sources = sourcesTable(w)
		figs := []struct {
			id   string
			make func(*Workload, perEpochs) (figure, error)
		}{{"price", pricePlot}, {"tradeoff", tradeoffPlot}, {"buy-rent", buyRentPlot}, {"trend", trendPlot}, {"scale-out", scaleOutPlot}}
		for _, f := range figs {
			fig, err := f.make(w, q)
			if err != nil {
				return nil, fmt.Errorf("workload %q: %w", w.Name, err)
			}
			s := section{ID: wp.ID + "-" + f.id, Fig: fig}
			switch f.id {
			case "price":
				// The options table sits above the plots.
			case "tradeoff":
				s.Tables = append(s.Tables, paretoTable(w, q))
			case "buy-rent":
				if w.BuyVsRent != nil && len(w.BuyVsRent.Points) > 0 {
					t, lines := buyRentTable(w.BuyVsRent)
					s.Tables, s.Text = append(s.Tables, t), lines
				}
			case "trend":
				t, lines := trendTable(w, q)
				s.Tables, s.Text = append(s.Tables, t), lines
			case "scale-out":
				if len(w.ScaleOut) > 0 {
					s.Tables = append(s.Tables, scaleOutTable(w, q))
				}
			}
			wp.Sections = append(wp.Sections, s)
		}
		p.Workloads = append(p.Workloads, wp)
	}

	scal, err := scalingPlot(in.Kernels)
	if err != nil {
		return nil, err
	}
	roof, err := rooflinePlot(in.Kernels, in.Ceilings)
	if err != nil {
		return nil, err
	}
	spd, err := speedupPlot(in.Kernels)
	if err != nil {
		return nil, err
	}
	sps, _ := isaSpeedups(in.Kernels)
	roofT, roofNotes := rooflineTable(roofline(in.Kernels, in.Ceilings), m)
	p.Kernels = []section{
		{ID: "k-scaling", Fig: scal, Tables: []*table{scalingTable(threadScaling(in.Kernels))}},
		{ID: "k-roofline", Fig: roof, Tables: []*table{roofT}, Text: roofNotes},
		{ID: "k-speedup", Fig: spd, Tables: []*table{speedupTable(sps)}},
	}
	p.Ceilings = ceilingsTable(in.Ceilings)
	p.Assumptions = assumptionsTable(in.Assumptions)

	if len(in.Workloads) == 0 {
		p.Missing = append(p.Missing, "No workload was priced: there are no recommendations and no cost plots.")
	}
	if len(in.Machine) == 0 && !anyMeasured {
		p.Missing = append(p.Missing, "No machine was measured: every figure is a catalogued estimate.")
	}
	if len(in.Kernels) == 0 {
		p.Missing = append(p.Missing, "No kernel results were given: the thread-scaling, roofline and speed-up plots are empty.")
	}
	if len(in.Ceilings.Peaks) == 0 && len(in.Ceilings.Bandwidths) == 0 {
		p.Missing = append(p.Missing, "No ceilings were measured: the roofline has no roof.")
	}
	if len(in.Assumptions) == 0 {
		p.Missing = append(p.Missing, "No assumptions were listed: the prices' sources are not shown.")
	}
	return p, nil
}

// workloadGaps says what a workload's report lacks.
func workloadGaps(w *Workload) []string {
	var gaps []string
	if len(w.Options) == 0 {
		return []string{"No hardware option was priced for this workload (no measurement and no catalog entry)."}
	}
	measured, priced, timed, years := 0, 0, 0, 0
	for _, o := range w.Options {
		if o.Kind == Measured {
			measured++
		}
		if _, _, ok := o.headline(); ok {
			priced++
		}
		if o.Seconds.OK() {
			timed++
		}
		if o.ReleaseYear > 0 {
			years++
		}
	}
	if measured == 0 {
		gaps = append(gaps, "No option was measured for this workload: all figures are catalogued estimates.")
	}
	if priced < len(w.Options) {
		gaps = append(gaps, fmt.Sprintf("%d of %d options have no price.", len(w.Options)-priced, len(w.Options)))
	}
	if timed < len(w.Options) {
		gaps = append(gaps, fmt.Sprintf("%d of %d options have no time per epoch.", len(w.Options)-timed, len(w.Options)))
	}
	if w.BuyVsRent == nil || len(w.BuyVsRent.Points) == 0 {
		gaps = append(gaps, "No buy-versus-rent series was given.")
	}
	if len(w.ScaleOut) == 0 {
		gaps = append(gaps, "No scale-out estimate was given.")
	}
	return gaps
}

//go:embed page.html.tmpl
var htmlSource string

//go:embed summary.md.tmpl
var mdSource string

var htmlTmpl = htmltemplate.Must(htmltemplate.New("page").Funcs(htmltemplate.FuncMap{
	"numclass": func(t *table, i int) string {
		if i < len(t.Num) && t.Num[i] {
			return "num"
		}
		return ""
	},
}).Parse(htmlSource))

var mdTmpl = texttemplate.Must(texttemplate.New("summary").Funcs(texttemplate.FuncMap{
	"mdtable": mdTable,
	"md":      mdEscape,
}).Parse(mdSource))

func renderHTML(p *page) ([]byte, error) {
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("index.html: %w", err)
	}
	return b.Bytes(), nil
}

func renderMarkdown(p *page) ([]byte, error) {
	var b bytes.Buffer
	if err := mdTmpl.Execute(&b, p); err != nil {
		return nil, fmt.Errorf("summary.md: %w", err)
	}
	return b.Bytes(), nil
}

// mdEscape escapes the characters that would break a Markdown table or
// start markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", "[", `\[`, "]", `\]`, "\n", " ")
	return r.Replace(s)
}

// mdURL escapes what would end a Markdown link target early.
var mdURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")

func mdCell(c cell) string {
	if len(c.Links) == 0 {
		if c.Sub != "" {
			return mdEscape(c.Text + " (" + c.Sub + ")")
		}
		return mdEscape(c.Text)
	}
	parts := make([]string, len(c.Links))
	for i, l := range c.Links {
		if l.URL == "" {
			parts[i] = mdEscape(l.Text)
		} else {
			parts[i] = "[" + mdEscape(l.Text) + "](" + mdURL.Replace(l.URL) + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// mdTable renders a table as a GitHub-flavoured Markdown table.
func mdTable(t *table) string {
	if len(t.Rows) == 0 {
		return "_(no rows)_"
	}
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	head := make([]string, len(t.Head))
	align := make([]string, len(t.Head))
	for i, h := range t.Head {
		head[i] = mdEscape(h)
		align[i] = "---"
		if t.Num[i] {
			align[i] = "---:"
		}
	}
	row(head)
	row(align)
	for _, r := range t.Rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdCell(c)
		}
		row(cells)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
