package costmodel

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/machine"
	"github.com/trainbench/trainbench/results"
	"github.com/trainbench/trainbench/shape"
)

// Results is what results files say about one machine: its kernel
// measurements and, when the files' configuration lines carry it, its
// machine profile (machine.Profile). One Results never pools two machines
// (see Machine).
type Results struct {
	Files []string // the files the machine's results came from
	// Machine is the identity of the machine measured, its label and CPU
	// lines (results.Identity).
	Machine results.Identity
	Profile machine.Profile
	// HasProfile is whether the files carried measured peaks or bandwidths.
	HasProfile bool
	Cases      []MeasuredCase
}

// MeasuredCase is one benchmark case with all its runs summarised.
type MeasuredCase struct {
	Name    string // without the Benchmark prefix and -GOMAXPROCS suffix
	Kernel  string // the family: benchname.Conv2D, benchname.Sgemm, ...
	Pass    string // "fwd", "bwd-data", "bwd-weights"; "" when the name has none
	Impl    string
	ISA     string
	Threads int
	Shape   string // shape= value; "" for m,n,k cases
	// Prec is the operand precision (prec=): F32 for a name without one.
	Prec    benchname.Precision
	M, N, K int // Sgemm shapes
	// FLOPs per op (GFLOP/s × sec/op of the first run) and arithmetic
	// intensity (the FLOP/byte metric, or shape.Gemm's FLOPs / bytes for
	// Sgemm); 0 when unknown.
	FLOPs, Intensity float64
	// GFLOPS is the median throughput over the runs with its confidence
	// interval (benchmath.AssumeNothing at Assumptions.Confidence); zero
	// for a case that reports no FLOPs (a memory-bound kernel).
	GFLOPS benchmath.Summary
	// Seconds is the median time per op (sec/op) with its interval.
	Seconds benchmath.Summary
	Runs    int
	// RunRange is set when the runs were too few for a confidence interval
	// at the level asked (benchmath needs 6 at 95%): the bounds are then
	// the slowest and fastest run.
	RunRange bool

	samples []float64 // GFLOP/s of each run
	secs    []float64 // sec/op of each run
}

// ReadResults parses the results of one machine in the Go benchmark format
// from r with results.Parse; name is the file name errors give. An input
// holding several machines' results is an error (ReadMachines keeps them
// apart). Lines that are not results are skipped as the format says; a
// malformed result line is an error naming file and line. A case is kept
// when its throughput is known (a GFLOP/s metric, or sec/op and its m, n,
// k) or, for a case naming a layer (shape=), when it has sec/op; others are
// ignored, except a whole training step (TrainStep) without a time, which
// is an error. An input without benchmark lines gives no cases and no
// error: the callers say when the cases they need are missing.
func ReadResults(r io.Reader, name string) (*Results, error) {
	ms, err := ReadMachines(r, name)
	if err != nil {
		return nil, err
	}
	return single(ms, []string{name})
}

// ReadMachines is ReadResults for an input that may hold several machines'
// results (a merged file): one Results per machine (results.Identity), in
// order of first appearance.
func ReadMachines(r io.Reader, name string) ([]*Results, error) {
	rs, err := results.Parse(r, name)
	if err != nil && !errors.Is(err, results.ErrNoResults) {
		return nil, err
	}
	var set machineSet
	if err := set.add(rs, name); err != nil {
		return nil, err
	}
	return set.finish(0.95), nil
}

// LoadResults reads the results files of one machine (e.g. one per
// benchmark family) and pools their runs. Files that hold more than one
// machine are an error naming them: pooling them would price a machine
// that does not exist (LoadMachines keeps them apart).
func LoadResults(paths ...string) (*Results, error) {
	ms, err := LoadMachines(paths...)
	if err != nil {
		return nil, err
	}
	return single(ms, paths)
}

// LoadMachines reads results files and returns one Results per machine
// (results.Identity), in order of first appearance: the runs of one machine
// pool across files, those of different machines never do, whether they
// come in separate files or in one merged file. A file given twice is
// refused (results.Distinct): its runs would count double.
func LoadMachines(paths ...string) ([]*Results, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("costmodel: no results files")
	}
	if err := results.Distinct(paths...); err != nil {
		return nil, err
	}
	var set machineSet
	for _, p := range paths {
		rs, err := results.Read(p)
		if err != nil && !errors.Is(err, results.ErrNoResults) {
			return nil, err
		}
		if err := set.add(rs, p); err != nil {
			return nil, err
		}
	}
	return set.finish(0.95), nil
}

// single returns the one machine of ms (an empty Results for none), or an
// error naming the machines the files hold.
func single(ms []*Results, files []string) (*Results, error) {
	switch len(ms) {
	case 0:
		return &Results{Files: files}, nil
	case 1:
		return ms[0], nil
	}
	ids := make([]results.Identity, len(ms))
	for i, m := range ms {
		ids[i] = m.Machine
	}
	return nil, fmt.Errorf("costmodel: %s: results of %d machines (%s), which one prediction cannot pool",
		strings.Join(files, ", "), len(ms), strings.Join(results.MachineNames(ids), "; "))
}

// machineSet gathers results by machine.
type machineSet struct {
	list []*Results
	byID map[results.Identity]*Results
}

// add splits the results of the file name by machine and adds each part to
// its machine's Results.
func (s *machineSet) add(rs []results.Result, name string) error {
	if s.byID == nil {
		s.byID = map[results.Identity]*Results{}
	}
	parts := map[results.Identity][]results.Result{}
	var order []results.Identity
	for _, r := range rs {
		id := r.Machine()
		if _, ok := parts[id]; !ok {
			order = append(order, id)
		}
		parts[id] = append(parts[id], r)
	}
	for _, id := range order {
		m := s.byID[id]
		if m == nil {
			m = &Results{Machine: id}
			s.byID[id] = m
			s.list = append(s.list, m)
		}
		m.Files = append(m.Files, name)
		if err := m.add(parts[id], name); err != nil {
			return err
		}
	}
	return nil
}

