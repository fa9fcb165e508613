package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport writes the report of the synthetic measured machine twice with
// a fixed generation time: every file is there, the measured machine is on
// the page, and the second report (replacing the first) is byte-identical.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	gen := func(out string) map[string][]byte {
		var o, e bytes.Buffer
		args := []string{"report", "-o", out, "--generated", "2026-11-28T12:00:00Z", seedResults}
		if code := run(args, &o, &e); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, e.String())
		}
		files := map[string][]byte{}
		entries, err := os.ReadDir(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range entries {
			b, err := os.ReadFile(filepath.Join(out, d.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[d.Name()] = b
		}
		return files
	}
	// The second run replaces the first report (same folder, so the same
	// reproduce line).
	a := gen(filepath.Join(dir, "r"))
	b := gen(filepath.Join(dir, "r"))
	for _, want := range []string{"index.html", "summary.md", "price-seed-cnn.png", "roofline.png", "buy-vs-rent-seed-cnn.png", "scale-out-seed-cnn.png"} {
		if len(a[want]) == 0 {
			t.Errorf("report lacks %s (has %d files)", want, len(a))
		}
	}
	if !strings.Contains(string(a["summary.md"]), "Test CPU, 1 thread") {
		t.Errorf("summary.md does not list the measured machine")
	}
	if len(a) != len(b) {
		t.Fatalf("two reports of the same input have %d and %d files", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two reports of the same input", name)
		}
	}
}

// TestReportBadInput: no -o, or a folder that is not a report, is refused
// and the folder is left alone.
func TestReportBadInput(t *testing.T) {
	var o, e bytes.Buffer
	if code := run([]string{"report", seedResults}, &o, &e); code != exitUsage || !strings.Contains(e.String(), "-o") {
		t.Errorf("report without -o: exit %d, stderr %q", code, e.String())
	}
	dir := t.TempDir()
	keep := filepath.Join(dir, "thesis.tex")
	if err := os.WriteFile(keep, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Reset()
	if code := run([]string{"report", "-o", dir, seedResults}, &o, &e); code == exitOK {
		t.Errorf("report over a folder holding other files succeeded")
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "precious" {
		t.Errorf("the folder's file was touched: %q, %v", b, err)
	}
}

// TestReportOverEarlierReport (issue 15, defect 4): report -o over an
// earlier report replaces it, over an earlier report holding a file of the
// user's refuses in one line naming the folder and the file and keeps the
// file, and -o . is refused with one line.
func TestReportOverEarlierReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	var o, e bytes.Buffer
	for i := 0; i < 2; i++ { // the second replaces the first
		e.Reset()
		if code := run([]string{"report", "-o", dir, "--title", "run " + string(rune('1'+i)), seedResults}, &o, &e); code != exitOK {
			t.Fatalf("report %d: exit %d: %s", i+1, code, e.String())
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "index.html")); !bytes.Contains(b, []byte("<title>run 2</title>")) {
		t.Error("the earlier report was not replaced")
	}
	mine := filepath.Join(dir, "my-notes.md")
	if err := os.WriteFile(mine, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Reset()
	code := run([]string{"report", "-o", dir, seedResults}, &o, &e)
	msg := strings.TrimSpace(e.String())
	if code == exitOK || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, dir) || !strings.Contains(msg, "my-notes.md") {
		t.Errorf("report over a report holding my-notes.md: exit %d, stderr %q; want one line naming the folder and the file", code, msg)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "precious" {
		t.Errorf("the user's file was touched: %q, %v", b, err)
	}
	results, err := filepath.Abs(seedResults)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	e.Reset()
	code = run([]string{"report", "-o", ".", results}, &o, &e)
	if msg := strings.TrimSpace(e.String()); code == exitOK || strings.Count(msg, "\n") > 0 || !strings.Contains(msg, "working directory") {
		t.Errorf("report -o .: exit %d, stderr %q; want one line saying it is the working directory", code, msg)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("report -o . touched the folder: %v", err)
	}
}

// TestRunWritesReport: the bare run ends with the report folder beside the
// results file.
func TestRunWritesReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.txt")
	_, stderr := tinyRun(t, out, "--report=true")
	idx := filepath.Join(strings.TrimSuffix(out, ".txt")+"-report", "index.html")
	if _, err := os.Stat(idx); err != nil {
		t.Fatalf("no report after run: %v\nstderr:\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "report in") {
		t.Errorf("run does not say where the report is:\n%s", stderr)
	}
}
