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

// SetWinoBlockBytes sets both the bound on one block of a blocked winograd
// pass and the size above which a pass runs blocked (winoBlockBytes,
// winoBlockMin) to n, and returns a function restoring them.
func SetWinoBlockBytes(n int) (restore func()) {
	oldB, oldM := winoBlockBytes, winoBlockMin
	winoBlockBytes, winoBlockMin = n, n
	return func() { winoBlockBytes, winoBlockMin = oldB, oldM }
}

// WinoBlockWidth exposes winoBlockWidth.
var WinoBlockWidth = winoBlockWidth

// Conv2DFwdWinogradReLU is the winograd forward pass with the ReLU fused.
func Conv2DFwdWinogradReLU(ctx *Context, s Conv2DShape, x, w, bias, y []float32) {
	conv2DFwdWinograd(ctx, s, x, w, bias, y, true)
}

// SetWinoGroupsPerThread switches the winograd passes' groups per thread
// (winoRunGroups) on or off and returns a function restoring the setting.
func SetWinoGroupsPerThread(on bool) (restore func()) {
	old := winoGroupsPerThread
	winoGroupsPerThread = on
	return func() { winoGroupsPerThread = old }
}

// WinoThreadGroups returns the groups a winograd pass of s (its
// backward-data if bwd) runs as, a group per thread, on threads threads (0:
// shared groups).
func WinoThreadGroups(s Conv2DShape, threads int, bwd bool) int {
	h, w, cin, cout, padH, padW := s.H, s.W, s.C, s.K, s.PadH, s.PadW
	if bwd {
		h, w, cin, cout, padH, padW = s.OutH(), s.OutW(), s.K, s.C, 2-s.PadH, 2-s.PadW
	}
	p, q := h+2*padH-2, w+2*padW-2
	total := s.N * ((p + 3) / 4) * ((q + 3) / 4)
	return winoThreadGroups(total, winoGroup(total, cin, cout), threads)
}
