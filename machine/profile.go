package machine

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/trainbench/trainbench/benchname"
)

// Profile is what this machine can do: the facts about its CPU, the measured
// ceilings per ISA level, precision and thread count, and the datasheet peak
// beside them. It serialises to JSON and to Go benchmark configuration lines
// (ConfigLines, ParseProfile), which is how a results file records it and the
// cost model reads it back. GFLOP/s and GB/s are rounded to 0.01.
type Profile struct {
	CPU         string   `json:"cpu"`          // brand string
	Vendor      string   `json:"cpu_vendor"`   // "AMD", "Intel", ...
	Family      int      `json:"cpu_family"`   // family number
	Model       int      `json:"cpu_model"`    // model number
	Cores       int      `json:"cores"`        // physical cores visible to the process
	LogicalCPUs int      `json:"logical_cpus"` // logical CPUs visible to the process
	L1D         int      `json:"l1d"`          // L1 data cache per core, bytes (0 unknown)
	L2          int      `json:"l2"`           // L2 per core, bytes (0 unknown)
	L3          int      `json:"l3"`           // L3, bytes (0 unknown)
	Features    []string `json:"isa_features"` // the CPU features that matter to the kernels
	ISA         string   `json:"isa_max"`      // highest usable ISA level

	Mode string `json:"mode,omitempty"` // "quick" or "full": how long ceiling.Measure ran

	// ClockGHz is the running clock of one busy core, measured with a
	// dependent add chain (ClockSource "add-chain"); 0 when not measured.
	ClockGHz    float64 `json:"clock_ghz,omitempty"`
	ClockSource string  `json:"clock_source,omitempty"`

	// Peaks are the measured peak-FMA rates, GFLOP/s over all threads.
	Peaks []Peak `json:"peaks,omitempty"`
	// Datasheet holds cores × ClockGHz × FLOP per cycle for each measured
	// level and precision at Threads = Cores; see ceiling.DatasheetGFLOPS for the
	// assumptions.
	Datasheet []Peak `json:"datasheet,omitempty"`

	// StreamArrayBytes is the size of each STREAM array; Streams[i].Size is
	// Op.Arrays() times it.
	StreamArrayBytes int `json:"stream_array_bytes,omitempty"`
	// Streams are STREAM copy and triad on DRAM-sized arrays.
	Streams []Bandwidth `json:"streams,omitempty"`
	// Caches are the bandwidths of each memory level read from Sweep (see
	// ceiling.CacheBandwidths); Size is 0.
	Caches []Bandwidth `json:"caches,omitempty"`
	// Sweep is triad over working sets from L1-sized to DRAM-sized.
	Sweep []Bandwidth `json:"sweep,omitempty"`
}

// Peak is one peak rate.
type Peak struct {
	ISA     string              `json:"isa"`  // "generic", "avx2", "avx512"
	Prec    benchname.Precision `json:"prec"` // "f32" or "f64"
	Threads int                 `json:"threads"`
	GFLOPS  float64             `json:"gflops"`
}

// Bandwidth is one STREAM rate, bytes counted as STREAM does.
type Bandwidth struct {
	Op      Op      `json:"op"`              // copy or triad
	Level   string  `json:"level,omitempty"` // memory level, in Profile.Caches only
	Threads int     `json:"threads"`
	Size    int     `json:"size,omitempty"` // working set, bytes, all arrays and threads
	GBs     float64 `json:"gbs"`
}

// Peak returns the measured peak GFLOP/s of ISA level isa ("avx2"),
// precision prec at the given thread count.
func (p Profile) Peak(isa string, prec benchname.Precision, threads int) (float64, bool) {
	for _, k := range p.Peaks {
		if k.ISA == isa && k.Prec == prec && k.Threads == threads {
			return k.GFLOPS, true
		}
	}
	return 0, false
}

// Stream returns the DRAM STREAM GB/s of op at the given thread count.
func (p Profile) Stream(op Op, threads int) (float64, bool) {
	for _, b := range p.Streams {
		if b.Op == op && b.Threads == threads {
			return b.GBs, true
		}
	}
	return 0, false
}

// Cache returns the bandwidth of memory level (LevelL1 ... LevelDRAM) at the
// given thread count.
func (p Profile) Cache(level string, threads int) (float64, bool) {
	for _, b := range p.Caches {
		if b.Level == level && b.Threads == threads {
			return b.GBs, true
		}
	}
	return 0, false
}

