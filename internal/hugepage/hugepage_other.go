//go:build !linux

package hugepage

// Advise does nothing here and returns false: transparent huge pages are
// Linux's (see the Linux version's doc).
func Advise(v []float32) bool { return false }
