//go:build !amd64 || noasm

package ceiling

// Without assembly the generated routines are their pure-Go twins. They are
// never timed as avx2 or avx512 (cpu.Info.Check refuses those levels), and
// the clock is not estimated (addChainRef does no dependent work).

func peakFMAAVX512F32(n int, c []float32, a, b float32) { peakRef(n, c, a, b) }
func peakFMAAVX512F64(n int, c []float64, a, b float64) { peakRef(n, c, a, b) }
func peakFMAAVX2F32(n int, c []float32, a, b float32)   { peakRef(n, c, a, b) }
func peakFMAAVX2F64(n int, c []float64, a, b float64)   { peakRef(n, c, a, b) }

func copyAVX512(dst, src []float64)            { copyRef(dst, src) }
func copyAVX2(dst, src []float64)              { copyRef(dst, src) }
func triadAVX512(a, b, c []float64, s float64) { triadRef(a, b, c, s) }
func triadAVX2(a, b, c []float64, s float64)   { triadRef(a, b, c, s) }

func addChain(n int) int { return addChainRef(n) }
