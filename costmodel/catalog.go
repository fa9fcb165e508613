package costmodel

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/internal/safeyaml"
)

//go:embed catalog.yaml
var embeddedCatalog []byte

// EmbeddedCatalogName is the file name errors give for the embedded catalog.
const EmbeddedCatalogName = "costmodel/catalog.yaml"

// Quantity is one catalogued number with its provenance: a value (and, for
// prices quoted by several providers, the low and high of the range), the
// source it comes from and the date of that source. A value derived by
// arithmetic says how in Derived. A number nobody published is Unsourced,
// with a Note saying why; the model then treats it as unknown.
type Quantity struct {
	Value     float64 `yaml:"value,omitempty" json:"value,omitempty"`
	Low       float64 `yaml:"low,omitempty" json:"low,omitempty"`
	High      float64 `yaml:"high,omitempty" json:"high,omitempty"`
	Source    string  `yaml:"source,omitempty" json:"source,omitempty"`
	Date      string  `yaml:"date,omitempty" json:"date,omitempty"` // 2026, 2026-03 or 2026-03-15
	Derived   string  `yaml:"derived,omitempty" json:"derived,omitempty"`
	Unsourced bool    `yaml:"unsourced,omitempty" json:"unsourced,omitempty"`
	Note      string  `yaml:"note,omitempty" json:"note,omitempty"`
	// Authority is AuthorityPrimary (the maker's datasheet, the provider's
	// own price list) or AuthoritySecondary (a copy, an aggregator); empty
	// when the catalog does not say.
	Authority string `yaml:"authority,omitempty" json:"authority,omitempty"`
}

// Authorities of a source.
const (
	AuthorityPrimary   = "primary"
	AuthoritySecondary = "secondary"
)

// Markets a rental price is quoted in. Prices are compared within one
// market, because a ratio of two prices from different markets is partly a
// ratio of marketplaces.
const (
	MarketHyperscaler = "hyperscaler-on-demand" // AWS, GCP, Azure list prices
	MarketNeocloud    = "neocloud"              // GPU clouds' own list prices
	MarketMarketplace = "marketplace"           // per-host offers (Vast.ai, RunPod community)
	MarketSpot        = "spot"                  // preemptible capacity
	MarketCommitted   = "committed"             // 1- or 3-year reservations
)

// Markets lists the markets in the order reports show them.
var Markets = []string{MarketHyperscaler, MarketNeocloud, MarketMarketplace, MarketSpot, MarketCommitted}

// Price is one rental price of an option: what an hour of it costs in one
// market from one provider.
type Price struct {
	Market   string   `yaml:"market" json:"market"`
	Provider string   `yaml:"provider" json:"provider"`
	Offer    string   `yaml:"offer,omitempty" json:"offer,omitempty"`   // "p5.48xlarge / 8"
	Region   string   `yaml:"region,omitempty" json:"region,omitempty"` // "us-east-1"
	USDh     Quantity `yaml:"usd_h" json:"usd_h"`
}

// Known reports whether the quantity has a sourced value.
func (q Quantity) Known() bool { return !q.Unsourced && q.Value > 0 }

// Range returns the quantity as a Range: Low and High where given, Value
// otherwise.
func (q Quantity) Range() Range {
	r := Range{Low: q.Value, Mid: q.Value, High: q.Value}
	if q.Low > 0 {
		r.Low = q.Low
	}
	if q.High > 0 {
		r.High = q.High
	}
	return r
}

// Efficiency is the fraction of dense peak that GEMM-like layers reach in
// training on an option: Low, Mid and High, with the source of the range.
type Efficiency struct {
	Low    float64 `yaml:"low" json:"low"`
	Mid    float64 `yaml:"mid" json:"mid"`
	High   float64 `yaml:"high" json:"high"`
	Source string  `yaml:"source" json:"source"`
	Date   string  `yaml:"date" json:"date"`
}