// levelRank orders ISA level names as ISALevels does, unknown last.
func levelRank(s string) int {
	if i := slices.Index(ISALevels(), s); i >= 0 {
		return i
	}
	return len(ISALevels())
}

// Sort puts every list in the canonical order ConfigLines writes.
func (p *Profile) Sort() {
	byPeak := func(a, b Peak) int {
		return cmp.Or(cmp.Compare(levelRank(a.ISA), levelRank(b.ISA)), cmp.Compare(a.Prec, b.Prec), cmp.Compare(a.Threads, b.Threads))
	}
	byBW := func(a, b Bandwidth) int {
		return cmp.Or(cmp.Compare(a.Op, b.Op), cmp.Compare(slices.Index(CacheLevels(), a.Level), slices.Index(CacheLevels(), b.Level)),
			cmp.Compare(a.Threads, b.Threads), cmp.Compare(a.Size, b.Size))
	}
	slices.SortFunc(p.Peaks, byPeak)
	slices.SortFunc(p.Datasheet, byPeak)
	slices.SortFunc(p.Streams, byBW)
	slices.SortFunc(p.Caches, byBW)
	slices.SortFunc(p.Sweep, byBW)
}

// KeyValue is one configuration line, "key: value" in the Go benchmark
// format: the key lowercase without spaces.
type KeyValue struct {
	Key, Value string
}

// The configuration keys of a profile. Sizes are bytes, rates GFLOP/s and
// GB/s. <isa> is generic, avx2 or avx512, <prec> f32 or f64, <t> a thread
// count, <op> copy or triad, <level> l1, l2, l3 or dram.
//
//	cpu, cpu-vendor, cpu-family, cpu-model, cores, logical-cpus, l1d, l2, l3
//	isa-features (comma-separated), isa-max, ceiling-mode
//	clock-ghz, clock-source
//	peak-gflops-<isa>-<prec>-t<t>
//	datasheet-gflops-<isa>-<prec>          (at cores threads)
//	stream-array-bytes, stream-<op>-gbs-t<t>
//	cache-<level>-gbs-t<t>
//	sweep-<op>-gbs-t<t>-<size>
const (
	KeyCPU         = "cpu"
	KeyVendor      = "cpu-vendor"
	KeyFamily      = "cpu-family"
	KeyModel       = "cpu-model"
	KeyCores       = "cores"
	KeyLogical     = "logical-cpus"
	KeyL1D         = "l1d"
	KeyL2          = "l2"
	KeyL3          = "l3"
	KeyFeatures    = "isa-features"
	KeyISA         = "isa-max"
	KeyMode        = "ceiling-mode"
	KeyClock       = "clock-ghz"
	KeyClockSource = "clock-source"
	KeyArray       = "stream-array-bytes"
	PrefixPeak     = "peak-gflops-"
	PrefixSheet    = "datasheet-gflops-"
	PrefixStream   = "stream-"
	PrefixCache    = "cache-"
	PrefixSweep    = "sweep-"
)

