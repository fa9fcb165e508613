package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/bench"
	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/results"
)

func toyCase(name string, flops float64, prepErr error) bench.Case {
	sink := 0
	return bench.Case{CaseName: benchname.CaseName{Family: "Toy", Impl: name, Threads: 1}, FLOPs: flops, Bytes: flops / 2,
		Prepare: func() (func(), func(), error) {
			if prepErr != nil {
				return nil, nil, prepErr
			}
			return func() { sink++ }, func() {}, nil
		}}
}

// TestRunInterleavesAndReports runs two toy cases twice: the results come in
// rounds (a, b, a, b) with go test's metrics and the -P suffix, and every
// case gets a Start and a Done event.
func TestRunInterleavesAndReports(t *testing.T) {
	cfg := []results.KeyValue{{Key: "machine", Value: "toy"}}
	var kinds []string
	r := Runner{Benchtime: "50x", Count: 2, Procs: 3, Config: cfg, Events: func(e Event) {
		if e.Total != 4 {
			t.Errorf("event total %d, want 4", e.Total)
		}
		kinds = append(kinds, []string{"start", "done", "skip"}[e.Kind]+":"+e.Case.Impl)
	}}
	rs, err := r.Run(context.Background(), []bench.Case{toyCase("a", 1000, nil), toyCase("b", 1000, nil)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, res := range rs {
		names = append(names, res.Name)
		if res.Iters != 50 {
			t.Errorf("%s: %d iterations, want 50 (-benchtime 50x)", res.Name, res.Iters)
		}
		for _, unit := range []string{"ns/op", "GFLOP/s", "GB/s", "FLOP/byte"} {
			if _, ok := res.Value(unit); !ok {
				t.Errorf("%s lacks %s: %v", res.Name, unit, res.Values)
			}
		}
		if res.Get("machine") != "toy" {
			t.Errorf("%s: config %v", res.Name, res.Config)
		}
	}
	want := []string{"Toy/impl=a/threads=1-3", "Toy/impl=b/threads=1-3", "Toy/impl=a/threads=1-3", "Toy/impl=b/threads=1-3"}
	if !slices.Equal(names, want) {
		t.Errorf("results %v, want %v", names, want)
	}
	if got := strings.Join(kinds, " "); got != "start:a done:a start:b done:b start:a done:a start:b done:b" {
		t.Errorf("events %s", got)
	}
}

func TestRunSkipsCasesThatCannotRun(t *testing.T) {
	var skipped []error
	r := Runner{Benchtime: "1x", Events: func(e Event) {
		if e.Kind == Skipped {
			skipped = append(skipped, e.Err)
		}
	}}
	bad := errors.New("no such level here")
	rs, err := r.Run(context.Background(), []bench.Case{toyCase("bad", 1, bad), toyCase("good", 1, nil)})
	if err != nil || len(rs) != 1 || rs[0].Param(benchname.KeyImpl) != "good" {
		t.Fatalf("results %v, err %v", rs, err)
	}
	if len(skipped) != 1 || !errors.Is(skipped[0], bad) {
		t.Errorf("skip events %v", skipped)
	}
}

// TestRunStopsBetweenCases cancels the run when the first case finishes: the
// first result is kept, nothing else runs, and the error says why.
func TestRunStopsBetweenCases(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := 0
	r := Runner{Benchtime: "1x", Events: func(e Event) {
		switch e.Kind {
		case Start:
			started++
		case Done:
			cancel()
		}
	}}
	rs, err := r.Run(ctx, []bench.Case{toyCase("a", 1, nil), toyCase("b", 1, nil), toyCase("c", 1, nil)})
	if !errors.Is(err, context.Canceled) || len(rs) != 1 || started != 1 {
		t.Errorf("after cancel: %d results, %d started, err %v", len(rs), started, err)
	}
}

func TestRunRejectsBadBenchtime(t *testing.T) {
	for _, bt := range []string{"0s", "-1s", "abc", "0x", "x"} {
		r := Runner{Benchtime: bt}
		if _, err := r.Run(context.Background(), []bench.Case{toyCase("a", 1, nil)}); err == nil || !strings.Contains(err.Error(), bt) {
			t.Errorf("benchtime %q: err %v", bt, err)
		}
	}
}

func names(cs []bench.Case) map[string]bool {
	m := map[string]bool{}
	for _, c := range cs {
		m[c.Name()] = true
	}
	return m
}

func TestSelectPresets(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	quick, err := Select(Selection{}, Quick, info)
	if err != nil {
		t.Fatal(err)
	}
	def, err := Select(Selection{}, Default, info)
	if err != nil {
		t.Fatal(err)
	}
	if len(quick) == 0 || len(quick) > len(def) {
		t.Errorf("quick has %d cases, default %d", len(quick), len(def))
	}
	for _, c := range def {
		if c.Family == benchname.Peak || c.Family == benchname.Stream || c.Impl == benchname.ImplNaive {
			t.Errorf("default preset runs %s", c.Name())
		}
		if SlowCase(c) {
			t.Errorf("default preset runs the slow GEMM %s", c.Name())
		}
		if c.Family == benchname.Conv2D && c.Set != benchname.SetSeed {
			t.Errorf("default preset runs %s of set %s, want the seed set", c.Name(), c.Set)
		}
	}
	for _, c := range quick {
		if l := c.ISA; l != info.Max().String() && l != cpu.Generic.String() && l != benchname.ISANative {
			t.Errorf("quick preset runs %s", c.Name())
		}
	}
	full, err := Select(Selection{Kernels: []string{"sgemm"}}, Full, info)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(full, func(c bench.Case) bool { return c.Impl == benchname.ImplNaive }) {
		t.Error("full preset lacks naive")
	}
	if !slices.ContainsFunc(full, SlowCase) {
		t.Error("full preset lacks the slow GEMMs")
	}
	for _, p := range []Preset{Quick, Default, Full} {
		if p.Count() < MinCount {
			t.Errorf("%s preset: count %d, too few for a comparison to find anything", p, p.Count())
		}
	}
	// Explicit filters win over the preset.
	cs, err := Select(Selection{Kernels: []string{"Sgemm"}, Impls: []string{"naive"}, Levels: []cpu.Level{cpu.Generic}, Threads: []int{2}, Sets: []string{benchname.SetSquare}}, Quick, info)
	if err != nil {
		t.Fatal(err)
	}
	if !names(cs)["Sgemm/impl=naive/isa=generic/threads=2/m=64/n=64/k=64"] || len(cs) != len(bench.SquareGemmShapes) {
		t.Errorf("filtered selection: %v", names(cs))
	}
	peak, err := Select(Selection{Kernels: []string{"Peak"}, Levels: []cpu.Level{cpu.Generic}, Threads: []int{1}}, Default, info)
	if err != nil || len(peak) != 2 {
		t.Errorf("named ceiling family: %d cases, %v", len(peak), err)
	}
}

func TestSelectRejectsBadNames(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	hw := info
	hw.Hardware, hw.Compiled, hw.Cap = cpu.Generic, cpu.Generic, cpu.Generic
	for _, tc := range []struct {
		sel  Selection
		info cpu.Info
		want string
	}{
		{Selection{Kernels: []string{"Nosuch"}}, info, "valid: Adam, AdamW, Add, Attention, BatchNorm, BiasAdd, Conv2D"},
		{Selection{Impls: []string{"fast"}}, info, "unknown implementation \"fast\" (valid: "},
		{Selection{Sets: []string{"huge"}}, info, "unknown set \"huge\""},
		{Selection{Kernels: []string{benchname.Sgemm}, Sets: []string{benchname.SetSeed}}, info, "valid: square, model"},
		{Selection{Threads: []int{0}}, info, "thread count 0"},
		{Selection{Threads: []int{4*info.LogicalCores + 1}}, info, "outside [1,"},
		{Selection{Levels: []cpu.Level{cpu.AVX2}}, hw, "avx2"},
		{Selection{Kernels: []string{"Peak"}, Impls: []string{"blocked"}}, info, "have none"},
	} {
		if _, err := Select(tc.sel, Default, tc.info); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Select(%s): err %v, want %q", tc.sel, err, tc.want)
		}
	}
}

func TestPresetBenchtime(t *testing.T) {
	for _, tc := range []struct {
		p    Preset
		runs int
		want string
	}{
		{Quick, 76, "50ms"}, {Quick, 400, "25ms"}, {Default, 200, "100ms"}, {Default, 516, "58ms"}, {Default, 1000, "30ms"},
		{Default, 100000, "10ms"}, {Full, 100000, "500ms"},
	} {
		if got := tc.p.Benchtime(tc.runs); got != tc.want {
			t.Errorf("%s preset, %d runs: benchtime %s, want %s", tc.p, tc.runs, got, tc.want)
		}
		if err := CheckBenchtime(tc.p.Benchtime(tc.runs)); err != nil {
			t.Error(err)
		}
	}
}

// TestResNetFamiliesByName: the default presets leave out the families
// whose only default set is ResNet-50's layers, and --kernel brings them
// back at that set.
func TestResNetFamiliesByName(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	def, err := Select(Selection{}, Default, info)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range def {
		if c.Family == benchname.BatchNorm || c.Family == benchname.Add || c.Family == benchname.GlobalAvgPool {
			t.Fatalf("the default preset runs %s", c.Name())
		}
	}
	bn, err := Select(Selection{Kernels: []string{benchname.BatchNorm}}, Default, info)
	if err != nil || len(bn) == 0 {
		t.Fatalf("--kernel BatchNorm: %d cases, %v", len(bn), err)
	}
}

// TestRunCapsCaseRuns: a case with MaxRuns is measured in that many rounds
// only, and the events' total counts the runs made.
func TestRunCapsCaseRuns(t *testing.T) {
	slow := toyCase("slow", 1000, nil)
	slow.MaxRuns = 1
	cases := []bench.Case{toyCase("a", 1000, nil), slow}
	r := Runner{Benchtime: "5x", Count: 3, Events: func(e Event) {
		if e.Total != 4 {
			t.Errorf("event total %d, want 4 (3 runs of a, 1 of slow)", e.Total)
		}
	}}
	rs, err := r.Run(context.Background(), cases)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, res := range rs {
		n[res.CaseName()]++
	}
	if n["Toy/impl=a/threads=1"] != 3 || n["Toy/impl=slow/threads=1"] != 1 || Runs(cases, 3) != 4 {
		t.Errorf("runs %v (Runs %d), want a 3 and slow 1", n, Runs(cases, 3))
	}
}

// TestSelectStepsAtTheTopLevel: the default and quick presets measure the
// larger networks' whole steps (the steps set) at the highest ISA level
// only, in a few runs; named levels measure them where asked.
func TestSelectStepsAtTheTopLevel(t *testing.T) {
	info, err := cpu.Detect()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Preset{Default, Quick} {
		cs, err := Select(Selection{Kernels: []string{benchname.TrainStep}}, p, info)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, c := range cs {
			if c.Set != benchname.SetSteps {
				continue
			}
			steps = append(steps, c.Shape)
			if c.ISA != info.Max().String() || c.MaxRuns == 0 || c.MaxRuns >= p.Count() {
				t.Errorf("%s preset: %s at %d runs, want the highest level and fewer than %d runs", p, c.Name(), c.MaxRuns, p.Count())
			}
		}
		if !slices.Contains(steps, "resnet50-imagenet.b8") || !slices.Contains(steps, "gpt2-small.t256b1") {
			t.Errorf("%s preset: steps %v, want ResNet-50 at batch 8 and GPT-2 at context 256", p, steps)
		}
	}
	cs, err := Select(Selection{Kernels: []string{benchname.TrainStep}, Sets: []string{benchname.SetSteps}, Levels: []cpu.Level{cpu.Generic}}, Default, info)
	if err != nil || len(cs) == 0 || cs[0].ISA != cpu.Generic.String() {
		t.Errorf("--set steps --isa generic: %v, %v", names(cs), err)
	}
}
