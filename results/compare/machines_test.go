package compare

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/results"
)

// TestMachinesNeverPooled: one merged file of two machines, compared with
// the default columns (the file) or with -col /isa, gets its columns split
// by machine, with a note; no cell holds results of both. -ignore .machine
// pools them, and the cells then warn that the benchmarks vary.
func TestMachinesNeverPooled(t *testing.T) {
	merged := filepath.Join(t.TempDir(), "all.txt")
	if err := results.Merge(merged, "testdata/old.txt", "testdata/other-machine.txt"); err != nil {
		t.Fatal(err)
	}
	ins, err := ReadInputs([]string{merged})
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range []string{".file", "/isa"} {
		opt := DefaultOptions()
		opt.Col = col
		ts, err := Build(ins, opt)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts.Notes) != 2 || !strings.Contains(ts.Notes[0], "2 machines") || !strings.Contains(ts.Notes[1], "split by .machine") {
			t.Errorf("-col %s: notes %q", col, ts.Notes)
		}
		for _, tb := range ts.Tables {
			for k, c := range tb.Cells {
				if n := len(c.Sample.Values); n > 6 {
					t.Errorf("-col %s: cell %v pools %d samples (each machine has 6)", col, k, n)
				}
			}
		}
		var buf bytes.Buffer
		if err := ts.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		if out := buf.String(); !strings.HasPrefix(out, "note: the inputs hold results of 2 machines") || !strings.Contains(out, "Intel Xeon Platinum 8488C") {
			t.Errorf("-col %s: output does not name the machines:\n%s", col, out)
		}
	}
	opt := DefaultOptions()
	opt.Ignore += "," + MachineKey
	ts, err := Build(ins, opt)
	if err != nil {
		t.Fatal(err)
	}
	pooled := false
	for _, tb := range ts.Tables {
		for _, c := range tb.Cells {
			if len(c.Sample.Values) == 12 && len(c.Sample.Warnings) > 0 && strings.Contains(c.Sample.Warnings[0].Error(), "vary in") {
				pooled = true
			}
		}
	}
	if !pooled || len(ts.Notes) != 1 {
		t.Errorf("-ignore .machine: pooled %v, notes %q", pooled, ts.Notes)
	}
}

// TestOneMachineNoNote: inputs of one machine get no machine note.
func TestOneMachineNoNote(t *testing.T) {
	ins, err := ReadInputs([]string{"testdata/old.txt", "testdata/new.txt"})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := Build(ins, DefaultOptions())
	if err != nil || len(ts.Notes) != 0 {
		t.Errorf("notes %q, %v", ts.Notes, err)
	}
}

// TestBadStatistics: NaN alpha and confidence are refused, and so is one
// file pooled with itself under one label.
func TestBadStatistics(t *testing.T) {
	ins, err := ReadInputs([]string{"testdata/old.txt"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []func(*Options){func(o *Options) { o.Alpha = math.NaN() }, func(o *Options) { o.Confidence = math.NaN() }} {
		opt := DefaultOptions()
		f(&opt)
		if _, err := Build(ins, opt); err == nil {
			t.Errorf("options %+v accepted", opt)
		}
	}
	if _, err := ReadInputs([]string{"a=testdata/old.txt", "a=./testdata/old.txt"}); err == nil || !strings.Contains(err.Error(), "same file") {
		t.Errorf("one file twice under one label: %v", err)
	}
	if _, err := ReadInputs([]string{"testdata/old.txt", "testdata/old.txt"}); err != nil {
		t.Errorf("one file as two inputs: %v", err)
	}
}