// Kinds of catalogued options.
const (
	KindGPU         = "gpu"          // a GPU, priced per GPU
	KindTPU         = "tpu"          // a TPU chip
	KindCPUInstance = "cpu-instance" // a cloud CPU instance (Cores vCPUs)
	KindCPU         = "cpu"          // a CPU to buy (Cores cores)
)

var kinds = []string{KindGPU, KindTPU, KindCPUInstance, KindCPU}

// Precisions are the arithmetic precisions a catalog gives peaks for, in the
// order the model falls back through when an option lacks the one asked for.
var Precisions = []benchname.Precision{benchname.BF16, benchname.F16, benchname.TF32, benchname.F32}

// Option is one catalogued hardware option: what it can do, what it costs,
// and where each number comes from. Units are in the field names.
type Option struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	Kind string `yaml:"kind" json:"kind"` // KindGPU, KindTPU, KindCPUInstance, KindCPU
	// Cores is the vCPUs of a CPU instance or the cores of a CPU (CPU kinds
	// only).
	Cores       *Quantity `yaml:"cores,omitempty" json:"cores,omitempty"`
	ReleaseYear Quantity  `yaml:"release_year" json:"release_year"`
	// PeakTFLOPS is the dense peak per precision (f32, tf32, bf16, f16;
	// a file may spell them fp32 and fp16, which parsing makes canonical).
	PeakTFLOPS map[benchname.Precision]Quantity `yaml:"peak_tflops" json:"peak_tflops"`
	MemoryGBs  Quantity                         `yaml:"memory_gbs" json:"memory_gbs"`
	MemoryGB   Quantity                         `yaml:"memory_gb" json:"memory_gb"`
	TDPW       Quantity                         `yaml:"tdp_w" json:"tdp_w"`
	// OnDemandUSDh and SpotUSDh are rental prices without a market: a user
	// catalog may give them instead of Prices (the embedded catalog uses
	// Prices). They match any market an estimate asks for.
	OnDemandUSDh Quantity `yaml:"on_demand_usd_h,omitempty" json:"on_demand_usd_h,omitempty"`
	SpotUSDh     Quantity `yaml:"spot_usd_h,omitempty" json:"spot_usd_h,omitempty"`
	// Prices are the option's rental prices, each in its market.
	Prices      []Price  `yaml:"prices,omitempty" json:"prices,omitempty"`
	PurchaseUSD Quantity `yaml:"purchase_usd" json:"purchase_usd"`
	// HostUSD is the rest of the machine an owned accelerator needs, per
	// accelerator (a server's or workstation's share besides the chip);
	// NodePowerW the whole node's power per accelerator. Owning is priced
	// as that system (absent: the chip alone, which the estimate says).
	HostUSD    *Quantity `yaml:"host_usd,omitempty" json:"host_usd,omitempty"`
	NodePowerW *Quantity `yaml:"node_power_w,omitempty" json:"node_power_w,omitempty"`
	// Family is the accelerator family the calibrated efficiencies are
	// looked up by (Calibration.Efficiency); empty or unknown families use
	// Efficiency.
	Family string `yaml:"family,omitempty" json:"family,omitempty"`
	// Efficiency is the option's own GEMM-efficiency range, used when the
	// calibration has no cell for its family (CPUs, user options).
	Efficiency    Efficiency `yaml:"efficiency" json:"efficiency"`
	MemEfficiency *Quantity  `yaml:"memory_efficiency,omitempty" json:"memory_efficiency,omitempty"`

	// Measured, when set, makes this a measured option: its times come from
	// these kernel measurements instead of the roofline of the catalogued
	// figures (see MeasuredOption).
	Measured *MeasuredMachine `yaml:"-" json:"-"`
	// Notes are carried into the option's estimate (MeasuredOption says
	// here how it priced the machine).
	Notes []string `yaml:"-" json:"-"`
}