// finish summarises every machine's cases.
func (s *machineSet) finish(confidence float64) []*Results {
	for _, m := range s.list {
		for i := range m.Cases {
			m.Cases[i].summarise(confidence)
		}
	}
	return s.list
}

// add merges results of one machine read from the file name into m: each
// case's runs join those of the same case read before, and their
// configuration gives the machine profile unless an earlier file did.
func (m *Results) add(rs []results.Result, name string) error {
	byName := map[string]int{}
	for i, c := range m.Cases {
		byName[c.Name] = i
	}
	var config map[string]string
	for _, r := range rs {
		if config == nil {
			config = map[string]string{}
		}
		for _, kv := range r.Config {
			config[kv.Key] = kv.Value
		}
		c, ok, err := parseCase(r)
		if err != nil {
			return fmt.Errorf("%s:%d: %v", r.File, r.Line, err)
		}
		if !ok {
			continue
		}
		if i, seen := byName[c.Name]; seen {
			m.Cases[i].samples = append(m.Cases[i].samples, c.samples...)
			m.Cases[i].secs = append(m.Cases[i].secs, c.secs...)
			continue
		}
		byName[c.Name] = len(m.Cases)
		m.Cases = append(m.Cases, c)
	}
	if config != nil && !m.HasProfile {
		p, err := machine.ParseProfile(config)
		if err == nil && (len(p.Peaks) > 0 || len(p.Streams) > 0) {
			m.Profile, m.HasProfile = p, true
		} else if err != nil && hasProfileKeys(config) {
			return fmt.Errorf("%s: %v", name, err)
		} else if err == nil && m.Profile.CPU == "" {
			m.Profile = p // the CPU facts without ceilings (go test's cpu line)
		}
	}
	return nil
}

func hasProfileKeys(config map[string]string) bool {
	for k := range config {
		if strings.HasPrefix(k, machine.PrefixPeak) || strings.HasPrefix(k, machine.PrefixStream) || strings.HasPrefix(k, machine.PrefixSweep) {
			return true
		}
	}
	return false
}

// parseCase reads one result; false for results the model does not use.
func parseCase(r results.Result) (MeasuredCase, bool, error) {
	n, err := benchname.Parse(r.CaseName())
	if err != nil {
		return MeasuredCase{}, false, err
	}
	if n.Trans != "" {
		// The dense passes are priced from the plain product of the same
		// m, n, k; a transposed case (Sgemm's backprop set) must not be
		// pooled with it.
		return MeasuredCase{}, false, nil
	}
	c := MeasuredCase{Name: r.CaseName(), Kernel: n.Family, Pass: string(n.Pass), Impl: n.Impl, ISA: n.ISA,
		Threads: max(n.Threads, 1), Shape: n.Shape, M: n.M, N: n.N, K: n.K}
	if c.Prec = n.Prec; c.Prec == "" {
		c.Prec = benchname.F32
	}
	sec, hasSec := r.Tidied("sec/op") // written as ns/op
	g, hasG := r.Value("GFLOP/s")
	if c.M > 0 && c.N > 0 && c.K > 0 {
		g := shape.Gemm{M: c.M, N: c.N, K: c.K}
		c.FLOPs = g.FLOPs()
		c.Intensity = c.FLOPs / g.Bytes()
	}
	if c.Kernel == benchname.TrainStep && !(hasSec && sec > 0) {
		// A measured whole step replaces the sum of the kernels: one
		// without a time is a broken line, not one to skip unsaid.
		return c, false, fmt.Errorf("%s: a whole training step without a time (want a positive ns/op)", c.Name)
	}
	switch {
	case hasG && g > 0:
		if c.FLOPs == 0 && hasSec {
			c.FLOPs = g * 1e9 * sec
		}
	case hasSec && sec > 0 && c.FLOPs > 0:
		g = c.FLOPs / sec / 1e9
	case hasSec && sec > 0 && c.Shape != "":
		c.secs = []float64{sec} // a layer's kernel that counts no FLOPs: its time is still usable
		return c, true, nil
	default:
		return c, false, nil
	}
	if fb, ok := r.Value("FLOP/byte"); ok && fb > 0 && c.Intensity == 0 {
		c.Intensity = fb
	}
	c.samples = []float64{g}
	if hasSec && sec > 0 {
		c.secs = []float64{sec}
	}
	return c, true, nil
}

// summarise sets GFLOPS, Seconds and Runs from the runs: medians and their
// confidence intervals (benchmath.AssumeNothing), or the range of the runs
// when they are too few for one.
func (c *MeasuredCase) summarise(confidence float64) {
	c.RunRange = false
	sum := func(xs []float64) benchmath.Summary {
		if len(xs) == 0 {
			return benchmath.Summary{}
		}
		s := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(xs), &benchmath.DefaultThresholds), confidence)
		if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) || math.IsNaN(s.Lo) || math.IsNaN(s.Hi) {
			s.Lo, s.Hi = slices.Min(xs), slices.Max(xs)
			c.RunRange = true
		}
		return s
	}
	c.GFLOPS, c.Seconds = sum(c.samples), sum(c.secs)
	c.Runs = max(len(c.samples), len(c.secs))
}

// Threads returns the thread counts the cases were measured at, ascending.
func (m *Results) Threads() []int {
	var ts []int
	for _, c := range m.Cases {
		if !slices.Contains(ts, c.Threads) {
			ts = append(ts, c.Threads)
		}
	}
	slices.Sort(ts)
	return ts
}