// ConfigLines returns the profile as configuration lines in a fixed order:
// facts, clock, peaks, datasheet, streams, caches, sweep. Empty and zero
// optional values are left out (an unknown cache size too); ParseProfile
// reads them back.
func (p Profile) ConfigLines() []KeyValue {
	p.Sort()
	var kv []KeyValue
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, KeyValue{k, v})
		}
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	add(KeyCPU, p.CPU)
	add(KeyVendor, p.Vendor)
	add(KeyFamily, strconv.Itoa(p.Family))
	add(KeyModel, strconv.Itoa(p.Model))
	add(KeyCores, strconv.Itoa(p.Cores))
	add(KeyLogical, strconv.Itoa(p.LogicalCPUs))
	for _, c := range []struct {
		key  string
		size int
	}{{KeyL1D, p.L1D}, {KeyL2, p.L2}, {KeyL3, p.L3}} {
		if c.size > 0 { // 0 is unknown: no line, rather than a cache of 0 bytes
			add(c.key, strconv.Itoa(c.size))
		}
	}
	add(KeyFeatures, strings.Join(p.Features, ","))
	add(KeyISA, p.ISA)
	add(KeyMode, p.Mode)
	if p.ClockGHz != 0 {
		add(KeyClock, num(p.ClockGHz))
	}
	add(KeyClockSource, p.ClockSource)
	for _, k := range p.Peaks {
		add(fmt.Sprintf("%s%s-%s-t%d", PrefixPeak, k.ISA, k.Prec, k.Threads), num(k.GFLOPS))
	}
	for _, k := range p.Datasheet {
		add(fmt.Sprintf("%s%s-%s", PrefixSheet, k.ISA, k.Prec), num(k.GFLOPS))
	}
	if p.StreamArrayBytes != 0 {
		add(KeyArray, strconv.Itoa(p.StreamArrayBytes))
	}
	for _, b := range p.Streams {
		add(fmt.Sprintf("%s%s-gbs-t%d", PrefixStream, b.Op, b.Threads), num(b.GBs))
	}
	for _, b := range p.Caches {
		add(fmt.Sprintf("%s%s-gbs-t%d", PrefixCache, b.Level, b.Threads), num(b.GBs))
	}
	for _, b := range p.Sweep {
		add(fmt.Sprintf("%s%s-gbs-t%d-%d", PrefixSweep, b.Op, b.Threads, b.Size), num(b.GBs))
	}
	return kv
}

// ParseProfile reads a profile back from configuration lines (key to value),
// as ConfigLines wrote them. Keys it does not know (goos, pkg, ...) are
// ignored; a known key with a bad value is an error naming the key. A map
// with none of the profile's keys is an error too.
func ParseProfile(config map[string]string) (Profile, error) {
	var p Profile
	known := 0
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first bad key reported is the same every time
	for _, key := range keys {
		ok, err := p.parseLine(key, strings.TrimSpace(config[key]))
		if err != nil {
			return Profile{}, fmt.Errorf("machine: configuration %s: %q: %w", key, config[key], err)
		}
		if ok {
			known++
		}
	}
	if known == 0 {
		return Profile{}, fmt.Errorf("machine: no machine profile in the configuration (no %s, %s..., %s... keys)", KeyCPU, PrefixPeak, PrefixStream)
	}
	for i := range p.Streams {
		p.Streams[i].Size = p.Streams[i].Op.Arrays() * p.StreamArrayBytes
	}
	for i := range p.Datasheet {
		p.Datasheet[i].Threads = p.Cores
	}
	p.Sort()
	return p, nil
}

// parseLine sets the field of one key; it reports whether the key is one of
// the profile's.
func (p *Profile) parseLine(key, v string) (bool, error) {
	intField := map[string]*int{KeyFamily: &p.Family, KeyModel: &p.Model, KeyCores: &p.Cores, KeyLogical: &p.LogicalCPUs,
		KeyL1D: &p.L1D, KeyL2: &p.L2, KeyL3: &p.L3, KeyArray: &p.StreamArrayBytes}
	strField := map[string]*string{KeyCPU: &p.CPU, KeyVendor: &p.Vendor, KeyISA: &p.ISA, KeyMode: &p.Mode, KeyClockSource: &p.ClockSource}
	if f, ok := intField[key]; ok {
		n, err := strconv.Atoi(v)
		*f = n
		return true, err
	}
	if f, ok := strField[key]; ok {
		*f = v
		return true, nil
	}
	switch {
	case key == KeyFeatures:
		p.Features = nil
		if v != "" {
			p.Features = strings.Split(v, ",")
		}
		return true, nil
	case key == KeyClock:
		g, err := parseRate(v)
		p.ClockGHz = g
		return true, err
	case strings.HasPrefix(key, PrefixPeak): // peak-gflops-<isa>-<prec>-t<t>
		f, err := fields(key, PrefixPeak, "<isa>-<prec>-t<threads>")
		if err != nil {
			return true, err
		}
		k := Peak{ISA: f.isa(0), Prec: f.prec(1), Threads: f.threads(2)}
		k.GFLOPS, err = f.rate(v)
		p.Peaks = append(p.Peaks, k)
		return true, err
	case strings.HasPrefix(key, PrefixSheet): // datasheet-gflops-<isa>-<prec>
		f, err := fields(key, PrefixSheet, "<isa>-<prec>")
		if err != nil {
			return true, err
		}
		k := Peak{ISA: f.isa(0), Prec: f.prec(1)}
		k.GFLOPS, err = f.rate(v)
		p.Datasheet = append(p.Datasheet, k)
		return true, err
	case strings.HasPrefix(key, PrefixStream): // stream-<op>-gbs-t<t>
		f, err := fields(key, PrefixStream, "<op>-gbs-t<threads>")
		if err != nil {
			return true, err
		}
		b := Bandwidth{Op: f.op(0), Threads: f.threads(2)}
		b.GBs, err = f.rate(v)
		p.Streams = append(p.Streams, b)
		return true, err
	case strings.HasPrefix(key, PrefixCache): // cache-<level>-gbs-t<t>
		f, err := fields(key, PrefixCache, "<level>-gbs-t<threads>")
		if err != nil {
			return true, err
		}
		b := Bandwidth{Op: Triad, Level: f.level(0), Threads: f.threads(2)}
		b.GBs, err = f.rate(v)
		p.Caches = append(p.Caches, b)
		return true, err
	case strings.HasPrefix(key, PrefixSweep): // sweep-<op>-gbs-t<t>-<size>
		f, err := fields(key, PrefixSweep, "<op>-gbs-t<threads>-<bytes>")
		if err != nil {
			return true, err
		}
		b := Bandwidth{Op: f.op(0), Threads: f.threads(2), Size: f.bytes(3)}
		b.GBs, err = f.rate(v)
		p.Sweep = append(p.Sweep, b)
		return true, err
	}
	return false, nil
}

