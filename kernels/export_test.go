package kernels

import (
	"time"

	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// SetMinFLOPsPerThread lets tests force thread splitting on small shapes; it
// returns a function that restores the old value.
func SetMinFLOPsPerThread(v float64) (restore func()) {
	old := minFLOPsPerThread
	minFLOPsPerThread = v
	return func() { minFLOPsPerThread = old }
}

// SetGemmSpeeds sets the relative SGEMM speeds the Context shares products
// by, one per thread, as if measured.
func (c *Context) SetGemmSpeeds(speeds ...float64) { copy(c.gemmSplit.speed, speeds) }

// GemmSpeeds returns the Context's relative SGEMM speeds.
func (c *Context) GemmSpeeds() []float64 { return append([]float64(nil), c.gemmSplit.speed...) }

// GemmShares returns the share boundaries an m×n×k product gets at the
// current speeds, and whether C is cut by rows (else by columns); nil when C
// is cut both ways.
func (c *Context) GemmShares(m, n, k int) (cuts []int, rows bool) {
	j := &gemmJob{kern: gemm.KernelFor(c.isa), m: m, n: n, k: k}
	j.bl = gemm.BlockingFor(j.kern, c.caches)
	j.tm, j.tn = splitGrid(c.Threads(), m, n, k, j.kern.MR, j.kern.NR)
	c.gemmSplit.plan(j)
	if !j.oneD() {
		return nil, false
	}
	return append([]int(nil), c.gemmSplit.cuts[:j.tm*j.tn+1]...), j.tm > 1
}

// SoloSpell puts c's pool in a solo spell of d, as a busy machine would
// (see parallel.Pool.SetSpell); the returned function ends it.
func (c *Context) SoloSpell(d time.Duration) (end func()) {
	c.pool.SetSpell(d)
	return func() { c.pool.SetSpell(0) }
}

// StallThread makes thread tid of c sleep for d before each chunk it claims
// (see parallel.Pool.SetClaimHook), as if the machine descheduled it; the
// returned function removes the stall.
func (c *Context) StallThread(tid int, d time.Duration) (restore func()) {
	c.pool.SetClaimHook(func(t int) {
		if t == tid {
			time.Sleep(d)
		}
	})
	return func() { c.pool.SetClaimHook(nil) }
}

// SetAttnTiles sets the flash attention's query and key tile sizes (bc ≥
// br); it returns a function that restores the old ones.
func SetAttnTiles(br, bc int) (restore func()) {
	oldR, oldC := attnBr, attnBc
	attnBr, attnBc = br, bc
	return func() { attnBr, attnBc = oldR, oldC }
}

// SetConvPoolChunkBytes sets the unpooled gradient a chunk of
// Conv2DBackwardWeightsMaxPool holds and returns a func restoring it.
func SetConvPoolChunkBytes(n int) func() {
	old := convPoolChunkBytes
	convPoolChunkBytes = n
	return func() { convPoolChunkBytes = old }
}