// Catalog is a list of options, in file order. AsOf is the date the
// catalog's prices were last reviewed (the embedded catalog's staleness test
// measures its prices' age against it).
type Catalog struct {
	AsOf    string   `yaml:"as_of,omitempty" json:"as_of,omitempty"`
	Options []Option `yaml:"options" json:"options"`
}

// PriceIn returns the option's price in market m: the cheapest of its
// Prices in m, else the market-less OnDemandUSDh (any market but spot) or
// SpotUSDh (spot). ok is false when it has none.
func (o Option) PriceIn(m string) (p Price, ok bool) {
	for _, q := range o.Prices {
		if q.Market == m && q.USDh.Known() && (!ok || q.USDh.Value < p.USDh.Value) {
			p, ok = q, true
		}
	}
	if ok {
		return p, true
	}
	legacy := o.OnDemandUSDh
	if m == MarketSpot {
		legacy = o.SpotUSDh
	}
	if legacy.Known() {
		return Price{Market: m, Provider: "unlabelled", USDh: legacy}, true
	}
	return Price{}, false
}

// AnyOnDemand returns the option's cheapest non-spot rental price in any
// market, for pricing a measured machine per core like a catalogued
// instance.
func (o Option) AnyOnDemand() (Price, bool) {
	var best Price
	ok := false
	for _, m := range Markets {
		if m == MarketSpot {
			continue
		}
		if p, found := o.PriceIn(m); found && (!ok || p.USDh.Value < best.USDh.Value) {
			best, ok = p, true
		}
	}
	return best, ok
}

// Lookup returns the option with that id.
func (c Catalog) Lookup(id string) (Option, bool) {
	for _, o := range c.Options {
		if o.ID == id {
			return o, true
		}
	}
	return Option{}, false
}

// IDs returns the ids of the options in catalog order.
func (c Catalog) IDs() []string {
	ids := make([]string, len(c.Options))
	for i, o := range c.Options {
		ids[i] = o.ID
	}
	return ids
}

// EmbeddedCatalog returns the catalog shipped with trainbench
// (costmodel/catalog.yaml).
func EmbeddedCatalog() Catalog {
	c, err := ParseCatalog(EmbeddedCatalogName, embeddedCatalog)
	if err != nil {
		panic(fmt.Sprintf("costmodel: the embedded catalog is invalid: %v", err))
	}
	return c
}

// LoadCatalog returns the embedded catalog overridden and extended by the
// given files, in order: an option whose id is already in the catalog
// replaces it whole; a new id is appended. Each file is at most
// safeyaml.MaxFileSize bytes and is validated on its own; errors name the
// file, the line, the option and the field.
func LoadCatalog(paths ...string) (Catalog, error) {
	c := EmbeddedCatalog()
	for _, p := range paths {
		data, err := safeyaml.ReadFile(p)
		if err != nil {
			return Catalog{}, err
		}
		u, err := ParseCatalog(p, data)
		if err != nil {
			return Catalog{}, err
		}
		c = c.Merge(u)
	}
	return c, nil
}

// Merge returns c with the options of u: same id replaces, new id appends.
func (c Catalog) Merge(u Catalog) Catalog {
	out := Catalog{AsOf: c.AsOf, Options: slices.Clone(c.Options)}
	for _, o := range u.Options {
		if i := slices.IndexFunc(out.Options, func(p Option) bool { return p.ID == o.ID }); i >= 0 {
			out.Options[i] = o
		} else {
			out.Options = append(out.Options, o)
		}
	}
	return out
}

// CatalogError is an invalid field of a catalog file.
type CatalogError struct {
	File   string
	Line   int    // 0 when unknown
	Option string // option id ("" for file-level errors)
	Field  string // path in the file: "options[3].peak_tflops.bf16.date"
	Msg    string
}