// keyFields parses the dash-separated fields of a key after its prefix
// against a layout such as "<op>-gbs-t<threads>". The accessors record the
// first error, which rate returns.
type keyFields struct {
	parts []string
	err   error
}

func fields(key, prefix, layout string) (*keyFields, error) {
	f := &keyFields{parts: strings.Split(strings.TrimPrefix(key, prefix), "-")}
	want := strings.Split(layout, "-")
	if len(f.parts) != len(want) {
		return nil, fmt.Errorf("want %s%s", prefix, layout)
	}
	for i, w := range want {
		if !strings.HasPrefix(w, "<") && !strings.HasPrefix(w, "t<") && f.parts[i] != w {
			return nil, fmt.Errorf("want %s%s", prefix, layout)
		}
	}
	return f, nil
}

func (f *keyFields) fail(err error) {
	if f.err == nil && err != nil {
		f.err = err
	}
}

func (f *keyFields) isa(i int) string {
	l, err := ParseISA(f.parts[i])
	f.fail(err)
	return l
}

func (f *keyFields) prec(i int) benchname.Precision {
	p, err := ParsePrecision(f.parts[i])
	f.fail(err)
	return p
}

func (f *keyFields) op(i int) Op {
	o, err := ParseOp(f.parts[i])
	f.fail(err)
	return o
}

func (f *keyFields) level(i int) string {
	if !slices.Contains(CacheLevels(), f.parts[i]) {
		f.fail(fmt.Errorf("unknown memory level %q (valid: %s)", f.parts[i], strings.Join(CacheLevels(), ", ")))
	}
	return f.parts[i]
}

func (f *keyFields) threads(i int) int {
	t, err := strconv.Atoi(strings.TrimPrefix(f.parts[i], "t"))
	if err != nil || !strings.HasPrefix(f.parts[i], "t") || t < 1 {
		f.fail(fmt.Errorf("bad thread count %q (want t<threads>, at least t1)", f.parts[i]))
	}
	return t
}

func (f *keyFields) bytes(i int) int {
	n, err := strconv.Atoi(f.parts[i])
	if err != nil || n < 1 {
		f.fail(fmt.Errorf("bad size %q (want a positive byte count)", f.parts[i]))
	}
	return n
}

// rate parses the value, a non-negative finite number, after the key's
// fields; it returns the first error of either.
func (f *keyFields) rate(v string) (float64, error) {
	if f.err != nil {
		return 0, f.err
	}
	return parseRate(v)
}

// parseRate parses a non-negative finite number.
func parseRate(v string) (float64, error) {
	g, err := strconv.ParseFloat(v, 64)
	if err != nil || !(g >= 0) || math.IsInf(g, 0) {
		return 0, fmt.Errorf("not a non-negative number")
	}
	return g, nil
}
