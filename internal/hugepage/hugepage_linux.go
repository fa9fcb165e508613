package hugepage

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Advise asks for transparent huge pages on the whole Size-aligned pages
// inside v (madvise MADV_HUGEPAGE) and reports whether the kernel accepted
// the advice (it may accept it and still map small pages, as where
// transparent huge pages are off); call it before v is first touched. v's
// contents do not change. A v that spans no whole huge page is left alone
// (false).
//
// Why: where a first touch of a 4 KiB page is slow (a host that backs
// guest memory on demand), building a large model pays it per page, and a
// 2 MiB page is one fault (docs/perf-notes.md, "Huge pages for the model").
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
