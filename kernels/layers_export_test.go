package kernels

// SetMinBytesPerThread lets tests force the layer kernels to split small
// inputs across threads; it returns a function that restores the old value.
// It sets the softmax threshold to v/16 exponentials.
func SetMinBytesPerThread(v int) (restore func()) {
	oldB, oldE := minBytesPerThread, minExpsPerThread
	minBytesPerThread, minExpsPerThread = v, v/16
	return func() { minBytesPerThread, minExpsPerThread = oldB, oldE }
}
