package kernels

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/trainbench/trainbench/kernels/cpu"
	"github.com/trainbench/trainbench/kernels/internal/gemm"
)

// BenchmarkSgemmBlocking compares cache blockings of sgemmBlocked at 1 and 2
// threads, the way gemm.BlockingFor's rule was chosen. Sub-benchmarks are
// named blocking=MCxKCxNC/threads=t; with -count N each round runs every
// blocking once, so they alternate and share the machine's mood:
//
//	SWEEP_BLOCKINGS="672/192/672 120/1024/1024" SWEEP_DIMS=1024,1024,1024 \
//	  go test ./kernels -run '^$' -bench SgemmBlocking -benchtime 150ms -count 10
//
// SWEEP_BLOCKINGS lists MC/KC/NC triples ("rule" is gemm.BlockingFor for this
// machine; the default is "rule" alone), SWEEP_DIMS the m,n,k of the product
// (default 1024³) and SWEEP_ISA the level (default: the highest here); add
// -bench 'SgemmBlocking/.*/threads=1' for one thread alone.
func BenchmarkSgemmBlocking(b *testing.B) {
	m, n, k := 1024, 1024, 1024
	if v := os.Getenv("SWEEP_DIMS"); v != "" {
		if _, err := fmt.Sscanf(v, "%d,%d,%d", &m, &n, &k); err != nil {
			b.Fatalf("SWEEP_DIMS=%q: want m,n,k: %v", v, err)
		}
	}
	info, err := cpu.Detect()
	if err != nil {
		b.Fatal(err)
	}
	level := info.Max()
	if v := os.Getenv("SWEEP_ISA"); v != "" {
		if level, err = cpu.ParseLevel(v); err != nil {
			b.Fatalf("SWEEP_ISA: %v", err)
		}
	}
	var blockings []*gemm.Blocking
	for _, f := range strings.Fields(os.Getenv("SWEEP_BLOCKINGS") + " ") {
		if f == "rule" {
			blockings = append(blockings, nil)
			continue
		}
		var bl gemm.Blocking
		if _, err := fmt.Sscanf(f, "%d/%d/%d", &bl.MC, &bl.KC, &bl.NC); err != nil || bl.MC <= 0 || bl.KC <= 0 || bl.NC <= 0 {
			b.Fatalf("SWEEP_BLOCKINGS entry %q: want MC/KC/NC, positive", f)
		}
		blockings = append(blockings, &bl)
	}
	if len(blockings) == 0 {
		blockings = []*gemm.Blocking{nil}
	}
	a, bb, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range bb {
		bb[i] = float32(i%5) - 2
	}
	for _, bl := range blockings {
		for _, threads := range []int{1, 2} {
			ctx, err := NewContext(level, threads)
			if err != nil {
				b.Fatal(err)
			}
			ctx.blocking = bl
			kern := gemm.KernelFor(level)
			eff := gemm.BlockingFor(kern, ctx.caches)
			if bl != nil {
				if bl.MC%kern.MR != 0 || bl.NC%kern.NR != 0 {
					b.Fatalf("blocking %+v: MC and NC must be multiples of the %dx%d tile", *bl, kern.MR, kern.NR)
				}
				eff = *bl
			}
			b.Run(fmt.Sprintf("blocking=%dx%dx%d/threads=%d", eff.MC, eff.KC, eff.NC, threads), func(b *testing.B) {
				// Untimed first call, as bench.Case.Run does: workspaces grow.
				sgemmBlocked(ctx, NoTrans, NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
				for b.Loop() {
					sgemmBlocked(ctx, NoTrans, NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
				b.ReportMetric(SgemmFLOPs(m, n, k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			ctx.Close()
		}
	}
}
