package costmodel

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/trainbench/trainbench/internal/safeyaml"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/workload"
)

//go:embed calibration.yaml
var embeddedCalibration []byte

// EmbeddedCalibrationName is the file name errors give for the embedded
// calibration set.
const EmbeddedCalibrationName = "costmodel/calibration.yaml"

// Workload classes efficiencies are calibrated per.
const (
	ClassConvnet     = "convnet"     // convolutions and batch norm (also plain MLPs)
	ClassTransformer = "transformer" // linear layers and attention
)

// Software stacks an estimate assumes. The stack decides how much
// element-wise traffic is fused away, the host's per-step cost and how
// many kernels a step launches.
const (
	StackEager    = "eager"    // a framework launching every op (PyTorch eager, AMP)
	StackCompiled = "compiled" // a compiler fusing element-wise ops (torch.compile, XLA, tinygrad)
	StackFused    = "fused"    // hand-fused kernels (NVIDIA's MLPerf stacks, llm.c)
)

// Stacks lists the stacks.
var Stacks = []string{StackEager, StackCompiled, StackFused}

// Uses of an anchor (Anchor.Use).
const (
	UseScored    = "scored"    // within ±25 % and inside the printed interval
	UseBound     = "bound"     // the estimate must not be faster than the rate
	UseRelative  = "relative"  // the ratio of two options' estimates must fall in the band
	UseReference = "reference" // printed, not checked
)

// Rate is a per-accelerator throughput: Value (and Low, High when the
// source gives a range) in Unit, images/s or tokens/s.
type Rate struct {
	Value float64 `yaml:"value" json:"value"`
	Low   float64 `yaml:"low,omitempty" json:"low,omitempty"`
	High  float64 `yaml:"high,omitempty" json:"high,omitempty"`
	Unit  string  `yaml:"unit" json:"unit"`
}

// Relative is a published ratio: the anchor's option is Ratio times faster
// than Slower.
type Relative struct {
	Slower string `yaml:"slower" json:"slower"`
	Ratio  Rate   `yaml:"ratio" json:"ratio"`
}

// Anchor is one published training measurement (calibration.yaml explains
// the fields).
type Anchor struct {
	ID            string              `yaml:"id" json:"id"`
	Option        string              `yaml:"option" json:"option"`
	Workload      string              `yaml:"workload" json:"workload"`
	Class         string              `yaml:"class" json:"class"`
	Precision     benchname.Precision `yaml:"precision" json:"precision"`
	Stack         string              `yaml:"stack" json:"stack"`
	Framework     string              `yaml:"framework" json:"framework"`
	Batch         int                 `yaml:"batch,omitempty" json:"batch,omitempty"`
	Accelerators  int                 `yaml:"accelerators" json:"accelerators"`
	Reported      string              `yaml:"reported" json:"reported"`
	Rate          *Rate               `yaml:"rate,omitempty" json:"rate,omitempty"`
	Relative      *Relative           `yaml:"relative,omitempty" json:"relative,omitempty"`
	StepOverheadS *Rate               `yaml:"step_overhead_s,omitempty" json:"step_overhead_s,omitempty"`
	Derived       string              `yaml:"derived,omitempty" json:"derived,omitempty"`
	Source        string              `yaml:"source" json:"source"`
	Date          string              `yaml:"date" json:"date"`
	Authority     string              `yaml:"authority" json:"authority"`
	Use           string              `yaml:"use" json:"use"`
	Note          string              `yaml:"note,omitempty" json:"note,omitempty"`
}

