package kernels

// SetMinFLOPsPerThread lets tests force thread splitting on small shapes; it
// returns a function that restores the old value.
func SetMinFLOPsPerThread(v float64) (restore func()) {
	old := minFLOPsPerThread
	minFLOPsPerThread = v
	return func() { minFLOPsPerThread = old }
}
