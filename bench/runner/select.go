package runner

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
)

// Preset is a run's size: which cases run by default and for how long.
type Preset int

// The presets. Their cases, unless a Selection field says otherwise:
//
//	Quick    highest ISA level only, threads 1 and all cores, each family's
//	         "seed" set if it has one (else its default sets), no naive
//	         implementations, no slow GEMMs (SlowCase); quick ceilings;
//	         count 6, -benchtime 50ms or less, 10s in all (Benchtime);
//	         about 20-40 s on 2 cores.
//	Default  every usable ISA level and bench.DefaultThreads, the same sets,
//	         no naive implementations, no slow GEMMs; full ceilings; count 6,
//	         -benchtime 100ms or less, 30s in all; about 2 minutes on 2
//	         cores.
//	Full     every level, thread count, set and implementation; full
//	         ceilings; -benchtime 500ms, count 10. It takes a long while
//	         (Estimate).
//
// Every preset runs each case at least MinCount times, so that two runs of
// it can be compared: with fewer, no change can be significant.
//
// The ceiling families (Peak, Stream) run only when named: their figures are
// in every results file's configuration already (ceiling.Measure).
const (
	Default Preset = iota
	Quick
	Full
)

// String returns "default", "quick" or "full".
func (p Preset) String() string {
	switch p {
	case Quick:
		return "quick"
	case Full:
		return "full"
	}
	return "default"
}

// Benchtime returns the preset's -benchtime for a run of runs case runs
// (cases × count). Quick and Default bound the run's total benchtime, so
// that they keep to their time as families and runs are added: Quick gives
// every run 50ms but at most 10s in all, Default 100ms but at most 30s in
// all (a run takes 2-3 times its benchtime with b.Loop's ramp-up and the
// case's set-up, and slow ops and the ceilings come on top), neither less
// than 10ms a run. Full gives every run 500ms.
func (p Preset) Benchtime(runs int) string {
	per, total := 100*time.Millisecond, 30*time.Second
	switch p {
	case Quick:
		per, total = 50*time.Millisecond, 10*time.Second
	case Full:
		return "500ms"
	}
	if runs > 0 {
		per = min(per, total/time.Duration(runs))
	}
	return max(per, 10*time.Millisecond).Round(time.Millisecond).String()
}

// MinCount is the fewest runs of each case that let a comparison of two
// runs call a change significant at the usual alpha of 0.05: with n runs a
// side the smallest p-value the rank test (Mann-Whitney U) can give is
// 2/C(2n, n), 0.100 at 3 and 0.029 at 4.
const MinCount = 4

// Count returns the preset's number of runs of each case: 6 for Quick and
// Default, the fewest at which the smallest p-value (0.002) is far below
// 0.05 and a 5% change is found on cases whose runs spread by up to about
// 2.7% (README: "Comparing runs"); 10 for Full.
func (p Preset) Count() int {
	if p == Full {
		return 10
	}
	return 6
}

// QuickCeilings reports whether the preset measures the ceilings in
// ceiling.Measure's quick mode.
func (p Preset) QuickCeilings() bool { return p == Quick }

// The Quick and Default presets pick a family's benchname.SetSeed when it
// has one (the layers of the seed workload), leave out the families whose
// only default is ResNet-50's layers (BatchNorm, Add, GlobalAvgPool: run
// them with --kernel or --set) and leave out the reference
// implementation, benchname.ImplNaive (slow on purpose), unless asked for.

// Selection narrows the case table. A nil field takes the preset's default.
type Selection struct {
	Kernels []string    // family names, any case (bench.Families)
	Impls   []string    // implementation names (impl= values)
	Levels  []cpu.Level // ISA levels
	Threads []int       // thread counts
	Sets    []string    // shape sets; a family with none of them is left out
	// Match, if set, keeps only the cases whose name (Case.Name) it
	// matches, like go test's -bench pattern without the Benchmark prefix.
	Match *regexp.Regexp
}

