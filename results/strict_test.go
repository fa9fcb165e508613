package results

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestParseRefusesConflictingKeys: a key set twice to different values in
// one configuration block is an error naming the file, line, key and both
// values; the same value twice, pkg restated by go test, and a key changed
// between two results are not.
func TestParseRefusesConflictingKeys(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"cpu: A\ncores: 2\nmachine: a\ncores: 64\nBenchmarkX 1 5 ns/op\n", `f.txt:4: configuration key "cores" given twice in one block: "2" (line 2), then "64"`},
		{"cores: 2\nBenchmarkX 1 5 ns/op\ncores: 4\nPASS\ncores:\nBenchmarkX 1 5 ns/op\n", `f.txt:5: configuration key "cores"`},
		{"cores: 2\nBenchmarkX 1 5 ns/op\ncores: 4\ncores: 8\nBenchmarkX one 5 ns/op\n", `f.txt:4: configuration key "cores"`},
	} {
		_, err := Parse(strings.NewReader(tc.in), "f.txt")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
	ok := "goos: linux\npkg: a\ncpu: A  \ncpu: A\nBenchmarkX 1 5 ns/op\ncores: 4\nBenchmarkX 1 5 ns/op\npkg: b\nPASS\npkg: c\nBenchmarkY 1 5 ns/op\n"
	rs, err := Parse(strings.NewReader(ok), "ok.txt")
	if err != nil || len(rs) != 3 || rs[1].Get("cores") != "4" || rs[2].Get(KeyPkg) != "c" {
		t.Errorf("consistent file: %d results, %v", len(rs), err)
	}
}

// TestParseRefusesBadMeasurements: negative, NaN and infinite values, an
// iteration count below 1, a nameless benchmark and names, units and
// configuration lines that are not text are errors at their line, which
// describe the offending byte and never echo it.
func TestParseRefusesBadMeasurements(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"cpu: x\nBenchmarkX 1 -5 ns/op\n", "f.txt:2: X: ns/op is -5"},
		{"BenchmarkX 1 5 ns/op\nBenchmarkX 1 NaN GFLOP/s\n", "f.txt:2: X: GFLOP/s is NaN"},
		{"BenchmarkX 1 +Inf ns/op\n", "f.txt:1: X: ns/op is +Inf"},
		{"BenchmarkX 1 5 ns/op -1e-9 GB/s\n", "f.txt:1: X: GB/s is -1e-09"},
		{"BenchmarkX -3 5 ns/op\n", "f.txt:1: X: iteration count -3"},
		{"BenchmarkX 0 5 ns/op\n", "f.txt:1: X: iteration count 0"},
		{"Benchmark 1 5 ns/op\n", "f.txt:1: benchmark without a name"},
		{"BenchmarkX\x1b[2J 1 5 ns/op\n", "f.txt:1: not a results file (byte 11 of the line is 0x1b, not text)"},
		{"BenchmarkX 1 5 ns/\xffop\n", "f.txt:1: not a results file (byte 19 of the line is 0xff, not text)"},
		{"goos: linux\ncpu: Fast\rSlow\nBenchmarkX 1 5 ns/op\n", `f.txt:2: configuration line "cpu" is not one line of text`},
		{"a: \v\nBenchmarkX 1 5 ns/op\nb\x00: 1\n", "f.txt:1: not a results file (byte 4 of the line is 0x0b, not text)"},
		{"a: 1\nBenchmarkX 1 5 ns/op\nb\x00: 1\n", "f.txt:3: not a results file (byte 2 of the line is 0x00, not text)"},
	} {
		_, err := Parse(strings.NewReader(tc.in), "f.txt")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
	if rs, err := Parse(strings.NewReader("BenchmarkX 1 0 ns/op 0 GFLOP/s\n"), "zero.txt"); err != nil || len(rs) != 1 {
		t.Errorf("zero measurements refused: %v", err)
	}
}

func TestParseRefusesHugeInput(t *testing.T) {
	defer func(n int) { maxFileBytes = n }(maxFileBytes)
	maxFileBytes = 1000
	big := io0{n: maxFileBytes + 1}
	if _, err := Parse(&big, "big.txt"); err == nil || !strings.Contains(err.Error(), "big.txt: larger than 1000 bytes") {
		t.Errorf("huge input: %v", err)
	}
	if rs, err := Parse(strings.NewReader("BenchmarkX 1 5 ns/op\n"+strings.Repeat("\n", 1000-21)), "fits.txt"); err != nil || len(rs) != 1 {
		t.Errorf("input of the largest size: %v", err)
	}
}

// io0 reads n bytes of blank lines.
type io0 struct{ n int }

func (r *io0) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = '\n'
	}
	r.n -= k
	return k, nil
}

