package reports

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestTemporariesRemoved checks the report's temporary folders: named
// .benchrun-<dir>-*.tmp, removed when putting the report in place fails, and
// those a killed Write left behind removed by the next Write of the same
// folder while another folder's are kept (issue 15 defect 12: SIGKILL left
// temporaries that nothing removed).
func TestTemporariesRemoved(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "report")
	if err := Write(dir, Input{Title: "old"}); err != nil {
		t.Fatal(err)
	}
	// A killed run's leftovers: a folder of this report's and one of another.
	stale := filepath.Join(root, ".benchrun-report-12345.tmp")
	others := filepath.Join(root, ".benchrun-report-b-12345.tmp") // report-b's
	for _, d := range []string{stale, others} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Putting the new report in place fails: the exchange is unsupported
	// and a non-empty folder sits where the old report was to be moved.
	var blocker string
	saved := exchange
	exchange = func(tmp, d string) error {
		if !strings.HasPrefix(filepath.Base(tmp), ".benchrun-report-") || !strings.HasSuffix(tmp, ".tmp") {
			t.Errorf("temporary %s is not named .benchrun-report-*.tmp", tmp)
		}
		blocker = strings.TrimSuffix(tmp, ".tmp") + ".old.tmp"
		if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		return os.ErrInvalid
	}
	err := Write(dir, Input{Title: "new"})
	exchange = saved
	if err == nil {
		t.Fatal("Write succeeded with the old report's way out blocked")
	}
	got := entries(t, root)
	want := []string{filepath.Base(others), filepath.Base(blocker), "report"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("after the failed Write the folder holds %v, want %v (the stale temporary removed, the new one too)", got, want)
	}
	if err := Write(dir, Input{Title: "new"}); err != nil {
		t.Fatal(err)
	}
	if got, want := entries(t, root), []string{filepath.Base(others), "report"}; !slices.Equal(got, want) {
		t.Errorf("after a good Write the folder holds %v, want %v", got, want)
	}
}