// Stack is what a software stack costs besides the roofline of its
// passes: the fraction of element-wise traffic it keeps, its per-step host
// cost and the cost of one kernel launch.
type Stack struct {
	Name string `yaml:"name" json:"name"`
	// ElementwiseTraffic multiplies the memory traffic of batch norm, ReLU,
	// GELU, layer norm and residual adds (1: every op reads and writes its
	// tensor; below 1: fused into neighbouring kernels).
	ElementwiseTraffic Quantity `yaml:"elementwise_traffic" json:"elementwise_traffic"`
	// StepOverheadS is the host's per-step cost that does not scale with
	// the batch (Python, dispatch, optimizer bookkeeping).
	StepOverheadS Quantity `yaml:"step_overhead_s" json:"step_overhead_s"`
	// LaunchS is the host cost of one kernel launch on an accelerator.
	LaunchS Quantity `yaml:"launch_s" json:"launch_s"`
}

// EfficiencyCell is the fraction of dense peak GEMM-like passes reach for
// one workload class, accelerator family and stack: Low, Mid, High, the
// anchors it was fitted to and, for cells without an anchor, the cell it
// borrows from.
type EfficiencyCell struct {
	Class    string   `yaml:"class" json:"class"`
	Family   string   `yaml:"family" json:"family"`
	Stack    string   `yaml:"stack" json:"stack"`
	Low      float64  `yaml:"low" json:"low"`
	Mid      float64  `yaml:"mid" json:"mid"`
	High     float64  `yaml:"high" json:"high"`
	Anchors  []string `yaml:"anchors,omitempty" json:"anchors,omitempty"`
	Borrowed string   `yaml:"borrowed,omitempty" json:"borrowed,omitempty"`
	Note     string   `yaml:"note,omitempty" json:"note,omitempty"`
}

// Basis says in words where the cell comes from.
func (c EfficiencyCell) Basis() string {
	if c.Borrowed != "" {
		return fmt.Sprintf("%s/%s/%s efficiency %.2g (%.2g–%.2g), borrowed: %s", c.Class, c.Family, c.Stack, c.Mid, c.Low, c.High, c.Borrowed)
	}
	return fmt.Sprintf("%s/%s/%s efficiency %.2g (%.2g–%.2g), fitted to %s", c.Class, c.Family, c.Stack, c.Mid, c.Low, c.High, strings.Join(c.Anchors, ", "))
}

// PrecisionFactor multiplies a cell's efficiencies when the estimate runs
// at Precision (TF32 tensor GEMMs reach a smaller fraction of their peak
// than bf16 ones).
type PrecisionFactor struct {
	Precision benchname.Precision `yaml:"precision" json:"precision"`
	Factor    float64             `yaml:"factor" json:"factor"`
	Anchors   []string            `yaml:"anchors" json:"anchors"`
}

// Calibration is the calibration set and what was fitted to it: the
// anchors, the stacks' costs, and the efficiency per class, family and
// stack.
type Calibration struct {
	Anchors          []Anchor          `yaml:"anchors" json:"anchors"`
	Stacks           []Stack           `yaml:"stacks" json:"stacks"`
	Efficiency       []EfficiencyCell  `yaml:"efficiency" json:"efficiency"`
	PrecisionFactors []PrecisionFactor `yaml:"precision_factors,omitempty" json:"precision_factors,omitempty"`
}

// EmbeddedCalibration returns the calibration shipped with trainbench
// (costmodel/calibration.yaml).
func EmbeddedCalibration() Calibration {
	c, err := ParseCalibration(EmbeddedCalibrationName, embeddedCalibration)
	if err != nil {
		panic(fmt.Sprintf("costmodel: the embedded calibration is invalid: %v", err))
	}
	return c
}

// ParseCalibration reads a calibration from YAML data and validates it;
// name is the file name errors give. Unknown fields are errors, and so are
// anchors, aliases and tags (package safeyaml bounds what a file can cost).
func ParseCalibration(name string, data []byte) (Calibration, error) {
	var c Calibration
	doc, err := safeyaml.Decode(name, data, &c)
	if err != nil {
		return Calibration{}, err
	}
	for i := range c.Anchors {
		c.Anchors[i].Precision = benchname.CanonicalPrecision(string(c.Anchors[i].Precision))
	}
	if err := c.Validate(); err != nil {
		return Calibration{}, inFile(err, name, doc)
	}
	return c, nil
}

