package kernels

// SetBNTileBytes lets tests force the batch-norm sums into many tiles of
// rows; it returns a function that restores the old value.
func SetBNTileBytes(v int) (restore func()) {
	old := bnTileBytes
	bnTileBytes = v
	return func() { bnTileBytes = old }
}
