package hugepage

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Advise asks for transparent huge pages on the whole Size-aligned pages
// inside v (madvise MADV_HUGEPAGE), and reports whether the kernel took the
// advice; call it before v is first touched. v's contents do not change.
// Where transparent huge pages are off, or v spans no whole huge page, it
// does nothing and returns false.
//
// Why: where a first touch of a 4 KiB page is slow (about 12 µs on the dev
// VM, whose host backs guest memory on demand), building a large model
// pays it per page; a 2 MiB page is one fault (docs/perf-notes.md, "Huge
// pages for the model").
func Advise(v []float32) bool {
	if len(v) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	start := (p + Size - 1) &^ (Size - 1)
	end := (p + uintptr(len(v))*4) &^ (Size - 1)
	if end <= start {
		return false
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4)[start-p : end-p]
	return unix.Madvise(b, unix.MADV_HUGEPAGE) == nil
}