// Select returns the cases of sel under preset p on the machine info. Every
// name is checked: an unknown kernel, implementation or set is an error
// listing the valid ones, an ISA level the machine cannot run is an error
// saying why, and so is a thread count below 1 or above 4× the logical CPUs.
// A selection that matches no case is an error too.
func Select(sel Selection, p Preset, info cpu.Info) ([]bench.Case, error) {
	fams, err := families(sel.Kernels)
	if err != nil {
		return nil, err
	}
	for _, l := range sel.Levels {
		if err := info.Check(l); err != nil {
			return nil, err
		}
	}
	for _, t := range sel.Threads {
		if t < 1 || t > MaxThreads(info) {
			return nil, fmt.Errorf("thread count %d outside [1, %d] (4× the %d logical CPUs)", t, MaxThreads(info), info.LogicalCores)
		}
	}
	if err := checkNames("set", sel.Sets, allSets(fams)); err != nil {
		return nil, err
	}
	if err := checkNames("implementation", sel.Impls, allImpls(fams, info)); err != nil {
		return nil, err
	}

	opt := bench.Options{Levels: sel.Levels, Threads: sel.Threads}
	if opt.Levels == nil && p == Quick {
		opt.Levels = []cpu.Level{info.Max()}
	}
	if opt.Threads == nil && p == Quick {
		opt.Threads = bench.ThreadsUpTo(info.PhysicalCores)
		if len(opt.Threads) > 2 {
			opt.Threads = []int{1, info.PhysicalCores}
		}
	}
	var cases []bench.Case
	for _, f := range fams {
		fo := opt
		fo.Sets = familySets(f, sel.Sets, p)
		if len(fo.Sets) == 0 && sel.Sets == nil && slices.Contains(sel.Kernels, f.Name) {
			fo.Sets = f.DefaultSets // a family the preset leaves out, asked for by name
		}
		if len(fo.Sets) == 0 {
			continue
		}
		for _, c := range f.Cases(fo) {
			switch {
			case sel.Impls != nil && !slices.Contains(sel.Impls, c.Impl):
			case sel.Impls == nil && p != Full && c.Impl == benchname.ImplNaive:
			case sel.Impls == nil && sel.Levels == nil && p != Full && SlowCase(c):
			case sel.Levels == nil && p != Full && c.Set == benchname.SetSteps && c.ISA != info.Max().String():
				// The larger networks' steps at the highest level only: at
				// the others they would take minutes.
			case sel.Match != nil && !sel.Match.MatchString(c.Name()):
			default:
				if p == Quick && c.Set == benchname.SetSteps {
					c.MaxRuns = 1 // a rough price in seconds, not a minute
				}
				cases = append(cases, c)
			}
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("no benchmark cases match the selection (%s)", sel)
	}
	return cases, nil
}

// slowFLOPs is the work above which a GEMM of plain Go or of a library is
// left out of the Quick and Default presets: 1 GFLOP is a tenth of a second
// to seconds an op at the 5-15 GFLOP/s of scalar Go and gonum.
const slowFLOPs = 1e9

// SlowCase reports whether c is one of the GEMMs Quick and Default leave
// out: more than slowFLOPs at isa=generic or isa=native (plain Go, gonum).
// They take seconds an op (run twice at least: once untimed), so at six
// runs they alone would take longer than the rest of the default run; Full
// runs them, and so does a run that names its implementations or levels.
func SlowCase(c bench.Case) bool {
	return c.Family == benchname.Sgemm && c.FLOPs > slowFLOPs && (c.ISA == cpu.Generic.String() || c.ISA == benchname.ISANative)
}

// MaxThreads is the largest thread count Select accepts on the machine
// info: 4× its logical CPUs (beyond that a run measures the scheduler, not
// the kernels), and at most kernels.MaxThreads.
func MaxThreads(info cpu.Info) int {
	return min(4*max(info.LogicalCores, 1), kernels.MaxThreads)
}

// String describes the selection as the flags that made it.
func (sel Selection) String() string {
	var parts []string
	add := func(name string, vs []string) {
		if vs != nil {
			parts = append(parts, fmt.Sprintf("%s=%s", name, strings.Join(vs, ",")))
		}
	}
	add("kernel", sel.Kernels)
	add(benchname.KeyImpl, sel.Impls)
	var ls, ts []string
	for _, l := range sel.Levels {
		ls = append(ls, l.String())
	}
	for _, t := range sel.Threads {
		ts = append(ts, fmt.Sprint(t))
	}
	if sel.Levels != nil {
		add(benchname.KeyISA, ls)
	}
	if sel.Threads != nil {
		add(benchname.KeyThreads, ts)
	}
	add("set", sel.Sets)
	if sel.Match != nil {
		add("match", []string{sel.Match.String()})
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, " ")
}

// families returns the named families, or every family that is not a
// ceiling family when names is nil.
func families(names []string) ([]bench.Family, error) {
	if names == nil {
		var fs []bench.Family
		for _, f := range bench.Families() {
			if !isCeiling(f) {
				fs = append(fs, f)
			}
		}
		return fs, nil
	}
	var fs []bench.Family
	for _, n := range names {
		f, err := bench.LookupFamily(n)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(fs, func(g bench.Family) bool { return g.Name == f.Name }) {
			fs = append(fs, f)
		}
	}
	return fs, nil
}

// isCeiling reports whether every case of f measures a machine ceiling.
func isCeiling(f bench.Family) bool {
	cs := f.Cases(bench.Options{Sets: f.Sets, Threads: []int{1}})
	return len(cs) > 0 && !slices.ContainsFunc(cs, func(c bench.Case) bool { return !c.Ceiling })
}

// familySets returns the sets of f to run: those of want that f has, or the
// preset's choice when want is nil.
func familySets(f bench.Family, want []string, p Preset) []string {
	switch {
	case want != nil:
		var sets []string
		for _, s := range want {
			if slices.Contains(f.Sets, s) {
				sets = append(sets, s)
			}
		}
		return sets
	case p == Full:
		return f.Sets
	case slices.Contains(f.Sets, benchname.SetSeed) && slices.Contains(f.Sets, benchname.SetSteps):
		return []string{benchname.SetSeed, benchname.SetSteps}
	case slices.Contains(f.Sets, benchname.SetSeed):
		return []string{benchname.SetSeed}
	case slices.Equal(f.DefaultSets, []string{benchname.SetResNet50}):
		return nil // ResNet-50's own kernels: asked for by name until the trainer runs ResNet-50
	case slices.Equal(f.DefaultSets, []string{benchname.SetGPT2}):
		return nil // GPT-2's own kernels: asked for by name or set, like ResNet-50's
	}
	return f.DefaultSets
}

func allSets(fams []bench.Family) []string {
	var sets []string
	for _, f := range fams {
		for _, s := range f.Sets {
			if !slices.Contains(sets, s) {
				sets = append(sets, s)
			}
		}
	}
	return sets
}

// allImpls returns the impl= values of every case the families have.
func allImpls(fams []bench.Family, info cpu.Info) []string {
	var impls []string
	for _, f := range fams {
		for _, c := range f.Cases(bench.Options{Sets: f.Sets, Levels: info.Levels(), Threads: []int{1}}) {
			if i := c.Impl; i != "" && !slices.Contains(impls, i) {
				impls = append(impls, i)
			}
		}
	}
	return impls
}

func checkNames(what string, names, valid []string) error {
	for _, n := range names {
		if !slices.Contains(valid, n) {
			if len(valid) == 0 {
				return fmt.Errorf("unknown %s %q (the selected kernels have none)", what, n)
			}
			return fmt.Errorf("unknown %s %q (valid: %s)", what, n, strings.Join(valid, ", "))
		}
	}
	return nil
}

// Estimate is a lower bound on the time count runs of cases take at
// -benchtime benchtime: every run lasts at least the benchtime, or one op
// of the case at estimateFLOPS a thread when that is longer (a whole
// training step of ResNet-50 takes about a second). A run of a fixed
// iteration count, "100x", is counted as nothing. The set-up of each case
// comes on top.
func Estimate(cases []bench.Case, benchtime string, count int) time.Duration {
	d, err := time.ParseDuration(benchtime)
	if err != nil {
		return 0
	}
	var all time.Duration
	for _, c := range cases {
		op := time.Duration(c.FLOPs / (estimateFLOPS * float64(max(1, c.Threads))) * 1e9)
		all += time.Duration(CaseRuns(c, count)) * max(d, op)
	}
	return all
}

// CaseRuns is how many runs of c a run of count rounds makes: count, or
// fewer for a case with MaxRuns.
func CaseRuns(c bench.Case, count int) int {
	count = max(count, 1)
	if c.MaxRuns > 0 {
		return min(count, c.MaxRuns)
	}
	return count
}

// Runs is how many runs of cases a run of count rounds makes in all.
func Runs(cases []bench.Case, count int) int {
	n := 0
	for _, c := range cases {
		n += CaseRuns(c, count)
	}
	return n
}

// estimateFLOPS is the float32 rate a thread is taken to reach in Estimate:
// above what one core of today's CPUs sustains, so that the estimate stays a
// lower bound.
const estimateFLOPS = 300e9
