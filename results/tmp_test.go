package results

import (
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileRemovesStaleTemporary leaves the temporary a write killed
// by SIGKILL would, then writes the same results file and checks only the
// file is left (issue 15 defect 12).
func TestWriteFileRemovesStaleTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.txt")
	stale := filepath.Join(dir, ".benchrun-r.txt-5tq9.tmp")
	if err := os.WriteFile(stale, []byte("BenchmarkHalf"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []Result{{Name: "X", Iters: 1, Values: []Value{{1, "ns/op"}}}}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 || ents[0].Name() != "r.txt" {
		t.Errorf("folder holds %v, want only r.txt", ents)
	}
}
