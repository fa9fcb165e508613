package kernels

// SetConvChunkBytes lets tests force the direct forward kernels to split
// their reduction into many chunks; it returns a function that restores the
// old value.
func SetConvChunkBytes(v int) (restore func()) {
	old := convChunkBytes
	convChunkBytes = v
	return func() { convChunkBytes = old }
}

// ConvPrefersIm2colBwdWeights reports whether the Context runs the
// backward-weights pass of s through im2col.
func ConvPrefersIm2colBwdWeights(s Conv2DShape) bool { return convPreferIm2colBwdWeights(s) }

// SetConvDWBandBytes lets tests shrink the direct backward-weights pass's
// input band and output-gradient panel, so that its bands become single
// output rows; it returns a function that restores the old values.
func SetConvDWBandBytes(band, panel int) (restore func()) {
	oldBand, oldPanel := convDWBandBytes, convDWPanelBytes
	convDWBandBytes, convDWPanelBytes = band, panel
	return func() { convDWBandBytes, convDWPanelBytes = oldBand, oldPanel }
}
