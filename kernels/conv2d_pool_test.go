package kernels_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels"
	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/kerneltest"
)

// convPoolCase is a convolution whose output a max-pool with windows tiling
// it reads.
type convPoolCase struct {
	s kernels.Conv2DShape
	w int // the pool's window (and stride)
}

func (c convPoolCase) pool() kernels.PoolShape {
	return kernels.PoolShape{N: c.s.N, H: c.s.OutH(), W: c.s.OutW(), C: c.s.K, Window: c.w, Stride: c.w}
}

var convPoolCases = []convPoolCase{
	// The seed CNN's first layer, at a small batch.
	{kernels.Conv2DShape{N: 5, H: 28, W: 28, C: 1, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1}, 2},
	// An odd output (9×7: the pool leaves the last row and column), channels
	// not a whole vector, padding, two input channels.
	{kernels.Conv2DShape{N: 3, H: 9, W: 7, C: 2, K: 17, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1}, 2},
	// Windows of 3, a strided convolution, one image.
	{kernels.Conv2DShape{N: 1, H: 13, W: 14, C: 3, K: 8, R: 2, S: 3, StrideH: 2, StrideW: 1, DilH: 1, DilW: 1}, 3},
}

// TestConv2DBackwardWeightsMaxPool checks the fused pass against a float64
// reference of its definition — the pool's gradient routed to the element
// its arg names, then Σ over the output pixels of dY·x — at every ISA level
// and thread count, with one image a chunk (the chunk budget lowered) and
// with the default chunks, and that a level gives the same bits at every
// thread count.
//
// Bound: each dw and db element sums N·P·Q products, of which at most one a
// pool window is not zero: |got − ref| ≤ (N·P·Q + 4)·2⁻²⁴·Σ|terms|.
func TestConv2DBackwardWeightsMaxPool(t *testing.T) {
	for _, chunk := range []int{1, 0} {
		if chunk == 1 {
			defer kernels.SetConvPoolChunkBytes(1)()
		}
		bits := map[string][]float32{} // ISA level and case → dw and db at the first thread count
		kerneltest.ForEachContext(t, func(t *testing.T, ctx *kernels.Context) {
			for ci, c := range convPoolCases {
				s, p := c.s, c.pool()
				rng := kerneltest.Rand(uint64(41 + ci))
				x, y, dy := make([]float32, s.InputLen()), make([]float32, s.OutputLen()), make([]float32, p.OutputLen())
				for _, v := range [][]float32{x, y, dy} {
					kerneltest.Fill(rng, v)
				}
				yp, arg := make([]float32, p.OutputLen()), make([]int32, p.OutputLen())
				ctx.MaxPoolForward(p, y, yp, arg)
				// The reference.
				g := make([]float64, s.OutputLen())
				for o, e := range arg {
					g[e] += float64(dy[o])
				}
				dw, dws := make([]float64, s.WeightLen()), make([]float64, s.WeightLen())
				db, dbs := make([]float64, s.K), make([]float64, s.K)
				P, Q := s.OutH(), s.OutW()
				for n := 0; n < s.N; n++ {
					for pp := 0; pp < P; pp++ {
						for q := 0; q < Q; q++ {
							o := ((n*P+pp)*Q + q) * s.K
							for k := 0; k < s.K; k++ {
								db[k] += g[o+k]
								dbs[k] += math.Abs(g[o+k])
							}
							for r := 0; r < s.R; r++ {
								h := pp*s.StrideH - s.PadH + r
								for u := 0; u < s.S; u++ {
									wc := q*s.StrideW - s.PadW + u
									if h < 0 || h >= s.H || wc < 0 || wc >= s.W {
										continue
									}
									for k := 0; k < s.K; k++ {
										for ch := 0; ch < s.C; ch++ {
											v := g[o+k] * float64(x[((n*s.H+h)*s.W+wc)*s.C+ch])
											dw[((k*s.R+r)*s.S+u)*s.C+ch] += v
											dws[((k*s.R+r)*s.S+u)*s.C+ch] += math.Abs(v)
										}
									}
								}
							}
						}
					}
				}
				gw, gb := make([]float32, s.WeightLen()), make([]float32, s.K)
				for i := range gw {
					gw[i] = float32(math.NaN())
				}
				ctx.Conv2DBackwardWeightsMaxPool(s, p, x, dy, arg, gw, gb)
				terms := float64(s.N*P*Q + 4)
				for i := range gw {
					if d := math.Abs(float64(gw[i]) - dw[i]); !(d <= terms*0x1p-24*dws[i]) {
						t.Fatalf("chunk %d, %v, window %d: dw[%d] = %v, want %v (bound %.3g)", chunk, s, c.w, i, gw[i], dw[i], terms*0x1p-24*dws[i])
					}
				}
				for k := range gb {
					if d := math.Abs(float64(gb[k]) - db[k]); !(d <= terms*0x1p-24*dbs[k]) {
						t.Fatalf("chunk %d, %v, window %d: db[%d] = %v, want %v", chunk, s, c.w, k, gb[k], db[k])
					}
				}
				key := fmt.Sprintf("%d/%s/%d", chunk, strings.Split(t.Name(), "/")[1], ci)
				got := append(gw, gb...)
				if prev, ok := bits[key]; !ok {
					bits[key] = got
				} else {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(prev[i]) {
							t.Fatalf("chunk %d, %v: element %d is %v, %v at another thread count", chunk, s, i, got[i], prev[i])
						}
					}
				}
			}
		})
	}
}

// TestConv2DBackwardWeightsMaxPoolRejects checks that a pool that does not
// read the convolution's output, or whose windows overlap, panics naming
// the call.
func TestConv2DBackwardWeightsMaxPoolRejects(t *testing.T) {
	ctx, err := kernels.NewContext(cpu.Generic, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	c := convPoolCases[0]
	s := c.s
	for name, p := range map[string]kernels.PoolShape{
		"overlapping windows": {N: s.N, H: s.OutH(), W: s.OutW(), C: s.K, Window: 3, Stride: 2},
		"another tensor":      {N: s.N, H: s.OutH() + 2, W: s.OutW(), C: s.K, Window: 2, Stride: 2},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Conv2DBackwardWeightsMaxPool") {
					t.Errorf("%s: panic %v, want one naming Conv2DBackwardWeightsMaxPool", name, r)
				}
			}()
			ctx.Conv2DBackwardWeightsMaxPool(s, p, make([]float32, s.InputLen()), make([]float32, p.OutputLen()),
				make([]int32, p.OutputLen()), make([]float32, s.WeightLen()), nil)
		}()
	}
}
