package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestWriteFileRemovesStaleTemporaries leaves the temporaries a killed
// write would (a file and a folder) beside the output, with others' that
// look alike, and checks WriteFile removes exactly the output's own.
func TestWriteFileRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	mine := []string{".benchrun-out.txt-3k2j1.tmp", ".benchrun-out.txt-77.old.tmp"}
	theirs := []string{".benchrun-out.txt-b-3k2j1.tmp", ".benchrun-other.txt-1.tmp", ".benchrun-out.txt-.tmp", ".out.txt123", "out.txt.tmp"}
	for _, n := range append(slices.Clone(mine), theirs...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Remove(filepath.Join(dir, mine[1]))
	if err := os.MkdirAll(filepath.Join(dir, mine[1], "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := append([]string{"out.txt"}, theirs...)
	slices.Sort(want)
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("folder holds %v, want %v", got, want)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Errorf("out.txt holds %q", b)
	}
}

// TestWriteFileErrorsLeaveNoTemporary fails the rename (the output is a
// folder) and checks the temporary is gone and the folder untouched; and
// checks an existing file keeps its mode.
func TestWriteFileErrorsLeaveNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	if err := os.MkdirAll(filepath.Join(path, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("x"), 0o644); err == nil {
		t.Fatal("WriteFile replaced a folder")
	}
	if got := names(t, dir); !slices.Equal(got, []string{"out"}) {
		t.Errorf("after the failed write the folder holds %v, want only out", got)
	}
	if _, err := os.Stat(filepath.Join(path, "keep")); err != nil {
		t.Error("the folder was changed")
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("write into a missing folder: %v", err)
	}

	f := filepath.Join(dir, "private")
	if err := os.WriteFile(f, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(f, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite %v (%v), want 0600 kept", st.Mode().Perm(), err)
	}
}
