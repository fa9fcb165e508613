package compare

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden compares the tables against golden files. The numbers in
// old-new.golden are the ones benchstat prints for the same inputs
// (go run golang.org/x/perf/cmd/benchstat -ignore date testdata/old.txt
// testdata/new.txt, checked when the golden file was written); the layout is
// benchstat's, without its -P name suffix and configuration header.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
		opt    func(*Options)
	}{
		{"old-new.golden", []string{"testdata/old.txt", "testdata/new.txt"}, nil},
		{"labels.golden", []string{"before=testdata/old.txt", "after=testdata/new.txt"}, func(o *Options) { o.Filter = "/impl:blocked" }},
		{"col-isa.golden", []string{"testdata/new.txt"}, func(o *Options) { o.Col, o.Row, o.Filter = "/isa", "/m", "/impl:blocked" }},
		{"machines.golden", []string{"testdata/old.txt", "testdata/other-machine.txt"}, func(o *Options) { o.Col = "machine" }},
		{"pooled.golden", []string{"all=testdata/old.txt", "all=testdata/new.txt"}, func(o *Options) { o.Col = "/isa"; o.Filter = "/m:64" }},
		// A flagged input gets a note above the tables; its findings,
		// which differ from run to run, do not split or mark the cells.
		{"flagged.golden", []string{"testdata/old.txt", "testdata/flagged.txt"}, func(o *Options) { o.Filter = "/m:64" }},
		{"flagged-pooled.golden", []string{"all=testdata/new.txt", "all=testdata/flagged.txt"}, func(o *Options) { o.Col = "/isa"; o.Filter = "/m:64" }},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			ins, err := ReadInputs(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			opt := DefaultOptions()
			if tc.opt != nil {
				tc.opt(&opt)
			}
			ts, err := Build(ins, opt)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Write(&buf, ins, ts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, buf.String())
			}
		})
	}
}

// TestTableStatistics checks the numbers behind one row against values
// computed by hand: medians of the six samples and the significance marks.
func TestTableStatistics(t *testing.T) {
	ins, err := ReadInputs([]string{"testdata/old.txt", "testdata/new.txt"})
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultOptions()
	opt.Filter = "/impl:blocked /isa:avx512 /m:64"
	ts, err := Build(ins, opt)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, tb := range ts.Tables {
		if tb.Unit != "GFLOP/s" {
			continue
		}
		found = true
		if len(tb.Rows) != 1 || len(tb.Cols) != 2 {
			t.Fatalf("%d rows, %d cols", len(tb.Rows), len(tb.Cols))
		}
		old := tb.Cells[CellKey{tb.Rows[0], tb.Cols[0]}]
		cur := tb.Cells[CellKey{tb.Rows[0], tb.Cols[1]}]
		// old: 44.6255 44.8809 44.7906 43.3591 44.6211 44.9112 -> median of the middle two.
		if n := len(old.Sample.Values); n != 6 {
			t.Fatalf("old sample has %d values", n)
		}
		if cur.Baseline != old || !(cur.Comparison.P < opt.Alpha) || cur.Summary.Center <= old.Summary.Center {
			t.Errorf("new %v vs old %v: p=%v, want a significant rise", cur.Summary.Center, old.Summary.Center, cur.Comparison.P)
		}
	}
	if !found {
		t.Fatal("no GFLOP/s table")
	}
}

func TestBadInput(t *testing.T) {
	ins, err := ReadInputs([]string{"testdata/old.txt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opt  func(*Options)
		want string
	}{
		{func(o *Options) { o.Col = "/impl(" }, "-col"},
		{func(o *Options) { o.Row = ".unit" }, "-row"},
		{func(o *Options) { o.Filter = "/impl:(" }, "-filter"},
		{func(o *Options) { o.Alpha = 2 }, "alpha"},
		{func(o *Options) { o.Confidence = 1 }, "confidence"},
	} {
		opt := DefaultOptions()
		tc.opt(&opt)
		if _, err := Build(ins, opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("cpu: x\nBenchmarkX 10 5 ns/op\nBenchmarkY one 2 ns/op\n"), 0o644)
	if _, err := ReadInputs([]string{"testdata/old.txt", bad}); err == nil || !strings.Contains(err.Error(), "bad.txt:3:") {
		t.Errorf("malformed file: %v", err)
	}
	if _, err := ReadInputs([]string{"=x"}); err == nil {
		t.Error("empty label accepted")
	}
}