func (e *CatalogError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Option != "" {
		return fmt.Sprintf("%s: option %s: %s: %s", loc, e.Option, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
}

// ParseCatalog reads a catalog from YAML or JSON data (JSON is YAML's flow
// style) and validates it; name is the file name errors give. Unknown fields
// are errors, and so are anchors and aliases, which could expand a small file
// without bound (see package safeyaml for the limits). Precisions come back
// in their canonical spelling (benchname.CanonicalPrecision: fp32 is f32).
func ParseCatalog(name string, data []byte) (Catalog, error) {
	var c Catalog
	doc, err := safeyaml.Decode(name, data, &c)
	if err != nil {
		return Catalog{}, err
	}
	if err := c.Validate(); err != nil {
		return Catalog{}, inFile(err, name, doc)
	}
	for i, o := range c.Options {
		peaks := map[benchname.Precision]Quantity{}
		for p, q := range o.PeakTFLOPS {
			peaks[benchname.CanonicalPrecision(string(p))] = q
		}
		c.Options[i].PeakTFLOPS = peaks
	}
	return c, nil
}

// Validate is ValidateAt the current time.
func (c Catalog) Validate() error { return c.ValidateAt(time.Now()) }

// ValidateAt checks every option as of the time now: id, name and kind
// present and ids unique; every quantity either sourced (a value in its
// field's range, a source, a date that parses and is not after now, low ≤
// value ≤ high) or marked unsourced with a note; every rental price with a
// known market and a provider; precisions known; at least one peak;
// efficiencies in (0, 1] with low ≤ mid ≤ high and a source; cores only (and
// always) on CPU kinds. The ranges (quantityFields) are wide but finite, so
// that a typo of a few digits is refused rather than printed as a price of
// 300 digits. Errors are *CatalogError values naming the option and the
// field.
func (c Catalog) ValidateAt(now time.Time) error {
	if len(c.Options) == 0 {
		return &CatalogError{Field: "options", Msg: "no options"}
	}
	if c.AsOf != "" && !validDate(c.AsOf) {
		return &CatalogError{Field: "as_of", Msg: fmt.Sprintf("%s, want YYYY, YYYY-MM or YYYY-MM-DD", short(c.AsOf))}
	}
	seen := map[string]int{}
	for i, o := range c.Options {
		path := fmt.Sprintf("options[%d]", i)
		fail := func(field, format string, args ...any) error {
			return &CatalogError{Option: o.ID, Field: path + "." + field, Msg: fmt.Sprintf(format, args...)}
		}
		if o.ID == "" {
			return fail("id", "missing")
		}
		if msg := textProblem(o.ID); msg != "" {
			return &CatalogError{Field: path + ".id", Msg: msg} // the id itself cannot name the option
		}
		if j, dup := seen[o.ID]; dup {
			return fail("id", "%q is also the id of options[%d]", o.ID, j)
		}
		seen[o.ID] = i
		if o.Name == "" {
			return fail("name", "missing")
		}
		if msg := textProblem(o.Name); msg != "" {
			return fail("name", "%s", msg)
		}
		if !slices.Contains(kinds, o.Kind) {
			return fail("kind", "%s, want one of %s", short(o.Kind), strings.Join(kinds, ", "))
		}
		cpuKind := o.Kind == KindCPU || o.Kind == KindCPUInstance
		switch {
		case cpuKind && o.Cores == nil:
			return fail("cores", "missing (a %s needs its core count)", o.Kind)
		case !cpuKind && o.Cores != nil:
			return fail("cores", "only CPU kinds have cores")
		}
		for _, f := range quantityFields(&o, now) {
			if f.q == nil {
				continue // an optional quantity not given
			}
			if err := checkQuantity(*f.q, f.limit, now, fail, f.field); err != nil {
				return err
			}
		}
		for j, p := range o.Prices {
			field := fmt.Sprintf("prices[%d]", j)
			switch {
			case !slices.Contains(Markets, p.Market):
				return fail(field+".market", "%s, want one of %s", short(p.Market), strings.Join(Markets, ", "))
			case p.Provider == "":
				return fail(field+".provider", "missing")
			}
			if err := checkQuantity(p.USDh, priceLimit, now, fail, field+".usd_h"); err != nil {
				return err
			}
		}
		if len(o.PeakTFLOPS) == 0 {
			return fail("peak_tflops", "missing (give at least f32 or bf16, or mark them unsourced)")
		}
		given := map[benchname.Precision]benchname.Precision{}
		for _, p := range sortedKeys(o.PeakTFLOPS) {
			field := "peak_tflops." + string(p)
			canon := benchname.CanonicalPrecision(string(p))
			if !slices.Contains(Precisions, canon) {
				return fail(field, "unknown precision %s (known: %s; fp32 and fp16 are accepted)", short(string(p)), benchname.PrecisionList(Precisions))
			}
			if q, dup := given[canon]; dup {
				return fail(field, "the %s peak is given twice (also as %s)", canon, q)
			}
			given[canon] = p
			if err := checkQuantity(o.PeakTFLOPS[p], peakLimit, now, fail, field); err != nil {
				return err
			}
		}
		e := o.Efficiency
		switch {
		case !(e.Low > 0 && e.Low <= e.Mid && e.Mid <= e.High && e.High <= 1):
			return fail("efficiency", "low %g, mid %g, high %g: want 0 < low ≤ mid ≤ high ≤ 1", e.Low, e.Mid, e.High)
		case e.Source == "":
			return fail("efficiency.source", "missing")
		}
		if err := checkDate(e.Date, now, fail, "efficiency.date"); err != nil {
			return err
		}
	}
	return nil
}

// A limit is the range a catalogued number must lie in, with its unit for
// errors: above zero, at least min, at most max, and a whole number if
// integer.
type limit struct {
	unit     string // "$/h", "GB/s"; "" for a pure number
	min, max float64
	integer  bool
}

func (l limit) allows(v float64) bool {
	return v > 0 && v >= l.min && v <= l.max && (!l.integer || v == math.Trunc(v))
}

func (l limit) String() string {
	unit := ""
	if l.unit != "" {
		unit = " " + l.unit
	}
	lo, hi := strconv.FormatFloat(l.min, 'f', -1, 64), strconv.FormatFloat(l.max, 'f', -1, 64)
	switch {
	case l.integer:
		return fmt.Sprintf("an integer from %s to %s%s", lo, hi, unit)
	case l.min > 0:
		return fmt.Sprintf("from %s to %s%s", lo, hi, unit)
	}
	return "> 0 and ≤ " + hi + unit
}

// peakLimit bounds a dense peak: a hundred PFLOPS is far beyond any one
// accelerator or instance.
var peakLimit = limit{unit: "TFLOPS", max: 1e5}

// A quantityField is one catalogued quantity of an option, nil when an
// optional one is absent, with the path of its field and its range.
type quantityField struct {
	field string
	q     *Quantity
	limit limit
}

// priceLimit bounds an hourly price: $10,000 an hour is far beyond any one
// accelerator or instance.
var priceLimit = limit{unit: "$/h", max: 1e4}

// quantityFields lists the quantities of o other than its peaks and its
// prices list, each with a range wide enough for any single accelerator, CPU
// or cloud instance (a whole rack is the largest thing catalogued) and
// narrow enough to catch a misplaced digit or a unit slip. A new catalog
// field adds its row here. The market-less on-demand and spot prices are
// optional (the prices list replaces them): nil when not given.
func quantityFields(o *Option, now time.Time) []quantityField {
	optional := func(q *Quantity) *Quantity {
		if *q == (Quantity{}) {
			return nil
		}
		return q
	}
	return []quantityField{
		{"cores", o.Cores, limit{unit: "cores", min: 1, max: 1e5, integer: true}},
		{"release_year", &o.ReleaseYear, limit{min: 1990, max: float64(now.Year()), integer: true}},
		{"memory_gbs", &o.MemoryGBs, limit{unit: "GB/s", max: 1e6}},
		{"memory_gb", &o.MemoryGB, limit{unit: "GB", max: 1e5}},
		{"tdp_w", &o.TDPW, limit{unit: "W", max: 1e6}},
		{"on_demand_usd_h", optional(&o.OnDemandUSDh), priceLimit},
		{"spot_usd_h", optional(&o.SpotUSDh), priceLimit},
		{"purchase_usd", &o.PurchaseUSD, limit{unit: "$", max: 1e7}},
		{"host_usd", o.HostUSD, limit{unit: "$", max: 1e7}},
		{"node_power_w", o.NodePowerW, limit{unit: "W", max: 1e6}},
		{"memory_efficiency", o.MemEfficiency, limit{unit: "(a fraction of peak bandwidth)", max: 1}},
	}
}

func checkQuantity(q Quantity, l limit, now time.Time, fail func(field, format string, args ...any) error, field string) error {
	if q.Unsourced {
		if q.Value != 0 || q.Low != 0 || q.High != 0 || q.Source != "" {
			return fail(field, "marked unsourced but has a value or source")
		}
		if q.Note == "" {
			return fail(field+".note", "an unsourced value needs a note saying why")
		}
		return nil
	}
	if q.Authority != "" && q.Authority != AuthorityPrimary && q.Authority != AuthoritySecondary {
		return fail(field+".authority", "%s, want %s or %s", short(q.Authority), AuthorityPrimary, AuthoritySecondary)
	}
	switch {
	case q == Quantity{}:
		return fail(field, "missing (give {value, source, date} or {unsourced: true, note})")
	case !l.allows(q.Value):
		return fail(field+".value", "%g, want %s", q.Value, l)
	case q.Low != 0 && !(l.allows(q.Low) && q.Low <= q.Value):
		return fail(field+".low", "%g, want %s and ≤ value %g", q.Low, l, q.Value)
	case q.High != 0 && !(l.allows(q.High) && q.High >= q.Value):
		return fail(field+".high", "%g, want %s and ≥ value %g", q.High, l, q.Value)
	case q.Source == "":
		return fail(field+".source", "missing: every number needs a source")
	}
	return checkDate(q.Date, now, fail, field+".date")
}

// validDate reports whether s is YYYY, YYYY-MM or YYYY-MM-DD.
func validDate(s string) bool {
	for _, layout := range []string{"2006", "2006-01", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}

// checkDate checks a source date: YYYY, YYYY-MM or YYYY-MM-DD, not after
// now (a source cannot be dated later than the catalog is read).
func checkDate(s string, now time.Time, fail func(field, format string, args ...any) error, field string) error {
	for _, layout := range []string{"2006", "2006-01", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.After(now) {
				return fail(field, "%s is in the future (today is %s)", short(s), now.Format("2006-01-02"))
			}
			return nil
		}
	}
	return fail(field, "%s, want YYYY, YYYY-MM or YYYY-MM-DD", short(s))
}

// maxText is the longest id or name accepted, in characters: they head the
// columns and lines of every table.
const maxText = 100

// textProblem says why an id or name would not print as one short line, or
// returns "".
func textProblem(s string) string {
	if utf8.RuneCountInString(s) > maxText {
		return fmt.Sprintf("%s is longer than %d characters", short(s), maxText)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Sprintf("%s holds a control or non-printing character", short(s))
	}
	return ""
}

// short quotes a string from the file for an error, cut to a short prefix.
func short(s string) string {
	const n = 40
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return strconv.Quote(s)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// inFile places a validation error in the file it came from: a
// *CatalogError gets the file name and the line of its field, anything else
// the file name as a prefix.
func inFile(err error, name string, doc *safeyaml.Doc) error {
	var ce *CatalogError
	if errors.As(err, &ce) {
		ce.File = name
		ce.Line = doc.Line(ce.Field)
		return ce
	}
	return fmt.Errorf("%s: %w", name, err)
}