// TestIdentity: the identity is the label and the CPU and core lines, not
// the ceilings or the build; MachineNames tells machines apart by the
// shortest line that does.
func TestIdentity(t *testing.T) {
	a := []KeyValue{{Key: "cpu", Value: "Zen"}, {Key: "cores", Value: "2"}, {Key: "peak-gflops-avx2-f32-t1", Value: "9"}, {Key: KeyLabel, Value: "a"}}
	a2 := []KeyValue{{Key: "cpu", Value: "Zen"}, {Key: "cores", Value: "2"}, {Key: "peak-gflops-avx2-f32-t1", Value: "10"}, {Key: KeyLabel, Value: "a"}, {Key: KeyDate, Value: "x"}}
	b := []KeyValue{{Key: "cpu", Value: "Zen"}, {Key: "cores", Value: "64"}, {Key: KeyLabel, Value: "a"}}
	if IdentityOf(a) != IdentityOf(a2) || IdentityOf(a) == IdentityOf(b) {
		t.Errorf("identities: %v, %v, %v", IdentityOf(a), IdentityOf(a2), IdentityOf(b))
	}
	if s := IdentityOf(a).String(); s != "machine=a cpu=Zen cores=2" {
		t.Errorf("String() = %q", s)
	}
	for _, tc := range []struct {
		ids  [][]KeyValue
		want []string
	}{
		{[][]KeyValue{a}, []string{"Zen"}},
		{[][]KeyValue{a, {{Key: "cpu", Value: "Xeon"}}}, []string{"Zen", "Xeon"}},
		{[][]KeyValue{{{Key: "cpu", Value: "Zen"}, {Key: KeyLabel, Value: "x"}}, {{Key: "cpu", Value: "Zen"}, {Key: KeyLabel, Value: "y"}}}, []string{"x", "y"}},
		{[][]KeyValue{a, b}, []string{"machine=a cpu=Zen cores=2", "machine=a cpu=Zen cores=64"}},
		{[][]KeyValue{nil, {{Key: KeyLabel, Value: "y"}}}, []string{"unknown machine", "machine=y"}},
	} {
		var ids []Identity
		for _, c := range tc.ids {
			ids = append(ids, IdentityOf(c))
		}
		if got := MachineNames(ids); !slices.Equal(got, tc.want) {
			t.Errorf("MachineNames(%v) = %q, want %q", ids, got, tc.want)
		}
	}
}

// TestMergeRefusesAFileTwice: the same file given twice, under its name or
// through a link, is refused and nothing is written; the output may be one
// of the inputs.
func TestMergeRefusesAFileTwice(t *testing.T) {
	dir := t.TempDir()
	a, link, out := filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt"), filepath.Join(dir, "out.txt")
	if err := WriteFile(a, []Result{{Name: "X", Iters: 1, Values: []Value{{5, "ns/op"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	for _, srcs := range [][]string{{a, a}, {a, link}, {a, filepath.Join(dir, ".", "a.txt")}} {
		if err := Merge(out, srcs...); err == nil || !strings.Contains(err.Error(), "count double") {
			t.Errorf("Merge(%v): %v", srcs, err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("refused merge wrote %s", out)
	}
	b := filepath.Join(dir, "b.txt")
	if err := WriteFile(b, []Result{{Name: "Y", Iters: 1, Values: []Value{{6, "ns/op"}}}}); err != nil {
		t.Fatal(err)
	}
	if err := Merge(a, a, b); err != nil {
		t.Fatal(err)
	}
	rs, err := Read(a)
	if err != nil || len(rs) != 2 || rs[0].Name != "X" || rs[1].Name != "Y" {
		t.Errorf("merge into an input: %d results, %v", len(rs), err)
	}
}

// FuzzParse feeds the parser arbitrary input, seeded with real files: it
// must not panic, its errors start with the file name, and whatever it
// accepts must be usable: every result named, with iterations and finite
// measurements ≥ 0, and written by Write so that Parse reads the same
// results back.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../cmd/benchrun/testdata/*.txt", "compare/testdata/*.txt"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, []Result{{Name: "Sgemm/impl=blocked/m=1-2", Iters: 3, Config: testHeader().Config(), Values: []Value{{10, "ns/op"}, {2.5, "GFLOP/s"}}},
		{Name: "Sgemm/impl=naive/m=1-2", Iters: 3, Config: []KeyValue{{Key: "cpu", Value: "B"}}, Values: []Value{{20, "ns/op"}}}}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("cores: 2\ncores: 64\nBenchmarkX 1 5 ns/op\n"))
	f.Add([]byte("BenchmarkX 1 -5 ns/op\nUnit ns/op assume=exact\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Errorf("error %q does not start with the file name", err)
			}
			return
		}
		for _, r := range rs {
			if err := r.checkRead(); err != nil {
				t.Fatalf("accepted %v", err)
			}
		}
		var out bytes.Buffer
		if err := Write(&out, rs); err != nil {
			t.Fatalf("accepted results cannot be written: %v", err)
		}
		back, err := Parse(bytes.NewReader(out.Bytes()), "back.txt")
		if err != nil {
			t.Fatalf("written results do not read back: %v\n%s", err, out.Bytes())
		}
		if len(back) != len(rs) {
			t.Fatalf("%d results read back, wrote %d", len(back), len(rs))
		}
		for i := range rs {
			a, b := rs[i], back[i]
			if a.Name != b.Name || a.Iters != b.Iters || !slices.Equal(a.Values, b.Values) || !slices.Equal(a.Config, b.Config) {
				t.Fatalf("result %d changed in a round trip:\n%+v\n%+v", i, a, b)
			}
		}
	})
}
