package kernels

// SetMinBytesPerThread lets tests force the layer kernels to split small
// inputs across threads; it returns a function that restores the old value.
func SetMinBytesPerThread(v int) (restore func()) {
	old := minBytesPerThread
	minBytesPerThread = v
	return func() { minBytesPerThread = old }
}