// Validate checks the anchors (known class, stack, use and authority, a
// source and date, a positive rate, ratio or step overhead as the use
// needs), the stacks (each once, every quantity sourced or derived) and the
// efficiency cells (0 < low ≤ mid ≤ high ≤ 1, each fitted to anchors that
// exist or borrowed with a reason, no cell twice). Errors are
// *CatalogError values naming the field.
func (c Calibration) Validate() error {
	ids := map[string]bool{}
	for i, a := range c.Anchors {
		field := fmt.Sprintf("anchors[%d]", i)
		fail := func(f, format string, args ...any) error {
			return &CatalogError{Option: a.ID, Field: field + "." + f, Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case a.ID == "" || ids[a.ID]:
			return fail("id", "missing or repeated")
		case a.Option == "" || a.Workload == "":
			return fail("option", "an anchor needs an option and a workload")
		case a.Class != ClassConvnet && a.Class != ClassTransformer:
			return fail("class", "%q, want %s or %s", a.Class, ClassConvnet, ClassTransformer)
		case !slices.Contains(Precisions, a.Precision):
			return fail("precision", "%q, want one of %s", a.Precision, benchname.PrecisionList(Precisions))
		case !slices.Contains(Stacks, a.Stack):
			return fail("stack", "%q, want one of %s", a.Stack, strings.Join(Stacks, ", "))
		case a.Source == "" || !validDate(a.Date):
			return fail("source", "every anchor needs a source and a date (YYYY, YYYY-MM or YYYY-MM-DD)")
		case a.Authority != AuthorityPrimary && a.Authority != AuthoritySecondary:
			return fail("authority", "%q, want %s or %s", a.Authority, AuthorityPrimary, AuthoritySecondary)
		case a.Accelerators < 1:
			return fail("accelerators", "%d, want ≥ 1", a.Accelerators)
		}
		ids[a.ID] = true
		switch a.Use {
		case UseScored, UseBound:
			if a.Rate == nil || !(a.Rate.Value > 0) || a.Batch < 1 {
				return fail("rate", "a %s anchor needs a positive rate and its batch", a.Use)
			}
		case UseRelative:
			if a.Relative == nil || a.Relative.Slower == "" || !(a.Relative.Ratio.Value > 0) {
				return fail("relative", "a relative anchor needs the slower option and a positive ratio")
			}
		case UseReference:
		default:
			return fail("use", "%q, want %s, %s, %s or %s", a.Use, UseScored, UseBound, UseRelative, UseReference)
		}
		for _, r := range []*Rate{a.Rate, a.StepOverheadS} {
			if r != nil && (r.Low > r.Value || r.High != 0 && r.High < r.Value) {
				return fail("rate", "low %v, value %v, high %v: want low ≤ value ≤ high", r.Low, r.Value, r.High)
			}
		}
		if a.Rate != nil && a.Rate.Unit != "images/s" && a.Rate.Unit != "tokens/s" {
			return fail("rate.unit", "%q, want images/s or tokens/s", a.Rate.Unit)
		}
	}
	seenStack := map[string]bool{}
	for i, s := range c.Stacks {
		field := fmt.Sprintf("stacks[%d]", i)
		fail := func(f, format string, args ...any) error {
			return &CatalogError{Field: field + "." + f, Msg: fmt.Sprintf(format, args...)}
		}
		if !slices.Contains(Stacks, s.Name) || seenStack[s.Name] {
			return fail("name", "%q unknown or repeated", s.Name)
		}
		seenStack[s.Name] = true
		for _, q := range []struct {
			f string
			q Quantity
		}{{"elementwise_traffic", s.ElementwiseTraffic}, {"step_overhead_s", s.StepOverheadS}, {"launch_s", s.LaunchS}} {
			if q.q.Unsourced || q.q.Source == "" || !validDate(q.q.Date) || q.q.Value < 0 || q.q.Low > q.q.Value || q.q.High != 0 && q.q.High < q.q.Value {
				return fail(q.f, "want {value ≥ 0, low ≤ value ≤ high, source, date}")
			}
		}
		if s.ElementwiseTraffic.Value > 1 {
			return fail("elementwise_traffic", "%v, a fraction must be ≤ 1", s.ElementwiseTraffic.Value)
		}
	}
	for _, s := range Stacks {
		if !seenStack[s] {
			return &CatalogError{Field: "stacks", Msg: "no stack " + s}
		}
	}
	cells := map[string]bool{}
	for i, e := range c.Efficiency {
		field := fmt.Sprintf("efficiency[%d]", i)
		fail := func(f, format string, args ...any) error {
			return &CatalogError{Field: field + "." + f, Msg: fmt.Sprintf(format, args...)}
		}
		key := e.Class + "/" + e.Family + "/" + e.Stack
		switch {
		case e.Class != ClassConvnet && e.Class != ClassTransformer || e.Family == "" || !slices.Contains(Stacks, e.Stack):
			return fail("class", "%q: want a known class, a family and a known stack", key)
		case cells[key]:
			return fail("class", "%s is given twice", key)
		case !(e.Low > 0 && e.Low <= e.Mid && e.Mid <= e.High && e.High <= 1):
			return fail("mid", "low %v, mid %v, high %v: want 0 < low ≤ mid ≤ high ≤ 1", e.Low, e.Mid, e.High)
		case len(e.Anchors) == 0 && e.Borrowed == "":
			return fail("anchors", "%s: name the anchors it is fitted to or what it borrows from", key)
		}
		cells[key] = true
		for _, id := range e.Anchors {
			if !ids[id] {
				return fail("anchors", "%s: no anchor %q", key, id)
			}
		}
	}
	for i, p := range c.PrecisionFactors {
		if !slices.Contains(Precisions, benchname.CanonicalPrecision(string(p.Precision))) || !(p.Factor > 0 && p.Factor <= 1) {
			return &CatalogError{Field: fmt.Sprintf("precision_factors[%d]", i), Msg: "want a known precision and a factor in (0, 1]"}
		}
	}
	return nil
}

// Stack returns the named stack's costs.
func (c Calibration) Stack(name string) (Stack, bool) {
	i := slices.IndexFunc(c.Stacks, func(s Stack) bool { return s.Name == name })
	if i < 0 {
		return Stack{}, false
	}
	return c.Stacks[i], true
}

// Cell returns the efficiency of class, family and stack.
func (c Calibration) Cell(class, family, stack string) (EfficiencyCell, bool) {
	i := slices.IndexFunc(c.Efficiency, func(e EfficiencyCell) bool {
		return e.Class == class && e.Family == family && e.Stack == stack
	})
	if i < 0 {
		return EfficiencyCell{}, false
	}
	return c.Efficiency[i], true
}

// precisionFactor is the efficiency multiplier at precision p (1 when the
// calibration gives none).
func (c Calibration) precisionFactor(p benchname.Precision) float64 {
	for _, f := range c.PrecisionFactors {
		if benchname.CanonicalPrecision(string(f.Precision)) == p {
			return f.Factor
		}
	}
	return 1
}

// Anchor returns the anchor with that id.
func (c Calibration) Anchor(id string) (Anchor, bool) {
	i := slices.IndexFunc(c.Anchors, func(a Anchor) bool { return a.ID == id })
	if i < 0 {
		return Anchor{}, false
	}
	return c.Anchors[i], true
}

// WorkloadClass is the calibration class of a network: transformer when it
// has attention, convnet otherwise.
func WorkloadClass(w workload.Network) string {
	for _, l := range w.Layers {
		if l.Kind == workload.Attention {
			return ClassTransformer
		}
	}
	return ClassConvnet
}

var embeddedOnce struct {
	sync.Once
	c Calibration
}

// embedded is the embedded calibration, parsed once.
func embedded() Calibration {
	embeddedOnce.Do(func() { embeddedOnce.c = EmbeddedCalibration() })
	return embeddedOnce.c
}
