package bench

import (
	"flag"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trainbench/trainbench/benchname"
	"github.com/trainbench/trainbench/shape"
)

var nameRE = regexp.MustCompile(`^Sgemm/impl=[a-z]+/isa=(generic|avx2|avx512|native)/threads=[0-9]+/m=[0-9]+/n=[0-9]+/k=[0-9]+$`)

func TestSgemmCaseNames(t *testing.T) {
	cases := FamilyCases(benchname.Sgemm, Options{})
	seen := map[string]bool{}
	impls := map[string]bool{}
	for _, c := range cases {
		if !nameRE.MatchString(c.Name()) {
			t.Errorf("case name %q does not follow the naming scheme", c.Name())
		}
		if seen[c.Name()] {
			t.Errorf("duplicate case %q", c.Name())
		}
		seen[c.Name()] = true
		impls[c.Impl] = true
		if c.FLOPs <= 0 {
			t.Errorf("%s: FLOPs = %v", c.Name(), c.FLOPs)
		}
	}
	for _, want := range []string{"naive", "blocked", "gonum"} {
		if !impls[want] {
			t.Errorf("no cases for impl %s", want)
		}
	}
	if got, want := len(cases), len(SquareGemmShapes)+len(ModelGemmShapes); got < want {
		t.Errorf("%d cases, fewer than the %d shapes", got, want)
	}
}

// TestNamesParse checks that every case's name reads back as the case's
// own typed name (benchname.Parse), which is how the cost model reads it.
func TestNamesParse(t *testing.T) {
	n := 0
	for _, f := range Families() {
		for _, c := range f.Cases(Options{Sets: f.Sets, Threads: []int{1}}) {
			back, err := benchname.Parse(c.Name())
			if err != nil || !reflect.DeepEqual(back, c.CaseName) {
				t.Errorf("%s: parsed %+v, %v; want %+v", c.Name(), back, err, c.CaseName)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no cases")
	}
}

func TestThreadsUpTo(t *testing.T) {
	for cores, want := range map[int]string{1: "[1]", 2: "[1 2]", 6: "[1 2 4 6]", 8: "[1 2 4 8]"} {
		if got := strings.Join(strings.Fields(strings.Trim(fmtInts(ThreadsUpTo(cores)), "[]")), " "); "["+got+"]" != want {
			t.Errorf("ThreadsUpTo(%d) = [%s], want %s", cores, got, want)
		}
	}
}

func fmtInts(v []int) string {
	var sb strings.Builder
	sb.WriteString("[")
	for i, x := range v {
		if i > 0 {
			sb.WriteString(" ")
		}
		sb.WriteString(strconv.Itoa(x))
	}
	sb.WriteString("]")
	return sb.String()
}

// TestSgemmCasesRun runs one small case of each implementation and level, so a
// broken Prepare shows up in go test, not only in benchmarks.
func TestSgemmCasesRun(t *testing.T) {
	cases := SgemmCases([]GemmShape{{Gemm: shape.Gemm{M: 17, N: 33, K: 9}}}, Options{Threads: []int{1, 2}})
	for _, c := range cases {
		if c.Set != benchname.SetCustom {
			t.Errorf("%s: set %q, want %q for a shape without one", c.Name(), c.Set, benchname.SetCustom)
		}
		op, cleanup, err := c.Prepare()
		if err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
		op()
		cleanup()
	}
}

func TestFamilies(t *testing.T) {
	f, err := LookupFamily("sgemm")
	if err != nil || f.Name != "Sgemm" {
		t.Fatalf("LookupFamily(sgemm) = %v, %v", f.Name, err)
	}
	if _, err := LookupFamily("nosuch"); err == nil || !strings.Contains(err.Error(), "Sgemm") {
		t.Fatalf("LookupFamily(nosuch) error %v does not list the families", err)
	}
	sq := f.Cases(Options{Sets: []string{benchname.SetSquare}, Threads: []int{1}})
	for _, c := range sq {
		if c.Set != benchname.SetSquare {
			t.Errorf("set square returned %s (set %s)", c.Name(), c.Set)
		}
	}
	if len(sq) == 0 {
		t.Error("no square cases")
	}
	for _, c := range f.Cases(Options{Sets: []string{benchname.SetModel}, Threads: []int{1}}) {
		if c.Set != benchname.SetModel || c.M == c.N && c.N == c.K {
			t.Errorf("set model returned %s (set %s)", c.Name(), c.Set)
		}
	}
}

// TestRunWarmsUpUntimed checks that Case.Run calls the op once before timing
// it: the op's first call is slow (it stands for a Context's workspaces
// growing and fresh pages faulting in), and the reported time per op must not
// carry it.
func TestRunWarmsUpUntimed(t *testing.T) {
	const cold = 200 * time.Millisecond
	calls := 0
	c := Case{CaseName: benchname.CaseName{Family: "Toy", N: 1}, FLOPs: 1,
		Prepare: func() (func(), func(), error) {
			return func() {
				if calls++; calls == 1 {
					time.Sleep(cold)
				}
			}, func() {}, nil
		}}
	// One timed iteration: without the untimed call it would be the cold one.
	bt := flag.Lookup("test.benchtime")
	defer bt.Value.Set(bt.Value.String())
	if err := bt.Value.Set("1x"); err != nil {
		t.Fatal(err)
	}
	r := testing.Benchmark(c.Run)
	if calls != r.N+1 {
		t.Errorf("op called %d times for %d timed iterations, want one untimed call more", calls, r.N)
	}
	if r.T >= cold {
		t.Errorf("timed %v for %d iterations: the cold first call (%v) among them", r.T, r.N, cold)
	}
}
