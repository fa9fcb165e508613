package gemm

import "unsafe"

// uintptrOf returns the address of s's first element, for alignment only.
func uintptrOf(s []float32) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(s))) }
